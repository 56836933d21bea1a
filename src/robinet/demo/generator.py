"""A synthetic water utility: organisation, customers, service points, meters, contracts.

Everything comes from one seed: ``random.Random(seed)`` and ``Faker("fr_FR")``
seeded with it, so the same seed (and the same reference date) gives the same
utility. Faker is only used up front to fill pools of names and streets; the
rows are then assembled from the pools with ``random`` — Faker per row would
take minutes for a million customers.

Rows are plain tuples built chunk by chunk (:class:`RowBuilder`) and written
by :mod:`robinet.demo.bulk` (``COPY`` on PostgreSQL, ``executemany`` on
SQLite), with primary keys and document numbers assigned here. The numbering
series are moved past the numbers used, so the services continue after them.

The rules of the customer file hold for every row: CUST-2…4 consistency,
valid SIRET/NAF/IBAN/phones, one active contract and one active meter per
service point, closed contracts with an end date, reason and final index.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import math
import multiprocessing
import random
import re
import sys
import time
import traceback
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from unidecode import unidecode

from robinet.core import clock
from robinet.customers.choices import (
    AccountStatus,
    ContactMethod,
    ContractEndReason,
    ContractStatus,
    CustomerClass,
    ParticularityKind,
    PartyKind,
    PremisesUse,
    SiteType,
)
from robinet.customers.models import (
    AddressInquiry,
    Contract,
    CustomerAccount,
    Meter,
    Particularity,
    Party,
    ServicePoint,
)
from robinet.customers.numbers import (
    ACCOUNT_SERIES,
    CONTRACT_SERIES,
    SERVICE_POINT_SERIES,
    account_number,
    contract_number,
    service_point_reference,
)
from robinet.customers.search import build_search_text, normalize
from robinet.demo import data
from robinet.demo import readings as demo_readings
from robinet.demo.identifiers import (
    BANKS,
    bank_bics,
    commune_siren,
    french_iban,
    phone_heads,
    random_siren,
    siret,
)
from robinet.organisation.models import Entity, EntityKind

DEFAULT_SEED = 20240601
DEFAULT_CHUNK_SIZE = 20_000

# CUST-1 classes and their share of accounts (per thousand).
CLASS_SHARES = (
    (CustomerClass.INDIVIDUAL, 880),
    (CustomerClass.PROFESSIONAL, 70),
    (CustomerClass.SYNDIC, 20),
    (CustomerClass.LOCAL_AUTHORITY, 10),
    (CustomerClass.FARMER, 10),
    (CustomerClass.ADMINISTRATION, 5),
    (CustomerClass.LARGE_ACCOUNT, 5),
)

# Columns written, per model, in tuple order (attribute names).
COLUMNS: dict[type, tuple[str, ...]] = {
    Party: (
        "id", "kind", "civility", "name", "first_name", "name_complement", "birth_date",
        "birth_place", "siret", "email", "mobile", "landline", "preferred_contact_method",
        "address_line", "address_complement", "postcode", "city", "commune_insee", "country",
        "address_invalid_since", "bloctel_notice_at", "created_at", "updated_at", "anonymised_at",
    ),
    CustomerAccount: (
        "id", "number", "party_id", "customer_class", "centre_id", "site_type", "naf_code",
        "iban", "bic", "direct_debit", "monthly_payment", "e_invoice", "status", "opened_on",
        "closed_on", "mail_returned_on", "search_text",
    ),
    ServicePoint: (
        "id", "reference", "centre_id", "street_number", "street", "address_complement",
        "postcode", "city", "commune_insee", "premises_use", "dwellings", "drinking_water",
        "collective_sanitation", "non_collective_sanitation", "meter_location",
        "meter_accessibility",
    ),
    Meter: (
        "id", "serial", "diameter_mm", "service_point_id", "installed_on", "removed_on",
        "index_digits",
    ),
    Contract: (
        "id", "number", "account_id", "service_point_id", "water", "sanitation", "start_date",
        "end_date", "status", "end_reason", "start_meter_id", "start_index", "end_index",
        "previous_contract_id", "free_of_charge",
    ),
    Particularity: ("id", "account_id", "kind", "started_on", "ended_on", "comment"),
    AddressInquiry: ("id", "account_id", "opened_on", "closed_on", "outcome"),
}  # fmt: skip
# Write order: parents first.
MODELS: tuple[type, ...] = tuple(COLUMNS)
# With readings (METER-1…5), after the meters and contracts.
COLUMNS.update(demo_readings.COLUMNS)
READING_MODELS: tuple[type, ...] = tuple(demo_readings.COLUMNS)

_YEAR = 365
_ACTIVE = ContractStatus.ACTIVE.value
_CLOSED = ContractStatus.CLOSED.value


# --- Pools (Faker, once per seed) ------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A real commune of the territory, with its streets (street, postcode) and centre."""

    insee: str
    name: str
    department: str
    population: int
    centre: str
    streets: tuple[tuple[str, str], ...]

    @property
    def small(self) -> bool:
        return self.population < 3000


class Weighted:
    """Weighted choice in O(log n) from a ``random()`` draw."""

    __slots__ = ("items", "cumulative", "total")

    def __init__(self, pairs: Sequence[tuple[Any, float]]) -> None:
        self.items = [item for item, _w in pairs]
        self.cumulative = []
        total = 0.0
        for _item, weight in pairs:
            total += weight
            self.cumulative.append(total)
        self.total = total

    def pick(self, draw: float) -> Any:
        return self.items[bisect_right(self.cumulative, draw * self.total)]


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def _slug(text: str, limit: int = 40) -> str:
    """``"Boulangerie Müller"`` → ``"boulangerie-muller"`` (for e-mail addresses)."""
    return _NOT_SLUG.sub("-", unidecode(text).lower()).strip("-")[:limit].strip("-")


def _unique(values: Iterator[str], count: int, tries: int = 20) -> list[str]:
    seen: dict[str, None] = {}
    for _ in range(count * tries):
        seen.setdefault(next(values), None)
        if len(seen) >= count:
            break
    return list(seen)


