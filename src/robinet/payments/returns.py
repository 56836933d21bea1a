"""Importing direct-debit returns and rejects (PAY-4).

A pain.002 status report or a camt.054 notification is read whole and
checked before anything is written: malformed XML, a currency other than
the euro, a file for another creditor account, an end-to-end id that names
no direct-debit payment of ours — each refuses the file with an error naming
the operation, and nothing is imported. The same file twice is refused by its
SHA-256 (and by its message id).

Then, in one transaction: each rejected or returned operation reverses its
payment (``payment_reverse`` with the reason code: the invoices it paid
reopen and dunning sees them again), a reject fee is billed to professionals
only when configured (COLL-1: never to individuals), and an account whose
last ``ROBINET_DIRECT_DEBIT_MAX_REJECTS`` direct debits were all rejected is
taken off direct debit. Accepted operations (ACCP/ACSC, reason 0000) are
recorded and reverse nothing.

The contract with the direct-debit files: each debit is booked as a payment
with ``means="direct_debit"`` and ``external_reference`` = its end-to-end id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from robinet.core import audit, clock
from robinet.core.exceptions import ApplicationError, NotFound, ValidationFailed
from robinet.core.imports import file_sha256
from robinet.customers.choices import CustomerClass
from robinet.organisation.access import require
from robinet.organisation.roles import Perm
from robinet.payments import camt054, pain002
from robinet.payments.bankxml import ReturnMessage
from robinet.payments.models import (
    BankReturnFile,
    Payment,
    PaymentMeans,
    PaymentReversal,
    ReturnItem,
    ReturnOutcome,
)
from robinet.payments.reason_codes import label
from robinet.payments.services import payment_reverse

READERS = {pain002.KIND: pain002, camt054.KIND: camt054}


def max_rejects() -> int:
    """Consecutive rejects after which direct debit stops (default 2)."""
    return max(1, int(getattr(settings, "ROBINET_DIRECT_DEBIT_MAX_REJECTS", 2)))


def reject_fee_code() -> str:
    """Price-list item billed to professionals on a reject (default FRAIS-REJET; "" = no fee)."""
    return getattr(settings, "ROBINET_DIRECT_DEBIT_REJECT_FEE", "FRAIS-REJET") or ""


class ReturnFileAlreadyImported(ApplicationError):
    http_status = 409

    def __init__(self, earlier: BankReturnFile) -> None:
        super().__init__(
            _("Ce fichier de retours a déjà été importé le %(date)s (« %(name)s », %(msg)s).")
            % {
                "date": timezone.localtime(earlier.imported_at).strftime("%d/%m/%Y %H:%M"),
                "name": earlier.filename,
                "msg": earlier.message_id,
            },
            code="already_imported",
            data={"return_file_id": earlier.pk},
        )
        self.earlier = earlier


@dataclass
class ReturnImportOutcome:
    file: BankReturnFile
    reversed: list[ReturnItem] = field(default_factory=list)
    accepted: list[ReturnItem] = field(default_factory=list)
    already_reversed: list[ReturnItem] = field(default_factory=list)
    fees: int = 0
    direct_debit_stopped: list[str] = field(default_factory=list)  # account numbers


def detect(data: bytes) -> bool:
    """For the generic ``robinet bank import``: is this a pain.002 or a camt.054 of returns?"""
    return pain002.detect(data) or camt054.detect(data)


def parse(data: bytes) -> ReturnMessage:
    """Read a pain.002 or camt.054 (the type is recognised), validated whole."""
    if pain002.detect(data):
        return pain002.parse(data)
    if camt054.detect(data):
        return camt054.parse(data)
    raise ValidationFailed(
        {"file": [_("Type de fichier non reconnu : attendu un pain.002 ou un camt.054.")]}
    )


def import_file(*, actor, data: bytes, filename: str, check_permission: bool = True):
    """Entry point for the generic bank import (same as :func:`return_file_import`)."""
    return return_file_import(
        actor=actor, data=data, filename=filename, check_permission=check_permission
    )


def return_file_import(
    *, actor, data: bytes, filename: str, check_permission: bool = True
) -> ReturnImportOutcome:
    """Import a pain.002 or camt.054: reverse exactly the rejected payments (PAY-4), atomically."""
    if check_permission:
        require(actor, Perm.PAYMENT_IMPORT)
    sha = file_sha256(data)
    earlier = BankReturnFile.objects.filter(sha256=sha).first()
    if earlier is not None:
        raise ReturnFileAlreadyImported(earlier)
    message = parse(data)
    earlier = BankReturnFile.objects.filter(
        kind=message.kind, message_id=message.message_id
    ).first()
    if earlier is not None:
        raise ReturnFileAlreadyImported(earlier)
    _check_account(message)
    payments = _payments_for(message)
    try:
        with transaction.atomic():
            return _write(
                actor=actor, message=message, sha=sha, filename=filename, payments=payments
            )
    except IntegrityError:
        earlier = BankReturnFile.objects.filter(sha256=sha).first() or (
            BankReturnFile.objects.filter(kind=message.kind, message_id=message.message_id).first()
        )
        if earlier is not None:
            raise ReturnFileAlreadyImported(earlier) from None
        raise


def _check_account(message: ReturnMessage) -> None:
    ours = (settings.ROBINET_UTILITY.get("iban") or "").replace(" ", "").upper()
    if message.account_iban and ours and message.account_iban.upper() != ours:
        raise ValidationFailed(
            {
                "file": [
                    _(
                        "Ce fichier concerne le compte %(theirs)s, pas le compte créancier "
                        "de la régie (%(ours)s) : rien n'a été importé."
                    )
                    % {"theirs": message.account_iban, "ours": ours}
                ]
            }
        )


def _payments_for(message: ReturnMessage) -> dict[str, Payment]:
    """The direct-debit payments named by the file's rejects; unknown ids refuse the file."""
    wanted = [e.end_to_end_id for e in message.entries]
    found = {
        p.external_reference: p
        for p in Payment.objects.select_related("account", "centre").filter(
            means=PaymentMeans.DIRECT_DEBIT, external_reference__in=wanted
        )
    }
    errors = []
    for entry in message.entries:
        payment = found.get(entry.end_to_end_id)
        where = _("Opération %(n)s (%(e2e)s)") % {"n": entry.position, "e2e": entry.end_to_end_id}
        if payment is None:
            if not entry.accepted:
                errors.append(
                    _("%(where)s : aucun prélèvement enregistré sous cette référence.")
                    % {"where": where}
                )
            continue
        if not entry.accepted and payment.amount != entry.amount:
            errors.append(
                _(
                    "%(where)s : montant %(amount)s € différent du prélèvement %(number)s (%(paid)s €)."
                )
                % {
                    "where": where,
                    "amount": entry.amount,
                    "number": payment.number,
                    "paid": payment.amount,
                }
            )
    if errors:
        raise ValidationFailed({"file": errors})
    return found


