"""pain.008 direct-debit initiation files (PAY-3), pure: no database.

:func:`build` writes one file for one collection date, with one payment
information block per sequence type (``FRST`` then ``RCUR``), in
pain.008.001.08 (default) or pain.008.001.02, and validates it against the
official ISO 20022 schema (``xsd/``) before returning it: an invalid file is
never handed out. Debtor addresses are structured (street, postcode, town,
country) — banks refuse fully unstructured addresses from November 2026.
Texts are transliterated to the SEPA character set.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from lxml import etree
from unidecode import unidecode

from robinet.core.exceptions import ApplicationError

XSD_DIR = Path(__file__).parent / "xsd"
VERSIONS = ("001.08", "001.02")
SEQUENCE_ORDER = ("FRST", "RCUR")
_NOT_SEPA = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")


@dataclass(frozen=True)
class Creditor:
    name: str
    iban: str
    bic: str
    creditor_id: str  # ICS
    country: str = "FR"


@dataclass(frozen=True)
class Address:
    street: str = ""
    postcode: str = ""
    town: str = ""
    country: str = "FR"


@dataclass(frozen=True)
class Debit:
    end_to_end_id: str
    amount: Decimal
    sequence: str  # FRST / RCUR
    mandate_id: str  # UMR
    signed_on: dt.date
    debtor_name: str
    debtor_iban: str
    debtor_bic: str = ""
    address: Address | None = None
    remittance: str = ""
    # Amendment since the last collection (AmdmntInd), with the original values.
    original_mandate_id: str = ""
    original_iban: str = ""


def sepa_text(value: str, limit: int) -> str:
    """``value`` in the SEPA character set (Latin letters, digits, / - ? : ( ) . , ' + space)."""
    text = _NOT_SEPA.sub(" ", unidecode(value or "")).strip()
    return re.sub(r" {2,}", " ", text)[:limit].strip()


def namespace(version: str) -> str:
    return f"urn:iso:std:iso:20022:tech:xsd:pain.008.{version}"


@cache
def schema(version: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_DIR / f"pain.008.{version}.xsd")))


