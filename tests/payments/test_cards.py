"""PAY-2: card payments through the payment-service provider (checkout, signed callback)."""

from decimal import Decimal

import pytest

from robinet.core.exceptions import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from robinet.ledger.models import OpenItem
from robinet.organisation.roles import Role
from robinet.payments import cards, providers
from robinet.payments.models import CardStatus, CardTransaction, Payment, PaymentMeans


def _invoices(account):
    return list(account.invoices.order_by("due_date", "pk"))


@pytest.fixture
def checkout(billed, cashier):
    first, _second = _invoices(billed)
    return cards.card_checkout_start(
        actor=cashier, account=billed, amount=first.total_incl_vat, invoice=first
    )


def _callback(card, status="paid", amount=None, secret=None):
    provider = providers.get_provider("test")
    if secret is not None:
        provider = providers.TestProvider(secret)
    return provider.callback_body(
        reference=card.provider_reference,
        status=status,
        amount=card.amount if amount is None else amount,
    )


def test_pay_2_checkout_is_pending_and_points_to_the_hosted_page(checkout, billed):
    assert checkout.status == CardStatus.PENDING
    assert checkout.provider == "test"
    assert checkout.redirect_url == f"/payments/card/test-provider/{checkout.provider_reference}/"
    assert checkout.payment is None
    assert not Payment.objects.filter(account=billed).exists()


def test_pay_2_paid_callback_books_one_card_payment_that_pays_the_invoice(checkout, billed):
    body, headers = _callback(checkout)
    card = cards.card_callback_receive(provider_name="test", body=body, headers=headers)
    assert card.status == CardStatus.PAID
    payment = card.payment
    assert payment.means == PaymentMeans.CARD
    assert payment.amount == checkout.amount
    assert payment.external_reference == checkout.provider_reference
    assert OpenItem.objects.get(invoice=checkout.invoice).open_amount == 0


def test_pay_2_a_second_identical_callback_books_nothing_more(checkout, billed):
    body, headers = _callback(checkout)
    first = cards.card_callback_receive(provider_name="test", body=body, headers=headers)
    again = cards.card_callback_receive(provider_name="test", body=body, headers=headers)
    assert again.payment_id == first.payment_id
    assert Payment.objects.filter(account=billed).count() == 1


def test_pay_2_a_bad_signature_is_refused_and_writes_nothing(checkout, billed):
    body, _headers = _callback(checkout)
    forged = {providers.SIGNATURE_HEADER: providers.sign("not-the-secret", body)}
    with pytest.raises(cards.InvalidCallback):
        cards.card_callback_receive(provider_name="test", body=body, headers=forged)
    with pytest.raises(cards.InvalidCallback):
        cards.card_callback_receive(provider_name="test", body=body, headers={})
    checkout.refresh_from_db()
    assert checkout.status == CardStatus.PENDING
    assert not Payment.objects.filter(account=billed).exists()


def test_pay_2_a_body_changed_after_signing_is_refused(checkout):
    body, headers = _callback(checkout)
    tampered = body.replace(b'"paid"', b'"declined"')
    with pytest.raises(cards.InvalidCallback):
        cards.card_callback_receive(provider_name="test", body=tampered, headers=headers)


def test_pay_2_declined_books_nothing(checkout, billed):
    body, headers = _callback(checkout, status="declined")
    card = cards.card_callback_receive(provider_name="test", body=body, headers=headers)
    assert card.status == CardStatus.DECLINED
    assert card.payment is None
    assert not Payment.objects.filter(account=billed).exists()
    # a paid notification after the decline is a conflict, never a payment
    body, headers = _callback(checkout, status="paid")
    with pytest.raises(ApplicationError) as error:
        cards.card_callback_receive(provider_name="test", body=body, headers=headers)
    assert error.value.code == "card_status_conflict"
    assert not Payment.objects.filter(account=billed).exists()


def test_pay_2_an_amount_mismatch_is_refused_and_books_nothing(checkout, billed):
    body, headers = _callback(checkout, amount=checkout.amount - Decimal("0.01"))
    with pytest.raises(ApplicationError) as error:
        cards.card_callback_receive(provider_name="test", body=body, headers=headers)
    assert error.value.code == "card_amount_mismatch"
    checkout.refresh_from_db()
    assert checkout.status == CardStatus.PENDING
    assert not Payment.objects.filter(account=billed).exists()


def test_pay_2_unknown_reference_and_unknown_provider(checkout):
    provider = providers.get_provider("test")
    body, headers = provider.callback_body(reference="TEST-NOPE", status="paid", amount=Decimal(1))
    with pytest.raises(NotFound):
        cards.card_callback_receive(provider_name="test", body=body, headers=headers)
    body, headers = _callback(checkout)
    with pytest.raises(cards.InvalidCallback):
        cards.card_callback_receive(provider_name="payzen", body=body, headers=headers)


def test_pay_2_checkout_validates_amount_invoice_and_permission(billed, cashier, org, make_user):
    with pytest.raises(ValidationFailed) as error:
        cards.card_checkout_start(actor=cashier, account=billed, amount=Decimal("-3"))
    assert "amount" in error.value.fields
    with pytest.raises(ValidationFailed):
        cards.card_checkout_start(actor=cashier, account=billed, amount=Decimal("1.234"))
    elsewhere = make_user("ailleurs", Role.COLLECTION_OFFICER, org.centres[3])
    with pytest.raises(PermissionDenied):
        cards.card_checkout_start(actor=elsewhere, account=billed, amount=Decimal("10"))
    assert not CardTransaction.objects.exists()


def test_pay_2_stale_checkouts_expire_and_paid_ones_stay(checkout, monkeypatch):
    import datetime as dt

    from robinet.core import clock

    later = checkout.created_at + dt.timedelta(hours=2)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert cards.card_checkouts_expire() == 1
    checkout.refresh_from_db()
    assert checkout.status == CardStatus.EXPIRED
    assert cards.card_checkouts_expire() == 0