def _write(*, actor, message, sha, filename, payments) -> ReturnImportOutcome:
    rejected = [e for e in message.entries if not e.accepted]
    return_file = BankReturnFile.objects.create(
        kind=message.kind,
        sha256=sha,
        message_id=message.message_id[:35],
        filename=Path(filename or "").name[:255],
        items_count=len(message.entries),
        rejected_count=len(rejected),
        accepted_count=len(message.entries) - len(rejected),
        imported_at=clock.now(),
        imported_by=actor if getattr(actor, "pk", None) else None,
    )
    outcome = ReturnImportOutcome(file=return_file)
    reversed_ids = set(
        PaymentReversal.objects.filter(
            payment_id__in=[p.pk for p in payments.values()]
        ).values_list("payment_id", flat=True)
    )
    touched_accounts = {}
    today = clock.today()
    for entry in message.entries:
        payment = payments.get(entry.end_to_end_id)
        common = {
            "file": return_file,
            "position": entry.position,
            "end_to_end_id": entry.end_to_end_id[:35],
            "status": entry.status[:8],
            "amount": entry.amount,
            "payment": payment,
        }
        if entry.accepted:
            outcome.accepted.append(
                ReturnItem.objects.create(outcome=ReturnOutcome.ACCEPTED, **common)
            )
            continue
        reason_label = label(entry.reason_code)
        if payment.pk in reversed_ids:
            outcome.already_reversed.append(
                ReturnItem.objects.create(
                    outcome=ReturnOutcome.ALREADY_REVERSED,
                    reason_code=entry.reason_code[:8],
                    reason_label=reason_label[:160],
                    **common,
                )
            )
            continue
        reversal = payment_reverse(
            actor=actor,
            payment=payment,
            reason=_("Rejet de prélèvement %(code)s : %(label)s")
            % {"code": entry.reason_code, "label": reason_label},
            reason_code=entry.reason_code,
            on=max(today, payment.received_on),
            check_permission=False,
        )
        reversed_ids.add(payment.pk)
        fee_invoice = _reject_fee(payment, entry.reason_code, reason_label)
        if fee_invoice is not None:
            outcome.fees += 1
        outcome.reversed.append(
            ReturnItem.objects.create(
                outcome=ReturnOutcome.REVERSED,
                reason_code=entry.reason_code[:8],
                reason_label=reason_label[:160],
                reversal=reversal,
                fee_invoice=fee_invoice,
                **common,
            )
        )
        touched_accounts[payment.account_id] = payment.account
    for account in touched_accounts.values():
        if _stop_direct_debit_if_needed(actor=actor, account=account):
            outcome.direct_debit_stopped.append(account.number)
    audit.record(
        actor=actor,
        verb="bank_returns_imported",
        target=return_file,
        data={
            "kind": message.kind,
            "message_id": message.message_id,
            "reversed": len(outcome.reversed),
            "accepted": len(outcome.accepted),
            "already_reversed": len(outcome.already_reversed),
        },
    )
    return outcome


