"""COLL-5 payment plans and promises, COLL-6 diagnosis, COLL-4 FSL pause: the services."""

import datetime as dt
from decimal import Decimal

import pytest

from robinet.collections import plans
from robinet.collections.choices import BlockReason, DebtStage, EventKind
from robinet.collections.models import (
    CollectionBlock,
    CollectionEvent,
    DebtCase,
    DebtorDiagnosis,
    Instalment,
    PaymentPlan,
    PaymentPromise,
)
from robinet.core.exceptions import (
    ApplicationError,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from tests.collections import plan_fixtures
from tests.collections.plan_fixtures import TODAY, debts, pay

today = plan_fixtures.today
collector = plan_fixtures.collector
outsider = plan_fixtures.outsider
debtor = plan_fixtures.debtor

pytestmark = pytest.mark.django_db


def _plan(account, actor, **kw):
    args = {"count": 3, "first_due": dt.date(2026, 3, 5), "down_payment": Decimal("50.00")}
    return plans.payment_plan_create(account=account, actor=actor, **{**args, **kw})


def _nothing_written():
    assert not PaymentPlan.objects.exists()
    assert not Instalment.objects.exists()
    assert not CollectionEvent.objects.exists()
    assert not DebtCase.objects.exists()


def test_coll_5_a_plan_covers_all_open_debts_with_a_down_payment_and_monthly_instalments(
    debtor, collector
):
    plan = _plan(debtor, collector)
    assert plan.number == "ECH-2026-000001"
    assert plan.total == Decimal("450.50")
    assert plan.agreed_on == TODAY
    assert plan.items.count() == 2
    rows = list(plan.instalments.values_list("sequence", "due_on", "amount", "state"))
    assert rows == [
        (1, TODAY, Decimal("50.00"), "pending"),
        (2, dt.date(2026, 3, 5), Decimal("133.50"), "pending"),
        (3, dt.date(2026, 4, 5), Decimal("133.50"), "pending"),
        (4, dt.date(2026, 5, 5), Decimal("133.50"), "pending"),
    ]
    event = CollectionEvent.objects.get()
    assert event.kind == EventKind.PLAN_CREATED
    assert event.plan == plan
    assert event.actor == collector
    assert "ECH-2026-000001" in event.summary
    assert DebtCase.objects.get(account=debtor).stage == DebtStage.PLAN
    # COLL-3: one active plan per account.
    with pytest.raises(ApplicationError) as caught:
        _plan(debtor, collector)
    assert caught.value.code == "plan_exists"


def test_coll_5_a_plan_may_cover_chosen_items_only(debtor, collector):
    first, _second = debtor.open_items.order_by("pk")
    plan = _plan(debtor, collector, items=[first], down_payment=Decimal("0"), count=2)
    assert plan.total == Decimal("300.00")
    assert [i.amount for i in plan.instalments.all()] == [Decimal("150.00")] * 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"count": 0}, "count"),
        ({"count": 40}, "count"),
        ({"down_payment": Decimal("450.50")}, "down_payment"),
        ({"down_payment": "abc"}, "down_payment"),
        ({"first_due": dt.date(2026, 2, 1)}, "first_due"),
        ({"grace_days": 90}, "grace_days"),
        ({"direct_debit": True}, "direct_debit"),
        ({"items": [999999]}, "items"),
    ],
    ids=["no_instalment_case", "too_many_case", "down_payment_all_case", "down_payment_text_case",
         "first_due_past_case", "grace_case", "no_mandate_case", "foreign_item_case"],
)  # fmt: skip
def test_coll_5_a_refused_plan_names_the_field_and_writes_nothing(debtor, collector, kwargs, field):
    with pytest.raises(ValidationFailed) as caught:
        _plan(debtor, collector, **kwargs)
    assert field in caught.value.fields
    assert all(m for m in caught.value.fields[field])
    _nothing_written()


