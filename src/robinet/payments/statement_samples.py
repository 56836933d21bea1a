"""Writing sample bank statements (camt.053, CFONB 120) from given credits (PAY-5).

Used by the demo (sample files a newcomer can import), the tests and the
benchmark. These are the bank's files as the utility receives them, not files
Robinet sends: the readers in :mod:`robinet.payments.camt` and
:mod:`robinet.payments.cfonb` are what matters; these writers give them
realistic input.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

NAMESPACES = {
    "001.02": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02",
    "001.08": "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08",
}


@dataclass(frozen=True)
class SampleCredit:
    amount: Decimal
    debtor_name: str = ""
    debtor_iban: str = ""
    remittance: str = ""
    end_to_end_id: str = ""
    reference: str = ""  # the bank's reference (AcctSvcrRef); numbered when empty


def camt053(
    *,
    statement_id: str,
    iban: str,
    day: dt.date,
    credits: Iterable[SampleCredit],
    debits: Iterable[Decimal] = (),
    version: str = "001.08",
    opening: Decimal = Decimal("0.00"),
    currency: str = "EUR",
) -> bytes:
    """A camt.053 statement of ``day`` holding ``credits`` (and ``debits``)."""
    credits = list(credits)
    debits = list(debits)
    ns = NAMESPACES[version]
    closing = opening + sum((c.amount for c in credits), Decimal("0")) - sum(debits, Decimal("0"))
    status = "<Sts><Cd>BOOK</Cd></Sts>" if version >= "001.08" else "<Sts>BOOK</Sts>"
    dbtr = (
        "<Dbtr><Pty><Nm>{}</Nm></Pty></Dbtr>" if version >= "001.08" else "<Dbtr><Nm>{}</Nm></Dbtr>"
    )
    parts = [
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{ns}"><BkToCstmrStmt>',
        f"<GrpHdr><MsgId>{escape(statement_id)}</MsgId>"
        f"<CreDtTm>{day.isoformat()}T20:00:00</CreDtTm></GrpHdr>",
        f"<Stmt><Id>{escape(statement_id)}</Id><CreDtTm>{day.isoformat()}T20:00:00</CreDtTm>",
        f"<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>",
        _balance("OPBD", opening, day, currency),
        _balance("CLBD", closing, day, currency),
    ]
    for n, credit in enumerate(credits, start=1):
        ref = credit.reference or f"{statement_id}-{n:06d}"
        related = ""
        if credit.debtor_name:
            related += dbtr.format(escape(credit.debtor_name))
        if credit.debtor_iban:
            related += f"<DbtrAcct><Id><IBAN>{credit.debtor_iban}</IBAN></Id></DbtrAcct>"
        parts.append(
            f'\n<Ntry><NtryRef>{n}</NtryRef><Amt Ccy="{currency}">{credit.amount:.2f}</Amt>'
            f"<CdtDbtInd>CRDT</CdtDbtInd>{status}"
            f"<BookgDt><Dt>{day.isoformat()}</Dt></BookgDt><ValDt><Dt>{day.isoformat()}</Dt></ValDt>"
            f"<AcctSvcrRef>{escape(ref)}</AcctSvcrRef>"
            f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
            f"<NtryDtls><TxDtls><Refs><EndToEndId>{escape(credit.end_to_end_id or 'NOTPROVIDED')}"
            f"</EndToEndId></Refs>"
            + (f"<RltdPties>{related}</RltdPties>" if related else "")
            + (f"<RmtInf><Ustrd>{escape(credit.remittance)}</Ustrd></RmtInf>" if credit.remittance else "")
            + "</TxDtls></NtryDtls></Ntry>"
        )  # fmt: skip
    for n, amount in enumerate(debits, start=1):
        parts.append(
            f'\n<Ntry><Amt Ccy="{currency}">{amount:.2f}</Amt><CdtDbtInd>DBIT</CdtDbtInd>{status}'
            f"<BookgDt><Dt>{day.isoformat()}</Dt></BookgDt><ValDt><Dt>{day.isoformat()}</Dt></ValDt>"
            f"<AcctSvcrRef>{escape(statement_id)}-D{n}</AcctSvcrRef></Ntry>"
        )  # fmt: skip
    parts.append("</Stmt></BkToCstmrStmt></Document>\n")
    return "".join(parts).encode()


def _balance(code: str, amount: Decimal, day: dt.date, currency: str) -> str:
    indicator = "CRDT" if amount >= 0 else "DBIT"
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="{currency}">{abs(amount):.2f}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        f"<Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>"
    )


def _cfonb_amount(amount: Decimal) -> str:
    cents = int((abs(amount) * 100).to_integral_value())
    digits = f"{cents:014d}"
    last = int(digits[-1])
    sign = ("{ABCDEFGHI" if amount >= 0 else "}JKLMNOPQR")[last]
    return digits[:-1] + sign


def _cfonb_record(
    code: str,
    iban: str,
    day: dt.date,
    amount: Decimal,
    *,
    label: str = "",
    entry: str = "",
    reference: str = "",
    value: dt.date | None = None,
) -> str:
    bank, branch, account = iban[4:9], iban[9:14], iban[14:25]
    record = (
        f"{code}{bank}{'0000' if code != '04' else '0158'}{branch}EUR2 {account}"
        f"{'  ' if code != '04' else '05'}{day:%d%m%y}  {(value or day):%d%m%y}"
        f"{label[:31]:<31}  {entry[:7]:>7}  {_cfonb_amount(amount)}{reference[:16]:<16}"
    )  # fmt: skip
    assert len(record) == 120, len(record)
    return record


def _cfonb_complement(iban: str, day: dt.date, qualifier: str, text: str) -> str:
    bank, branch, account = iban[4:9], iban[9:14], iban[14:25]
    record = f"05{bank}0158{branch}EUR2 {account}05{day:%d%m%y}     {qualifier}{text[:70]:<70}  "
    assert len(record) == 120, len(record)
    return record


def cfonb120(
    *,
    iban: str,
    start: dt.date,
    end: dt.date,
    credits: Iterable[SampleCredit],
    opening: Decimal = Decimal("0.00"),
) -> bytes:
    """A CFONB 120 statement (01, 04 + 05, 07) of the account of ``iban``."""
    credits = list(credits)
    lines = [_cfonb_record("01", iban, start, opening)]
    for n, credit in enumerate(credits, start=1):
        lines.append(
            _cfonb_record("04", iban, end, credit.amount, label=f"VIR SEPA {credit.debtor_name}",
                          entry=str(n))
        )  # fmt: skip
        if credit.debtor_name:
            lines.append(_cfonb_complement(iban, end, "NPY", credit.debtor_name))
        if credit.remittance:
            lines.append(_cfonb_complement(iban, end, "LIB", credit.remittance))
        if credit.end_to_end_id:
            lines.append(_cfonb_complement(iban, end, "RCN", credit.end_to_end_id))
    closing = opening + sum((c.amount for c in credits), Decimal("0"))
    lines.append(_cfonb_record("07", iban, end, closing))
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")
