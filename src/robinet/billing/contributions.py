"""Contributions of municipalities to water and sanitation projects (BILL-7).

A municipality (an account of class ``local_authority``) contributes to a
project of the water or sanitation service under an agreement
(*convention de participation*) approved by its council:

* :func:`agreement_create` writes the agreement (numbered CONV-year-n, total
  excl. VAT, VAT rate chosen among 0 — outside the scope of VAT —, 5.5, 10 and
  20 %) and its schedule: equal instalments over N due dates (the last one
  takes the rounding cents) or explicit amounts; the instalments add up to
  the total, otherwise the schedule is refused and the field named;
* :func:`agreement_sign` records the signature date, the council's
  deliberation (and optionally the signed copy): only a signed agreement is
  invoiced;
* :func:`agreement_invoice_due` bills each instalment due up to a date in its
  own ``contribution`` invoice (FAC series, immutable, open item — BILL-6),
  through :func:`robinet.billing.fees.invoice_issue_lines`; a second call
  never bills an instalment twice;
* :func:`followup_for` gives, per agreement, what is invoiced, still to
  invoice, paid (invoiced minus the open amount of the open items) and due;
* :func:`agreement_close` closes (*solde*) an agreement once every instalment
  is invoiced; payment follow-up goes on through the open items;
* :func:`agreement_pdf` renders the agreement document (the parties, the
  project, the amounts, the schedule and where its payment stands).

Permissions: reading needs ``billing.view``, writing ``billing.works`` on the
municipality's centre (the contributions finance works).
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from robinet.billing.choices import (
    CONTRIBUTION_VAT_RATES,
    AgreementStatus,
    ContributionService,
    InvoiceKind,
    LineBeneficiary,
    Series,
)
from robinet.billing.fees import Line, _require, _user, invoice_issue_lines
from robinet.billing.models import ContributionAgreement, ContributionInstalment, Invoice
from robinet.core import audit, clock
from robinet.core.exceptions import ApplicationError, InvalidTransition, NotFound, ValidationFailed
from robinet.core.money import round_money
from robinet.core.numbering import format_number, next_number
from robinet.customers.choices import CustomerClass
from robinet.ledger.models import OpenItem
from robinet.organisation.access import require, scope_for
from robinet.organisation.roles import Perm

AGREEMENT_NUMBER_WIDTH = 5
MAX_INSTALMENTS = 120
MAX_TOTAL = Decimal("9999999999.99")
SIGNED_EXTENSIONS = {".pdf", ".png", ".jpg", ".jpeg"}
SIGNED_MAX_BYTES = 10 * 1024 * 1024
MANAGE = Perm.WORKS_MANAGE


@dataclass(frozen=True)
class Followup:
    """What an agreement has produced, in euros incl. VAT (what the municipality pays)."""

    total_incl_vat: Decimal
    invoiced: Decimal
    to_invoice: Decimal
    paid: Decimal
    outstanding: Decimal
    instalments: int
    invoiced_instalments: int

    @property
    def fully_invoiced(self) -> bool:
        return self.instalments > 0 and self.invoiced_instalments == self.instalments


# --- pure helpers ----------------------------------------------------------------------------


def vat_of(amount_excl_vat: Decimal, rate: Decimal) -> Decimal:
    return round_money(amount_excl_vat * rate / 100)


def incl_vat(amount_excl_vat: Decimal, rate: Decimal) -> Decimal:
    """What an instalment's invoice totals: VAT rounded once on its single line (BILL-3)."""
    return amount_excl_vat + vat_of(amount_excl_vat, rate)


def equal_amounts(total: Decimal, count: int) -> list[Decimal]:
    """``count`` equal amounts to the cent adding up to ``total``; the last takes the rest."""
    share = (total / count).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    return [share] * (count - 1) + [total - share * (count - 1)]


