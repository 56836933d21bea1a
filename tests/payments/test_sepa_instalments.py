"""PAY-3 / PAY-4 with BILL-10 and COLL-5: instalments collected by the SEPA runs, pending payments."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.db.models import Sum
from hypothesis import given
from hypothesis import strategies as st

from robinet.billing import budget
from robinet.billing.choices import BudgetPlanStatus, InstalmentStatus
from robinet.billing.models import BudgetInstalment, BudgetPlan
from robinet.collections import instalments as arithmetic
from robinet.collections import plans
from robinet.collections.choices import InstalmentState, PlanState
from robinet.collections.models import Instalment
from robinet.core import clock
from robinet.core.exceptions import ApplicationError, InvalidTransition, ValidationFailed
from robinet.customers import services as customer_services
from robinet.ledger.models import OpenItem, OpenItemKind
from robinet.organisation.roles import Role
from robinet.payments import holds, pain008, returns, sepa, sepa_selectors
from robinet.payments.models import (
    DebitKind,
    DebitStatus,
    DirectDebitItem,
    DirectDebitRun,
    Payment,
    PaymentMeans,
)
from tests.payments.bankfiles import pain002 as pain002_doc

IBAN = "FR1420041010050500013M02606"
COLLECT_ON = dt.date(2026, 2, 17)  # a Tuesday; "today" is Sunday 15 February 2026
AMOUNT = Decimal("30.00")


@pytest.fixture
def collector(org, make_user):
    return make_user("prelevements", Role.COLLECTION_OFFICER, org.region)


def _mandate(account):
    return sepa.mandate_create(
        actor=None, account=account, signed_on=dt.date(2025, 1, 10), iban=IBAN,
        check_permission=False,
    )  # fmt: skip


def _plan(account, *, period_start, first_due, count=10, mandate=None, status="active"):
    """A monthly-payment plan of ``count`` instalments of 30 € from ``first_due`` (BILL-10)."""
    contract = account.contracts.get()
    plan = BudgetPlan.objects.create(
        account=account,
        contract=contract,
        year=period_start.year,
        period_start=period_start,
        period_end=period_start.replace(year=period_start.year + 1) - dt.timedelta(days=1),
        estimate=AMOUNT * count,
        estimate_volume=Decimal("100.000"),
        estimate_basis="given",
        instalment_count=count,
        day_of_month=first_due.day,
        status=status,
        mandate=mandate,
        created_at=clock.now(),
    )
    BudgetInstalment.objects.bulk_create(
        BudgetInstalment(
            plan=plan,
            position=n,
            due_date=first_due.replace(month=first_due.month + n - 1)
            if first_due.month + n - 1 <= 12
            else first_due.replace(year=first_due.year + 1, month=first_due.month + n - 13),
            amount=AMOUNT,
        )
        for n in range(1, count + 1)
    )
    account.monthly_payment = True
    account.save(update_fields=["monthly_payment"])
    return plan


def _xml_valid(run):
    pain008.validate(bytes(run.file_content), run.version)  # PAY-3: the ISO 20022 XSD


def _run(collector, on=COLLECT_ON):
    return sepa.debit_run_create(actor=collector, collection_date=on)


# --- monthly payment (BILL-10) ------------------------------------------------------------------


def test_bill_10_pay_3_run_collects_due_instalments_as_on_account_credits(billed, collector):
    mandate = _mandate(billed)
    plan = _plan(billed, period_start=dt.date(2026, 1, 1), first_due=dt.date(2026, 1, 5))
    run = _run(collector)
    _xml_valid(run)
    items = list(run.items.order_by("kind", "pk"))
    # The two 2025 bills (not covered by the 2026 plan) and the instalments of 5/1 and 5/2.
    assert sorted(i.kind for i in items) == ["budget", "budget", "invoice", "invoice"]
    first, second = plan.instalments.order_by("position")[:2]
    for instalment in (first, second):
        instalment.refresh_from_db()
        assert instalment.status == InstalmentStatus.COLLECTED
        assert instalment.collected_on == COLLECT_ON
        item = instalment.direct_debit
        assert item.end_to_end_id == f"MENS-{plan.pk}-{instalment.position:02d}-260217"
        assert item.amount == AMOUNT
        assert item.mandate == mandate
        payment = item.payment
        assert payment.means == PaymentMeans.DIRECT_DEBIT
        assert payment.external_reference == item.end_to_end_id
        assert payment.invoice_id is None
        # An on-account credit: the consumption invoice clears it when issued.
        credit = OpenItem.objects.get(payment=payment, kind=OpenItemKind.PAYMENT)
        assert credit.open_amount == -AMOUNT
    assert plan.instalments.filter(status=InstalmentStatus.SCHEDULED).count() == 8
    plan.refresh_from_db()
    assert plan.mandate == mandate
    assert run.total == sum((i.amount for i in items), Decimal(0))
    # The instalments are in the file with their remittance information.
    content = bytes(run.file_content).decode()
    assert f"Mensualite 1/10 2026 abonnement {plan.contract.number}" in content
    # Collected once: the next run has nothing more of this plan until 5 March.
    with pytest.raises(ApplicationError):
        _run(collector, COLLECT_ON + dt.timedelta(days=1))


def test_bill_10_pay_3_bills_a_live_plan_covers_are_never_debited_until_settled(billed, collector):
    """The 2025 bills of a live 2025 plan are paid by its instalments, not debited (no double)."""
    _mandate(billed)
    plan = _plan(billed, period_start=dt.date(2025, 1, 1), first_due=dt.date(2025, 11, 5), count=10)
    BudgetInstalment.objects.filter(plan=plan, due_date__lt=dt.date(2026, 2, 1)).update(
        status=InstalmentStatus.COLLECTED, collected_on=dt.date(2025, 12, 5)
    )
    run = _run(collector)
    assert list(run.items.values_list("kind", flat=True)) == [DebitKind.BUDGET]
    # After the yearly settlement the balance left on the bills is debited by the next run.
    BudgetPlan.objects.filter(pk=plan.pk).update(
        status=BudgetPlanStatus.SETTLED,
        closed_on=dt.date(2026, 2, 16),
        settled_invoiced=Decimal("1"),
        settled_collected=Decimal("1"),
        settled_balance=Decimal("0"),
    )
    later = _run(collector, COLLECT_ON + dt.timedelta(days=1))
    assert sorted(later.items.values_list("kind", flat=True)) == ["invoice", "invoice"]


def test_bill_10_case_7_suspended_plans_and_held_accounts_are_skipped(billed, collector):
    _mandate(billed)
    plan = _plan(billed, period_start=dt.date(2025, 1, 1), first_due=dt.date(2026, 2, 5))
    plan.instalments.update(status=InstalmentStatus.SUSPENDED)
    with pytest.raises(ApplicationError) as error:
        _run(collector)
    assert error.value.code == "nothing_to_collect"
    plan.instalments.update(status=InstalmentStatus.SCHEDULED)
    hold = holds.hold_open(actor=None, account=billed, reason="Réclamation en cours")
    with pytest.raises(ApplicationError):
        _run(collector)
    holds.hold_close(actor=None, hold=hold)
    assert _run(collector).item_count == 1


def test_bill_10_no_active_mandate_no_instalment_debit(billed, collector):
    _plan(billed, period_start=dt.date(2025, 1, 1), first_due=dt.date(2026, 2, 5))
    with pytest.raises(ApplicationError):
        _run(collector)


def test_bill_10_enrolment_links_the_active_mandate_or_waits_for_one(billed):
    billed = customer_services.bank_details_update(
        actor=None, account=billed, iban=IBAN, channel="letter"
    )
    contract = billed.contracts.get()
    plan = budget.plan_enrol(actor=None, contract=contract, volume="100")
    assert plan.mandate is None
    mandate = _mandate(billed)
    plan.refresh_from_db()
    assert plan.mandate == mandate  # PAY-3: the mandate signed afterwards collects it
    with pytest.raises(ValidationFailed) as error:
        budget._mandate_for(billed, "UNKNOWN-UMR")
    assert "mandate_reference" in error.value.fields


# --- rejects (PAY-4) ----------------------------------------------------------------------------


def test_pay_4_round_trip_pain_008_then_pain_002_rejecting_an_instalment(billed, collector):
    _mandate(billed)
    plan = _plan(billed, period_start=dt.date(2025, 1, 1), first_due=dt.date(2026, 2, 5))
    run = _run(collector)
    _xml_valid(run)
    (item,) = run.items.all()
    outcome = returns.return_file_import(
        actor=collector,
        data=pain002_doc([(item.end_to_end_id, "RJCT", "AM04", "30.00")]),
        filename="rejets.xml",
    )
    assert len(outcome.reversed) == 1
    instalment = plan.instalments.get(position=1)
    assert instalment.status == InstalmentStatus.REJECTED
    assert instalment.collected_on == COLLECT_ON  # the date of the debit attempt
    assert item.payment.reversal.reason_code == "AM04"
    item = DirectDebitItem.objects.get(pk=item.pk)
    assert item.status == DebitStatus.REJECTED
    # The credit and its reversal cancel out; the settlement does not count the instalment.
    figures = budget.figures_of(plan)
    assert (figures.collected, figures.rejected) == (Decimal(0), AMOUNT)
    assert returns.consecutive_rejects(billed) == 1  # counted by the consecutive-rejects rule
    # Never debited again automatically; an officer marks it collected once paid otherwise.
    with pytest.raises(ApplicationError):
        _run(collector, COLLECT_ON + dt.timedelta(days=1))
    budget.instalment_collect(actor=None, instalment=instalment)
    assert budget.figures_of(plan).collected == AMOUNT


def test_bill_10_settlement_counts_exactly_the_instalments_collected_not_the_rejected(
    billed, collector
):
    _mandate(billed)
    plan = _plan(billed, period_start=dt.date(2026, 1, 1), first_due=dt.date(2026, 1, 5))
    run = _run(collector)
    rejected = run.items.filter(kind=DebitKind.BUDGET).order_by("pk").first()
    returns.return_file_import(
        actor=collector,
        data=pain002_doc([(rejected.end_to_end_id, "RJCT", "AM04", "30.00")]),
        filename="r.xml",
    )
    collected = plan.instalments.filter(status=InstalmentStatus.COLLECTED)
    assert collected.count() == 1
    live_credits = Payment.objects.filter(
        means=PaymentMeans.DIRECT_DEBIT, invoice__isnull=True, reversal__isnull=True
    )
    # What the settlement will count = the instalment payments still on the account.
    assert sum(p.amount for p in live_credits) == sum(i.amount for i in collected)


# --- payment plans by direct debit (COLL-5) -----------------------------------------------------


def test_coll_5_pay_3_plan_instalments_debited_and_a_reject_breaks_the_plan(billed, collector):
    _mandate(billed)
    plan = plans.payment_plan_create(
        account=billed, count=2, first_due=dt.date(2026, 2, 16), grace_days=5,
        direct_debit=True, actor=None,
    )  # fmt: skip
    first = plan.instalments.get(sequence=1)
    run = _run(collector)
    _xml_valid(run)
    # The plan's debts are not debited as invoices: only its first instalment.
    (item,) = run.items.all()
    assert (item.kind, item.plan_instalment_id, item.amount) == (
        DebitKind.PLAN, first.pk, first.amount,
    )  # fmt: skip
    assert item.end_to_end_id == f"{plan.number}-01-260217"
    assert plans.plans_monitor(on=COLLECT_ON).instalments_paid == 1
    first.refresh_from_db()
    assert first.state == InstalmentState.PAID
    returns.return_file_import(
        actor=collector,
        data=pain002_doc([(item.end_to_end_id, "RJCT", "AM04", str(item.amount))]),
        filename="r.xml",
    )
    first.refresh_from_db()
    assert first.state == InstalmentState.PENDING  # reopened
    # The monitor's rule: unpaid once its date plus the grace period has passed → broken.
    counts = plans.plans_monitor(on=dt.date(2026, 2, 22))
    assert counts.plans_broken == 1
    plan.refresh_from_db()
    assert plan.state == PlanState.BROKEN
    assert Instalment.objects.get(pk=first.pk).state == InstalmentState.MISSED


def test_coll_5_only_plans_paid_by_direct_debit_are_debited(billed, collector):
    _mandate(billed)
    plans.payment_plan_create(account=billed, count=2, first_due=dt.date(2026, 2, 16), actor=None)
    with pytest.raises(ApplicationError):  # the plan's debts are not debited as invoices either
        _run(collector)


@given(
    amounts=st.lists(st.integers(1, 10_000), min_size=1, max_size=12),
    paid=st.integers(-100, 150_000),
)
def test_coll_5_left_to_pay_adds_up_to_what_is_still_owed(amounts, paid):
    rows = [(n, dt.date(2026, 1, 1), Decimal(a) / 100) for n, a in enumerate(amounts, start=1)]
    paid_amount = Decimal(paid) / 100
    owed = arithmetic.left_to_pay(rows, paid=paid_amount)
    total = sum(r[2] for r in rows)
    assert sum(owed.values()) == max(Decimal(0), total - max(Decimal(0), paid_amount))
    assert all(Decimal(0) <= owed[n] <= a for n, _d, a in rows)
    # Oldest first: once one instalment is owed, every later one is owed in full.
    seen_owed = False
    for n, _d, a in rows:
        if seen_owed:
            assert owed[n] == a
        seen_owed = seen_owed or owed[n] > 0


# --- pending until settlement (PAY-3) -----------------------------------------------------------


def test_pay_3_default_settlement_date_is_the_collection_date(billed, collector):
    _mandate(billed)
    run = _run(collector)
    assert sepa.return_days() == 0
    assert run.settles_on == COLLECT_ON
    assert run.settled_on is None


def test_pay_3_payments_pending_until_the_run_is_settled(billed, collector, settings):
    settings.ROBINET_SEPA_RETURN_DAYS = 2
    _mandate(billed)
    run = _run(collector)
    assert run.settles_on == dt.date(2026, 2, 19)  # two TARGET2 business days later
    item = run.items.select_related("payment").first()
    assert item.status == DebitStatus.PENDING
    assert item.payment.is_pending
    # Pending clears the invoice: nothing left open for dunning.
    assert OpenItem.objects.get(invoice=item.invoice).open_amount == 0
    assert sepa_selectors.pending_payments().count() == 2
    with (
        clock.as_of(clock.now() + dt.timedelta(days=3)),
        pytest.raises(ValidationFailed) as error,
    ):
        sepa.debit_runs_settle(actor=collector, run=run, on=dt.date(2026, 2, 18))
    assert "date" in error.value.fields
    with clock.as_of(clock.now() + dt.timedelta(days=5)):
        assert sepa.debit_runs_settle(actor=collector, on=dt.date(2026, 2, 18)) == []
        (settled,) = sepa.debit_runs_settle(actor=collector, on=dt.date(2026, 2, 19))
        with pytest.raises(InvalidTransition):
            sepa.debit_runs_settle(actor=collector, run=run)
    assert settled.settled_on == dt.date(2026, 2, 19)
    item = DirectDebitItem.objects.select_related("payment", "run").get(pk=item.pk)
    assert item.status == DebitStatus.SETTLED
    assert not item.payment.is_pending
    assert not sepa_selectors.pending_payments().exists()


def test_pay_3_settlement_never_in_the_future(billed, collector):
    _mandate(billed)
    _run(collector)
    with pytest.raises(ValidationFailed):
        sepa.debit_runs_settle(actor=collector, on=COLLECT_ON)  # today is 15 February


def test_pay_3_sepa_settle_command(billed, collector):
    _mandate(billed)
    run = _run(collector)
    out = StringIO()
    with clock.as_of(clock.now() + dt.timedelta(days=3)):
        call_command("sepa", "settle", "--date", "2026-02-17", stdout=out)
    assert "1 remise(s) réglée(s)" in out.getvalue()
    run.refresh_from_db()
    assert run.settled_on == COLLECT_ON


# --- database constraints -----------------------------------------------------------------------


def test_pay_3_database_refuses_a_debit_whose_target_is_not_its_kind(billed, collector):
    _mandate(billed)
    run = _run(collector)
    item = run.items.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        DirectDebitItem.objects.create(
            run=run, mandate=item.mandate, account=billed, kind=DebitKind.BUDGET,
            invoice=None, payment=Payment.objects.exclude(pk=item.payment_id).first(),
            end_to_end_id="X-1", sequence="RCUR", amount=Decimal("1.00"),
        )  # fmt: skip


def test_pay_3_database_refuses_settling_before_the_settlement_date(billed, collector):
    _mandate(billed)
    run = _run(collector)
    with pytest.raises(IntegrityError), transaction.atomic():
        DirectDebitRun.objects.filter(pk=run.pk).update(settled_on=COLLECT_ON - dt.timedelta(1))


def test_bill_10_database_refuses_a_rejected_instalment_without_its_date(billed):
    plan = _plan(billed, period_start=dt.date(2026, 1, 1), first_due=dt.date(2026, 3, 5))
    with pytest.raises(IntegrityError), transaction.atomic():
        plan.instalments.filter(position=1).update(status=InstalmentStatus.REJECTED)


def test_pay_3_rep_4_the_collection_statement_counts_a_debit_once_settled(billed, collector):
    """A pending direct debit is not collected money yet: the monthly statement leaves it out."""
    from robinet.reporting.reports.consolidation import statement_figures

    _mandate(billed)
    run = _run(collector)
    centres = [billed.centre_id]
    month = (COLLECT_ON.replace(day=1), COLLECT_ON)

    def debited() -> Decimal:
        figures = statement_figures(centres, *month)
        return sum((f["direct_debit"] for f in figures.values()), Decimal("0.00"))

    assert debited() == Decimal("0.00")
    with clock.as_of(clock.now() + dt.timedelta(days=5)):
        sepa.debit_runs_settle(actor=collector, run=run)
    assert debited() == run.items.aggregate(t=Sum("amount"))["t"]
