"""Small pain.002 and camt.054 documents for the tests (as banks send them)."""

from __future__ import annotations

from decimal import Decimal

PAIN002_NS = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"
CAMT054_NS = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"


def pain002(items, *, msg_id="RPT-0001", currency="EUR") -> bytes:
    """``items``: (end_to_end_id, status, reason_code or "", amount)."""
    txs = []
    for n, (e2e, status, reason, amount) in enumerate(items, start=1):
        reason_xml = f"<StsRsnInf><Rsn><Cd>{reason}</Cd></Rsn></StsRsnInf>" if reason else ""
        txs.append(
            f"<TxInfAndSts><StsId>S{n}</StsId><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId>"
            f"<TxSts>{status}</TxSts>{reason_xml}"
            f'<OrgnlTxRef><Amt><InstdAmt Ccy="{currency}">{Decimal(amount):.2f}</InstdAmt></Amt>'
            f"</OrgnlTxRef></TxInfAndSts>"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{PAIN002_NS}"><CstmrPmtStsRpt>'
        f"<GrpHdr><MsgId>{msg_id}</MsgId><CreDtTm>2026-02-14T08:00:00</CreDtTm></GrpHdr>"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>PRLV-1</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.08"
        f"</OrgnlMsgNmId></OrgnlGrpInfAndSts><OrgnlPmtInfAndSts><OrgnlPmtInfId>LOT-1"
        f"</OrgnlPmtInfId>{''.join(txs)}</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"
    ).encode()


def camt054(items, *, msg_id="NTF-0001", iban="FR7630001007941234567890185", currency="EUR"):
    """``items``: (end_to_end_id, return reason or "" for a credit accepted, amount)."""
    entries = []
    for e2e, reason, amount in items:
        direction = "DBIT" if reason else "CRDT"
        rtr = f"<RtrInf><Rsn><Cd>{reason}</Cd></Rsn></RtrInf>" if reason else ""
        entries.append(
            f'<Ntry><Amt Ccy="{currency}">{Decimal(amount):.2f}</Amt><CdtDbtInd>{direction}'
            f"</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-02-14</Dt></BookgDt>"
            f"<NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs>"
            f'<Amt Ccy="{currency}">{Decimal(amount):.2f}</Amt><CdtDbtInd>{direction}</CdtDbtInd>'
            f"{rtr}</TxDtls></NtryDtls></Ntry>"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{CAMT054_NS}">'
        f"<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>{msg_id}</MsgId>"
        f"<CreDtTm>2026-02-14T08:00:00</CreDtTm></GrpHdr><Ntfctn><Id>N1</Id>"
        f"<CreDtTm>2026-02-14T08:00:00</CreDtTm><Acct><Id><IBAN>{iban}</IBAN></Id></Acct>"
        f"{''.join(entries)}</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"
    ).encode()
