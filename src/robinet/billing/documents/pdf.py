"""The customer's water bill as a PDF, drawn with ReportLab's canvas (BILL-8).

``render_pdf(doc)`` turns an :class:`~.data.InvoiceDocument` into A4 PDF
bytes: one page, a second when the lines do not fit. It draws directly on
the canvas (no Platypus layout pass), which keeps a bill around 5 ms.

Legal mentions of a French water bill (arrêté of 10 July 1996 as amended),
all asserted by ``tests/billing/documents/test_pdf.py``: the three headings
named exactly « Distribution de l'eau », « Collecte et traitement des eaux
usées », « Organismes publics » with one line per beneficiary; customer,
service point, meter, old and new indexes (« estimé » and the method); period
and volume of each tariff period; unit price, quantity, amount and VAT rate of
each component; VAT per rate and totals; due date and payment means; the
price of a litre beside the fixed charge; the service's address, phone,
opening hours, emergency number and the mediator; the METER-5 notice.

Fonts: customer PDFs use ReportLab's built-in Helvetica (WinAnsi encoding:
French accents, €, ³; not the typographic minus, which we do not use). With
``pdfa=True`` — the base of the Factur-X PDF/A-3 — DejaVu Sans Condensed
(metrics close to Helvetica, so the layout holds) is embedded as subsets and
the catalog gets an sRGB output intent (see :mod:`.facturx`); without DejaVu
on the system it falls back to Helvetica, which is then not PDF/A.
``invariant=1``: the same document gives the same bytes.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from reportlab import rl_config
from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from robinet.core.money import round_money
from robinet.core.pdf import CanvasPen

from .data import DocumentLine, InvoiceDocument

NBSP = "\u00a0"

HEADINGS = {
    "water": "Distribution de l'eau",
    "sanitation": "Collecte et traitement des eaux usées",
    "public_bodies": "Organismes publics",
    "other": "Autres prestations",
}
BENEFICIARY_LABELS = {
    "operator": "Exploitant",
    "authority": "Collectivité",
    "water_agency": "Agence de l'eau",
    "other": "Autre",
}
UNIT_LABELS = {"m3": "m³", "year": "an", "month": "mois", "day": "jour", "unit": "u"}

DEJAVU_DIR = "/usr/share/fonts/truetype/dejavu"

INK = HexColor("#1d2733")
MUTED = HexColor("#5b6675")
ACCENT = HexColor("#0b5c8a")
ACCENT_LIGHT = HexColor("#e6f0f6")
RULE = HexColor("#c5ced8")
ALERT = HexColor("#b3261e")
ALERT_LIGHT = HexColor("#fbecea")

PAGE_W, PAGE_H = A4
LEFT = 15 * mm
RIGHT = PAGE_W - 15 * mm
BOTTOM = 14 * mm


# --- French formatting ------------------------------------------------------


def fr_decimal(value: Decimal, places: int) -> str:
    """``1234.5`` → ``"1 234,50"`` (no-break space between thousands, comma decimals)."""
    q = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if not q:
        q = abs(q)
    return f"{q:,.{places}f}".replace(",", NBSP).replace(".", ",")


def fr_money(value: Decimal) -> str:
    """``"1 234,56 €"``, rounded with :func:`~robinet.core.money.round_money` (half-up).

    Not ``core.money.format_money``: babel puts a narrow no-break space
    (U+202F) between thousands, which Helvetica's WinAnsi encoding lacks.
    """
    return fr_decimal(round_money(value), 2) + NBSP + "€"


def fr_unit_price(value: Decimal) -> str:
    """Unit prices keep their significant decimals, 2 to 4: ``1,421 €``, ``48,00 €``."""
    exponent = value.normalize().as_tuple().exponent
    places = min(4, max(2, -exponent if isinstance(exponent, int) else 2))
    return fr_decimal(value, places) + NBSP + "€"


def fr_quantity(value: Decimal) -> str:
    """``30`` → ``"30"``, ``0.5`` → ``"0,5"`` (up to 4 decimals)."""
    exponent = value.normalize().as_tuple().exponent
    places = min(4, max(0, -exponent if isinstance(exponent, int) else 0))
    return fr_decimal(value, places)


def fr_rate(value: Decimal) -> str:
    """``5.5`` → ``"5,5 %"``, ``10`` → ``"10 %"``."""
    return fr_quantity(value) + NBSP + "%"


def fr_date(value: date) -> str:
    return value.strftime("%d/%m/%Y")


# --- fonts and PDF/A plumbing -----------------------------------------------


def fonts(embed: bool) -> tuple[str, str]:
    """(regular, bold): Helvetica, or embedded DejaVu Sans Condensed when asked and present."""
    return _dejavu() if embed else ("Helvetica", "Helvetica-Bold")


@cache
def _dejavu() -> tuple[str, str]:
    regular = os.path.join(DEJAVU_DIR, "DejaVuSansCondensed.ttf")
    bold = os.path.join(DEJAVU_DIR, "DejaVuSansCondensed-Bold.ttf")
    if os.path.exists(regular) and os.path.exists(bold):
        pdfmetrics.registerFont(TTFont("RobinetSans", regular))
        pdfmetrics.registerFont(TTFont("RobinetSans-Bold", bold))
        return "RobinetSans", "RobinetSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def a4_document(out, *, title: str, author: str, regular: str):
    """An A4 canvas for a one-off document (quote, schedule, agreement) and its ``text(x, y,
    value, size=9, font=regular, align="left")`` helper."""
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor(author)

    def text(x, y, value, size=9, font=regular, align="left"):
        canvas.setFont(font, size)
        if align == "right":
            canvas.drawRightString(x, y, value)
        else:
            canvas.drawString(x, y, value)

    return canvas, text


def fonts_embeddable() -> bool:
    """True when DejaVu Sans Condensed is there to embed (PDF/A-3 needs embedded fonts)."""
    return _dejavu()[0] != "Helvetica"


@cache
def srgb_icc_profile() -> bytes:
    """An sRGB ICC profile for the PDF/A output intent, made by Pillow's LittleCMS."""
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _add_output_intent(canvas: Canvas) -> None:
    """Declare sRGB as the output intent (PDF/A-3 §6.2.3): ReportLab has no option for it."""
    doc = canvas._doc
    profile = pdfdoc.PDFStream(
        pdfdoc.PDFDictionary({"N": 3}), srgb_icc_profile(), filters=[pdfdoc.PDFZCompress]
    )
    intent = pdfdoc.PDFDictionary(
        {
            "Type": pdfdoc.PDFName("OutputIntent"),
            "S": pdfdoc.PDFName("GTS_PDFA1"),
            "OutputConditionIdentifier": pdfdoc.PDFString("sRGB IEC61966-2.1"),
            "Info": pdfdoc.PDFString("sRGB IEC61966-2.1"),
            "DestOutputProfile": doc.Reference(profile),
        }
    )
    catalog = doc.Catalog
    catalog.OutputIntents = pdfdoc.PDFArray([intent])
    catalog.__NoDefault__ = [*type(catalog).__NoDefault__, "OutputIntents"]


