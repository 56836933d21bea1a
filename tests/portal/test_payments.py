"""PORTAL-2 / PAY-2: paying online from the portal with the test card provider, round trip."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from robinet.core.models import AuditEvent
from robinet.payments import providers
from robinet.payments.models import CardStatus, CardTransaction, Payment
from tests.portal import test_home
from tests.portal.conftest import logged_in

billed = test_home.billed
sign_in_pages = test_home.sign_in_pages


@pytest.fixture
def provider_posts_callback(monkeypatch):
    """The test provider's notification goes to the callback view in-process (no network)."""

    def deliver(url, body, headers):
        response = Client().post(
            url,
            body,
            content_type="application/json",
            HTTP_X_ROBINET_SIGNATURE=headers[providers.SIGNATURE_HEADER],
        )
        return response.status_code

    monkeypatch.setattr(providers, "deliver_callback", deliver)


def _invoices(account):
    return list(account.invoices.order_by("issue_date", "id"))


def _start(client, account, invoice=None):
    data = {"compte": account.number}
    if invoice is not None:
        data["facture"] = invoice.number
    return client.post(reverse("portal:pay"), data)


def test_portal_2_pay_everything_open_round_trip(billed, portal, customer, provider_posts_callback):
    response = _start(portal, billed)
    card = CardTransaction.objects.get()
    assert card.amount == Decimal("85.67")  # 19,10 + 66,57: what is open, not a posted amount
    assert card.invoice is None
    assert card.return_url == reverse("portal:pay-return")
    assert response.status_code == 302
    assert response.url == card.redirect_url
    assert AuditEvent.objects.filter(
        verb="portal.card_checkout", data__portal_user=customer.pk
    ).exists()
    # the customer pays on the provider's page, which notifies Robinet and comes back
    page = portal.post(card.redirect_url, {"action": providers.PAID})
    assert page.status_code == 302
    assert page.url == f"{reverse('portal:pay-return')}?reference={card.provider_reference}"
    card.refresh_from_db()
    assert card.status == CardStatus.PAID
    back = portal.get(page.url)
    html = back.content.decode()
    assert back.status_code == 200
    assert "Paiement de 85,67 € accepté" in html
    assert reverse("portal:receipt", args=[card.payment.pk]) in html
    # the payment is in the history and nothing is left to pay
    bills = portal.get(reverse("portal:bills")).content.decode()
    assert f'id="payment-{card.payment.pk}"' in bills
    assert "85,67 €" in bills
    assert "Vous êtes à jour" in bills
    assert Payment.objects.filter(account=billed, amount=Decimal("85.67")).count() == 1


def test_portal_2_pay_one_invoice_for_what_is_open_on_it(billed, portal, provider_posts_callback):
    first, second = _invoices(billed)
    _start(portal, billed, second)
    card = CardTransaction.objects.get()
    assert card.amount == Decimal("66.57")
    assert card.invoice == second
    portal.post(card.redirect_url, {"action": providers.PAID})
    second.open_item.refresh_from_db()
    first.open_item.refresh_from_db()
    assert second.open_item.open_amount == 0
    assert first.open_item.open_amount == Decimal("19.10")


def test_portal_2_a_declined_payment_books_nothing(billed, portal, provider_posts_callback):
    _start(portal, billed)
    card = CardTransaction.objects.get()
    page = portal.post(card.redirect_url, {"action": providers.DECLINED})
    html = portal.get(page.url).content.decode()
    assert "refusé" in html
    assert not Payment.objects.exists()


def test_portal_2_nothing_to_pay_starts_no_checkout(household, portal):
    response = _start(portal, household)
    assert response.status_code == 302
    assert response.url == f"{reverse('portal:bills')}?compte={household.number}"
    assert not CardTransaction.objects.exists()


def test_portal_2_pay_is_post_only_and_csrf_protected(billed, customer):
    client = logged_in(customer)
    assert client.get(reverse("portal:pay")).status_code == 405
    strict = logged_in(customer)
    strict.handler.enforce_csrf_checks = True
    assert strict.post(reverse("portal:pay"), {"compte": billed.number}).status_code == 403
    assert not CardTransaction.objects.exists()


def test_portal_2_another_customers_account_or_invoice_is_404(billed, stranger, neighbour):
    first, _second = _invoices(billed)
    other = logged_in(stranger)
    assert _start(other, billed).status_code == 404
    # the stranger's own account with the customer's invoice: the hidden field is re-checked
    response = other.post(
        reverse("portal:pay"), {"compte": neighbour.number, "facture": first.number}
    )
    assert response.status_code == 404
    assert not CardTransaction.objects.exists()


def test_portal_2_another_customers_payment_outcome_is_404(billed, portal, stranger):
    _start(portal, billed)
    card = CardTransaction.objects.get()
    url = f"{reverse('portal:pay-return')}?reference={card.provider_reference}"
    assert logged_in(stranger).get(url).status_code == 404
    assert portal.get(f"{reverse('portal:pay-return')}?reference=TEST-NOPE").status_code == 404


def test_portal_2_anonymous_is_sent_to_login(billed, client):
    for response in (
        client.post(reverse("portal:pay"), {"compte": billed.number}),
        client.get(reverse("portal:pay-return") + "?reference=X"),
    ):
        assert response.status_code == 302
        assert response.url.startswith(reverse("portal:login"))
    assert not CardTransaction.objects.exists()
