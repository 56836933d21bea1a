"""PAY-10 screens: agreements, stock and alerts, movements, redemption, yearly statement."""

from decimal import Decimal

import pytest

from robinet.ledger.models import OpenItem
from robinet.payments import vouchers
from robinet.payments.models import (
    Payment,
    PaymentMeans,
    VoucherAgreement,
    VoucherAgreementStatus,
    VoucherMovement,
    VoucherStock,
)
from tests.backoffice import conftest as backoffice_fixtures
from tests.backoffice.helpers import RobinetClient
from tests.payments import voucher_setup
from tests.payments.voucher_setup import signed_agreement, stocked

administrations = voucher_setup.administrations
voucher_manager = voucher_setup.voucher_manager
auditor = backoffice_fixtures.auditor

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return RobinetClient()


def test_pay_10_menu_and_home_show_agreements_and_alerts(
    web, org, voucher_manager, auditor, cashier
):
    vouchers.voucher_threshold_set(
        actor=voucher_manager, entity=org.centres[0], denomination=50, threshold=10
    )
    web.login(voucher_manager)
    page = web.get("payments:vouchers").content.decode()
    assert 'href="/payments/vouchers/"' in page  # the menu entry
    assert "Vignettes" in page
    assert 'id="voucher-alerts"' in page
    assert "Centre 1.1 — 50 € : 0 en stock, seuil 10" in page
    assert "Nouvelle convention" in page
    # a centre's officer takes vouchers at the counter but does not sign agreements
    web.login(cashier)
    page = web.get("payments:vouchers").content.decode()
    assert "Nouvelle convention" not in page
    assert "Encaisser des vignettes" in page
    # an auditor sees the screens, without the buttons that write
    web.login(auditor)
    page = web.get("payments:vouchers").content.decode()
    assert "Nouvelle convention" not in page
    assert web.get("payments:voucher-agreement-create").status_code == 403
    assert web.get("payments:voucher-stock").status_code == 200


def test_pay_10_create_sign_pay_an_agreement_on_screens(web, org, administrations, voucher_manager):
    prefecture, gendarmerie = administrations
    web.login(voucher_manager)
    assert web.get("payments:voucher-agreement-create").status_code == 200
    data = {
        "region": org.region.pk,
        "year": "2026",
        "administration_account": prefecture.number,
        "accounts": f"{gendarmerie.number}",
        "quantity_50": "20",
        "quantity_100": "",
    }
    refused = web.post("payments:voucher-agreement-create", data={**data, "quantity_50": ""})
    assert refused.status_code == 422
    assert "Indiquez la quantité" in refused.content.decode()
    unknown = web.post("payments:voucher-agreement-create", data={**data, "accounts": "999999"})
    assert unknown.status_code == 422
    assert "Compte client 999999 introuvable." in unknown.content.decode()
    assert not VoucherAgreement.objects.exists()
    response = web.post("payments:voucher-agreement-create", data=data)
    agreement = VoucherAgreement.objects.get()
    assert response["Location"] == f"/payments/vouchers/agreements/{agreement.pk}/"
    assert agreement.total_amount == Decimal("1000.00")
    page = web.get("payments:voucher-agreement-detail", agreement.pk).content.decode()
    assert "Signer la convention" in page
    web.post("payments:voucher-agreement-sign", agreement.pk)
    web.post(
        "payments:voucher-agreement-pay",
        agreement.pk,
        data={"paid_on": "2026-02-15", "treasury_reference": "DRFIP-77"},
    )
    agreement.refresh_from_db()
    assert agreement.status == VoucherAgreementStatus.PAID
    assert agreement.treasury_reference == "DRFIP-77"


