"""The pure dunning policy over random account histories (COLL-2, COLL-3, COLL-4, COLL-10)."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robinet.collections.policy import (
    BlockFacts,
    Candidate,
    DebtorFacts,
    ItemFacts,
    LevelSpec,
    ProcedureSpec,
    decide,
)
from robinet.collections.rules.france import FrancePack
from robinet.collections.services import INDIVIDUAL_LEVELS, PROFESSIONAL_LEVELS

ON = dt.date(2026, 6, 1)
PACK = FrancePack()


def spec(code, levels):
    return ProcedureSpec(
        code,
        tuple(
            LevelSpec(seq, label, days, Decimal(minimum), tuple(actions), delay, ind, inte)
            for seq, label, days, minimum, actions, delay, ind, inte in levels
        ),
    )


INDIVIDUALS = spec("PARTICULIERS", INDIVIDUAL_LEVELS)
PROFESSIONALS = spec("PROFESSIONNELS", PROFESSIONAL_LEVELS)
# A procedure as badly configured as possible: restriction everywhere, fees everywhere.
RECKLESS = spec(
    "RECKLESS",
    [
        (n, f"N{n}", days, "0", ["restriction", "letter", "formal_notice"], 15, True, True)
        for n, days in enumerate((-5, 0, 10, 20, 30), start=1)
    ],
)

amounts = st.decimals(min_value=Decimal("-50"), max_value=Decimal("5000"), places=2)
days_ago = st.integers(min_value=-40, max_value=1200)


@st.composite
def items(draw):
    count = draw(st.integers(min_value=0, max_value=6))
    result = []
    for n in range(count):
        due = ON - dt.timedelta(days=draw(days_ago))
        result.append(
            ItemFacts(
                id=n + 1,
                document_number=f"FAC-{n + 1}",
                posted_on=due - dt.timedelta(days=draw(st.integers(0, 30))),
                due_date=due,
                open_amount=max(draw(amounts), Decimal(0)),
                level=draw(st.integers(min_value=0, max_value=5)),
                is_invoice=draw(st.booleans()),
                indemnity_charged=draw(st.booleans()),
            )
        )
    return result


@st.composite
def debtors(draw):
    blocks = draw(
        st.lists(
            st.builds(
                BlockFacts,
                reason=st.sampled_from(["case", "dispute", "fsl_pending", "payment_plan"]),
                starts_on=st.dates(ON - dt.timedelta(days=90), ON + dt.timedelta(days=30)),
                ends_on=st.one_of(
                    st.none(), st.dates(ON - dt.timedelta(days=30), ON + dt.timedelta(days=90))
                ),
            ),
            max_size=2,
        )
    )
    last = draw(st.one_of(st.none(), st.dates(ON - dt.timedelta(days=60), ON)))
    return DebtorFacts(
        account_id=1,
        customer_class=draw(st.sampled_from(["individual", "professional", "syndic", "farmer"])),
        main_residence=draw(st.booleans()),
        nec=draw(st.booleans()),
        blocks=tuple(b for b in blocks if b.ends_on is None or b.ends_on >= b.starts_on),
        last_notice_on=last,
        last_pay_by=last + dt.timedelta(days=15) if last else None,
        formal_notice_sent=draw(st.booleans()),
    )


procedures = st.sampled_from([INDIVIDUALS, PROFESSIONALS, RECKLESS])


@settings(max_examples=400, deadline=None)
@given(debtor=debtors(), history=items(), procedure=procedures)
def test_coll3_a_blocked_account_never_receives_a_notice(debtor, history, procedure):
    decision = decide(debtor=debtor, items=history, procedure=procedure, on=ON, pack=PACK)
    if any(b.in_force(ON) for b in debtor.blocks):
        assert not decision.notice


@settings(max_examples=400, deadline=None)
@given(debtor=debtors(), history=items(), procedure=procedures)
def test_coll2_levels_never_go_back_nor_skip(debtor, history, procedure):
    decision = decide(debtor=debtor, items=history, procedure=procedure, on=ON, pack=PACK)
    if not decision.notice:
        return
    sequences = [lvl.sequence for lvl in procedure.levels]
    for step in decision.candidate.steps:
        assert step.to_level >= step.from_level
        if step.to_level > step.from_level:
            skipped = [s for s in sequences if step.from_level < s < step.to_level]
            # Only preventive levels (before the due date) are ever passed over.
            assert all(procedure.level(s).days_after_due < 0 for s in skipped)


@settings(max_examples=400, deadline=None)
@given(debtor=debtors(), history=items(), procedure=procedures)
def test_coll2_coll10_a_notice_cites_only_open_items_never_time_barred(debtor, history, procedure):
    decision = decide(debtor=debtor, items=history, procedure=procedure, on=ON, pack=PACK)
    if not decision.notice:
        return
    by_id = {item.id: item for item in history}
    for step in decision.candidate.steps:
        item = by_id[step.item_id]
        assert item.open_amount > 0
        assert not PACK.time_barred(debtor, item, ON)
        assert step.item_id not in decision.time_barred


@settings(max_examples=400, deadline=None)
@given(debtor=debtors(), history=items(), procedure=procedures)
def test_coll4_no_restriction_for_a_main_residence_or_nec(debtor, history, procedure):
    decision = decide(debtor=debtor, items=history, procedure=procedure, on=ON, pack=PACK)
    if not decision.notice:
        return
    candidate = decision.candidate
    if debtor.main_residence or debtor.nec:
        assert "restriction" not in candidate.actions
        assert not candidate.cutoff_wording_allowed
    if "restriction" in candidate.actions:
        assert debtor.formal_notice_sent  # only after a formal notice


@settings(max_examples=400, deadline=None)
@given(debtor=debtors(), history=items(), procedure=procedures)
def test_coll1_fees_only_for_professionals_and_never_for_a_main_residence(
    debtor, history, procedure
):
    decision = decide(debtor=debtor, items=history, procedure=procedure, on=ON, pack=PACK)
    if not decision.notice:
        return
    fees = decision.candidate.fees
    if debtor.customer_class not in ("professional", "farmer") or debtor.main_residence:
        assert fees == ()
    indemnities = [f for f in fees if f.kind == "indemnity"]
    assert all(f.amount == Decimal("40.00") for f in indemnities)
    charged = {i.id for i in history if i.indemnity_charged or not i.is_invoice}
    assert not {f.item_id for f in indemnities} & charged


@settings(max_examples=300, deadline=None)
@given(debtor=debtors(), history=items(), procedure=procedures)
def test_coll2_never_before_the_previous_deadline(debtor, history, procedure):
    decision = decide(debtor=debtor, items=history, procedure=procedure, on=ON, pack=PACK)
    if decision.notice and debtor.last_pay_by is not None:
        assert debtor.last_pay_by < ON


def _individual(**kwargs):
    return DebtorFacts(account_id=1, customer_class="individual", **kwargs)


def _item(due, *, posted=None, level=0, amount="100.00", item_id=1):
    return ItemFacts(
        id=item_id,
        document_number=f"FAC-{item_id}",
        posted_on=posted or due - dt.timedelta(days=15),
        due_date=due,
        open_amount=Decimal(amount),
        level=level,
    )


def test_coll1_decret_2008_780_first_reminder_not_before_14_days_after_issue():
    """FR-D2008-780-ART2: issued 10 days ago and already due (short terms): wait."""
    item = _item(ON - dt.timedelta(days=5), posted=ON - dt.timedelta(days=10))
    decision = decide(debtor=_individual(), items=[item], procedure=INDIVIDUALS, on=ON, pack=PACK)
    assert not decision.notice
    assert decision.candidate.refusal.startswith("FR-D2008-780-ART2")
    later = ON + dt.timedelta(days=4)
    decision = decide(
        debtor=_individual(), items=[item], procedure=INDIVIDUALS, on=later, pack=PACK
    )
    assert decision.notice
    assert decision.candidate.pay_by >= later + dt.timedelta(days=15)
    assert decision.candidate.fsl_information


def test_coll10_consumer_debt_time_barred_after_two_years():
    """FR-PRESCRIPTION: C. consom. L218-2 — two years after the due date."""
    old = _item(ON - dt.timedelta(days=2 * 365 + 1), item_id=1)
    recent = _item(ON - dt.timedelta(days=60), item_id=2)
    decision = decide(
        debtor=_individual(), items=[old, recent], procedure=INDIVIDUALS, on=ON, pack=PACK
    )
    assert decision.time_barred == (1,)
    assert [s.item_id for s in decision.candidate.steps] == [2]


def test_coll10_professional_debt_lives_five_years():
    """FR-PRESCRIPTION: C. civ. 2224 — five years for a professional."""
    pro = DebtorFacts(account_id=1, customer_class="professional")
    old = _item(ON - dt.timedelta(days=3 * 365))
    assert not PACK.time_barred(pro, old, ON)
    assert PACK.time_barred(_individual(), old, ON)
    regie = FrancePack(public_regie=True)
    assert not regie.time_barred(_individual(), old, ON)  # CGCT L1617-5: 4 years


def test_coll4_fsl_application_pauses_collection():
    """FR-FSL-PAUSE: a pending FSL application stops every step."""
    debtor = _individual(blocks=(BlockFacts("fsl_pending", ON - dt.timedelta(days=3)),))
    decision = decide(
        debtor=debtor,
        items=[_item(ON - dt.timedelta(days=60))],
        procedure=INDIVIDUALS,
        on=ON,
        pack=PACK,
    )
    assert not decision.notice
    assert decision.blocks == ("fsl_pending",)


def test_coll4_restriction_possible_for_a_secondary_residence_after_formal_notice():
    debtor = DebtorFacts(account_id=1, customer_class="professional", formal_notice_sent=True)
    item = _item(ON - dt.timedelta(days=60), level=3)
    decision = decide(debtor=debtor, items=[item], procedure=PROFESSIONALS, on=ON, pack=PACK)
    assert "restriction" in decision.candidate.actions
    assert decision.candidate.cutoff_wording_allowed
    nec = DebtorFacts(
        account_id=1, customer_class="professional", formal_notice_sent=True, nec=True
    )
    decision = decide(debtor=nec, items=[item], procedure=PROFESSIONALS, on=ON, pack=PACK)
    assert "restriction" not in decision.candidate.actions
    assert "FR-NEC" in decision.candidate.rules


def test_coll1_late_interest_for_professionals_at_ecb_plus_ten_points():
    """FR-CCOM-L441-10: 1,000 € late 73 days at 12.15 % → 24.30 €."""
    debtor = DebtorFacts(account_id=1, customer_class="professional")
    item = _item(ON - dt.timedelta(days=73), level=2, amount="1000.00")
    decision = decide(debtor=debtor, items=[item], procedure=PROFESSIONALS, on=ON, pack=PACK)
    interest = [f for f in decision.candidate.fees if f.kind == "interest"]
    assert [f.amount for f in interest] == [Decimal("24.30")]


def test_coll1_minimum_amount_of_a_level():
    item = _item(ON - dt.timedelta(days=30), amount="3.00")
    decision = decide(debtor=_individual(), items=[item], procedure=INDIVIDUALS, on=ON, pack=PACK)
    assert not decision.notice
    assert decision.reason == "below_minimum"


def test_coll1_preventive_reminder_before_the_due_date():
    item = _item(ON + dt.timedelta(days=2), posted=ON - dt.timedelta(days=13))
    decision = decide(debtor=_individual(), items=[item], procedure=INDIVIDUALS, on=ON, pack=PACK)
    assert decision.notice
    assert decision.candidate.level.sequence == 1
    assert set(decision.candidate.actions) == {"email", "sms"}


@given(
    debtor=debtors(),
    rules=st.lists(st.sampled_from(["COLL-3", "COLL-4", "COLL-10", "COLL-2"]), max_size=3),
    rule=st.sampled_from(["COLL-3", "COLL-4", "COLL-10"]),
    refusal=st.sampled_from(["", "COLL-4: plafond"]),
    agency=st.booleans(),
)
@settings(max_examples=50, deadline=None)
def test_coll_2_a_rule_applied_gives_what_replace_gives(debtor, rules, rule, refusal, agency):
    """COLL-2: ``Candidate.applied`` (the rule pack's step) is ``dataclasses.replace`` with the
    rule noted once."""
    candidate = Candidate(
        debtor=debtor,
        on=ON,
        level=INDIVIDUALS.levels[0],
        steps=(),
        actions=("letter",),
        pay_by=ON,
        rules=tuple(dict.fromkeys(rules)),
    )
    changed = candidate.applied(rule, refusal=refusal, agency_mentions=agency)
    expected_rules = candidate.rules if rule in candidate.rules else (*candidate.rules, rule)
    assert changed == dataclasses.replace(
        candidate, rules=expected_rules, refusal=refusal, agency_mentions=agency
    )
    assert candidate.rules == tuple(dict.fromkeys(rules))  # the original is untouched


def test_a_rule_cannot_change_a_field_a_candidate_does_not_have():
    candidate = Candidate(
        debtor=DebtorFacts(1, "individual"),
        on=ON,
        level=INDIVIDUALS.levels[0],
        steps=(),
        actions=(),
        pay_by=ON,
    )
    with pytest.raises(TypeError, match="refusl"):
        candidate.applied("COLL-4", refusl="typo")
