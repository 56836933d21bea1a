"""The pricing engine (BILL-1, BILL-1b, BILL-1c, BILL-2, BILL-3, BILL-8, BILL-11). Pure: no database.

One function, :func:`price`, turns tariff versions and a :class:`BillRequest`
(a period, a volume, a meter diameter) into a :class:`Bill`. Billing runs,
simulations and tariff checks all call it (BILL-11: one engine).

The steps, in order (``docs/tariff-format.md`` has the worked examples):

1. **Split the period** (BILL-2) into *sub-periods* at every tariff-version
   boundary and every season boundary of a component. The volume is spread
   over the days linearly: the sub-period ending on day *k* gets
   ``q(V × days_to_k / N) − q(V × days_before / N)`` (``q``: quantised to
   0.001 m³ half-up, cumulative so that no part is negative and the parts sum
   exactly to the volume; the last sub-period takes the remainder).
2. **Price each component** on the sub-periods where its price is the same
   (consecutive sub-periods of one version and one season are merged):

   * ``fixed`` / ``meter_rental``: annual price (by diameter or flat) ×
     :func:`year_fraction` of the sub-period, unit ``"year"``;
   * ``per_dwelling``: annual price × dwellings × year fraction, unit
     ``"dwelling-year"`` (the quantity is dwellings × year fraction);
   * ``volume``: the volume filled through the blocks in order, the block
     bounds being annual and prorated (:func:`prorate_bound`), unit ``"m3"``;
     one line per block used, ``block`` is its 0-based index;
   * ``minimum``: after the others, per tariff version: if the lines of the
     components in ``applies_to`` total less than annual minimum × year
     fraction, one top-up line of the difference (quantity 1, unit
     ``"forfait"``).

   Seasons (``Component.seasons``) replace the blocks on the days they cover;
   the social override (``Component.social``) replaces prices and blocks (and
   then seasons do not apply) when ``BillRequest.social`` is true.
3. **Round** (BILL-1b, BILL-3), in :func:`_finish_line` and :func:`_totals` only,
   according to the rounding mode of the tariff version in force on the last
   day of the period (see :data:`ROUNDING_MODES`).

Every amount is a ``Decimal``; every rounding of money goes through
:func:`robinet.core.money.round_money` (half-up to the cent).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from robinet.core.money import round_money

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
VOLUME_QUANTUM = Decimal("0.001")  # m³ (one litre)
PRICE_QUANTUM = Decimal("0.000001")  # unit prices converted from VAT-included prices
PRICE_PER_M3_QUANTUM = Decimal("0.0001")
PRICE_PER_LITRE_QUANTUM = Decimal("0.00001")

SERVICES = ("water", "sanitation", "public_bodies", "other")
"""Invoice headings (BILL-8), in the order of the invoice."""

SERVICE_HEADINGS = {
    "water": "Distribution de l'eau",
    "sanitation": "Collecte et traitement des eaux usées",
    "public_bodies": "Organismes publics",
    "other": "Autres prestations",
}
BENEFICIARIES = ("operator", "authority", "water_agency", "other")
KINDS = ("fixed", "per_dwelling", "meter_rental", "volume", "minimum")
FIXED_KINDS = frozenset({"fixed", "per_dwelling", "meter_rental"})
"""Kinds making the *fixed charge* of BILL-8's price of a litre (not ``minimum``)."""

ROUNDING_LINE = "line"
ROUNDING_UNIT_PRICE_INCL_VAT = "unit_price_incl_vat"
ROUNDING_TOTAL = "total"
ROUNDING_MODES = (ROUNDING_LINE, ROUNDING_UNIT_PRICE_INCL_VAT, ROUNDING_TOTAL)
"""BILL-1b: (a) ``line``, (b) ``unit_price_incl_vat``, (c) ``total``."""

COMMUNE_KINDS = ("standard", "rural", "tourist")

UNIT_M3 = "m3"
UNIT_YEAR = "year"
UNIT_DWELLING_YEAR = "dwelling-year"
UNIT_FORFAIT = "forfait"
DEDUCTION_LABEL = "Déjà facturé"