class Pools:
    """Names, streets and places drawn once from Faker and the reference data."""

    def __init__(self, seed: int) -> None:
        from faker import Faker

        from robinet.referential import (
            commune_get,
            commune_matches,
            communes_in_departments,
            naf_is_valid,
        )

        fake = Faker("fr_FR")
        fake.seed_instance(seed)
        rnd = random.Random(seed ^ 0x5EED)

        def gen(method: Callable[[], str]) -> Iterator[str]:
            while True:
                yield method()

        self.male_first_names = _unique(gen(fake.first_name_male), 250)
        self.female_first_names = _unique(gen(fake.first_name_female), 250)
        self.last_names = _unique(gen(fake.last_name), 1200)
        self.regional_last_names = list(data.REGIONAL_LAST_NAMES)
        street_pool = _unique(gen(fake.street_name), 2500)
        self.slugs = {
            name: _slug(name)
            for name in (
                *self.male_first_names,
                *self.female_first_names,
                *self.last_names,
                *self.regional_last_names,
            )
        }

        # The territory: real communes, their postcodes checked against their INSEE code.
        self.places: list[Place] = []
        for _agency_code, _agency_name, centres in data.AGENCIES:
            for centre_code, _centre_name, codes in centres:
                for insee in codes:
                    commune = commune_get(insee)
                    if commune is None:
                        raise LookupError(f"unknown commune {insee} in the demo territory")
                    count = max(12, min(400, commune.population // 250))
                    names = list(data.COMMON_STREETS) + rnd.sample(street_pool, count)
                    names = list(dict.fromkeys(names))
                    streets = tuple(
                        (street, commune.postcodes[i % len(commune.postcodes)])
                        for i, street in enumerate(names)
                    )
                    self.places.append(
                        Place(
                            commune.insee,
                            commune.name,
                            commune.department,
                            commune.population,
                            centre_code,
                            streets,
                        )
                    )
        # Forwarding addresses of customers who left: the biggest communes elsewhere.
        self.elsewhere: list[Place] = []
        for commune in communes_in_departments(data.ELSEWHERE_DEPARTMENTS)[:150]:
            if commune.is_arrondissement or not commune.postcodes:
                continue
            names = rnd.sample(street_pool, 25)
            streets = tuple(
                (s, commune.postcodes[i % len(commune.postcodes)]) for i, s in enumerate(names)
            )
            self.elsewhere.append(
                Place(
                    commune.insee, commune.name, commune.department, commune.population, "", streets
                )
            )
        for place in (*self.places, *self.elsewhere):
            for _street, postcode in place.streets:
                if not commune_matches(place.insee, postcode):
                    raise ValueError(f"postcode {postcode} is not one of {place.name}'s")

        self.syndics = list(data.SYNDIC_FIXED) + [
            f"{rnd.choice(data.SYNDIC_PREFIXES)} {rnd.choice(self.last_names)}" for _ in range(40)
        ]
        for code in (
            *(a[1] for a in data.PRO_ACTIVITIES),
            *(a[2] for a in data.ADMINISTRATIONS),
            *(a[1] for a in data.FARM_ACTIVITIES),
            *(a[1] for a in data.LARGE_ACCOUNTS),
            data.AUTHORITY_NAF,
        ):
            if not naf_is_valid(code):
                raise ValueError(f"NAF code {code} is not in the official list")


# --- Rows --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Meter:
    id: int
    serial: str
    installed: int  # ordinal day
    removed: int | None
    offset: int = 0  # index when installed
    capacity: int = 100_000  # 10 ** index_digits: the totaliser restarts at 0 there


@dataclass(slots=True)
class _Point:
    """A service point being built, with its meters (oldest first) and yearly consumption."""

    id: int
    reference: str
    place: Place
    street_number: str
    street: str
    complement: str
    postcode: str
    rate: float  # m³ a year
    water: bool
    sanitation: bool
    meters: list[_Meter]
    premises: str = ""
    # With readings: (contract id, account id, start, start index, end, end index).
    contracts: list[tuple] | None = None

    def meter_on(self, day: int) -> _Meter:
        """The meter in place on ``day`` (the current one or the one it replaced)."""
        meters = self.meters
        meter = meters[-1]
        if day < meter.installed and len(meters) > 1:
            meter = meters[0]
        return meter

    def index(self, meter: _Meter, day: int, effective: list[float], first: int) -> int:
        """The index of ``meter`` on ``day``: the volume through it since it was fitted, with
        the seasons (``effective[day - first]``: cumulative seasonal days, see ``RowBuilder``),
        on its dial."""
        volume = self.rate * (effective[day - first] - effective[meter.installed - first]) / _YEAR
        return (meter.offset + int(volume if volume > 0 else 0)) % meter.capacity


@dataclass(slots=True)
class _Vacancy:
    """A service point whose holder moved out, waiting for the next one."""

    point: _Point
    end: int
    end_index: int


@dataclass
class Starts:
    """First primary key per model and first number per series for this load."""

    ids: dict[type, int]
    account: int
    contract: int
    service_point: int


Chunk = dict[type, list[tuple]]


class RowBuilder:
    """Builds the rows of ``customers`` customer accounts, chunk by chunk (pure: no database)."""

    def __init__(
        self,
        *,
        pools: Pools,
        seed: int,
        today: dt.date,
        centres: dict[str, int],
        starts: Starts,
        datetime_suffix: str = "",
        existing_serials: frozenset[str] = frozenset(),
        readings: bool = False,
    ) -> None:
        self.pools = pools
        self.seed = seed
        self.random = random.Random(seed)
        self.today = today.toordinal()
        self.centres = centres
        self.ids = dict(starts.ids)
        self.next_account = starts.account
        self.next_contract = starts.contract
        self.next_point = starts.service_point
        self.datetime_suffix = datetime_suffix
        self.existing_serials = existing_serials
        self.serial_counters: dict[str, int] = {}
        self.vacancies: deque[_Vacancy] = deque()
        # Dates as ISO strings, from 110 years back to today.
        self.first_day = self.today - 110 * _YEAR
        dates = [dt.date.fromordinal(o) for o in range(self.first_day, self.today + 1)]
        self.days = [d.isoformat() for d in dates]
        self.years = [d.year for d in dates]
        # Consumption follows the seasons (more in summer): a day counts for ``weight`` days,
        # and ``effective[day - first_day]`` is the running sum (closed form, increasing).
        period, amplitude = 365.25, demo_readings.SEASONAL_AMPLITUDE
        phase = 2 * math.pi / period
        scale = amplitude / phase
        peak_ordinal = dt.date(today.year, 1, 1).toordinal() + demo_readings.SEASONAL_PEAK_DAY
        self.effective = [
            i + scale * math.sin(phase * (i + self.first_day - peak_ordinal))
            for i in range(len(dates))
        ]
        self.models = MODELS + READING_MODELS if readings else MODELS
        self.serial_prefixes: dict[int, list[str]] = {}
        self.classes = Weighted(CLASS_SHARES)
        self.places = Weighted([(p, p.population) for p in pools.places])
        self.small_places = Weighted([(p, 1) for p in pools.places if p.population < 20_000])
        self.big_places = Weighted(
            [(p, p.population) for p in pools.places if p.population > 30_000]
        )
        self.elsewhere = Weighted([(p, p.population) for p in pools.elsewhere])
        self.pro_legal_forms = Weighted(data.PRO_LEGAL_FORMS)
        self.farm_legal_forms = Weighted(data.FARM_LEGAL_FORMS)
        self.large_legal_forms = Weighted(data.LARGE_LEGAL_FORMS)
        self.email_domains = Weighted(data.EMAIL_DOMAINS)
        self.banks = Weighted(BANKS)
        self.bics = bank_bics()
        self.house_locations = Weighted([((n, a), w) for n, a, w in data.HOUSE_METER_LOCATIONS])
        self.flat_locations = Weighted([((n, a), w) for n, a, w in data.FLAT_METER_LOCATIONS])
        self.site_locations = Weighted([((n, a), w) for n, a, w in data.SITE_METER_LOCATIONS])
        self.mobile_heads, self.landline_heads, self.voip_heads = phone_heads()
        self.rows: Chunk = {model: [] for model in self.models}
        self.accounts_built = 0
        self._normalise_cache: dict[str, str] = {}
        # Readings are built once a service point can get no more contracts.
        self.readings = demo_readings.ReadingBuilder(self) if readings else None
        self.pending_points: list[_Point] = []

    # -- helpers ---------------------------------------------------------------------------

    def _id(self, model: type) -> int:
        value = self.ids[model]
        self.ids[model] = value + 1
        return value

    def _normalised(self, text: str) -> str:
        value = self._normalise_cache.get(text)
        if value is None:
            value = self._normalise_cache[text] = normalize(text)
        return value

    def _pick(self, items: Sequence[Any]) -> Any:
        return items[int(self.random.random() * len(items))]

    def _between(self, low: int, high: int) -> int:
        """A whole number in ``[low, high]``."""
        return low + int(self.random.random() * (high - low + 1))

    def _day(self, ordinal: int) -> str:
        return self.days[ordinal - self.first_day]

    def _moment(self, ordinal: int) -> str:
        """A datetime during office hours of that day (UTC), as the database reads it."""
        r = self.random.random
        clock_time = f"{7 + int(r() * 10):02d}:{int(r() * 60):02d}:{int(r() * 60):02d}"
        return f"{self._day(ordinal)} {clock_time}{self.datetime_suffix}"

    def _last_name(self) -> str:
        pools = self.pools
        if self.random.random() < 0.35:
            return self._pick(pools.regional_last_names)
        return self._pick(pools.last_names)

    def _mobile(self) -> str:
        return f"+33{self._pick(self.mobile_heads)}{int(self.random.random() * 1_000_000):06d}"

    def _landline(self) -> str:
        heads = self.voip_heads if self.random.random() < 0.3 else self.landline_heads
        return f"+33{self._pick(heads)}{int(self.random.random() * 1_000_000):06d}"

    def _bank(self) -> tuple[str, str]:
        r = self.random.random
        bank = self.banks.pick(r())
        iban = french_iban(bank, f"{int(r() * 100_000):05d}", f"{int(r() * 100_000_000_000):011d}")
        return iban, self.bics[bank]

    def _serial(self, installed: int) -> str:
        """Maker letter + year of manufacture + model + 6 digits, e.g. ``I19SA012345``."""
        r = self.random.random
        year = self.years[installed - self.first_day]
        prefixes = self.serial_prefixes.get(year)
        if prefixes is None:
            prefixes = self.serial_prefixes[year] = [
                f"{maker}{year % 100:02d}{model}"
                for maker in data.METER_MAKERS
                for model in data.METER_MODELS
            ]
        counters = self.serial_counters
        while True:
            prefix = prefixes[int(r() * len(prefixes))]
            number = counters.get(prefix)
            number = (int(r() * 400_000) if number is None else number) + 1 + int(r() * 20)
            if number > 999_999:
                continue
            counters[prefix] = number
            serial = f"{prefix}{number:06d}"
            if serial not in self.existing_serials:
                return serial

    def _address(self, place: Place, flat_share: float) -> tuple[str, str, str, str]:
        """(street number, street, complement, postcode) in ``place``."""
        r = self.random.random
        street, postcode = self._pick(place.streets)
        number = str(1 + int(r() ** 2 * 160))
        draw = r()
        if draw < 0.05:
            number += " bis"
        elif draw < 0.06:
            number += " ter"
        complement = ""
        if r() < flat_share:
            flat = 1 + int(r() * 40)
            draw = r()
            if draw < 0.5:
                complement = f"Appt {flat}"
            elif draw < 0.8:
                complement = f"Bât. {'ABCDEF'[int(r() * 6)]} - Appt {flat}"
            else:
                complement = f"Résidence {self._pick(data.RESIDENCE_NAMES)}"
        return number, street, complement, postcode

    def _service_point(
        self,
        place: Place,
        *,
        premises: str,
        rate: float,
        diameter: int,
        first_day: int,
        flat_share: float = 0.0,
        dwellings: int = 1,
        locations: Weighted | None = None,
        closed_period: tuple[int, int] | None = None,
        address: tuple[str, str, str, str] | None = None,
    ) -> _Point:
        r = self.random.random
        number, street, complement, postcode = address or self._address(place, flat_share)
        if locations is None:
            locations = self.flat_locations if complement else self.house_locations
        location, accessibility = locations.pick(r())
        draw = r()
        if place.small:  # more septic tanks in villages
            collective, non_collective = draw < 0.65, 0.65 <= draw < 0.95
        else:
            collective, non_collective = draw < 0.96, 0.96 <= draw < 0.99
        drinking = not (collective and r() < 0.004)  # a private well, sanitation only
        ids = self.ids
        point_id = ids[ServicePoint]
        ids[ServicePoint] = point_id + 1
        reference = service_point_reference(self.next_point)
        self.next_point += 1
        point = _Point(
            point_id, reference, place, number, street, complement, postcode, rate, drinking,
            collective, [], premises,
        )  # fmt: skip
        if self.readings is not None:
            point.contracts = []
            self.pending_points.append(point)
        self.rows[ServicePoint].append(
            (
                point_id, reference, self.centres[place.centre], number, street, complement,
                postcode, place.name, place.insee, premises, dwellings, drinking, collective,
                non_collective, location, accessibility,
            )
        )  # fmt: skip
        # Meters last about fifteen years: the current one, and the one it replaced if it
        # was fitted after the first holder moved in. A replacement never falls inside a
        # closed contract (its start and final index are read on the same meter).
        today = self.today
        if first_day < today - 12 * _YEAR or r() < 0.2:
            low = max(first_day, today - 12 * _YEAR)
            installed = low + int(r() * (today - low))
        else:
            installed = first_day - int(r() * 8 * _YEAR)
        if closed_period and closed_period[0] < installed <= closed_period[1]:
            installed = closed_period[0] - int(r() * 3 * _YEAR)
        if installed > first_day:
            self._meter(point, diameter, first_day - int(r() * 10 * _YEAR), installed)
        self._meter(point, diameter, min(installed, today), None, closed_period)
        return point

    def _meter(
        self,
        point: _Point,
        diameter: int,
        installed: int,
        removed: int | None,
        closed_period: tuple[int, int] | None = None,
    ) -> _Meter:
        ids = self.ids
        meter_id = ids[Meter]
        ids[Meter] = meter_id + 1
        meter = _Meter(meter_id, self._serial(installed), installed, removed)
        # The dial holds decades of the site's consumption; a few old 4-digit household
        # meters, refitted at a high index, pass 9999 → 0 during the last two years (METER-2),
        # never inside a closed contract (its final index is not below its start index).
        # Chosen by a hash of the id, not a draw: the customers are the same with or without
        # readings.
        rate = point.rate
        digits = 5 if rate <= 2_000 else 6 if rate <= 20_000 else 7
        if removed is None and rate <= 800:
            draw = (meter_id * 2_654_435_761 + self.seed) % 4_294_967_291
            if draw % 1000 < 3:
                window = self.today - 2 * _YEAR
                cross = window + 60 + draw // 1000 % (2 * _YEAR - 120)
                if installed < window - 30 and (closed_period is None or cross > closed_period[1]):
                    digits = 4
                    meter.capacity = 10_000
                    meter.offset = (
                        -point.index(meter, cross, self.effective, self.first_day) % 10_000
                    )
        if digits != 5:
            meter.capacity = 10**digits
        point.meters.append(meter)
        days, first = self.days, self.first_day
        self.rows[Meter].append(
            (
                meter_id, meter.serial, diameter, point.id, days[installed - first],
                None if removed is None else days[removed - first], digits,
            )
        )  # fmt: skip
        return meter

    def _contract(
        self,
        account_id: int,
        point: _Point,
        start: int,
        end: int | None = None,
        end_reason: str = "",
        previous: int | None = None,
        free: bool = False,
        start_index: int | None = None,
    ) -> tuple[str, int, int | None]:
        """Append a contract; returns (number, id, final index)."""
        ids = self.ids
        contract_id = ids[Contract]
        ids[Contract] = contract_id + 1
        number = contract_number(self.next_contract)
        self.next_contract += 1
        days, first, effective = self.days, self.first_day, self.effective
        meter = point.meter_on(start)
        if start_index is None:
            start_index = point.index(meter, start, effective, first)
        if end is None:
            end_day = end_index = None
            status = _ACTIVE
        else:
            end_day = days[end - first]
            end_meter = point.meter_on(end)
            end_index = point.index(end_meter, end, effective, first)
            if end_meter is not meter:
                end_index = max(start_index, end_index)
            status = _CLOSED
        if point.contracts is not None:
            point.contracts.append((contract_id, account_id, start, start_index, end, end_index))
        self.rows[Contract].append(
            (
                contract_id, number, account_id, point.id, point.water or not point.sanitation,
                point.sanitation, days[start - first], end_day, status, end_reason, meter.id,
                start_index, end_index, previous, free,
            )
        )  # fmt: skip
        return number, contract_id, end_index

    def _recent_start(self, max_years: int = 35) -> int:
        """A move-in day, recent ones more frequent; at least a week ago."""
        return self.today - 7 - int(self.random.random() ** 1.7 * max_years * _YEAR)

    # -- parties and accounts ----------------------------------------------------------------

    def _person(self) -> tuple[str, str, str]:
        """(civility, first name, last name) of an individual."""
        r = self.random.random
        draw = r()
        if draw < 0.47:
            return "M.", self._pick(self.pools.male_first_names), self._last_name()
        if draw < 0.96:
            return "Mme", self._pick(self.pools.female_first_names), self._last_name()
        return "M. et Mme", self._pick(self.pools.male_first_names), self._last_name()

    def _personal_email(self, first: str, last: str) -> str:
        r = self.random.random
        slugs = self.pools.slugs
        draw = r()
        suffix = "" if draw < 0.45 else str(1 + int(r() * 99))
        local = f"{slugs[first]}.{slugs[last]}" if r() < 0.8 else f"{slugs[first][:1]}{slugs[last]}"
        return f"{local}{suffix}@{self.email_domains.pick(r())}"

    def _contact_method(self, email: str, mobile: str, landline: str) -> str:
        draw = self.random.random()
        if email and draw < 0.45:
            return ContactMethod.EMAIL
        if mobile and draw < 0.75:
            return ContactMethod.SMS
        if (mobile or landline) and draw < 0.9:
            return ContactMethod.PHONE
        return ContactMethod.LETTER if draw < 0.97 else ""

    def _party(
        self,
        *,
        kind: str,
        civility: str,
        name: str,
        first_name: str = "",
        complement: str = "",
        siret_: str = "",
        email: str = "",
        mobile: str = "",
        landline: str = "",
        address: tuple[str, str, str, str],
        place: Place,
        created: int,
        birth: int | None = None,
        invalid_since: int | None = None,
    ) -> tuple[int, tuple]:
        number, street, addr_complement, postcode = address
        created_at = self._moment(created)
        # CUST-5: the Bloctel notice is given when a person's phone number is recorded.
        bloctel = created_at if kind == PartyKind.PERSON and (mobile or landline) else None
        party_id = self._id(Party)
        row = (
            party_id, kind, civility, name, first_name, complement,
            None if birth is None else self._day(birth),
            place.name if birth is not None and self.random.random() < 0.5 else "",
            siret_, email, mobile, landline, self._contact_method(email, mobile, landline),
            f"{number} {street}", addr_complement, postcode, place.name, place.insee, "FR",
            None if invalid_since is None else self._day(invalid_since), bloctel,
            created_at, created_at, None,
        )  # fmt: skip
        self.rows[Party].append(row)
        return party_id, row

    def _account(
        self,
        *,
        account_id: int,
        party: tuple,
        customer_class: str,
        point: _Point,
        contracts: list[tuple[str, _Point]],
        opened: int,
        closed: int | None = None,
        site_type: str = "",
        naf: str = "",
        bank_share: float = 0.55,
        mail_returned: int | None = None,
    ) -> None:
        r = self.random.random
        iban = bic = ""
        direct_debit = monthly = False
        if r() < bank_share:
            iban, bic = self._bank()
            draw = r()
            direct_debit = draw < 0.82
            monthly = draw < 0.55
        email = party[9]
        e_invoice = bool(email) and r() < 0.36
        number = account_number(self.next_account)
        self.next_account += 1
        # The parts of the customer services' search refresh, in the same order. Texts
        # drawn from the pools are normalised once (cached); the rest is ASCII already,
        # so normalising the joined text gives build_search_text(parts) at a fraction of
        # the cost (normalising is idempotent and works token by token).
        cache = self._normalise_cache
        norm = self._normalised
        line = party[13]
        cut = line.index(" ") + 1  # "12 bis rue …": the number is ASCII
        parts = [
            cache.get(party[3]) or norm(party[3]), cache.get(party[4]) or norm(party[4]),
            cache.get(party[5]) or norm(party[5]), line[:cut],
            cache.get(line[cut:]) or norm(line[cut:]), party[15],
            cache.get(party[16]) or norm(party[16]),
        ]  # fmt: skip
        for _contract_number, pt in contracts:
            parts += [
                pt.street_number, cache.get(pt.street) or norm(pt.street), pt.postcode,
                cache.get(pt.place.name) or norm(pt.place.name),
            ]  # fmt: skip
        search_text = build_search_text([" ".join(parts)])
        self.rows[CustomerAccount].append(
            (
                account_id, number, party[0], customer_class, self.centres[point.place.centre],
                site_type, naf, iban, bic, direct_debit, monthly, e_invoice,
                AccountStatus.ACTIVE if closed is None else AccountStatus.CLOSED,
                self._day(opened), None if closed is None else self._day(closed),
                None if mail_returned is None else self._day(mail_returned), search_text,
            )
        )  # fmt: skip
        self.accounts_built += 1
        if mail_returned is not None:
            self.rows[AddressInquiry].append(
                (self._id(AddressInquiry), account_id, self._day(mail_returned), None, "")
            )

    def _particularity(self, account_id: int, kind: str, started: int, comment: str = "") -> None:
        r = self.random.random
        ended = None
        if kind == ParticularityKind.FSL and r() < 0.3:
            ended = min(self.today, started + 180 + int(r() * 2 * _YEAR))
        self.rows[Particularity].append(
            (
                self._id(Particularity), account_id, kind, self._day(started),
                None if ended is None else self._day(ended), comment,
            )
        )  # fmt: skip

    def _returned_mail(self) -> int | None:
        """CUST-11: about one active account in 200 has its mail back (NPAI)."""
        if self.random.random() < 0.005:
            return self.today - 3 - int(self.random.random() * 300)
        return None

    # -- customers -----------------------------------------------------------------------------

    def _household_rate(self) -> float:
        """m³ a year: about 120 on average (a household of two to three people)."""
        return 60 + self.random.random() ** 1.5 * 150

    def _individual(self, remaining: int) -> None:
        r = self.random.random
        if r() < 0.10:
            self._individual_gone(remaining)
            return
        civility, first, last = self._person()
        vacancy = self.vacancies.popleft() if self.vacancies and r() < 0.35 else None
        self._individual_active(civility, first, last, vacancy=vacancy)

    def _individual_contacts(self, first: str, last: str) -> tuple[str, str, str]:
        r = self.random.random
        email = self._personal_email(first, last) if r() < 0.70 else ""
        mobile = self._mobile() if r() < 0.82 else ""
        landline = self._landline() if r() < 0.32 else ""
        return email, mobile, landline

    def _birth(self, start: int) -> int | None:
        if self.random.random() < 0.6:
            return max(
                self.today - 100 * _YEAR,
                start - 18 * _YEAR - int(self.random.random() * 50 * _YEAR),
            )
        return None

    def _individual_active(
        self,
        civility: str,
        first: str,
        last: str,
        *,
        vacancy: _Vacancy | None = None,
        previous: tuple[int, _Point, int, int] | None = None,
        free: bool = False,
    ) -> None:
        """An active household. ``previous`` = (contract id, point, end day, end index) of a
        change of holder (CUST-10 *mutation*)."""
        r = self.random.random
        account_id = self._id(CustomerAccount)
        contracts: list[tuple[str, _Point]] = []
        if previous is not None:
            previous_id, point, start, start_index = previous
            number, _id, _end = self._contract(
                account_id, point, start, previous=previous_id, free=free, start_index=start_index
            )
            contracts.append((number, point))
            opened = start
        elif vacancy is not None:
            point = vacancy.point
            start = min(self.today - 1, vacancy.end + int(r() * 45))
            number, _id, _end = self._contract(account_id, point, start)
            contracts.append((number, point))
            opened = start
        else:
            start = self._recent_start()
            opened = start
            if r() < 0.03:
                # Moved within the territory and kept the account: the old contract is
                # closed and the old home waits for its next holder.
                end = start - int(r() * 20)
                old_start = end - 365 - int(r() * 9 * _YEAR)
                old = self._home(self.places.pick(r()), old_start, closed_period=(old_start, end))
                number, _id, end_index = self._contract(
                    account_id, old, old_start, end=end, end_reason=ContractEndReason.MOVE_OUT
                )
                contracts.append((number, old))
                self.vacancies.append(_Vacancy(old, end, end_index))
                opened = old_start
            point = self._home(self.places.pick(r()), start)
            number, _id, _end = self._contract(account_id, point, start)
            contracts.append((number, point))
        address = (point.street_number, point.street, point.complement, point.postcode)
        party_place = point.place
        if r() < 0.015:
            # A second home in the territory too.
            second_start = self._recent_start(20)
            second = self._home(
                self.small_places.pick(r()),
                second_start,
                premises=PremisesUse.SECONDARY_RESIDENCE,
            )
            number, _id, _end = self._contract(account_id, second, second_start)
            contracts.append((number, second))
            opened = min(opened, second_start)
        email, mobile, landline = self._individual_contacts(first, last)
        mail_returned = self._returned_mail()
        _party_id, party = self._party(
            kind=PartyKind.PERSON, civility=civility, name=last, first_name=first,
            email=email, mobile=mobile, landline=landline, address=address, place=party_place,
            created=opened, birth=self._birth(opened), invalid_since=mail_returned,
        )  # fmt: skip
        self._account(
            account_id=account_id, party=party, customer_class=CustomerClass.INDIVIDUAL,
            point=point, contracts=contracts, opened=opened, mail_returned=mail_returned,
        )  # fmt: skip
        # CUST-7 particularities.
        draw = r()
        if draw < 0.005:
            self._particularity(
                account_id, ParticularityKind.NEC, opened + int(r() * (self.today - opened))
            )
        elif draw < 0.017:
            started = max(opened, self.today - int(r() * 4 * _YEAR))
            self._particularity(account_id, ParticularityKind.FSL, started)
            # Helped by the housing fund: eligible to the social tariff too (BILL-1),
            # where the tariff has one (no draw: the rest of the utility is unchanged).
            self.rows[Particularity].append(
                (
                    self._id(Particularity), account_id, ParticularityKind.SOCIAL_TARIFF.value,
                    self._day(started), None, "",
                )
            )  # fmt: skip
        elif draw < 0.027:
            self._particularity(
                account_id, ParticularityKind.VULNERABLE, opened + int(r() * (self.today - opened))
            )

    def _home(
        self,
        place: Place,
        first_day: int,
        *,
        premises: str = PremisesUse.MAIN_RESIDENCE,
        closed_period: tuple[int, int] | None = None,
    ) -> _Point:
        r = self.random.random
        flat_share = 0.55 if place.population > 30_000 else 0.15
        return self._service_point(
            place,
            premises=premises,
            rate=self._household_rate()
            * (0.4 if premises == PremisesUse.SECONDARY_RESIDENCE else 1),
            diameter=15 if r() < 0.96 else 20,
            first_day=first_day,
            flat_share=flat_share,
            closed_period=closed_period,
        )

    def _individual_gone(self, remaining: int) -> None:
        """A former customer: account and contract closed (move-out, change of holder, termination)."""
        r = self.random.random
        civility, first, last = self._person()
        account_id = self._id(CustomerAccount)
        end = self.today - 30 - int(r() * 6 * _YEAR)
        start = end - 180 - int(r() * 15 * _YEAR)
        draw = r()
        if draw < 0.15 and remaining >= 2:
            reason = ContractEndReason.CHANGE_OF_HOLDER
        elif draw < 0.25:
            reason = ContractEndReason.TERMINATION
        else:
            reason = ContractEndReason.MOVE_OUT
        point = self._home(self.places.pick(r()), start, closed_period=(start, end))
        number, contract_id, end_index = self._contract(
            account_id, point, start, end=end, end_reason=reason
        )
        email, mobile, landline = self._individual_contacts(first, last)
        if reason == ContractEndReason.MOVE_OUT and r() < 0.6:
            place = self.elsewhere.pick(r())
            address = self._address(place, 0.3)
        else:
            place = point.place
            address = (point.street_number, point.street, point.complement, point.postcode)
        _party_id, party = self._party(
            kind=PartyKind.PERSON, civility=civility, name=last, first_name=first, email=email,
            mobile=mobile, landline=landline, address=address, place=place, created=start,
            birth=self._birth(start),
        )  # fmt: skip
        self._account(
            account_id=account_id, party=party, customer_class=CustomerClass.INDIVIDUAL,
            point=point, contracts=[(number, point)], opened=start,
            closed=min(self.today, end + 20 + int(r() * 100)), bank_share=0.45,
        )  # fmt: skip
        if reason == ContractEndReason.CHANGE_OF_HOLDER:
            # The spouse or partner takes over the same day (after a separation or a death:
            # free of charge).
            if civility == "Mme":
                civility, first = "M.", self._pick(self.pools.male_first_names)
            else:
                civility, first = "Mme", self._pick(self.pools.female_first_names)
            self._individual_active(
                civility, first, last, previous=(contract_id, point, end, end_index), free=r() < 0.7
            )
        elif reason == ContractEndReason.MOVE_OUT:
            self.vacancies.append(_Vacancy(point, end, end_index))

    def _site_contacts(self, slug: str, domain: str = "fr") -> tuple[str, str, str]:
        r = self.random.random
        email = (
            f"{self._pick(('contact', 'accueil', 'compta', 'direction'))}@{slug}.{domain}"
            if r() < 0.8
            else ""
        )
        mobile = self._mobile() if r() < 0.45 else ""
        landline = self._landline() if r() < 0.85 else ""
        return email, mobile, landline

    def _organisation_customer(
        self,
        *,
        customer_class: str,
        civility: str,
        name: str,
        complement: str,
        siret_: str,
        naf: str,
        site_type: str,
        place: Place,
        sites: int,
        premises: str,
        rate: Callable[[], float],
        diameters: Sequence[int],
        email_slug: str,
        email_domain: str = "fr",
        dwellings: Callable[[], int] | None = None,
        bank_share: float = 0.6,
        party_address: tuple[Place, tuple[str, str, str, str]] | None = None,
        closed_share: float = 0.03,
    ) -> tuple[int, int]:
        """A company's account with one or more sites; returns (account id, opening day)."""
        r = self.random.random
        account_id = self._id(CustomerAccount)
        contracts: list[tuple[str, _Point]] = []
        closed = None
        if r() < closed_share:
            end = self.today - 30 - int(r() * 5 * _YEAR)
            start = end - 365 - int(r() * 12 * _YEAR)
            point = self._site(
                place, start, premises, rate(), diameters, dwellings, closed_period=(start, end)
            )
            number, _id, _end = self._contract(
                account_id, point, start, end=end, end_reason=ContractEndReason.TERMINATION
            )
            contracts.append((number, point))
            opened, closed = start, min(self.today, end + 30 + int(r() * 90))
        else:
            opened = self._recent_start(30)
            for i in range(sites):
                start = opened if i == 0 else self._between(opened, self.today - 7)
                site_place = place if i == 0 or r() < 0.7 else self.places.pick(r())
                point = self._site(site_place, start, premises, rate(), diameters, dwellings)
                number, _id, _end = self._contract(account_id, point, start)
                contracts.append((number, point))
        first_point = contracts[0][1]
        if party_address is None:
            party_place = first_point.place
            address = (
                first_point.street_number,
                first_point.street,
                first_point.complement,
                first_point.postcode,
            )
        else:
            party_place, address = party_address
        email, mobile, landline = self._site_contacts(email_slug, email_domain)
        mail_returned = self._returned_mail() if closed is None else None
        _party_id, party = self._party(
            kind=PartyKind.COMPANY, civility=civility, name=name, complement=complement,
            siret_=siret_, email=email, mobile=mobile, landline=landline, address=address,
            place=party_place, created=opened, invalid_since=mail_returned,
        )  # fmt: skip
        self._account(
            account_id=account_id, party=party, customer_class=customer_class, point=first_point,
            contracts=contracts, opened=opened, closed=closed, site_type=site_type, naf=naf,
            bank_share=bank_share, mail_returned=mail_returned,
        )  # fmt: skip
        return account_id, opened

    def _site(
        self,
        place: Place,
        first_day: int,
        premises: str,
        rate: float,
        diameters: Sequence[int],
        dwellings: Callable[[], int] | None,
        closed_period: tuple[int, int] | None = None,
    ) -> _Point:
        count = dwellings() if dwellings else 1
        if dwellings:
            # A building's meter grows with the number of flats it serves.
            diameter = (
                30
                if count <= 12
                else 40
                if count <= 40
                else (60, 65)[count % 2]
                if count <= 80
                else 80
            )
            rate = count * (35 + self.random.random() * 40)
        else:
            diameter = self._pick(diameters)
        return self._service_point(
            place,
            premises=premises,
            rate=rate,
            diameter=diameter,
            first_day=first_day,
            dwellings=count,
            locations=self.site_locations,
            closed_period=closed_period,
        )

    def _professional(self) -> None:
        r = self.random.random
        trade, naf, site_type = self._pick(data.PRO_ACTIVITIES)
        place = self.places.pick(r())
        last = self._last_name()
        draw = r()
        if draw < 0.55:
            name = f"{trade} {last}"
        elif draw < 0.8:
            name = f"{trade} du {self._pick(('Centre', 'Marché', 'Parc', 'Rhin', 'Château', 'Moulin'))}"
        else:
            name = f"{last} et Fils"
        civility = self.pro_legal_forms.pick(r())
        self._organisation_customer(
            customer_class=CustomerClass.PROFESSIONAL, civility=civility, name=name, complement="",
            siret_=siret(random_siren(self.random), 1 + int(r() * 80)), naf=naf, site_type=site_type,
            place=place, sites=2 if r() < 0.1 else 1, premises=PremisesUse.BUSINESS,
            rate=lambda: 50 + r() ** 2 * 3000, diameters=(15, 15, 15, 15, 20, 20, 30, 40),
            email_slug=_slug(name),
        )  # fmt: skip

    def _local_authority(self) -> None:
        r = self.random.random
        place = self.places.pick(r())
        site, site_type = self._pick(data.AUTHORITY_SITES)
        self._organisation_customer(
            customer_class=CustomerClass.LOCAL_AUTHORITY, civility="Commune",
            name=f"Commune de {place.name}", complement=site,
            siret_=siret(commune_siren(place.insee), 1 + int(r() * 300)), naf=data.AUTHORITY_NAF,
            site_type=site_type, place=place, sites=1 + int(r() ** 2 * 4),
            premises=PremisesUse.PUBLIC_BUILDING, rate=lambda: 100 + r() ** 2 * 5000,
            diameters=(15, 20, 20, 30, 40, 60), email_slug=f"mairie-{_slug(place.name)}",
            bank_share=0.1,
        )  # fmt: skip

    def _administration(self) -> None:
        r = self.random.random
        place = self.big_places.pick(r())
        pattern, civility, naf, site_type, head = self._pick(data.ADMINISTRATIONS)
        name = pattern.format(
            commune=place.name, department=data.DEPARTMENT_NAMES[place.department]
        )
        self._organisation_customer(
            customer_class=CustomerClass.ADMINISTRATION, civility=civility, name=name,
            complement="", siret_=siret(random_siren(self.random, head), 1 + int(r() * 200)),
            naf=naf, site_type=site_type, place=place, sites=1 + int(r() ** 2 * 3),
            premises=PremisesUse.PUBLIC_BUILDING, rate=lambda: 200 + r() ** 2 * 8000,
            diameters=(20, 30, 40, 60), email_slug=_slug(data.DEPARTMENT_NAMES[place.department]),
            email_domain="gouv.fr", bank_share=0.05,
        )  # fmt: skip

    def _syndic(self) -> None:
        """CUST-4: the syndicate of co-owners, managed by a syndic; no SIRET, no NAF."""
        r = self.random.random
        place = self.big_places.pick(r()) if r() < 0.8 else self.places.pick(r())
        syndic = self._pick(self.pools.syndics)
        office_place = self.big_places.pick(r())
        self._organisation_customer(
            customer_class=CustomerClass.SYNDIC, civility="SDC",
            name=f"Syndicat des copropriétaires de la résidence {self._pick(data.RESIDENCE_NAMES)}",
            complement=f"géré par {syndic}", siret_="", naf="",
            site_type=SiteType.RESIDENTIAL_BUILDING, place=place, sites=1,
            premises=PremisesUse.RESIDENTIAL_BUILDING, rate=lambda: 0.0, diameters=(),
            dwellings=lambda: 4 + int(r() ** 2 * 116), email_slug=_slug(syndic), bank_share=0.8,
            party_address=(office_place, self._address(office_place, 0.0)),
        )  # fmt: skip

    def _farmer(self) -> None:
        r = self.random.random
        place = self.small_places.pick(r())
        activity, naf = self._pick(data.FARM_ACTIVITIES)
        if activity == "Domaine viticole" and place.department == "57":
            activity, naf = "Ferme laitière", "01.41Z"
        last = self._last_name()
        farm = dict(
            customer_class=CustomerClass.FARMER, naf=naf, site_type=SiteType.AGRICULTURAL,
            place=place, sites=1 + int(r() ** 2 * 2), premises=PremisesUse.BUSINESS,
            rate=lambda: 300 + r() ** 2 * 15000, diameters=(20, 30, 30, 40), bank_share=0.75,
        )  # fmt: skip
        if r() < 0.6:
            name = f"{activity} {last}"
            self._organisation_customer(
                civility=self.farm_legal_forms.pick(r()), name=name, complement="",
                siret_=siret(random_siren(self.random), 1 + int(r() * 5)), email_slug=_slug(name),
                **farm,
            )  # fmt: skip
            return
        # A farmer in their own name: a person, so no SIRET on the party (CUST-2).
        civility, first, _last = self._person()
        civility = "M." if civility == "M. et Mme" else civility
        account_id = self._id(CustomerAccount)
        opened = self._recent_start(30)
        contracts = []
        point = None
        for i in range(farm["sites"]):
            start = opened if i == 0 else self._between(opened, self.today - 7)
            site = self._site(
                place, start, PremisesUse.BUSINESS, farm["rate"](), farm["diameters"], None
            )
            number, _id, _end = self._contract(account_id, site, start)
            contracts.append((number, site))
            point = point or site
        email, mobile, landline = self._individual_contacts(first, last)
        _pid, party = self._party(
            kind=PartyKind.PERSON, civility=civility, name=last, first_name=first, email=email,
            mobile=mobile or self._mobile(), landline=landline,
            address=(point.street_number, point.street, point.complement, point.postcode),
            place=place, created=opened, birth=self._birth(opened),
        )  # fmt: skip
        self._account(
            account_id=account_id, party=party, customer_class=CustomerClass.FARMER, point=point,
            contracts=contracts, opened=opened, site_type=SiteType.AGRICULTURAL, naf=naf,
            bank_share=0.75,
        )  # fmt: skip

    def _large_account(self) -> None:
        r = self.random.random
        place = self.big_places.pick(r())
        pattern, naf, site_type = self._pick(data.LARGE_ACCOUNTS)
        name = pattern.format(name=self._last_name() if r() < 0.6 else place.name)
        residential = site_type == SiteType.RESIDENTIAL_BUILDING
        account_id, opened = self._organisation_customer(
            customer_class=CustomerClass.LARGE_ACCOUNT, civility=self.large_legal_forms.pick(r()),
            name=name, complement="", siret_=siret(random_siren(self.random), 1 + int(r() * 40)),
            naf=naf, site_type=site_type, place=place, sites=1 + int(r() ** 2 * 4),
            premises=PremisesUse.RESIDENTIAL_BUILDING if residential else PremisesUse.BUSINESS,
            rate=lambda: 5_000 + r() ** 2 * 150_000, diameters=(60, 65, 80, 80, 100, 100, 150),
            dwellings=(lambda: 20 + int(r() * 100)) if residential else None,
            email_slug=_slug(name), bank_share=0.9, closed_share=0.0,
        )  # fmt: skip
        self._particularity(account_id, ParticularityKind.LARGE_ACCOUNT, opened)

    def _customer(self, remaining: int) -> None:
        customer_class = self.classes.pick(self.random.random())
        if customer_class == CustomerClass.INDIVIDUAL:
            self._individual(remaining)
        elif customer_class == CustomerClass.PROFESSIONAL:
            self._professional()
        elif customer_class == CustomerClass.SYNDIC:
            self._syndic()
        elif customer_class == CustomerClass.LOCAL_AUTHORITY:
            self._local_authority()
        elif customer_class == CustomerClass.FARMER:
            self._farmer()
        elif customer_class == CustomerClass.ADMINISTRATION:
            self._administration()
        else:
            self._large_account()

    def chunks(self, customers: int, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[Chunk]:
        """Yield the rows of ``customers`` accounts, about ``chunk_size`` accounts at a time."""
        target = self.accounts_built + customers
        while self.accounts_built < target:
            limit = min(target, self.accounts_built + chunk_size)
            while self.accounts_built < limit:
                self._customer(target - self.accounts_built)
            if self.readings is not None:
                self._flush_readings(final=self.accounts_built >= target)
            rows, self.rows = self.rows, {model: [] for model in self.models}
            yield rows

    def _flush_readings(self, *, final: bool) -> None:
        """Readings of the service points built so far, except those waiting for a holder."""
        waiting = set() if final else {id(v.point) for v in self.vacancies}
        kept = []
        build = self.readings.point
        for point in self.pending_points:
            if id(point) in waiting:
                kept.append(point)
            else:
                build(point)
        self.pending_points = kept


# --- Loading ---------------------------------------------------------------------------------


@dataclass
class Summary:
    """What a generation wrote and how long it took."""

    counts: dict[str, int]
    seconds: float
    timings: dict[str, float]
    seed: int
    vendor: str
    parallel: bool = False

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


# Above this size, rows are built in a forked child process while this one writes.
PARALLEL_THRESHOLD = 50_000


def _can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def _build_in_child(builder: RowBuilder, customers: int, chunk_size: int, sender) -> None:
    try:
        for chunk in builder.chunks(customers, chunk_size):
            sender.send(("chunk", chunk))
        state = (builder.next_account, builder.next_contract, builder.next_point)
        sender.send(("done", state))
    except BaseException:  # reported to the parent, which raises
        with contextlib.suppress(OSError):  # the parent may have stopped listening
            sender.send(("error", traceback.format_exc()))
    finally:
        sender.close()


class _ForkedChunks:
    """``builder.chunks()`` run in a forked child: the parent writes chunk *n* while the
    child builds chunk *n + 1* (two cores instead of one). The child only computes: it
    never touches the database connection it inherits, and leaves with ``os._exit``."""

    def __init__(self, builder: RowBuilder, customers: int, chunk_size: int) -> None:
        context = multiprocessing.get_context("fork")
        self.builder = builder
        self.receiver, sender = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_build_in_child,
            args=(builder, customers, chunk_size, sender),
            name="robinet-demo-builder",
            daemon=True,
        )
        self.process.start()
        sender.close()

    def __iter__(self) -> Iterator[Chunk]:
        while True:
            kind, payload = self.receiver.recv()
            if kind == "chunk":
                yield payload
            elif kind == "done":
                # The numbers the child reached, for the numbering series.
                builder = self.builder
                builder.next_account, builder.next_contract, builder.next_point = payload
                break
            else:
                raise RuntimeError(f"the demo builder process failed:\n{payload}")
        self.close()

    def close(self) -> None:
        self.receiver.close()
        if self.process.is_alive():
            self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()


def ensure_organisation() -> dict[str, Entity]:
    """The demo region, agencies and centres (created once, through the service)."""
    from robinet.organisation.services import entity_create

    entities: dict[str, Entity] = {e.code: e for e in Entity.objects.all()}
    region_code, region_name = data.REGION
    if region_code not in entities:
        entities[region_code] = entity_create(
            kind=EntityKind.REGION, code=region_code, name=region_name
        )
    for agency_code, agency_name, centres in data.AGENCIES:
        if agency_code not in entities:
            entities[agency_code] = entity_create(
                kind=EntityKind.AGENCY,
                code=agency_code,
                name=agency_name,
                parent=entities[region_code],
            )
        for centre_code, centre_name, _communes in centres:
            if centre_code not in entities:
                entities[centre_code] = entity_create(
                    kind=EntityKind.CENTRE,
                    code=centre_code,
                    name=centre_name,
                    parent=entities[agency_code],
                )
    return entities


def _max_number(model: type, prefix: str = "") -> int:
    """The highest number already used in ``model.number``/``reference`` (same format)."""
    field_name = "reference" if model is ServicePoint else "number"
    value = (
        model.objects.filter(**{f"{field_name}__regex": rf"^{prefix}[0-9]{{9}}$"})
        .order_by(f"-{field_name}")
        .values_list(field_name, flat=True)
        .first()
    )
    return int(value[len(prefix) :]) if value else 0


def generate(
    *,
    customers: int,
    seed: int = DEFAULT_SEED,
    today: dt.date | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    log: Callable[[str], None] | None = None,
    parallel: bool | None = None,
    readings: bool = False,
) -> Summary:
    """Generate ``customers`` customer accounts (with everything under them) in one transaction.

    ``readings`` adds two years of meter readings (and the METER-5 notices of the leaks):
    see :mod:`robinet.demo.readings`. The customers are the same either way.

    ``parallel`` builds the rows in a child process (default: for large sizes, on Linux).
    The result does not depend on it.
    """
    log = log or (lambda message: None)
    today = today or clock.today()
    # Millions of live tuples: the cyclic garbage collector would walk them again and
    # again for nothing (they hold no cycles).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        if parallel is None:
            parallel = customers >= PARALLEL_THRESHOLD
        return _generate(
            customers=customers,
            seed=seed,
            today=today,
            chunk_size=chunk_size,
            log=log,
            parallel=parallel and _can_fork(),
            readings=readings,
        )
    finally:
        if gc_was_enabled:
            gc.enable()


def _generate(
    *,
    customers: int,
    seed: int,
    today: dt.date,
    chunk_size: int,
    log: Callable[[str], None],
    parallel: bool,
    readings: bool,
) -> Summary:
    from robinet.core.numbering import current_number, set_sequence_at_least
    from robinet.demo.bulk import BulkLoader

    timings: dict[str, float] = {}
    started = time.perf_counter()
    pools = Pools(seed)
    timings["pools"] = time.perf_counter() - started
    models = MODELS + READING_MODELS if readings else MODELS
    counts = dict.fromkeys((m._meta.label for m in models), 0)
    with transaction.atomic():
        entities = ensure_organisation()
        centres = {code: e.pk for code, e in entities.items() if e.kind == EntityKind.CENTRE}
        loader = BulkLoader(connection, {m: COLUMNS[m] for m in models})
        starts = Starts(
            ids=loader.first_free_ids(),
            account=max(current_number(ACCOUNT_SERIES), _max_number(CustomerAccount)) + 1,
            contract=max(current_number(CONTRACT_SERIES), _max_number(Contract, "A")) + 1,
            service_point=max(current_number(SERVICE_POINT_SERIES), _max_number(ServicePoint, "P"))
            + 1,
        )
        existing_serials = frozenset(Meter.objects.values_list("serial", flat=True))
        builder = RowBuilder(
            pools=pools,
            seed=seed,
            today=today,
            centres=centres,
            starts=starts,
            datetime_suffix=loader.datetime_suffix,
            existing_serials=existing_serials,
            readings=readings,
        )
        # Fork before the loader starts its writer thread: the child then has one thread.
        forked = _ForkedChunks(builder, customers, chunk_size) if parallel else None
        chunks = forked if forked is not None else builder.chunks(customers, chunk_size)
        build_seconds = 0.0
        try:
            mark = time.perf_counter()
            loader.prepare()
            timings["prepare"] = time.perf_counter() - mark
            mark = time.perf_counter()
            for chunk in chunks:
                build_seconds += time.perf_counter() - mark
                loader.write(chunk)
                for model, rows in chunk.items():
                    counts[model._meta.label] += len(rows)
                log(
                    f"  {counts[CustomerAccount._meta.label]:>9} comptes "
                    f"({time.perf_counter() - started:6.1f} s)"
                )
                mark = time.perf_counter()
            timings["build"] = build_seconds
            mark = time.perf_counter()
            loader.finish()
        except BaseException:
            loader.abort()
            raise
        finally:
            if forked is not None:
                forked.close()
        timings["write"] = loader.write_seconds
        timings["finish"] = time.perf_counter() - mark
        timings.update({f"finish.{k}": v for k, v in loader.timings.items()})
        set_sequence_at_least(ACCOUNT_SERIES, 0, builder.next_account - 1)
        set_sequence_at_least(CONTRACT_SERIES, 0, builder.next_contract - 1)
        set_sequence_at_least(SERVICE_POINT_SERIES, 0, builder.next_point - 1)
        mark = time.perf_counter()
    timings["commit"] = time.perf_counter() - mark
    loader.analyse()
    timings["total"] = time.perf_counter() - started
    return Summary(
        counts=counts,
        seconds=timings["total"],
        timings=timings,
        seed=seed,
        vendor=connection.vendor,
        parallel=parallel,
    )
