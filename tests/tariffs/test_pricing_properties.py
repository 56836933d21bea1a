"""Properties of the pricing engine (BILL-1, 1b, 1c, 2, 3), with hypothesis."""

import datetime as dt
import decimal
from dataclasses import fields, replace
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from robinet.core.money import round_money
from robinet.tariffs.pricing import (
    Bill,
    BillRequest,
    Block,
    Component,
    Season,
    TariffVersion,
    block_usage,
    price,
    prorate_bound,
    rerate_year,
    year_fraction,
)


def _component(code, kind, vat, service="water", **kw):
    return Component(code, code, service, "operator", kind, D(vat), **kw)


def _tariffs(rounding="line") -> list[TariffVersion]:
    """Two versions (change on 1 July 2026), a summer season, a minimum, blocks."""
    summer = Season((6, 1), (9, 30), (Block(D(20), D("1.5555")), Block(None, D("2.3333"))))
    old = (
        _component("ABO", "fixed", "5.5", annual_price_by_diameter=((15, D("41.37")),)),
        _component("LOC", "meter_rental", "5.5", annual_price=D("9.99")),
        _component(
            "CONSO",
            "volume",
            "5.5",
            blocks=(Block(D(30), D("1.1111")), Block(D(200), D("1.6667")), Block(None, D("2")),),
            seasons=(summer,),
        ),
        _component("RED", "volume", "5.5", "public_bodies", blocks=(Block(None, D("0.389")),)),
        _component("ASST", "volume", "10", "sanitation", blocks=(Block(None, D("2.0517")),)),
        _component("MIN", "minimum", "10", "sanitation", annual_price=D("25"), applies_to=("ASST",)),
    )  # fmt: skip
    new = tuple(
        replace(
            c, blocks=tuple(replace(b, unit_price=b.unit_price + D("0.0123")) for b in c.blocks)
        )
        if c.kind == "volume"
        else c
        for c in old
    )
    return [
        TariffVersion("V1", "V1", ("99001",), dt.date(2020, 1, 1), dt.date(2026, 6, 30), "d",
                      rounding, components=old),
        TariffVersion("V2", "V2", ("99001",), dt.date(2026, 7, 1), None, "d", rounding,
                      prices_include_vat=True, components=new),
    ]  # fmt: skip


volumes = st.decimals(min_value=0, max_value=3000, places=3, allow_nan=False)
starts = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2028, 12, 31))
lengths = st.integers(min_value=1, max_value=500)
roundings = st.sampled_from(["line", "unit_price_incl_vat", "total"])


def _request(start, length, volume, **kw):
    return BillRequest(start, start + dt.timedelta(days=length - 1), volume, 15, **kw)


def _volume_billed(bill: Bill) -> dict[str, D]:
    out: dict[str, D] = {}
    for ln in bill.lines:
        if ln.unit == "m3":
            out[ln.component_code] = out.get(ln.component_code, D(0)) + ln.quantity
    return out


@given(starts, lengths, volumes, roundings)
def test_every_volume_component_bills_the_whole_volume_bill_2(start, length, volume, rounding):
    bill = price(_tariffs(rounding), _request(start, length, volume))
    if volume:
        assert _volume_billed(bill) == {"CONSO": volume, "RED": volume, "ASST": volume}
    assert sum(p.volume for p in bill.periods) == volume
    assert all(p.volume >= 0 for p in bill.periods)


@given(starts, lengths, volumes, st.data())
def test_splitting_a_period_never_changes_the_consumption_billed_bill_2(
    start, length, volume, data
):
    """Bill a period in two parts (split at any day, the volume split anywhere): per
    component, the m³ of both bills sum to the volume."""
    if length < 2:
        length = 2
    cut = data.draw(st.integers(min_value=1, max_value=length - 1))
    first_volume = data.draw(st.decimals(min_value=0, max_value=volume, places=3))
    tariffs = _tariffs()
    first = price(tariffs, _request(start, cut, first_volume))
    second = price(
        tariffs, _request(start + dt.timedelta(days=cut), length - cut, volume - first_volume)
    )
    one, two = _volume_billed(first), _volume_billed(second)
    for code in ("CONSO", "RED", "ASST"):
        assert one.get(code, D(0)) + two.get(code, D(0)) == volume


