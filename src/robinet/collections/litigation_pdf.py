"""The order-for-payment bundle (*dossier d'injonction de payer*, COLL-9) as one PDF.

The bundle is, in order: the request (*requête*: creditor, debtor identified
by birth date and place or SIRET, the claim split into principal and costs,
the grounds), the statement of account (items, due dates, amounts), the list
of the proofs of dunning (every notice with its number and date), then the
invoices themselves (each rendered by the billing renderer, the document the
customer received) and the formal notice letter (rendered by the notice
renderer). ReportLab draws the first pages, pypdf appends the others.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from robinet.billing.documents.pdf import ACCENT, INK, MUTED, RULE, fonts, fr_date, fr_money
from robinet.collections import litigation as lit


@dataclass(frozen=True)
class StatementRow:
    document: str
    label: str
    issued_on: dt.date
    due_date: dt.date
    amount: Decimal


@dataclass(frozen=True)
class ProofRow:
    number: str
    issued_on: dt.date
    kind: str
    total: Decimal


@dataclass(frozen=True)
class BundleData:
    number: str
    made_on: dt.date
    court: str
    creditor_name: str
    creditor_lines: tuple[str, ...]
    creditor_ids: str
    debtor_name: str
    debtor_lines: tuple[str, ...]
    debtor_identity: str
    account_number: str
    rows: tuple[StatementRow, ...]
    principal: Decimal
    costs: Decimal
    proofs: tuple[ProofRow, ...]
    formal_notice: str

    @property
    def total(self) -> Decimal:
        return self.principal + self.costs

    @property
    def grounds(self) -> tuple[str, ...]:
        return (
            f"Le débiteur est titulaire du compte client n° {self.account_number} au titre "
            "d'un contrat de fourniture d'eau (et, le cas échéant, d'assainissement) régi "
            "par le règlement du service.",
            f"Les factures détaillées au décompte, d'un montant total de "
            f"{fr_money(self.principal)}, sont échues et demeurent impayées.",
            f"Le débiteur a été relancé ({len(self.proofs)} avis) et mis en demeure de payer "
            f"par la lettre {self.formal_notice}, restée sans effet.",
            "La créance, contractuelle et d'un montant déterminé, n'est pas prescrite.",
            "Le créancier sollicite en conséquence, sur le fondement des articles 1405 et "
            "suivants du code de procédure civile, une ordonnance enjoignant au débiteur de "
            "payer les sommes ci-dessous.",
        )


def _identity(party) -> str:
    if party.kind == "person":
        born = fr_date(party.birth_date) if party.birth_date else "date inconnue"
        return f"né(e) le {born} à {party.birth_place or 'lieu inconnu'}"
    return f"SIRET {party.siret}" if party.siret else "SIRET inconnu"


def bundle_data(file) -> BundleData:
    from robinet.billing.selectors import buyer, seller

    account = file.account
    s, b = seller(), buyer(account)
    items = list(
        file.items.select_related("open_item", "open_item__invoice").order_by(
            "open_item__due_date", "open_item_id"
        )
    )
    rows = tuple(
        StatementRow(
            document=i.open_item.document_number,
            label=i.open_item.label or i.open_item.get_kind_display(),
            issued_on=i.open_item.posted_on,
            due_date=i.open_item.due_date,
            amount=i.amount,
        )
        for i in items
    )
    from robinet.collections.choices import Action
    from robinet.collections.models import DunningNotice

    notices = DunningNotice.objects.filter(account=account).order_by("issued_on", "id")
    proofs = tuple(
        ProofRow(
            number=n.number,
            issued_on=n.issued_on,
            kind="Mise en demeure" if Action.FORMAL_NOTICE in (n.actions or []) else "Relance",
            total=n.total_due,
        )
        for n in notices
    )
    formal = lit.formal_notice_of(account)
    return BundleData(
        number=file.number,
        made_on=file.filed_on or file.opened_on,
        court=file.court or "Tribunal judiciaire compétent",
        creditor_name=s.name,
        creditor_lines=(*s.address_lines, f"{s.postcode} {s.city}", s.legal_form),
        creditor_ids=f"SIRET {s.siret}" if s.siret else "",
        debtor_name=b.name,
        debtor_lines=(*b.address_lines, f"{b.postcode} {b.city}".strip()),
        debtor_identity=_identity(account.party),
        account_number=account.number,
        rows=rows,
        principal=file.principal,
        costs=lit.costs_total(file),
        proofs=proofs,
        formal_notice=(f"n° {formal.number} du {fr_date(formal.issued_on)}" if formal else "—"),
    )


def render_request(data: BundleData) -> bytes:
    """The request, the statement of account and the proofs of dunning."""
    regular, bold = fonts(embed=True)
    out = io.BytesIO()
    c = Canvas(out, pagesize=A4, pageCompression=1, invariant=1)
    c.setTitle(f"Requête en injonction de payer {data.number}")
    c.setAuthor(data.creditor_name)
    width, height = A4
    left, right, bottom = 18 * mm, width - 18 * mm, 20 * mm
    state = {"y": height - 18 * mm}

    def text(x, y, value, size=9, font=regular, align="left", color=INK):
        c.setFillColor(color)
        c.setFont(font, size)
        (c.drawRightString if align == "right" else c.drawString)(x, y, value)

    def down(step):
        if state["y"] - step < bottom:
            c.showPage()
            state["y"] = height - 20 * mm
        state["y"] -= step
        return state["y"]

    def para(value, size=9, font=regular):
        for line in simpleSplit(value, font, size, right - left):
            text(left, down(4.6 * mm), line, size, font)

    # --- the request
    text(left, state["y"], "REQUÊTE EN INJONCTION DE PAYER", 14, bold, color=ACCENT)
    text(right, state["y"], f"Dossier {data.number}", 9, bold, "right")
    down(6 * mm)
    text(left, state["y"], f"À Madame, Monsieur le juge — {data.court}", 10, bold)
    down(9 * mm)
    text(left, state["y"], "Créancier", 11, bold)
    for line in (data.creditor_name, *data.creditor_lines, data.creditor_ids):
        if line:
            text(left, down(4.6 * mm), line, 9)
    down(7 * mm)
    text(left, state["y"], "Débiteur", 11, bold)
    for line in (
        data.debtor_name,
        data.debtor_identity,
        *data.debtor_lines,
        f"Compte client n° {data.account_number}",
    ):
        if line:
            text(left, down(4.6 * mm), line, 9)
    down(7 * mm)
    text(left, state["y"], "Montant de la créance", 11, bold)
    for label, value in (
        ("Principal", data.principal),
        ("Frais de procédure", data.costs),
        ("Total réclamé", data.total),
    ):
        y = down(5 * mm)
        text(left, y, label, 9, bold if label.startswith("Total") else regular)
        text(
            left + 80 * mm,
            y,
            fr_money(value),
            9,
            bold if label.startswith("Total") else regular,
            "right",
        )
    down(7 * mm)
    text(left, state["y"], "Motifs", 11, bold)
    for ground in data.grounds:
        para("• " + ground)
    down(6 * mm)
    para(
        "Pièces jointes : décompte, factures impayées, justificatifs de relance, "
        "lettre de mise en demeure."
    )
    down(8 * mm)
    text(left, state["y"], f"Fait le {fr_date(data.made_on)}, pour {data.creditor_name}.", 9)

    # --- the statement of account
    c.showPage()
    state["y"] = height - 18 * mm
    text(left, state["y"], "DÉCOMPTE DE LA CRÉANCE", 14, bold, color=ACCENT)
    down(6 * mm)
    text(left, state["y"], f"{data.debtor_name} — compte client n° {data.account_number}", 9)
    cols = (left, left + 32 * mm, left + 95 * mm, left + 125 * mm, right)
    y = down(9 * mm)
    for x, head, align in (
        (cols[0], "Pièce", "left"),
        (cols[1], "Libellé", "left"),
        (cols[2], "Émise le", "left"),
        (cols[3], "Échéance", "left"),
        (cols[4], "Montant", "right"),
    ):
        text(x, y, head, 8, bold, align, MUTED)
    c.setStrokeColor(RULE)
    c.line(left, y - 1.5 * mm, right, y - 1.5 * mm)
    for row in data.rows:
        y = down(5 * mm)
        text(cols[0], y, row.document, 9)
        text(cols[1], y, row.label[:40], 9)
        text(cols[2], y, fr_date(row.issued_on), 9)
        text(cols[3], y, fr_date(row.due_date), 9)
        text(cols[4], y, fr_money(row.amount), 9, align="right")
    y = down(7 * mm)
    text(cols[3], y, "Principal", 9, bold)
    text(cols[4], y, fr_money(data.principal), 9, bold, "right")

    # --- the proofs of dunning
    down(14 * mm)
    text(left, state["y"], "JUSTIFICATIFS DE RELANCE", 14, bold, color=ACCENT)
    y = down(8 * mm)
    pcols = (left, left + 45 * mm, left + 80 * mm, right)
    for x, head, align in (
        (pcols[0], "Avis n°", "left"),
        (pcols[1], "Date", "left"),
        (pcols[2], "Nature", "left"),
        (pcols[3], "Montant relancé", "right"),
    ):
        text(x, y, head, 8, bold, align, MUTED)
    c.line(left, y - 1.5 * mm, right, y - 1.5 * mm)
    for proof in data.proofs:
        y = down(5 * mm)
        text(pcols[0], y, proof.number, 9)
        text(pcols[1], y, fr_date(proof.issued_on), 9)
        text(pcols[2], y, proof.kind, 9)
        text(pcols[3], y, fr_money(proof.total), 9, align="right")
    if not data.proofs:
        text(left, down(5 * mm), "Aucun avis de relance.", 9)
    c.showPage()
    c.save()
    return out.getvalue()


def _invoice_pdfs(file) -> list[bytes]:
    from robinet.billing.selectors import invoice_pdf

    result = []
    for item in file.items.select_related("open_item__invoice").order_by(
        "open_item__due_date", "open_item_id"
    ):
        if item.open_item.invoice_id:
            result.append(invoice_pdf(item.open_item.invoice)[0])
    return result


def _formal_notice_pdf(file) -> bytes | None:
    from robinet.collections.notices.document import notice_document
    from robinet.collections.notices.pdf import render_notice_pdf

    notice = lit.formal_notice_of(file.account)
    return render_notice_pdf(notice_document(notice)) if notice else None


def bundle_pdf(file) -> tuple[bytes, str]:
    """The whole bundle of ``file`` and its file name."""
    parts = [render_request(bundle_data(file)), *_invoice_pdfs(file)]
    letter = _formal_notice_pdf(file)
    if letter:
        parts.append(letter)
    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    writer.add_metadata({"/Title": f"Injonction de payer {file.number}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), f"injonction-de-payer-{file.number}.pdf"
