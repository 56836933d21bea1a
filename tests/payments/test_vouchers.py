"""PAY-10: prepaid vouchers for administrations — agreements, stock, issue, redemption,
alerts, yearly statement."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from robinet.core.exceptions import InvalidTransition, PermissionDenied, ValidationFailed
from robinet.core.models.append_only import AppendOnlyViolation
from robinet.ledger.models import OpenItem
from robinet.payments import voucher_rules as rules
from robinet.payments import voucher_selectors as selectors
from robinet.payments import vouchers
from robinet.payments.models import (
    Payment,
    PaymentMeans,
    VoucherAgreementStatus,
    VoucherMovement,
    VoucherMovementKind,
    VoucherStock,
)
from tests.payments import voucher_setup
from tests.payments.voucher_setup import signed_agreement, stocked

# fixtures shared with the screen and API tests of vouchers
administrations = voucher_setup.administrations
voucher_manager = voucher_setup.voucher_manager


def _stock(entity, denomination) -> int:
    row = VoucherStock.objects.filter(entity=entity, denomination=denomination).first()
    return row.quantity if row else 0


def _invoice(account):
    return account.invoices.get()


# --- agreements ----------------------------------------------------------------------------


def test_pay_10_agreement_is_numbered_per_year_and_follows_its_lifecycle(
    org, administrations, voucher_manager
):
    prefecture, gendarmerie = administrations
    agreement = vouchers.agreement_create(
        actor=voucher_manager,
        region=org.region,
        year=2026,
        administration_account=prefecture,
        accounts=[gendarmerie],
        quantities={50: 20, 100: 10},
    )
    assert agreement.number == "VIG-2026-0001"
    assert agreement.total_amount == Decimal("2000.00")
    assert agreement.administration_name == prefecture.party.display_name
    assert set(agreement.accounts.all()) == {prefecture, gendarmerie}
    assert agreement.status == VoucherAgreementStatus.DRAFT
    second = vouchers.agreement_create(
        actor=voucher_manager,
        region=org.region,
        year=2026,
        administration_name="Rectorat",
        accounts=[gendarmerie],
        quantities={10: 5},
    )
    assert second.number == "VIG-2026-0002"
    with pytest.raises(InvalidTransition):
        vouchers.agreement_mark_paid(
            actor=voucher_manager, agreement=agreement, treasury_reference="TR-1"
        )
    vouchers.agreement_sign(
        actor=voucher_manager, agreement=agreement, signed_on=dt.date(2026, 2, 1)
    )
    with pytest.raises(ValidationFailed) as error:
        vouchers.agreement_mark_paid(
            actor=voucher_manager, agreement=agreement, treasury_reference=""
        )
    assert "treasury_reference" in error.value.fields
    paid = vouchers.agreement_mark_paid(
        actor=voucher_manager,
        agreement=agreement,
        treasury_reference="DRFIP-2026-118",
        paid_on=dt.date(2026, 2, 10),
    )
    assert paid.status == VoucherAgreementStatus.PAID
    assert paid.paid_on == dt.date(2026, 2, 10)
    closed = vouchers.agreement_close(actor=voucher_manager, agreement=paid)
    assert closed.status == VoucherAgreementStatus.CLOSED


def test_pay_10_agreement_errors_name_the_fields_and_write_nothing(org, administrations, cashier):
    prefecture, _ = administrations
    with pytest.raises(ValidationFailed) as error:
        vouchers.agreement_create(
            actor=None,
            region=org.region,
            year=2026,
            quantities={30: 5, 50: "x"},
            check_permission=False,
        )
    assert {"quantities", "quantity_50", "administration_name", "accounts"} <= set(
        error.value.fields
    )
    with pytest.raises(PermissionDenied):  # a centre's officer does not sign for the region
        vouchers.agreement_create(
            actor=cashier,
            region=org.region,
            year=2026,
            administration_account=prefecture,
            quantities={50: 1},
        )
    assert not selectors.VoucherAgreement.objects.exists()


def test_pay_10_agreement_status_needs_its_dates_in_the_database(
    org, administrations, voucher_manager
):
    agreement = signed_agreement(voucher_manager, org.region, administrations[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        type(agreement).objects.filter(pk=agreement.pk).update(status="paid")


# --- stock and movements -------------------------------------------------------------------


def test_pay_10_receipt_and_supply_of_a_centre_move_the_stock(org, voucher_manager):
    vouchers.voucher_receive(actor=voucher_manager, region=org.region, ranges=[(50, 1, 100)])
    assert _stock(org.region, 50) == 100
    vouchers.voucher_transfer(
        actor=voucher_manager, source=org.region, destination=org.centres[1], ranges=[(50, 1, 30)]
    )
    assert _stock(org.region, 50) == 70
    assert _stock(org.centres[1], 50) == 30
    # a serial cannot be received twice: it is already in stock somewhere
    with pytest.raises(ValidationFailed) as error:
        vouchers.voucher_receive(actor=voucher_manager, region=org.region, ranges=[(50, 95, 105)])
    assert (
        "50 € n° 95 à 100 : en stock à Direction régionale Test" in error.value.fields["serials"][0]
    )
    # transferring serials the region no longer holds is refused
    with pytest.raises(ValidationFailed):
        vouchers.voucher_transfer(
            actor=voucher_manager,
            source=org.region,
            destination=org.centres[2],
            ranges=[(50, 25, 35)],
        )
    assert _stock(org.region, 50) == 70
    assert VoucherMovement.objects.count() == 2


def test_pay_10_a_movement_is_append_only(org, voucher_manager):
    (movement,) = vouchers.voucher_receive(
        actor=voucher_manager, region=org.region, ranges=[(20, 1, 5)]
    )
    with pytest.raises(AppendOnlyViolation):
        movement.delete()
    with pytest.raises(AppendOnlyViolation):
        VoucherMovement.objects.filter(pk=movement.pk).update(serial_to=6)


def test_pay_10_bad_ranges_are_refused_line_by_line(org, voucher_manager):
    with pytest.raises(ValidationFailed) as error:
        vouchers.voucher_receive(
            actor=voucher_manager,
            region=org.region,
            ranges=[(50, 10, 5), (70, 1, 2), (100, 1, 10), (100, 5, 6)],
        )
    messages = error.value.fields["serials"]
    assert messages[0].startswith("Ligne 1 : Le dernier numéro")
    assert messages[1].startswith("Ligne 2 : Valeur faciale inconnue : 70")
    assert not VoucherMovement.objects.exists()


def test_pay_10_issue_beyond_stock_refused(org, administrations, voucher_manager):
    agreement = signed_agreement(voucher_manager, org.region, administrations[0])
    stocked(voucher_manager, org, [(50, 1, 5)])
    vouchers.voucher_receive(actor=voucher_manager, region=org.region, ranges=[(50, 6, 8)])
    with pytest.raises(ValidationFailed) as error:
        vouchers.voucher_issue(
            actor=voucher_manager, agreement=agreement, entity=org.centres[0], ranges=[(50, 1, 8)]
        )
    assert error.value.fields["serials"] == [
        "50 € : 8 vignettes demandées, 5 en stock à Centre 1.1."
    ]
    assert _stock(org.centres[0], 50) == 5
    assert not VoucherMovement.objects.filter(kind=VoucherMovementKind.ISSUE).exists()


def test_pay_10_issue_beyond_the_agreement_quantity_refused(org, administrations, voucher_manager):
    agreement = signed_agreement(voucher_manager, org.region, administrations[0], {50: 4})
    stocked(voucher_manager, org, [(50, 1, 10), (100, 1, 10)])
    vouchers.voucher_issue(
        actor=voucher_manager, agreement=agreement, entity=org.centres[0], ranges=[(50, 1, 3)]
    )
    with pytest.raises(ValidationFailed) as error:
        vouchers.voucher_issue(
            actor=voucher_manager, agreement=agreement, entity=org.centres[0], ranges=[(50, 4, 5)]
        )
    assert "2 vignettes demandées, 1 restent à remettre" in error.value.fields["serials"][0]
    with pytest.raises(ValidationFailed):  # no 100 € on this agreement
        vouchers.voucher_issue(
            actor=voucher_manager, agreement=agreement, entity=org.centres[0], ranges=[(100, 1, 1)]
        )
    assert _stock(org.centres[0], 50) == 7


def test_pay_10_no_issue_on_a_draft_agreement(org, administrations, voucher_manager):
    draft = vouchers.agreement_create(
        actor=voucher_manager,
        region=org.region,
        year=2026,
        administration_account=administrations[0],
        quantities={50: 4},
    )
    stocked(voucher_manager, org, [(50, 1, 4)])
    with pytest.raises(InvalidTransition):
        vouchers.voucher_issue(
            actor=voucher_manager, agreement=draft, entity=org.centres[0], ranges=[(50, 1, 4)]
        )


def test_pay_10_return_exchange_and_cancellation(org, administrations, voucher_manager):
    agreement = signed_agreement(voucher_manager, org.region, administrations[0])
    stocked(voucher_manager, org, [(50, 1, 20), (100, 1, 10)])
    vouchers.voucher_issue(
        actor=voucher_manager, agreement=agreement, entity=org.centres[0], ranges=[(50, 1, 10)]
    )
    # two 50 € taken back against one 100 €
    vouchers.voucher_exchange(
        actor=voucher_manager,
        agreement=agreement,
        entity=org.centres[0],
        taken=[(50, 9, 10)],
        given=[(100, 1, 1)],
    )
    with pytest.raises(ValidationFailed) as error:
        vouchers.voucher_exchange(
            actor=voucher_manager,
            agreement=agreement,
            entity=org.centres[0],
            taken=[(50, 1, 1)],
            given=[(100, 2, 2)],
        )
    assert "given" in error.value.fields
    vouchers.voucher_return(
        actor=voucher_manager, agreement=agreement, entity=org.centres[0], ranges=[(50, 7, 8)]
    )
    vouchers.voucher_cancel(
        actor=voucher_manager, agreement=agreement, ranges=[(50, 6, 6)], reason="Perdue"
    )
    vouchers.voucher_cancel(
        actor=voucher_manager, entity=org.centres[0], ranges=[(50, 20, 20)], reason="Abîmée"
    )
    assert _stock(org.centres[0], 50) == 20 - 10 + 2 + 2 - 1
    assert _stock(org.centres[0], 100) == 9
    (figures_50, figures_100) = selectors.agreement_figures(agreement)
    assert (figures_50.issued, figures_50.cancelled, figures_50.unused) == (6, 1, 5)
    assert (figures_100.issued, figures_100.unused) == (1, 1)
    with pytest.raises(ValidationFailed):  # a cancelled voucher cannot come back
        vouchers.voucher_return(
            actor=voucher_manager, agreement=agreement, entity=org.centres[0], ranges=[(50, 6, 6)]
        )


# --- redemption ----------------------------------------------------------------------------


def test_pay_10_redemption_pays_the_administrations_invoice(
    org, administrations, voucher_manager, cashier
):
    prefecture, _ = administrations
    invoice = _invoice(prefecture)
    agreement = signed_agreement(voucher_manager, org.region, prefecture)
    stocked(voucher_manager, org, [(50, 1, 20), (100, 1, 10)])
    vouchers.voucher_issue(
        actor=voucher_manager,
        agreement=agreement,
        entity=org.centres[0],
        ranges=[(50, 1, 4), (100, 1, 2)],
    )
    payment = vouchers.voucher_redeem(
        actor=cashier, account=prefecture, ranges=[(50, 1, 3), (100, 2, 2)], invoice=invoice
    )
    assert payment.means == PaymentMeans.VOUCHER
    assert payment.amount == Decimal("250.00")
    assert payment.centre == org.centres[0]
    assert payment.payer_reference == "Vignettes 50 € n° 1 à 3, 100 € n° 2"
    item = OpenItem.objects.get(invoice=invoice)
    assert item.open_amount == invoice.total_incl_vat - Decimal("250.00")
    redeemed = VoucherMovement.objects.filter(kind=VoucherMovementKind.REDEMPTION)
    assert redeemed.aggregate(q=Sum("quantity"))["q"] == 4
    assert set(redeemed.values_list("payment_id", flat=True)) == {payment.pk}
    figures = {f.denomination: f for f in selectors.agreement_figures(agreement)}
    assert figures[50].redeemed_amount == Decimal("150")
    assert figures[100].unused == 1


def test_pay_10_serial_redeemed_twice_refused(org, administrations, voucher_manager, cashier):
    prefecture, _ = administrations
    agreement = signed_agreement(voucher_manager, org.region, prefecture)
    stocked(voucher_manager, org, [(50, 1, 5)])
    vouchers.voucher_issue(
        actor=voucher_manager, agreement=agreement, entity=org.centres[0], ranges=[(50, 1, 5)]
    )
    vouchers.voucher_redeem(actor=cashier, account=prefecture, ranges=[(50, 2, 2)])
    with pytest.raises(ValidationFailed) as error:
        vouchers.voucher_redeem(actor=cashier, account=prefecture, ranges=[(50, 1, 3)])
    assert error.value.fields["serials"] == [
        "Vignettes 50 € n° 2 : déjà utilisées pour régler une facture."
    ]
    assert Payment.objects.count() == 1
    assert VoucherMovement.objects.filter(kind=VoucherMovementKind.REDEMPTION).count() == 1


def test_pay_10_redemption_by_another_administration_refused(
    org, administrations, voucher_manager, cashier
):
    prefecture, gendarmerie = administrations
    agreement = signed_agreement(voucher_manager, org.region, prefecture)
    stocked(voucher_manager, org, [(100, 1, 5)])
    vouchers.voucher_issue(
        actor=voucher_manager, agreement=agreement, entity=org.centres[0], ranges=[(100, 1, 5)]
    )
    balance_before = OpenItem.objects.filter(account=gendarmerie).aggregate(t=Sum("open_amount"))
    with pytest.raises(ValidationFailed) as error:
        vouchers.voucher_redeem(actor=cashier, account=gendarmerie, ranges=[(100, 1, 2)])
    assert "qui ne couvre pas le compte" in error.value.fields["serials"][0]
    assert not Payment.objects.exists()
    assert (
        OpenItem.objects.filter(account=gendarmerie).aggregate(t=Sum("open_amount"))
        == balance_before
    )
    # vouchers still in stock were never handed to anyone
    with pytest.raises(ValidationFailed) as error:
        vouchers.voucher_redeem(actor=cashier, account=prefecture, ranges=[(100, 9, 9)])
    assert "jamais réceptionnées" in error.value.fields["serials"][0]


def test_pay_10_redemption_needs_the_right_to_take_payments(
    org, administrations, voucher_manager, make_user
):
    from robinet.organisation.roles import Role

    prefecture, _ = administrations
    agreement = signed_agreement(voucher_manager, org.region, prefecture)
    stocked(voucher_manager, org, [(50, 1, 2)])
    vouchers.voucher_issue(
        actor=voucher_manager, agreement=agreement, entity=org.centres[0], ranges=[(50, 1, 2)]
    )
    elsewhere = make_user("ailleurs", Role.COLLECTION_OFFICER, org.centres[3])
    with pytest.raises(PermissionDenied):
        vouchers.voucher_redeem(actor=elsewhere, account=prefecture, ranges=[(50, 1, 1)])
    assert not Payment.objects.exists()


# --- alerts and statement ------------------------------------------------------------------


def test_pay_10_stock_alerts_list_centres_under_their_threshold(org, voucher_manager, cashier):
    stocked(voucher_manager, org, [(50, 1, 10)], centre=org.centres[0])
    stocked(voucher_manager, org, [(50, 11, 40)], centre=org.centres[1])
    vouchers.voucher_threshold_set(
        actor=voucher_manager, entity=org.centres[0], denomination=50, threshold=15
    )
    vouchers.voucher_threshold_set(
        actor=voucher_manager, entity=org.centres[1], denomination=50, threshold=15
    )
    vouchers.voucher_threshold_set(
        actor=voucher_manager, entity=org.centres[2], denomination=100, threshold=8
    )
    alerts = selectors.stock_alerts(user=voucher_manager)
    assert [(a.entity, a.denomination, a.quantity) for a in alerts] == [
        (org.centres[2], 100, 0),
        (org.centres[0], 50, 10),
    ]
    # the centre's officer sees only his centre
    assert [a.entity for a in selectors.stock_alerts(user=cashier)] == [org.centres[0]]
    with pytest.raises(ValidationFailed) as error:
        vouchers.voucher_threshold_set(
            actor=voucher_manager, entity=org.centres[0], denomination=50, threshold=-1
        )
    assert "alert_threshold" in error.value.fields


def test_pay_10_yearly_statement_sums(org, administrations, voucher_manager, cashier):
    prefecture, gendarmerie = administrations
    first = signed_agreement(voucher_manager, org.region, prefecture, {50: 10, 100: 5})
    second = signed_agreement(voucher_manager, org.region, gendarmerie, {20: 10})
    vouchers.agreement_mark_paid(actor=voucher_manager, agreement=first, treasury_reference="T-1")
    signed_agreement(voucher_manager, org.region, gendarmerie, {20: 3}, year=2025)
    stocked(voucher_manager, org, [(50, 1, 10), (100, 1, 5), (20, 1, 10)])
    vouchers.voucher_issue(
        actor=voucher_manager,
        agreement=first,
        entity=org.centres[0],
        ranges=[(50, 1, 10), (100, 1, 2)],
    )
    vouchers.voucher_issue(
        actor=voucher_manager, agreement=second, entity=org.centres[0], ranges=[(20, 1, 4)]
    )
    vouchers.voucher_redeem(actor=cashier, account=prefecture, ranges=[(50, 1, 4), (100, 1, 1)])
    vouchers.voucher_redeem(actor=cashier, account=gendarmerie, ranges=[(20, 2, 3)])
    result = selectors.statement(user=voucher_manager, year=2026)
    assert [r.agreement for r in result.rows] == [first, second]
    assert result.agreed_amount == Decimal("1000") + Decimal("200")
    assert result.issued_amount == Decimal("700") + Decimal("80")
    assert result.redeemed_amount == Decimal("300") + Decimal("40")
    assert result.unused_amount == Decimal("400") + Decimal("40")
    assert result.paid_amount == Decimal("1000")
    by_value = {f.denomination: f for f in result.by_denomination()}
    assert (by_value[50].issued, by_value[50].redeemed, by_value[50].unused) == (10, 4, 6)
    csv_text = selectors.statement_csv(result)
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("Convention;Administration;")
    assert len(lines) == 1 + 3 + 1  # header, one line per face value, total
    assert lines[-1].split(";")[9:12] == ["780,00", "340,00", "440,00"]


# --- property: stock never negative, stock = Σ movements -----------------------------------

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["receive", "transfer", "issue", "return", "cancel", "redeem"]),
        st.sampled_from([50, 100]),
        # first serial: the region starts with 1–60 of each; few starts so that later
        # operations often meet the serials earlier ones moved
        st.sampled_from([1, 2, 4, 6, 10, 58, 61]),
        st.integers(0, 4),  # length − 1
        st.sampled_from([0, 0, 1, 2]),  # region (twice as often), first centre, second centre
    ),
    min_size=4,
    max_size=25,
)


@pytest.mark.django_db
@settings(
    max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(operations=OPERATIONS)
def test_pay_10_property_stock_never_negative_and_equals_the_movements(
    org, administrations, voucher_manager, operations
):
    """PAY-10: whatever the sequence of movements, accepted or refused, every stock is ≥ 0 and
    equals Σ movements, and every serial is in one place only."""
    prefecture, _ = administrations
    entities = [org.region, org.centres[0], org.centres[1]]
    with transaction.atomic():
        agreement = signed_agreement(voucher_manager, org.region, prefecture, {50: 30, 100: 30})
        vouchers.voucher_receive(
            actor=voucher_manager, region=org.region, ranges=[(50, 1, 60), (100, 1, 60)]
        )
        handed: list[tuple[int, int, int]] = []  # ranges issued, to return or redeem later
        for action, denomination, first, length, where in operations:
            ranges = [(denomination, first, first + length)]
            if action in ("return", "redeem") and handed:
                d, a, b = handed[first % len(handed)]
                ranges = [(d, a + length // 2, b)] if a + length // 2 <= b else [(d, a, b)]
            entity = entities[where]
            try:
                if action == "receive":
                    vouchers.voucher_receive(
                        actor=voucher_manager, region=org.region, ranges=ranges
                    )
                elif action == "transfer":
                    vouchers.voucher_transfer(
                        actor=voucher_manager,
                        source=entity,
                        destination=entities[(where + 1) % 3],
                        ranges=ranges,
                    )
                elif action == "issue":
                    vouchers.voucher_issue(
                        actor=voucher_manager, agreement=agreement, entity=entity, ranges=ranges
                    )
                    handed.extend(ranges)
                elif action == "return":
                    vouchers.voucher_return(
                        actor=voucher_manager, agreement=agreement, entity=entity, ranges=ranges
                    )
                elif action == "cancel":
                    vouchers.voucher_cancel(
                        actor=voucher_manager, entity=entity, ranges=ranges, reason="Test"
                    )
                else:
                    vouchers.voucher_redeem(actor=None, account=prefecture, ranges=ranges,
                                            check_permission=False)  # fmt: skip
            except ValidationFailed:
                pass
        movements = list(VoucherMovement.objects.order_by("pk"))
        expected = rules.stock_deltas(
            (
                rules.Move(m.kind, m.serial_from, m.serial_to, m.source_id, m.destination_id),
                m.denomination,
            )
            for m in movements
        )
        stock = {(s.entity_id, s.denomination): s.quantity for s in VoucherStock.objects.all()}
        assert all(q >= 0 for q in stock.values())
        assert {k: v for k, v in stock.items() if v} == {k: v for k, v in expected.items() if v}
        for denomination in (50, 100):
            history = [
                rules.Move(m.kind, m.serial_from, m.serial_to, m.source_id, m.destination_id,
                           m.agreement_id)
                for m in movements
                if m.denomination == denomination
            ]  # fmt: skip
            segments = rules.locate(history, 1, 100)
            for entity in entities:
                at = sum(b - a + 1 for a, b, p in segments if p == ("entity", entity.pk))
                assert at == stock.get((entity.pk, denomination), 0)
        transaction.set_rollback(True)


def test_pay_10_yearly_statement_command(org, administrations, voucher_manager, cashier, tmp_path):
    from django.core.management import CommandError, call_command

    agreement = signed_agreement(voucher_manager, org.region, administrations[0], {50: 4})
    stocked(voucher_manager, org, [(50, 1, 4)])
    vouchers.voucher_issue(
        actor=voucher_manager, agreement=agreement, entity=org.centres[0], ranges=[(50, 1, 4)]
    )
    vouchers.voucher_redeem(actor=cashier, account=administrations[0], ranges=[(50, 1, 1)])
    target = tmp_path / "bilan.csv"
    call_command("voucher_statement", year=2026, region=org.region.code, output=str(target))
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert lines[1].startswith(f"{agreement.number};")
    assert lines[-1].split(";")[9:12] == ["200,00", "50,00", "150,00"]
    with pytest.raises(CommandError):
        call_command("voucher_statement", year=2026, region="NOPE")


# --- pure rules ----------------------------------------------------------------------------

MOVES = st.lists(
    st.builds(
        lambda kind, a, n, src, dst, agr: rules.Move(kind, a, a + n, src, dst, agr),
        st.sampled_from(
            [
                rules.RECEIPT,
                rules.TRANSFER,
                rules.ISSUE,
                rules.RETURN,
                rules.REDEMPTION,
                rules.CANCELLATION,
            ]
        ),
        st.integers(1, 30),
        st.integers(0, 8),
        st.sampled_from([None, 1, 2]),
        st.sampled_from([None, 1, 2]),
        st.sampled_from([None, 7]),
    ),  # fmt: skip
    max_size=15,
)


@given(moves=MOVES, first=st.integers(1, 40), span=st.integers(0, 10))
def test_pay_10_locate_agrees_with_a_serial_by_serial_replay(moves, first, span):
    """PAY-10 (pure): the segments of ``locate`` are exactly where each serial ends up,
    contiguous, covering the range, merged when neighbours share a place."""
    last = first + span
    places = {serial: None for serial in range(first, last + 1)}
    for move in moves:
        for serial in range(max(first, move.serial_from), min(last, move.serial_to) + 1):
            places[serial] = rules.destination(move)
    segments = rules.locate(moves, first, last)
    assert segments[0][0] == first
    assert segments[-1][1] == last
    for (_a, end, place), (start, _b, following) in zip(segments, segments[1:], strict=False):
        assert start == end + 1
        assert place != following
    assert {s: p for a, b, p in segments for s in range(a, b + 1)} == places


def test_pay_10_ranges_overlap_per_face_value_only():
    assert rules.ranges_overlap([(50, 1, 10), (50, 10, 12)])
    assert not rules.ranges_overlap([(50, 1, 10), (100, 5, 6), (50, 11, 12)])
