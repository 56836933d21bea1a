"""The pricing engine, with hand-computed bills (BILL-1, 1b, 1c, 2, 3, 8)."""

import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal as D
from pathlib import Path

import pytest

from robinet.tariffs.pricing import (
    BillRequest,
    Block,
    Component,
    PricingError,
    Season,
    TariffVersion,
    bill_to_dict,
    block_usage,
    price,
    prorate_bound,
    rerate_year,
    year_fraction,
)
from robinet.tariffs.schema import load_yaml

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "tariffs"
Y2026 = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def example(name: str) -> TariffVersion:
    return load_yaml((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))


def year_request(volume, diameter=15, **kw) -> BillRequest:
    return BillRequest(*Y2026, volume=D(volume), diameter_mm=diameter, **kw)


def amounts(bill, code):
    return [ln.amount_excl_vat for ln in bill.lines if ln.component_code == code]


def volume_component(code, price_, vat="5.5", service="water", **kw) -> Component:
    return Component(
        code, code, service, "operator", "volume", D(vat), blocks=(Block(None, D(price_)),), **kw
    )


def version(code, components, start=dt.date(2026, 1, 1), end=None, **kw) -> TariffVersion:
    return TariffVersion(code, code, ("99001",), start, end, "délib.", components=components, **kw)


# --------------------------------------------------------------------------- year_fraction


def test_year_fraction_whole_years_are_one_bill_2():
    assert year_fraction(*Y2026) == 1
    assert year_fraction(dt.date(2028, 1, 1), dt.date(2028, 12, 31)) == 1  # leap year


def test_year_fraction_days_count_in_their_own_year():
    # 31 days of 2027 (1/365 each) + 31 days of 2028 (1/366 each, leap year)
    assert year_fraction(dt.date(2027, 12, 1), dt.date(2028, 1, 31)) == D(31) / 365 + D(31) / 366
    assert year_fraction(dt.date(2026, 3, 1), dt.date(2026, 3, 1)) == D(1) / 365


def test_prorated_bounds_bill_1():
    # 30 m³ a year over 90 days: 30 × 90/365 = 7.39726… → 7.397 m³
    assert prorate_bound(D(30), dt.date(2026, 1, 1), dt.date(2026, 3, 31)) == D("7.397")
    assert prorate_bound(D(30), *Y2026) == D(30)


# --------------------------------------------------------------------------- the example


def test_example_full_year_120_m3_line_rounding_bill_3():
    """EXAMPLE-2026, 2026, 120 m³, 15 mm, by hand:

    ABO-EAU     42.00 × 1                          =  42.00  (5.5 %)
    CONSO-EAU   30 m³ × 1.1000                     =  33.00  (5.5 %)
                90 m³ × 1.6500                     = 148.50  (5.5 %)
    ASST       120 m³ × 2.0500                     = 246.00  (10 %)
    RED-CONSO  120 m³ × 0.3900                     =  46.80  (5.5 %)
    VAT 5.5 %: 270.30 × 0.055 = 14.8665 → 14.87; VAT 10 %: 24.60
    total excl. 516.30, VAT 39.47, incl. 555.77
    fixed incl. VAT 42.00 × 1.055 = 44.31
    per m³ 555.77 / 120 = 4.63141… → 4.6314
    per litre (555.77 − 44.31) / 120 000 = 0.0042621… → 0.00426 (BILL-8)
    """
    bill = price([example("EXAMPLE-2026")], year_request(120))
    assert [
        (ln.component_code, ln.block, ln.quantity, ln.amount_excl_vat) for ln in bill.lines
    ] == [
        ("ABO-EAU", None, D(1), D("42.00")),
        ("CONSO-EAU", 0, D(30), D("33.00")),
        ("CONSO-EAU", 1, D(90), D("148.50")),
        ("ASST", 0, D(120), D("246.00")),
        ("RED-CONSO", 0, D(120), D("46.80")),
    ]
    assert [(v.rate, v.base, v.amount) for v in bill.vat] == [
        (D("5.5"), D("270.30"), D("14.87")),
        (D("10"), D("246.00"), D("24.60")),
    ]
    assert (bill.total_excl_vat, bill.total_vat, bill.total_incl_vat) == (
        D("516.30"),
        D("39.47"),
        D("555.77"),
    )
    assert bill.fixed_incl_vat == D("44.31")
    assert bill.price_per_m3_incl_vat == D("4.6314")
    assert bill.price_per_litre_incl_vat == D("0.00426")
    assert bill.lines[1].label == "Consommation eau potable – tranche 1"
    assert bill.lines[0].unit == "year"
    assert bill.lines[1].unit == "m3"