# --- drawing ----------------------------------------------------------------


class _Writer(CanvasPen):
    """A canvas with a y cursor that starts a new page when something does not fit."""

    def __init__(self, canvas: Canvas, doc: InvoiceDocument, *, embed_fonts: bool) -> None:
        super().__init__(canvas)
        self.doc = doc
        self.regular, self.bold = fonts(embed_fonts)
        self.y = PAGE_H - 12 * mm
        self.page = 1

    def wrap(self, text: str, size: float, width: float, *, bold: bool = False) -> list[str]:
        return simpleSplit(text, self.bold if bold else self.regular, size, width)

    def paragraph(
        self,
        x: float,
        y: float,
        text: str,
        width: float,
        size: float = 7,
        *,
        bold: bool = False,
        color: Color = INK,
        leading: float | None = None,
    ) -> float:
        """Draw wrapped text from baseline ``y`` down; return the y below it."""
        leading = leading or size * 1.25
        for line in self.wrap(text, size, width, bold=bold):
            self.text(x, y, line, size, bold=bold, color=color)
            y -= leading
        return y

    def need(self, height: float) -> None:
        if self.y - height < BOTTOM:
            self.new_page()

    def new_page(self) -> None:
        self.footer()
        self.c.showPage()
        self._font = self._fill = None  # a new page starts with a fresh graphics state
        self.page += 1
        doc = self.doc
        title = "Avoir" if doc.is_credit_note else "Facture"
        self.text(LEFT, PAGE_H - 14 * mm, doc.seller.name, 9, bold=True, color=ACCENT)
        self.text(
            RIGHT,
            PAGE_H - 14 * mm,
            f"{title} n° {doc.number} du {fr_date(doc.issue_date)} — suite",
            8,
            align="right",
        )
        self.c.setStrokeColor(RULE)
        self.c.line(LEFT, PAGE_H - 16 * mm, RIGHT, PAGE_H - 16 * mm)
        self.y = PAGE_H - 22 * mm

    def footer(self) -> None:
        s = self.doc.seller
        text = (
            f"{s.name} — {s.legal_form} — SIRET {s.siret} — TVA {s.vat_number} — Page {self.page}"
        )
        self.text(PAGE_W / 2, 9 * mm, text, 6, color=MUTED, align="center")

    def box(
        self, x: float, y: float, w: float, h: float, *, fill: Color, stroke: Color | None = None
    ) -> None:
        c = self.c
        self.fill(fill)
        if stroke is None:
            c.rect(x, y, w, h, stroke=0, fill=1)
        else:
            c.setStrokeColor(stroke)
            c.setLineWidth(0.8)
            c.rect(x, y, w, h, stroke=1, fill=1)


