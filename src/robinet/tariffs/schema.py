"""The tariff file format (``docs/tariff-format.md``): parse, validate, dump, check.

Pure: no database. :func:`parse_tariff` turns a mapping (from YAML or JSON)
into a :class:`~robinet.tariffs.pricing.TariffVersion`, collecting every
error with its field path and a French message (:class:`TariffFormatError`);
:func:`dump_tariff` is its inverse (``parse_tariff(dump_tariff(v)) == v``).
:func:`check_tariff` runs the BILL-1a checks, which give warnings, not errors.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import yaml

from robinet.core.money import round_money, to_decimal
from robinet.tariffs.pricing import (
    BENEFICIARIES,
    COMMUNE_KINDS,
    FIXED_KINDS,
    KINDS,
    ROUNDING_MODES,
    SERVICES,
    BillRequest,
    Block,
    Component,
    PricingError,
    Season,
    SocialOverride,
    TariffVersion,
    price,
)

INSEE_CODE = re.compile(r"(\d{5}|2[AB]\d{3})")
SEASON_DAY = re.compile(r"(\d{2})-(\d{2})")
USUAL_VAT_RATES = frozenset(
    Decimal(r) for r in ("0", "2.1", "5.5", "7", "8.5", "10", "13", "19.6", "20")
)
"""French VAT rates, present and past (7 and 19.6 until 2013; 8.5 and 2.1 overseas,
13 in Corsica): another rate between 0 and 100 is accepted with a warning."""

FIXED_SHARE_CAPS = {"standard": Decimal(30), "rural": Decimal(40), "tourist": None}
"""BILL-1a: the cap on the fixed part of a 120 m³ yearly bill, percent, per commune kind."""
REFERENCE_VOLUME = Decimal(120)

TOP_KEYS = {
    "code",
    "label",
    "zone",
    "valid_from",
    "valid_to",
    "deliberation",
    "rounding",
    "prices_include_vat",
    "degressive_allowed",
    "commune_kind",
    "components",
}
COMPONENT_KEYS = {
    "code",
    "label",
    "service",
    "beneficiary",
    "kind",
    "vat_rate",
    "annual_price",
    "annual_price_by_diameter",
    "blocks",
    "seasons",
    "social",
    "applies_to",
    "requires_service",
}
SOCIAL_KEYS = {"label", "annual_price", "annual_price_by_diameter", "blocks"}
SEASON_KEYS = {"label", "from", "to", "blocks"}
BLOCK_KEYS = {"up_to", "unit_price"}


class TariffFormatError(ValueError):
    """The tariff is not valid. ``errors``: ``(field path, message in French)``."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{path} : {msg}" if path else msg for path, msg in errors))


@dataclass(frozen=True)
class TariffWarning:
    """A BILL-1a check that failed (or an unusual value): entry is still possible.

    ``code``: ``fixed_share`` | ``degressive_blocks`` | ``unusual_vat_rate`` |
    ``fixed_share_not_computed``; ``path``: the field concerned."""

    code: str
    path: str
    message: str


def _fr(value: Decimal, places: int = 2) -> str:
    """``1234.5`` → ``"1 234,50"`` for messages."""
    text = f"{value:,.{places}f}"
    return text.replace(",", "\u202f").replace(".", ",")