class PricingError(Exception):
    """A bill cannot be computed. ``code`` is stable, for programs and pre-billing
    controls (BILL-5): ``missing_tariff``, ``ambiguous_tariff``,
    ``missing_diameter_price``, ``missing_price``, ``invalid_period``,
    ``negative_volume``, ``invalid_request``, ``deduction_outside_period``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


# --------------------------------------------------------------------------- tariffs


@dataclass(frozen=True)
class Block:
    """A block (*tranche*): up to ``up_to`` m³ a year (None: no upper bound)."""

    up_to: Decimal | None
    unit_price: Decimal


@dataclass(frozen=True)
class Season:
    """Seasonal blocks on the days from ``start`` to ``end`` ((month, day), both
    inclusive; ``start > end`` wraps the year end, e.g. (11, 1)–(2, 28))."""

    start: tuple[int, int]
    end: tuple[int, int]
    blocks: tuple[Block, ...]
    label: str = ""

    def contains(self, day: dt.date) -> bool:
        md = (day.month, day.day)
        if self.start <= self.end:
            return self.start <= md <= self.end
        return md >= self.start or md <= self.end


@dataclass(frozen=True)
class SocialOverride:
    """Prices for accounts eligible to the social tariff (BILL-1). Each field set
    replaces the component's own; ``blocks`` also disables the seasons."""

    annual_price: Decimal | None = None
    annual_price_by_diameter: tuple[tuple[int, Decimal], ...] = ()
    blocks: tuple[Block, ...] = ()
    label: str = ""


@dataclass(frozen=True)
class Component:
    """One priced item of a tariff version (BILL-1).

    ``annual_price_by_diameter`` is a tuple of ``(diameter_mm, annual price)``
    pairs sorted by diameter (a tuple keeps the dataclass hashable; use
    :meth:`diameter_prices` for a dict). ``applies_to`` lists the component
    codes a ``minimum`` tops up. ``requires_service``: the component is billed
    only when the contract also takes this service (e.g. a ``public_bodies``
    levy on wastewater collection requires ``sanitation``).
    """

    code: str
    label: str
    service: str
    beneficiary: str
    kind: str
    vat_rate: Decimal
    annual_price: Decimal | None = None
    annual_price_by_diameter: tuple[tuple[int, Decimal], ...] = ()
    blocks: tuple[Block, ...] = ()
    seasons: tuple[Season, ...] = ()
    social: SocialOverride | None = None
    applies_to: tuple[str, ...] = ()
    requires_service: str | None = None

    def diameter_prices(self) -> dict[int, Decimal]:
        return dict(self.annual_price_by_diameter)


@dataclass(frozen=True)
class TariffVersion:
    """A tariff valid from ``valid_from`` to ``valid_to`` (inclusive; None: open)
    in the communes of ``zone`` (INSEE codes), as set by ``deliberation``."""

    code: str
    label: str
    zone: tuple[str, ...]
    valid_from: dt.date
    valid_to: dt.date | None
    deliberation: str
    rounding: str = ROUNDING_LINE
    prices_include_vat: bool = False
    degressive_allowed: bool = False
    commune_kind: str = "standard"
    components: tuple[Component, ...] = ()

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def component(self, code: str) -> Component | None:
        return next((c for c in self.components if c.code == code), None)


# --------------------------------------------------------------------------- request / bill


@dataclass(frozen=True)
class BillRequest:
    """What to price: ``volume`` m³ consumed from ``period_start`` to ``period_end``
    (both inclusive: the last day billed), spread evenly over the days (BILL-2).

    ``services``: the services the contract takes; components of other services
    are skipped (no sanitation when the premises are not connected).
    """

    period_start: dt.date
    period_end: dt.date
    volume: Decimal
    diameter_mm: int
    dwellings: int = 1
    social: bool = False
    services: frozenset[str] = frozenset(SERVICES)


@dataclass(frozen=True)
class Line:
    """One invoice line. ``amount_excl_vat`` is rounded to the cent in every mode.

    ``unit_price`` is excluding VAT (exact for prices entered excluding VAT, 6
    decimals when converted from a VAT-included price). Under
    ``unit_price_incl_vat`` rounding, ``unit_price_incl_vat`` and
    ``amount_incl_vat`` are set (both to the cent) and are what the totals use;
    under ``total`` rounding, ``exact_amount_excl_vat`` is the unrounded
    quantity × unit price that the totals use. ``deduction``: a negative line of
    a yearly re-rating (BILL-1c) giving back what an earlier bill charged.
    """

    component_code: str
    label: str
    service: str
    beneficiary: str
    kind: str
    tariff_code: str
    period_start: dt.date
    period_end: dt.date
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount_excl_vat: Decimal
    vat_rate: Decimal
    block: int | None = None
    season: int | None = None
    social: bool = False
    unit_price_incl_vat: Decimal | None = None
    amount_incl_vat: Decimal | None = None
    exact_amount_excl_vat: Decimal | None = None
    deduction: bool = False


