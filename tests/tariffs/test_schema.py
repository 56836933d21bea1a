"""The tariff file format: parsing, errors with their field path, round trip, BILL-1a."""

import copy
import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest
import yaml

from robinet.tariffs.pricing import Block, Season
from robinet.tariffs.schema import (
    TariffFormatError,
    check_tariff,
    dump_tariff,
    dump_yaml,
    load_yaml,
    parse_tariff,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "tariffs"
NAMES = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))


def raw(name="EXAMPLE-2026") -> dict:
    return yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))


def errors_of(data) -> list[tuple[str, str]]:
    with pytest.raises(TariffFormatError) as exc:
        parse_tariff(data)
    return exc.value.errors


def paths_of(data) -> list[str]:
    return [path for path, _ in errors_of(data)]


def test_examples_exist():
    assert {
        "EXAMPLE-2026",
        "VILLE-PROGRESSIVE-2026",
        "INDUSTRIE-DEGRESSIVE-2026",
        "LITTORAL-SAISON-2026",
    } <= set(NAMES)


def test_the_example_shape_is_parsed_bill_1():
    version = parse_tariff(raw())
    assert version.code == "EXAMPLE-2026"
    assert version.zone == ("99001", "99002")
    assert version.valid_from == dt.date(2026, 1, 1)
    assert version.valid_to is None
    assert version.rounding == "line"
    assert not version.prices_include_vat
    assert not version.degressive_allowed
    assert version.commune_kind == "standard"
    abo, conso, red, asst = version.components
    assert abo.diameter_prices() == {15: D("42.00"), 20: D("60.00"), 30: D("95.00")}
    assert abo.vat_rate == D("5.5")
    assert conso.blocks == (Block(D(30), D("1.1000")), Block(None, D("1.6500")))
    assert (red.service, red.beneficiary) == ("public_bodies", "water_agency")
    assert asst.vat_rate == D(10)


def test_seasons_social_minimum_are_parsed():
    littoral = load_yaml((EXAMPLES / "LITTORAL-SAISON-2026.yaml").read_text(encoding="utf-8"))
    conso = littoral.component("CONSO-EAU")
    assert conso.seasons == (
        Season((6, 1), (10, 31), (Block(None, D("2.95")),), "saison estivale"),
    )
    assert littoral.prices_include_vat
    assert littoral.commune_kind == "tourist"
    ville = load_yaml((EXAMPLES / "VILLE-PROGRESSIVE-2026.yaml").read_text(encoding="utf-8"))
    assert ville.component("CONSO-EAU").social.blocks[1] == Block(D(120), D("0.6200"))
    assert ville.component("RED-PERF-ASST").requires_service == "sanitation"
    industrie = load_yaml((EXAMPLES / "INDUSTRIE-DEGRESSIVE-2026.yaml").read_text(encoding="utf-8"))
    assert industrie.component("MIN-EAU").applies_to == ("CONSO-EAU",)
    assert industrie.degressive_allowed


def test_numbers_and_iso_strings_are_accepted():
    data = raw()
    data["valid_from"] = "2026-01-01"
    data["valid_to"] = "2026-12-31"
    data["components"][1]["blocks"][0]["unit_price"] = 1.1  # a float: read via str()
    data["components"][1]["vat_rate"] = 5.5
    version = parse_tariff(data)
    assert version.components[1].blocks[0].unit_price == D("1.1")
    assert version.components[1].vat_rate == D("5.5")
    assert version.valid_to == dt.date(2026, 12, 31)


@pytest.mark.parametrize("name", NAMES)
def test_round_trip(name):
    version = load_yaml((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))
    assert parse_tariff(dump_tariff(version)) == version
    assert load_yaml(dump_yaml(version)) == version


def test_dump_is_json_ready():
    import json

    data = dump_tariff(parse_tariff(raw()))
    assert json.loads(json.dumps(data)) == data
    assert data["components"][0]["annual_price_by_diameter"] == {
        "15": "42.00",
        "20": "60.00",
        "30": "95.00",
    }


# --------------------------------------------------------------------------- errors