@given(st.integers(min_value=1990, max_value=2100), volumes)
def test_block_bounds_over_a_calendar_year_are_the_annual_bounds_bill_1(year, bound):
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    assert year_fraction(first, last) == 1
    assert prorate_bound(bound, first, last) == bound


@given(st.integers(min_value=2027, max_value=2030), volumes)
def test_a_calendar_year_fills_blocks_at_annual_bounds_bill_1c(year, volume):
    """No season: a calendar year puts min(V, 30) m³ in block 1, then up to 170 in block 2."""
    v2 = _tariffs()[1]
    v2 = replace(v2, components=tuple(replace(c, seasons=()) for c in v2.components))
    bill = price([v2], BillRequest(dt.date(year, 1, 1), dt.date(year, 12, 31), volume, 15))
    usage = block_usage(bill.lines)
    assert usage.get(("CONSO", 0), D(0)) == min(volume, D(30))
    assert usage.get(("CONSO", 1), D(0)) == min(max(volume - 30, D(0)), D(170))
    assert usage.get(("CONSO", 2), D(0)) == max(volume - 200, D(0))


@given(starts, lengths, volumes, st.booleans())
def test_line_rounding_totals_add_up_bill_3(start, length, volume, social):
    """BILL-3 / BILL-1b (a): total incl. = excl. + VAT; excl. = sum of lines; VAT per
    rate rounded once on the sum of that rate's lines."""
    bill = price(_tariffs("line"), _request(start, length, volume, social=social))
    assert bill.total_incl_vat == bill.total_excl_vat + bill.total_vat
    assert bill.total_excl_vat == sum(ln.amount_excl_vat for ln in bill.lines)
    for vat in bill.vat:
        base = sum(ln.amount_excl_vat for ln in bill.lines if ln.vat_rate == vat.rate)
        assert vat.base == base
        assert vat.amount == round_money(vat.rate * base / 100)
    for ln in bill.lines:
        assert ln.amount_excl_vat == round_money(ln.quantity * ln.unit_price)


@given(starts, lengths, volumes, roundings)
def test_every_mode_totals_are_consistent_and_rounded_bill_1b(start, length, volume, rounding):
    bill = price(_tariffs(rounding), _request(start, length, volume))
    assert bill.total_incl_vat == bill.total_excl_vat + bill.total_vat
    assert bill.total_excl_vat == sum(v.base for v in bill.vat)
    for value in (bill.total_excl_vat, bill.total_vat, bill.fixed_incl_vat):
        assert value == round_money(value)
    if rounding == "unit_price_incl_vat":
        incl = sum(ln.amount_incl_vat for ln in bill.lines)
        assert bill.total_incl_vat == incl
        assert bill.total_excl_vat == sum(ln.amount_excl_vat for ln in bill.lines)
    if rounding == "total":
        for vat in bill.vat:
            exact = sum(ln.exact_amount_excl_vat for ln in bill.lines if ln.vat_rate == vat.rate)
            assert vat.base == round_money(exact)
            assert vat.amount == round_money(exact * vat.rate / 100)


def _no_floats(value):
    assert not isinstance(value, float)
    if isinstance(value, tuple | list):
        for item in value:
            _no_floats(item)
    elif hasattr(value, "__dataclass_fields__"):
        for f in fields(value):
            _no_floats(getattr(value, f.name))


@given(starts, lengths, volumes, roundings)
def test_amounts_are_never_floats_bill_3(start, length, volume, rounding):
    bill = price(_tariffs(rounding), _request(start, length, volume))
    _no_floats(bill)
    assert all(isinstance(ln.amount_excl_vat, D) for ln in bill.lines)


