"""What was billed and collected for each beneficiary (PAY-1a): operator, authority, agency, VAT.

Per period (issue dates / allocation dates from–to) and per (beneficiary,
service) — for VAT the "service" is the rate:

* **invoiced**: invoice lines excluding VAT, and VAT per rate, of the invoices
  issued in the period (every kind except credit notes);
* **credit notes**: the same for the credit notes issued in the period, negative;
* **billed** = invoiced + credit notes;
* **collected**: allocation shares whose source is a payment, dated in the period
  (an un-allocation counts negative on its date);
* **credited**: shares whose source is a credit note;
* **written off**: shares whose source is a write-off;
* **owed** = invoiced − collected − credited − written off: what remains to
  collect on the period's flows. A credit note counts once: in ``billed``,
  and in ``credited`` once it has been set against an invoice.

It drives the paying-back (*reversement*) of the local authority's part and the
water agency's levy declaration (the levy is owed on amounts collected).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from robinet.core.exceptions import ValidationFailed
from robinet.ledger.models import AllocationShare, ShareBeneficiary, ShareSource
from robinet.ledger.reconciliation import cents
from robinet.organisation.access import require
from robinet.organisation.roles import Perm

ZERO = Decimal("0.00")
BENEFICIARY_ORDER = [b.value for b in ShareBeneficiary]
SERVICE_LABELS = {
    "water": gettext_lazy("Eau"),
    "sanitation": gettext_lazy("Assainissement"),
    "public_bodies": gettext_lazy("Organismes publics"),
    "other": gettext_lazy("Autres"),
}


@dataclass
class Row:
    beneficiary: str
    service: str
    invoiced: Decimal = ZERO
    credit_notes: Decimal = ZERO
    collected: Decimal = ZERO
    credited: Decimal = ZERO
    written_off: Decimal = ZERO

    @property
    def billed(self) -> Decimal:
        return self.invoiced + self.credit_notes

    @property
    def owed(self) -> Decimal:
        return self.invoiced - self.collected - self.credited - self.written_off

    @property
    def beneficiary_label(self) -> str:
        return str(dict(ShareBeneficiary.choices).get(self.beneficiary, self.beneficiary))

    @property
    def service_label(self) -> str:
        if self.beneficiary == ShareBeneficiary.VAT:
            return _("TVA %(rate)s %%") % {"rate": self.service.replace(".", ",")}
        return str(SERVICE_LABELS.get(self.service, self.service))


AMOUNTS = ("invoiced", "credit_notes", "billed", "collected", "credited", "written_off", "owed")


def _vat_key(rate) -> str:
    return str(Decimal(str(rate)).quantize(Decimal("0.01")))


def report(
    *, actor, start: dt.date, end: dt.date, beneficiary: str = "", service: str = "",
    check_permission: bool = True,
) -> list[Row]:  # fmt: skip
    """Rows per (beneficiary, service) over the centres the actor may see, then a total."""
    from robinet.billing.models import Invoice, InvoiceLine

    if start > end:
        raise ValidationFailed({"end": [_("La fin de période précède son début.")]})
    if beneficiary and beneficiary not in BENEFICIARY_ORDER:
        raise ValidationFailed({"beneficiary": [_("Bénéficiaire inconnu.")]})
    centre_q = Q()
    if check_permission:
        scope = require(actor, Perm.ACCOUNTING_VIEW)
        centre_q = scope.entity_filter(Perm.ACCOUNTING_VIEW, "account__centre")
    rows: dict[tuple[str, str], Row] = {}

    def row(b: str, s: str) -> Row:
        return rows.setdefault((b, s), Row(b, s))

    invoices = Invoice.objects.filter(centre_q, issue_date__gte=start, issue_date__lte=end)
    invoices = invoices.filter(open_item__isnull=False)  # booked documents only
    lines = InvoiceLine.objects.filter(invoice__in=invoices)
    for kind_is_credit, b, s, total in (
        lines.values("invoice__kind", "beneficiary", "service")
        .order_by()
        .annotate(t=Sum("amount_excl_vat"))
        .values_list("invoice__kind", "beneficiary", "service", "t")
    ):
        target = row(b, s)
        total = cents(total)
        if kind_is_credit == "credit_note":
            target.credit_notes -= total
        else:
            target.invoiced += total
    for kind, breakdown in invoices.values_list("kind", "vat_breakdown").iterator(chunk_size=2000):
        for vat in breakdown or ():
            target = row(ShareBeneficiary.VAT.value, _vat_key(vat["rate"]))
            amount = Decimal(str(vat["amount"]))
            if kind == "credit_note":
                target.credit_notes -= amount
            else:
                target.invoiced += amount
    shares = AllocationShare.objects.filter(on__gte=start, on__lte=end)
    if check_permission:
        shares = shares.filter(
            scope.entity_filter(Perm.ACCOUNTING_VIEW, "allocation__account__centre")
        )
    for source, b, s, total in (
        shares.values("source", "beneficiary", "service")
        .order_by()
        .annotate(t=Sum("amount"))
        .values_list("source", "beneficiary", "service", "t")
    ):
        target = row(b, s)
        total = cents(total)
        if source == ShareSource.PAYMENT:
            target.collected += total
        elif source == ShareSource.CREDIT_NOTE:
            target.credited += total
        elif source == ShareSource.WRITE_OFF:
            target.written_off += total
        else:  # legacy balances taken over: counted as collected elsewhere
            target.collected += total
    out = [
        r
        for r in rows.values()
        if (not beneficiary or r.beneficiary == beneficiary)
        and (not service or r.service == service)
    ]
    out.sort(
        key=lambda r: (
            BENEFICIARY_ORDER.index(r.beneficiary)
            if r.beneficiary in BENEFICIARY_ORDER
            else len(BENEFICIARY_ORDER),
            r.service,
        )
    )
    return out


def totals(rows: list[Row]) -> dict[str, Decimal]:
    return {name: sum((getattr(r, name) for r in rows), ZERO) for name in AMOUNTS}


def per_beneficiary(rows: list[Row]) -> dict[str, dict[str, Decimal]]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        grouped[r.beneficiary].append(r)
    return {b: totals(rs) for b, rs in grouped.items()}


CSV_HEADER = (
    "beneficiaire", "rubrique", "facture", "avoirs", "facture_net", "encaisse", "credite",
    "admis_en_non_valeur", "reste_du",
)  # fmt: skip


def _amount(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def to_csv(rows: list[Row]) -> str:
    """Semicolon-separated, comma decimals (what French spreadsheets open)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow(
            [r.beneficiary_label, r.service_label, *(_amount(getattr(r, a)) for a in AMOUNTS)]
        )
    total = totals(rows)
    writer.writerow([_("Total"), "", *(_amount(total[a]) for a in AMOUNTS)])
    return buffer.getvalue()


def report_to_dict(rows: list[Row]) -> list[dict]:
    return [
        {"beneficiary": r.beneficiary, "service": r.service, **{a: getattr(r, a) for a in AMOUNTS}}
        for r in rows
    ]