def _decimal(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed({field: [_("Montant invalide.")]}) from None
    if not amount.is_finite():
        raise ValidationFailed({field: [_("Montant invalide.")]})
    return amount


# --- selectors -------------------------------------------------------------------------------


def agreement_list(*, user, perm: str = Perm.BILLING_VIEW) -> QuerySet[ContributionAgreement]:
    """Agreements of the municipalities in the user's centres."""
    agreements = ContributionAgreement.objects.select_related("account__party")
    if user is None:
        return agreements
    require(user, perm)
    scope = scope_for(user)
    if scope.is_superuser:
        return agreements
    return agreements.filter(account__centre_id__in=scope.centre_ids(perm))


def agreement_search(
    *, user, status: str = "", account: str = ""
) -> QuerySet[ContributionAgreement]:
    agreements = agreement_list(user=user)
    if status:
        agreements = agreements.filter(status=status)
    if account:
        agreements = agreements.filter(account__number=account.strip())
    return agreements.order_by("-year", "-sequence")


def agreement_get_for_user(
    *, user, number: str, perm: str = Perm.BILLING_VIEW
) -> ContributionAgreement:
    agreement = (
        agreement_list(user=user, perm=perm)
        .select_related("account__centre")
        .filter(number=number)
        .first()
    )
    if agreement is None:
        raise NotFound(_("Convention introuvable."))
    return agreement


def schedule_of(agreement: ContributionAgreement) -> list[ContributionInstalment]:
    """The instalments with their invoice and its open item (three queries at most)."""
    return list(agreement.instalments.select_related("invoice__open_item").order_by("position"))


def followup_for(agreements: Iterable[ContributionAgreement]) -> dict[int, Followup]:
    """Follow-up figures of each agreement, in two queries whatever the number of agreements."""
    agreements = list(agreements)
    rates = {a.pk: a.vat_rate for a in agreements}
    rows = ContributionInstalment.objects.filter(agreement_id__in=rates).values_list(
        "agreement_id", "amount_excl_vat", "invoice_id", "invoice__total_incl_vat"
    )
    figures = {pk: [Decimal(0), Decimal(0), Decimal(0), 0, 0, []] for pk in rates}
    for agreement_id, amount, invoice_id, invoiced in rows:
        f = figures[agreement_id]
        expected = incl_vat(amount, rates[agreement_id])
        f[0] += expected
        f[3] += 1
        if invoice_id is None:
            f[2] += expected
        else:
            f[1] += invoiced
            f[4] += 1
            f[5].append(invoice_id)
    invoice_ids = [i for f in figures.values() for i in f[5]]
    open_amounts = dict(
        OpenItem.objects.filter(invoice_id__in=invoice_ids).values_list("invoice_id", "open_amount")
    )
    result = {}
    for pk, (total, invoiced, to_invoice, count, invoiced_count, ids) in figures.items():
        outstanding = sum((open_amounts.get(i, Decimal(0)) for i in ids), Decimal(0))
        result[pk] = Followup(
            total_incl_vat=total,
            invoiced=invoiced,
            to_invoice=to_invoice,
            paid=invoiced - outstanding,
            outstanding=outstanding,
            instalments=count,
            invoiced_instalments=invoiced_count,
        )
    return result


def followup_of(agreement: ContributionAgreement) -> Followup:
    return followup_for([agreement])[agreement.pk]


# --- writes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstalmentRequest:
    due_date: dt.date
    amount_excl_vat: Decimal


def _locked(agreement: ContributionAgreement) -> ContributionAgreement:
    return (
        ContributionAgreement.objects.select_for_update(of=("self",))
        .select_related("account__centre")
        .get(pk=agreement.pk)
    )


def _check_vat_rate(value, errors: dict) -> Decimal | None:
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, ValueError):
        rate = None
    if rate is None or rate not in {Decimal(r) for r in CONTRIBUTION_VAT_RATES}:
        errors["vat_rate"] = [
            _("Taux de TVA possibles : %(r)s %%.") % {"r": ", ".join(CONTRIBUTION_VAT_RATES)}
        ]
        return None
    return rate


