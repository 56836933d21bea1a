"""The written answer to a customer as a PDF letter (CASE-4), in the house letter layout.

The sender's block (the utility and its single national address) top left,
the customer's address in the window, the case and account references, the
date, the object, then the text of the answer — signed and followed by the
mediator's contact (CASE-3a), which :func:`robinet.cases.answers.render`
already wrote into the text.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from robinet.billing.documents.pdf import ACCENT, MUTED, fonts
from robinet.cases.answers import national_address_lines
from robinet.core.pdf import CanvasPen


def answer_pdf(contact) -> bytes:
    """The letter of an answer or holding reply ``contact`` (outbound, on a case)."""
    from robinet.billing.selectors import buyer

    case = contact.case
    utility = settings.ROBINET_UTILITY
    regular, bold = fonts(embed=True)
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1, invariant=1)
    canvas.setTitle(f"{contact.subject} — {case.number}")
    canvas.setAuthor(utility.get("name", "Robinet"))
    pen = CanvasPen(canvas)
    pen.regular, pen.bold = regular, bold
    width, height = A4
    left, right, bottom = 20 * mm, width - 20 * mm, 22 * mm

    y = height - 18 * mm
    pen.text(left, y, utility.get("name", ""), 12, bold=True, color=ACCENT)
    for line in (*national_address_lines()[1:], f"Tél. {utility.get('phone', '')}"):
        y -= 4.2 * mm
        pen.text(left, y, line, 8, color=MUTED)

    if case.account_id:
        b = buyer(case.account)
        lines = (b.name, *b.address_lines, f"{b.postcode} {b.city}".strip())
        for i, line in enumerate(lines):
            pen.text(110 * mm, height - 45 * mm - i * 4.8 * mm, line, 10, bold=i == 0)

    y = height - 82 * mm
    sent_on = timezone.localtime(contact.occurred_at).strftime("%d/%m/%Y")
    pen.text(right, y, f"{utility.get('city', '')}, le {sent_on}", 9, align="right")
    y -= 6 * mm
    reference = f"Dossier n° {case.number}"
    if case.account_id:
        reference += f" — client n° {case.account.number}"
    pen.text(left, y, reference, 9, color=MUTED)
    y -= 6 * mm
    pen.text(left, y, f"Objet : {contact.subject}", 10, bold=True)
    y -= 10 * mm

    for paragraph in contact.body.split("\n"):
        wrapped = simpleSplit(paragraph, regular, 10, right - left) or [""]
        for line in wrapped:
            if y < bottom:
                canvas.showPage()
                pen = CanvasPen(canvas)
                pen.regular, pen.bold = regular, bold
                y = height - 20 * mm
            pen.text(left, y, line, 10)
            y -= 5 * mm
    canvas.showPage()
    canvas.save()
    return out.getvalue()
