"""A sample PES V2 file of a régie (issue 7), for newcomers to read.

The demo utility is not a régie: its invoices are collected and dunned by
Robinet. To show what a régie would send to the public accountant, the latest
finished billing run is titled as if it were one, the file is written under
``var/demo/pes/`` with a sample recovery-status file for its first titles,
and everything the export wrote in the database is rolled back: no title is
kept, the demo's dunning is unchanged. Idempotent.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.test.utils import override_settings

from robinet.conf import VAR_DIR
from robinet.core.exceptions import ApplicationError
from robinet.core.models import BatchRun
from robinet.pes.services import pes_export


class _Rollback(Exception):
    pass


def seed_demo(today: dt.date, folder=None) -> dict[str, int]:
    """Write ``PES_…xml`` and ``retours-exemple.csv``; returns the number of titles in the sample."""
    folder = folder or VAR_DIR / "demo" / "pes"
    run = BatchRun.objects.filter(kind="billing", state="done").order_by("-pk").first()
    if run is None:
        return {"pes_titles": 0}
    written: dict[str, object] = {}
    try:
        with override_settings(ROBINET_PUBLIC_REGIE=True), transaction.atomic():
            export = pes_export(actor=None, run=run, on=today)
            titles = list(export.title_rows.order_by("piece")[:3])
            written["name"], written["content"] = export.filename, bytes(export.content)
            written["titles"] = export.titles
            written["status"] = _status_sample(titles, today)
            raise _Rollback
    except _Rollback:
        pass
    except ApplicationError:
        return {"pes_titles": 0}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / str(written["name"])).write_bytes(written["content"])
    (folder / "retours-exemple.csv").write_text(str(written["status"]), encoding="utf-8")
    return {"pes_titles": int(written["titles"])}


def _status_sample(titles, today: dt.date) -> str:
    """What the accountant might send back: paid, under enforcement, written off."""
    lines = ["titre;statut;montant;date;reference"]
    words = ("payé", "poursuites en cours", "admis en non-valeur")
    for n, (title, word) in enumerate(zip(titles, words, strict=False), start=1):
        amount = "" if word.startswith("poursuites") else f"{title.amount}".replace(".", ",")
        lines.append(f"{title.number};{word};{amount};{today:%d/%m/%Y};DEMO-{n}")
    return "\n".join(lines) + "\n"
