"""COLL-9 / COLL-12 screens: litigation and insolvency files — status codes, French, writes."""

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from robinet.collections.models import (
    CollectionBlock,
    InsolvencyFile,
    LitigationFile,
    LitigationStage,
)
from robinet.organisation.roles import Role
from tests.backoffice.conftest import web
from tests.collections import notice_factories
from tests.collections.conftest import TODAY, bill

web = web
pytestmark = pytest.mark.django_db


@pytest.fixture
def debtor(procedures, household):
    party = household.party
    party.birth_date, party.birth_place = dt.date(1975, 2, 3), "Quimper"
    party.save()
    bill(household, issued=TODAY - dt.timedelta(days=120), amount="300.00")
    bill(household, issued=TODAY - dt.timedelta(days=90), amount="250.00")
    notice_factories.notice(household, level=2, on=TODAY - dt.timedelta(days=20))
    return household


@pytest.fixture
def outsider(org, make_user):
    return make_user("ailleurs", Role.COLLECTION_OFFICER, org.centres[2])


def test_coll9_open_from_the_account_then_follow_stages_and_download(web, debtor, collector):
    page = web.login(collector).get("collections:litigation-create", debtor.number)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Recevable" in html
    assert "Mise en demeure adressée" in html
    response = web.post("collections:litigation-create", debtor.number, data={"court": "TJ"})
    file = LitigationFile.objects.get()
    assert response.status_code == 302
    detail = web.get("collections:litigation-detail", file.number)
    assert detail.status_code == 200
    assert file.number in detail.content.decode()
    web.post(
        "collections:litigation-stage", file.number, data={"stage": "filed", "on": "2026-03-02"}
    )
    file.refresh_from_db()
    assert file.stage == LitigationStage.FILED
    web.post("collections:litigation-cost", file.number,
             data={"kind": "bailiff", "amount": "45,00", "on": "2026-03-02"})  # fmt: skip
    assert file.costs.count() == 1
    pdf = web.get("collections:litigation-bundle", file.number)
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) >= 4
    listing = web.get("collections:litigation-list")
    assert file.number in listing.content.decode()


def test_coll9_ineligible_account_is_refused_with_reasons(web, procedures, household, collector):
    bill(household, issued=TODAY - dt.timedelta(days=90), amount="600.00")
    response = web.login(collector).post("collections:litigation-create", household.number, data={})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Non recevable" in html
    assert "mise en demeure" in html
    assert not LitigationFile.objects.exists()


def test_coll9_outsider_sees_nothing(web, debtor, outsider):
    client = web.login(outsider)
    assert client.get("collections:litigation-create", debtor.number).status_code == 404


def test_coll12_record_from_the_account_and_close(web, procedures, household, collector):
    bill(household, issued=TODAY - dt.timedelta(days=60), amount="90.00")
    client = web.login(collector)
    assert client.get("collections:insolvency-create", household.number).status_code == 200
    response = client.post("collections:insolvency-create", household.number,
                           data={"kind": "over_indebtedness", "opened_on": "2026-02-25"})  # fmt: skip
    file = InsolvencyFile.objects.get()
    assert response.status_code == 302
    assert CollectionBlock.objects.filter(lifted_on__isnull=True).count() == 1
    assert client.get("collections:insolvency-detail", file.number).status_code == 200
    assert client.get("collections:insolvency-list").status_code == 200
    client.post("collections:insolvency-action", file.number,
                data={"action": "close", "on": "2026-03-02"})  # fmt: skip
    assert not CollectionBlock.objects.filter(lifted_on__isnull=True).exists()


def test_coll9_book_recovery_reinvoice_and_unenforceable_from_the_file(web, debtor, collector):
    from robinet.collections import litigation as lit

    file = lit.litigation_open(debtor, actor=collector)
    lit.litigation_cost_add(file, "bailiff", "45.00", collector)
    client = web.login(collector)
    page = client.get("collections:litigation-detail", file.number).content.decode()
    assert "Refacturer" in page
    assert "seulement sur décision de justice" in page
    client.post("collections:litigation-outcome", file.number, data={"action": "reinvoice"})
    refused = client.get("collections:litigation-detail", file.number)
    assert "COLL-1" in refused.content.decode()
    assert not file.costs.filter(invoice__isnull=False).exists()
    client.post("collections:litigation-outcome", file.number,
                data={"action": "reinvoice", "court_order": "1"})  # fmt: skip
    assert file.costs.filter(invoice__isnull=False).count() == 1
    client.post("collections:litigation-outcome", file.number,
                data={"action": "recovery", "amount": "150,00", "on": "2026-03-02"})  # fmt: skip
    assert file.recoveries.get().amount == 150
    page = client.get("collections:litigation-detail", file.number).content.decode()
    assert "150,00" in page
    client.post("collections:litigation-outcome", file.number,
                data={"action": "unenforceable", "reason": "PV de carence"})  # fmt: skip
    file.refresh_from_db()
    assert file.stage == LitigationStage.ABANDONED
    assert file.write_off_request is not None
