"""Writing sample bank statements (camt.053, CFONB 120, MT940) from given credits (PAY-5).

Used by the demo (sample files a newcomer can import), the tests and the
benchmark. These are the bank's files as the utility receives them, not files
Robinet sends: the readers in :mod:`robinet.payments.camt` and
:mod:`robinet.payments.cfonb` and :mod:`robinet.payments.mt940` are what matters; these writers give them
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


def _mt940_amount(amount: Decimal) -> str:
    return f"{abs(amount):.2f}".replace(".", ",")


def _mt940_balance(tag: str, amount: Decimal, day: dt.date) -> str:
    return f":{tag}:{'C' if amount >= 0 else 'D'}{day:%y%m%d}EUR{_mt940_amount(amount)}"


def mt940(
    *,
    iban: str,
    day: dt.date,
    credits: Iterable[SampleCredit],
    debits: Iterable[Decimal] = (),
    reference: str = "",
    number: str = "00001/001",
    opening: Decimal = Decimal("0.00"),
    bic: str = "BNPAFRPPXXX",
    structured: bool = True,
) -> bytes:
    """An MT940 message of ``day`` in SWIFT blocks; ``:86:`` with ``?xx`` subfields
    (``structured``) or with ``/EREF/ /NAME/ /REMI/`` keywords."""
    credits = list(credits)
    debits = list(debits)
    reference = reference or f"REL{day:%Y%m%d}"
    closing = opening + sum((c.amount for c in credits), Decimal("0")) - sum(debits, Decimal("0"))
    lines = [
        f"{{1:F01{bic[:8]}AXXX0000000000}}{{2:O940{bic[:8]}XXXXN}}{{4:",
        f":20:{reference}",
        f":25:{iban}",
        f":28C:{number}",
        _mt940_balance("60F", opening, day),
    ]
    for n, credit in enumerate(credits, start=1):
        bank_ref = credit.reference or f"{reference}{n:05d}"
        lines.append(
            f":61:{day:%y%m%d}{day:%m%d}C{_mt940_amount(credit.amount)}NTRFNONREF//{bank_ref[:16]}"
        )
        lines.append("VIREMENT SEPA RECU")
        if structured:
            info = "?00VIR SEPA RECU"
            text = (f"EREF+{credit.end_to_end_id} " if credit.end_to_end_id else "") + (
                credit.remittance
            )
            for k, start in enumerate(range(0, min(len(text), 27 * 10), 27)):
                info += f"?{20 + k}{text[start : start + 27]}"
            if credit.debtor_iban:
                info += f"?31{credit.debtor_iban}"
            if credit.debtor_name:
                info += f"?32{credit.debtor_name[:27]}"
                if len(credit.debtor_name) > 27:
                    info += f"?33{credit.debtor_name[27:54]}"
        else:
            info = (
                (f"/EREF/{credit.end_to_end_id}" if credit.end_to_end_id else "")
                + (f"/ORDP//NAME/{credit.debtor_name}" if credit.debtor_name else "")
                + (f"/IBAN/{credit.debtor_iban}" if credit.debtor_iban else "")
                + (f"/REMI/USTD//{credit.remittance}/" if credit.remittance else "")
            )
        # the field wraps at 65 characters a line (6 lines at most in SWIFT; banks stretch it)
        lines.append(":86:" + info[:61])
        lines.extend(info[i : i + 65] for i in range(61, len(info), 65))
    for n, amount in enumerate(debits, start=1):
        lines.append(
            f":61:{day:%y%m%d}{day:%m%d}D{_mt940_amount(amount)}NMSCNONREF//{reference}D{n}"
        )
        lines.append(":86:PRELEVEMENT FOURNISSEUR")
    lines.append(_mt940_balance("62F", closing, day))
    lines.append("-}")
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")