def _header(w: _Writer) -> None:
    doc, s, b = w.doc, w.doc.seller, w.doc.buyer
    top = PAGE_H - 15 * mm
    # Seller block, top left.
    w.text(LEFT, top, s.name, 13, bold=True, color=ACCENT)
    y = w.paragraph(LEFT, top - 5 * mm, s.legal_form, 88 * mm, 6.5, color=MUTED)
    for line in (*s.address_lines, f"{s.postcode} {s.city}"):
        w.text(LEFT, y, line, 7.5)
        y -= 3.4 * mm
    w.text(LEFT, y, f"Service clients : {s.phone}", 7.5, bold=True)
    y -= 3.4 * mm
    y = w.paragraph(LEFT, y, f"Accueil {s.opening_hours}", 88 * mm, 7)
    w.text(LEFT, y, f"{s.email} · {s.website}", 7)

    # Document title block, top right.
    x0 = 118 * mm
    title = "Avoir" if doc.is_credit_note else "Facture d'eau et d'assainissement"
    w.text(x0, top, title, 13 if doc.is_credit_note else 11, bold=True)
    rows = [
        ("Avoir n°" if doc.is_credit_note else "Facture n°", doc.number),
        ("Date d'émission", fr_date(doc.issue_date)),
        ("N° de compte client", b.account_number),
        ("Période", f"du {fr_date(doc.period_start)} au {fr_date(doc.period_end)}"),
    ]
    y = top - 5.5 * mm
    for label, value in rows:
        w.text(x0, y, label, 7.5, color=MUTED)
        w.text(RIGHT, y, value, 7.5, bold=True, align="right")
        y -= 3.6 * mm
    if doc.credit_note_of is not None:
        ref = doc.credit_note_of
        w.text(
            x0,
            y,
            f"Rectifie la facture n° {ref.number} du {fr_date(ref.issue_date)}",
            7.5,
            bold=True,
        )
        y -= 3.4 * mm
        w.paragraph(x0, y, f"Motif : {ref.reason}", RIGHT - x0, 7)

    # Buyer address in the window of a French DL envelope: 110 mm from the left, 50 mm down.
    ax, ay = 110 * mm, PAGE_H - 52 * mm
    lines = [b.name, *b.address_lines, f"{b.postcode} {b.city}"]
    if b.country != "FR":
        lines.append(b.country)
    w.text(ax, ay, lines[0], 9.5, bold=True)
    for i, line in enumerate(lines[1:], start=1):
        w.text(ax, ay - i * 4.2 * mm, line, 9.5)

    # Amount box and emergency number, left of the address.
    bx, by, bw, bh = LEFT, PAGE_H - 67 * mm, 88 * mm, 22 * mm
    w.box(bx, by, bw, bh, fill=ACCENT_LIGHT)
    if doc.is_credit_note:
        w.text(bx + 3 * mm, by + bh - 5.5 * mm, "Montant en votre faveur", 9, bold=True)
        w.text(bx + 3 * mm, by + bh - 13.5 * mm, fr_money(doc.total_incl_vat), 17, bold=True)
        w.text(bx + 3 * mm, by + 3 * mm, "Avoir TTC, à déduire de vos prochaines échéances", 7)
    else:
        w.text(bx + 3 * mm, by + bh - 5.5 * mm, "Montant à payer", 9, bold=True)
        w.text(bx + 3 * mm, by + bh - 13.5 * mm, fr_money(doc.amount_due), 17, bold=True)
        when = (
            f"Prélevé le {fr_date(doc.payment.debit_date)}"
            if doc.payment.direct_debit and doc.payment.debit_date
            else f"À payer avant le {fr_date(doc.due_date)}"
        )
        w.text(bx + 3 * mm, by + 3 * mm, when, 8.5, bold=True)
    ey = by - 5.5 * mm
    w.box(LEFT, ey - 1.6 * mm, bw, 6 * mm, fill=ALERT)
    w.text(
        LEFT + 3 * mm,
        ey,
        f"Urgence 24 h/24 – 7 j/7 : {s.emergency_phone}",
        9,
        bold=True,
        color=white,
    )
    info_y = min(ey, ay - len(lines) * 4.2 * mm)  # below a long address
    if b.public_sector and (b.chorus_service_code or b.chorus_commitment_number):
        w.text(
            ax,
            info_y,
            f"Chorus Pro — service : {b.chorus_service_code or '—'}"
            f" — engagement : {b.chorus_commitment_number or '—'}",
            7,
            color=MUTED,
        )
    elif b.siret:
        w.text(ax, info_y, f"SIRET {b.siret}  TVA {b.vat_number}".strip(), 7, color=MUTED)
    w.y = info_y - 6 * mm


