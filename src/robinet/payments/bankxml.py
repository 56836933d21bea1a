"""Namespace-agnostic reading of ISO 20022 bank messages with lxml (PAY-4).

Banks send pain.002 and camt.054 in several versions (namespaces) and not
always strictly schema-valid: the readers look elements up by local name and
validate only what they use. Pure: no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from lxml import etree

from robinet.core.exceptions import ValidationFailed

CURRENCY = "EUR"
# Above any direct debit of a water bill, and within what the amount columns hold:
# also keeps ``quantize`` below from failing on a 40-digit "amount".
MAX_AMOUNT = Decimal("10000000000")


@dataclass(frozen=True)
class ReturnEntry:
    """One operation reported by the bank about a direct debit we sent."""

    position: int
    end_to_end_id: str
    status: str
    reason_code: str
    amount: Decimal
    accepted: bool


@dataclass(frozen=True)
class ReturnMessage:
    kind: str  # "pain002" or "camt054"
    message_id: str
    account_iban: str  # the creditor account the message is about ("" if not given)
    entries: tuple[ReturnEntry, ...]


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def parse_xml(data: bytes) -> etree._Element:
    """The document's root, or ValidationFailed naming the line of the XML error."""
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as error:
        raise ValidationFailed(
            {
                "file": [
                    _("Fichier XML mal formé (ligne %(line)s) : %(msg)s")
                    % {"line": error.lineno, "msg": error.msg}
                ]
            }
        ) from None


def local(element) -> str:
    tag = element.tag
    return tag[tag.rfind("}") + 1 :] if isinstance(tag, str) else ""


def child(element, *path: str):
    """The first descendant along ``path`` of local names (None if missing)."""
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if local(c) == name), None)
    return element


def children(element, name: str) -> list:
    return [c for c in element if local(c) == name] if element is not None else []


def descendants(element, name: str) -> list:
    return list(element.iter(name, f"{{*}}{name}"))


def text(element, *path: str) -> str:
    found = child(element, *path) if path else element
    return (found.text or "").strip() if found is not None else ""


def root_message(data: bytes, names: tuple[str, ...]) -> tuple[etree._Element, str]:
    """The message element (e.g. ``CstmrPmtStsRpt``) under ``Document`` and the namespace."""
    root = parse_xml(data)
    message = root if local(root) in names else next((c for c in root if local(c) in names), None)
    if message is None:
        raise ValidationFailed(
            {
                "file": [
                    _("Ce fichier n'est pas du type attendu (%(names)s).")
                    % {"names": ", ".join(names)}
                ]
            }
        )
    return message, etree.QName(root).namespace or ""


def amount_of(element, where: str, errors: list[str]) -> Decimal | None:
    """The amount of an ``Amt``-like element in euros, else an error naming ``where``."""
    if element is None:
        errors.append(_("%(where)s : montant absent.") % {"where": where})
        return None
    currency = element.get("Ccy", "")
    if currency != CURRENCY:
        errors.append(
            _("%(where)s : devise %(ccy)s refusée (seul l'euro est accepté).")
            % {"where": where, "ccy": currency or "?"}
        )
        return None
    try:
        value = Decimal((element.text or "").strip())
    except InvalidOperation:
        value = None
    if (
        value is None
        or not value.is_finite()
        or value <= 0
        or value >= MAX_AMOUNT
        or value != value.quantize(Decimal("0.01"))
    ):
        errors.append(
            _("%(where)s : montant invalide « %(value)s ».")
            % {"where": where, "value": (element.text or "").strip()}
        )
        return None
    return value


def too_long(value: str, limit: int, what: str, where: str, errors: list[str]) -> bool:
    """Whether ``value`` is longer than ISO 20022 allows (the columns hold no more): an error
    naming ``where`` and ``what`` rather than a silent cut (the message id must stay whole for
    the re-import check)."""
    if len(value) <= limit:
        return False
    errors.append(
        _("%(where)s : %(what)s trop long (%(limit)s caractères au plus).")
        % {"where": where, "what": what, "limit": limit}
    )
    return True


def raise_if_any(errors: list[str]) -> None:
    if errors:
        raise ValidationFailed({"file": errors})