def test_bill_to_dict_is_json_with_string_amounts_bill_11():
    data = bill_to_dict(price([example("EXAMPLE-2026")], year_request(120)))
    assert json.loads(json.dumps(data)) == data
    for key in ("lines", "vat", "total_excl_vat", "total_vat", "total_incl_vat"):
        assert key in data
    assert data["total_incl_vat"] == "555.77"
    assert data["price_per_litre_incl_vat"] == "0.00426"
    assert data["lines"][0]["heading"] == "Distribution de l'eau"
    assert data["vat"][0] == {"rate": "5.5", "base": "270.30", "amount": "14.87"}


def test_zero_volume_has_no_price_per_litre_bill_8():
    bill = price([example("EXAMPLE-2026")], year_request(0))
    assert bill.price_per_litre_incl_vat is None
    assert bill.price_per_m3_incl_vat is None
    assert [ln.component_code for ln in bill.lines] == ["ABO-EAU"]


# --------------------------------------------------------------------------- BILL-2


def tariff_2025() -> TariffVersion:
    return version(
        "EX-2025",
        (
            Component(
                "ABO-EAU", "Abonnement", "water", "operator", "fixed", D("5.5"),
                annual_price_by_diameter=((15, D("40.00")),),
            ),
            Component(
                "CONSO-EAU", "Consommation", "water", "operator", "volume", D("5.5"),
                blocks=(Block(D(30), D("1.0500")), Block(None, D("1.6000"))),
            ),
        ),
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 12, 31),
    )  # fmt: skip


def tariff_2026() -> TariffVersion:
    ex = example("EXAMPLE-2026")
    return replace(ex, components=ex.components[:2])


def test_tariff_change_splits_the_period_bill_2():
    """1 Oct 2025 – 31 Mar 2026 (182 days: 92 in 2025, 90 in 2026), 91 m³:

    2025: 91 × 92/182 = 46.000 m³;  2026: 45.000 m³
    ABO 2025: 40 × 92/365 = 10.0821… → 10.08;  ABO 2026: 42 × 90/365 = 10.3561… → 10.36
    bound 2025: 30 × 92/365 = 7.5616… → 7.562 m³;  bound 2026: 30 × 90/365 → 7.397 m³
    2025: 7.562 × 1.05 = 7.9401 → 7.94;   38.438 × 1.60 = 61.5008 → 61.50
    2026: 7.397 × 1.10 = 8.1367 → 8.14;   37.603 × 1.65 = 62.04495 → 62.04
    base 5.5 %: 160.06, VAT 8.8033 → 8.80, total incl. 168.86
    """
    request = BillRequest(dt.date(2025, 10, 1), dt.date(2026, 3, 31), D(91), 15)
    bill = price([tariff_2025(), tariff_2026()], request)
    assert [(p.tariff_code, p.days, p.volume) for p in bill.periods] == [
        ("EX-2025", 92, D("46.000")),
        ("EXAMPLE-2026", 90, D("45.000")),
    ]
    assert amounts(bill, "ABO-EAU") == [D("10.08"), D("10.36")]
    assert [
        (ln.tariff_code, ln.quantity, ln.amount_excl_vat)
        for ln in bill.lines
        if ln.component_code == "CONSO-EAU"
    ] == [
        ("EX-2025", D("7.562"), D("7.94")),
        ("EX-2025", D("38.438"), D("61.50")),
        ("EXAMPLE-2026", D("7.397"), D("8.14")),
        ("EXAMPLE-2026", D("37.603"), D("62.04")),
    ]
    assert (bill.total_excl_vat, bill.total_vat, bill.total_incl_vat) == (
        D("160.06"),
        D("8.80"),
        D("168.86"),
    )