def test_pay_10_movements_issue_and_redemption_on_screens(
    web, org, administrations, voucher_manager, cashier
):
    prefecture, _ = administrations
    invoice = prefecture.invoices.get()
    agreement = signed_agreement(voucher_manager, org.region, prefecture)
    web.login(voucher_manager)
    assert web.get("payments:voucher-movement-create").status_code == 200
    web.post(
        "payments:voucher-movement-create",
        data={
            "kind": "receipt",
            "destination": org.region.pk,
            "denomination": "50",
            "serial_from": "1",
            "serial_to": "30",
        },
    )
    response = web.post(
        "payments:voucher-movement-create",
        data={
            "kind": "transfer",
            "source": org.region.pk,
            "destination": org.centres[0].pk,
            "denomination": "50",
            "serial_from": "1",
            "serial_to": "10",
        },
    )
    assert response.status_code == 302
    assert VoucherStock.objects.get(entity=org.centres[0], denomination=50).quantity == 10
    refused = web.post(
        "payments:voucher-movement-create",
        data={"kind": "transfer", "source": org.region.pk, "denomination": "50",
              "serial_from": "1", "serial_to": "2"},
    )  # fmt: skip
    assert refused.status_code == 422
    stock_page = web.get("payments:voucher-stock").content.decode()
    assert 'id="stock-CT11"' in stock_page
    # issue 6 from the centre, then 100 more is refused with a message
    web.post(
        "payments:voucher-agreement-issue",
        agreement.pk,
        data={"issue-entity": org.centres[0].pk, "issue-denomination": "50",
              "issue-serial_from": "1", "issue-serial_to": "6"},
    )  # fmt: skip
    assert VoucherMovement.objects.filter(kind="issue").count() == 1
    response = web.post(
        "payments:voucher-agreement-issue",
        agreement.pk,
        data={"issue-entity": org.centres[0].pk, "issue-denomination": "50",
              "issue-serial_from": "7", "issue-serial_to": "30"},
    )  # fmt: skip
    assert response.status_code == 302
    page = web.get("payments:voucher-agreement-detail", agreement.pk).content.decode()
    assert "24 vignettes demandées, 14 restent à remettre" in page
    assert VoucherMovement.objects.filter(kind="issue").count() == 1
    # the cashier of the centre redeems 4 against the invoice
    web.login(cashier)
    assert web.get("payments:voucher-redeem").status_code == 200
    response = web.post(
        "payments:voucher-redeem",
        data={"account": prefecture.number, "invoice": invoice.number,
              "centre": org.centres[0].pk, "received_on": "2026-02-15",
              "denomination_1": "50", "from_1": "1", "to_1": "3",
              "denomination_2": "50", "from_2": "5"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()
    payment = Payment.objects.get()
    assert (payment.means, payment.amount) == (PaymentMeans.VOUCHER, Decimal("200.00"))
    assert OpenItem.objects.get(invoice=invoice).open_amount == invoice.total_incl_vat - 200
    again = web.post(
        "payments:voucher-redeem",
        data={"account": prefecture.number, "centre": org.centres[0].pk,
              "denomination_1": "50", "from_1": "3"},
    )  # fmt: skip
    assert again.status_code == 422
    assert "déjà utilisées pour régler une facture" in again.content.decode()
    assert Payment.objects.count() == 1


def test_pay_10_statement_screen_and_csv(web, org, administrations, voucher_manager, cashier):
    prefecture, _ = administrations
    agreement = signed_agreement(voucher_manager, org.region, prefecture)
    stocked(voucher_manager, org, [(100, 1, 5)])
    vouchers.voucher_issue(
        actor=voucher_manager, agreement=agreement, entity=org.centres[0], ranges=[(100, 1, 5)]
    )
    vouchers.voucher_redeem(actor=cashier, account=prefecture, ranges=[(100, 1, 2)])
    web.login(voucher_manager)
    page = web.get("payments:voucher-statement", data={"year": "2026"}).content.decode()
    assert f'id="statement-{agreement.pk}"' in page
    assert 'id="total-redeemed">200,00 €' in page
    assert 'id="total-unused">300,00 €' in page
    response = web.get("payments:voucher-statement-csv", data={"year": "2026"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.content.decode("utf-8-sig")
    assert body.splitlines()[1].startswith(f"{agreement.number};")
    assert ";500,00;200,00;300,00;" in body.splitlines()[-1] + ";"


def test_pay_10_screens_query_count_does_not_grow_with_rows(
    web, org, administrations, voucher_manager
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    web.login(voucher_manager)

    def queries(name, *args):
        with CaptureQueriesContext(connection) as captured:
            assert web.get(name, *args).status_code == 200
        return len(captured)

    agreement = signed_agreement(voucher_manager, org.region, administrations[0])
    stocked(voucher_manager, org, [(50, 1, 10)])
    vouchers.voucher_issue(
        actor=voucher_manager, agreement=agreement, entity=org.centres[0], ranges=[(50, 1, 2)]
    )
    before = {n: queries(n) for n in ("payments:vouchers", "payments:voucher-stock")}
    detail_before = queries("payments:voucher-agreement-detail", agreement.pk)
    signed_agreement(voucher_manager, org.region, administrations[1])
    stocked(voucher_manager, org, [(100, 1, 10)], centre=org.centres[1])
    vouchers.voucher_threshold_set(
        actor=voucher_manager, entity=org.centres[2], denomination=20, threshold=3
    )
    vouchers.voucher_issue(
        actor=voucher_manager, agreement=agreement, entity=org.centres[0], ranges=[(50, 3, 6)]
    )
    for name, count in before.items():
        assert queries(name) == count, name
    assert queries("payments:voucher-agreement-detail", agreement.pk) == detail_before
