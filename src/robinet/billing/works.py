"""Works for third parties (*travaux*, BILL-7): quote → acceptance → deposit → works invoice.

* :func:`quote_create` prices lines of the price list (``works`` items) into a
  quote numbered in its own DEV series, valid until a date;
* :func:`quote_send`, then :func:`quote_accept` with the customer's signed
  copy (PDF or image, kept in Django's storage) — refused once the validity
  date has passed (the quote becomes *expiré*) — or :func:`quote_refuse`;
* on acceptance, when an item of the quote asks for a deposit
  (``deposit_percent`` > 0), a ``works_deposit`` invoice bills that share;
* once the works are done, :func:`works_invoice_issue` bills the quote in a
  ``works`` invoice and deducts the deposit by a negative line per VAT rate
  « Acompte versé » (what a credit note gave back is not deducted); the
  total is never negative.

Invoices go through :func:`robinet.billing.fees.invoice_issue_lines` (FAC
series, immutable, open item — BILL-6). The quote document is a simple PDF
(:func:`quote_pdf`). Permissions (``Perm.WORKS_MANAGE``) are checked here.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from robinet.billing.choices import InvoiceKind, PriceItemKind, QuoteStatus, Series
from robinet.billing.fees import (
    Line,
    _require,
    _user,
    check_individuals,
    invoice_issue_lines,
    items_for,
    line_amount,
    parse_quantity,
    totals,
    vat_breakdown,
)
from robinet.billing.models import Invoice, InvoiceLine, Quote, QuoteLine
from robinet.core import audit, clock
from robinet.core.exceptions import ApplicationError, InvalidTransition, NotFound, ValidationFailed
from robinet.core.money import round_money
from robinet.core.numbering import format_number, next_number
from robinet.organisation.access import require, scope_for
from robinet.organisation.roles import Perm

DEFAULT_VALIDITY_DAYS = 90
QUOTE_NUMBER_WIDTH = 6
SIGNED_EXTENSIONS = {".pdf", ".png", ".jpg", ".jpeg"}
SIGNED_MAX_BYTES = 10 * 1024 * 1024
DEPOSIT_CODE = "ACOMPTE"


@dataclass(frozen=True)
class QuoteLineRequest:
    code: str
    quantity: Decimal = Decimal(1)


# --- selectors -------------------------------------------------------------------------------


def quote_list(*, user, perm: str = Perm.BILLING_VIEW) -> QuerySet[Quote]:
    """Quotes of the accounts in the user's centres."""
    quotes = Quote.objects.select_related("account__party")
    if user is None:
        return quotes
    require(user, perm)
    scope = scope_for(user)
    if scope.is_superuser:
        return quotes
    return quotes.filter(account__centre_id__in=scope.centre_ids(perm))


def quote_search(*, user, status: str = "", account: str = "") -> QuerySet[Quote]:
    quotes = quote_list(user=user)
    if status:
        quotes = quotes.filter(status=status)
    if account:
        quotes = quotes.filter(account__number=account.strip())
    return quotes.order_by("-issue_date", "-id")


def quote_get_for_user(*, user, number: str, perm: str = Perm.BILLING_VIEW) -> Quote:
    quote = (
        quote_list(user=user, perm=perm)
        .select_related("account__centre", "service_point")
        .filter(number=number)
        .first()
    )
    if quote is None:
        raise NotFound(_("Devis introuvable."))
    return quote


def is_expired(quote: Quote, on: dt.date | None = None) -> bool:
    """Past its validity date and not decided yet."""
    on = on or clock.today()
    return quote.status in (QuoteStatus.DRAFT, QuoteStatus.SENT) and on > quote.valid_until


def deposit_invoice_of(quote: Quote) -> Invoice | None:
    return quote.invoices.filter(kind=InvoiceKind.WORKS_DEPOSIT).first()


def works_invoice_of(quote: Quote) -> Invoice | None:
    return quote.invoices.filter(kind=InvoiceKind.WORKS).first()


# --- writes ----------------------------------------------------------------------------------


def _locked(quote: Quote) -> Quote:
    return (
        Quote.objects.select_for_update(of=("self",))
        .select_related("account__centre")
        .get(pk=quote.pk)
    )


