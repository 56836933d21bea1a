"""The parameters every report reads, parsed from a form, a URL, the API or the command line.

Errors name the field (API-3). The entity is given by its code; the report
covers its subtree, intersected with the user's own (ORG-2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from robinet.core import clock
from robinet.core.exceptions import ValidationFailed
from robinet.organisation.models import Entity

#: the parameters a report may declare in ``ReportDef.params`` (the screen shows those fields)
KNOWN = ("date", "entity", "start", "end", "year")


@dataclass(frozen=True)
class Params:
    on: dt.date
    entity: Entity | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    year: int | None = None
    #: report-specific drill-down keys (``customer_class``, ``bucket``, ``account``…)
    extra: dict[str, str] = field(default_factory=dict)

    def query(self, **changes) -> dict[str, str]:
        """These parameters as URL query values, with ``changes`` applied (None removes)."""
        values = {"date": self.on.isoformat()}
        if self.entity is not None:
            values["entity"] = self.entity.code
        if self.start:
            values["start"] = self.start.isoformat()
        if self.end:
            values["end"] = self.end.isoformat()
        if self.year:
            values["year"] = str(self.year)
        values.update(self.extra)
        for key, value in changes.items():
            if value is None:
                values.pop(key, None)
            else:
                values[key] = str(value)
        return values


def _date(raw: str, name: str, errors: dict) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = [_("Date invalide : « %(value)s » (attendu AAAA-MM-JJ).") % {"value": raw}]
        return None


def parse(data: Mapping[str, str], *, extra_keys: tuple[str, ...] = ()) -> Params:
    """``data`` (strings, as from a query string) as :class:`Params`; ValidationFailed names the field.

    Defaults: ``date`` today, ``year`` the previous calendar year, ``start``/``end``
    the twelve months ending at ``date``.
    """
    errors: dict[str, list[str]] = {}
    today = clock.today()
    on = _date(data["date"], "date", errors) if data.get("date") else today
    if on and on > today:
        errors["date"] = [_("La date ne peut pas être dans le futur.")]
    entity = None
    if code := (data.get("entity") or "").strip():
        entity = Entity.objects.filter(code=code).first()
        if entity is None:
            errors["entity"] = [_("Entité inconnue : « %(code)s ».") % {"code": code}]
    start = _date(data["start"], "start", errors) if data.get("start") else None
    end = _date(data["end"], "end", errors) if data.get("end") else None
    year = None
    if raw := (data.get("year") or "").strip():
        if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
            errors["year"] = [_("Année invalide : « %(value)s ».") % {"value": raw}]
        else:
            year = int(raw)
    if errors:
        raise ValidationFailed(errors)
    on = on or today
    end = end or on
    if start is None:
        month = end.year * 12 + end.month - 12
        start = dt.date(month // 12, month % 12 + 1, 1)
    if start > end:
        raise ValidationFailed({"start": [_("Le début de la période est après sa fin.")]})
    extra = {k: str(data[k]) for k in extra_keys if data.get(k)}
    return Params(on=on, entity=entity, start=start, end=end, year=year or on.year - 1, extra=extra)
