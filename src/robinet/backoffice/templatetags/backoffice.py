"""Template helpers of the back-office: Bootstrap form fields and display filters."""

from decimal import Decimal, InvalidOperation

from django import forms, template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html
from django.utils.translation import gettext

from robinet.customers.rules import format_phone

register = template.Library()

_CHECK_WIDGETS = (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)


@register.inclusion_tag("backoffice/includes/field.html")
def bs_field(field, **options):
    """One form field as a Bootstrap group: label, widget, help text and errors (accessible)."""
    widget = field.field.widget
    is_check = isinstance(widget, _CHECK_WIDGETS)
    if is_check:
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    described_by = []
    if field.help_text:
        described_by.append(f"{field.auto_id}_help")
    if field.errors:
        described_by.append(f"{field.auto_id}_errors")
    attrs = {"class": " ".join([css, widget.attrs.get("class", "")]).strip()}
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    if field.errors:
        attrs["aria-invalid"] = "true"
    return {
        "field": field,
        "widget_html": field.as_widget(attrs=attrs),
        "is_check": is_check,
        "wrapper_class": options.get("wrapper", "mb-3"),
        "hide_label": options.get("hide_label", False),
    }


@register.filter
def mask_iban(value: str) -> str:
    """``FR7630006000011234567890189`` → ``•••• •••• … 0189`` (only the last 4 shown)."""
    value = (value or "").replace(" ", "")
    if not value:
        return ""
    return f"{value[:2]}•• •••• •••• {value[-4:]}" if len(value) > 4 else "••••"


@register.filter
def phone(value: str) -> str:
    """An E.164 number in national format for reading (``06 12 34 56 78``)."""
    return format_phone(value or "")


@register.simple_tag
def bool_badge(value: bool, yes: str = "", no: str = ""):
    """A small yes/no badge (green when true)."""
    if value:
        return format_html(
            '<span class="badge rounded-pill text-bg-success">{}</span>', yes or gettext("Oui")
        )
    return format_html(
        '<span class="badge rounded-pill text-bg-light border">{}</span>', no or gettext("Non")
    )


@register.filter
def quantity(value) -> str:
    """A decimal quantity without useless zeros, French style: ``120.500`` → ``120,5``."""
    if value in (None, ""):
        return ""
    try:
        number = Decimal(str(value)).normalize()
    except InvalidOperation:
        return str(value)
    places = max(0, -number.as_tuple().exponent)
    return floatformat(number, f"{places}g")