def test_coll_5_an_account_without_debt_gets_no_plan(org, collector):
    from tests.customers import factories

    account = factories.person(org.centres[0])
    with pytest.raises(ValidationFailed) as caught:
        _plan(account, collector)
    assert "items" in caught.value.fields
    _nothing_written()


def test_coll_5_direct_debit_needs_an_active_sepa_mandate(debtor, collector):
    from robinet.payments.models import Mandate

    Mandate.objects.create(
        umr="RUM-TEST-1", account=debtor, debtor_name="Hélène Lefèvre",
        iban="FR7630006000011234567890189", signed_on=TODAY, creditor_id="FR00ZZZ000000",
        created_at=plans.clock.now(),
    )  # fmt: skip
    plan = _plan(debtor, collector, direct_debit=True)
    assert plan.direct_debit


def test_coll_5_permission_denied_writes_nothing(debtor, outsider, make_user, org):
    from robinet.organisation.roles import Role

    with pytest.raises(PermissionDenied):
        _plan(debtor, outsider)
    viewer = make_user("lecteur", Role.CUSTOMER_OFFICER, org.centres[0])
    with pytest.raises(PermissionDenied):
        _plan(debtor, viewer)
    _nothing_written()


def test_coll_5_sign_and_cancel(debtor, collector):
    plan = _plan(debtor, collector)
    plans.payment_plan_sign(plan=plan, signed_on=TODAY, actor=collector)
    plan.refresh_from_db()
    assert plan.signed_on == TODAY
    with pytest.raises(InvalidTransition):
        plans.payment_plan_sign(plan=plan, actor=collector)
    with pytest.raises(ValidationFailed) as caught:
        plans.payment_plan_cancel(plan=plan, reason="  ", actor=collector)
    assert "reason" in caught.value.fields
    plans.payment_plan_cancel(plan=plan, reason="Demande du client", actor=collector)
    plan.refresh_from_db()
    assert (plan.state, plan.closed_on, plan.note) == ("cancelled", TODAY, "Demande du client")
    assert DebtCase.objects.get(account=debtor).stage == DebtStage.REMINDERS
    with pytest.raises(InvalidTransition):
        plans.payment_plan_cancel(plan=plan, reason="encore", actor=collector)
    # Another plan may now be agreed.
    assert _plan(debtor, collector).number == "ECH-2026-000002"


def test_coll_5_monitor_keeps_a_plan_paid_in_full_and_closes_the_case(debtor, collector):
    plan = _plan(debtor, collector)
    pay(debtor, "50.00")
    counts = plans.plans_monitor(on=TODAY)
    assert (counts.plans_kept, counts.plans_broken, counts.instalments_paid) == (0, 0, 1)
    assert list(plan.instalments.values_list("state", flat=True)) == ["paid"] + ["pending"] * 3
    pay(debtor, "400.50", on=dt.date(2026, 4, 1))
    counts = plans.plans_monitor(on=dt.date(2026, 4, 2))
    assert (counts.plans_kept, counts.instalments_paid) == (1, 3)
    plan.refresh_from_db()
    assert (plan.state, plan.closed_on) == ("kept", dt.date(2026, 4, 2))
    assert CollectionEvent.objects.filter(kind=EventKind.PLAN_KEPT, plan=plan).count() == 1
    assert DebtCase.objects.get(account=debtor).stage == DebtStage.CLOSED
    # Idempotent: nothing more to do.
    assert plans.plans_monitor(on=dt.date(2026, 4, 3)).plans_kept == 0


