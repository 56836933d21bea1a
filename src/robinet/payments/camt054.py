"""Reader of camt.054 debit/credit notifications about our direct debits (PAY-4).

Any version (001.02 to .08): elements are found by local name. Each
transaction (``TxDtls``) is one operation, identified by its end-to-end id: a
return carries ``RtrInf`` with a reason code; a collection credited without
return information (or with reason ``0000``) is accepted and must not be
reversed. Pure: no database.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from robinet.payments.bankxml import (
    ReturnEntry,
    ReturnMessage,
    amount_of,
    child,
    children,
    descendants,
    raise_if_any,
    root_message,
    text,
    too_long,
)
from robinet.payments.reason_codes import ACCEPTED_CODE

KIND = "camt054"
MESSAGE = ("BkToCstmrDbtCdtNtfctn",)


def detect(data: bytes) -> bool:
    """Whether ``data`` looks like a camt.054 (namespace or message element)."""
    head = data[:4096]
    return b"camt.054" in head or b"BkToCstmrDbtCdtNtfctn" in head


def parse(data: bytes) -> ReturnMessage:
    """The operations of the notification, validated whole (ValidationFailed lists every problem)."""
    message, _namespace = root_message(data, MESSAGE)
    errors: list[str] = []
    message_id = text(message, "GrpHdr", "MsgId")
    if not message_id:
        errors.append(_("En-tête : identifiant du message (MsgId) absent."))
    too_long(message_id, 35, "MsgId", _("En-tête"), errors)
    ibans = {text(n, "Acct", "Id", "IBAN").replace(" ", "") for n in children(message, "Ntfctn")}
    ibans.discard("")
    if len(ibans) > 1:
        errors.append(_("Le fichier concerne plusieurs comptes : importez-les séparément."))
    entries: list[ReturnEntry] = []
    seen: set[str] = set()
    position = 0
    for entry in descendants(message, "Ntry"):
        entry_direction = text(entry, "CdtDbtInd").upper()
        transactions = descendants(entry, "TxDtls")
        for tx in transactions:
            position += 1
            where = _("Opération %(n)s") % {"n": position}
            e2e = text(tx, "Refs", "EndToEndId")
            if not e2e or e2e == "NOTPROVIDED":
                errors.append(
                    _("%(where)s : référence de bout en bout absente.") % {"where": where}
                )
                continue
            where = _("Opération %(n)s (%(e2e)s)") % {"n": position, "e2e": e2e}
            if e2e in seen:
                errors.append(
                    _("%(where)s : référence en double dans le fichier.") % {"where": where}
                )
            seen.add(e2e)
            return_info = child(tx, "RtrInf")
            reason = text(return_info, "Rsn", "Cd").upper() if return_info is not None else ""
            direction = text(tx, "CdtDbtInd").upper() or entry_direction
            accepted = return_info is None or reason == ACCEPTED_CODE
            if not accepted and not reason:
                errors.append(_("%(where)s : retour sans code motif.") % {"where": where})
                continue
            if too_long(e2e, 35, "EndToEndId", where, errors) | too_long(
                reason, 4, _("code motif"), where, errors
            ):
                continue
            if accepted and direction == "DBIT":
                errors.append(
                    _("%(where)s : débit sans information de retour (RtrInf).") % {"where": where}
                )
                continue
            amount_element = child(tx, "Amt")
            if amount_element is None:
                amount_element = child(tx, "AmtDtls", "TxAmt", "Amt")
            if amount_element is None and len(transactions) == 1:
                amount_element = child(entry, "Amt")
            amount = amount_of(amount_element, where, errors)
            if amount is None:
                continue
            entries.append(
                ReturnEntry(
                    position=position,
                    end_to_end_id=e2e,
                    status="ACSC" if accepted else "RTRN",
                    reason_code="" if accepted else reason,
                    amount=amount,
                    accepted=accepted,
                )
            )
    if position == 0:
        errors.append(_("L'avis ne détaille aucune opération."))
    raise_if_any(errors)
    return ReturnMessage(KIND, message_id, next(iter(ibans), ""), tuple(entries))