def build_schedule(
    *,
    total: Decimal,
    due_dates: Sequence[dt.date] = (),
    amounts: Sequence[object] | None = None,
    instalments: Sequence[InstalmentRequest | tuple[dt.date, object]] = (),
) -> list[InstalmentRequest]:
    """The schedule: explicit ``instalments`` (date, amount), or equal shares over ``due_dates``.

    Refused (``ValidationFailed`` naming ``instalments``) when the amounts do
    not add up to the total, an amount is not positive, or dates repeat.
    """
    if instalments:
        requests = [
            r
            if isinstance(r, InstalmentRequest)
            else InstalmentRequest(r[0], _decimal(r[1], "instalments"))
            for r in instalments
        ]
    elif due_dates:
        if amounts:
            if len(amounts) != len(due_dates):
                raise ValidationFailed(
                    {"instalments": [_("Autant de montants que de dates d'échéance.")]}
                )
            values = [_decimal(a, "instalments") for a in amounts]
        else:
            values = equal_amounts(total, len(due_dates))
        requests = [InstalmentRequest(d, v) for d, v in zip(due_dates, values, strict=True)]
    else:
        raise ValidationFailed({"instalments": [_("Indiquez au moins une échéance.")]})
    errors = []
    if len(requests) > MAX_INSTALMENTS:
        errors.append(_("Au plus %(n)s échéances.") % {"n": MAX_INSTALMENTS})
    if any(r.amount_excl_vat <= 0 for r in requests):
        errors.append(_("Chaque échéance a un montant positif."))
    if any(r.amount_excl_vat != round_money(r.amount_excl_vat) for r in requests):
        errors.append(_("Les montants s'expriment au centime."))
    if len({r.due_date for r in requests}) != len(requests):
        errors.append(_("Deux échéances ne peuvent tomber le même jour."))
    scheduled = sum((r.amount_excl_vat for r in requests), Decimal(0))
    if scheduled != total:
        errors.append(
            _("L'échéancier totalise %(s)s € HT au lieu de %(t)s € HT (montant de la convention).")
            % {"s": scheduled, "t": total}
        )
    if errors:
        raise ValidationFailed({"instalments": errors})
    return sorted(requests, key=lambda r: r.due_date)


@transaction.atomic
def agreement_create(
    *,
    actor,
    account,
    project: str,
    service: str,
    total_excl_vat,
    vat_rate=Decimal(0),
    due_dates: Sequence[dt.date] = (),
    amounts: Sequence[object] | None = None,
    instalments: Sequence[InstalmentRequest | tuple[dt.date, object]] = (),
    created_on: dt.date | None = None,
) -> ContributionAgreement:
    """A draft agreement with its schedule (equal shares over ``due_dates``, or explicit)."""
    _require(actor, MANAGE, account.centre)
    errors: dict[str, list[str]] = {}
    if account.customer_class != CustomerClass.LOCAL_AUTHORITY:
        errors["account"] = [
            _("Une convention de participation se passe avec une collectivité (commune).")
        ]
    if not project.strip():
        errors["project"] = [_("Indiquez le projet financé.")]
    if service not in ContributionService.values:
        errors["service"] = [_("Service : eau potable ou assainissement.")]
    total = _decimal(total_excl_vat, "total_excl_vat")
    if total <= 0 or total > MAX_TOTAL or total != round_money(total):
        errors["total_excl_vat"] = [_("Le montant HT est positif, au centime.")]
    rate = _check_vat_rate(vat_rate, errors)
    if errors:
        raise ValidationFailed(errors)
    schedule = build_schedule(
        total=total, due_dates=due_dates, amounts=amounts, instalments=instalments
    )
    created_on = created_on or clock.today()
    year = created_on.year
    sequence = next_number(Series.AGREEMENT, year)
    agreement = ContributionAgreement.objects.create(
        number=format_number(Series.AGREEMENT, year, sequence, width=AGREEMENT_NUMBER_WIDTH),
        year=year,
        sequence=sequence,
        account=account,
        project=project.strip()[:160],
        service=service,
        total_excl_vat=total,
        vat_rate=rate,
        created_at=clock.now(),
        created_by=_user(actor),
    )
    ContributionInstalment.objects.bulk_create(
        ContributionInstalment(
            agreement=agreement,
            position=position,
            due_date=r.due_date,
            amount_excl_vat=r.amount_excl_vat,
        )
        for position, r in enumerate(schedule, start=1)
    )
    audit.record(
        actor=actor,
        verb="contribution_agreement_created",
        target=agreement,
        subject=account,
        data={
            "number": agreement.number,
            "total_excl_vat": str(total),
            "vat_rate": str(rate),
            "instalments": len(schedule),
        },
    )
    return agreement


