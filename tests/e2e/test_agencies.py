"""An officer hands a debt to an agency; the agency sees that debt only (COLL-8, ORG-4, COLL-3).

The collection officer selects debts by rules, assigns one to the agency,
downloads the export file; the agency's user logs in and sees only that
debt — not the other debtor's — and reports a contact.
"""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from robinet.collections import agencies, services
from robinet.collections.models import AgencyAssignment, AgencyReport, CollectionBlock
from robinet.core import clock
from robinet.organisation.roles import Role
from tests.collections.conftest import bill
from tests.metering.factories import occupied_point

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def debtors(org):
    services.procedures_seed()
    accounts = []
    for amount in ("240.00", "90.00"):
        account, _sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1))
        bill(account, issued=clock.today() - dt.timedelta(days=70), amount=amount)
        accounts.append(account)
    return accounts


@pytest.fixture
def agency(db):
    return agencies.agency_create(
        actor=None, code="CREST", name="Cabinet Recouvrement Est", commission_rate="12"
    )


def test_coll8_assign_export_and_the_agency_sees_only_its_debt(
    new_page, org, make_user, debtors, agency
):
    assigned, other = debtors
    collector = make_user("recouvreur", Role.COLLECTION_OFFICER, org.centres[0])
    agency_user = make_user("agence", Role.EXTERNAL_AGENCY, org.region)
    agencies.member_link(actor=None, agency=agency, user=agency_user)

    page = new_page(user=collector)
    page.set_default_timeout(30_000)  # a shared two-core machine
    page.goto("/collections/agencies/")
    page.get_by_role("link", name="Sélectionner des dettes").click()
    page.get_by_label("Montant dû minimum (€)").fill("50")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#candidate-table")).to_contain_text(assigned.number)
    expect(page.locator("#candidate-table")).to_contain_text(other.number)
    page.locator(f"#pick-{assigned.number}").check()
    page.get_by_label("Agence").select_option("CREST")
    page.get_by_role("button", name="Confier les comptes cochés à l'agence").click()
    expect(page).to_have_url(re.compile(r"/collections/agencies/CREST/$"))
    expect(page.locator("#assignment-table")).to_contain_text(assigned.number)
    assert AgencyAssignment.objects.get().account == assigned
    assert CollectionBlock.objects.get(account=assigned).reason == "agency"

    with page.expect_download() as download_info:
        page.locator("#agency-export-link").click()
    download = download_info.value
    assert download.suggested_filename.startswith("dettes-confiees-CREST-")
    content = open(download.path(), encoding="utf-8-sig").read()  # noqa: PTH123, SIM115
    assert assigned.number in content
    assert other.number not in content

    portal = new_page(user=agency_user, width=390, height=844)
    portal.set_default_timeout(30_000)
    portal.goto("/collections/agency/")
    table = portal.locator("#portal-table")
    expect(table).to_contain_text(assigned.number)
    expect(table).not_to_contain_text(other.number)
    table.get_by_role("link").first.click()
    expect(portal).to_have_url(re.compile(r"/collections/agency/\d+/$"))
    portal.get_by_label("Nature").select_option("contact")
    portal.get_by_label("Commentaire").fill("Joint par téléphone")
    portal.get_by_role("button", name="Enregistrer").click()
    expect(portal.locator("#portal-reports")).to_contain_text("Joint par téléphone")
    assert AgencyReport.objects.get().kind == "contact"
    # The customer file is not the agency's.
    response = portal.goto(f"/collections/accounts/{other.number}/")
    assert response.status in (403, 404)
