"""JSON API of bank statements and the unallocated-amounts worklist (PAY-5).

* ``POST /payments/bank-statements`` (multipart ``file``): import a camt.053 or
  CFONB 120 statement (201 with the outcome); 422 ``invalid_import_file`` with
  every problem by line, 409 ``already_imported`` / ``statement_already_imported``;
* ``GET /payments/bank-statements`` and ``GET /payments/bank-statements/{id}``
  (with its entries, their status, confidence and signals);
* ``GET /payments/unallocated`` (filters ``status``, ``q``), ``GET
  /payments/unallocated/ageing``, ``GET /payments/unallocated/{id}`` (with the
  ranked suggestions);
* ``POST /payments/unallocated/{id}/allocate`` (``account``, optional
  ``invoice``), ``…/split`` (``parts``: account + amount, adding up to the
  credit), ``…/refund`` and ``…/transfer`` (``reason``); 409
  ``entry_not_unallocated`` when someone handled it first.

Same permissions as the screens: PAYMENT_IMPORT to import, PAYMENT_VIEW to
read, PAYMENT_ALLOCATE to work the worklist.
"""

import datetime as dt
from decimal import Decimal

from ninja import Field, File, Router, Schema, Status, UploadedFile

from robinet.billing.api import _page
from robinet.core import clock
from robinet.payments import bank_statements as service
from robinet.payments import statement_selectors as selectors

router = Router(tags=["relevés bancaires"])


class StatementEntryOut(Schema):
    id: int
    statement: int = Field(alias="statement_id")
    line: int
    reference: str
    amount: Decimal
    booked_on: dt.date
    value_date: dt.date
    debtor_name: str
    debtor_iban: str
    remittance: str
    end_to_end_id: str
    status: str = Field(
        description="matched (to book) | booked | unallocated | refunded | transferred"
    )
    account: str | None = Field(None, description="Customer number it was allocated to")
    confidence: int = Field(description="0–100")
    signals: dict = Field(description="What produced the match, or why none")
    note: str
    payments: list[str] = Field(default_factory=list, description="Payments booked from it")

    @staticmethod
    def resolve_account(obj) -> str | None:
        return obj.account.number if obj.account_id else None

    @staticmethod
    def resolve_payments(obj) -> list[str]:
        return list(obj.bookings.order_by("pk").values_list("payment__number", flat=True))


class SuggestionOut(Schema):
    account_id: int
    number: str
    name: str
    balance: str
    invoice_id: int | None = None
    score: int
    signals: dict


class EntryDetailOut(StatementEntryOut):
    suggestions: list[SuggestionOut]


class BankStatementSummaryOut(Schema):
    id: int
    filename: str
    format: str = Field(description="camt053 | cfonb120 | mt940")
    statement_id: str
    account_iban: str
    from_date: dt.date
    to_date: dt.date
    opening_balance: Decimal | None
    closing_balance: Decimal | None
    credit_count: int
    credit_total: Decimal
    debit_count: int
    imported_at: dt.datetime


class BankStatementOut(BankStatementSummaryOut):
    entries: list[StatementEntryOut]

    @staticmethod
    def resolve_entries(obj):
        return list(selectors.statement_entries(statement=obj).prefetch_related("bookings"))


class ImportOut(Schema):
    statements: list[BankStatementSummaryOut]
    booked: int = Field(description="Matched credits booked by the statement's booking run")
    unallocated: int
    booked_total: Decimal
    unallocated_total: Decimal
    to_book: int = Field(
        description="Matched credits not booked yet (status matched): the run failed or "
        "was interrupted; resume it"
    )
    to_book_total: Decimal
    run: int | None = Field(
        None, alias="run_id", description="The booking run (payments.statement_booking)"
    )
    run_state: str = Field(description="done | failed | running… ('' when nothing matched)")


class AgeingOut(Schema):
    label: str
    count: int
    total: Decimal


class AllocateIn(Schema):
    account: str = Field(description="Customer number")
    invoice: str = Field("", description="Invoice number to settle first (optional)")