def _check_signed(document) -> None:
    if document is None:
        return
    extension = os.path.splitext(document.name or "")[1].lower()
    if extension not in SIGNED_EXTENSIONS or document.size > SIGNED_MAX_BYTES:
        raise ValidationFailed(
            {"signed_document": [_("La convention signée : PDF ou image, 10 Mo au plus.")]}
        )


@transaction.atomic
def agreement_sign(
    *,
    actor,
    agreement: ContributionAgreement,
    signed_on: dt.date | None = None,
    deliberation: str = "",
    signed_document=None,
) -> ContributionAgreement:
    """Draft → signed, with the date and the council's deliberation (required)."""
    agreement = _locked(agreement)
    _require(actor, MANAGE, agreement.account.centre)
    if agreement.status != AgreementStatus.DRAFT:
        raise InvalidTransition(_("Seule une convention en projet se signe."))
    signed_on = signed_on or clock.today()
    errors = {}
    if not deliberation.strip():
        errors["deliberation"] = [
            _("Indiquez la délibération du conseil municipal qui approuve la convention.")
        ]
    if signed_on > clock.today():
        errors["signed_on"] = [_("La date de signature ne peut être future.")]
    if errors:
        raise ValidationFailed(errors)
    _check_signed(signed_document)
    agreement.status = AgreementStatus.SIGNED
    agreement.signed_on = signed_on
    agreement.deliberation = deliberation.strip()[:120]
    fields = ["status", "signed_on", "deliberation"]
    if signed_document is not None:
        agreement.signed_document.save(signed_document.name, signed_document, save=False)
        fields.append("signed_document")
    agreement.save(update_fields=fields)
    audit.record(
        actor=actor,
        verb="contribution_agreement_signed",
        target=agreement,
        subject=agreement.account,
        data={"signed_on": signed_on.isoformat(), "deliberation": agreement.deliberation},
    )
    return agreement


def _line(agreement: ContributionAgreement, instalment: ContributionInstalment, count: int):
    label = _("Participation %(project)s — échéance %(n)s/%(c)s du %(d)s (convention %(a)s)") % {
        "project": agreement.project,
        "n": instalment.position,
        "c": count,
        "d": instalment.due_date.strftime("%d/%m/%Y"),
        "a": agreement.number,
    }
    return Line(
        code=f"PARTICIPATION-{agreement.service.upper()}",
        label=label[:160],
        service=agreement.service,
        beneficiary=LineBeneficiary.OPERATOR,
        quantity=Decimal(1),
        unit="unit",
        unit_price=instalment.amount_excl_vat,
        amount_excl_vat=instalment.amount_excl_vat,
        vat_rate=agreement.vat_rate,
        kind="contribution",
    )


@transaction.atomic
def agreement_invoice_due(
    *,
    actor,
    agreement: ContributionAgreement,
    up_to: dt.date | None = None,
    issue_date: dt.date | None = None,
) -> list[Invoice]:
    """One ``contribution`` invoice per instalment due on or before ``up_to`` not yet billed.

    Idempotent: an invoiced instalment keeps its invoice; nothing due gives an
    empty list. Only a signed agreement is invoiced.
    """
    agreement = _locked(agreement)
    _require(actor, MANAGE, agreement.account.centre)
    if agreement.status != AgreementStatus.SIGNED:
        raise InvalidTransition(_("Seule une convention signée (et non soldée) se facture."))
    today = clock.today()
    up_to = up_to or today
    issue_date = issue_date or today
    if issue_date > today:
        raise ValidationFailed({"issue_date": [_("La date de facture ne peut être future.")]})
    instalments = list(agreement.instalments.select_for_update().order_by("position"))
    count = len(instalments)
    account = agreement.account
    invoices = []
    for instalment in instalments:
        if instalment.invoice_id is not None or instalment.due_date > up_to:
            continue
        invoice = invoice_issue_lines(
            actor=actor,
            kind=InvoiceKind.CONTRIBUTION,
            account=account,
            lines=[_line(agreement, instalment, count)],
            issue_date=issue_date,
            reason=_("Convention %(a)s — échéance %(n)s/%(c)s")
            % {"a": agreement.number, "n": instalment.position, "c": count},
        )
        instalment.invoice = invoice
        instalment.save(update_fields=["invoice"])
        invoices.append(invoice)
    if invoices:
        audit.record(
            actor=actor,
            verb="contribution_instalments_invoiced",
            target=agreement,
            subject=account,
            data={
                "up_to": up_to.isoformat(),
                "invoices": [i.number for i in invoices],
                "total": str(sum((i.total_incl_vat for i in invoices), Decimal(0))),
            },
        )
    return invoices


