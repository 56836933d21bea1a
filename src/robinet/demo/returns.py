"""Demo data for direct-debit returns (PAY-4) and refunds (PAY-6).

On an already-billed demo database: a few direct-debit payments are booked on
open invoices (the contract with the direct-debit files: external reference =
end-to-end id), then a pain.002 rejecting two of them and a camt.054 returning
one, both with accepted items, are imported; one account overpays by transfer
and gets a refund proposal. Idempotent: a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Sum

from robinet.conf import VAR_DIR
from robinet.core import clock
from robinet.customers.models import CustomerAccount
from robinet.ledger.models import OpenItem, OpenItemKind
from robinet.payments import refunds, returns
from robinet.payments.models import Payment, PaymentMeans, Refund
from robinet.payments.services import payment_record

DEMO_IBAN = "FR7630006000011234567890189"
ZERO = Decimal("0.00")


def _accounts_with_open_invoices(count: int) -> list[tuple[CustomerAccount, Decimal]]:
    found = []
    for account in CustomerAccount.objects.order_by("pk")[: count * 20]:
        owed = OpenItem.objects.filter(
            account=account, kind=OpenItemKind.INVOICE, cleared_on__isnull=True
        ).aggregate(total=Sum("open_amount"))["total"]
        if owed and owed > 0:
            found.append((account, Decimal(owed).quantize(Decimal("0.01"))))
        if len(found) == count:
            break
    return found


def _debit(account, amount: Decimal, e2e: str, on: dt.date) -> Payment:
    existing = Payment.objects.filter(means=PaymentMeans.DIRECT_DEBIT, external_reference=e2e)
    if existing.exists():
        return existing.get()
    return payment_record(
        actor=None,
        account=account,
        means=PaymentMeans.DIRECT_DEBIT,
        amount=amount,
        received_on=on,
        external_reference=e2e,
        check_permission=False,
    )


def pain002_document(items, msg_id: str, on: dt.date) -> bytes:
    """A pain.002.001.10 report: ``items`` = (end-to-end id, "RJCT" or "ACSC", reason, amount)."""
    txs = "".join(
        f"<TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>{status}</TxSts>"
        + (f"<StsRsnInf><Rsn><Cd>{reason}</Cd></Rsn></StsRsnInf>" if reason else "")
        + f'<OrgnlTxRef><Amt><InstdAmt Ccy="EUR">{amount:.2f}</InstdAmt></Amt></OrgnlTxRef>'
        "</TxInfAndSts>"
        for e2e, status, reason, amount in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>'
        f"<GrpHdr><MsgId>{msg_id}</MsgId><CreDtTm>{on.isoformat()}T07:00:00</CreDtTm></GrpHdr>"
        "<OrgnlGrpInfAndSts><OrgnlMsgId>DEMO-PRLV</OrgnlMsgId>"
        "<OrgnlMsgNmId>pain.008.001.08</OrgnlMsgNmId></OrgnlGrpInfAndSts>"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>DEMO-LOT</OrgnlPmtInfId>{txs}</OrgnlPmtInfAndSts>"
        "</CstmrPmtStsRpt></Document>"
    ).encode()


def camt054_document(items, msg_id: str, on: dt.date, iban: str) -> bytes:
    """A camt.054.001.08 notification: ``items`` = (end-to-end id, return reason or "", amount)."""
    entries = []
    for e2e, reason, amount in items:
        direction = "DBIT" if reason else "CRDT"
        rtr = f"<RtrInf><Rsn><Cd>{reason}</Cd></Rsn></RtrInf>" if reason else ""
        entries.append(
            f'<Ntry><Amt Ccy="EUR">{amount:.2f}</Amt><CdtDbtInd>{direction}</CdtDbtInd>'
            f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{on.isoformat()}</Dt></BookgDt>"
            f"<NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs>"
            f'<Amt Ccy="EUR">{amount:.2f}</Amt><CdtDbtInd>{direction}</CdtDbtInd>{rtr}'
            "</TxDtls></NtryDtls></Ntry>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">'
        f"<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>{msg_id}</MsgId>"
        f"<CreDtTm>{on.isoformat()}T07:00:00</CreDtTm></GrpHdr><Ntfctn><Id>{msg_id}</Id>"
        f"<CreDtTm>{on.isoformat()}T07:00:00</CreDtTm><Acct><Id><IBAN>{iban}</IBAN></Id></Acct>"
        f"{''.join(entries)}</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"
    ).encode()


def _import(data: bytes, filename: str) -> int:
    try:
        outcome = returns.return_file_import(
            actor=None, data=data, filename=filename, check_permission=False
        )
    except returns.ReturnFileAlreadyImported:
        return 0
    return len(outcome.reversed)


def seed_demo(today: dt.date) -> dict:
    """Seed direct-debit rejects and returns and a refund proposal; returns the counts to print."""
    from django.conf import settings

    today = min(today, clock.today())
    collected_on = today - dt.timedelta(days=10)
    counts = {"direct_debits": 0, "return_files": 0, "rejects": 0, "refunds_proposed": 0}
    chosen = _accounts_with_open_invoices(7)
    debits = []
    for account, owed in chosen[:6]:
        if not account.direct_debit:
            CustomerAccount.objects.filter(pk=account.pk).update(direct_debit=True)
        amount = min(owed, Decimal("45.00"))
        e2e = f"DEMO-{collected_on:%Y%m%d}-{account.number}"[:35]
        debits.append(_debit(account, amount, e2e, collected_on))
    counts["direct_debits"] = len(debits)
    if len(debits) >= 6:
        d = debits
        report = pain002_document(
            [
                (d[0].external_reference, "ACSC", "", d[0].amount),
                (d[1].external_reference, "RJCT", "AM04", d[1].amount),
                (d[2].external_reference, "ACSC", "", d[2].amount),
                (d[3].external_reference, "RJCT", "AC04", d[3].amount),
            ],
            f"DEMO-RPT-{collected_on:%Y%m%d}",
            collected_on + dt.timedelta(days=2),
        )
        notice = camt054_document(
            [
                (d[4].external_reference, "", d[4].amount),
                (d[5].external_reference, "MD06", d[5].amount),
            ],
            f"DEMO-NTF-{collected_on:%Y%m%d}",
            collected_on + dt.timedelta(days=5),
            settings.ROBINET_UTILITY["iban"].replace(" ", ""),
        )
        folder = VAR_DIR / "demo" / "bank"
        folder.mkdir(parents=True, exist_ok=True)
        for data, name in ((report, "rejets-pain002.xml"), (notice, "retours-camt054.xml")):
            # A copy for newcomers to read (importing it again is refused as a duplicate).
            (folder / name).write_bytes(data)
            rejected = _import(data, name)
            counts["return_files"] += rejected > 0
            counts["rejects"] += rejected
    # A customer who paid by transfer more than was due: a refund is proposed.
    if len(chosen) >= 7 and not Refund.objects.exists():
        account, _owed = chosen[6]
        open_total = (
            OpenItem.objects.filter(account=account, cleared_on__isnull=True).aggregate(
                total=Sum("open_amount")
            )["total"]
            or ZERO
        )
        payment_record(
            actor=None,
            account=account,
            means=PaymentMeans.TRANSFER,
            amount=Decimal(open_total).quantize(Decimal("0.01")) + Decimal("18.40"),
            received_on=today,
            external_reference=f"DEMO-VIR-TROP-PERCU-{account.number}",
            check_permission=False,
        )
        if not account.iban:
            CustomerAccount.objects.filter(pk=account.pk).update(iban=DEMO_IBAN)
        outcome = refunds.refunds_propose(
            actor=None, account_ids=[account.pk], check_permission=False
        )
        counts["refunds_proposed"] = len(outcome.proposed)
    return counts