def test_coll_5_a_kept_plan_whose_last_payment_is_rejected_runs_again_then_breaks(
    debtor, collector
):
    """COLL-5, PAY-4: the payment that completed a plan comes back (a rejected debit, a
    bounced cheque): the plan runs again with the instalments it now lacks, the debt case
    is back under the plan, and without a new payment the plan breaks after the grace."""
    from robinet.payments.services import payment_reverse

    plan = _plan(debtor, collector, grace_days=10)
    pay(debtor, "50.00")
    pay(debtor, "133.50", on=dt.date(2026, 3, 5))
    pay(debtor, "133.50", on=dt.date(2026, 4, 5))
    last = pay(debtor, "133.50", on=dt.date(2026, 5, 5))
    assert plans.plans_monitor(on=dt.date(2026, 5, 6)).plans_kept == 1
    assert DebtCase.objects.get(account=debtor).stage == DebtStage.CLOSED

    payment_reverse(
        actor=None, payment=last, reason="Prélèvement rejeté", on=dt.date(2026, 5, 10),
        check_permission=False,
    )  # fmt: skip
    counts = plans.plans_monitor(on=dt.date(2026, 5, 11))
    assert (counts.plans_reopened, counts.plans_kept, counts.plans_broken) == (1, 0, 0)
    plan.refresh_from_db()
    assert (plan.state, plan.closed_on) == ("active", None)
    assert list(plan.instalments.values_list("state", flat=True)) == ["paid"] * 3 + ["pending"]
    event = CollectionEvent.objects.get(kind=EventKind.PLAN_REOPENED, plan=plan)
    assert "133,50" in event.summary
    assert DebtCase.objects.get(account=debtor).stage == DebtStage.PLAN
    # Idempotent while it runs; 5 May and 10 days of grace: broken on the 16th.
    assert plans.plans_monitor(on=dt.date(2026, 5, 15)).plans_reopened == 0
    broken = plans.plans_monitor(on=dt.date(2026, 5, 16))
    assert broken.plans_broken == 1
    plan.refresh_from_db()
    assert plan.state == "broken"
    assert DebtCase.objects.get(account=debtor).stage == DebtStage.REMINDERS


def test_coll_5_a_kept_plan_stays_kept_when_a_payment_outside_it_is_reversed(debtor, collector):
    """COLL-5: only a shortfall on the plan's own items reopens it."""
    plan = _plan(debtor, collector)
    pay(debtor, "450.50", on=dt.date(2026, 3, 1))
    assert plans.plans_monitor(on=dt.date(2026, 3, 2)).plans_kept == 1
    assert plans.plans_monitor(on=dt.date(2026, 3, 3)).plans_reopened == 0
    plan.refresh_from_db()
    assert plan.state == "kept"


def test_coll_5_a_missed_instalment_after_the_grace_period_breaks_the_plan(debtor, collector):
    plan = _plan(debtor, collector, grace_days=10)
    pay(debtor, "50.00")
    # 5 March due, 10 days of grace: still running on the 15th, broken on the 16th.
    assert plans.plans_monitor(on=dt.date(2026, 3, 15)).plans_broken == 0
    counts = plans.plans_monitor(on=dt.date(2026, 3, 16))
    assert (counts.plans_broken, counts.instalments_missed) == (1, 1)
    plan.refresh_from_db()
    assert (plan.state, plan.closed_on) == ("broken", dt.date(2026, 3, 16))
    assert list(plan.instalments.values_list("state", flat=True)) == [
        "paid", "missed", "pending", "pending"
    ]  # fmt: skip
    event = CollectionEvent.objects.get(kind=EventKind.PLAN_BROKEN)
    assert event.next_step == "Reprise des relances"
    assert event.plan == plan
    case = DebtCase.objects.get(account=debtor)
    assert (case.stage, case.next_step) == (DebtStage.REMINDERS, "Reprise des relances")
    # COLL-5: dunning reads plans itself — no block row is written for a plan.
    assert not CollectionBlock.objects.exists()


