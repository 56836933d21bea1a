"""``robinet import open-items FILE.csv``: opening balances taken over from a legacy system (PAY-1).

One line per open document of the old system (an unpaid invoice, an
unallocated payment): the account, the legacy document number, its date, its
due date and its open amount (positive owed by the customer, negative owed to
the customer). Each line becomes an open item of kind *opening* and a journal
entry in the à-nouveaux journal (customers against the take-over suspense
account 471), so that the reconciliation holds from day one. Atomic: the
whole file is checked before anything is written; the same file twice is
refused.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from robinet.core import clock
from robinet.core.bulk import collector_paused, insert_rows
from robinet.core.imports import (
    ImportErrors,
    Source,
    ensure_not_imported,
    file_sha256,
    read_csv,
    record_import,
)
from robinet.core.money import is_rounded, to_decimal
from robinet.customers.imports import ImportResult
from robinet.customers.models import CustomerAccount
from robinet.ledger import posting
from robinet.ledger.models import Journal, OpenItem, OpenItemKind

KIND = "open_items"
REQUIRED = ["account", "document", "date", "amount"]
OPTIONAL = ["due_date", "label"]
MAX_AMOUNT = Decimal("10000000000")

COLUMNS = (
    "account_id", "kind", "document_number", "label", "posted_on", "due_date", "amount",
    "open_amount",
)  # fmt: skip


def _date(errors: ImportErrors, line: int, name: str, raw: str, *, required: bool):
    import datetime as dt

    if not raw:
        if required:
            errors.add(line, name, _("Ce champ est obligatoire."))
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        try:
            return dt.datetime.strptime(raw, "%d/%m/%Y").date()  # noqa: DTZ007
        except ValueError:
            errors.add(line, name, _("Date invalide (attendu AAAA-MM-JJ ou JJ/MM/AAAA)."))
            return None


def _amount(errors: ImportErrors, line: int, raw: str) -> Decimal | None:
    try:
        amount = to_decimal(raw)
    except (ValueError, TypeError, InvalidOperation):
        errors.add(line, "amount", _("Montant invalide : « %(raw)s ».") % {"raw": raw})
        return None
    if amount == 0:
        errors.add(line, "amount", _("Un solde repris n'est jamais nul."))
    elif abs(amount) >= MAX_AMOUNT:  # before is_rounded: it cannot round 40 digits
        errors.add(line, "amount", _("Montant trop élevé."))
    elif not is_rounded(amount):
        errors.add(line, "amount", _("Le montant s'exprime au centime près."))
    else:
        return amount
    return None


@collector_paused()
def import_open_items(
    source: Source, *, filename: str | None = None, actor=None, force: bool = False
) -> ImportResult:
    filename = filename or (str(source) if not isinstance(source, bytes) else KIND)
    sha = file_sha256(source)
    if not force:
        ensure_not_imported(KIND, sha)
    errors = ImportErrors()
    reader = read_csv(source, required=REQUIRED, optional=OPTIONAL, errors=errors)
    rows = list(reader)
    numbers = {row["account"] for _line, row in rows if row["account"]}
    accounts = dict(CustomerAccount.objects.filter(number__in=numbers).values_list("number", "pk"))
    centres = dict(
        CustomerAccount.objects.filter(number__in=numbers).values_list("pk", "centre_id")
    )
    taken = set(
        OpenItem.objects.filter(
            kind=OpenItemKind.OPENING, account_id__in=accounts.values()
        ).values_list("account_id", "document_number")
    )
    seen: dict[tuple[int, str], int] = {}
    today = clock.today()
    parsed = []
    for line, row in rows:
        before = len(errors)
        account_id = accounts.get(row["account"])
        if not row["account"]:
            errors.add(line, "account", _("Ce champ est obligatoire."))
        elif account_id is None:
            errors.add(line, "account", _("Compte client inconnu : %(n)s.") % {"n": row["account"]})
        document = row["document"]
        if not document:
            errors.add(line, "document", _("Ce champ est obligatoire."))
        elif len(document) > 20:
            errors.add(line, "document", _("20 caractères au plus."))
        posted_on = _date(errors, line, "date", row["date"], required=True)
        due_date = _date(errors, line, "due_date", row["due_date"], required=False) or posted_on
        if posted_on and posted_on > today:
            errors.add(line, "date", _("La date ne peut pas être dans le futur."))
        amount = _amount(errors, line, row["amount"])
        if account_id is not None and document:
            key = (account_id, document)
            if key in taken:
                errors.add(line, "document", _("Ce document a déjà été repris sur ce compte."))
            elif key in seen:
                errors.add(
                    line, "document", _("Document en double (déjà ligne %(l)s).") % {"l": seen[key]}
                )
            seen[key] = line
        if len(errors) == before:
            label = (row["label"] or _("Solde repris"))[:120]
            parsed.append((account_id, document, label, posted_on, due_date, amount))
    if not rows and not errors:
        errors.add(None, None, _("Le fichier ne contient aucune ligne."))
    errors.raise_if_any()

    with transaction.atomic():
        record_import(
            kind=KIND, sha256=sha, filename=filename, rows=len(parsed), actor=actor, force=force
        )
        insert_rows(
            OpenItem,
            COLUMNS,
            (
                (a, OpenItemKind.OPENING.value, d, label, p, due, amount, amount)
                for a, d, label, p, due, amount in parsed
            ),
        )
        posting.post(
            [
                posting.transfer_entry(
                    journal=Journal.OPENING,
                    on=p,
                    piece_ref=d,
                    label=label,
                    centre_id=centres[a],
                    event="opening",
                    debit_role=posting.CUSTOMERS if amount > 0 else "opening",
                    credit_role="opening" if amount > 0 else posting.CUSTOMERS,
                    amount=abs(amount),
                    debit_account_id=a if amount > 0 else None,
                    credit_account_id=None if amount > 0 else a,
                )
                for a, d, label, p, _due, amount in parsed
            ]
        )
    return ImportResult(KIND, len(parsed), {"open_items": len(parsed)})