@transaction.atomic
def quote_create(
    *,
    actor,
    account,
    subject: str,
    lines: Sequence[QuoteLineRequest | tuple[str, object]],
    service_point=None,
    site_address: str = "",
    issue_date: dt.date | None = None,
    valid_until: dt.date | None = None,
) -> Quote:
    """A draft quote priced from the price list (``works`` items), numbered DEV-year-n."""
    _require(actor, Perm.WORKS_MANAGE, account.centre)
    requests = [r if isinstance(r, QuoteLineRequest) else QuoteLineRequest(*r) for r in lines]
    errors: dict[str, list[str]] = {}
    if not subject.strip():
        errors["subject"] = [_("Indiquez l'objet des travaux.")]
    if not requests:
        errors["lines"] = [_("Ajoutez au moins une ligne.")]
    issue_date = issue_date or clock.today()
    valid_until = valid_until or issue_date + dt.timedelta(days=DEFAULT_VALIDITY_DAYS)
    if valid_until < issue_date:
        errors["valid_until"] = [_("La validité ne peut précéder la date du devis.")]
    if errors:
        raise ValidationFailed(errors)
    quantities = [parse_quantity(r.quantity) for r in requests]
    found = items_for([r.code for r in requests], kind=PriceItemKind.WORKS, on=issue_date)
    check_individuals(account, found.values())
    year = issue_date.year
    sequence = next_number(Series.QUOTE, year)
    priced = []
    for request, quantity in zip(requests, quantities, strict=True):
        item = found[request.code]
        priced.append((item, quantity, line_amount(quantity, item.unit_price)))
    vat = vat_breakdown(
        Line(
            code=i.code, label=i.label, service=i.service, beneficiary=i.beneficiary,
            quantity=q, unit=i.unit, unit_price=i.unit_price, amount_excl_vat=a, vat_rate=i.vat_rate,
        )
        for i, q, a in priced
    )  # fmt: skip
    total_excl, total_vat, total_incl = totals(vat)
    deposit_lines = _deposit_lines_of(
        [(i.label, a, i.vat_rate, i.deposit_percent) for i, _q, a in priced], ""
    )
    deposit = totals(vat_breakdown(deposit_lines))[2]
    quote = Quote.objects.create(
        number=format_number(Series.QUOTE, year, sequence, width=QUOTE_NUMBER_WIDTH),
        year=year,
        sequence=sequence,
        account=account,
        service_point=service_point,
        subject=subject.strip()[:160],
        site_address=(site_address or _service_point_address(service_point))[:255],
        issue_date=issue_date,
        valid_until=valid_until,
        total_excl_vat=total_excl,
        total_vat=total_vat,
        total_incl_vat=total_incl,
        vat_breakdown=vat,
        deposit_incl_vat=deposit,
        created_at=clock.now(),
        created_by=_user(actor),
    )
    QuoteLine.objects.bulk_create(
        QuoteLine(
            quote=quote,
            position=position,
            item=item,
            code=item.code,
            label=item.label,
            service=item.service,
            beneficiary=item.beneficiary,
            quantity=quantity,
            unit=item.unit,
            unit_price=item.unit_price,
            amount_excl_vat=amount,
            vat_rate=item.vat_rate,
            deposit_percent=item.deposit_percent,
        )
        for position, (item, quantity, amount) in enumerate(priced, start=1)
    )
    audit.record(
        actor=actor,
        verb="quote_created",
        target=quote,
        subject=account,
        data={"number": quote.number, "total": total_incl},
    )
    return quote


def _service_point_address(sp) -> str:
    if sp is None:
        return ""
    return " ".join(p for p in (sp.street_number, sp.street) if p) + f", {sp.postcode} {sp.city}"


@transaction.atomic
def quote_send(*, actor, quote: Quote) -> Quote:
    """Draft → sent (the quote has been given to the customer)."""
    _require(actor, Perm.WORKS_MANAGE, quote.account.centre)
    quote = _locked(quote)
    if quote.status != QuoteStatus.DRAFT:
        raise InvalidTransition(_("Seul un devis en brouillon s'envoie."))
    quote.status = QuoteStatus.SENT
    quote.sent_on = clock.today()
    quote.save(update_fields=["status", "sent_on"])
    audit.record(actor=actor, verb="quote_sent", target=quote, subject=quote.account)
    return quote


def _check_signed(document) -> None:
    if document is None:
        raise ValidationFailed(
            {"signed_document": [_("Joignez le devis signé par le client (PDF ou image).")]}
        )
    extension = os.path.splitext(document.name or "")[1].lower()
    if extension not in SIGNED_EXTENSIONS:
        raise ValidationFailed(
            {"signed_document": [_("Le devis signé doit être un PDF ou une image (PNG, JPEG).")]}
        )
    if document.size > SIGNED_MAX_BYTES:
        raise ValidationFailed({"signed_document": [_("Fichier trop volumineux (10 Mo au plus).")]})


