"""The account statement (*relevé de compte*) as a PDF, with ReportLab's Platypus (PAY-1)."""

from __future__ import annotations

import io

from django.conf import settings
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from robinet.billing.documents.pdf import fr_money
from robinet.core import clock
from robinet.ledger.selectors import Statement


def _date(value) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _label(item) -> str:
    label = item.label or item.get_kind_display()
    if item.payment_id and item.payment.is_pending:
        # PAY-3: the bank may still reject it; as on the screen's « en attente » badge.
        label += " — prélèvement en attente du règlement"
    return label


def render_statement(statement: Statement) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"Relevé de compte {statement.account.number}",
        author=settings.ROBINET_UTILITY.get("name", "Robinet"),
        invariant=1,
    )
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    utility = settings.ROBINET_UTILITY
    account = statement.account
    period = "tout l'historique"
    if statement.start or statement.end:
        period = f"du {_date(statement.start) or '…'} au {_date(statement.end) or '…'}"
    story = [
        Paragraph(utility.get("name", ""), styles["Heading3"]),
        Paragraph(
            " — ".join(v for v in (utility.get("address", ""), utility.get("phone", "")) if v),
            small,
        ),
        Spacer(1, 6 * mm),
        Paragraph("Relevé de compte", styles["Title"]),
        Paragraph(
            f"Compte client <b>{account.number}</b> — {account.party}<br/>"
            f"Période : {period} — édité le {_date(clock.today())}",
            styles["BodyText"],
        ),
        Spacer(1, 4 * mm),
    ]
    header = ["Date", "Pièce", "Libellé", "Échéance", "Débit", "Crédit", "Solde", "Reste dû"]
    rows = [
        header,
        ["", "", "Solde antérieur", "", "", "", fr_money(statement.opening_balance), ""],
    ]
    for row in statement.rows:
        item = row.item
        rows.append(
            [
                _date(item.posted_on),
                item.document_number,
                Paragraph(_label(item), small),
                _date(item.due_date) if item.amount > 0 else "",
                fr_money(row.debit) if row.debit else "",
                fr_money(row.credit) if row.credit else "",
                fr_money(row.balance),
                fr_money(item.open_amount) if item.open_amount else "",
            ]
        )
    rows.append(
        [
            "", "", "Totaux", "", fr_money(statement.total_debit), fr_money(statement.total_credit),
            fr_money(statement.closing_balance), "",
        ]
    )  # fmt: skip
    table = Table(
        rows,
        colWidths=[18 * mm, 28 * mm, 42 * mm, 18 * mm, 20 * mm, 20 * mm, 20 * mm, 18 * mm],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 7.5),
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 7.5),
                ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 7.5),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6f0f6")),
                ("ALIGN", (4, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.HexColor("#0b5c8a")),
                ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.HexColor("#0b5c8a")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story.append(table)
    story.append(Spacer(1, 4 * mm))
    closing = statement.closing_balance
    if closing > 0:
        text = f"Solde à payer : <b>{fr_money(closing)}</b>."
    elif closing < 0:
        text = f"Solde en votre faveur : <b>{fr_money(-closing)}</b>."
    else:
        text = "Votre compte est soldé."
    story.append(Paragraph(text, styles["BodyText"]))
    document.build(story)
    return buffer.getvalue()