@given(
    st.integers(min_value=2027, max_value=2030),
    st.lists(st.integers(min_value=1, max_value=364), max_size=5, unique=True),
    st.lists(volumes, min_size=6, max_size=6),
    st.sampled_from(["line", "total"]),
)
def test_rerating_a_year_billed_in_interims_gives_the_yearly_bill_bill_1c(
    year, cuts, parts, rounding
):
    """Interims at any days with any volumes, then the yearly re-rating: interims +
    re-rating = the year billed at once (excl. VAT exactly; incl. VAT within a cent per
    bill, each bill rounding its own VAT once per rate)."""
    tariffs = _tariffs(rounding)
    first = dt.date(year, 1, 1)
    last = dt.date(year, 12, 31)
    bounds = sorted({0, *cuts})
    interims = []
    total_volume = D(0)
    for i, begin in enumerate(bounds):
        end = bounds[i + 1] - 1 if i + 1 < len(bounds) else (last - first).days
        request = BillRequest(
            first + dt.timedelta(days=begin), first + dt.timedelta(days=end), parts[i], 15
        )
        interims.append(price(tariffs, request))
        total_volume += parts[i]
    billed = [ln for bill in interims for ln in bill.lines]
    year_request = BillRequest(first, last, total_volume, 15)
    rerated = rerate_year(tariffs, year_request, billed)
    direct = price(tariffs, year_request)
    interim_excl = sum(b.total_excl_vat for b in interims)
    interim_incl = sum(b.total_incl_vat for b in interims)
    if rounding == "line":
        assert rerated.total_excl_vat + interim_excl == direct.total_excl_vat
    tolerance = D("0.01") * (len(interims) + 1) * len(direct.vat or [1])
    assert abs(rerated.total_excl_vat + interim_excl - direct.total_excl_vat) <= tolerance
    assert abs(rerated.total_incl_vat + interim_incl - direct.total_incl_vat) <= 2 * tolerance
    assert rerated.total_incl_vat == rerated.total_excl_vat + rerated.total_vat


@given(
    st.sampled_from([2026, 2027]),
    st.integers(min_value=1, max_value=364),
    st.lists(volumes, min_size=3, max_size=3),
    st.sampled_from(["line", "total", "unit_price_incl_vat"]),
)
def test_rerating_with_the_year_already_priced_is_the_same_bill_bill_1c(year, cut, parts, rounding):
    """BILL-1c: the run prices the year through its memo and hands it over
    (``year=``); the re-rated bill is the one ``rerate_year`` makes on its own —
    across a tariff change (1 July 2026), a season and every rounding convention."""
    tariffs = _tariffs(rounding)
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    middle = first + dt.timedelta(days=cut)
    interims = [
        price(tariffs, BillRequest(first, middle - dt.timedelta(days=1), parts[0], 15)),
        price(tariffs, BillRequest(middle, last, parts[1], 15)),
    ]
    billed = [ln for bill in interims for ln in bill.lines]
    year_request = BillRequest(first, last, parts[0] + parts[1] + parts[2], 15)
    alone = rerate_year(tariffs, year_request, billed)
    handed = rerate_year(tariffs, year_request, billed, year=price(tariffs, year_request))
    assert handed == alone


def test_decimal_context_is_untouched():
    assert decimal.getcontext().prec == 28


def _naive_periods(tariffs, start, end):
    """Day by day: (first day, last day, version code, season of each component)."""
    out = []
    day = start
    while day <= end:
        version = next(t for t in tariffs if t.covers(day))
        key = (
            version.code,
            tuple(
                c.seasons and next((i for i, s in enumerate(c.seasons) if s.contains(day)), None)
                for c in version.components
            ),
        )
        if out and out[-1][2] == key:
            out[-1][1] = day
        else:
            out.append([day, day, key])
        day += dt.timedelta(days=1)
    return [(a, b, key[0]) for a, b, key in out]  # fmt: skip


@given(starts, lengths, st.sampled_from([(2, 29), (2, 28), (3, 1), (12, 31)]))
def test_period_cuts_match_a_day_by_day_split_bill_2(start, length, edge):
    """The engine cuts at boundaries instead of walking days: same sub-periods, with a
    season wrapping the year end and ending or starting on 29 February."""
    winter = Season((11, 15), edge, (Block(None, D("3")),))
    spring = Season((3, 2) if edge != (3, 1) else (3, 5), (4, 30), (Block(None, D("4")),))
    tariffs = [
        replace(t, components=(*t.components, _component("W", "volume", "5.5",
                blocks=(Block(None, D("1")),), seasons=(winter,)),
                _component("S", "volume", "5.5", blocks=(Block(None, D("1")),),
                seasons=(spring,))))
        for t in _tariffs()
    ]  # fmt: skip
    request = _request(start, length, D(100))
    bill = price(tariffs, request)
    assert [(p.start, p.end, p.tariff_code) for p in bill.periods] == _naive_periods(
        tariffs, request.period_start, request.period_end
    )
