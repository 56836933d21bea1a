"""Reads of tariff versions, and the priced form the engine takes (BILL-1, BILL-2)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from robinet.core.exceptions import NotFound
from robinet.organisation.access import require
from robinet.organisation.roles import Perm
from robinet.tariffs import schema
from robinet.tariffs.models import TariffVersion, TariffZone
from robinet.tariffs.pricing import TariffVersion as PricedVersion


def tariff_list(*, user) -> QuerySet[TariffVersion]:
    if user is not None:
        require(user, Perm.TARIFF_VIEW)
    return TariffVersion.objects.order_by("code")


def tariff_get(*, user, code: str) -> TariffVersion:
    try:
        return tariff_list(user=user).get(code=code)
    except TariffVersion.DoesNotExist:
        raise NotFound() from None


def priced(version: TariffVersion) -> PricedVersion:
    return schema.parse_tariff(version.definition)


def tariffs_by_commune(
    communes: Iterable[str], *, start: dt.date, end: dt.date
) -> dict[str, list[PricedVersion]]:
    """The versions in force on some day of [start, end] for each commune, parsed once."""
    zones = (
        TariffZone.objects.filter(commune_insee__in=set(communes), valid_from__lte=end)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=start))
        .values_list("commune_insee", "version_id")
    )
    by_commune: dict[str, list[int]] = defaultdict(list)
    for commune, version_id in zones:
        by_commune[commune].append(version_id)
    ids = {pk for pks in by_commune.values() for pk in pks}
    parsed = {v.pk: priced(v) for v in TariffVersion.objects.filter(pk__in=ids)}
    return {
        commune: sorted((parsed[pk] for pk in pks), key=lambda v: v.valid_from)
        for commune, pks in by_commune.items()
    }


class TariffCache:
    """Tariffs of a run, loaded once per commune (a run bills a few hundred communes)."""

    def __init__(self, *, start: dt.date, end: dt.date) -> None:
        self.start, self.end = start, end
        self._by_commune: dict[str, list[PricedVersion]] = {}

    def for_communes(self, communes: Iterable[str]) -> dict[str, list[PricedVersion]]:
        missing = {c for c in communes if c not in self._by_commune}
        if missing:
            found = tariffs_by_commune(missing, start=self.start, end=self.end)
            for commune in missing:
                self._by_commune[commune] = found.get(commune, [])
        return self._by_commune
