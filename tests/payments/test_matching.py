"""PAY-5: the pure matching rule — references, then IBAN + amount, then name + amount."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from robinet.payments import matching as rule

D = Decimal


def _ctx(**kwargs) -> rule.Context:
    dupont = rule.AccountInfo(
        1, "000000001", "Jean DUPONT", (rule.OpenDebit(11, "FAC-2025-000011", D("84.20")),)
    )
    martin = rule.AccountInfo(
        2,
        "000000002",
        "Claire MARTIN",
        (rule.OpenDebit(21, "FAC-2025-000021", D("40.00")),
         rule.OpenDebit(22, "FAC-2025-000022", D("12.50"))),
    )  # fmt: skip
    defaults = {
        "invoices": {
            "FAC-2025-000011": rule.InvoiceRef(11, "FAC-2025-000011", 1, D("84.20")),
            "FAC-2025-000021": rule.InvoiceRef(21, "FAC-2025-000021", 2, D("40.00")),
        },
        "account_numbers": {"000000001": 1, "000000002": 2},
        "accounts": {1: dupont, 2: martin},
        "iban_accounts": {"FR7612345000010000000000111": {2}},
    }
    defaults.update(kwargs)
    ctx = rule.Context(**defaults)
    ctx.name_amount_accounts = rule.name_amount_index(ctx.accounts.values())
    return ctx


def test_pay5_references_found_whatever_the_bank_did_to_the_separators():
    assert rule.references("VIR FACT FAC2025000011 CLIENT 000000001") == (
        ("FAC-2025-000011",),
        ("000000001",),
    )
    assert rule.references("fac 2025 000011")[0] == ("FAC-2025-000011",)
    assert rule.references("FAC-2025-000011")[1] == ()  # the invoice's digits are no customer


def test_pay5_invoice_number_in_remittance_books_to_its_account_with_full_confidence():
    decision = rule.decide(rule.Credit("r1", D("84.20"), "Facture FAC-2025-000011"), _ctx())
    assert decision.booked
    assert decision.account_id == 1
    assert decision.invoice_id == 11
    assert decision.confidence == 100
    assert decision.signals["rule"] == "reference"
    assert decision.signals["invoices"] == ["FAC-2025-000011"]


def test_pay5_partial_payment_by_reference_is_still_booked_with_lower_confidence():
    decision = rule.decide(rule.Credit("r1", D("20.00"), "FAC-2025-000011"), _ctx())
    assert decision.booked
    assert decision.confidence == 95


def test_pay5_end_to_end_id_carries_the_reference():
    decision = rule.decide(rule.Credit("r1", D("5.00"), end_to_end_id="000000002"), _ctx())
    assert decision.account_id == 2
    assert decision.signals["reference_in"] == "end_to_end_id"
    assert decision.signals["customer_number"] == "000000002"


def test_pay5_references_to_two_accounts_are_ambiguous_and_suggested():
    decision = rule.decide(
        rule.Credit("r1", D("124.20"), "FAC-2025-000011 FAC-2025-000021"), _ctx()
    )
    assert not decision.booked
    assert decision.signals["reason"] == "ambiguous"
    assert {s.account_id for s in decision.suggestions} == {1, 2}


def test_pay5_known_iban_and_amount_books_else_only_suggests():
    iban = "FR7612345000010000000000111"
    decision = rule.decide(rule.Credit("r1", D("12.50"), debtor_iban=iban), _ctx())
    assert decision.account_id == 2
    assert decision.invoice_id == 22
    assert decision.confidence == 90
    assert decision.signals["iban_known"]
    assert decision.signals["amount_of"] == "FAC-2025-000022"
    whole = rule.decide(rule.Credit("r2", D("52.50"), debtor_iban=iban), _ctx())
    assert whole.account_id == 2
    assert whole.invoice_id is None
    other = rule.decide(rule.Credit("r3", D("7.00"), debtor_iban=iban), _ctx())
    assert not other.booked
    assert other.suggestions[0].account_id == 2
    assert other.suggestions[0].signals["amount_matches"] is False


def test_pay5_name_and_amount_books_a_clear_fuzzy_match():
    decision = rule.decide(rule.Credit("r1", D("84.20"), debtor_name="M. DUPONT JEAN"), _ctx())
    assert decision.account_id == 1
    assert decision.invoice_id == 11
    assert D(decision.signals["name_similarity"]) >= rule.NAME_AUTO
    assert rule.AUTO_BOOK <= decision.confidence < 90


def test_pay5_name_too_far_or_amount_unknown_goes_to_the_worklist():
    far = rule.decide(rule.Credit("r1", D("84.20"), debtor_name="DURAND PAUL"), _ctx())
    assert not far.booked
    assert far.signals["reason"] == "no_match"
    unknown = rule.decide(rule.Credit("r2", D("99.99"), debtor_name="DUPONT JEAN"), _ctx())
    assert not unknown.booked
    assert unknown.suggestions == ()


def test_pay5_two_homonyms_owing_the_same_amount_are_suggested_not_booked():
    twin = rule.AccountInfo(
        3, "000000003", "Jean DUPONT", (rule.OpenDebit(31, "FAC-2025-000031", D("84.20")),)
    )
    ctx = _ctx()
    ctx.accounts = {**ctx.accounts, 3: twin}
    ctx.name_amount_accounts = rule.name_amount_index(ctx.accounts.values())
    decision = rule.decide(rule.Credit("r1", D("84.20"), debtor_name="DUPONT JEAN"), ctx)
    assert not decision.booked
    assert [s.account_id for s in decision.suggestions] == [1, 3]
    assert decision.signals["reason"] == "ambiguous"


def test_pay5_name_index_holds_each_word_with_each_amount_owed():
    index = rule.name_amount_index(_ctx().accounts.values())
    assert index[("MARTIN", D("12.50"))] == {2}
    assert index[("CLAIRE", D("52.50"))] == {2}  # the whole balance
    assert ("DUPONT", D("12.50")) not in index


def test_pay5_unknown_reference_is_reported_in_the_signals():
    decision = rule.decide(rule.Credit("r1", D("10.00"), "FAC-2024-999999"), _ctx())
    assert decision.signals["references_not_found"] == ["FAC-2024-999999"]


names = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZéèç -.", min_size=0, max_size=30)


@given(names, names)
def test_pay5_name_similarity_is_symmetric_bounded_and_order_free(a, b):
    score = rule.name_similarity(a, b)
    assert D(0) <= score <= D(1)
    assert score == rule.name_similarity(b, a)
    assert rule.name_similarity(" ".join(reversed(a.split())), b) == score


amounts = st.decimals(min_value=D("0.01"), max_value=D("500"), places=2)


@given(
    amount=amounts,
    remittance=st.sampled_from(["", "FAC-2025-000011", "FAC-2025-000021 000000001", "x 000000002"]),
    iban=st.sampled_from(["", "FR7612345000010000000000111", "FR0000"]),
    name=st.sampled_from(["", "DUPONT JEAN", "MARTIN", "INCONNU"]),
)
def test_pay5_every_decision_is_either_booked_confidently_or_worklisted_with_ranked_suggestions(
    amount, remittance, iban, name
):
    ctx = _ctx()
    decision = rule.decide(rule.Credit("k", amount, remittance, "", iban, name), ctx)
    if decision.booked:
        assert decision.confidence >= rule.AUTO_BOOK
        assert decision.account_id in ctx.accounts
        assert decision.signals["rule"] in {"reference", "iban", "name"}
    else:
        scores = [s.score for s in decision.suggestions]
        assert scores == sorted(scores, reverse=True)
        assert len(scores) <= rule.MAX_SUGGESTIONS
        assert len({s.account_id for s in decision.suggestions}) == len(scores)
        assert decision.signals["reason"] in {"ambiguous", "no_match", "weak"}