@dataclass(frozen=True)
class VatTotal:
    """VAT at ``rate`` (percent) on ``base`` (excluding VAT), both to the cent."""

    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class BillPeriod:
    """A sub-period of BILL-2 (between tariff or season boundaries) and its volume."""

    start: dt.date
    end: dt.date
    tariff_code: str
    days: int
    volume: Decimal


@dataclass(frozen=True)
class Bill:
    """A priced bill. ``total_excl_vat`` is the sum of the VAT bases,
    ``total_incl_vat = total_excl_vat + total_vat``. ``fixed_incl_vat`` and the
    prices per m³ and per litre are BILL-8's mentions (None when the volume is 0)."""

    lines: tuple[Line, ...]
    vat: tuple[VatTotal, ...]
    total_excl_vat: Decimal
    total_vat: Decimal
    total_incl_vat: Decimal
    volume: Decimal
    fixed_incl_vat: Decimal
    price_per_m3_incl_vat: Decimal | None
    price_per_litre_incl_vat: Decimal | None
    rounding: str = ROUNDING_LINE
    periods: tuple[BillPeriod, ...] = field(default=())


# --------------------------------------------------------------------------- calendar


def _days_in_year(year: int) -> int:
    return 366 if dt.date(year, 12, 31).timetuple().tm_yday == 366 else 365


def year_fraction(start: dt.date, end: dt.date) -> Decimal:
    """The share of a year from ``start`` to ``end`` (inclusive): each day counts
    1/365, or 1/366 in a leap year, so a whole calendar year is exactly 1.

    Days of different calendar years are counted in their own year. The result
    is exact when the period lies in one year and is a whole year; otherwise
    it carries the ``Decimal`` context precision (28 digits)."""
    if end < start:
        raise PricingError("invalid_period", f"{end} is before {start}")
    total = ZERO
    year = start.year
    while year <= end.year:
        first = max(start, dt.date(year, 1, 1))
        last = min(end, dt.date(year, 12, 31))
        days = (last - first).days + 1
        n = _days_in_year(year)
        total += ONE if days == n else Decimal(days) / Decimal(n)
        year += 1
    return total


def prorate_bound(bound: Decimal, start: dt.date, end: dt.date) -> Decimal:
    """An annual block bound prorated to ``start``–``end`` (BILL-1), to 0.001 m³
    half-up. Over a whole calendar year it is the annual bound exactly."""
    return (bound * year_fraction(start, end)).quantize(VOLUME_QUANTUM, rounding=ROUND_HALF_UP)


def _season_day(year: int, month_day: tuple[int, int]) -> dt.date:
    """The date of (month, day) in ``year``; 02-29 of a common year is 1 March
    (a season from 02-29 starts on 1 March, one to 02-29 ends on 28 February)."""
    try:
        return dt.date(year, *month_day)
    except ValueError:
        return dt.date(year, 3, 1)


def _cuts(tariffs: Sequence[TariffVersion], start: dt.date, end: dt.date) -> list[dt.date]:
    """The days from which the tariff or a season may change, from ``start`` to the day
    after ``end``: the period is then cut in a handful of stretches, not in days."""
    after = end + dt.timedelta(days=1)
    cuts = {start, after}
    one_day = dt.timedelta(days=1)
    for version in tariffs:
        cuts.add(version.valid_from)
        if version.valid_to is not None:
            cuts.add(version.valid_to + one_day)
        for component in version.components:
            for season in component.seasons:
                for year in range(start.year - 1, end.year + 2):
                    cuts.add(_season_day(year, season.start))
                    if season.end == (2, 29):
                        cuts.add(_season_day(year, (3, 1)))
                    else:
                        cuts.add(_season_day(year, season.end) + one_day)
    return sorted(c for c in cuts if start <= c <= after)


# --------------------------------------------------------------------------- pricing


