"""ORG-4 / COLL-8: the administrator links users to an agency; paid assignments closed in batch."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from robinet.collections import agencies
from robinet.collections.models import AgencyMember, AssignmentState, CollectionBlock
from robinet.organisation.roles import Role
from tests.collections.agency_fixtures import *  # noqa: F403
from tests.collections.conftest import TODAY, bill

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(org, make_user):
    return make_user("admin", Role.ADMINISTRATOR, org.region)


@pytest.fixture
def outside_user(org, make_user):
    """A user of an agency, not linked yet."""
    return make_user("agence-nouvelle", Role.EXTERNAL_AGENCY, org.region)


def test_org4_admin_links_and_detaches_an_agency_user(client, admin_user, agency, outside_user):
    client.force_login(admin_user)
    url = reverse("collections:agency-members", args=[agency.code])
    page = client.get(url).content.decode()
    assert "agence-nouvelle" in page
    response = client.post(url, {"user": outside_user.pk})
    assert response.status_code == 302
    member = AgencyMember.objects.get(user=outside_user)
    assert member.agency == agency
    assert "agence-nouvelle" in client.get(url).content.decode()
    response = client.post(url, {"unlink": member.pk})
    assert response.status_code == 302
    assert not AgencyMember.objects.filter(user=outside_user).exists()


def test_org4_only_external_agency_users_are_offered(client, admin_user, agency, collector):
    client.force_login(admin_user)
    url = reverse("collections:agency-members", args=[agency.code])
    assert "recouvreur" not in client.get(url).content.decode()
    response = client.post(url, {"user": collector.pk})
    assert response.status_code == 400
    assert not AgencyMember.objects.exists()


def test_org4_linking_moves_a_user_from_another_agency(
    client, admin_user, agency, other_agency_user
):
    client.force_login(admin_user)
    url = reverse("collections:agency-members", args=[agency.code])
    assert "Autre Agence" in client.get(url).content.decode()
    assert client.post(url, {"user": other_agency_user.pk}).status_code == 302
    assert AgencyMember.objects.get(user=other_agency_user).agency == agency


def test_org4_the_screen_is_for_administrators(client, collector, agency):
    client.force_login(collector)
    url = reverse("collections:agency-members", args=[agency.code])
    assert client.get(url).status_code == 403
    detail = client.get(reverse("collections:agency-detail", args=[agency.code]))
    assert "agency-members-link" not in detail.content.decode()


def run(*args) -> str:
    out = io.StringIO()
    call_command("collections", *args, stdout=out)
    return out.getvalue()


def test_coll8_close_paid_assignments_command(household, collector, agency, other_agency):
    paid = bill(household, issued=TODAY - dt.timedelta(days=80), amount="120.00")
    (assignment,) = agencies.debts_assign(actor=collector, agency=agency, accounts=[household])
    assert "0 dette(s)" in run("close-paid-assignments")
    item = paid.open_item
    item.open_amount, item.cleared_on = 0, TODAY
    item.save(update_fields=["open_amount", "cleared_on"])
    assert "0 dette(s)" in run("close-paid-assignments", "--agency", other_agency.code)
    output = run("close-paid-assignments", "--agency", agency.code.lower())
    assert assignment.reference in output
    assert "1 dette(s) confiée(s) soldée(s) close(s)." in output
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.CLOSED
    assert not CollectionBlock.objects.filter(account=household, lifted_on__isnull=True).exists()
    with pytest.raises(CommandError, match="Agence inconnue"):
        run("close-paid-assignments", "--agency", "NOPE")
