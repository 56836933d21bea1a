"""What every report returns: tables of typed columns, rows with a drill-down link.

Pure data. The screen, the CSV/XLSX/JSON exports, the API and the command all
render the same :class:`Table`, so that a figure exported is the figure shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


class Kind:
    """How a column's values are typed, shown and exported."""

    TEXT = "text"
    MONEY = "money"  # Decimal, 2 places, euros
    INT = "int"
    RATE = "rate"  # Decimal percentage (12.5 means 12,5 %), None when undefined
    DECIMAL = "decimal"  # Decimal with its own places (m³, ratios, days)
    DATE = "date"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = Kind.TEXT


@dataclass
class Row:
    """One line: ``cells`` maps column keys to values; ``link`` drills down (a URL)."""

    cells: dict[str, Any]
    link: str = ""
    #: 0 for a detail row; the tree level (region 0, agency 1, centre 2…) for indented rows
    level: int = 0
    #: a sub-total or total line (bold; not summed again)
    total: bool = False
    #: per-cell drill-down links, by column key
    links: dict[str, str] = field(default_factory=dict)

    def value(self, key: str) -> Any:
        return self.cells.get(key)


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    #: totals, shown in the table foot and exported last
    footer: list[Row] = field(default_factory=list)
    #: definitions, formulas and sources shown under the table
    notes: list[str] = field(default_factory=list)
    #: an optional chart (Chart.js ``{"type", "labels", "datasets"}``) drawn above the table
    chart: dict | None = None
    #: a short machine name (sheet name in XLSX, key in JSON)
    key: str = ""

    @property
    def dom_id(self) -> str:
        return self.key or "table"

    @property
    def chart_dom_id(self) -> str:
        return f"chart-{self.dom_id}"

    def all_rows(self) -> list[Row]:
        return [*self.rows, *self.footer]


def total_row(
    columns: list[Column],
    rows: list[Row],
    label_key: str,
    label: str,
    *,
    rates: dict[str, tuple[str, str]] | None = None,
) -> Row:
    """A footer summing the money and integer columns of ``rows`` (not the sub-totals).

    ``rates`` maps a rate column to its (part, whole) columns: a total's rate is
    recomputed from the summed parts, never summed or averaged.
    """
    cells: dict[str, Any] = {label_key: label}
    for column in columns:
        if column.kind in (Kind.MONEY, Kind.INT):
            values = [r.cells.get(column.key) for r in rows if not r.total]
            zero = Decimal("0.00") if column.kind == Kind.MONEY else 0
            cells[column.key] = sum((v for v in values if v is not None), zero)
    for key, (part, whole) in (rates or {}).items():
        cells[key] = rate(cells[part], cells[whole])
    return Row(cells, total=True)


def chart_data(values: Iterable[Decimal | int | None]) -> list[str | int | None]:
    """Chart values as JSON keeps them exact: Decimals as strings (Chart.js reads numeric
    strings), None for a gap."""
    return [str(v) if isinstance(v, Decimal) else v for v in values]


def money(value) -> Decimal:
    """A database sum as euros to the cent (SQLite sums decimals as floats; None is zero)."""
    from robinet.core.money import round_money

    return round_money(value or 0)


def rate(
    part: Decimal | int | None, whole: Decimal | int | None, places: int = 1
) -> Decimal | None:
    """``part / whole`` as a percentage rounded half-up to ``places``; None when ``whole`` is 0."""
    if not whole:
        return None
    quantum = Decimal(1).scaleb(-places)
    return (Decimal(part or 0) * 100 / Decimal(whole)).quantize(quantum, ROUND_HALF_UP)
