"""How a report cell reads on screen: money in euros, rates in %, French numbers."""

import datetime as dt
from decimal import Decimal

from django import template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat

from robinet.reporting.tables import Kind

register = template.Library()


@register.filter
def cell(row, column) -> str:
    value = row.cells.get(column.key)
    if value is None or value == "":
        return "—" if column.kind != Kind.TEXT else ""
    if column.kind == Kind.MONEY:
        return f"{floatformat(value, '2g')} €"
    if column.kind == Kind.RATE:
        return f"{floatformat(value, '1g')} %"
    if column.kind == Kind.INT:
        return floatformat(value, "0g")
    if column.kind == Kind.DECIMAL and isinstance(value, Decimal | int | float):
        places = max(0, -Decimal(str(value)).as_tuple().exponent)
        return floatformat(value, f"{places}g")
    if isinstance(value, dt.date):
        return date_filter(value, "d/m/Y")
    return str(value)


@register.filter
def cell_link(row, column) -> str:
    return row.links.get(column.key, "")


@register.filter
def is_number(column) -> bool:
    return column.kind not in (Kind.TEXT, Kind.DATE)
