"""Reader of pain.002 payment status reports for our direct debits (PAY-4).

Any version (001.001.03 to .10): elements are found by local name. Each
``TxInfAndSts`` is one operation: status ``RJCT`` (rejected, with a reason
code) or accepted (``ACCP``/``ACSC``…, or reason ``0000``), which must not be
reversed. A group- or batch-level rejection without operations is refused:
it names no payment. Pure: no database.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from robinet.payments.bankxml import (
    ReturnEntry,
    ReturnMessage,
    amount_of,
    child,
    descendants,
    raise_if_any,
    root_message,
    text,
    too_long,
)
from robinet.payments.reason_codes import is_accepted

KIND = "pain002"
MESSAGE = ("CstmrPmtStsRpt",)


def detect(data: bytes) -> bool:
    """Whether ``data`` looks like a pain.002 (namespace or message element)."""
    head = data[:4096]
    return b"pain.002" in head or b"CstmrPmtStsRpt" in head


def parse(data: bytes) -> ReturnMessage:
    """The operations of the report, validated whole (ValidationFailed lists every problem)."""
    message, _namespace = root_message(data, MESSAGE)
    errors: list[str] = []
    message_id = text(message, "GrpHdr", "MsgId")
    if not message_id:
        errors.append(_("En-tête : identifiant du message (MsgId) absent."))
    too_long(message_id, 35, "MsgId", _("En-tête"), errors)
    entries: list[ReturnEntry] = []
    seen: set[str] = set()
    transactions = descendants(message, "TxInfAndSts")
    if not transactions:
        errors.append(
            _("Le compte rendu ne détaille aucune opération (rejet global ou fichier vide).")
        )
    for position, tx in enumerate(transactions, start=1):
        where = _("Opération %(n)s") % {"n": position}
        e2e = text(tx, "OrgnlEndToEndId")
        if not e2e:
            errors.append(_("%(where)s : référence de bout en bout absente.") % {"where": where})
            continue
        where = _("Opération %(n)s (%(e2e)s)") % {"n": position, "e2e": e2e}
        if e2e in seen:
            errors.append(_("%(where)s : référence en double dans le fichier.") % {"where": where})
        seen.add(e2e)
        status = text(tx, "TxSts").upper()
        reason = text(tx, "StsRsnInf", "Rsn", "Cd").upper()
        if not status and not reason:
            errors.append(_("%(where)s : statut absent.") % {"where": where})
            continue
        accepted = is_accepted(status, reason)
        if not accepted and status != "RJCT":
            errors.append(
                _("%(where)s : statut « %(status)s » inconnu.") % {"where": where, "status": status}
            )
            continue
        if not accepted and not reason:
            errors.append(_("%(where)s : rejet sans code motif.") % {"where": where})
            continue
        if too_long(e2e, 35, "EndToEndId", where, errors) | too_long(
            reason, 4, _("code motif"), where, errors
        ):
            continue
        ref = child(tx, "OrgnlTxRef")
        amount_element = child(ref, "Amt", "InstdAmt") if ref is not None else None
        amount = amount_of(amount_element, where, errors)
        if amount is None:
            continue
        entries.append(
            ReturnEntry(
                position=position,
                end_to_end_id=e2e,
                status=status or ("ACCP" if accepted else "RJCT"),
                reason_code="" if accepted else reason,
                amount=amount,
                accepted=accepted,
            )
        )
    raise_if_any(errors)
    return ReturnMessage(KIND, message_id, "", tuple(entries))
