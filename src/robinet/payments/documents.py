"""PDFs of the counter cash desk (PAY-2), drawn with ReportLab.

* :func:`receipt_pdf` — the receipt (*reçu / quittance*) handed to the payer;
* :func:`closing_report_pdf` — the day's closing report (*arrêté de caisse*);
* :func:`slip_pdf` — the printable deposit slip (*bordereau de remise de chèques*).

Each returns ``(content, filename)``. Reads only: the figures come from
:mod:`robinet.payments.cash_selectors`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from django.conf import settings
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from robinet.billing.documents.pdf import fonts, fr_date, fr_money
from robinet.payments import cash_selectors as selectors
from robinet.payments.models import CashDay, ChequeDepositSlip, Payment


def _who(user) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


class _Page:
    """A4 page writer: the utility's header, titled blocks, label/value rows, tables."""

    def __init__(self, title: str) -> None:
        self.out = io.BytesIO()
        self.canvas = Canvas(self.out, pagesize=A4, pageCompression=1)
        self.regular, self.bold = fonts(embed=True)
        self.width, self.height = A4
        self.left, self.right = 18 * mm, self.width - 18 * mm
        utility = settings.ROBINET_UTILITY
        self.canvas.setTitle(title)
        self.canvas.setAuthor(utility["name"])
        self.y = self.height - 18 * mm
        self.text(self.left, self.y, utility["name"], 13, self.bold)
        for line in (
            utility["legal_form"],
            *[part for part in utility["address"].split("\n") if part],
            f"{utility['postcode']} {utility['city']}",
            f"SIRET {utility['siret']} — Tél. {utility['phone']} — {utility['email']}",
        ):
            self.y -= 4.2 * mm
            self.text(self.left, self.y, line, 8)
        self.y -= 12 * mm
        self.text(self.left, self.y, title, 14, self.bold)
        self.y -= 8 * mm

    def text(self, x, y, value, size=9, font=None, align="left") -> None:
        self.canvas.setFont(font or self.regular, size)
        if align == "right":
            self.canvas.drawRightString(x, y, str(value))
        else:
            self.canvas.drawString(x, y, str(value))

    def ensure(self, room: float) -> None:
        if self.y < room:
            self.canvas.showPage()
            self.y = self.height - 20 * mm

    def rows(self, pairs: Sequence[tuple[str, str]], size: int = 10) -> None:
        for label, value in pairs:
            self.ensure(30 * mm)
            self.text(self.left, self.y, label, size)
            self.text(self.left + 55 * mm, self.y, value, size, self.bold)
            self.y -= 6 * mm

    def heading(self, value: str) -> None:
        self.y -= 3 * mm
        self.ensure(40 * mm)
        self.text(self.left, self.y, value, 11, self.bold)
        self.y -= 6 * mm

    def table(self, columns: Sequence[tuple[str, float, str]], lines: Sequence[Sequence[str]]):
        """``columns``: (title, x offset in mm from the left, "left"|"right")."""

        def head():
            for title, x, align in columns:
                self.text(self.left + x * mm, self.y, title, 8, self.bold, align)
            self.canvas.line(self.left, self.y - 2 * mm, self.right, self.y - 2 * mm)
            self.y -= 6 * mm

        head()
        for line in lines:
            if self.y < 25 * mm:
                self.canvas.showPage()
                self.y = self.height - 20 * mm
                head()
            for (_title, x, align), value in zip(columns, line, strict=True):
                self.text(self.left + x * mm, self.y, value, 8, None, align)
            self.y -= 5 * mm
        self.canvas.line(self.left, self.y + 2.5 * mm, self.right, self.y + 2.5 * mm)
        self.y -= 3 * mm

    def note(self, value: str) -> None:
        self.ensure(25 * mm)
        self.text(self.left, self.y, value, 8)
        self.y -= 5 * mm

    def done(self) -> bytes:
        self.canvas.showPage()
        self.canvas.save()
        return self.out.getvalue()