@dataclass(frozen=True)
class _Segment:
    """An atomic sub-period: one tariff version, one season state per component."""

    start: dt.date
    end: dt.date
    version: TariffVersion
    seasons: tuple[int | None, ...]  # per component of the version
    volume: Decimal = ZERO

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class _Raw:
    """A line before rounding: ``price`` is as entered (incl. VAT when ``incl``)."""

    component: Component
    version: TariffVersion
    start: dt.date
    end: dt.date
    quantity: Decimal
    unit: str
    price: Decimal
    incl: bool
    block: int | None = None
    season: int | None = None
    social: bool = False
    block_count: int = 0


def _season_index(component: Component, day: dt.date) -> int | None:
    for i, season in enumerate(component.seasons):
        if season.contains(day):
            return i
    return None


def _version_for(tariffs: Sequence[TariffVersion], day: dt.date) -> TariffVersion:
    found = [t for t in tariffs if t.covers(day)]
    if not found:
        raise PricingError("missing_tariff", f"aucun tarif en vigueur le {day.isoformat()}")
    if len(found) > 1:
        codes = ", ".join(t.code for t in found)
        raise PricingError(
            "ambiguous_tariff", f"plusieurs tarifs en vigueur le {day.isoformat()} : {codes}"
        )
    return found[0]


def _check_request(request: BillRequest) -> None:
    if request.period_end < request.period_start:
        raise PricingError(
            "invalid_period", f"fin {request.period_end} avant début {request.period_start}"
        )
    if not isinstance(request.volume, Decimal):
        raise PricingError("invalid_request", "the volume must be a Decimal")
    if request.volume < 0:
        raise PricingError("negative_volume", f"volume négatif : {request.volume}")
    if request.dwellings < 1:
        raise PricingError("invalid_request", "at least one dwelling")


def _segments(tariffs: Sequence[TariffVersion], request: BillRequest) -> list[_Segment]:
    """BILL-2: split at version and season boundaries, spread the volume over days."""
    segments: list[_Segment] = []
    cuts = _cuts(tariffs, request.period_start, request.period_end)
    for first, following in zip(cuts, cuts[1:], strict=False):
        # Nothing changes inside [first, following): look at its first day only.
        version = _version_for(tariffs, first)
        seasons = tuple(_season_index(c, first) for c in version.components)
        last_day = following - dt.timedelta(days=1)
        last = segments[-1] if segments else None
        if last is not None and last.version is version and last.seasons == seasons:
            segments[-1] = replace(last, end=last_day)
        else:
            segments.append(_Segment(first, last_day, version, seasons))
    total_days = (request.period_end - request.period_start).days + 1
    spread: list[_Segment] = []
    elapsed = 0
    before = ZERO
    for i, seg in enumerate(segments):
        elapsed += seg.days
        if i == len(segments) - 1:
            upto = request.volume
        else:
            upto = (request.volume * elapsed / total_days).quantize(
                VOLUME_QUANTUM, rounding=ROUND_HALF_UP
            )
        spread.append(replace(seg, volume=upto - before))
        before = upto
    return spread


def _runs(segments: list[_Segment], key) -> list[list[_Segment]]:
    """Consecutive segments with the same ``key(segment)``."""
    runs: list[list[_Segment]] = []
    for seg in segments:
        if runs and key(runs[-1][-1]) == key(seg):
            runs[-1].append(seg)
        else:
            runs.append([seg])
    return runs


def _annual_price(component: Component, request: BillRequest, version: TariffVersion) -> Decimal:
    social = component.social if request.social else None
    table = component.annual_price_by_diameter
    flat = component.annual_price
    if social is not None:
        table = social.annual_price_by_diameter or table
        flat = social.annual_price if social.annual_price is not None else flat
        if social.annual_price is not None and not social.annual_price_by_diameter:
            table = ()
    if table:
        prices = dict(table)
        if request.diameter_mm not in prices:
            raise PricingError(
                "missing_diameter_price",
                f"{version.code} / {component.code} : pas de prix pour le diamètre "
                f"{request.diameter_mm} mm",
            )
        return prices[request.diameter_mm]
    if flat is None:
        raise PricingError("missing_price", f"{version.code} / {component.code} : pas de prix")
    return flat


def _is_social(component: Component, request: BillRequest) -> bool:
    return request.social and component.social is not None


