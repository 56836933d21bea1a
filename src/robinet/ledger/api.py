"""JSON API of the accounting outputs (PAY-7, PAY-1a); amounts as strings, same permissions.

* ``GET /accounting/entries`` (filters ``journal``, ``start``, ``end``, ``piece``,
  ``account``) and ``GET /accounting/entries/{id}`` (with its lines);
* ``GET /accounting/chart``: the chart of accounts with balances;
* ``GET /accounting/reconciliation?date=``: the reconciliation of balances;
* ``GET /accounting/beneficiaries?start=&end=``: billed and collected per beneficiary;
* ``GET /accounting/fec?year=``: the FEC file (text).
"""

import datetime as dt
from decimal import Decimal

from django.http import FileResponse
from ninja import Field, Query, Router, Schema

from robinet.billing.api import _binary, _page
from robinet.core import clock
from robinet.ledger import beneficiaries, fec, reconciliation
from robinet.ledger import journal as reads

router = Router(tags=["comptabilité"])


class EntrySummaryOut(Schema):
    id: int
    journal: str
    number: str = Field(description="EcritureNum: journal + number")
    year: int
    entry_date: dt.date
    piece_ref: str
    piece_date: dt.date
    label: str
    centre: str = Field(alias="centre.code")
    event: str
    total: Decimal | None = Field(None, alias="total_debit")

    @staticmethod
    def resolve_number(obj) -> str:
        return fec.entry_number(obj.journal, obj.number)


class LineOut(Schema):
    ledger_account: str
    label: str
    customer_account: str | None
    piece_ref: str = Field(description="the line's own piece, else the entry's")
    debit: Decimal
    credit: Decimal

    @staticmethod
    def resolve_customer_account(obj) -> str | None:
        account = obj["customer_account"]
        return account.number if account else None


class EntryOut(EntrySummaryOut):
    lines: list[LineOut]

    @staticmethod
    def resolve_lines(obj):
        return reads.entry_lines(obj)


class AccountOut(Schema):
    code: str
    label: str
    role: str
    balance: Decimal = Field(description="debit − credit over the visible centres")


class CustomerDifferenceOut(Schema):
    account: str
    holder: str
    sub_ledger: Decimal
    general_ledger: Decimal
    difference: Decimal


class EntityBalanceOut(Schema):
    entity: str
    name: str
    kind: str
    sub_ledger: Decimal = Field(description="Σ customer open items posted up to the date")
    general_ledger: Decimal = Field(description="Σ (debit − credit) on 411/416 up to the date")
    difference: Decimal


class CentreBalanceOut(EntityBalanceOut):
    accounts: list[CustomerDifferenceOut] = Field(description="customer accounts that differ")


class ReconciliationOut(Schema):
    date: dt.date
    balanced: bool
    total: EntityBalanceOut
    regions: list[EntityBalanceOut]
    agencies: list[EntityBalanceOut]
    centres: list[CentreBalanceOut]


class BeneficiaryRowOut(Schema):
    beneficiary: str = Field(description="operator | authority | water_agency | other | vat")
    service: str = Field(description="water, sanitation…; the rate for VAT")
    invoiced: Decimal
    credit_notes: Decimal
    billed: Decimal
    collected: Decimal
    credited: Decimal
    written_off: Decimal
    owed: Decimal


@router.get("/accounting/entries", response=list[EntrySummaryOut], summary="Écritures")
def entry_list(
    request, journal: str = "", start: dt.date | None = None,
    end: dt.date | None = None, piece: str = "", account: str = "", limit: int = 50,
    offset: int = 0,
):  # fmt: skip
    entries = reads.entry_list(
        user=request.user, journal=journal, start=start, end=end, piece=piece, account=account
    )
    return list(entries[_page(limit, offset)])


@router.get("/accounting/entries/{entry_id}", response=EntryOut, summary="Lire une écriture")
def entry_get(request, entry_id: int):
    return reads.entry_get_for_user(user=request.user, pk=entry_id)


@router.get("/accounting/chart", response=list[AccountOut], summary="Plan comptable")
def chart(request):
    return reads.chart_list(user=request.user)


@router.get(
    "/accounting/reconciliation", response=ReconciliationOut, summary="Rapprochement des soldes"
)
def reconciliation_get(request, date: dt.date | None = None):
    result = reconciliation.report(actor=request.user, on=date or clock.today())
    return reconciliation.report_to_dict(result)


@router.get(
    "/accounting/beneficiaries",
    response=list[BeneficiaryRowOut],
    summary="Facturé et encaissé par bénéficiaire",
)
def beneficiary_report(
    request, start: dt.date, end: dt.date, beneficiary: str = "", service: str = ""
):
    rows = beneficiaries.report(
        actor=request.user, start=start, end=end, beneficiary=beneficiary, service=service
    )
    return beneficiaries.report_to_dict(rows)


@router.get(
    "/accounting/fec",
    summary="Fichier des écritures comptables (FEC) d'un exercice",
    openapi_extra=_binary("text/plain", "FEC file"),
)
def fec_get(
    request,
    year: int = Query(..., ge=1, le=9999, description="Exercise (calendar year)"),
    separator: str = "tab",
    siren: str = "",
):
    """400 naming ``siren`` or ``separator``; 400 ``unbalanced_entry`` naming the entry."""
    fec.require_whole_ledger(request.user)
    name = fec.file_name(siren=fec.resolve_siren(siren), year=year)
    handle = fec.to_temporary_file(year=year, separator=separator)
    return FileResponse(
        handle, as_attachment=True, filename=name, content_type="text/plain; charset=utf-8"
    )