def _notice(w: _Writer) -> None:
    text = w.doc.abnormal_consumption_notice
    if not text:
        return
    width = RIGHT - LEFT - 8 * mm
    lines = w.wrap(text, 7, width)
    h = (len(lines) + 1) * 3.1 * mm + 4.5 * mm
    w.need(h)
    top = w.y
    w.box(LEFT, top - h, RIGHT - LEFT, h, fill=ALERT_LIGHT, stroke=ALERT)
    w.text(
        LEFT + 4 * mm,
        top - 5 * mm,
        "Consommation anormalement élevée : information sur une fuite possible",
        9,
        bold=True,
        color=ALERT,
    )
    y = top - 9 * mm
    for line in lines:
        w.text(LEFT + 4 * mm, y, line, 7)
        y -= 3.1 * mm
    w.y = top - h - 4.5 * mm


def _section_title(w: _Writer, title: str) -> None:
    w.need(9 * mm)
    w.text(LEFT, w.y, title, 10, bold=True, color=ACCENT)
    w.c.setStrokeColor(ACCENT)
    w.c.setLineWidth(0.8)
    w.c.line(LEFT, w.y - 1.6 * mm, RIGHT, w.y - 1.6 * mm)
    w.y -= 5.5 * mm


def _consumption(w: _Writer) -> None:
    doc = w.doc
    if doc.readings is None and not doc.tariff_periods:
        return
    _section_title(w, "Votre consommation")
    chart_w, chart_h = 62 * mm, 30 * mm
    w.need(chart_h + 2 * mm)
    top = w.y
    col = LEFT
    y = top
    rows = [("Point de service", f"{doc.service_point.reference} — {doc.service_point.address}")]
    if doc.meter is not None:
        rows.append(("Compteur", f"n° {doc.meter.serial}, diamètre {doc.meter.diameter_mm} mm"))
    r = doc.readings
    if r is not None:
        rows.append(("Ancien index", f"{r.old_index} m³ relevé le {fr_date(r.old_date)}"))
        new = f"{r.new_index} m³ {'estimé' if r.estimated else 'relevé'} le {fr_date(r.new_date)}"
        rows.append(("Nouvel index", new))
    for label, value in rows:
        w.text(col, y, label, 7.5, color=MUTED)
        y = w.paragraph(col + 27 * mm, y, value, 80 * mm, 7.5) - 0.3 * mm
    if r is not None and r.estimated:
        y = w.paragraph(
            col + 27 * mm, y, f"Index estimé : {r.estimation_method}", 80 * mm, 7, color=ALERT
        )
    y -= 1 * mm
    w.text(col, y, "Période tarifaire", 7, bold=True, color=MUTED)
    w.text(col + 70 * mm, y, "Volume", 7, bold=True, color=MUTED, align="right")
    y -= 3.4 * mm
    for p in doc.tariff_periods:
        w.text(col, y, f"{p.label} : du {fr_date(p.start)} au {fr_date(p.end)}", 7.5)
        w.text(col + 70 * mm, y, f"{fr_quantity(p.volume)} m³", 7.5, align="right")
        y -= 3.4 * mm
    w.text(col, y, "Volume facturé", 7.5, bold=True)
    w.text(col + 70 * mm, y, f"{fr_quantity(doc.volume)} m³", 7.5, bold=True, align="right")
    y -= 4 * mm
    if doc.consumption_history:
        _chart(w, RIGHT - chart_w, top - chart_h + 2 * mm, chart_w, chart_h)
        y = min(y, top - chart_h)
    w.y = y - 2 * mm