def test_invalid_unit_price_names_its_field():
    data = raw()
    data["components"][1]["blocks"][0]["unit_price"] = "abc"
    assert errors_of(data) == [
        ("components[1].blocks[0].unit_price", "prix unitaire invalide : « abc »")
    ]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d["components"][0].update(service="eau"), "components[0].service"),
        (lambda d: d["components"][0].update(beneficiary="x"), "components[0].beneficiary"),
        (lambda d: d["components"][0].update(kind="forfait"), "components[0].kind"),
        (lambda d: d.update(rounding="banker"), "rounding"),
        (lambda d: d.update(commune_kind="urbaine"), "commune_kind"),
        (
            lambda d: d["components"][1].update(
                blocks=[{"up_to": 50, "unit_price": "1"}, {"up_to": 30, "unit_price": "2"},
                        {"up_to": None, "unit_price": "3"}]
            ),
            "components[1].blocks[1].up_to",
        ),
        (
            lambda d: d["components"][1]["blocks"][1].update(up_to=300),
            "components[1].blocks[1].up_to",
        ),
        (
            lambda d: d["components"][1]["blocks"][0].update(unit_price="-1"),
            "components[1].blocks[0].unit_price",
        ),
        (
            lambda d: d["components"][0]["annual_price_by_diameter"].update({"15": "-42"}),
            "components[0].annual_price_by_diameter.15",
        ),
        (lambda d: d["components"][2].update(vat_rate="120"), "components[2].vat_rate"),
        (lambda d: d["components"][2].update(vat_rate="-5"), "components[2].vat_rate"),
        (lambda d: d.update(valid_to="2025-12-31"), "valid_to"),
        (lambda d: d.update(valid_from="31/12/2025"), "valid_from"),
        (
            lambda d: d["components"][0].pop("annual_price_by_diameter"),
            "components[0].annual_price_by_diameter",
        ),
        (lambda d: d["components"][3].update(code="ABO-EAU"), "components[3].code"),
        (lambda d: d.update(zone=["9901"]), "zone[0]"),
        (lambda d: d.update(zone=["99001", "2C001"]), "zone[1]"),
        (lambda d: d.update(zone=[]), "zone"),
        (lambda d: d.update(components=[]), "components"),
        (lambda d: d.pop("code"), "code"),
        (lambda d: d.update(colour="blue"), "colour"),
        (lambda d: d["components"][3].update(blocks=[]), "components[3].blocks"),
        (
            lambda d: d["components"][1].update(seasons=[{"from": "06-31", "to": "10-31",
                                                          "blocks": [{"up_to": None,
                                                                      "unit_price": "2"}]}]),
            "components[1].seasons[0].from",
        ),
        (
            lambda d: d["components"].append(
                {"code": "MIN", "label": "Minimum", "service": "water",
                 "beneficiary": "operator", "kind": "minimum", "vat_rate": "5.5",
                 "annual_price": "50", "applies_to": ["NOPE"]}
            ),
            "components[4].applies_to[0]",
        ),
        (lambda d: d.update(prices_include_vat="yes"), "prices_include_vat"),
        (lambda d: d["components"][1].update(social={}), "components[1].social"),
        (
            lambda d: d["components"][0].update(annual_price="10"),
            "components[0].annual_price",
        ),
        (lambda d: d["components"][0].update(blocks=[]), "components[0].blocks"),
        (lambda d: d["components"][0].update(requires_service="gaz"),
         "components[0].requires_service"),
    ],
)  # fmt: skip
def test_every_error_names_its_field(change, path):
    data = copy.deepcopy(raw())
    change(data)
    errors = errors_of(data)
    assert path in [p for p, _ in errors], errors
    assert all(message for _, message in errors)


def test_corsican_insee_codes_are_valid():
    data = raw()
    data["zone"] = ["2A004", "2b033"]
    assert parse_tariff(data).zone == ("2A004", "2B033")


def test_overlapping_seasons_are_an_error():
    data = raw()
    block = [{"up_to": None, "unit_price": "2"}]
    data["components"][1]["seasons"] = [
        {"from": "06-01", "to": "08-31", "blocks": block},
        {"from": "08-01", "to": "10-31", "blocks": block},
    ]
    assert "components[1].seasons[1]" in paths_of(data)


def test_all_errors_are_reported_at_once():
    data = raw()
    data["rounding"] = "x"
    data["components"][0]["service"] = "x"
    data["components"][3]["vat_rate"] = "abc"
    assert paths_of(data) == ["rounding", "components[0].service", "components[3].vat_rate"]


def test_yaml_syntax_errors_carry_the_line():
    with pytest.raises(TariffFormatError) as exc:
        load_yaml("code: X\nlabel: [unclosed\nzone: 1\n")
    assert "ligne" in exc.value.errors[0][1]
    with pytest.raises(TariffFormatError) as exc:
        load_yaml("- just a list")
    assert exc.value.errors[0][0] == ""


# --------------------------------------------------------------------------- BILL-1a


def test_the_examples_pass_bill_1a_except_the_industrial_one():
    for name in ("EXAMPLE-2026", "VILLE-PROGRESSIVE-2026", "LITTORAL-SAISON-2026"):
        version = load_yaml((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))
        assert check_tariff(version) == [], name