def receipt_pdf(payment: Payment) -> tuple[bytes, str]:
    """The receipt: utility mentions, payment number, account, amount, means, what it settled."""
    page = _Page(f"REÇU DE PAIEMENT N° {payment.number}")
    account = payment.account
    means = payment.get_means_display()
    if payment.cheque_number:
        means += f" n° {payment.cheque_number} — {payment.cheque_bank} — tireur : {payment.drawer}"
    page.rows(
        [
            ("Reçu de", account.party.display_name),
            ("Compte client n°", account.number),
            ("Montant reçu", fr_money(payment.amount)),
            ("Moyen de paiement", means),
            ("Reçu le", fr_date(payment.received_on)),
            ("Caisse", payment.centre.name),
            ("Agent", _who(payment.created_by)),
        ]
    )
    reversal = getattr(payment, "reversal", None)
    if reversal is not None:
        page.heading(f"RÈGLEMENT ANNULÉ le {fr_date(reversal.reversed_on)} : {reversal.reason}")
    settled = selectors.payment_settlements(payment)
    page.heading("Affectation du règlement")
    if settled:
        page.table(
            [
                ("Pièce", 0, "left"),
                ("Libellé", 40, "left"),
                ("Échéance", 95, "left"),
                ("Réglé", 145, "right"),
                ("Reste dû", 174, "right"),
            ],
            [
                (
                    row["document"],
                    (row["label"] or "")[:32],
                    fr_date(row["due_date"]),
                    fr_money(row["amount"]),
                    fr_money(row["left"]),
                )
                for row in settled
            ],
        )
        kept = payment.amount - sum(row["amount"] for row in settled)
        if kept > 0:
            page.note(f"Non affecté (au crédit du compte) : {fr_money(kept)}")
    elif reversal is None:
        page.note("Aucune facture réglée : le montant reste au crédit du compte.")
    page.y -= 6 * mm
    page.note(f"Reçu délivré par {settings.ROBINET_UTILITY['name']}, à conserver.")
    if payment.cheque_number:
        page.note(
            "En cas de rejet du chèque, le règlement est annulé et les factures redeviennent dues."
        )
    return page.done(), f"recu-{payment.number}.pdf"


def closing_report_pdf(day: CashDay) -> tuple[bytes, str]:
    """The day's closing report: payments, totals by means, counted vs expected cash."""
    page = _Page(f"ARRÊTÉ DE CAISSE DU {fr_date(day.day)} — {day.centre.name}")
    totals = selectors.day_totals(day)
    if day.is_closed:
        page.rows(
            [
                ("Clôturée le", day.closed_at.strftime("%d/%m/%Y %H:%M")),
                ("Par", _who(day.closed_by)),
                ("Règlements", str(day.payment_count)),
                ("Espèces (attendu)", fr_money(day.total_cash)),
                ("Espèces comptées", fr_money(day.counted_cash)),
                ("Écart de caisse", fr_money(day.cash_difference)),
                ("Chèques", fr_money(day.total_cheque)),
                ("Cartes bancaires", fr_money(day.total_card)),
                ("À verser (espèces + chèques)", fr_money(day.reported_total)),
            ]
        )
    else:
        page.heading("JOURNÉE NON CLÔTURÉE — totaux provisoires")
        page.rows(
            [
                ("Règlements", str(totals["count"])),
                ("Espèces", fr_money(totals["cash"])),
                ("Chèques", fr_money(totals["cheque"])),
                ("Cartes bancaires", fr_money(totals["card"])),
            ]
        )
    page.heading("Règlements de la journée")
    page.table(
        [
            ("N°", 0, "left"),
            ("Compte", 30, "left"),
            ("Client", 55, "left"),
            ("Moyen", 110, "left"),
            ("Montant", 150, "right"),
            ("", 174, "right"),
        ],
        [
            (
                p.number,
                p.account.number,
                p.account.party.display_name[:30],
                p.get_means_display() + (f" {p.cheque_number}" if p.cheque_number else ""),
                fr_money(p.amount),
                "annulé" if hasattr(p, "reversal") else "",
            )
            for p in selectors.day_payments(day)
        ],
    )
    return page.done(), f"arrete-caisse-{day.centre.code}-{day.day.isoformat()}.pdf"


def slip_pdf(slip: ChequeDepositSlip) -> tuple[bytes, str]:
    """The printable deposit slip handed to the bank with the cheques."""
    page = _Page(f"BORDEREAU DE REMISE DE CHÈQUES N° {slip.number}")
    page.rows(
        [
            ("Centre", slip.centre.name),
            ("Date de remise", fr_date(slip.deposited_on)),
            ("Compte crédité", slip.bank_account_label),
            ("Nombre de chèques", str(slip.cheque_count)),
            ("Montant total", fr_money(slip.total)),
        ]
    )
    page.heading("Chèques remis")
    page.table(
        [
            ("N° de chèque", 0, "left"),
            ("Banque tirée", 30, "left"),
            ("Tireur", 75, "left"),
            ("Reçu le", 125, "left"),
            ("Montant", 174, "right"),
        ],
        [
            (
                p.cheque_number,
                p.cheque_bank[:28],
                p.drawer[:30],
                fr_date(p.received_on),
                fr_money(p.amount),
            )
            for p in selectors.slip_payments(slip)
        ],
    )
    page.text(page.right, page.y, f"Total : {fr_money(slip.total)}", 10, page.bold, "right")
    page.y -= 15 * mm
    page.note("Signature du remettant :")
    return page.done(), f"bordereau-{slip.number}.pdf"
