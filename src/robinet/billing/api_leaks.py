"""JSON API of leak relief (BILL-9, METER-5): the services of the screens.

* ``GET /billing/leak-reliefs``: the worklist (``status``, ``overdue``, ``account``);
* ``POST /billing/leak-reliefs``: open a request on a consumption bill (the
  METER-5 notice's average, or the one given; ``notice_missing`` when the
  customer was never informed);
* ``GET /billing/leak-reliefs/{id}``: read it, with the capped volumes and the
  credit it would give;
* every request belongs to a DEGREVEMENT case (``case``), answered and closed by the
  decision;
* ``POST …/certificate`` (multipart: the plumber's certificate and answers),
  ``POST …/meter-check``, ``POST …/decide`` (``approve`` | ``refuse`` |
  ``meter_faulty`` | ``meter_ok``). Approval answers the credit note number;
  the credit note is read as any invoice (``GET /invoices/{number}``).
"""

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from robinet.billing import leak_relief, leaks, selectors
from robinet.billing.api import _page
from robinet.core.exceptions import ValidationFailed

router = Router(tags=["écrêtement pour fuite"])


class CreditLineOut(Schema):
    position: int = Field(description="Position of the credited line on the invoice")
    component_code: str
    quantity: Decimal = Field(description="Volume credited (m³)")
    unit_price: Decimal
    amount_excl_vat: Decimal


class LeakReliefOut(Schema):
    id: int
    invoice: str = Field(alias="invoice.number")
    account: str = Field(alias="account.number")
    service_point: str = Field(alias="service_point.reference")
    status: str = Field(
        description="open | received | approved | refused | check_requested | meter_faulty "
        "| meter_ok"
    )
    kind: str = Field(description="certificate | meter_check")
    opened_on: dt.date
    informed_on: dt.date | None
    deadline: dt.date | None
    notice_missing: bool = Field(description="Never informed (METER-5): the cap applies anyway")
    reference_average: Decimal
    reference_basis: str
    received_on: dt.date | None
    repair_date: dt.date | None
    leak_location: str
    leak_after_meter: bool | None
    appliance_leak: bool | None
    certificate: bool = Field(description="The plumber's certificate is on file")
    check_requested_on: dt.date | None
    correction_needed: bool
    decision_reason: str
    decided_at: dt.datetime | None
    letter: str
    water_cap: Decimal = Field(description="Water billed on at most 2 × the average (m³)")
    sanitation_cap: Decimal = Field(description="Sanitation billed on the average (m³)")
    credit: list[CreditLineOut] = Field(description="What approval credits (or credited)")
    problems: dict[str, list[str]] = Field(description="BILL-9 conditions not met, by field")
    credit_note: str | None = None
    case: str | None = Field(None, description="Number of the DEGREVEMENT case (CASE-2)")
    check_fee_invoice: str | None = Field(
        None, description="Meter found fine: the invoice of the meter-check fee, if billed"
    )
    dunning_suspended: bool = Field(
        description="The meter check holds dunning on the account until its outcome"
    )
    check_intervention: str | None = Field(
        None, description="Meter check: number of the field intervention (meter accuracy check)"
    )
    correction_credit_note: str | None = Field(
        None,
        description="Meter found faulty: the credit note of the corrected consumption "
        "(the period billed again on the reference average)",
    )

    @staticmethod
    def resolve_case(obj) -> str | None:
        return obj.case.number if obj.case_id else None

    @staticmethod
    def resolve_check_fee_invoice(obj) -> str | None:
        return obj.check_fee_invoice.number if obj.check_fee_invoice_id else None

    @staticmethod
    def resolve_dunning_suspended(obj) -> bool:
        return bool(obj.check_block_id) and obj.check_block.lifted_on is None

    @staticmethod
    def resolve_check_intervention(obj) -> str | None:
        intervention = leaks.check_intervention_of(obj)
        return intervention.number if intervention is not None else None

    @staticmethod
    def resolve_correction_credit_note(obj) -> str | None:
        note = leaks.correction_note_of(obj)
        return note.number if note is not None else None

    @staticmethod
    def resolve_certificate(obj) -> bool:
        return bool(obj.certificate)

    @staticmethod
    def resolve_water_cap(obj) -> Decimal:
        return leak_relief.caps(obj.reference_average)[0]

    @staticmethod
    def resolve_sanitation_cap(obj) -> Decimal:
        return leak_relief.caps(obj.reference_average)[1]

    @staticmethod
    def resolve_credit(obj):
        if obj.credit_note_id:
            return [
                CreditLineOut(
                    position=line.position,
                    component_code=line.component_code,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    amount_excl_vat=line.amount_excl_vat,
                )
                for line in obj.credit_note.lines.order_by("position")
            ]
        return list(leaks.relief_of(obj).lines)

    @staticmethod
    def resolve_problems(obj):
        return leaks.eligibility_problems(obj)

    @staticmethod
    def resolve_credit_note(obj) -> str | None:
        return obj.credit_note.number if obj.credit_note_id else None


