"""Billing's invariants (``robinet check``): invoice numbers without gaps (BILL-6)."""

from django.db.models import Count, Max, Min

from robinet.billing.models import Invoice
from robinet.core.invariants import Violations, invariant, sequence_gaps
from robinet.core.models.numbering import Sequence


@invariant("billing.gapless-invoice-numbers", "Factures et avoirs numérotés sans trou (BILL-6)")
def gapless_invoice_numbers() -> Violations:
    rows = list(
        Invoice.objects.values("series", "year")
        .annotate(count=Count("id"), smallest=Min("sequence"), largest=Max("sequence"))
        .values_list("series", "year", "count", "smallest", "largest")
        .order_by("series", "year")
    )
    found = sequence_gaps(rows)
    # A number handed out by the counter but never used is a gap too.
    used = {(series, year): largest for series, year, _c, _s, largest in rows}
    for series, year, last in Sequence.objects.filter(
        series__in={series for series, _y in used}
    ).values_list("series", "year", "last_value"):
        if last != used.get((series, year), 0):
            found.append(
                f"{series} {year} : compteur à {last}, dernier numéro utilisé "
                f"{used.get((series, year), 0)}"
            )
    return Violations.of(found)
