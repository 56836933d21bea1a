"""The payment plan agreement (*accord d'échéancier*) as a PDF, in French (COLL-5).

:func:`agreement_data` gathers what the document says (creditor, debtor,
account, the items covered, total, down payment, schedule, grace period, the
breaking clause, the direct-debit mention); :func:`render_pdf` draws it with
ReportLab's canvas in the style of the bill (:mod:`robinet.billing.documents.pdf`),
with two signature blocks. :func:`agreement_pdf` returns ``(bytes, filename)``.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from robinet.billing.documents.pdf import ACCENT, INK, MUTED, RULE, fonts, fr_date, fr_money
from robinet.collections import plan_selectors as selectors


@dataclass(frozen=True)
class CoveredItem:
    document: str
    label: str
    due_date: dt.date
    remaining: Decimal


@dataclass(frozen=True)
class ScheduleRow:
    sequence: int
    due_on: dt.date
    amount: Decimal
    is_down_payment: bool


@dataclass(frozen=True)
class AgreementData:
    number: str
    creditor_name: str
    creditor_lines: tuple[str, ...]
    creditor_id: str
    debtor_name: str
    debtor_lines: tuple[str, ...]
    account_number: str
    agreed_on: dt.date
    signed_on: dt.date | None
    items: tuple[CoveredItem, ...]
    total: Decimal
    down_payment: Decimal
    schedule: tuple[ScheduleRow, ...]
    grace_days: int
    direct_debit: bool
    mandate_reference: str

    @property
    def clauses(self) -> tuple[str, ...]:
        """The terms, in the order the document prints them."""
        rows = [
            f"Le débiteur s'engage à régler la somme de {fr_money(self.total)} selon "
            "l'échéancier ci-dessus"
            + (
                f", dont un acompte de {fr_money(self.down_payment)}." if self.down_payment else "."
            ),
            f"Un délai de grâce de {self.grace_days} jours est accordé après chaque échéance.",
            "Une échéance restée impayée à l'issue du délai de grâce rompt l'échéancier : "
            "les sommes restant dues redeviennent exigibles et les relances reprennent.",
            "Tant que l'échéancier est respecté, aucune relance n'est adressée pour les "
            "sommes qu'il couvre. Les factures à venir restent dues à leur échéance.",
            "Le paiement de la dernière échéance solde les sommes couvertes par l'accord.",
        ]
        if self.direct_debit:
            rows.append(
                "Les échéances sont prélevées sur le compte bancaire du débiteur au titre du "
                f"mandat SEPA {self.mandate_reference or 'en vigueur'}"
                + (f" (créancier {self.creditor_id})" if self.creditor_id else "")
                + ", à chaque date ci-dessus."
            )
        else:
            rows.append(
                "Les échéances sont réglées par le débiteur, par tout moyen de paiement "
                "accepté, à chaque date ci-dessus."
            )
        rows.append(
            "En cas de difficulté, le débiteur peut solliciter le Fonds de solidarité pour "
            "le logement (FSL) ou les services sociaux de sa commune (CCAS)."
        )
        return tuple(rows)


def agreement_data(plan) -> AgreementData:
    from django.conf import settings

    from robinet.billing.selectors import buyer, seller

    s, b = seller(), buyer(plan.account)
    mandate_reference = ""
    if plan.direct_debit:
        from robinet.payments.models import Mandate, MandateStatus

        mandate = Mandate.objects.filter(
            account_id=plan.account_id, status=MandateStatus.ACTIVE
        ).first()
        mandate_reference = mandate.umr if mandate else ""
    items = tuple(
        CoveredItem(
            document=i.open_item.document_number,
            label=i.open_item.label or i.open_item.get_kind_display(),
            due_date=i.open_item.due_date,
            remaining=i.amount_at_start,
        )
        for i in selectors.plan_items(plan)
    )
    schedule = tuple(
        ScheduleRow(
            sequence=i.sequence,
            due_on=i.due_on,
            amount=i.amount,
            is_down_payment=bool(plan.down_payment) and i.sequence == 1,
        )
        for i in selectors.plan_instalments(plan)
    )
    return AgreementData(
        number=plan.number,
        creditor_name=s.name,
        creditor_lines=(*s.address_lines, f"{s.postcode} {s.city}", f"Tél. {s.phone} — {s.email}"),
        creditor_id=settings.ROBINET_UTILITY.get("sepa_creditor_id", ""),
        debtor_name=b.name,
        debtor_lines=(*b.address_lines, f"{b.postcode} {b.city}".strip()),
        account_number=plan.account.number,
        agreed_on=plan.agreed_on,
        signed_on=plan.signed_on,
        items=items,
        total=plan.total,
        down_payment=plan.down_payment,
        schedule=schedule,
        grace_days=plan.grace_days,
        direct_debit=plan.direct_debit,
        mandate_reference=mandate_reference,
    )


def render_pdf(data: AgreementData) -> bytes:
    regular, bold = fonts(embed=True)
    out = io.BytesIO()
    c = Canvas(out, pagesize=A4, pageCompression=1, invariant=1)
    c.setTitle(f"Accord d'échéancier {data.number} — compte {data.account_number}")
    c.setAuthor(data.creditor_name)
    width, height = A4
    left, right = 18 * mm, width - 18 * mm
    bottom = 20 * mm

    def text(x, y, value, size=9, font=regular, align="left", color=INK):
        c.setFillColor(color)
        c.setFont(font, size)
        if align == "right":
            c.drawRightString(x, y, value)
        else:
            c.drawString(x, y, value)

    def new_page_if(y, needed):
        if y - needed < bottom:
            c.showPage()
            return height - 20 * mm
        return y

    y = height - 18 * mm
    text(left, y, data.creditor_name, 13, bold, color=ACCENT)
    for line in data.creditor_lines:
        y -= 4.2 * mm
        text(left, y, line, 8, color=MUTED)
    by = height - 40 * mm
    for i, line in enumerate(
        (data.debtor_name, *data.debtor_lines, f"Client n° {data.account_number}")
    ):
        text(110 * mm, by - i * 4.6 * mm, line, 10, bold if i == 0 else regular)

    y = height - 78 * mm
    text(left, y, "ACCORD D'ÉCHÉANCIER DE PAIEMENT", 14, bold, color=ACCENT)
    y -= 6 * mm
    text(left, y, f"N° {data.number} — accordé le {fr_date(data.agreed_on)}", 10, bold)
    y -= 6 * mm
    text(
        left,
        y,
        f"Entre {data.creditor_name}, créancier, et {data.debtor_name}, débiteur "
        f"(compte client n° {data.account_number}).",
        9,
    )

    # The items covered.
    y -= 9 * mm
    text(left, y, "Sommes couvertes par l'accord", 11, bold)
    y -= 6 * mm
    cols = (left, left + 35 * mm, left + 110 * mm, right)
    for x, head, align in (
        (cols[0], "Pièce", "left"),
        (cols[1], "Libellé", "left"),
        (cols[2], "Échéance", "left"),
        (cols[3], "Reste dû", "right"),
    ):
        text(x, y, head, 8, bold, align, MUTED)
    c.setStrokeColor(RULE)
    c.line(left, y - 1.5 * mm, right, y - 1.5 * mm)
    for item in data.items:
        y = new_page_if(y, 6 * mm)
        y -= 5 * mm
        text(cols[0], y, item.document, 9)
        text(cols[1], y, item.label[:45], 9)
        text(cols[2], y, fr_date(item.due_date), 9)
        text(cols[3], y, fr_money(item.remaining), 9, align="right")
    y -= 6 * mm
    text(cols[2], y, "Total", 9, bold)
    text(cols[3], y, fr_money(data.total), 9, bold, "right")
    if data.down_payment:
        y -= 5 * mm
        text(cols[2], y, "dont acompte", 9)
        text(cols[3], y, fr_money(data.down_payment), 9, align="right")

    # The schedule.
    y = new_page_if(y, 30 * mm)
    y -= 10 * mm
    text(left, y, "Échéancier", 11, bold)
    y -= 6 * mm
    scols = (left, left + 20 * mm, left + 60 * mm, right)
    for x, head, align in (
        (scols[0], "N°", "left"),
        (scols[1], "Date", "left"),
        (scols[2], "Nature", "left"),
        (scols[3], "Montant", "right"),
    ):
        text(x, y, head, 8, bold, align, MUTED)
    c.line(left, y - 1.5 * mm, right, y - 1.5 * mm)
    for row in data.schedule:
        y = new_page_if(y, 6 * mm)
        y -= 5 * mm
        text(scols[0], y, str(row.sequence), 9)
        text(scols[1], y, fr_date(row.due_on), 9)
        text(scols[2], y, "Acompte" if row.is_down_payment else "Échéance mensuelle", 9)
        text(scols[3], y, fr_money(row.amount), 9, align="right")

    # The terms.
    y = new_page_if(y, 40 * mm)
    y -= 10 * mm
    text(left, y, "Conditions", 11, bold)
    for clause in data.clauses:
        for line in simpleSplit("• " + clause, regular, 9, right - left):
            y = new_page_if(y, 5 * mm)
            y -= 4.6 * mm
            text(left, y, line, 9)

    # Signatures.
    y = new_page_if(y, 45 * mm)
    y -= 12 * mm
    signed = fr_date(data.signed_on) if data.signed_on else "…… / …… / …………"
    text(left, y, f"Fait à ……………………………, le {signed}, en deux exemplaires.", 9)
    y -= 8 * mm
    half = (right - left) / 2
    for x, who, name in (
        (left, "Pour le créancier", data.creditor_name),
        (left + half + 4 * mm, "Le débiteur", data.debtor_name),
    ):
        text(x, y, who, 9, bold)
        text(x, y - 4.6 * mm, name, 9)
        text(x, y - 9.2 * mm, "Signature précédée de « Lu et approuvé »", 7.5, color=MUTED)
        c.setStrokeColor(RULE)
        c.rect(x, y - 32 * mm, half - 6 * mm, 20 * mm, stroke=1, fill=0)
    c.showPage()
    c.save()
    return out.getvalue()


def agreement_pdf(plan) -> tuple[bytes, str]:
    """The agreement of ``plan`` and its file name."""
    return render_pdf(agreement_data(plan)), f"accord-echeancier-{plan.number}.pdf"