def validate(content: bytes, version: str) -> None:
    """Raise :class:`ApplicationError` unless ``content`` is valid against the schema."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    document = etree.fromstring(content, parser).getroottree()
    xsd = schema(version)
    if not xsd.validate(document):
        error = xsd.error_log.last_error
        raise ApplicationError(
            f"Le fichier pain.008.{version} n'est pas conforme au schéma ISO 20022 "
            f"(ligne {error.line} : {error.message}).",
            code="pain008_invalid",
        )


def build(
    *,
    message_id: str,
    created_at: dt.datetime,
    collection_date: dt.date,
    creditor: Creditor,
    debits: Sequence[Debit],
    version: str = "001.08",
) -> bytes:
    """The pain.008 file for ``debits`` collected on ``collection_date``, schema-validated."""
    if version not in VERSIONS:
        raise ApplicationError(
            f"Version pain.008 inconnue : {version} (attendu : {', '.join(VERSIONS)}).",
            code="pain008_version",
        )
    if not debits:
        raise ApplicationError("Aucun prélèvement à remettre.", code="pain008_empty")
    ns = namespace(version)
    v08 = version == "001.08"
    bic_tag = "BICFI" if v08 else "BIC"

    def el(parent, tag, text=None, **attrs):
        node = etree.SubElement(parent, f"{{{ns}}}{tag}", attrs)
        if text is not None:
            node.text = text
        return node

    def agent(parent, tag, bic):
        fin = el(el(parent, tag), "FinInstnId")
        if bic:
            el(fin, bic_tag, bic)
        else:
            el(el(fin, "Othr"), "Id", "NOTPROVIDED")

    def account(parent, tag, iban):
        el(el(el(parent, tag), "Id"), "IBAN", iban)

    def address(parent, addr: Address):
        """Structured: street, postcode, town, country; none at all without a town."""
        town = sepa_text(addr.town, 35)
        if not town:
            return
        postal = el(parent, "PstlAdr")
        for tag, value in (
            ("StrtNm", sepa_text(addr.street, 70)),
            ("PstCd", sepa_text(addr.postcode, 16)),
            ("TwnNm", town),
        ):
            if value:
                el(postal, tag, value)
        el(postal, "Ctry", addr.country)

    def money(amount: Decimal) -> str:
        return f"{amount:.2f}"

    by_sequence: dict[str, list[Debit]] = {s: [] for s in SEQUENCE_ORDER}
    for debit in debits:
        if debit.sequence not in by_sequence:
            raise ApplicationError(f"Séquence inconnue : {debit.sequence}.", code="pain008_seq")
        by_sequence[debit.sequence].append(debit)
    total = sum((d.amount for d in debits), Decimal("0.00"))

    root = etree.Element(f"{{{ns}}}Document", nsmap={None: ns})
    initiation = el(root, "CstmrDrctDbtInitn")
    header = el(initiation, "GrpHdr")
    el(header, "MsgId", message_id)
    el(header, "CreDtTm", created_at.replace(microsecond=0).isoformat())
    el(header, "NbOfTxs", str(len(debits)))
    el(header, "CtrlSum", money(total))
    creditor_name = sepa_text(creditor.name, 70) or "NOTPROVIDED"
    el(el(header, "InitgPty"), "Nm", creditor_name)
    for sequence in SEQUENCE_ORDER:
        batch = by_sequence[sequence]
        if not batch:
            continue
        info = el(initiation, "PmtInf")
        el(info, "PmtInfId", f"{message_id[:30]}-{sequence}")
        el(info, "PmtMtd", "DD")
        el(info, "BtchBookg", "true")
        el(info, "NbOfTxs", str(len(batch)))
        el(info, "CtrlSum", money(sum((d.amount for d in batch), Decimal("0.00"))))
        kind = el(info, "PmtTpInf")
        el(el(kind, "SvcLvl"), "Cd", "SEPA")
        el(el(kind, "LclInstrm"), "Cd", "CORE")
        el(kind, "SeqTp", sequence)
        el(info, "ReqdColltnDt", collection_date.isoformat())
        el(el(info, "Cdtr"), "Nm", creditor_name)
        account(info, "CdtrAcct", creditor.iban)
        agent(info, "CdtrAgt", creditor.bic)
        el(info, "ChrgBr", "SLEV")
        scheme = el(el(el(el(info, "CdtrSchmeId"), "Id"), "PrvtId"), "Othr")
        el(scheme, "Id", creditor.creditor_id)
        el(el(scheme, "SchmeNm"), "Prtry", "SEPA")
        for debit in batch:
            tx = el(info, "DrctDbtTxInf")
            el(el(tx, "PmtId"), "EndToEndId", debit.end_to_end_id)
            el(tx, "InstdAmt", money(debit.amount), Ccy="EUR")
            mandate = el(el(tx, "DrctDbtTx"), "MndtRltdInf")
            el(mandate, "MndtId", debit.mandate_id)
            el(mandate, "DtOfSgntr", debit.signed_on.isoformat())
            if debit.original_mandate_id or debit.original_iban:
                el(mandate, "AmdmntInd", "true")
                details = el(mandate, "AmdmntInfDtls")
                if debit.original_mandate_id:
                    el(details, "OrgnlMndtId", debit.original_mandate_id)
                if debit.original_iban:
                    account(details, "OrgnlDbtrAcct", debit.original_iban)
            agent(tx, "DbtrAgt", debit.debtor_bic)
            debtor = el(tx, "Dbtr")
            el(debtor, "Nm", sepa_text(debit.debtor_name, 70) or "NOTPROVIDED")
            if debit.address:
                address(debtor, debit.address)
            account(tx, "DbtrAcct", debit.debtor_iban)
            remittance = sepa_text(debit.remittance, 140)
            if remittance:
                el(el(tx, "RmtInf"), "Ustrd", remittance)
    content = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    validate(content, version)
    return content
