"""Dunning letters as PDF, drawn with ReportLab's canvas like the bill (COLL-1, COLL-2).

``render_notice_pdf(doc)`` gives one A4 letter; ``render_notices_batch(docs)``
draws a whole print batch on one canvas (one letter per account, each
starting on a new page) and also returns the page count and the first page
of each letter; ``render_notices_pdf(docs)`` returns only its bytes.

Layout (French DL window envelope): the utility top left, the references top
right, the recipient in the window 110 mm from the left and 52 mm down, then
the title, the salutation and opening paragraphs, the items table with its
total, the fees table (professionals only), the pay-by date in bold, what
happens next, the agency mentions (CPCE R124-4), how to pay, the help
paragraph (payment plan, FSL and social services), the closing and the
service's contacts. A letter whose items do not fit goes on to a second page
with a running header.

Every string drawn is collected and checked by
:func:`~.wording.check_wording` before the bytes are returned: a letter that
breaks a guardrail is never produced. Helvetica (WinAnsi: French accents, €,
guillemets), ``invariant=1``: the same document gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import BinaryIO

from reportlab import rl_config
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from robinet.core.pdf import CanvasPen

from . import wording as wd
from .document import NoticeDocument

INK = HexColor("#1d2733")
MUTED = HexColor("#5b6675")
ACCENT = HexColor("#0b5c8a")
ACCENT_LIGHT = HexColor("#e6f0f6")
RULE = HexColor("#c5ced8")
ALERT = HexColor("#b3261e")
ALERT_LIGHT = HexColor("#fbecea")

PAGE_W, PAGE_H = A4
LEFT = 20 * mm
RIGHT = PAGE_W - 18 * mm
WIDTH = RIGHT - LEFT
BOTTOM = 18 * mm
REGULAR, BOLD = "Helvetica", "Helvetica-Bold"

COL_DUE = LEFT + 70 * mm
COL_LEVEL = LEFT + 110 * mm
COL_AMOUNT = RIGHT


@dataclass(frozen=True, slots=True)
class RenderedBatch:
    """A print batch: the PDF, its page count and the first page (1-based) of each letter."""

    pdf: bytes
    pages: int
    first_pages: tuple[int, ...]

    @property
    def letters(self) -> int:
        return len(self.first_pages)


@lru_cache(maxsize=8192)
def _wrap(text: str, font: str, size: float, width: float) -> tuple[str, ...]:
    """Line breaks of a paragraph; most paragraphs recur from letter to letter (cached)."""
    return tuple(simpleSplit(text, font, size, width))


class _Letter(CanvasPen):
    """Draws one letter on a shared canvas with a y cursor; records every string drawn."""

    regular, bold, text_size = REGULAR, BOLD, 9

    def __init__(self, canvas: Canvas, doc: NoticeDocument) -> None:
        super().__init__(canvas)
        self.doc = doc
        self.y = PAGE_H - 15 * mm
        self.pages = 1
        self.strings: list[str] = []

    # --- primitives ---------------------------------------------------------------------

    def drawn(self, text: str) -> None:
        self.strings.append(text)

    def wrap(self, text: str, size: float, width: float, *, bold: bool = False) -> list[str]:
        return list(_wrap(text, BOLD if bold else REGULAR, size, width))

    def need(self, height: float) -> None:
        if self.y - height < BOTTOM:
            self.new_page()

    def paragraph(
        self,
        text: str,
        size: float = 9,
        *,
        x: float = LEFT,
        width: float = WIDTH,
        bold: bool = False,
        color: Color = INK,
        after: float = 2 * mm,
    ) -> None:
        """Wrapped text at the cursor, moving to a new page line by line when needed."""
        leading = size * 1.25
        for line in self.wrap(text, size, width, bold=bold):
            self.need(leading)
            self.text(x, self.y, line, size, bold=bold, color=color)
            self.y -= leading
        self.y -= after

    def heading(self, text: str) -> None:
        self.need(12 * mm)
        self.y -= 1 * mm
        self.text(LEFT, self.y, text, 9.5, bold=True, color=ACCENT)
        self.c.setStrokeColor(ACCENT)
        self.c.setLineWidth(0.6)
        self.c.line(LEFT, self.y - 1.5 * mm, RIGHT, self.y - 1.5 * mm)
        self.y -= 5 * mm

    def new_page(self) -> None:
        self.footer()
        self.c.showPage()
        self._font = self._fill = None
        self.pages += 1
        d = self.doc
        top = PAGE_H - 15 * mm
        self.text(LEFT, top, d.utility.name, 9, bold=True, color=ACCENT)
        self.text(
            RIGHT,
            top,
            f"Avis n° {d.number} du {wd.fr_date(d.issued_on)} — compte {d.account_number} — suite",
            8,
            align="right",
        )
        self.c.setStrokeColor(RULE)
        self.c.setLineWidth(0.5)
        self.c.line(LEFT, top - 2 * mm, RIGHT, top - 2 * mm)
        self.y = top - 9 * mm

    def footer(self) -> None:
        d = self.doc
        self.text(
            PAGE_W / 2 - 60 * mm,
            10 * mm,
            f"{d.utility.name} — avis n° {d.number} — compte {d.account_number}",
            6.5,
            color=MUTED,
        )
        self.text(RIGHT, 10 * mm, f"Page {self.pages}", 6.5, color=MUTED, align="right")


# --- the blocks ------------------------------------------------------------------------------


def _header(w: _Letter, title: str) -> None:
    d, u = w.doc, w.doc.utility
    top = PAGE_H - 18 * mm
    w.text(LEFT, top, u.name, 12, bold=True, color=ACCENT)
    y = top - 4.5 * mm
    for line in w.wrap(u.legal_form, 6.5, 85 * mm):
        w.text(LEFT, y, line, 6.5, color=MUTED)
        y -= 3 * mm
    for line in (*u.address_lines, f"{u.postcode} {u.city}"):
        w.text(LEFT, y, line, 8)
        y -= 3.5 * mm
    w.text(LEFT, y, f"Service clients : {u.phone}", 8, bold=True)
    y -= 3.5 * mm
    w.text(LEFT, y, f"{u.email} · {u.website}", 7.5)

    # References, top right.
    x0 = 118 * mm
    rows = (
        ("Compte client n°", d.account_number),
        ("Avis n°", d.number),
        ("Date", wd.fr_date(d.issued_on)),
        ("Objet", d.level_label),
    )
    ry = top
    for label, value in rows:
        w.text(x0, ry, label, 8, color=MUTED)
        w.text(RIGHT, ry, value, 8, bold=True, align="right")
        ry -= 4 * mm

    # The recipient, in the envelope window.
    ax, ay = 110 * mm, PAGE_H - 52 * mm
    for i, line in enumerate(d.recipient.postal_lines):
        w.text(ax, ay - i * 4.4 * mm, line, 10, bold=i == 0)
    w.y = min(ay - len(d.recipient.postal_lines) * 4.4 * mm, PAGE_H - 74 * mm) - 5 * mm

    # The title.
    formal = d.formal_notice
    h = 9 * mm
    w.c.setStrokeColor(ALERT if formal else ACCENT)
    w.fill(ALERT_LIGHT if formal else ACCENT_LIGHT)
    w.c.setLineWidth(0.8)
    w.c.rect(LEFT, w.y - h + 6 * mm, WIDTH, h, stroke=1, fill=1)
    w.text(LEFT + 4 * mm, w.y, title, 12.5, bold=True, color=ALERT if formal else ACCENT)
    w.y -= h + 1 * mm


def _items(w: _Letter) -> None:
    d = w.doc

    def head() -> None:
        w.need(10 * mm)
        y = w.y
        w.text(LEFT + 1.5 * mm, y, "Facture", 8, bold=True, color=MUTED)
        w.text(COL_DUE, y, "Échéance", 8, bold=True, color=MUTED)
        w.text(COL_LEVEL, y, "Rappel n°", 8, bold=True, color=MUTED)
        w.text(COL_AMOUNT, y, "Reste dû", 8, bold=True, color=MUTED, align="right")
        w.c.setStrokeColor(RULE)
        w.c.setLineWidth(0.5)
        w.c.line(LEFT, y - 1.5 * mm, RIGHT, y - 1.5 * mm)
        w.y -= 5.5 * mm

    head()
    for item in d.items:
        if w.y - 5 * mm < BOTTOM:
            w.new_page()
            head()
        w.text(LEFT + 1.5 * mm, w.y, item.document_number, 9)
        w.text(COL_DUE, w.y, wd.fr_date(item.due_date), 9)
        w.text(COL_LEVEL, w.y, str(item.level), 9)
        w.text(COL_AMOUNT, w.y, wd.fr_amount(item.open_amount), 9, align="right")
        w.y -= 4.4 * mm
    w.need(7 * mm)
    w.c.setStrokeColor(RULE)
    w.c.line(LEFT, w.y + 2.6 * mm, RIGHT, w.y + 2.6 * mm)
    w.y -= 1 * mm
    w.text(COL_DUE, w.y, "Total des factures impayées", 9, bold=True)
    w.text(COL_AMOUNT, w.y, wd.fr_amount(d.total_due), 9, bold=True, align="right")
    w.y -= 6 * mm


def _fees(w: _Letter) -> None:
    d = w.doc
    if not d.fees:
        return
    w.need(14 * mm)
    w.text(
        LEFT + 1.5 * mm,
        w.y,
        "Sommes dues au titre du retard de paiement",
        8,
        bold=True,
        color=MUTED,
    )
    w.text(COL_AMOUNT, w.y, "Montant", 8, bold=True, color=MUTED, align="right")
    w.y -= 5 * mm
    for fee in d.fees:
        label = f"{wd.fee_label(fee, d.late_interest_rate)} — facture {fee.document_number}"
        lines = w.wrap(label, 8, COL_LEVEL - LEFT + 15 * mm)
        w.need(len(lines) * 3.6 * mm + 1 * mm)
        y = w.y
        w.text(COL_AMOUNT, y, wd.fr_amount(fee.amount), 8.5, align="right")
        for line in lines:
            w.text(LEFT + 1.5 * mm, y, line, 8)
            y -= 3.6 * mm
        w.y = y - 1 * mm
    w.need(7 * mm)
    w.text(COL_DUE, w.y, "Montant total à régler", 9, bold=True)
    w.text(COL_AMOUNT, w.y, wd.fr_amount(d.amount_to_pay), 9, bold=True, align="right")
    w.y -= 7 * mm


def _pay_by(w: _Letter, line: str) -> None:
    h = 7.5 * mm
    w.need(h + 3 * mm)
    w.fill(ACCENT)
    w.c.rect(LEFT, w.y - 2.6 * mm, WIDTH, h, stroke=0, fill=1)
    w.text(LEFT + 4 * mm, w.y, line, 10.5, bold=True, color=white)
    w.y -= h + 1 * mm


def _agency(w: _Letter, texts: Sequence[str]) -> None:
    if not texts:
        return
    w.heading("Mentions légales du recouvrement amiable (art. R124-4 du CPCE)")
    for text in texts:
        w.paragraph(text, 7.5, after=1.2 * mm)
    w.y -= 1 * mm


def _bullets(w: _Letter, texts: Iterable[str]) -> None:
    for text in texts:
        lines = w.wrap(text, 8, WIDTH - 5 * mm)
        w.need(len(lines) * 10)
        w.text(LEFT + 1 * mm, w.y, "•", 8, color=ACCENT)
        for line in lines:
            w.text(LEFT + 5 * mm, w.y, line, 8)
            w.y -= 10
        w.y -= 0.5 * mm


def _contacts(w: _Letter, texts: Sequence[str]) -> None:
    blocks = [w.wrap(t, 6.5, WIDTH) for t in texts]
    h = sum(len(b) for b in blocks) * 2.8 * mm + 3 * mm
    w.need(h)
    w.y -= 2 * mm
    w.c.setStrokeColor(RULE)
    w.c.setLineWidth(0.5)
    w.c.line(LEFT, w.y + 2 * mm, RIGHT, w.y + 2 * mm)
    for block in blocks:
        for line in block:
            w.text(LEFT, w.y, line, 6.5, color=MUTED)
            w.y -= 2.8 * mm
        w.y -= 0.6 * mm


def _draw(canvas: Canvas, doc: NoticeDocument) -> int:
    """Draw one letter from the current page on; return its page count."""
    words = wd.letter_wording(doc)
    w = _Letter(canvas, doc)
    _header(w, words.title)
    w.paragraph(words.salutation, 9, after=1.5 * mm)
    for text in words.opening:
        w.paragraph(text, 9, after=1.5 * mm, bold=text == wd.CIVIL_CODE_1344)
    w.y -= 1 * mm
    _items(w)
    _fees(w)
    _pay_by(w, words.pay_by_line)
    for text in words.fees_notice:
        w.paragraph(text, 8.5)
    for text in words.consequences:
        w.paragraph(text, 9, bold=doc.formal_notice)
    _agency(w, words.agency)
    w.heading(words.payment_heading)
    _bullets(w, words.payment)
    w.heading(words.help_heading)
    for text in words.help:
        w.paragraph(text, 8, after=1.2 * mm)
    w.y -= 1 * mm
    w.paragraph(words.closing, 9, after=1 * mm)
    w.paragraph(words.signature, 9, bold=True, after=2 * mm)
    _contacts(w, words.contacts)
    w.footer()
    canvas.showPage()
    # The guardrails see every string the page carries, table cells and footer included.
    wd.check_wording(doc, "\n".join(w.strings))
    return w.pages


def _canvas(buffer: BinaryIO, title: str, author: str) -> Canvas:
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setCreator("Robinet")
    canvas.setLineWidth(0.5)
    return canvas


def render_notice_pdf(doc: NoticeDocument) -> bytes:
    """One dunning letter as A4 PDF bytes (deterministic: same document, same bytes)."""
    buffer = io.BytesIO()
    kind = "Mise en demeure" if doc.formal_notice else "Relance"
    with _binary_streams():
        canvas = _canvas(buffer, f"{kind} {doc.number}", doc.utility.name)
        canvas.setSubject(f"{kind} {doc.number} — compte {doc.account_number}")
        _draw(canvas, doc)
        canvas.save()
    return buffer.getvalue()


@contextmanager
def _binary_streams() -> Iterator[None]:
    """Compressed page streams stay binary (no ASCII85): valid PDF, smaller and faster."""
    previous = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = previous


class LetterStream:
    """Letters drawn one after another on one canvas that writes to ``out`` when closed."""

    def __init__(self, out: BinaryIO, *, title: str = "Avis de relance") -> None:
        self.out = out
        self.title = title
        self.canvas: Canvas | None = None
        self.pages = 0
        self.first_pages: list[int] = []

    def add(self, doc: NoticeDocument) -> int:
        """Draw one letter; return its page count."""
        if self.canvas is None:
            self.canvas = _canvas(self.out, self.title, doc.utility.name)
        self.first_pages.append(self.pages + 1)
        with _binary_streams():
            pages = _draw(self.canvas, doc)
        self.pages += pages
        return pages

    def close(self) -> None:
        if self.canvas is not None:
            with _binary_streams():
                self.canvas.save()


def render_notices_batch(docs: Iterable[NoticeDocument], *, title: str = "") -> RenderedBatch:
    """A print batch on one canvas: each letter from a new page; pages counted as drawn."""
    buffer = io.BytesIO()
    stream = LetterStream(buffer, title=title or "Avis de relance")
    for doc in docs:
        stream.add(doc)
    stream.close()
    return RenderedBatch(buffer.getvalue(), stream.pages, tuple(stream.first_pages))


def render_notices_pdf(docs: Iterable[NoticeDocument]) -> bytes:
    """One PDF for a print batch, one letter per account (see :func:`render_notices_batch`)."""
    return render_notices_batch(docs).pdf


def pdf_page_count(pdf: bytes) -> int:
    """Pages of a PDF (pypdf), for checks on what was written."""
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages) if pdf else 0