class LeakReliefIn(Schema):
    invoice: str | None = Field(None, description="Number of the consumption bill concerned")
    notice: int | None = Field(
        None, description="Id of the METER-5 notice (its bill is found when no invoice is given)"
    )
    reference_average: Decimal | None = Field(
        None, ge=0, description="m³; default: the METER-5 notice's reference average"
    )
    reference_basis: str = Field("", max_length=24)


class MeterCheckIn(Schema):
    requested_on: dt.date | None = Field(None, description="Default: today")
    contact_phone: str | None = Field(
        None,
        max_length=20,
        description="Customer's mobile for the field intervention (default: the holder's)",
    )


class LeakDecisionIn(Schema):
    decision: Literal["approve", "refuse", "meter_faulty", "meter_ok"]
    reason: str = Field("", max_length=255, description="Refusal reason or check note")


def _leak(request, pk: int):
    return leaks.leak_relief_get_for_user(user=request.user, pk=pk)


@router.get("/billing/leak-reliefs", response=list[LeakReliefOut], summary="Demandes d'écrêtement")
def leak_relief_list(
    request,
    status: str = "",
    overdue: bool = False,
    account: str = "",
    limit: int = 50,
    offset: int = 0,
):
    return list(
        leaks.leak_relief_search(
            user=request.user, status=status, overdue=overdue, account=account
        )[_page(limit, offset)]
    )


@router.post("/billing/leak-reliefs", response={201: LeakReliefOut}, summary="Ouvrir une demande")
def leak_relief_create(request, payload: LeakReliefIn):
    """From the invoice or from the METER-5 notice (its bill); 409 ``leak_relief_exists``
    when a request is already open on the invoice."""
    notice = None
    if payload.notice is not None:
        notice = leaks.notice_get_for_user(user=request.user, pk=payload.notice)
    number = payload.invoice
    if not number and notice is not None:
        bill = leaks.invoice_of_notice(notice)
        number = bill.number if bill else None
    if not number:
        raise ValidationFailed(
            {"invoice": [_("Indiquez la facture (ou une information facturée).")]}
        )
    invoice = selectors.invoice_get_for_user(user=request.user, number=number)
    leak = leaks.leak_relief_open(
        actor=request.user,
        invoice=invoice,
        notice=notice,
        reference_average=payload.reference_average,
        reference_basis=payload.reference_basis,
    )
    return Status(201, _leak(request, leak.pk))


@router.get("/billing/leak-reliefs/{pk}", response=LeakReliefOut, summary="Lire une demande")
def leak_relief_get(request, pk: int):
    return _leak(request, pk)


@router.post(
    "/billing/leak-reliefs/{pk}/certificate",
    response=LeakReliefOut,
    summary="Attestation du plombier",
)
def leak_relief_certificate(
    request,
    pk: int,
    certificate: File[UploadedFile],
    repair_date: Form[dt.date],
    leak_location: Form[str],
    leak_after_meter: Form[bool],
    appliance_leak: Form[bool],
    received_on: Form[dt.date | None] = None,
):
    """Multipart: the certificate (PDF or image, 10 MB at most) and the answers."""
    leaks.leak_relief_record_certificate(
        actor=request.user,
        request=_leak(request, pk),
        certificate=certificate,
        repair_date=repair_date,
        leak_location=leak_location,
        leak_after_meter=leak_after_meter,
        appliance_leak=appliance_leak,
        received_on=received_on,
    )
    return _leak(request, pk)


@router.post(
    "/billing/leak-reliefs/{pk}/meter-check",
    response=LeakReliefOut,
    summary="Vérification du compteur demandée",
)
def leak_relief_meter_check(request, pk: int, payload: MeterCheckIn):
    leaks.leak_relief_request_meter_check(
        actor=request.user,
        request=_leak(request, pk),
        requested_on=payload.requested_on,
        contact_phone=payload.contact_phone,
    )
    return _leak(request, pk)


@router.post("/billing/leak-reliefs/{pk}/decide", response=LeakReliefOut, summary="Décider")
def leak_relief_decide(request, pk: int, payload: LeakDecisionIn):
    """``approve`` issues the credit note per component (422 with the conditions not met);
    ``refuse`` (reason, by default the conditions not met); ``meter_faulty`` / ``meter_ok``
    close a meter check."""
    leak = _leak(request, pk)
    if payload.decision == "approve":
        leaks.leak_relief_approve(actor=request.user, request=leak)
    elif payload.decision == "refuse":
        leaks.leak_relief_refuse(actor=request.user, request=leak, reason=payload.reason)
    else:
        leaks.leak_relief_meter_check_outcome(
            actor=request.user,
            request=leak,
            faulty=payload.decision == "meter_faulty",
            note=payload.reason,
        )
    return _leak(request, pk)
