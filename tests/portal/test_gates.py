"""What a portal session may do: act only with a confirmed e-mail; expire after 30 idle minutes."""

import datetime as dt

import time_machine
from django.contrib.sessions.models import Session
from django.urls import reverse

from robinet.cases.models import Case
from tests.portal.conftest import logged_in


def test_portal1_unverified_email_may_read_but_not_act(customer, household, teams):
    """PORTAL-1: until the e-mail is confirmed, no request is filed (the banner says why)."""
    customer.email_verified_at = None
    customer.save()
    client = logged_in(customer)
    url = reverse("portal:move")
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"kind": "out", "on": "2026-03-31", "index": "120", "compte": household.number}
    )
    assert response.status_code == 302
    assert not Case.objects.exists()
    assert "Confirmez d" in client.get(url).content.decode()
    export = client.post(reverse("portal:gdpr-export"), {"compte": household.number})
    assert export.status_code == 302
    assert export["Content-Type"].startswith("text/html")


def test_portal1_verified_customer_acts(portal, household, teams):
    response = portal.post(
        reverse("portal:move"),
        {"kind": "out", "on": "2026-03-31", "index": "120", "compte": household.number},
    )
    assert response.status_code == 302
    assert Case.objects.filter(account=household, case_type__code="DEPART").exists()


def test_portal1_session_expiry_slides_with_each_page(portal):
    """PORTAL-1: the 30 idle minutes count from the last page seen, not from the sign-in."""
    portal.get(reverse("portal:requests"))
    key = portal.cookies["sessionid"].value
    first = Session.objects.get(session_key=key).expire_date
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(minutes=10)):
        portal.get(reverse("portal:requests"))
    assert Session.objects.get(session_key=key).expire_date > first