class _Parser:
    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append((path, message))

    # ---- scalars

    def text(self, data: Mapping, key: str, path: str, required: bool = True) -> str:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(path, "champ obligatoire")
            return ""
        if not isinstance(value, str | int):
            self.error(path, f"texte attendu : « {value} »")
            return ""
        return str(value).strip()

    def decimal(
        self, value: Any, path: str, what: str = "nombre", negative: bool = False
    ) -> Decimal | None:
        if isinstance(value, float):
            value = str(value)  # 1.1 stays 1.1, not 1.100000000000000088817841970012523
        try:
            if isinstance(value, bool):
                raise TypeError
            result = to_decimal(value)
        except (TypeError, ValueError):
            self.error(path, f"{what} invalide : « {value} »")
            return None
        if result < 0 and not negative:
            self.error(path, f"{what} négatif : « {value} »")
            return None
        return result

    def price(self, value: Any, path: str) -> Decimal | None:
        return self.decimal(value, path, "prix unitaire" if "unit_price" in path else "prix")

    def date(self, value: Any, path: str) -> dt.date | None:
        if isinstance(value, dt.datetime):
            self.error(path, f"date attendue (sans heure) : « {value} »")
            return None
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.error(path, f"date invalide (AAAA-MM-JJ attendu) : « {value} »")
        return None

    def boolean(self, data: Mapping, key: str, default: bool) -> bool:
        value = data.get(key, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(key, f"vrai ou faux attendu (true/false) : « {value} »")
            return default
        return value

    def choice(
        self, data: Mapping, key: str, path: str, allowed: tuple[str, ...], default: str | None
    ) -> str:
        value = data.get(key, default)
        if value is None:
            self.error(path, "champ obligatoire")
            return ""
        if value not in allowed:
            self.error(path, f"valeur inconnue « {value} » (permis : {', '.join(allowed)})")
            return str(value)
        return value

    def unknown_keys(self, data: Mapping, known: set[str], path: str) -> None:
        for key in data:
            if key not in known:
                where = f"{path}.{key}" if path else str(key)
                self.error(where, f"champ inconnu « {key} »")

    # ---- structures

    def blocks(self, value: Any, path: str) -> tuple[Block, ...]:
        if not isinstance(value, list) or not value:
            self.error(path, "liste de tranches attendue (au moins une)")
            return ()
        blocks: list[Block] = []
        previous: Decimal | None = None
        ok = True
        for i, item in enumerate(value):
            p = f"{path}[{i}]"
            if not isinstance(item, Mapping):
                self.error(p, "tranche attendue : {up_to: …, unit_price: …}")
                ok = False
                continue
            self.unknown_keys(item, BLOCK_KEYS, p)
            if "unit_price" not in item:
                self.error(f"{p}.unit_price", "champ obligatoire")
                ok = False
                continue
            unit_price = self.price(item.get("unit_price"), f"{p}.unit_price")
            raw_up_to = item.get("up_to")
            up_to = None
            if raw_up_to is not None:
                up_to = self.decimal(raw_up_to, f"{p}.up_to", "borne de tranche")
                if up_to is None:
                    ok = False
                elif up_to <= 0 or (previous is not None and up_to <= previous):
                    self.error(
                        f"{p}.up_to",
                        f"les bornes de tranche doivent croître : « {raw_up_to} »",
                    )
                    ok = False
                else:
                    previous = up_to
            if up_to is None and raw_up_to is None and i != len(value) - 1:
                self.error(f"{p}.up_to", "seule la dernière tranche peut être sans borne")
                ok = False
            if i == len(value) - 1 and raw_up_to is not None:
                self.error(f"{p}.up_to", "la dernière tranche doit être sans borne (up_to: null)")
                ok = False
            if unit_price is None:
                ok = False
                continue
            blocks.append(Block(up_to, unit_price))
        return tuple(blocks) if ok else ()

    def diameters(self, value: Any, path: str) -> tuple[tuple[int, Decimal], ...]:
        if not isinstance(value, Mapping) or not value:
            self.error(path, 'table des prix par diamètre attendue, ex. {"15": "42.00"}')
            return ()
        table: list[tuple[int, Decimal]] = []
        for key, raw in value.items():
            p = f"{path}.{key}"
            try:
                diameter = int(str(key).strip())
                if diameter <= 0 or isinstance(key, bool):
                    raise ValueError
            except ValueError:
                self.error(p, f"diamètre invalide (mm) : « {key} »")
                continue
            amount = self.price(raw, p)
            if amount is not None:
                table.append((diameter, amount))
        if len({d for d, _ in table}) != len(table):
            self.error(path, "diamètre en double")
        return tuple(sorted(table))

    def season_day(self, value: Any, path: str) -> tuple[int, int] | None:
        match = SEASON_DAY.fullmatch(str(value).strip()) if value is not None else None
        if match:
            month, day = int(match.group(1)), int(match.group(2))
            try:
                dt.date(2024, month, day)  # a leap year: 02-29 is a day
                return (month, day)
            except ValueError:
                pass
        self.error(path, f"jour invalide (MM-JJ attendu) : « {value} »")
        return None

    def seasons(self, value: Any, path: str) -> tuple[Season, ...]:
        if not isinstance(value, list):
            self.error(path, "liste de saisons attendue")
            return ()
        seasons: list[Season] = []
        for i, item in enumerate(value):
            p = f"{path}[{i}]"
            if not isinstance(item, Mapping):
                self.error(p, "saison attendue : {from: MM-JJ, to: MM-JJ, blocks: […]}")
                continue
            self.unknown_keys(item, SEASON_KEYS, p)
            start = self.season_day(item.get("from"), f"{p}.from")
            end = self.season_day(item.get("to"), f"{p}.to")
            blocks = self.blocks(item.get("blocks"), f"{p}.blocks")
            label = str(item.get("label") or "")
            if start and end and blocks:
                seasons.append(Season(start, end, blocks, label))
        days: dict[tuple[int, int], int] = {}
        for i, season in enumerate(seasons):
            for day in _leap_year_days():
                if season.contains(day):
                    key = (day.month, day.day)
                    if key in days:
                        self.error(f"{path}[{i}]", f"chevauche la saison {days[key] + 1}")
                        break
                    days[key] = i
        return tuple(seasons)

    def social(self, value: Any, path: str, kind: str) -> SocialOverride | None:
        if not isinstance(value, Mapping):
            self.error(path, "tarif social attendu : {annual_price: …} ou {blocks: […]}")
            return None
        self.unknown_keys(value, SOCIAL_KEYS, path)
        annual = None
        if value.get("annual_price") is not None:
            annual = self.price(value["annual_price"], f"{path}.annual_price")
        table: tuple[tuple[int, Decimal], ...] = ()
        if value.get("annual_price_by_diameter") is not None:
            table = self.diameters(
                value["annual_price_by_diameter"], f"{path}.annual_price_by_diameter"
            )
        blocks: tuple[Block, ...] = ()
        if value.get("blocks") is not None:
            if kind != "volume":
                self.error(f"{path}.blocks", "tranches réservées aux composantes « volume »")
            blocks = self.blocks(value["blocks"], f"{path}.blocks")
        if annual is None and not table and not blocks:
            self.error(path, "tarif social vide")
        return SocialOverride(annual, table, blocks, str(value.get("label") or ""))

    def component(self, data: Any, path: str) -> Component | None:
        if not isinstance(data, Mapping):
            self.error(path, "composante attendue")
            return None
        before = len(self.errors)
        self.unknown_keys(data, COMPONENT_KEYS, path)
        code = self.text(data, "code", f"{path}.code")
        label = self.text(data, "label", f"{path}.label")
        service = self.choice(data, "service", f"{path}.service", SERVICES, None)
        beneficiary = self.choice(data, "beneficiary", f"{path}.beneficiary", BENEFICIARIES, None)
        kind = self.choice(data, "kind", f"{path}.kind", KINDS, None)
        vat_rate = None
        if data.get("vat_rate") is None:
            self.error(f"{path}.vat_rate", "champ obligatoire")
        else:
            vat_rate = self.decimal(data["vat_rate"], f"{path}.vat_rate", "taux de TVA")
            if vat_rate is not None and vat_rate >= 100:
                self.error(f"{path}.vat_rate", f"taux de TVA invalide : « {data['vat_rate']} »")
        annual = None
        if data.get("annual_price") is not None:
            annual = self.price(data["annual_price"], f"{path}.annual_price")
        table: tuple[tuple[int, Decimal], ...] = ()
        if data.get("annual_price_by_diameter") is not None:
            table = self.diameters(
                data["annual_price_by_diameter"], f"{path}.annual_price_by_diameter"
            )
        blocks: tuple[Block, ...] = ()
        seasons: tuple[Season, ...] = ()
        if kind == "volume":
            blocks = self.blocks(data.get("blocks"), f"{path}.blocks")
            if data.get("seasons") is not None:
                seasons = self.seasons(data["seasons"], f"{path}.seasons")
        else:
            for key in ("blocks", "seasons"):
                if data.get(key) is not None:
                    self.error(f"{path}.{key}", "réservé aux composantes « volume »")
        if kind in FIXED_KINDS and annual is None and not table:
            self.error(
                f"{path}.annual_price_by_diameter",
                "prix annuel manquant : annual_price_by_diameter (par diamètre) ou annual_price",
            )
        if kind in FIXED_KINDS | {"minimum"} and annual is not None and table:
            self.error(
                f"{path}.annual_price", "annual_price ou annual_price_by_diameter, pas les deux"
            )
        if kind == "minimum":
            if annual is None:
                self.error(f"{path}.annual_price", "minimum annuel manquant")
            if table:
                self.error(f"{path}.annual_price_by_diameter", "non prévu pour un minimum")
        if kind == "volume" and (annual is not None or table):
            self.error(f"{path}.annual_price", "pas de prix annuel pour une composante « volume »")
        applies_to: tuple[str, ...] = ()
        raw_applies = data.get("applies_to")
        if raw_applies is not None:
            if kind != "minimum":
                self.error(f"{path}.applies_to", "réservé aux composantes « minimum »")
            elif not isinstance(raw_applies, list) or not all(
                isinstance(x, str) for x in raw_applies
            ):
                self.error(f"{path}.applies_to", "liste de codes de composantes attendue")
            else:
                applies_to = tuple(raw_applies)
        if kind == "minimum" and not applies_to and raw_applies is None:
            self.error(f"{path}.applies_to", "champ obligatoire pour un minimum")
        social = None
        if data.get("social") is not None:
            if kind == "minimum":
                self.error(f"{path}.social", "pas de tarif social pour un minimum")
            social = self.social(data["social"], f"{path}.social", kind)
        requires = data.get("requires_service")
        if requires is not None and requires not in SERVICES:
            self.error(
                f"{path}.requires_service",
                f"valeur inconnue « {requires} » (permis : {', '.join(SERVICES)})",
            )
        if len(self.errors) != before or vat_rate is None:
            return None
        return Component(
            code=code,
            label=label,
            service=service,
            beneficiary=beneficiary,
            kind=kind,
            vat_rate=vat_rate,
            annual_price=annual,
            annual_price_by_diameter=table,
            blocks=blocks,
            seasons=seasons,
            social=social,
            applies_to=applies_to,
            requires_service=requires,
        )

    def version(self, data: Any) -> TariffVersion | None:
        if not isinstance(data, Mapping):
            self.error("", "un tarif doit être un dictionnaire (clé: valeur)")
            return None
        self.unknown_keys(data, TOP_KEYS, "")
        code = self.text(data, "code", "code")
        label = self.text(data, "label", "label")
        deliberation = self.text(data, "deliberation", "deliberation", required=False)
        zone_raw = data.get("zone")
        zone: list[str] = []
        if isinstance(zone_raw, str | int):
            zone_raw = [zone_raw]
        if not isinstance(zone_raw, list) or not zone_raw:
            self.error("zone", "liste de codes INSEE attendue (au moins un)")
        else:
            for i, item in enumerate(zone_raw):
                text = str(item).strip().upper()
                if isinstance(item, int) and not isinstance(item, bool):
                    text = f"{item:05d}"
                if not INSEE_CODE.fullmatch(text):
                    self.error(f"zone[{i}]", f"code INSEE invalide : « {item} »")
                elif text in zone:
                    self.error(f"zone[{i}]", f"code INSEE en double : « {item} »")
                else:
                    zone.append(text)
        valid_from = None
        if data.get("valid_from") is None:
            self.error("valid_from", "champ obligatoire")
        else:
            valid_from = self.date(data["valid_from"], "valid_from")
        valid_to = None
        if data.get("valid_to") is not None:
            valid_to = self.date(data["valid_to"], "valid_to")
            if valid_from and valid_to and valid_to < valid_from:
                self.error("valid_to", f"fin de validité {valid_to} avant le début {valid_from}")
        rounding = self.choice(data, "rounding", "rounding", ROUNDING_MODES, "line")
        commune_kind = self.choice(data, "commune_kind", "commune_kind", COMMUNE_KINDS, "standard")
        prices_include_vat = self.boolean(data, "prices_include_vat", False)
        degressive_allowed = self.boolean(data, "degressive_allowed", False)
        components: list[Component] = []
        raw_components = data.get("components")
        if not isinstance(raw_components, list) or not raw_components:
            self.error("components", "liste de composantes attendue (au moins une)")
            raw_components = []
        seen: dict[str, int] = {}
        for i, item in enumerate(raw_components):
            component = self.component(item, f"components[{i}]")
            code_i = item.get("code") if isinstance(item, Mapping) else None
            if isinstance(code_i, str):
                if code_i in seen:
                    self.error(
                        f"components[{i}].code",
                        f"code en double « {code_i} » (déjà en components[{seen[code_i]}])",
                    )
                else:
                    seen[code_i] = i
            if component is not None:
                components.append(component)
        for i, item in enumerate(raw_components):
            if isinstance(item, Mapping) and isinstance(item.get("applies_to"), list):
                for j, target in enumerate(item["applies_to"]):
                    if target not in seen:
                        self.error(
                            f"components[{i}].applies_to[{j}]",
                            f"composante inconnue « {target} »",
                        )
                    elif target == item.get("code"):
                        self.error(
                            f"components[{i}].applies_to[{j}]",
                            "un minimum ne peut pas s'appliquer à lui-même",
                        )
        if self.errors or valid_from is None:
            return None
        return TariffVersion(
            code=code,
            label=label,
            zone=tuple(zone),
            valid_from=valid_from,
            valid_to=valid_to,
            deliberation=deliberation,
            rounding=rounding,
            prices_include_vat=prices_include_vat,
            degressive_allowed=degressive_allowed,
            commune_kind=commune_kind,
            components=tuple(components),
        )


def _leap_year_days():
    day = dt.date(2024, 1, 1)
    while day.year == 2024:
        yield day
        day += dt.timedelta(days=1)


def parse_tariff(data: Mapping) -> TariffVersion:
    """A tariff version from its mapping form; :class:`TariffFormatError` lists every error."""
    parser = _Parser()
    version = parser.version(data)
    if parser.errors or version is None:
        raise TariffFormatError(parser.errors or [("", "tarif invalide")])
    return version


def load_yaml(text: str) -> TariffVersion:
    """Parse a YAML tariff (``yaml.safe_load``); syntax errors carry their line number."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"ligne {mark.line + 1}, colonne {mark.column + 1}" if mark else "position inconnue"
        problem = getattr(exc, "problem", None) or str(exc)
        raise TariffFormatError([("", f"YAML invalide ({where}) : {problem}")]) from exc
    except (ValueError, OverflowError) as exc:
        # The loader builds dates itself: « 2026-13-45 » reads as a date and fails there.
        raise TariffFormatError(
            [("", f"YAML invalide : date ou nombre impossible ({exc})")]
        ) from exc
    return parse_tariff(data)


# --------------------------------------------------------------------------- dump


def _blocks(blocks: tuple[Block, ...]) -> list[dict]:
    return [
        {"up_to": None if b.up_to is None else str(b.up_to), "unit_price": str(b.unit_price)}
        for b in blocks
    ]


def _table(table: tuple[tuple[int, Decimal], ...]) -> dict[str, str]:
    return {str(d): str(p) for d, p in table}


def _component(c: Component) -> dict:
    out: dict[str, Any] = {
        "code": c.code,
        "label": c.label,
        "service": c.service,
        "beneficiary": c.beneficiary,
        "kind": c.kind,
        "vat_rate": str(c.vat_rate),
    }
    if c.annual_price is not None:
        out["annual_price"] = str(c.annual_price)
    if c.annual_price_by_diameter:
        out["annual_price_by_diameter"] = _table(c.annual_price_by_diameter)
    if c.blocks:
        out["blocks"] = _blocks(c.blocks)
    if c.seasons:
        out["seasons"] = [
            {
                **({"label": s.label} if s.label else {}),
                "from": f"{s.start[0]:02d}-{s.start[1]:02d}",
                "to": f"{s.end[0]:02d}-{s.end[1]:02d}",
                "blocks": _blocks(s.blocks),
            }
            for s in c.seasons
        ]
    if c.social is not None:
        social: dict[str, Any] = {}
        if c.social.label:
            social["label"] = c.social.label
        if c.social.annual_price is not None:
            social["annual_price"] = str(c.social.annual_price)
        if c.social.annual_price_by_diameter:
            social["annual_price_by_diameter"] = _table(c.social.annual_price_by_diameter)
        if c.social.blocks:
            social["blocks"] = _blocks(c.social.blocks)
        out["social"] = social
    if c.applies_to:
        out["applies_to"] = list(c.applies_to)
    if c.requires_service:
        out["requires_service"] = c.requires_service
    return out


def dump_tariff(version: TariffVersion) -> dict:
    """The mapping form (JSON-ready: decimals and dates as strings)."""
    return {
        "code": version.code,
        "label": version.label,
        "zone": list(version.zone),
        "valid_from": version.valid_from.isoformat(),
        "valid_to": None if version.valid_to is None else version.valid_to.isoformat(),
        "deliberation": version.deliberation,
        "rounding": version.rounding,
        "prices_include_vat": version.prices_include_vat,
        "degressive_allowed": version.degressive_allowed,
        "commune_kind": version.commune_kind,
        "components": [_component(c) for c in version.components],
    }


def dump_yaml(version: TariffVersion) -> str:
    """YAML text (dates as YAML dates, decimals quoted); ``load_yaml`` reads it back."""
    data = dump_tariff(version)
    data["valid_from"] = version.valid_from
    data["valid_to"] = version.valid_to
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


# --------------------------------------------------------------------------- BILL-1a


def _is_degressive(blocks: tuple[Block, ...]) -> tuple[int, int] | None:
    for i in range(1, len(blocks)):
        for j in range(i):
            if blocks[i].unit_price < blocks[j].unit_price:
                return (j, i)
    return None


def _reference_diameter(version: TariffVersion) -> int:
    diameters = [d for c in version.components for d, _ in c.annual_price_by_diameter]
    return min(diameters) if diameters else 15


def check_tariff(version: TariffVersion) -> list[TariffWarning]:
    """BILL-1a: the checks made when a tariff is entered. Each failed check is a
    warning whose French message shows the computation.

    * **Fixed share**: for a 120 m³ yearly bill (a whole calendar year, the year
      of ``valid_from``, the smallest diameter priced in the tariff, no social
      tariff), the fixed part (``fixed``, ``meter_rental``, ``per_dwelling`` for
      one dwelling and any ``minimum`` top-up) of each of the water and the
      sanitation services must not exceed 30 % of that service's amount
      excluding VAT (40 % for ``rural`` communes, no cap for ``tourist``
      ones). ``public_bodies`` levies belong to neither service.
    * **Degressive blocks** (a later block cheaper than an earlier one, in
      the blocks, seasons or social blocks) only with ``degressive_allowed``.
    * An unusual VAT rate (not a French rate, see :data:`USUAL_VAT_RATES`).
    """
    warnings: list[TariffWarning] = []
    for i, c in enumerate(version.components):
        if c.vat_rate not in USUAL_VAT_RATES:
            warnings.append(
                TariffWarning(
                    "unusual_vat_rate",
                    f"components[{i}].vat_rate",
                    f"{c.code} : taux de TVA inhabituel {_fr(c.vat_rate, 1)} %",
                )
            )
    if not version.degressive_allowed:
        for i, c in enumerate(version.components):
            lists = [("blocks", c.blocks)]
            lists += [(f"seasons[{k}].blocks", s.blocks) for k, s in enumerate(c.seasons)]
            if c.social is not None:
                lists.append(("social.blocks", c.social.blocks))
            for where, blocks in lists:
                pair = _is_degressive(blocks)
                if pair:
                    j, k = pair
                    warnings.append(
                        TariffWarning(
                            "degressive_blocks",
                            f"components[{i}].{where}",
                            f"{c.code} : tranches dégressives (tranche {k + 1} à "
                            f"{_fr(blocks[k].unit_price, 4)} €/m³ moins chère que tranche "
                            f"{j + 1} à {_fr(blocks[j].unit_price, 4)} €/m³) alors que la "
                            "collectivité n'y est pas autorisée (degressive_allowed: false)",
                        )
                    )
    warnings.extend(_fixed_share(version))
    return warnings


def _fixed_share(version: TariffVersion) -> list[TariffWarning]:
    cap = FIXED_SHARE_CAPS.get(version.commune_kind)
    if cap is None:
        return []
    year = version.valid_from.year
    reference = replace(version, valid_from=dt.date(year, 1, 1), valid_to=None)
    diameter = _reference_diameter(version)
    request = BillRequest(dt.date(year, 1, 1), dt.date(year, 12, 31), REFERENCE_VOLUME, diameter)
    try:
        bill = price([reference], request)
    except PricingError as exc:
        return [
            TariffWarning(
                "fixed_share_not_computed",
                "components",
                f"part fixe non calculable pour 120 m³ (diamètre {diameter} mm) : {exc.message}",
            )
        ]
    warnings = []
    names = {"water": "eau potable", "sanitation": "assainissement"}
    for service, name in names.items():
        lines = [ln for ln in bill.lines if ln.service == service]
        total = sum((ln.amount_excl_vat for ln in lines), Decimal(0))
        fixed = sum((ln.amount_excl_vat for ln in lines if ln.kind != "volume"), Decimal(0))
        if not total:
            continue
        share = fixed * 100 / total
        if share > cap:
            warnings.append(
                TariffWarning(
                    "fixed_share",
                    "components",
                    f"Part fixe {name} trop élevée : {_fr(fixed)} € sur {_fr(total)} € HT "
                    f"pour 120 m³ par an (diamètre {diameter} mm) = "
                    f"{_fr(round_money(share), 2)} %, plafond {_fr(cap, 0)} % "
                    f"(commune {version.commune_kind})",
                )
            )
    return warnings