def test_coll_5_promise_kept_when_payments_reach_the_amount(debtor, collector):
    promise = plans.promise_create(
        account=debtor, due_on=dt.date(2026, 2, 28), amount="100", actor=collector
    )
    assert promise.state == "pending"
    assert DebtCase.objects.get(account=debtor).stage == DebtStage.PROMISE
    with pytest.raises(ApplicationError) as caught:
        plans.promise_create(account=debtor, due_on=TODAY, amount="1", actor=collector)
    assert caught.value.code == "promise_exists"
    pay(debtor, "60.00", on=dt.date(2026, 2, 20))
    assert plans.plans_monitor(on=dt.date(2026, 2, 21)).promises_kept == 0
    pay(debtor, "40.00", on=dt.date(2026, 2, 25))
    counts = plans.plans_monitor(on=dt.date(2026, 2, 26))
    assert (counts.promises_kept, counts.promises_broken) == (1, 0)
    promise.refresh_from_db()
    assert (promise.state, promise.closed_on) == ("kept", dt.date(2026, 2, 26))
    assert CollectionEvent.objects.filter(kind=EventKind.PROMISE_KEPT).count() == 1


def test_coll_5_promise_broken_after_its_date_and_grace(debtor, collector):
    plans.promise_create(
        account=debtor, due_on=dt.date(2026, 2, 28), amount="100", grace_days=3, actor=collector
    )
    pay(debtor, "20.00", on=dt.date(2026, 2, 14))  # before the promise: does not count
    pay(debtor, "30.00", on=dt.date(2026, 2, 20))
    assert plans.plans_monitor(on=dt.date(2026, 3, 3)).promises_broken == 0
    counts = plans.plans_monitor(on=dt.date(2026, 3, 4))
    assert counts.promises_broken == 1
    promise = PaymentPromise.objects.get()
    assert promise.state == "broken"
    event = CollectionEvent.objects.get(kind=EventKind.PROMISE_BROKEN)
    assert "30,00" in event.summary
    assert DebtCase.objects.get(account=debtor).stage == DebtStage.REMINDERS


def test_coll_5_promise_refusals_name_the_field(debtor, collector):
    with pytest.raises(ValidationFailed) as caught:
        plans.promise_create(account=debtor, due_on=TODAY, amount="0", actor=collector)
    assert "amount" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        plans.promise_create(
            account=debtor, due_on=dt.date(2026, 2, 1), amount="10", actor=collector
        )
    assert "due_on" in caught.value.fields
    assert not PaymentPromise.objects.exists()
    assert not CollectionEvent.objects.exists()


def test_coll_5_promise_cancel(debtor, collector):
    promise = plans.promise_create(account=debtor, due_on=TODAY, amount="10", actor=collector)
    plans.promise_cancel(promise=promise, reason="Erreur de saisie", actor=collector)
    promise.refresh_from_db()
    assert promise.state == "cancelled"
    assert promise.closed_on == TODAY
    with pytest.raises(InvalidTransition):
        plans.promise_cancel(promise=promise, actor=collector)


def test_coll_6_diagnosis_records_figures_capacity_and_orientation(debtor, collector):
    record = plans.diagnosis_record(
        account=debtor, household_size=2, monthly_income="1800", monthly_charges="700",
        assets="0", liabilities="0", actor=collector,
    )  # fmt: skip
    assert record.debt == Decimal("450.50")  # what the account owes
    assert record.monthly_capacity == Decimal("200.00")  # 1 800 − 700 − 900
    assert record.suggested_instalments == 3
    assert record.orientation == "none"
    assert not hasattr(record, "comment")  # CUST-8: figures only
    assert CollectionEvent.objects.get().kind == EventKind.DIAGNOSIS
    assert not CollectionBlock.objects.exists()


def test_coll_6_refused_diagnosis_names_the_field(debtor, collector):
    with pytest.raises(ValidationFailed) as caught:
        plans.diagnosis_record(
            account=debtor, household_size=0, monthly_income="1800", monthly_charges="700",
            actor=collector,
        )  # fmt: skip
    assert "household_size" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        plans.diagnosis_record(
            account=debtor, household_size=1, monthly_income="-3", monthly_charges="700",
            actor=collector,
        )  # fmt: skip
    assert "monthly_income" in caught.value.fields
    assert not DebtorDiagnosis.objects.exists()