def test_volume_parts_sum_exactly_to_the_volume_bill_2():
    # 10 m³ over 3 periods of 1, 1 and 1 days: 3.333, 3.333 (6.667 cumulated), 3.334
    versions = [
        version(f"V{i}", (volume_component("C", "1"),), dt.date(2026, 1, i), dt.date(2026, 1, i))
        for i in (1, 2, 3)
    ]
    bill = price(versions, BillRequest(dt.date(2026, 1, 1), dt.date(2026, 1, 3), D(10), 15))
    assert [p.volume for p in bill.periods] == [D("3.333"), D("3.334"), D("3.333")]
    assert sum(p.volume for p in bill.periods) == D(10)


def test_missing_tariff_day_bill_5():
    request = BillRequest(dt.date(2025, 12, 1), dt.date(2026, 1, 31), D(10), 15)
    with pytest.raises(PricingError) as exc:
        price([example("EXAMPLE-2026")], request)
    assert exc.value.code == "missing_tariff"
    assert "2025-12-01" in exc.value.message


def test_overlapping_versions_are_ambiguous():
    ex = example("EXAMPLE-2026")
    with pytest.raises(PricingError) as exc:
        price([ex, replace(ex, code="OTHER")], year_request(1))
    assert exc.value.code == "ambiguous_tariff"


def test_missing_diameter_price():
    with pytest.raises(PricingError) as exc:
        price([example("EXAMPLE-2026")], year_request(10, diameter=40))
    assert exc.value.code == "missing_diameter_price"


def test_invalid_requests():
    ex = example("EXAMPLE-2026")
    with pytest.raises(PricingError) as exc:
        price([ex], BillRequest(dt.date(2026, 2, 1), dt.date(2026, 1, 1), D(1), 15))
    assert exc.value.code == "invalid_period"
    with pytest.raises(PricingError) as exc:
        price([ex], year_request(-1))
    assert exc.value.code == "negative_volume"


def test_leap_year_bill_2():
    """2028 (366 days), 1 Jan – 30 Jun = 182 days, 60 m³, EXAMPLE-2026 (open-ended):

    ABO 42 × 182/366 = 20.8852… → 20.89; bound 30 × 182/366 = 14.918 m³
    14.918 × 1.10 = 16.4098 → 16.41; 45.082 × 1.65 = 74.3853 → 74.39
    """
    request = BillRequest(dt.date(2028, 1, 1), dt.date(2028, 6, 30), D(60), 15)
    bill = price([example("EXAMPLE-2026")], request)
    assert amounts(bill, "ABO-EAU") == [D("20.89")]
    conso = [ln for ln in bill.lines if ln.component_code == "CONSO-EAU"]
    assert [(ln.quantity, ln.amount_excl_vat) for ln in conso] == [
        (D("14.918"), D("16.41")),
        (D("45.082"), D("74.39")),
    ]
    full = price([example("EXAMPLE-2026")], replace(request, period_end=dt.date(2028, 12, 31)))
    assert amounts(full, "ABO-EAU") == [D("42.00")]


# --------------------------------------------------------------------------- seasons