def _bar_height(volume: Decimal, top: Decimal, plot_h: float) -> float:
    """Page geometry, not money: the bar's share of the plot, from whole litres (ReportLab
    draws in float points); the volume printed above the bar stays the Decimal."""
    return plot_h * int(volume * 1000) / int(top * 1000)


def _chart(w: _Writer, x: float, y: float, width: float, height: float) -> None:
    """Bar chart of the last periods (METER-6), the current one highlighted."""
    history = w.doc.consumption_history
    d = Drawing(width, height)
    d.initialFontName = w.regular  # not Helvetica: PDF/A wants every font embedded
    d.add(String(0, height - 7, "Historique de consommation (m³)", fontName=w.bold, fontSize=7))
    plot_h = height - 20
    base = 9
    top = max((p.volume for p in history), default=Decimal(1)) or Decimal(1)
    slot = width / len(history)
    bar_w = slot * 0.6
    d.add(Line(0, base, width, base, strokeColor=RULE, strokeWidth=0.5))
    for i, p in enumerate(history):
        h = _bar_height(p.volume, top, plot_h)
        bx = i * slot + (slot - bar_w) / 2
        last = i == len(history) - 1
        d.add(Rect(bx, base, bar_w, h, fillColor=ACCENT if last else RULE, strokeColor=None))
        d.add(
            String(
                bx + bar_w / 2,
                base + h + 1.5,
                fr_quantity(p.volume),
                fontName=w.regular,
                fontSize=6,
                textAnchor="middle",
            )
        )
        d.add(
            String(
                bx + bar_w / 2,
                1,
                p.label,
                fontName=w.regular,
                fontSize=5.5,
                textAnchor="middle",
                fillColor=MUTED,
            )
        )
    renderPDF.draw(d, w.c, x, y)
    w._font = w._fill = None  # the renderer changed the canvas state


# Columns of the detail table: right edges for the figures.
COL_BENEF = LEFT + 68 * mm
COL_QTY = LEFT + 118 * mm
COL_PRICE = LEFT + 141 * mm
COL_AMOUNT = LEFT + 164 * mm
COL_VAT = RIGHT