def test_coll_4_an_fsl_application_pauses_collection_until_the_decision(debtor, collector):
    plans.diagnosis_record(
        account=debtor, household_size=4, monthly_income="1500", monthly_charges="900",
        fsl_requested=True, actor=collector,
    )  # fmt: skip
    block = CollectionBlock.objects.get()
    assert (block.reason, block.starts_on, block.lifted_on) == (BlockReason.FSL_PENDING, TODAY,
                                                                 None)  # fmt: skip
    assert DebtorDiagnosis.objects.get().orientation == "fsl"
    lifted = plans.fsl_decision(account=debtor, on=dt.date(2026, 3, 10), actor=collector)
    assert lifted == 1
    block.refresh_from_db()
    assert (block.lifted_on, block.lifted_by) == (dt.date(2026, 3, 10), collector)
    assert CollectionEvent.objects.filter(kind=EventKind.UNBLOCK).count() == 1
    with pytest.raises(InvalidTransition):
        plans.fsl_decision(account=debtor, actor=collector)


def test_coll_5_monitor_reads_many_plans_in_a_fixed_number_of_queries(
    org, collector, today, django_assert_max_num_queries
):
    from tests.customers import factories

    accounts = [factories.person(org.centres[0]) for _ in range(6)]
    for account in accounts:
        debts(account, "90.00")
        _plan(account, collector, down_payment=Decimal("0"))
    with django_assert_max_num_queries(14):
        counts = plans.plans_monitor(on=dt.date(2026, 3, 20))
    assert counts.plans_broken == 6


def test_coll_5_the_monitor_command_prints_counts_and_refuses_a_bad_date(debtor, collector):
    import io

    from django.core.management import CommandError, call_command

    _plan(debtor, collector, grace_days=0)
    out = io.StringIO()
    call_command("payment_plans", "monitor", "--date", "2026-03-06", stdout=out)
    assert "1 rompu(s)" in out.getvalue()
    assert "0 respecté(s)" in out.getvalue()
    assert "0 tenue(s)" in out.getvalue()
    with pytest.raises(CommandError, match="Date invalide"):
        call_command("payment_plans", "monitor", "--date", "31/02/2026")


def test_coll_5_the_agreement_states_the_terms_the_schedule_and_two_signatures(debtor, collector):
    import io

    from pypdf import PdfReader

    from robinet.collections.agreement_pdf import agreement_data, agreement_pdf
    from robinet.payments.models import Mandate

    Mandate.objects.create(
        umr="RUM-TEST-9", account=debtor, debtor_name="Hélène Lefèvre",
        iban="FR7630006000011234567890189", signed_on=TODAY, creditor_id="FR00ZZZ000000",
        created_at=plans.clock.now(),
    )  # fmt: skip
    plan = _plan(debtor, collector, direct_debit=True, grace_days=12)
    data = agreement_data(plan)
    assert [i.remaining for i in data.items] == [Decimal("300.00"), Decimal("150.50")]
    assert [r.is_down_payment for r in data.schedule] == [True, False, False, False]
    content, filename = agreement_pdf(plan)
    assert filename == "accord-echeancier-ECH-2026-000001.pdf"
    text = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(content)).pages
    )
    for expected in (
        "ACCORD D'ÉCHÉANCIER DE PAIEMENT",
        "ECH-2026-000001",
        debtor.number,
        "450,50",
        "Acompte",
        "133,50",
        "05/05/2026",
        "délai de grâce de 12 jours",
        "rompt l'échéancier",
        "les relances reprennent",
        "mandat SEPA RUM-TEST-9",
        "Pour le créancier",
        "Le débiteur",
        "Lu et approuvé",
    ):
        assert expected in text, expected
