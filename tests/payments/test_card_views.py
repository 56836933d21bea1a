"""PAY-2 screens and endpoint: start a card payment, the provider callback, the test provider page."""

from decimal import Decimal

import pytest
from django.test import Client

from robinet.payments import providers
from robinet.payments.models import CardStatus, CardTransaction, Payment


@pytest.fixture
def client_cashier(client, cashier):
    client.force_login(cashier)
    return client


def _start(client, billed, amount="25,00", invoice=""):
    return client.post(
        "/payments/cards/start/",
        {"account": billed.number, "amount": amount.replace(",", "."), "invoice": invoice},
    )


def test_pay_2_staff_start_a_card_payment_and_land_on_the_provider_page(client_cashier, billed):
    invoice = billed.invoices.order_by("due_date").first()
    response = _start(client_cashier, billed, invoice=invoice.number)
    card = CardTransaction.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/payments/card/test-provider/{card.provider_reference}/"
    page = client_cashier.get(response["Location"])
    assert page.status_code == 200
    assert "Payer" in page.content.decode()
    assert "25,00" in page.content.decode()


def test_pay_2_start_refuses_an_unknown_account_with_a_message(client_cashier, billed):
    response = client_cashier.post(
        "/payments/cards/start/", {"account": "00000000", "amount": "10"}
    )
    assert response.status_code == 422
    assert "Compte client introuvable" in response.content.decode()
    assert not CardTransaction.objects.exists()


def test_pay_2_the_callback_endpoint_needs_no_session_nor_csrf_but_a_signature(
    client_cashier, billed
):
    _start(client_cashier, billed)
    card = CardTransaction.objects.get()
    body, headers = providers.get_provider("test").callback_body(
        reference=card.provider_reference, status="paid", amount=card.amount
    )
    outsider = Client(enforce_csrf_checks=True)
    url = "/payments/card/callback/test/"
    bad = outsider.post(url, body, content_type="application/json", headers={
        providers.SIGNATURE_HEADER: "0" * 64})  # fmt: skip
    assert bad.status_code == 400
    assert not Payment.objects.exists()
    extra = {"HTTP_X_ROBINET_SIGNATURE": headers[providers.SIGNATURE_HEADER]}
    ok = outsider.post(url, body, content_type="application/json", **extra)
    assert ok.status_code == 200
    assert ok.json() == {"reference": card.provider_reference, "status": "paid"}
    again = outsider.post(url, body, content_type="application/json", **extra)
    assert again.status_code == 200
    assert Payment.objects.filter(account=billed, amount=Decimal("25.00")).count() == 1


def test_pay_2_the_test_provider_page_sends_the_signed_callback_then_returns(
    client_cashier, billed, monkeypatch
):
    _start(client_cashier, billed)
    card = CardTransaction.objects.get()
    sent = []

    def deliver(url, body, headers):
        sent.append(url)
        response = Client().post(
            url, body, content_type="application/json",
            HTTP_X_ROBINET_SIGNATURE=headers[providers.SIGNATURE_HEADER],
        )  # fmt: skip
        return response.status_code

    monkeypatch.setattr(providers, "deliver_callback", deliver)
    page = f"/payments/card/test-provider/{card.provider_reference}/"
    response = client_cashier.post(page, {"action": "declined"})
    assert sent == ["http://testserver/payments/card/callback/test/"]
    assert response["Location"] == f"/payments/cards/return/?reference={card.provider_reference}"
    card.refresh_from_db()
    assert card.status == CardStatus.DECLINED
    detail = client_cashier.get(response["Location"], follow=True)
    assert "Paiement par carte refusé" in detail.content.decode()
    assert not Payment.objects.exists()


def test_pay_2_deliver_callback_only_talks_to_localhost():
    with pytest.raises(providers.DeliveryFailed):
        providers.deliver_callback("https://psp.example.com/cb", b"{}", {})


def test_pay_2_screens_need_the_payment_permissions(client, org, make_user, billed):
    from robinet.organisation.roles import Role

    auditor = make_user("audit", Role.AUDITOR, org.region)  # may view, may not take payments
    client.force_login(auditor)
    assert client.get("/payments/cards/").status_code == 200
    assert client.get("/payments/cards/start/").status_code == 403
    assert client.post("/payments/cards/start/", {"account": billed.number}).status_code == 403