def _expire(quote: Quote, actor) -> None:
    quote.status = QuoteStatus.EXPIRED
    quote.save(update_fields=["status"])
    audit.record(actor=actor, verb="quote_expired", target=quote, subject=quote.account)


def quote_accept(
    *, actor, quote: Quote, signed_document, accepted_on: dt.date | None = None
) -> Quote:
    """Record the customer's signed quote; bill the deposit if the price list asks for one.

    An expired quote cannot be accepted: it is marked *expiré* and refused.
    """
    _require(actor, Perm.WORKS_MANAGE, quote.account.centre)
    _check_signed(signed_document)
    accepted_on = accepted_on or clock.today()
    expired = False
    with transaction.atomic():
        quote = _locked(quote)
        if quote.status not in (QuoteStatus.DRAFT, QuoteStatus.SENT):
            raise InvalidTransition(
                _("Ce devis est « %(s)s » : il ne peut plus être accepté.")
                % {"s": quote.get_status_display()}
            )
        if accepted_on > quote.valid_until:
            _expire(quote, actor)
            expired = True
        else:
            name = os.path.basename(signed_document.name)
            quote.signed_document.save(f"{quote.number}-signe-{name}", signed_document, save=False)
            quote.status = QuoteStatus.ACCEPTED
            quote.decided_on = accepted_on
            quote.save(update_fields=["signed_document", "status", "decided_on"])
            audit.record(
                actor=actor,
                verb="quote_accepted",
                target=quote,
                subject=quote.account,
                data={"number": quote.number, "total": quote.total_incl_vat},
            )
            if quote.deposit_incl_vat > 0:
                _deposit_invoice_issue(actor=actor, quote=quote, issue_date=accepted_on)
    if expired:
        raise ApplicationError(
            _("Le devis %(n)s a expiré le %(d)s : il ne peut plus être accepté.")
            % {"n": quote.number, "d": quote.valid_until.strftime("%d/%m/%Y")},
            code="quote_expired",
            http_status=409,
        )
    return quote


@transaction.atomic
def quote_refuse(*, actor, quote: Quote, reason: str = "") -> Quote:
    _require(actor, Perm.WORKS_MANAGE, quote.account.centre)
    quote = _locked(quote)
    if quote.status not in (QuoteStatus.DRAFT, QuoteStatus.SENT):
        raise InvalidTransition(_("Ce devis ne peut plus être refusé."))
    quote.status = QuoteStatus.REFUSED
    quote.decided_on = clock.today()
    quote.refusal_reason = reason.strip()[:255]
    quote.save(update_fields=["status", "decided_on", "refusal_reason"])
    audit.record(
        actor=actor,
        verb="quote_refused",
        target=quote,
        subject=quote.account,
        data={"reason": reason},
    )
    return quote


def quotes_expire(*, actor=None, on: dt.date | None = None) -> int:
    """Mark *expiré* the undecided quotes past their validity (for a daily task)."""
    on = on or clock.today()
    count = 0
    for quote in Quote.objects.filter(
        status__in=(QuoteStatus.DRAFT, QuoteStatus.SENT), valid_until__lt=on
    ):
        with transaction.atomic():
            _expire(_locked(quote), actor)
        count += 1
    return count


# --- invoices --------------------------------------------------------------------------------


def _deposit_lines_of(rows, quote_number: str) -> list[Line]:
    """One deposit line per quote line asking for one: its share, rounded to the cent."""
    lines = []
    for label, amount, vat_rate, percent in rows:
        if percent <= 0:
            continue
        share = round_money(amount * percent / 100)
        lines.append(
            Line(
                code=DEPOSIT_CODE,
                label=_("Acompte %(p)s %% — %(l)s") % {"p": percent.normalize(), "l": label},
                service="other",
                beneficiary="operator",
                quantity=Decimal(1),
                unit="unit",
                unit_price=share,
                amount_excl_vat=share,
                vat_rate=vat_rate,
                kind="deposit",
            )
        )
    return lines


def _deposit_invoice_issue(*, actor, quote: Quote, issue_date: dt.date) -> Invoice:
    rows = [
        (line.label, line.amount_excl_vat, line.vat_rate, line.deposit_percent)
        for line in quote.lines.order_by("position")
    ]
    invoice = invoice_issue_lines(
        actor=actor,
        kind=InvoiceKind.WORKS_DEPOSIT,
        account=quote.account,
        lines=_deposit_lines_of(rows, quote.number),
        issue_date=issue_date,
        service_point=quote.service_point,
        quote=quote,
        reason=_("Acompte sur devis %(n)s") % {"n": quote.number},
    )
    audit.record(
        actor=actor,
        verb="works_deposit_invoice_issued",
        target=invoice,
        subject=quote.account,
        data={"quote": quote.number, "number": invoice.number, "total": invoice.total_incl_vat},
    )
    return invoice