def _fill_blocks(
    blocks: Sequence[Block], volume: Decimal, start: dt.date, end: dt.date
) -> list[tuple[int, Decimal, Block]]:
    """The volume of each block used: bounds prorated to the period (BILL-1)."""
    used: list[tuple[int, Decimal, Block]] = []
    lower = ZERO
    for i, block in enumerate(blocks):
        if lower >= volume:
            break
        upper = (
            volume if block.up_to is None else min(volume, prorate_bound(block.up_to, start, end))
        )
        if upper > lower:
            used.append((i, upper - lower, block))
        lower = max(lower, upper)
    return used


def _component_raws(
    component: Component, index: int, run: list[_Segment], request: BillRequest
) -> list[_Raw]:
    version = run[0].version
    incl = version.prices_include_vat
    social = _is_social(component, request)
    raws: list[_Raw] = []
    if component.kind in FIXED_KINDS:
        start, end = run[0].start, run[-1].end
        price = _annual_price(component, request, version)
        quantity = year_fraction(start, end)
        unit = UNIT_YEAR
        if component.kind == "per_dwelling":
            quantity *= request.dwellings
            unit = UNIT_DWELLING_YEAR
        raws.append(
            _Raw(component, version, start, end, quantity, unit, price, incl, social=social)
        )
    elif component.kind == "volume":
        social_blocks = component.social.blocks if social and component.social else ()
        key = (lambda s: None) if social_blocks else (lambda s: s.seasons[index])
        for part in _runs(run, key):
            start, end = part[0].start, part[-1].end
            volume = sum((s.volume for s in part), ZERO)
            season = None if social_blocks else part[0].seasons[index]
            if social_blocks:
                blocks = social_blocks
            elif season is not None:
                blocks = component.seasons[season].blocks
            else:
                blocks = component.blocks
            for block_index, quantity, block in _fill_blocks(blocks, volume, start, end):
                raws.append(
                    _Raw(
                        component,
                        version,
                        start,
                        end,
                        quantity,
                        UNIT_M3,
                        block.unit_price,
                        incl,
                        block=block_index,
                        season=season,
                        social=social,
                        block_count=len(blocks),
                    )
                )
    return raws


def _rate_factor(rate: Decimal) -> Decimal:
    return ONE + rate / HUNDRED


def _label(raw: _Raw) -> str:
    label = raw.component.label
    if raw.block is not None and raw.block_count > 1:
        label += f" – tranche {raw.block + 1}"
    if raw.season is not None:
        season = raw.component.seasons[raw.season]
        name = season.label or "saison"
        label += f" ({name} {season.start[1]:02d}/{season.start[0]:02d}–"
        label += f"{season.end[1]:02d}/{season.end[0]:02d})"
    if raw.social:
        social = raw.component.social
        label += f" ({social.label})" if social and social.label else " (tarif social)"
    return label


def _finish_line(raw: _Raw, mode: str) -> Line:
    """The one place where a line's prices and amount are rounded (BILL-1b, BILL-3)."""
    rate = raw.component.vat_rate
    factor = _rate_factor(rate)
    if raw.incl:
        unit_excl = (raw.price / factor).quantize(PRICE_QUANTUM, rounding=ROUND_HALF_UP)
    else:
        unit_excl = raw.price
    unit_incl = amount_incl = exact = None
    if mode == ROUNDING_UNIT_PRICE_INCL_VAT:
        unit_incl = round_money(raw.price if raw.incl else raw.price * factor)
        amount_incl = round_money(raw.quantity * unit_incl)
        amount_excl = round_money(amount_incl / factor)
    elif mode == ROUNDING_TOTAL:
        exact = raw.quantity * unit_excl
        amount_excl = round_money(exact)
    else:
        amount_excl = round_money(raw.quantity * unit_excl)
    c = raw.component
    return Line(
        component_code=c.code,
        label=_label(raw),
        service=c.service,
        beneficiary=c.beneficiary,
        kind=c.kind,
        tariff_code=raw.version.code,
        period_start=raw.start,
        period_end=raw.end,
        quantity=raw.quantity,
        unit=raw.unit,
        unit_price=unit_excl,
        amount_excl_vat=amount_excl,
        vat_rate=rate,
        block=raw.block,
        season=raw.season,
        social=raw.social,
        unit_price_incl_vat=unit_incl,
        amount_incl_vat=amount_incl,
        exact_amount_excl_vat=exact,
    )


