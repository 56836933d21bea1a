"""BILL-9 leak relief: the pure capping rule (no database)."""

import datetime as dt
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from robinet.billing.leak_relief import (
    SANITATION,
    WATER,
    VolumeLine,
    basis_of,
    caps,
    relief,
    three_year_average,
)
from robinet.core.money import round_money


def line(position, code, basis, quantity, price, *, block=None, start=dt.date(2025, 1, 1)):
    quantity, price = D(quantity), D(price)
    return VolumeLine(
        position=position,
        component_code=code,
        basis=basis,
        quantity=quantity,
        unit_price=price,
        amount_excl_vat=round_money(quantity * price),
        period_start=start,
        block=block,
    )


def test_worked_example_of_the_issue_bill_9():
    # given a history of 292, 320 and 392 m³ and a leak year of 1,195 m³
    average = three_year_average([D(292), D(320), D(392)])
    lines = [
        line(1, "CONSO-EAU", WATER, "1195", "1.6500"),
        line(2, "RED-CONSO", WATER, "1195", "0.3900"),
        line(3, "ASST", SANITATION, "1195", "2.0500"),
    ]
    # when the relief is computed
    result = relief(average=average, lines=lines)
    # then water is billed on at most 669.33 m³ and sanitation on 334.67 m³
    assert caps(average) == (D("669.33"), D("334.67"))
    assert (result.water_cap, result.sanitation_cap) == (D("669.33"), D("334.67"))
    credited = {c.component_code: c for c in result.lines}
    assert credited["CONSO-EAU"].quantity == D("525.67")  # 1195 − 669.33
    assert credited["RED-CONSO"].quantity == D("525.67")  # the levy follows the water cap
    assert credited["ASST"].quantity == D("860.33")  # 1195 − 334.67
    assert credited["CONSO-EAU"].amount_excl_vat == D("867.36")  # 525.67 × 1.65 = 867.3555
    assert credited["RED-CONSO"].amount_excl_vat == D("205.01")  # 525.67 × 0.39 = 205.0113
    assert credited["ASST"].amount_excl_vat == D("1763.68")  # 860.33 × 2.05 = 1763.6765
    assert len(result.lines) == 3  # one credit line per component


def test_nothing_credited_under_the_caps_bill_9():
    lines = [line(1, "CONSO-EAU", WATER, "100", "1.65"), line(2, "ASST", SANITATION, "50", "2")]
    assert relief(average=D(60), lines=lines).lines == ()


def test_blocks_are_credited_from_the_top_bill_9():
    lines = [
        line(1, "CONSO-EAU", WATER, "30", "1.10", block=1),
        line(2, "CONSO-EAU", WATER, "170", "1.65", block=2),
    ]
    result = relief(average=D(50), lines=lines)  # cap 100: credit 100 m³ of block 2
    assert [(c.position, c.quantity) for c in result.lines] == [(2, D(100))]


def test_tariff_periods_share_the_excess_in_proportion_bill_9():
    lines = [
        line(1, "ASST", SANITATION, "300", "2.00", start=dt.date(2025, 1, 1)),
        line(2, "ASST", SANITATION, "100", "2.10", start=dt.date(2025, 7, 1)),
    ]
    result = relief(average=D(200), lines=lines)  # excess 200 → 150 + 50
    assert [(c.position, c.quantity) for c in result.lines] == [(1, D(150)), (2, D(50))]


def test_basis_of_levies_bill_9():
    assert basis_of("water") == WATER
    assert basis_of("sanitation") == SANITATION
    assert basis_of("public_bodies") == WATER
    assert basis_of("public_bodies", tied_to_sanitation=True) == SANITATION
    assert basis_of("other") is None


volumes = st.decimals(min_value=D("-50"), max_value=D("5000"), places=3)
prices = st.decimals(min_value=D("0"), max_value=D("10"), places=4)


@st.composite
def invoices(draw):
    count = draw(st.integers(min_value=1, max_value=6))
    out = []
    for position in range(1, count + 1):
        code = draw(st.sampled_from(["CONSO-EAU", "RED", "ASST"]))
        basis = SANITATION if code == "ASST" else WATER
        out.append(
            line(
                position,
                code,
                basis,
                draw(volumes),
                draw(prices),
                block=draw(st.sampled_from([None, 1, 2])),
                start=draw(st.sampled_from([dt.date(2025, 1, 1), dt.date(2025, 7, 1)])),
            )
        )
    return out


@given(invoices(), st.decimals(min_value=D("0"), max_value=D("3000"), places=3))
def test_never_more_than_billed_never_negative_bill_9(lines, average):
    result = relief(average=average, lines=lines)
    by_position = {ln.position: ln for ln in lines}
    for credit in result.lines:
        billed = by_position[credit.position]
        assert D(0) < credit.quantity <= billed.quantity
        assert D(0) <= credit.amount_excl_vat <= billed.amount_excl_vat
    for component in result.components:
        # what stays billed is never below the cap (unless less was billed)
        assert component.credited >= 0
        assert component.billed - component.credited >= min(component.cap, component.billed)
        credited = sum(
            (c.quantity for c in result.lines if c.component_code == component.component_code),
            D(0),
        )
        assert credited == component.credited


def test_the_letter_rounds_the_average_it_prints_bill_9():
    """BILL-9: the letter says the cap the credit used (334,67 m³), not a truncated 334,66."""
    from robinet.billing.leaks import two_decimals

    assert two_decimals(D("334.667")).replace("\u202f", " ") == "334,67"
    assert two_decimals(D("669.333")).replace("\u202f", " ") == "669,33"