@transaction.atomic
def agreement_close(
    *, actor, agreement: ContributionAgreement, closed_on: dt.date | None = None
) -> ContributionAgreement:
    """Signed → closed (*soldée*), once every instalment is invoiced."""
    agreement = _locked(agreement)
    _require(actor, MANAGE, agreement.account.centre)
    if agreement.status != AgreementStatus.SIGNED:
        raise InvalidTransition(_("Seule une convention signée se solde."))
    if agreement.instalments.filter(invoice__isnull=True).exists():
        raise ApplicationError(
            _("Des échéances restent à facturer : la convention ne peut être soldée."),
            code="instalments_to_invoice",
            http_status=409,
        )
    agreement.status = AgreementStatus.CLOSED
    agreement.closed_on = closed_on or clock.today()
    agreement.save(update_fields=["status", "closed_on"])
    audit.record(
        actor=actor,
        verb="contribution_agreement_closed",
        target=agreement,
        subject=agreement.account,
        data={"closed_on": agreement.closed_on.isoformat()},
    )
    return agreement


# --- the agreement document ------------------------------------------------------------------


def agreement_pdf(agreement: ContributionAgreement) -> tuple[bytes, str]:
    """The agreement in French (A4): the parties, the project, the amounts, the schedule with
    each instalment's invoice and what is paid; ``(content, filename)``."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit

    from robinet.billing.documents.pdf import a4_document, fonts, fr_date, fr_money, fr_rate
    from robinet.billing.selectors import buyer, seller

    regular, bold = fonts(embed=True)
    s, b = seller(), buyer(agreement.account)
    rate = agreement.vat_rate
    total_vat = sum((vat_of(i.amount_excl_vat, rate) for i in schedule_of(agreement)), Decimal(0))
    followup = followup_of(agreement)
    out = io.BytesIO()
    c, text = a4_document(
        out, title=f"Convention de participation {agreement.number}", author=s.name, regular=regular
    )
    width, height = A4
    left, right = 18 * mm, width - 18 * mm
    bottom = 25 * mm

    def paragraph(y: float, value: str, size=9, font=regular) -> float:
        """``value`` wrapped to the page width; returns the y below it."""
        for line in simpleSplit(value, font, size, right - left):
            text(left, y, line, size, font)
            y -= 4.5 * mm
        return y

    def room(y: float, needed: float = 0) -> float:
        if y - needed < bottom:
            c.showPage()
            return height - 20 * mm
        return y

    y = height - 18 * mm
    text(left, y, s.name, 13, bold)
    for line in (s.legal_form, *s.address_lines, f"{s.postcode} {s.city}",
                 f"SIRET {s.siret} — TVA {s.vat_number}", f"Tél. {s.phone} — {s.email}"):  # fmt: skip
        y -= 4.2 * mm
        text(left, y, line, 8)
    y = height - 72 * mm
    text(left, y, "CONVENTION DE PARTICIPATION FINANCIÈRE", 14, bold)
    y -= 6 * mm
    text(left, y, f"n° {agreement.number} — {agreement.get_service_display()}", 11, bold)
    y -= 10 * mm
    text(left, y, "Entre les soussignés :", 9, bold)
    y -= 5.5 * mm
    y = paragraph(
        y,
        f"{s.name}, {s.legal_form}, {', '.join(s.address_lines)}, {s.postcode} {s.city}, "
        f"SIRET {s.siret}, ci-après « le service », d'une part,",
    )
    y -= 1 * mm
    y = paragraph(
        y,
        f"et {b.name}, {', '.join(b.address_lines)}, {b.postcode} {b.city} (compte client "
        f"n° {b.account_number}), ci-après « la commune », d'autre part,",
    )
    y -= 3.5 * mm
    text(left, y, "Objet", 10, bold)
    y -= 5 * mm
    y = paragraph(
        y,
        f"La commune participe au financement du projet « {agreement.project} » du service "
        f"({agreement.get_service_display().lower()}), selon les montants et l'échéancier "
        "ci-dessous.",
    )
    y -= 3.5 * mm
    text(left, y, "Montant de la participation", 10, bold)
    y -= 5 * mm
    vat_label = fr_rate(rate) if rate else "hors champ de TVA"
    for label, value in (
        ("Montant HT", fr_money(agreement.total_excl_vat)),
        (f"TVA ({vat_label})", fr_money(total_vat)),
        ("Montant TTC", fr_money(agreement.total_excl_vat + total_vat)),
    ):
        text(left + 4 * mm, y, label, 9)
        text(left + 90 * mm, y, value, 9, bold, "right")
        y -= 4.5 * mm
    y -= 3.5 * mm
    text(left, y, "Échéancier", 10, bold)
    y -= 6 * mm
    columns = (
        (left, "N°", "left"),
        (left + 12 * mm, "Échéance", "left"),
        (left + 70 * mm, "Montant HT", "right"),
        (left + 100 * mm, "TVA", "right"),
        (left + 132 * mm, "Montant TTC", "right"),
        (right, "Facture", "right"),
    )
    for x, label, align in columns:
        text(x, y, label, 8.5, bold, align)
    c.line(left, y - 1.8 * mm, right, y - 1.8 * mm)
    y -= 6 * mm
    for instalment in schedule_of(agreement):
        y = room(y, 5 * mm)
        vat = vat_of(instalment.amount_excl_vat, rate)
        text(left, y, str(instalment.position), 8.5)
        text(left + 12 * mm, y, fr_date(instalment.due_date), 8.5)
        text(left + 70 * mm, y, fr_money(instalment.amount_excl_vat), 8.5, align="right")
        text(left + 100 * mm, y, fr_money(vat), 8.5, align="right")
        text(left + 132 * mm, y, fr_money(instalment.amount_excl_vat + vat), 8.5, align="right")
        invoice = instalment.invoice.number if instalment.invoice_id else "à facturer"
        text(right, y, invoice, 8.5, align="right")
        y -= 4.8 * mm
    c.line(left, y + 2.2 * mm, right, y + 2.2 * mm)
    y -= 1.5 * mm
    text(left + 12 * mm, y, "Total", 8.5, bold)
    text(left + 70 * mm, y, fr_money(agreement.total_excl_vat), 8.5, bold, "right")
    text(left + 100 * mm, y, fr_money(total_vat), 8.5, bold, "right")
    text(left + 132 * mm, y, fr_money(agreement.total_excl_vat + total_vat), 8.5, bold, "right")
    y = room(y - 10 * mm, 40 * mm)
    text(left, y, "Suivi des paiements", 10, bold)
    y -= 5 * mm
    for label, value in (
        ("Facturé", fr_money(followup.invoiced)),
        ("Payé", fr_money(followup.paid)),
        ("Restant dû sur les factures émises", fr_money(followup.outstanding)),
        ("Reste à facturer", fr_money(followup.to_invoice)),
    ):
        text(left + 4 * mm, y, label, 9)
        text(left + 90 * mm, y, value, 9, align="right")
        y -= 4.5 * mm
    y = room(y - 6 * mm, 35 * mm)
    y = paragraph(
        y,
        "Chaque échéance fait l'objet d'une facture du service à son échéance, payable à "
        "réception par mandat administratif (virement au compte du service indiqué sur la "
        "facture).",
        8,
    )
    y -= 4 * mm
    if agreement.signed_on:
        signature = f"Signée le {fr_date(agreement.signed_on)}"
        if agreement.deliberation:
            signature += f", vu la délibération du conseil municipal {agreement.deliberation}"
        y = paragraph(y, signature) + 4.5 * mm
    else:
        text(left, y, "Projet de convention, à signer après délibération du conseil municipal.", 9)
    y -= 12 * mm
    text(left, y, "Pour le service", 9, bold)
    text(left + 95 * mm, y, "Pour la commune", 9, bold)
    c.showPage()
    c.save()
    return out.getvalue(), f"convention-{agreement.number}.pdf"