def deposit_to_deduct(quote: Quote) -> dict[Decimal, Decimal]:
    """Deposit base per VAT rate still standing: deposit invoice minus its credit notes."""
    deposit = deposit_invoice_of(quote)
    if deposit is None:
        return {}
    bases: dict[Decimal, Decimal] = defaultdict(Decimal)
    for rate, amount in deposit.lines.values_list("vat_rate", "amount_excl_vat"):
        bases[rate] += amount
    for rate, amount in InvoiceLine.objects.filter(
        invoice__credited_invoice=deposit, invoice__kind=InvoiceKind.CREDIT_NOTE
    ).values_list("vat_rate", "amount_excl_vat"):
        bases[rate] -= amount
    return {rate: base for rate, base in bases.items() if base > 0}


@transaction.atomic
def works_invoice_issue(
    *, actor, quote: Quote, works_done_on: dt.date | None = None, issue_date: dt.date | None = None
) -> Invoice:
    """Bill an accepted quote once the works are done, deducting the deposit (BILL-7)."""
    _require(actor, Perm.WORKS_MANAGE, quote.account.centre)
    quote = _locked(quote)
    if quote.status != QuoteStatus.ACCEPTED:
        raise InvalidTransition(
            _("Seul un devis accepté se facture (ce devis est « %(s)s »).")
            % {"s": quote.get_status_display()}
        )
    issue_date = issue_date or clock.today()
    works_done_on = works_done_on or issue_date
    if works_done_on > issue_date:
        raise ValidationFailed(
            {"works_done_on": [_("Les travaux ne peuvent être facturés avant d'être réalisés.")]}
        )
    lines = [
        Line(
            code=line.code,
            label=line.label,
            service=line.service,
            beneficiary=line.beneficiary,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            amount_excl_vat=line.amount_excl_vat,
            vat_rate=line.vat_rate,
            kind="works",
        )
        for line in quote.lines.order_by("position")
    ]
    deposit = deposit_invoice_of(quote)
    works_bases: dict[Decimal, Decimal] = defaultdict(Decimal)
    for line in lines:
        works_bases[line.vat_rate] += line.amount_excl_vat
    for rate, base in sorted(deposit_to_deduct(quote).items()):
        amount = min(base, works_bases.get(rate, Decimal(0)))  # never below zero
        if amount <= 0:
            continue
        lines.append(
            Line(
                code=DEPOSIT_CODE,
                label=_("Acompte versé — facture %(n)s") % {"n": deposit.number},
                service="other",
                beneficiary="operator",
                quantity=Decimal(1),
                unit="unit",
                unit_price=-amount,
                amount_excl_vat=-amount,
                vat_rate=rate,
                kind="deposit",
            )
        )
    invoice = invoice_issue_lines(
        actor=actor,
        kind=InvoiceKind.WORKS,
        account=quote.account,
        lines=lines,
        issue_date=issue_date,
        service_point=quote.service_point,
        quote=quote,
        reason=_("Travaux du devis %(n)s réalisés le %(d)s")
        % {"n": quote.number, "d": works_done_on.strftime("%d/%m/%Y")},
    )
    quote.status = QuoteStatus.INVOICED
    quote.works_done_on = works_done_on
    quote.save(update_fields=["status", "works_done_on"])
    audit.record(
        actor=actor,
        verb="works_invoice_issued",
        target=invoice,
        subject=quote.account,
        data={"quote": quote.number, "number": invoice.number, "total": invoice.total_incl_vat},
    )
    return invoice


# --- the quote document ----------------------------------------------------------------------


