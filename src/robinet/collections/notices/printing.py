"""Printing the dunning letters of many notices into one PDF stream (COLL-2).

:func:`notices_print` takes the notices to print (a queryset), keeps those
whose actions ask for a paper letter (``letter`` or ``formal_notice``) and,
unless ``reprint=True``, not printed yet; sorts them in postal order
(postcode, city, name) for the print shop; loads them ``batch_size`` at a
time (three queries a batch, :func:`~.document.notice_documents`) and draws
every letter on one canvas that writes a single PDF to ``out``. Once the PDF
is written, ``printed_at`` is recorded on the letters it holds.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import BinaryIO

from django.db import transaction
from django.db.models import QuerySet

from robinet.core import clock

from .document import FORMAL_NOTICE, LETTER, notice_documents
from .pdf import LetterStream

LETTER_ACTIONS = frozenset({LETTER, FORMAL_NOTICE})


@dataclass(frozen=True, slots=True)
class PrintResult:
    notices: int
    pages: int
    seconds: float
    first_pages: tuple[int, ...] = ()  # of each letter, in printing order


def letters_to_print(notices: QuerySet, *, reprint: bool = False) -> list[int]:
    """Ids of the notices that take a paper letter, in postal order."""
    if not reprint:
        notices = notices.filter(printed_at__isnull=True)
    rows = notices.order_by(
        "account__party__country",
        "account__party__postcode",
        "account__party__city",
        "account__party__name",
        "number",
    ).values_list("pk", "actions")
    # Actions are a JSON list: filtered here (``__contains`` on JSON is not portable to SQLite).
    return [pk for pk, actions in rows if LETTER_ACTIONS.intersection(actions or ())]


def notices_print(
    notices: QuerySet,
    out: BinaryIO,
    *,
    batch_size: int = 500,
    reprint: bool = False,
    now: dt.datetime | None = None,
    agency: dict | None = None,
) -> PrintResult:
    """Write the letters of ``notices`` as one PDF to ``out`` and mark them printed."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    started = time.perf_counter()
    ids = letters_to_print(notices, reprint=reprint)
    if not ids:
        return PrintResult(0, 0, time.perf_counter() - started)
    stream = LetterStream(out, title="Avis de relance — impression")
    for start in range(0, len(ids), batch_size):
        for doc in notice_documents(ids[start : start + batch_size], agency=agency):
            stream.add(doc)
    stream.close()
    moment = now or clock.now()
    from robinet.collections.models import DunningNotice

    with transaction.atomic():
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size]
            query = DunningNotice.objects.filter(pk__in=chunk)
            if not reprint:
                query = query.filter(printed_at__isnull=True)
            query.update(printed_at=moment)
    return PrintResult(
        notices=len(stream.first_pages),
        pages=stream.pages,
        seconds=time.perf_counter() - started,
        first_pages=tuple(stream.first_pages),
    )
