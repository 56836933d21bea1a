"""BILL-1c: the yearly bill re-rates the year at the annual block bounds."""

import datetime as dt
from decimal import Decimal

from robinet.billing import engine, rerating
from robinet.billing.periods import BillingPeriod
from robinet.tariffs import schema
from tests.billing.factories import TARIFF_YAML

TARIFF = schema.load_yaml(TARIFF_YAML)
FACTS = engine.ContractFacts(
    contract_id=1,
    account_id=1,
    centre_id=1,
    service_point_id=1,
    customer_class="individual",
    commune_insee="67482",
    start_date=dt.date(2024, 1, 1),
    end_date=None,
    water=True,
    sanitation=True,
    dwellings=1,
    diameter_mm=15,
    payment_terms_days=15,
)


def _reading(id_, day, index, consumption, source="field"):
    return engine.ReadingFact(id_, day, Decimal(index), source, "valid", Decimal(consumption))


def _bill(period, readings):
    return engine.compute(
        FACTS, period, readings=readings, tariffs=[TARIFF], thresholds=engine.Thresholds()
    )


def _prior(outcome):
    return rerating.PriorBill(
        outcome.period.start, outcome.period.end, outcome.volume.volume, outcome.bill.lines
    )


# A summer-heavy year: 40 m³ in the first half, 10 in the second.
SUMMER_HEAVY = [
    _reading(1, dt.date(2024, 1, 1), "100", "0", source="move_in"),
    _reading(2, dt.date(2024, 6, 30), "140", "40"),
    _reading(3, dt.date(2024, 12, 31), "150", "10"),
]


def test_bill_1c_yearly_bill_charges_the_year_at_annual_bounds():
    """A summer-heavy year: 40 m³ in the first half, 10 in the second.

    Interims prorate the 30 m³ first block to each half (≈14.9 and ≈15.1 m³);
    the year's 50 m³ at the annual bounds is 30 at the low price and 20 at the
    high one. Interim + yearly = the direct yearly bill (excl. VAT).
    """
    readings = SUMMER_HEAVY
    first = _bill(BillingPeriod(dt.date(2024, 1, 1), dt.date(2024, 6, 30)), readings)
    second = _bill(BillingPeriod(dt.date(2024, 7, 1), dt.date(2024, 12, 31)), readings)
    yearly = rerating.rerate(FACTS, second, prior=[_prior(first)], tariffs=[TARIFF])
    assert yearly.bill is not second.bill
    assert any(line.deduction for line in yearly.bill.lines)
    whole = _bill(BillingPeriod(dt.date(2024, 1, 1), dt.date(2024, 12, 31)), readings)
    assert first.bill.total_excl_vat + yearly.bill.total_excl_vat == whole.bill.total_excl_vat
    used = rerating.pricing.block_usage([*first.bill.lines, *yearly.bill.lines])
    assert used[("CONSO-EAU", 0)] == Decimal("30.000")
    assert used[("CONSO-EAU", 1)] == Decimal("20.000")


def test_bill_1c_not_on_an_estimate_nor_mid_year():
    readings = [
        _reading(1, dt.date(2024, 1, 1), "100", "0", source="move_in"),
        _reading(2, dt.date(2024, 6, 30), "140", "40"),
        _reading(3, dt.date(2024, 12, 31), "150", "10", source="estimate"),
    ]
    first = _bill(BillingPeriod(dt.date(2024, 1, 1), dt.date(2024, 6, 30)), readings)
    second = _bill(BillingPeriod(dt.date(2024, 7, 1), dt.date(2024, 12, 31)), readings)
    assert rerating.rerate(FACTS, second, prior=[_prior(first)], tariffs=[TARIFF]) is second
    assert rerating.rerate(FACTS, first, prior=[], tariffs=[TARIFF]) is first


def test_bill_1c_contracts_billed_alike_share_their_yearly_bill():
    """BILL-1c: the re-rating is memoised like the engine's pricing: the same year and the
    same interim lines (equal, not the same objects: each contract's are read from the
    database) give the very bill ``pricing.rerate_year`` makes, computed once."""
    readings = SUMMER_HEAVY
    first = _bill(BillingPeriod(dt.date(2024, 1, 1), dt.date(2024, 6, 30)), readings)
    second = _bill(BillingPeriod(dt.date(2024, 7, 1), dt.date(2024, 12, 31)), readings)
    copied = rerating.PriorBill(
        first.period.start,
        first.period.end,
        first.volume.volume,
        tuple(rerating.prior_line(_stored(line)) for line in first.bill.lines),
    )
    one = rerating.rerate(FACTS, second, prior=[_prior(first)], tariffs=[TARIFF])
    other = rerating.rerate(FACTS, second, prior=[copied], tariffs=[TARIFF])
    assert other.bill is one.bill
    assert other.tariff_periods is one.tariff_periods
    request = rerating.pricing.BillRequest(
        dt.date(2024, 1, 1),
        dt.date(2024, 12, 31),
        Decimal(50),
        15,
        services=engine.services_of(FACTS),
    )
    assert one.bill == rerating.pricing.rerate_year([TARIFF], request, first.bill.lines)


def _stored(line):
    """A line as the database gives it back (:data:`rerating.PRICED_LINE_FIELDS`)."""
    return tuple(
        getattr(line, "kind" if name == "component_kind" else name)
        for name in rerating.PRICED_LINE_FIELDS
    )