def test_fixed_share_warning_shows_the_computation_bill_1a():
    """ABO-EAU 150.00 at 15 mm; 120 m³: 30 × 1.10 + 90 × 1.65 = 181.50;
    share 150 / 331.50 = 45.25 % > 30 %. Sanitation has no fixed part."""
    data = raw()
    data["components"][0]["annual_price_by_diameter"] = {"15": "150.00", "20": "160.00"}
    warnings = check_tariff(parse_tariff(data))
    assert [w.code for w in warnings] == ["fixed_share"]
    message = warnings[0].message
    assert "eau potable" in message
    assert "150,00 €" in message
    assert "331,50 €" in message
    assert "45,25 %" in message
    assert "plafond 30 %" in message
    assert "diamètre 15 mm" in message


def test_fixed_share_caps_by_commune_kind_bill_1a():
    """45.25 % is over 40 % (rural) too; 35 % is not: ABO 97.73 → 97.73 / 279.23 = 35.0 %."""
    data = raw()
    data["components"][0]["annual_price_by_diameter"] = {"15": "97.73"}
    assert [w.code for w in check_tariff(parse_tariff(data))] == ["fixed_share"]
    data["commune_kind"] = "rural"
    assert check_tariff(parse_tariff(data)) == []
    data["components"][0]["annual_price_by_diameter"] = {"15": "500"}
    assert "plafond 40 %" in check_tariff(parse_tariff(data))[0].message
    data["commune_kind"] = "tourist"
    assert check_tariff(parse_tariff(data)) == []


def test_water_and_sanitation_are_assessed_separately_bill_1a():
    """Sanitation: fixed 100.00, volume 120 × 2.05 = 246.00 → 100 / 346 = 28.90 %: fine;
    fixed 110.00 → 110 / 356 = 30.90 %: warning on sanitation only."""
    data = raw()
    data["components"].append(
        {
            "code": "ABO-ASST",
            "label": "Abonnement assainissement",
            "service": "sanitation",
            "beneficiary": "authority",
            "kind": "fixed",
            "vat_rate": "10",
            "annual_price": "100.00",
        }
    )
    assert check_tariff(parse_tariff(data)) == []
    data["components"][-1]["annual_price"] = "110.00"
    warnings = check_tariff(parse_tariff(data))
    assert len(warnings) == 1
    assert "assainissement" in warnings[0].message
    assert "30,90 %" in warnings[0].message


def test_degressive_blocks_need_the_flag_bill_1a():
    data = raw()
    data["components"][1]["blocks"][1]["unit_price"] = "0.9000"
    warnings = check_tariff(parse_tariff(data))
    assert [(w.code, w.path) for w in warnings] == [("degressive_blocks", "components[1].blocks")]
    assert "tranche 2 à 0,9000 €/m³ moins chère que tranche 1 à 1,1000 €/m³" in (
        warnings[0].message
    )
    data["degressive_allowed"] = True
    assert check_tariff(parse_tariff(data)) == []


def test_unusual_vat_rate_is_a_warning():
    data = raw()
    data["components"][3]["vat_rate"] = "12"
    assert [w.code for w in check_tariff(parse_tariff(data))] == ["unusual_vat_rate"]


def test_industrial_tariff_warns_on_fixed_share_with_the_minimum_bill_1a():
    """INDUSTRIE at 40 mm, 120 m³: ABO 380 + LOC 96 + minimum top-up 1 500 − 192.30 =
    1 307.70 → fixed 1 783.70 of 1 976.00 = 90.27 %."""
    version = load_yaml((EXAMPLES / "INDUSTRIE-DEGRESSIVE-2026.yaml").read_text(encoding="utf-8"))
    (warning,) = check_tariff(version)
    assert "90,27 %" in warning.message
    assert "diamètre 40 mm" in warning.message


def test_the_documented_full_example_is_valid_and_prices():
    """docs/tariff-format.md: the first YAML block uses every feature."""
    from robinet.tariffs.pricing import BillRequest, price

    doc = (EXAMPLES.parents[1] / "tariff-format.md").read_text(encoding="utf-8")
    text = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    version = load_yaml(text)
    assert {c.kind for c in version.components} == {
        "fixed",
        "meter_rental",
        "per_dwelling",
        "volume",
        "minimum",
    }
    assert load_yaml(dump_yaml(version)) == version
    assert check_tariff(version) == []
    request = BillRequest(dt.date(2026, 1, 1), dt.date(2026, 12, 31), D(120), 15, dwellings=2)
    for social in (False, True):
        bill = price([version], BillRequest(**{**request.__dict__, "social": social}))
        assert bill.total_incl_vat == bill.total_excl_vat + bill.total_vat
