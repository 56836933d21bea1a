"""Importing the public accountant's recovery statuses and reconciling them on the accounts.

The file (CSV, ``docs/import-formats.md``) has one line per event on a title:
``titre;statut;montant;date;reference``. It is parsed and checked whole —
every line against the title and against what the previous lines of the file
already did to it — before anything is written; the same file twice is
refused by its SHA-256. Then, in one transaction:

* **payé** → a payment of means *comptable public* booked through
  :mod:`robinet.payments.booking`, named to the title's invoice (it clears it
  first, PAY-1); the amount may not exceed what the invoice still owes;
* **poursuites en cours** → the title's status and the account's collection
  timeline (COLL-13); Robinet's own dunning already skips titled invoices;
* **admis en non-valeur** → a write-off credit item (kind ``write_off``)
  allocated to the invoice and posted 654 / 411 (or 416) like COLL-11's, with
  the provision released — no four-eyes request: the decision is the
  accountant's (its reference is kept);
* **annulé** → the status only: a title is cancelled after the régie's credit
  note, which already cleared the invoice (refused while the invoice is due).

Every line is also an event on the account's timeline and a
:class:`~robinet.pes.models.TitleEvent`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _
from unidecode import unidecode

from robinet.collections.choices import EventKind
from robinet.collections.events import event_record
from robinet.collections.provisions import release_for_write_off
from robinet.core import audit, clock
from robinet.core.imports import (
    ImportErrors,
    Source,
    ensure_not_imported,
    file_sha256,
    read_bytes,
    read_csv,
    record_import,
)
from robinet.core.models.imports import ImportFile
from robinet.core.money import to_decimal
from robinet.ledger import posting
from robinet.ledger.models import OpenItem, OpenItemKind
from robinet.ledger.services import _write_allocations
from robinet.organisation.access import require
from robinet.organisation.roles import Perm
from robinet.payments.booking import IncomingPayment, book_payments
from robinet.payments.models import PaymentMeans
from robinet.pes.choices import STATUS_IMPORT_KIND, STATUS_WORDS, ReportedStatus, TitleStatus
from robinet.pes.models import Title, TitleEvent

ZERO = Decimal("0.00")
REQUIRED = ("titre", "statut", "date")
OPTIONAL = ("montant", "reference")


def parse_status(value: str) -> str | None:
    folded = " ".join(unidecode(value or "").lower().replace("_", " ").split())
    return STATUS_WORDS.get(folded)


def parse_day(value: str) -> dt.date | None:
    """JJ/MM/AAAA (French spreadsheets) or AAAA-MM-JJ."""
    value = value.strip()
    try:
        if "/" in value:
            day, month, year = value.split("/")
            if len(year) != 4:
                return None
            return dt.date(int(year), int(month), int(day))
        return dt.date.fromisoformat(value)
    except (ValueError, OverflowError):  # a day of forty digits is not a date either
        return None


def _parse(data: bytes, errors: ImportErrors) -> list[dict]:
    reader = read_csv(data, required=REQUIRED, optional=OPTIONAL, errors=errors)
    today = clock.today()
    rows = []
    for line, row in reader:
        number = row["titre"].strip().upper()
        status = parse_status(row["statut"])
        on = parse_day(row["date"])
        if not number:
            errors.add(line, "titre", _("numéro de titre manquant."))
        if status is None:
            errors.add(
                line,
                "statut",
                _(
                    "statut « %(s)s » inconnu (attendu : payé, poursuites en cours, "
                    "admis en non-valeur, annulé)."
                )
                % {"s": row["statut"]},
            )
        if on is None:
            errors.add(
                line, "date", _("date « %(d)s » invalide (JJ/MM/AAAA).") % {"d": row["date"]}
            )
        elif on > today:
            errors.add(line, "date", _("date dans le futur."))
        amount = ZERO
        if row["montant"]:
            try:
                amount = to_decimal(row["montant"])
            except (ValueError, TypeError, InvalidOperation):
                errors.add(
                    line, "montant", _("montant « %(m)s » invalide.") % {"m": row["montant"]}
                )
                amount = None
            else:
                if amount < 0 or amount.as_tuple().exponent < -2:
                    errors.add(
                        line,
                        "montant",
                        _("montant négatif ou à plus de deux décimales : %(m)s.")
                        % {"m": row["montant"]},
                    )
                    amount = None
        needs_amount = status in (ReportedStatus.PAID, ReportedStatus.WRITTEN_OFF)
        if amount is not None and needs_amount and amount <= 0:
            errors.add(line, "montant", _("montant obligatoire et positif pour ce statut."))
        if len(row["reference"]) > 40:
            errors.add(line, "reference", _("40 caractères au plus."))
        rows.append(
            {
                "line": line,
                "number": number,
                "status": status,
                "on": on,
                "amount": amount if amount is not None else ZERO,
                "reference": row["reference"][:40],
            }
        )
    if not rows and not errors:
        errors.add(None, None, _("le fichier ne contient aucune ligne."))
    return rows


def _check(rows: list[dict], titles: dict[str, Title], opens: dict[int, OpenItem], actor, errors):
    """Check each line against its title and the lines before it (nothing written)."""
    scope = require(actor, Perm.PAYMENT_IMPORT) if actor is not None else None
    remaining = {title.pk: opens[title.invoice_id].open_amount for title in titles.values()}
    for row in rows:
        title = titles.get(row["number"])
        if title is None:
            if row["number"]:
                errors.add(row["line"], "titre", _("titre %(n)s inconnu.") % {"n": row["number"]})
            continue
        if scope is not None and not scope.covers(Perm.PAYMENT_IMPORT, title.account.centre):
            errors.add(
                row["line"],
                "titre",
                _("le titre %(n)s est hors de votre périmètre.") % {"n": title.number},
            )
            continue
        status, amount, left = row["status"], row["amount"], remaining[title.pk]
        if row["on"] is not None and row["on"] < title.export.issued_on:
            errors.add(
                row["line"],
                "date",
                _("date antérieure à l'émission du titre (%(d)s).")
                % {"d": title.export.issued_on.strftime("%d/%m/%Y")},
            )
        if status in (ReportedStatus.PAID, ReportedStatus.WRITTEN_OFF) and amount > left:
            errors.add(
                row["line"],
                "montant",
                _("%(m)s € dépasse ce que la facture %(f)s doit encore (%(r)s €).")
                % {"m": amount, "f": title.invoice.number, "r": left},
            )
            continue
        if status in (ReportedStatus.PAID, ReportedStatus.WRITTEN_OFF):
            remaining[title.pk] = left - amount
        elif status == ReportedStatus.ENFORCEMENT and left <= 0:
            errors.add(
                row["line"],
                "statut",
                _("poursuites sur le titre %(n)s alors que la facture est soldée.")
                % {"n": title.number},
            )
        elif status == ReportedStatus.CANCELLED and left > 0:
            errors.add(
                row["line"],
                "statut",
                _(
                    "titre %(n)s annulé alors que la facture doit encore %(r)s € : "
                    "émettez d'abord l'avoir."
                )
                % {"n": title.number, "r": left},
            )


def _load(numbers) -> tuple[dict[str, Title], dict[int, OpenItem]]:
    titles = {
        t.number: t
        for t in Title.objects.select_related("invoice", "account__centre", "export").filter(
            number__in=numbers
        )
    }
    opens = {
        o.invoice_id: o
        for o in OpenItem.objects.select_for_update().filter(
            invoice_id__in=[t.invoice_id for t in titles.values()]
        )
    }
    return titles, opens


def _write_off(*, actor, title: Title, item: OpenItem, amount: Decimal, row: dict) -> OpenItem:
    """Book the accountant's *admission en non-valeur* like COLL-11's write-offs."""
    on = row["on"]
    account = title.account
    number = f"ANV {title.number}"[:20]
    credit = OpenItem.objects.create(
        account=account,
        kind=OpenItemKind.WRITE_OFF,
        document_number=number,
        label=_("Admission en non-valeur (comptable public)")[:120],
        posted_on=on,
        due_date=on,
        amount=-amount,
        open_amount=-amount,
    )
    reference = row["reference"] or title.number
    _write_allocations(
        [(item, credit, amount)],
        on=on,
        actor=actor,
        manual=True,
        reason=_("Admission en non-valeur du comptable public %(r)s") % {"r": reference},
    )
    from_doubtful, released = release_for_write_off([item], amounts={item.pk: amount})
    doubtful = sum(from_doubtful.values(), ZERO)
    entries = [
        posting.write_off_entry(
            on=on,
            number=number,
            account_id=account.pk,
            centre_id=account.centre_id,
            from_customers=amount - doubtful,
            from_doubtful=doubtful,
        )
    ]
    if released:
        entries.append(
            posting.provision_entry(
                on=on,
                piece_ref=number,
                centre_id=account.centre_id,
                increase=ZERO,
                decrease=released,
                label="Reprise de dépréciation " + number,
            )
        )
    posting.post(entries)
    item.refresh_from_db(fields=["open_amount", "cleared_on"])
    return credit


SUMMARIES = {
    ReportedStatus.PAID: "Titre %(n)s : %(m)s € recouvrés par le comptable public%(r)s.",
    ReportedStatus.ENFORCEMENT: "Titre %(n)s : poursuites engagées par le comptable public%(r)s.",
    ReportedStatus.WRITTEN_OFF: (
        "Titre %(n)s : %(m)s € admis en non-valeur par le comptable public%(r)s."
    ),
    ReportedStatus.CANCELLED: "Titre %(n)s annulé par le comptable public%(r)s.",
}


def _next_status(title: Title, row: dict, invoice_open: Decimal) -> str:
    status = row["status"]
    if status == ReportedStatus.PAID:
        return TitleStatus.PAID if invoice_open <= 0 else TitleStatus.PARTLY_PAID
    return {
        ReportedStatus.ENFORCEMENT: TitleStatus.ENFORCEMENT,
        ReportedStatus.WRITTEN_OFF: TitleStatus.WRITTEN_OFF,
        ReportedStatus.CANCELLED: TitleStatus.CANCELLED,
    }[status]


def status_import(*, actor, source: Source, filename: str) -> ImportFile:
    """Import one recovery-status file; returns its import record (``outcome`` has the counts).

    ``actor=None`` is the system (``robinet pes import-status``).
    """
    if actor is not None:
        require(actor, Perm.PAYMENT_IMPORT)
    data = read_bytes(source)
    sha = file_sha256(data)
    ensure_not_imported(STATUS_IMPORT_KIND, sha)
    errors = ImportErrors()
    rows = _parse(data, errors)
    with transaction.atomic():
        titles, opens = _load({row["number"] for row in rows if row["number"]})
        _check(rows, titles, opens, actor, errors)
        errors.raise_if_any()
        counts: dict[str, int] = defaultdict(int)
        amounts: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for row in rows:
            counts[row["status"]] += 1
            amounts[row["status"]] += row["amount"]
        outcome = {
            "lines": len(rows),
            **{f"{status}_count": counts[status] for status in ReportedStatus.values},
            "paid_amount": str(amounts[ReportedStatus.PAID]),
            "written_off_amount": str(amounts[ReportedStatus.WRITTEN_OFF]),
        }
        record = record_import(
            kind=STATUS_IMPORT_KIND,
            sha256=sha,
            filename=filename,
            rows=len(rows),
            actor=actor,
            outcome=outcome,
        )
        paid_rows = [row for row in rows if row["status"] == ReportedStatus.PAID]
        payment_ids = book_payments(
            [
                IncomingPayment(
                    account_id=titles[row["number"]].account_id,
                    centre_id=titles[row["number"]].account.centre_id,
                    account_centre_id=titles[row["number"]].account.centre_id,
                    means=PaymentMeans.ACCOUNTANT,
                    amount=row["amount"],
                    received_on=row["on"],
                    invoice_id=titles[row["number"]].invoice_id,
                    payer_reference=(row["reference"] or titles[row["number"]].number)[:140],
                    external_reference=f"PES {record.pk}/{row['line']}",
                )
                for row in paid_rows
            ],
            actor=actor,
        )
        payments = {row["line"]: pid for row, pid in zip(paid_rows, payment_ids, strict=True)}
        items = {
            o.invoice_id: o
            for o in OpenItem.objects.filter(invoice_id__in=[t.invoice_id for t in titles.values()])
        }
        now = clock.now()
        events = []
        for row in rows:
            title = titles[row["number"]]
            item = items[title.invoice_id]
            write_off = None
            if row["status"] == ReportedStatus.WRITTEN_OFF:
                write_off = _write_off(
                    actor=actor, title=title, item=item, amount=row["amount"], row=row
                )
                title.written_off += row["amount"]
            elif row["status"] == ReportedStatus.PAID:
                title.paid += row["amount"]
            if title.status_on is None or row["on"] >= title.status_on:
                title.status = _next_status(title, row, item.open_amount)
                title.status_on = row["on"]
            if row["reference"]:
                title.reference = row["reference"]
            events.append(
                TitleEvent(
                    title=title,
                    import_file=record,
                    line=row["line"],
                    status=row["status"],
                    amount=row["amount"],
                    occurred_on=row["on"],
                    reference=row["reference"],
                    payment_id=payments.get(row["line"]),
                    write_off_item=write_off,
                    created_at=now,
                )
            )
            event_record(
                account=title.account,
                kind=EventKind.ACCOUNTANT,
                on=row["on"],
                actor=actor,
                summary=_(SUMMARIES[row["status"]])
                % {
                    "n": title.number,
                    "m": row["amount"],
                    "r": f" ({row['reference']})" if row["reference"] else "",
                },
            )
        TitleEvent.objects.bulk_create(events)
        for title in {t.pk: t for t in titles.values()}.values():
            title.save(update_fields=["status", "status_on", "paid", "written_off", "reference"])
        audit.record(
            actor=actor,
            verb="pes.status_imported",
            target=record,
            data={"filename": record.filename, **outcome},
        )
        return record
