"""``{% pes_title invoice %}``: the invoice's title and its recovery status, when it has one."""

from django import template

from robinet.pes.conf import is_regie
from robinet.pes.selectors import title_for_invoice

register = template.Library()


@register.inclusion_tag("pes/_invoice_title.html", takes_context=True)
def pes_title(context, invoice):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"title": title_for_invoice(user=user, invoice=invoice) if invoice else None}


@register.simple_tag
def pes_is_regie() -> bool:
    """Whether the utility's invoices are titled (``{% pes_is_regie as regie %}``)."""
    return is_regie()
