"""JSON API of collection operators and agencies (PAY-8).

* ``GET /payments/operators``: the operators;
* ``POST /payments/operator-transfers``: record a transfer received (201;
  400 naming ``amount``, ``received_on`` or ``bank_reference``);
* ``GET /payments/operator-transfers`` (filters ``operator``, ``unassigned``);
* ``GET /payments/operator-statements`` (filters ``operator``, ``status``) and
  ``GET /payments/operator-statements/{id}``: the statement, its differences
  and its lines with their outcome;
* ``POST /payments/operator-statements/{id}/examine``: examine a statement in
  difference again (optional ``transfers``: the bank references it covers);
  409 ``statement_already_booked``.

Statements are imported from a file (screen or ``robinet payments
import-operator-statement``). Same permissions as the screens.
"""

import datetime as dt
from decimal import Decimal

from ninja import Field, Router, Schema, Status

from robinet.billing.api import _page
from robinet.payments import operators

router = Router(tags=["opérateurs d'encaissement"])


class OperatorOut(Schema):
    code: str
    name: str
    kind: str = Field(description="operator | agency")
    active: bool


class TransferOut(Schema):
    id: int
    operator: str = Field(alias="operator.code")
    amount: Decimal
    received_on: dt.date
    bank_reference: str
    statement: int | None = Field(None, description="Statement it was validated against")

    @staticmethod
    def resolve_statement(obj) -> int | None:
        return obj.statement_id


class TransferIn(Schema):
    operator: str = Field(description="Operator code")
    amount: Decimal = Field(max_digits=14, decimal_places=2)
    received_on: dt.date
    bank_reference: str = Field(max_length=80)


class DifferenceOut(Schema):
    code: str = Field(
        description="no_transfer | total_mismatch | unknown_account | unknown_invoice | "
        "duplicate | already_booked"
    )
    line: int | None
    message: str


class OperatorLineOut(Schema):
    line: int
    reference: str
    account_number: str
    invoice_number: str
    amount: Decimal
    paid_on: dt.date
    outcome: str
    message: str
    payment: str | None = None

    @staticmethod
    def resolve_payment(obj) -> str | None:
        return obj.payment.number if obj.payment_id else None


class OperatorStatementSummaryOut(Schema):
    id: int
    operator: str = Field(alias="operator.code")
    filename: str
    status: str = Field(description="imported | booked | difference")
    line_count: int
    total: Decimal
    transfer_total: Decimal
    imported_at: dt.datetime
    booked_at: dt.datetime | None


class OperatorStatementOut(OperatorStatementSummaryOut):
    differences: list[DifferenceOut]
    transfers: list[str]
    lines: list[OperatorLineOut]

    @staticmethod
    def resolve_transfers(obj) -> list[str]:
        return list(obj.transfers.order_by("pk").values_list("bank_reference", flat=True))

    @staticmethod
    def resolve_lines(obj):
        return list(operators.statement_lines(obj))


@router.get("/payments/operators", response=list[OperatorOut], summary="Opérateurs")
def operator_list(request):
    return list(operators.operator_list(user=request.user))


@router.post(
    "/payments/operator-transfers",
    response={201: TransferOut},
    summary="Enregistrer un virement reçu d'un opérateur",
)
def transfer_create(request, payload: TransferIn):
    transfer = operators.operator_transfer_record(
        actor=request.user,
        operator=operators.operator_get(user=request.user, code=payload.operator),
        amount=payload.amount,
        received_on=payload.received_on,
        bank_reference=payload.bank_reference,
    )
    return Status(201, transfer)


@router.get(
    "/payments/operator-transfers", response=list[TransferOut], summary="Virements d'opérateurs"
)
def transfer_list(
    request, operator: str = "", unassigned: bool = False, limit: int = 50, offset: int = 0
):
    the_operator = operators.operator_get(user=request.user, code=operator) if operator else None
    qs = operators.transfer_list(user=request.user, operator=the_operator, unassigned=unassigned)
    return list(qs[_page(limit, offset)])


@router.get(
    "/payments/operator-statements",
    response=list[OperatorStatementSummaryOut],
    summary="Relevés d'opérateurs",
)
def statement_list(request, operator: str = "", status: str = "", limit: int = 50, offset: int = 0):
    the_operator = operators.operator_get(user=request.user, code=operator) if operator else None
    qs = operators.statement_list(user=request.user, operator=the_operator, status=status)
    return list(qs[_page(limit, offset)])


@router.get(
    "/payments/operator-statements/{statement_id}",
    response=OperatorStatementOut,
    summary="Lire un relevé d'opérateur",
)
def statement_get(request, statement_id: int):
    return operators.statement_get_for_user(user=request.user, pk=statement_id)


class ExamineIn(Schema):
    transfers: list[str] = Field(
        default_factory=list, description="Bank references of the transfers it covers"
    )


@router.post(
    "/payments/operator-statements/{statement_id}/examine",
    response=OperatorStatementOut,
    summary="Réexaminer un relevé en écart",
)
def statement_examine(request, statement_id: int, payload: ExamineIn):
    statement = operators.statement_get_for_user(user=request.user, pk=statement_id)
    operators.operator_statement_examine(
        actor=request.user, statement=statement, transfer_references=payload.transfers
    )
    return operators.statement_get_for_user(user=request.user, pk=statement_id)