def test_season_boundary_splits_the_period_bill_2():
    """Base 2.00 €/m³, summer 06-01..10-31 3.00 €/m³; May–June 2026 (61 days), 61 m³:
    May 31.000 m³ × 2.00 = 62.00; June 30.000 m³ × 3.00 = 90.00."""
    summer = Season((6, 1), (10, 31), (Block(None, D("3.00")),), "été")
    tariff = version("S", (volume_component("C", "2.00", seasons=(summer,)),))
    request = BillRequest(dt.date(2026, 5, 1), dt.date(2026, 6, 30), D(61), 15)
    bill = price([tariff], request)
    assert [
        (ln.period_start, ln.quantity, ln.unit_price, ln.amount_excl_vat) for ln in bill.lines
    ] == [
        (dt.date(2026, 5, 1), D("31.000"), D("2.00"), D("62.00")),
        (dt.date(2026, 6, 1), D("30.000"), D("3.00"), D("90.00")),
    ]
    assert bill.lines[1].season == 0
    assert "été 01/06–31/10" in bill.lines[1].label
    assert [p.days for p in bill.periods] == [31, 30]


def test_season_wrapping_the_year_end():
    winter = Season((11, 1), (2, 28), ())
    assert winter.contains(dt.date(2026, 12, 31))
    assert winter.contains(dt.date(2027, 1, 15))
    assert not winter.contains(dt.date(2026, 6, 1))


def test_littoral_full_year_seasons_incl_vat_prices_unit_price_rounding_bill_1b():
    """LITTORAL-SAISON-2026: unit_price_incl_vat rounding, prices incl. VAT, summer
    06-01..10-31 (153 days) between 151 and 61 days; 120 m³, 15 mm, one dwelling:

    volumes: 120 × 151/365 = 49.6438 → 49.644; cumulated 120 × 304/365 = 99.9452 → 99.945,
             so summer 50.301; Nov–Dec 120 − 99.945 = 20.055
    CONSO: 49.644 × 2.11 = 104.74884 → 104.75; 50.301 × 2.95 = 148.38795 → 148.39;
           20.055 × 2.11 = 42.31605 → 42.32
    RED 120 × 0.41 = 49.20 (no season: one line); ABO 63.30; ABO-LOGT 25.32
    5.5 %: incl. 433.28 → base 433.28 / 1.055 = 410.6919… → 410.69, VAT 22.59
    10 %: ABO-ASST 66.00 + ASST 120 × 2.64 = 316.80 → 382.80 → base 348.00, VAT 34.80
    total incl. 816.08, excl. 758.69; fixed incl. 63.30 + 25.32 + 66.00 = 154.62
    litre (816.08 − 154.62) / 120 000 = 0.0055121… → 0.00551
    """
    bill = price([example("LITTORAL-SAISON-2026")], year_request(120))
    conso = [ln for ln in bill.lines if ln.component_code == "CONSO-EAU"]
    assert [(ln.quantity, ln.unit_price_incl_vat, ln.amount_incl_vat) for ln in conso] == [
        (D("49.644"), D("2.11"), D("104.75")),
        (D("50.301"), D("2.95"), D("148.39")),
        (D("20.055"), D("2.11"), D("42.32")),
    ]
    assert [ln.amount_incl_vat for ln in bill.lines if ln.component_code == "RED-CONSO"] == [
        D("49.20")
    ]
    assert [(v.rate, v.base, v.amount) for v in bill.vat] == [
        (D("5.5"), D("410.69"), D("22.59")),
        (D("10"), D("348.00"), D("34.80")),
    ]
    assert bill.total_incl_vat == D("816.08")
    assert bill.total_excl_vat == D("758.69")
    assert bill.fixed_incl_vat == D("154.62")
    assert bill.price_per_litre_incl_vat == D("0.00551")
    for rate in bill.vat:  # the lines' amounts excl. VAT add up to the base
        assert sum(ln.amount_excl_vat for ln in bill.lines if ln.vat_rate == rate.rate) == rate.base


# --------------------------------------------------------------------------- kinds


def test_fixed_and_meter_rental_by_diameter_bill_1():
    bill = price([example("VILLE-PROGRESSIVE-2026")], year_request(0, diameter=20))
    assert amounts(bill, "ABO-EAU") == [D("54.00")]
    assert amounts(bill, "LOC-CPT") == [D("12.00")]
    assert amounts(bill, "ABO-ASST") == [D("30.00")]  # flat annual price
    assert {ln.kind for ln in bill.lines} == {"fixed", "meter_rental"}