def _native(line: Line, mode: str) -> Decimal:
    """The amount a line contributes to the totals under ``mode``."""
    if mode == ROUNDING_UNIT_PRICE_INCL_VAT:
        if line.amount_incl_vat is not None:
            return line.amount_incl_vat
        return round_money(line.amount_excl_vat * _rate_factor(line.vat_rate))
    if mode == ROUNDING_TOTAL and line.exact_amount_excl_vat is not None:
        return line.exact_amount_excl_vat
    return line.amount_excl_vat


def _minimum_lines(
    component: Component, run: list[_Segment], lines: Sequence[Line], mode: str
) -> list[Line]:
    """A ``minimum`` tops up the ``applies_to`` lines of this version's span."""
    version = run[0].version
    start, end = run[0].start, run[-1].end
    if component.annual_price is None:
        raise PricingError("missing_price", f"{version.code} / {component.code} : pas de minimum")
    floor_raw = _Raw(
        component,
        version,
        start,
        end,
        year_fraction(start, end),
        UNIT_YEAR,
        component.annual_price,
        version.prices_include_vat,
    )
    floor = _native(_finish_line(floor_raw, mode), mode)
    covered = sum(
        (
            _native(line, mode)
            for line in lines
            if line.component_code in component.applies_to
            and line.tariff_code == version.code
            and start <= line.period_start
            and line.period_end <= end
        ),
        ZERO,
    )
    if covered >= floor:
        return []
    top_up = floor - covered
    incl = mode == ROUNDING_UNIT_PRICE_INCL_VAT
    raw = _Raw(component, version, start, end, ONE, UNIT_FORFAIT, top_up, incl)
    # The top-up is an amount in the mode's own terms: incl. VAT (to the cent) under
    # unit_price_incl_vat, excl. VAT otherwise.
    return [_finish_line(raw, mode)]


def _order(lines: Sequence[Line], versions: Sequence[TariffVersion]) -> list[Line]:
    first_seen: dict[str, int] = {}
    for version in versions:
        for c in version.components:
            first_seen.setdefault(c.code, len(first_seen))
    return sorted(
        lines,
        key=lambda ln: (
            SERVICES.index(ln.service) if ln.service in SERVICES else len(SERVICES),
            first_seen.get(ln.component_code, len(first_seen)),
            ln.deduction,
            ln.period_start,
            -1 if ln.block is None else ln.block,
        ),
    )


def _balance_incl_mode(lines: list[Line], rate: Decimal, base: Decimal) -> list[Line]:
    """Under ``unit_price_incl_vat``, make the lines' amounts excl. VAT of one rate sum
    to the VAT base derived from their amounts incl. VAT: the cents of difference
    go to the largest (non-deduction) line."""
    idx = [i for i, ln in enumerate(lines) if ln.vat_rate == rate]
    gap = base - sum((lines[i].amount_excl_vat for i in idx), ZERO)
    if not gap or not idx:
        return lines
    fresh = [i for i in idx if not lines[i].deduction] or idx
    target = max(fresh, key=lambda i: abs(lines[i].amount_excl_vat))
    lines[target] = replace(lines[target], amount_excl_vat=lines[target].amount_excl_vat + gap)
    return lines


def _totals(
    lines: Sequence[Line], volume: Decimal, mode: str, periods: Sequence[BillPeriod] = ()
) -> Bill:
    """BILL-3 / BILL-1b: VAT per rate, rounded once; totals; BILL-8 prices."""
    rates = sorted({ln.vat_rate for ln in lines})
    out = list(lines)
    vat: list[VatTotal] = []
    for rate in rates:
        of_rate = [ln for ln in out if ln.vat_rate == rate]
        factor = _rate_factor(rate)
        if mode == ROUNDING_UNIT_PRICE_INCL_VAT:
            incl = sum((_native(ln, mode) for ln in of_rate), ZERO)
            base = round_money(incl / factor)
            amount = incl - base
            out = _balance_incl_mode(out, rate, base)
        elif mode == ROUNDING_TOTAL:
            exact = sum((_native(ln, mode) for ln in of_rate), ZERO)
            base = round_money(exact)
            amount = round_money(exact * rate / HUNDRED)
        else:
            base = sum((ln.amount_excl_vat for ln in of_rate), ZERO)
            amount = round_money(base * rate / HUNDRED)
        vat.append(VatTotal(rate=rate, base=base, amount=amount))
    total_excl = sum((v.base for v in vat), ZERO)
    total_vat = sum((v.amount for v in vat), ZERO)
    total_incl = total_excl + total_vat
    fixed_incl = _fixed_incl_vat(out, mode)
    per_m3 = per_litre = None
    if volume > 0:
        per_m3 = (total_incl / volume).quantize(PRICE_PER_M3_QUANTUM, rounding=ROUND_HALF_UP)
        per_litre = ((total_incl - fixed_incl) / (volume * 1000)).quantize(
            PRICE_PER_LITRE_QUANTUM, rounding=ROUND_HALF_UP
        )
    return Bill(
        lines=tuple(out),
        vat=tuple(vat),
        total_excl_vat=total_excl,
        total_vat=total_vat,
        total_incl_vat=total_incl,
        volume=volume,
        fixed_incl_vat=fixed_incl,
        price_per_m3_incl_vat=per_m3,
        price_per_litre_incl_vat=per_litre,
        rounding=mode,
        periods=tuple(periods),
    )