class PartIn(Schema):
    account: str
    amount: Decimal = Field(max_digits=12, decimal_places=2)


class SplitIn(Schema):
    parts: list[PartIn]


class StatementReasonIn(Schema):
    reason: str = Field(max_length=255)


@router.post(
    "/payments/bank-statements",
    response={201: ImportOut},
    summary="Importer un relevé bancaire (camt.053, CFONB 120, MT940)",
)
def statement_import(request, file: File[UploadedFile]):
    outcome = service.statement_import(
        actor=request.user, source=file.read(), filename=file.name or "releve"
    )
    return Status(201, outcome)


@router.get(
    "/payments/bank-statements", response=list[BankStatementSummaryOut], summary="Relevés bancaires"
)
def statement_list(request, limit: int = 50, offset: int = 0):
    return list(selectors.statement_list(user=request.user)[_page(limit, offset)])


@router.get(
    "/payments/bank-statements/{statement_id}",
    response=BankStatementOut,
    summary="Lire un relevé bancaire et ses opérations",
)
def statement_get(request, statement_id: int):
    return selectors.statement_get(user=request.user, pk=statement_id)


@router.get(
    "/payments/unallocated",
    response=list[StatementEntryOut],
    summary="Montants en instance d'affectation",
)
def worklist(request, status: str = "unallocated", q: str = "", limit: int = 50, offset: int = 0):
    entries = selectors.worklist(user=request.user, status=status, search=q)
    return list(entries.prefetch_related("bookings")[_page(limit, offset)])


@router.get(
    "/payments/unallocated/ageing",
    response=list[AgeingOut],
    summary="Ancienneté des montants en instance",
)
def worklist_ageing(request):
    return selectors.worklist_ageing(user=request.user, today=clock.today())


@router.get(
    "/payments/unallocated/{entry_id}",
    response=EntryDetailOut,
    summary="Un montant en instance et ses suggestions",
)
def entry_get(request, entry_id: int):
    return selectors.entry_get(user=request.user, pk=entry_id)


@router.post(
    "/payments/unallocated/{entry_id}/allocate",
    response=EntryDetailOut,
    summary="Affecter à un compte client",
)
def entry_allocate(request, entry_id: int, payload: AllocateIn):
    entry = selectors.entry_get(user=request.user, pk=entry_id)
    account, invoice = selectors.allocation_target(
        user=request.user, number=payload.account, invoice_number=payload.invoice
    )
    service.entry_allocate(actor=request.user, entry=entry, account=account, invoice=invoice)
    return selectors.entry_get(user=request.user, pk=entry_id)


@router.post(
    "/payments/unallocated/{entry_id}/split",
    response=EntryDetailOut,
    summary="Répartir entre plusieurs comptes",
)
def entry_split(request, entry_id: int, payload: SplitIn):
    entry = selectors.entry_get(user=request.user, pk=entry_id)
    parts = [
        (selectors.allocation_target(user=request.user, number=p.account)[0], p.amount)
        for p in payload.parts
    ]
    service.entry_split(actor=request.user, entry=entry, parts=parts)
    return selectors.entry_get(user=request.user, pk=entry_id)


@router.post(
    "/payments/unallocated/{entry_id}/refund",
    response=EntryDetailOut,
    summary="Mettre en remboursement",
)
def entry_refund(request, entry_id: int, payload: StatementReasonIn):
    entry = selectors.entry_get(user=request.user, pk=entry_id)
    service.entry_mark_refund(actor=request.user, entry=entry, reason=payload.reason)
    return selectors.entry_get(user=request.user, pk=entry_id)


@router.post(
    "/payments/unallocated/{entry_id}/transfer",
    response=EntryDetailOut,
    summary="Transférer hors des comptes clients",
)
def entry_transfer(request, entry_id: int, payload: StatementReasonIn):
    entry = selectors.entry_get(user=request.user, pk=entry_id)
    service.entry_transfer(actor=request.user, entry=entry, reason=payload.reason)
    return selectors.entry_get(user=request.user, pk=entry_id)