def test_per_dwelling_bill_1():
    """ABO-LOGT 25.32 incl. VAT per dwelling and year, 3 dwellings, a quarter of 90 days:
    quantity 3 × 90/365; 25.32 × 3 × 90/365 = 18.7298… → 18.73 incl. VAT."""
    request = BillRequest(dt.date(2026, 1, 1), dt.date(2026, 3, 31), D(0), 15, dwellings=3)
    bill = price([example("LITTORAL-SAISON-2026")], request)
    line = next(ln for ln in bill.lines if ln.component_code == "ABO-LOGT")
    assert line.unit == "dwelling-year"
    assert line.quantity == 3 * year_fraction(request.period_start, request.period_end)
    assert line.amount_incl_vat == D("18.73")


def test_minimum_tops_up_bill_1():
    """INDUSTRIE (total rounding), 2026, 120 m³, 40 mm: CONSO 120 × 1.6025 = 192.30,
    minimum 1500.00 → top-up 1307.70 (quantity 1, unit forfait)."""
    bill = price([example("INDUSTRIE-DEGRESSIVE-2026")], year_request(120, diameter=40))
    line = next(ln for ln in bill.lines if ln.component_code == "MIN-EAU")
    assert (line.quantity, line.unit, line.amount_excl_vat) == (D(1), "forfait", D("1307.70"))
    assert sum(amounts(bill, "CONSO-EAU") + amounts(bill, "MIN-EAU")) == D("1500.00")
    big = price([example("INDUSTRIE-DEGRESSIVE-2026")], year_request(6000, diameter=40))
    assert amounts(big, "MIN-EAU") == []


def test_degressive_blocks_bill_1():
    """INDUSTRIE, 30 000 m³: 6 000 × 1.6025 = 9 615; 18 000 × 1.35125 = 24 322.50;
    6 000 × 1.104375 = 6 626.25."""
    bill = price([example("INDUSTRIE-DEGRESSIVE-2026")], year_request(30000, diameter=80))
    assert amounts(bill, "CONSO-EAU") == [D("9615.00"), D("24322.50"), D("6626.25")]


def test_free_first_block_and_social_tariff_bill_1():
    """VILLE, 2026, 120 m³, 15 mm. Standard: ABO 36.00; CONSO 15 × 0 = 0.00,
    105 × 1.25 = 131.25. Social: ABO 18.00; CONSO 0.00, 105 × 0.62 = 65.10."""
    ville = example("VILLE-PROGRESSIVE-2026")
    standard = price([ville], year_request(120))
    assert amounts(standard, "ABO-EAU") == [D("36.00")]
    assert amounts(standard, "CONSO-EAU") == [D("0.00"), D("131.25")]
    social = price([ville], year_request(120, social=True))
    assert amounts(social, "ABO-EAU") == [D("18.00")]
    assert amounts(social, "CONSO-EAU") == [D("0.00"), D("65.10")]
    assert amounts(social, "LOC-CPT") == [D("8.40")]  # no social override
    conso = [ln for ln in social.lines if ln.component_code == "CONSO-EAU"]
    assert all(ln.social and "tarif social" in ln.label for ln in conso)


def test_services_not_taken_are_skipped():
    ville = example("VILLE-PROGRESSIVE-2026")
    bill = price([ville], year_request(120, services=frozenset({"water", "public_bodies"})))
    codes = {ln.component_code for ln in bill.lines}
    assert "ASST" not in codes
    assert "ABO-ASST" not in codes
    assert "RED-PERF-ASST" not in codes  # requires_service: sanitation
    assert "RED-CONSO" in codes


# --------------------------------------------------------------------------- rounding