def _detail(w: _Writer) -> None:
    doc = w.doc
    _section_title(w, "Détail de votre facture" if not doc.is_credit_note else "Détail de l'avoir")
    _table_head(w)
    for service in ("water", "sanitation", "public_bodies", "other"):
        lines = doc.lines_of(service)
        if not lines:
            continue
        w.need(5 * mm + 4 * mm)
        w.box(LEFT, w.y - 1.4 * mm, RIGHT - LEFT, 4.6 * mm, fill=ACCENT_LIGHT)
        w.text(LEFT + 1.5 * mm, w.y, HEADINGS[service], 8, bold=True, color=ACCENT)
        subtotal = sum((x.amount_excl_vat for x in lines), Decimal(0))
        w.text(COL_AMOUNT, w.y, fr_money(subtotal), 8, bold=True, color=ACCENT, align="right")
        w.y -= 4.6 * mm
        for line in lines:
            _detail_line(w, line)
        w.y -= 1 * mm


def _table_head(w: _Writer) -> None:
    w.need(8 * mm)
    y = w.y
    w.text(LEFT, y, "Désignation", 6.5, bold=True, color=MUTED)
    w.text(COL_BENEF, y, "Bénéficiaire", 6.5, bold=True, color=MUTED)
    w.text(COL_QTY, y, "Quantité", 6.5, bold=True, color=MUTED, align="right")
    w.text(COL_PRICE, y, "Prix unitaire HT", 6.5, bold=True, color=MUTED, align="right")
    w.text(COL_AMOUNT, y, "Montant HT", 6.5, bold=True, color=MUTED, align="right")
    w.text(COL_VAT, y, "TVA", 6.5, bold=True, color=MUTED, align="right")
    w.y -= 4.5 * mm


def _detail_line(w: _Writer, line: DocumentLine) -> None:
    label_lines = w.wrap(line.label, 7.5, COL_BENEF - LEFT - 3 * mm)
    own_period = (line.period_start, line.period_end) != (w.doc.period_start, w.doc.period_end)
    h = len(label_lines) * 3.3 * mm + (3 * mm if own_period else 0.2 * mm)
    if w.y - h < BOTTOM:
        w.new_page()
        _table_head(w)
    y = w.y
    for i, text in enumerate(label_lines):
        w.text(LEFT + 1.5 * mm, y - i * 3.3 * mm, text, 7.5)
    if own_period:
        period = f"du {fr_date(line.period_start)} au {fr_date(line.period_end)}"
        w.text(LEFT + 1.5 * mm, y - len(label_lines) * 2.9 * mm, period, 6, color=MUTED)
    w.text(COL_BENEF, y, BENEFICIARY_LABELS[line.beneficiary], 7.5)
    unit = UNIT_LABELS.get(line.unit, line.unit)
    w.text(COL_QTY, y, f"{fr_quantity(line.quantity)} {unit}", 7.5, align="right")
    w.text(COL_PRICE, y, fr_unit_price(line.unit_price), 7.5, align="right")
    w.text(COL_AMOUNT, y, fr_money(line.amount_excl_vat), 7.5, align="right")
    w.text(COL_VAT, y, fr_rate(line.vat_rate), 7.5, align="right")
    w.y = y - h