def _reject_fee(payment: Payment, code: str, reason_label: str):
    """Bill the configured reject fee to a professional (COLL-1: never to an individual)."""
    fee_code = reject_fee_code()
    account = payment.account
    if not fee_code or account.customer_class == CustomerClass.INDIVIDUAL:
        return None
    from robinet.billing.fees import fees_invoice_issue
    from robinet.billing.models import PriceListItem

    item = PriceListItem.objects.filter(code=fee_code).first()
    if item is None or not item.is_active_on(clock.today()):
        return None
    # Billed by the system on the configured rule: no officer's fee permission involved.
    return fees_invoice_issue(
        actor=None,
        account=account,
        items=[(fee_code, 1)],
        reason=_("Frais de rejet du prélèvement %(number)s (%(code)s : %(label)s)")
        % {"number": payment.number, "code": code, "label": reason_label},
    )


def consecutive_rejects(account) -> int:
    """How many of the account's latest direct debits in a row were rejected (PAY-4)."""
    count = 0
    latest = (
        Payment.objects.filter(account=account, means=PaymentMeans.DIRECT_DEBIT)
        .order_by("-received_on", "-pk")
        .values_list("pk", "reversal__return_item__outcome")[: max_rejects() + 20]
    )
    for _pk, item_outcome in latest:
        if item_outcome != ReturnOutcome.REVERSED:
            break
        count += 1
    return count


def _stop_direct_debit_if_needed(*, actor, account) -> bool:
    account.refresh_from_db(fields=["direct_debit"])
    rejects = consecutive_rejects(account)
    if not account.direct_debit or rejects < max_rejects():
        return False
    type(account).objects.filter(pk=account.pk).update(direct_debit=False)
    account.direct_debit = False
    audit.record(
        actor=actor,
        verb="direct_debit_stopped",
        target=account,
        changes={"direct_debit": [True, False]},
        data={"consecutive_rejects": rejects, "limit": max_rejects()},
    )
    return True


# --- selectors -----------------------------------------------------------------------------


def return_file_list(*, user):
    require(user, Perm.PAYMENT_VIEW)
    return BankReturnFile.objects.order_by("-imported_at", "-pk")


def return_file_get(*, user, pk: int) -> BankReturnFile:
    require(user, Perm.PAYMENT_VIEW)
    found = BankReturnFile.objects.filter(pk=pk).first()
    if found is None:
        raise NotFound(_("Fichier de retours introuvable."))
    return found


def return_items(return_file: BankReturnFile):
    return return_file.items.select_related("payment__account", "reversal", "fee_invoice").order_by(
        "position"
    )