def _fixed_incl_vat(lines: Sequence[Line], mode: str) -> Decimal:
    """BILL-8: the fixed charge incl. VAT (fixed, meter rental, per dwelling):
    per rate, the lines' amounts × (1 + rate), rounded once (their incl. VAT
    amounts under ``unit_price_incl_vat``)."""
    total = ZERO
    for rate in {ln.vat_rate for ln in lines if ln.kind in FIXED_KINDS}:
        of_rate = [ln for ln in lines if ln.kind in FIXED_KINDS and ln.vat_rate == rate]
        if mode == ROUNDING_UNIT_PRICE_INCL_VAT:
            total += sum((_native(ln, mode) for ln in of_rate), ZERO)
        else:
            base = sum((_native(ln, mode) for ln in of_rate), ZERO)
            total += round_money(base * _rate_factor(rate))
    return total


def _price_lines(
    tariffs: Sequence[TariffVersion], request: BillRequest
) -> tuple[list[Line], str, list[_Segment]]:
    _check_request(request)
    segments = _segments(tariffs, request)
    mode = segments[-1].version.rounding
    if mode not in ROUNDING_MODES:
        raise PricingError("invalid_request", f"unknown rounding {mode!r}")
    lines: list[Line] = []
    version_runs = _runs(segments, lambda s: id(s.version))
    for run in version_runs:
        version = run[0].version
        for index, component in enumerate(version.components):
            if not _takes(component, request) or component.kind == "minimum":
                continue
            for raw in _component_raws(component, index, run, request):
                lines.append(_finish_line(raw, mode))
    for run in version_runs:
        for component in run[0].version.components:
            if component.kind == "minimum" and _takes(component, request):
                lines.extend(_minimum_lines(component, run, lines, mode))
    return _order(lines, [r[0].version for r in version_runs]), mode, segments


def _takes(component: Component, request: BillRequest) -> bool:
    if component.service not in request.services:
        return False
    return component.requires_service is None or component.requires_service in request.services


def _periods(segments: Sequence[_Segment]) -> list[BillPeriod]:
    return [BillPeriod(s.start, s.end, s.version.code, s.days, s.volume) for s in segments]


def price(tariffs: Sequence[TariffVersion], request: BillRequest) -> Bill:
    """Price ``request`` with the tariff versions in force on its days (see module doc).

    ``tariffs`` are the versions of the service point's zone; exactly one must
    be in force on each day (``missing_tariff`` / ``ambiguous_tariff``).
    """
    lines, mode, segments = _price_lines(tariffs, request)
    return _totals(lines, request.volume, mode, _periods(segments))


@functools.lru_cache(maxsize=20_000)  # pure: the same interim lines recur from bill to bill
def _deduction(line: Line) -> Line:
    start = line.period_start.strftime("%d/%m/%Y")
    end = line.period_end.strftime("%d/%m/%Y")
    return replace(
        line,
        label=f"{DEDUCTION_LABEL} du {start} au {end} : {line.label}",
        quantity=-line.quantity,
        amount_excl_vat=-line.amount_excl_vat,
        amount_incl_vat=None if line.amount_incl_vat is None else -line.amount_incl_vat,
        exact_amount_excl_vat=(
            None if line.exact_amount_excl_vat is None else -line.exact_amount_excl_vat
        ),
        deduction=True,
    )