def _totals(w: _Writer) -> None:
    doc = w.doc
    rows = 3 + len(doc.vat) + (2 if doc.already_paid else 0)
    h = max(rows * 4.2 * mm + 6 * mm, 30 * mm)
    w.need(h)
    top = w.y
    c = w.c
    c.setStrokeColor(RULE)
    c.setLineWidth(0.5)
    c.line(LEFT, top + 2.5 * mm, RIGHT, top + 2.5 * mm)

    # Right: totals and VAT per rate.
    x0, y = 110 * mm, top - 1 * mm
    w.text(x0, y, "Total hors TVA", 8)
    w.text(RIGHT, y, fr_money(doc.total_excl_vat), 8, align="right")
    y -= 4.2 * mm
    for v in doc.vat:
        w.text(x0, y, f"TVA à {fr_rate(v.rate)} sur {fr_money(v.base)}", 8)
        w.text(RIGHT, y, fr_money(v.amount), 8, align="right")
        y -= 4.2 * mm
    w.text(x0, y, "Total TVA", 8)
    w.text(RIGHT, y, fr_money(doc.total_vat), 8, align="right")
    y -= 5 * mm
    w.box(x0 - 2 * mm, y - 1.8 * mm, RIGHT - x0 + 2 * mm, 6 * mm, fill=ACCENT)
    label = "Total de l'avoir TTC" if doc.is_credit_note else "Total TTC"
    w.text(x0, y, label, 9.5, bold=True, color=white)
    w.text(RIGHT - 1.5 * mm, y, fr_money(doc.total_incl_vat), 9.5, bold=True, color=white, align="right")  # fmt: skip
    y -= 5.5 * mm
    if doc.already_paid and not doc.is_credit_note:
        w.text(x0, y, "Déjà réglé", 8)
        w.text(RIGHT, y, "–" + fr_money(doc.already_paid), 8, align="right")
        y -= 4.2 * mm
        w.text(x0, y, "Reste à payer", 8.5, bold=True)
        w.text(RIGHT, y, fr_money(doc.amount_due), 8.5, bold=True, align="right")
        y -= 4.2 * mm

    # Left: BILL-8 price of a litre, with the fixed charge beside it — on water bills
    # only (a fees or works invoice has no meter, no tariff period, no volume).
    if not _is_water_bill(doc):
        w.y = y - 3 * mm
        return
    bx, bw = LEFT, 88 * mm
    bh = 22 * mm
    w.box(bx, top - bh + 2 * mm, bw, bh, fill=ACCENT_LIGHT)
    yy = top - 2 * mm
    w.text(bx + 3 * mm, yy, "Prix de l'eau", 9, bold=True, color=ACCENT)
    yy -= 5 * mm
    if doc.price_per_litre_incl_vat is not None:
        w.text(bx + 3 * mm, yy, "Prix du litre TTC", 8)
        w.text(
            bx + 36 * mm,
            yy,
            fr_decimal(doc.price_per_litre_incl_vat, 4) + NBSP + "€",
            8,
            bold=True,
        )
        w.text(bx + 52 * mm, yy, f"+ abonnements {fr_money(doc.fixed_incl_vat)} TTC", 7)
        yy -= 4.2 * mm
    if doc.price_per_m3_incl_vat is not None:
        w.text(bx + 3 * mm, yy, "Prix moyen du m³ TTC", 8)
        w.text(bx + 36 * mm, yy, fr_money(doc.price_per_m3_incl_vat), 8, bold=True)
        yy -= 4.2 * mm
    explanation = (
        "Prix du litre = (total TTC – abonnements TTC) / (volume en m³ × 1 000) ; "
        "le prix moyen du m³ inclut les abonnements."
        if doc.price_per_litre_incl_vat is not None
        else f"Aucun volume facturé : abonnements {fr_money(doc.fixed_incl_vat)} TTC."
    )
    w.paragraph(bx + 3 * mm, yy, explanation, bw - 6 * mm, 6, color=MUTED)
    w.y = min(y, top - bh) - 3 * mm


def _is_water_bill(doc: InvoiceDocument) -> bool:
    return bool(doc.meter or doc.tariff_periods or doc.volume or doc.fixed_incl_vat)