def quote_pdf(quote: Quote) -> tuple[bytes, str]:
    """A simple A4 quote in French with its legal mentions (validity, VAT, totals)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm

    from robinet.billing.documents.pdf import (
        a4_document,
        fonts,
        fr_date,
        fr_money,
        fr_quantity,
        fr_rate,
        fr_unit_price,
    )
    from robinet.billing.selectors import buyer, seller

    regular, bold = fonts(embed=True)
    s, b = seller(), buyer(quote.account)
    out = io.BytesIO()
    c, text = a4_document(out, title=f"Devis {quote.number}", author=s.name, regular=regular)
    width, height = A4
    left, right = 15 * mm, width - 15 * mm
    y = height - 18 * mm

    text(left, y, s.name, 13, bold)
    for line in (s.legal_form, *s.address_lines, f"{s.postcode} {s.city}",
                 f"SIRET {s.siret} — TVA {s.vat_number}", f"Tél. {s.phone} — {s.email}"):  # fmt: skip
        y -= 4.2 * mm
        text(left, y, line, 8)
    by = height - 40 * mm
    for i, line in enumerate((b.name, *b.address_lines, f"{b.postcode} {b.city}",
                              f"Client n° {b.account_number}")):  # fmt: skip
        text(110 * mm, by - i * 4.6 * mm, line, 10, bold if i == 0 else regular)
    y = height - 75 * mm
    text(left, y, f"DEVIS n° {quote.number}", 15, bold)
    y -= 7 * mm
    text(left, y, f"Établi le {fr_date(quote.issue_date)} — valable jusqu'au "
                  f"{fr_date(quote.valid_until)}", 9)  # fmt: skip
    y -= 5 * mm
    text(left, y, f"Objet : {quote.subject}", 9, bold)
    if quote.site_address:
        y -= 5 * mm
        text(left, y, f"Lieu des travaux : {quote.site_address}", 9)
    y -= 10 * mm
    columns = (
        (left, "Désignation", "left"),
        (right - 78 * mm, "Quantité", "right"),
        (right - 52 * mm, "P.U. HT", "right"),
        (right - 22 * mm, "Montant HT", "right"),
        (right, "TVA", "right"),
    )
    for x, label, align in columns:
        text(x, y, label, 8, bold, align)
    c.line(left, y - 1.8 * mm, right, y - 1.8 * mm)
    y -= 6 * mm
    for line in quote.lines.order_by("position"):
        if y < 60 * mm:
            c.showPage()
            y = height - 20 * mm
        text(left, y, f"{line.label}"[:70], 8.5)
        text(right - 78 * mm, y, f"{fr_quantity(line.quantity)} {line.unit}", 8.5, align="right")
        text(right - 52 * mm, y, fr_unit_price(line.unit_price), 8.5, align="right")
        text(right - 22 * mm, y, fr_money(line.amount_excl_vat), 8.5, align="right")
        text(right, y, f"{fr_rate(line.vat_rate)} %", 8.5, align="right")
        y -= 5 * mm
    c.line(left, y + 2 * mm, right, y + 2 * mm)
    y -= 3 * mm
    rows = [("Total HT", quote.total_excl_vat)]
    rows += [
        (f"TVA {fr_rate(Decimal(v['rate']))} % sur {fr_money(Decimal(v['base']))}",
         Decimal(v["amount"]))
        for v in quote.vat_breakdown
    ]  # fmt: skip
    rows.append(("Total TTC", quote.total_incl_vat))
    if quote.deposit_incl_vat:
        rows.append(("Acompte TTC à la commande", quote.deposit_incl_vat))
    for label, amount in rows:
        strong = label.startswith("Total TTC")
        text(right - 30 * mm, y, label, 9, bold if strong else regular, "right")
        text(right, y, fr_money(amount), 9, bold if strong else regular, "right")
        y -= 5 * mm
    y -= 6 * mm
    mentions = [
        f"Devis valable jusqu'au {fr_date(quote.valid_until)} ; au-delà, les prix peuvent être "
        "révisés.",
        "Prix exprimés en euros, hors taxes et toutes taxes comprises, TVA au taux en vigueur.",
        "Devis gratuit. Pour l'accepter, retournez-le daté et signé avec la mention "
        "« Bon pour accord ».",
    ]
    if quote.deposit_incl_vat:
        mentions.append(
            "Un acompte est facturé à l'acceptation ; il est déduit de la facture des travaux."
        )
    mentions.append(
        f"Paiement à réception de facture. Médiation : {s.mediator.name}, {s.mediator.website}."
    )
    for mention in mentions:
        text(left, y, mention, 7.5)
        y -= 4.2 * mm
    y -= 8 * mm
    text(left, y, "Date, signature et mention « Bon pour accord » :", 9, bold)
    c.rect(left, y - 28 * mm, 90 * mm, 24 * mm)
    c.showPage()
    c.save()
    return out.getvalue(), f"{quote.number}.pdf"


def signed_document_url(quote: Quote) -> str:
    return quote.signed_document.url if quote.signed_document else ""


__all__ = [
    "QuoteLineRequest",
    "deposit_invoice_of",
    "quote_accept",
    "quote_create",
    "quote_get_for_user",
    "quote_list",
    "quote_pdf",
    "quote_refuse",
    "quote_search",
    "quote_send",
    "quotes_expire",
    "works_invoice_issue",
    "works_invoice_of",
]