def two_half_cents(rounding) -> TariffVersion:
    return version(
        "R",
        (volume_component("A", "1.0050"), volume_component("B", "0.0050")),
        rounding=rounding,
    )


def test_line_rounding_rounds_each_line_bill_1b_a():
    # 1 m³: A 1.005 → 1.01, B 0.005 → 0.01; base 1.02; VAT 1.02 × 0.055 = 0.0561 → 0.06
    bill = price([two_half_cents("line")], year_request(1))
    assert [ln.amount_excl_vat for ln in bill.lines] == [D("1.01"), D("0.01")]
    assert (bill.total_excl_vat, bill.total_vat) == (D("1.02"), D("0.06"))


def test_total_rounding_rounds_only_totals_bill_1b_c():
    # 1 m³: exact 1.005 + 0.005 = 1.010 → base 1.01; VAT 1.010 × 0.055 = 0.05555 → 0.06
    bill = price([two_half_cents("total")], year_request(1))
    assert [ln.exact_amount_excl_vat for ln in bill.lines] == [D("1.0050"), D("0.0050")]
    assert [ln.amount_excl_vat for ln in bill.lines] == [D("1.01"), D("0.01")]  # display
    assert (bill.total_excl_vat, bill.total_vat, bill.total_incl_vat) == (
        D("1.01"),
        D("0.06"),
        D("1.07"),
    )


def test_unit_price_incl_vat_rounding_bill_1b_b():
    """EXAMPLE with unit_price_incl_vat: 1.10 × 1.055 = 1.1605 → 1.16; 1.65 × 1.055 =
    1.74075 → 1.74; 0.39 × 1.055 = 0.41145 → 0.41; 42 × 1.055 = 44.31; 2.05 × 1.1 =
    2.255 → 2.26. 120 m³: 44.31 + 30 × 1.16 + 90 × 1.74 + 120 × 0.41 = 284.91 incl.
    → base 284.91 / 1.055 = 270.0568… → 270.06, VAT 14.85; 120 × 2.26 = 271.20 →
    base 246.545… → 246.55, VAT 24.65; total incl. 556.11."""
    tariff = replace(example("EXAMPLE-2026"), rounding="unit_price_incl_vat")
    bill = price([tariff], year_request(120))
    assert [ln.unit_price_incl_vat for ln in bill.lines] == [
        D("44.31"),
        D("1.16"),
        D("1.74"),
        D("2.26"),
        D("0.41"),
    ]
    assert [(v.rate, v.base, v.amount) for v in bill.vat] == [
        (D("5.5"), D("270.06"), D("14.85")),
        (D("10"), D("246.55"), D("24.65")),
    ]
    assert bill.total_incl_vat == D("556.11")
    assert bill.total_excl_vat == sum(ln.amount_excl_vat for ln in bill.lines)


def test_prices_including_vat_are_converted_bill_1():
    """2.95 incl. 5.5 %: line rounding uses 2.95 / 1.055 = 2.7962085… → 2.796209 excl.;
    10 m³ → 27.96209 → 27.96. unit_price_incl_vat uses 2.95: 29.50 incl."""
    tariff = version("I", (volume_component("C", "2.95"),), prices_include_vat=True)
    bill = price([tariff], year_request(10))
    assert bill.lines[0].unit_price == D("2.796209")
    assert bill.lines[0].amount_excl_vat == D("27.96")
    incl = price([replace(tariff, rounding="unit_price_incl_vat")], year_request(10))
    assert incl.lines[0].amount_incl_vat == D("29.50")
    assert (incl.total_excl_vat, incl.total_vat) == (D("27.96"), D("1.54"))


# --------------------------------------------------------------------------- BILL-1c


