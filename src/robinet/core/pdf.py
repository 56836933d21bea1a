"""Drawing text on a ReportLab canvas with the font and colour set only when they change.

Shared by the documents drawn directly on the canvas (bills, dunning letters):
ReportLab writes a font or colour operator each time it is set, and a
letter sets them thousands of times.
"""

from __future__ import annotations

from reportlab.lib.colors import Color, HexColor
from reportlab.pdfgen.canvas import Canvas

INK = HexColor("#1d2733")


class CanvasPen:
    regular = "Helvetica"
    bold = "Helvetica-Bold"
    text_size = 8

    def __init__(self, canvas: Canvas) -> None:
        self.c = canvas
        self._font: tuple[str, float] | None = None
        self._fill: Color | None = None

    def font(self, name: str, size: float) -> None:
        if self._font != (name, size):
            self.c.setFont(name, size)
            self._font = (name, size)

    def fill(self, color: Color) -> None:
        if self._fill is not color:
            self.c.setFillColor(color)
            self._fill = color

    def drawn(self, text: str) -> None:
        """Called with every string drawn (a letter checks its wording on them)."""

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: float | None = None,
        *,
        bold: bool = False,
        color: Color = INK,
        align: str = "left",
    ) -> None:
        self.drawn(text)
        self.font(self.bold if bold else self.regular, size or self.text_size)
        self.fill(color)
        if align == "right":
            self.c.drawRightString(x, y, text)
        elif align == "center":
            self.c.drawCentredString(x, y, text)
        else:
            self.c.drawString(x, y, text)
