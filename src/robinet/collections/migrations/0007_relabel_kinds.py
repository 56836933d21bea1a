"""Re-label the blocks and events written before they had their own kinds (issue 9).

Litigation files held dunning with a ``manual`` block whose reference is the
file number; litigation, insolvency and agency events reused ``block``,
``contact`` and ``unblock``; signing a plan and cancelling a promise were
``contact``. A row is re-labelled only where it can be told apart: by the
number of its file (or the ``AGC-<id>`` reference of its assignment) in its
reference or summary, on the same account, or by its link to a plan or a
promise. Anything else keeps its kind.
"""

import re

from django.db import migrations

LITIGATION = {"block": "litigation_opened", "unblock": "litigation_closed"}
INSOLVENCY = {
    "block": "insolvency_opened",
    "contact": "insolvency_stage",
    "unblock": "insolvency_closed",
}
BACK = {
    "litigation_opened": "block",
    "litigation_stage": "contact",
    "litigation_cost": "contact",
    "litigation_closed": "unblock",
    "insolvency_opened": "block",
    "insolvency_stage": "contact",
    "insolvency_closed": "unblock",
    "agency_assigned": "block",
    "agency_reported": "contact",
    "agency_recalled": "unblock",
    "agency_closed": "unblock",
    "plan_signed": "contact",
    "promise_cancelled": "contact",
}


def _cites(number: str, summary: str) -> bool:
    """``summary`` names ``number`` (CTX-2026-1 is not CTX-2026-12)."""
    return re.search(re.escape(number) + r"(?!\d)", summary) is not None


def _relabel(Event, files, choose) -> None:
    """``files``: (account id, number, extra); ``choose(event, extra)`` → new kind or None."""
    by_account: dict[int, list] = {}
    for account_id, number, extra in files:
        by_account.setdefault(account_id, []).append((number, extra))
    for account_id, numbers in by_account.items():
        events = Event.objects.filter(
            account_id=account_id, kind__in=("block", "unblock", "contact")
        ).only("pk", "kind", "summary")
        for event in events:
            for number, extra in numbers:
                if number and not _cites(number, event.summary):
                    continue
                kind = choose(event, number, extra)
                if kind:
                    Event.objects.filter(pk=event.pk).update(kind=kind)
                    break


def forwards(apps, schema_editor):
    Block = apps.get_model("collections", "CollectionBlock")
    Event = apps.get_model("collections", "CollectionEvent")
    LitigationFile = apps.get_model("collections", "LitigationFile")
    InsolvencyFile = apps.get_model("collections", "InsolvencyFile")
    Assignment = apps.get_model("collections", "AgencyAssignment")

    litigation = list(LitigationFile.objects.values_list("account_id", "number"))
    for account_id, number in litigation:
        Block.objects.filter(account_id=account_id, reason="manual", reference=number).update(
            reason="litigation"
        )

    def litigation_kind(event, number, _extra):
        if event.kind == "contact":
            return "litigation_cost" if " : frais " in event.summary else "litigation_stage"
        return LITIGATION.get(event.kind)

    _relabel(Event, [(a, n, None) for a, n in litigation], litigation_kind)

    insolvency = InsolvencyFile.objects.values_list("account_id", "number")
    _relabel(Event, [(a, n, None) for a, n in insolvency], lambda e, n, x: INSOLVENCY[e.kind])

    assignments = list(Assignment.objects.values_list("account_id", "pk", "agency__name"))

    def agency_kind(event, number, _name):
        if event.kind == "block":
            return "agency_assigned"
        if event.kind == "unblock":
            return "agency_recalled" if "rappelée" in event.summary else "agency_closed"
        return None

    _relabel(Event, [(a, f"({'AGC-%s' % pk})", n) for a, pk, n in assignments], agency_kind)

    def report_kind(event, _number, name):
        if event.kind == "contact" and event.summary.startswith(f"Agence {name} — "):
            return "agency_reported"
        return None

    _relabel(Event, [(a, "", n) for a, _pk, n in assignments], report_kind)

    Event.objects.filter(kind="contact", plan__isnull=False).update(kind="plan_signed")
    Event.objects.filter(kind="contact", promise__isnull=False).update(kind="promise_cancelled")


def backwards(apps, schema_editor):
    Block = apps.get_model("collections", "CollectionBlock")
    Event = apps.get_model("collections", "CollectionEvent")
    Block.objects.filter(reason="litigation").update(reason="manual")
    for new, old in BACK.items():
        Event.objects.filter(kind=new).update(kind=old)


class Migration(migrations.Migration):
    dependencies = [
        ("collections", "0006_dedicated_kinds"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