def rerate_year(
    tariffs: Sequence[TariffVersion],
    request_for_the_year: BillRequest,
    already_billed: Sequence[Line],
    *,
    year: Bill | None = None,
) -> Bill:
    """BILL-1c: the yearly bill on a real reading re-rates the whole year.

    The year (``request_for_the_year``, normally a calendar year, so that the
    block bounds are the annual ones) is priced afresh; each line already
    billed by interim or estimated bills of that year comes back as a negative
    line (``deduction=True``, label « Déjà facturé du … au … : … », quantity
    and amounts negated, same unit and block). VAT is computed per rate on the
    net lines, so the totals are the difference. ``volume``, ``fixed_incl_vat``
    and the prices per m³ and per litre are those of the whole year (BILL-8
    mentions for the year), not of the difference. ``year``: the year already
    priced (``price(tariffs, request_for_the_year)``), when the caller has it.
    """
    request = request_for_the_year
    for line in already_billed:
        if line.period_start < request.period_start or line.period_end > request.period_end:
            raise PricingError(
                "deduction_outside_period",
                f"{line.component_code} {line.period_start}–{line.period_end} hors de "
                f"{request.period_start}–{request.period_end}",
            )
    if year is None:
        year = price(tariffs, request)
    by_code = {version.code: version for version in tariffs}
    versions = [by_code[period.tariff_code] for period in year.periods]
    mode = versions[-1].rounding
    deductions = [_deduction(ln) for ln in already_billed]
    net = _totals(_order([*year.lines, *deductions], versions), request.volume, mode, year.periods)
    return replace(
        net,
        fixed_incl_vat=year.fixed_incl_vat,
        price_per_m3_incl_vat=year.price_per_m3_incl_vat,
        price_per_litre_incl_vat=year.price_per_litre_incl_vat,
    )


def block_usage(lines: Sequence[Line]) -> dict[tuple[str, int], Decimal]:
    """BILL-1c: the volume billed per (component code, block index), deductions netted."""
    usage: dict[tuple[str, int], Decimal] = {}
    for line in lines:
        if line.block is None or line.unit != UNIT_M3:
            continue
        key = (line.component_code, line.block)
        usage[key] = usage.get(key, ZERO) + line.quantity
    return usage


# --------------------------------------------------------------------------- JSON


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def line_to_dict(line: Line) -> dict:
    return {
        "component_code": line.component_code,
        "label": line.label,
        "service": line.service,
        "heading": SERVICE_HEADINGS.get(line.service, line.service),
        "beneficiary": line.beneficiary,
        "kind": line.kind,
        "tariff_code": line.tariff_code,
        "period_start": line.period_start.isoformat(),
        "period_end": line.period_end.isoformat(),
        "quantity": str(line.quantity),
        "unit": line.unit,
        "unit_price": str(line.unit_price),
        "unit_price_incl_vat": _s(line.unit_price_incl_vat),
        "amount_excl_vat": str(line.amount_excl_vat),
        "amount_incl_vat": _s(line.amount_incl_vat),
        "exact_amount_excl_vat": _s(line.exact_amount_excl_vat),
        "vat_rate": str(line.vat_rate),
        "block": line.block,
        "season": line.season,
        "social": line.social,
        "deduction": line.deduction,
    }


def bill_to_dict(bill: Bill) -> dict:
    """The bill, JSON-ready: every amount, quantity and rate as a string, dates ISO."""
    return {
        "lines": [line_to_dict(ln) for ln in bill.lines],
        "vat": [
            {"rate": str(v.rate), "base": str(v.base), "amount": str(v.amount)} for v in bill.vat
        ],
        "total_excl_vat": str(bill.total_excl_vat),
        "total_vat": str(bill.total_vat),
        "total_incl_vat": str(bill.total_incl_vat),
        "volume": str(bill.volume),
        "fixed_incl_vat": str(bill.fixed_incl_vat),
        "price_per_m3_incl_vat": _s(bill.price_per_m3_incl_vat),
        "price_per_litre_incl_vat": _s(bill.price_per_litre_incl_vat),
        "rounding": bill.rounding,
        "periods": [
            {
                "start": p.start.isoformat(),
                "end": p.end.isoformat(),
                "tariff_code": p.tariff_code,
                "days": p.days,
                "volume": str(p.volume),
            }
            for p in bill.periods
        ],
    }


def diameter_table(prices: Mapping[int, Decimal]) -> tuple[tuple[int, Decimal], ...]:
    """``{diameter: price}`` as the sorted tuple :class:`Component` stores."""
    return tuple(sorted((int(d), p) for d, p in prices.items()))
