"""Building SEPA credit-transfer files pain.001.001.09 for refunds (PAY-6).

Pure: takes the transfers, returns the XML bytes, validated against the ISO
20022 schema (vendored in ``xsd/``) before anything is written. Texts are
reduced to the SEPA Latin character set (EPC): accents dropped, other
characters replaced by a space.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from lxml import etree

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
XSD = Path(__file__).parent / "xsd" / "pain.001.001.09.xsd"
_NOT_SEPA = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
_LIGATURES = str.maketrans({"Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "ß": "ss"})


class InvalidTransferFile(ValueError):
    """The generated XML does not satisfy the schema (a bug or bad data): nothing is written."""


@dataclass(frozen=True)
class Transfer:
    end_to_end_id: str
    amount: Decimal
    name: str
    iban: str
    bic: str
    remittance: str


@dataclass(frozen=True)
class Debtor:
    name: str
    iban: str
    bic: str


def sepa_text(value: str, length: int) -> str:
    """``value`` in the SEPA character set, at most ``length`` characters, never empty."""
    plain = (
        unicodedata.normalize("NFKD", (value or "").translate(_LIGATURES))
        .encode("ascii", "ignore")
        .decode()
    )
    plain = re.sub(r"\s+", " ", _NOT_SEPA.sub(" ", plain)).strip()
    return plain[:length].strip() or "NOTPROVIDED"


@cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def _sub(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", **attrs)
    if text is not None:
        element.text = text
    return element


def _path(parent, *tags: str, text: str) -> None:
    for tag in tags[:-1]:
        parent = _sub(parent, tag)
    _sub(parent, tags[-1], text)


def build(
    *,
    message_id: str,
    created_at: dt.datetime,
    execution_date: dt.date,
    debtor: Debtor,
    transfers: list[Transfer],
) -> bytes:
    """One pain.001.001.09 message with one payment batch; raises InvalidTransferFile if invalid."""
    if not transfers:
        raise InvalidTransferFile("no transfer")
    total = sum((t.amount for t in transfers), Decimal("0"))
    root = etree.Element(f"{{{NAMESPACE}}}Document", nsmap={None: NAMESPACE})
    initiation = _sub(root, "CstmrCdtTrfInitn")
    header = _sub(initiation, "GrpHdr")
    _sub(header, "MsgId", sepa_text(message_id, 35))
    _sub(header, "CreDtTm", created_at.replace(microsecond=0, tzinfo=None).isoformat())
    _sub(header, "NbOfTxs", str(len(transfers)))
    _sub(header, "CtrlSum", f"{total:.2f}")
    _path(header, "InitgPty", "Nm", text=sepa_text(debtor.name, 70))
    batch = _sub(initiation, "PmtInf")
    _sub(batch, "PmtInfId", sepa_text(message_id, 35))
    _sub(batch, "PmtMtd", "TRF")
    _sub(batch, "BtchBookg", "false")
    _sub(batch, "NbOfTxs", str(len(transfers)))
    _sub(batch, "CtrlSum", f"{total:.2f}")
    _path(batch, "PmtTpInf", "SvcLvl", "Cd", text="SEPA")
    _path(batch, "ReqdExctnDt", "Dt", text=execution_date.isoformat())
    _path(batch, "Dbtr", "Nm", text=sepa_text(debtor.name, 70))
    _path(batch, "DbtrAcct", "Id", "IBAN", text=debtor.iban.replace(" ", "").upper())
    _path(batch, "DbtrAgt", "FinInstnId", "BICFI", text=debtor.bic.upper())
    _sub(batch, "ChrgBr", "SLEV")
    for transfer in transfers:
        tx = _sub(batch, "CdtTrfTxInf")
        payment_id = _sub(tx, "PmtId")
        _sub(payment_id, "InstrId", sepa_text(transfer.end_to_end_id, 35))
        _sub(payment_id, "EndToEndId", sepa_text(transfer.end_to_end_id, 35))
        amount = _sub(tx, "Amt")
        _sub(amount, "InstdAmt", f"{transfer.amount:.2f}", Ccy="EUR")
        _path(tx, "CdtrAgt", "FinInstnId", "BICFI", text=transfer.bic.upper())
        _path(tx, "Cdtr", "Nm", text=sepa_text(transfer.name, 70))
        _path(tx, "CdtrAcct", "Id", "IBAN", text=transfer.iban.replace(" ", "").upper())
        _path(tx, "RmtInf", "Ustrd", text=sepa_text(transfer.remittance, 140))
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    validate(data)
    return data


def validate(data: bytes) -> None:
    """Raise InvalidTransferFile with the schema's first errors unless ``data`` is valid."""
    document = etree.fromstring(data)
    xsd = schema()
    if not xsd.validate(document):
        problems = "; ".join(f"line {e.line}: {e.message}" for e in list(xsd.error_log)[:5])
        raise InvalidTransferFile(problems)