def _payment(w: _Writer) -> None:
    doc, p, s = w.doc, w.doc.payment, w.doc.seller
    w.need(24 * mm)
    _section_title(w, "Règlement" if not doc.is_credit_note else "Remboursement")
    y = w.y
    if doc.is_credit_note:
        y = w.paragraph(
            LEFT,
            y,
            f"Cet avoir de {fr_money(doc.total_incl_vat)} TTC est porté au crédit de votre compte "
            f"{doc.buyer.account_number} : il sera déduit de votre prochaine facture ou remboursé "
            "sur simple demande.",
            RIGHT - LEFT,
            7.5,
        )
    elif p.direct_debit:
        w.text(LEFT, y, f"Échéance : {fr_date(doc.due_date)}", 8, bold=True)
        y -= 4 * mm
        y = w.paragraph(
            LEFT,
            y,
            f"Mode de paiement : prélèvement SEPA de {fr_money(doc.amount_due)} le "
            f"{fr_date(p.debit_date)} — mandat (RUM) {p.mandate_reference}, "
            f"créancier {s.name}, ICS {s.sepa_creditor_id}.",
            RIGHT - LEFT,
            7.5,
        )
    else:
        w.text(LEFT, y, f"Échéance : à payer avant le {fr_date(doc.due_date)}", 8, bold=True)
        y -= 4 * mm
        y = w.paragraph(
            LEFT,
            y,
            f"Mode de paiement : virement de {fr_money(doc.amount_due)} sur le compte "
            f"IBAN {p.iban} — BIC {p.bic}, en indiquant la référence {p.transfer_reference}. "
            "Également possibles : prélèvement automatique (sur demande), carte bancaire sur "
            f"{s.website}, chèque à l'ordre de {s.name}.",
            RIGHT - LEFT,
            7.5,
        )
    if doc.late_payment_mentions:
        y = w.paragraph(LEFT, y - 1 * mm, doc.late_payment_mentions, RIGHT - LEFT, 6.5, color=MUTED)
    w.y = y - 1.5 * mm


def _contacts(w: _Writer) -> None:
    doc, s = w.doc, w.doc.seller
    m = s.mediator
    texts = [
        (
            f"Votre service de l'eau : {s.name}, {', '.join(s.address_lines)}, {s.postcode} "
            f"{s.city} — tél. {s.phone}, {s.opening_hours} — {s.email}. Urgence 24 h/24 : "
            f"{s.emergency_phone}."
        ),
        (
            f"Réclamation : adressez-vous d'abord à votre service de l'eau. En l'absence de réponse "
            f"satisfaisante sous deux mois, vous pouvez saisir gratuitement la {m.name}, "
            f"{', '.join(m.address_lines)}, {m.postcode} {m.city} — {m.website}."
        ),
        *doc.legal_notes,
    ]
    lines: list[list[str]] = [w.wrap(t, 6, RIGHT - LEFT) for t in texts]
    h = sum(len(x) for x in lines) * 2.6 * mm + len(lines) * 0.8 * mm
    w.need(h)
    y = w.y
    for block in lines:
        for line in block:
            w.text(LEFT, y, line, 6, color=MUTED)
            y -= 2.6 * mm
        y -= 0.8 * mm
    w.y = y


def render_pdf(doc: InvoiceDocument, *, pdfa: bool = False) -> bytes:
    """The bill as A4 PDF bytes, deterministic (same document, same bytes).

    ``pdfa=True`` prepares the PDF/A-3 base that :func:`.facturx.render_facturx`
    completes: fonts embedded (DejaVu Sans Condensed) and an sRGB output intent. It
    costs about twice the time (font subsetting), so customer PDFs use
    Helvetica, which every reader has and whose WinAnsi encoding covers
    French accents and €.
    """
    with _binary_streams():
        return _render(doc, pdfa=pdfa)


@contextmanager
def _binary_streams() -> Iterator[None]:
    """Skip ASCII85 on font and ICC streams: binary is valid PDF, smaller and faster."""
    previous = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = previous


def _render(doc: InvoiceDocument, *, pdfa: bool) -> bytes:
    buffer = io.BytesIO()
    regular, _ = fonts(pdfa)
    # initialFontName: otherwise every page references a non-embedded Helvetica (PDF/A).
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1, initialFontName=regular)
    kind = "Avoir" if doc.is_credit_note else "Facture"
    canvas.setTitle(f"{kind} {doc.number}")
    canvas.setAuthor(doc.seller.name)
    canvas.setSubject(f"{kind} {doc.number} — {doc.buyer.account_number}")
    canvas.setCreator("Robinet")
    canvas.setLineWidth(0.5)
    if pdfa:
        _add_output_intent(canvas)
        # factur-x writes "pypdf" as pdf:Producer in the XMP; PDF/A wants /Info to agree.
        canvas.setProducer("pypdf")
    w = _Writer(canvas, doc, embed_fonts=pdfa)
    _header(w)
    _notice(w)
    _consumption(w)
    _detail(w)
    _totals(w)
    _payment(w)
    _contacts(w)
    w.footer()
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