def test_rerate_year_deducts_interim_bills_bill_1c():
    """EXAMPLE, interims Jan–Jun (181 days) 50 m³ and Jul–Dec (184 days) 70 m³,
    then the yearly bill on 120 m³ re-rates at annual bounds: the first block gets
    its 30 m³ for the whole year whatever the interims' split was."""
    ex = example("EXAMPLE-2026")
    first = price([ex], BillRequest(dt.date(2026, 1, 1), dt.date(2026, 6, 30), D(50), 15))
    second = price([ex], BillRequest(dt.date(2026, 7, 1), dt.date(2026, 12, 31), D(70), 15))
    billed = [*first.lines, *second.lines]
    # interim bounds: 30 × 181/365 = 14.877; 30 × 184/365 = 15.123 → 30.000 in block 1
    assert block_usage(billed)[("CONSO-EAU", 0)] == D("30.000")
    yearly = rerate_year([ex], year_request(120), billed)
    direct = price([ex], year_request(120))
    assert yearly.total_excl_vat == direct.total_excl_vat - first.total_excl_vat - (
        second.total_excl_vat
    )
    assert abs(
        yearly.total_incl_vat + first.total_incl_vat + second.total_incl_vat - direct.total_incl_vat
    ) <= D("0.02")
    deductions = [ln for ln in yearly.lines if ln.deduction]
    assert len(deductions) == len(billed)
    assert all(ln.amount_excl_vat <= 0 and ln.label.startswith("Déjà facturé") for ln in deductions)
    usage = block_usage(yearly.lines)
    assert usage[("CONSO-EAU", 0)] == 0
    assert usage[("CONSO-EAU", 1)] == 0
    assert yearly.price_per_litre_incl_vat == direct.price_per_litre_incl_vat


def test_rerate_year_changes_blocks_when_interims_were_uneven_bill_1c():
    """Interims Jan–Jun 100 m³ (block 1 capped at 30 × 181/365 = 14.877 m³) and
    Jul–Dec 10 m³ (under its 15.123 m³ bound, all in block 1): block 1 got 24.877 m³.
    The year (110 m³) gives block 1 its full 30 m³, so the yearly bill moves
    5.123 m³ from block 2 (1.65) to block 1 (1.10): 5.123 × (1.10 − 1.65) = −2.81765."""
    ex = example("EXAMPLE-2026")
    first = price([ex], BillRequest(dt.date(2026, 1, 1), dt.date(2026, 6, 30), D(100), 15))
    second = price([ex], BillRequest(dt.date(2026, 7, 1), dt.date(2026, 12, 31), D(10), 15))
    yearly = rerate_year([ex], year_request(110), [*first.lines, *second.lines])
    usage = block_usage(yearly.lines)
    assert usage[("CONSO-EAU", 0)] == D("5.123")
    assert usage[("CONSO-EAU", 1)] == D("-5.123")
    # each line is rounded on its own: the net is −2.82 within a cent or two
    conso = sum(ln.amount_excl_vat for ln in yearly.lines if ln.component_code == "CONSO-EAU")
    assert abs(conso - D("-2.82")) <= D("0.02")


def test_rerate_refuses_lines_outside_the_year():
    ex = example("EXAMPLE-2026")
    other = price([ex], BillRequest(dt.date(2027, 1, 1), dt.date(2027, 1, 31), D(5), 15))
    with pytest.raises(PricingError) as exc:
        rerate_year([ex], year_request(120), other.lines)
    assert exc.value.code == "deduction_outside_period"


def test_the_last_versions_rounding_governs_a_period_across_two_versions_bill_1b():
    """Oct 2025 – Mar 2026 with EX-2025 (line) then EXAMPLE-2026 set to total: the whole
    bill is rounded as ``total``; with the versions the other way round, as ``line``."""
    request = BillRequest(dt.date(2025, 10, 1), dt.date(2026, 3, 31), D(91), 15)
    total = price([tariff_2025(), replace(tariff_2026(), rounding="total")], request)
    assert total.rounding == "total"
    assert all(ln.exact_amount_excl_vat is not None for ln in total.lines)
    line = price([replace(tariff_2025(), rounding="total"), tariff_2026()], request)
    assert line.rounding == "line"
    assert all(ln.exact_amount_excl_vat is None for ln in line.lines)
