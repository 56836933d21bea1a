"""Leak relief (*écrêtement, loi Warsmann*, BILL-9, with METER-5): requests and decisions.

* :func:`leak_relief_open` opens a request on a consumption bill, from the
  METER-5 notice (or the invoice that showed it). The customer has one month
  from being informed (the notice sent, or the bill that carried it) to
  answer; when nobody informed the customer, the request is flagged
  ``notice_missing``: no deadline, the cap applies anyway (L2224-12-4 III bis).
* :func:`leak_relief_record_certificate` records the plumber's certificate
  (PDF or image, 10 MB at most, kept in Django's storage), the repair date,
  the location of the leak and the eligibility answers.
* :func:`eligibility_problems` lists what stands against relief, field by
  field: not a dwelling (main or secondary residence), no leak on the pipes
  after the meter, an appliance / sanitary fitting / water heater leak,
  received after the deadline.
* :func:`leak_relief_approve` issues the credit note per component at once
  (water capped at twice the average, sanitation at the average, levies
  following — :mod:`robinet.billing.leak_relief`), numbered in the AV series
  inside the transaction, with its open item (BILL-6).
* :func:`leak_relief_refuse` records the reason; the answer letter is
  rendered from ``billing/leak_letter.txt``.
* Meter-check branch: :func:`leak_relief_request_meter_check` creates the
  field intervention (a meter accuracy check, CASE-8) on the request's case, then
  :func:`leak_relief_meter_check_outcome` — faulty: no relief, the consumption of
  the period is corrected to the reference average (the estimate on the history)
  and the difference is credited at once (an AV credit note per component,
  :func:`robinet.billing.leak_relief.correction`); the invoice is left "to
  correct" by hand only when nothing can be credited automatically (billed at or
  below the average, or already credited). Fine: the excess is due, and the check
  fee of the price list (:data:`METER_CHECK_FEE`) is billed when it is in force
  and COLL-1 allows it.

Every request belongs to a ``DEGREVEMENT`` case (CASE-2): the one the METER-5
notice started, else an open one of the account waiting for its request (the
portal's), else a new one. The case's type blocks dunning while it is open
(CASE-7: the request itself blocks nothing); the meter check adds its own block
on the account (blocks are per account) until its outcome. The decision is the
case's written answer (a PDF letter, e-mailed when the customer has an address)
and closes it. Requests made before cases existed get their case lazily, at
their next step.

Permissions: ``billing.view`` to read, ``billing.correct`` to write; the case
services check ``case.handle`` too (billing officers have both).
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from robinet.billing import leak_relief
from robinet.billing.choices import (
    BILL_KINDS,
    LEAK_RELIEF_ACTIVE,
    InvoiceKind,
    LeakReliefKind,
    LeakReliefStatus,
    Series,
)
from robinet.billing.fees import _require, _user, totals, vat_breakdown
from robinet.billing.models import Invoice, InvoiceLine, LeakReliefRequest
from robinet.billing.writer import NUMBER_WIDTH
from robinet.core import audit, clock
from robinet.core.exceptions import ApplicationError, InvalidTransition, NotFound, ValidationFailed
from robinet.core.numbering import format_number, next_number
from robinet.customers.choices import PremisesUse
from robinet.ledger.services import book_invoice
from robinet.organisation.access import require, scope_for
from robinet.organisation.roles import Perm

CERTIFICATE_EXTENSIONS = {".pdf", ".png", ".jpg", ".jpeg"}
CERTIFICATE_MAX_BYTES = 10 * 1024 * 1024
DWELLINGS = (PremisesUse.MAIN_RESIDENCE, PremisesUse.SECONDARY_RESIDENCE)
REASON = "Écrêtement pour fuite (loi Warsmann)"
CORRECTION_REASON = "Compteur défectueux : consommation rectifiée"
SANITATION_SERVICE = "sanitation"
#: the price-list code of the meter-check fee (billed when the meter is found fine)
METER_CHECK_FEE = "FRAIS-ETALONNAGE"
CASE_TYPE = "DEGREVEMENT"


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day ``months`` later (the last day of the month when it has fewer days)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- selectors -------------------------------------------------------------------------------


def leak_relief_list(*, user, perm: str = Perm.BILLING_VIEW) -> QuerySet[LeakReliefRequest]:
    """Requests on the accounts of the user's centres."""
    requests = LeakReliefRequest.objects.select_related(
        "account__party",
        "invoice",
        "service_point",
        "credit_note",
        "case",
        "check_block",
        "check_fee_invoice",
    )
    if user is None:
        return requests
    require(user, perm)
    scope = scope_for(user)
    if scope.is_superuser:
        return requests
    return requests.filter(account__centre_id__in=scope.centre_ids(perm))


def leak_relief_search(
    *, user, status: str = "", overdue: bool = False, account: str = ""
) -> QuerySet[LeakReliefRequest]:
    """The worklist: ``overdue`` = still waiting for the customer past the deadline."""
    requests = leak_relief_list(user=user)
    if status:
        requests = requests.filter(status=status)
    if account:
        requests = requests.filter(account__number=account.strip())
    if overdue:
        requests = requests.filter(status=LeakReliefStatus.OPEN, deadline__lt=clock.today())
    return requests.order_by("-opened_on", "-id")


def leak_relief_get_for_user(*, user, pk: int, perm: str = Perm.BILLING_VIEW) -> LeakReliefRequest:
    request = (
        leak_relief_list(user=user, perm=perm)
        .select_related("account__centre", "notice", "invoice__account")
        .filter(pk=pk)
        .first()
    )
    if request is None:
        raise NotFound(_("Demande d'écrêtement introuvable."))
    return request


def notice_get_for_user(*, user, pk: int):
    """A METER-5 notice of an account in the user's centres."""
    from robinet.metering.models import AbnormalConsumptionNotice

    notices = AbnormalConsumptionNotice.objects.select_related("account__centre")
    if user is not None:
        require(user, Perm.BILLING_VIEW)
        scope = scope_for(user)
        if not scope.is_superuser:
            notices = notices.filter(account__centre_id__in=scope.centre_ids(Perm.BILLING_VIEW))
    notice = notices.filter(pk=pk).first()
    if notice is None:
        raise NotFound(_("Information de consommation anormale introuvable."))
    return notice


def is_overdue(request: LeakReliefRequest, on: dt.date | None = None) -> bool:
    on = on or clock.today()
    return (
        request.status == LeakReliefStatus.OPEN
        and request.deadline is not None
        and on > request.deadline
    )


def may_request_relief(invoice: Invoice) -> bool:
    """The invoice-page button: a consumption bill with a METER-5 notice or on a dwelling."""
    if invoice.kind not in BILL_KINDS or invoice.service_point_id is None:
        return False
    return bool(invoice.abnormal_notice_id) or invoice.service_point.premises_use in DWELLINGS


def active_request_of(invoice: Invoice) -> LeakReliefRequest | None:
    return invoice.leak_relief_requests.filter(status__in=LEAK_RELIEF_ACTIVE).first()


def corrected_volume(request: LeakReliefRequest) -> Decimal:
    """Meter faulty: the period's consumption corrected to the reference average (m³, to the
    hundredth, as billed)."""
    return leak_relief.correction(corrected=request.reference_average, lines=[]).water_cap


def correction_note_of(request: LeakReliefRequest) -> Invoice | None:
    """Meter found faulty: the credit note of the corrected consumption, or None.

    (``credit_note`` is the approval's; the correction's is found by its reason on the
    invoice concerned.)
    """
    if request.status != LeakReliefStatus.METER_FAULTY:
        return None
    return (
        Invoice.objects.filter(
            credited_invoice_id=request.invoice_id,
            kind=InvoiceKind.CREDIT_NOTE,
            reason__startswith=CORRECTION_REASON,
        )
        .order_by("id")
        .first()
    )


def check_intervention_of(request: LeakReliefRequest):
    """The field intervention (meter accuracy check) of a meter-check request, or None.

    It is linked through the request's case: the check is the case's latest
    METER_ACCURACY intervention.
    """
    from robinet.cases.choices import InterventionKind
    from robinet.cases.models import Intervention

    if request.case_id is None or request.kind != LeakReliefKind.METER_CHECK:
        return None
    return (
        Intervention.objects.filter(case_id=request.case_id, kind=InterventionKind.METER_ACCURACY)
        .order_by("-created_at", "-id")
        .first()
    )


# --- the rule on an invoice ------------------------------------------------------------------


def _sanitation_tied_components(tariff_codes) -> set[str]:
    """Components the tariff reserves to points with sanitation (``requires_service``)."""
    from robinet.tariffs.models import TariffVersion

    tied: set[str] = set()
    for definition in TariffVersion.objects.filter(code__in=set(tariff_codes)).values_list(
        "definition", flat=True
    ):
        for component in (definition or {}).get("components", []):
            if component.get("requires_service") == SANITATION_SERVICE:
                tied.add(component.get("code"))
    return tied


def volume_lines(invoice: Invoice) -> list[leak_relief.VolumeLine]:
    """The invoice's m³ lines with the cap each follows (other lines are not capped)."""
    lines = [
        line
        for line in invoice.lines.order_by("position")
        if line.unit == "m3" and line.component_kind == "volume"
    ]
    tied = _sanitation_tied_components(line.tariff_code for line in lines)
    out = []
    for line in lines:
        basis = leak_relief.basis_of(line.service, tied_to_sanitation=line.component_code in tied)
        if basis is None:
            continue
        out.append(
            leak_relief.VolumeLine(
                position=line.position,
                component_code=line.component_code,
                basis=basis,
                quantity=line.quantity,
                unit_price=line.unit_price,
                amount_excl_vat=line.amount_excl_vat,
                period_start=line.period_start,
                block=line.block,
            )
        )
    return out


def relief_of(request: LeakReliefRequest) -> leak_relief.Relief:
    """What approving ``request`` would credit (shown before the decision)."""
    return leak_relief.relief(
        average=request.reference_average, lines=volume_lines(request.invoice)
    )


def eligibility_problems(request: LeakReliefRequest) -> dict[str, list[str]]:
    """BILL-9 conditions not met, by field (empty: eligible)."""
    problems: dict[str, list[str]] = {}
    if request.service_point.premises_use not in DWELLINGS:
        problems["premises_use"] = [
            _(
                "Le local n'est pas un logement (résidence principale ou secondaire) : "
                "l'écrêtement ne s'applique pas."
            )
        ]
    if request.kind == LeakReliefKind.CERTIFICATE:
        if not request.certificate:
            problems["certificate"] = [_("L'attestation du plombier n'a pas été reçue.")]
        if request.leak_after_meter is not True:
            problems["leak_after_meter"] = [
                _("La fuite n'est pas sur une canalisation après le compteur.")
            ]
        if request.appliance_leak is not False:
            problems["appliance_leak"] = [
                _(
                    "Les fuites des appareils ménagers, équipements sanitaires et chauffe-eau "
                    "sont exclues."
                )
            ]
    received = request.received_on or request.check_requested_on
    if request.deadline is not None and received is not None and received > request.deadline:
        problems["received_on"] = [
            _("Reçue le %(r)s, après la date limite du %(d)s (un mois après l'information).")
            % {"r": received.strftime("%d/%m/%Y"), "d": request.deadline.strftime("%d/%m/%Y")}
        ]
    return problems


def two_decimals(value) -> str:
    """``334,67``: rounded half-up first, as ``number_format`` alone cuts (334.667 → 334,66)."""
    rounded = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return number_format(rounded, decimal_pos=2, use_l10n=True, force_grouping=True)


def letter_text(request: LeakReliefRequest, relief: leak_relief.Relief | None = None) -> str:
    """The answer to the customer (French), from ``billing/leak_letter.txt``."""
    m3 = two_decimals

    context = {
        "request": request,
        "approved": request.status == LeakReliefStatus.APPROVED,
        "refused": request.status == LeakReliefStatus.REFUSED,
        "meter_faulty": request.status == LeakReliefStatus.METER_FAULTY,
        "meter_ok": request.status == LeakReliefStatus.METER_OK,
        "average": m3(request.reference_average),
        "water_cap": m3(request.water_cap) if request.water_cap is not None else "",
        "sanitation_cap": m3(request.sanitation_cap) if request.sanitation_cap is not None else "",
        "credit_note": request.credit_note,
        "amount": m3(request.credit_note.total_incl_vat) if request.credit_note_id else "",
        "correction": correction_note_of(request),
        "corrected_volume": m3(corrected_volume(request)),
        "fee_amount": m3(request.check_fee_invoice.total_incl_vat)
        if request.check_fee_invoice_id
        else "",
    }
    if context["correction"] is not None:
        context["correction_amount"] = m3(context["correction"].total_incl_vat)
    return render_to_string("billing/leak_letter.txt", context).strip()


# --- writes ----------------------------------------------------------------------------------


def _locked(request: LeakReliefRequest) -> LeakReliefRequest:
    return (
        LeakReliefRequest.objects.select_for_update(of=("self",))
        .select_related("account__centre", "service_point", "invoice", "notice", "case__case_type")
        .get(pk=request.pk)
    )


def _notice_of(invoice: Invoice):
    from robinet.metering.models import AbnormalConsumptionNotice

    if invoice.abnormal_notice_id:
        return invoice.abnormal_notice
    if invoice.new_reading_id:
        return AbnormalConsumptionNotice.objects.filter(reading_id=invoice.new_reading_id).first()
    return None


def invoice_of_notice(notice) -> Invoice | None:
    """The consumption bill a METER-5 notice concerns: the one carrying it, else the one
    billed up to its reading (latest generation)."""
    bills = Invoice.objects.filter(kind__in=BILL_KINDS)
    return (
        bills.filter(abnormal_notice=notice).order_by("-generation").first()
        or bills.filter(new_reading_id=notice.reading_id).order_by("-generation").first()
    )


def informed_on(notice, invoice: Invoice) -> dt.date | None:
    """When the customer was informed (METER-5): the notice sent, else the bill showing it."""
    if notice is None:
        return None
    days = []
    if notice.sent_at is not None:
        days.append(timezone.localdate(notice.sent_at))
    if invoice.abnormal_notice_id == notice.pk:
        days.append(invoice.issue_date)
    return min(days) if days else None


# --- the case (CASE-2, CASE-7) ----------------------------------------------------------------


def _case_type():
    from robinet.cases.models import CaseType

    found = CaseType.objects.filter(code=CASE_TYPE, active=True).first()
    if found is None:
        raise ValidationFailed(
            {
                "case": [
                    _(
                        "Le type de dossier %(code)s manque au dictionnaire ou est inactif "
                        "(robinet cases seed-dictionary)."
                    )
                    % {"code": CASE_TYPE}
                ]
            }
        )
    return found


def _available(case, account_id: int) -> bool:
    """An open DEGREVEMENT case of the account that no request holds yet."""
    return (
        case is not None
        and case.is_open
        and case.account_id == account_id
        and case.case_type.code == CASE_TYPE
        and not LeakReliefRequest.objects.filter(case=case).exists()
    )


def _case_for_new_request(*, actor, invoice: Invoice, notice, case):
    """The case a new request joins: the one given, the notice's, an open one waiting for its
    request (a customer's request recorded before the bill was found), else a new one."""
    from robinet.cases.choices import OPEN_STATUSES
    from robinet.cases.models import Case

    if case is not None:
        if not _available(case, invoice.account_id):
            raise ValidationFailed(
                {
                    "case": [
                        _(
                            "Ce dossier n'est pas un dossier de dégrèvement ouvert de ce client "
                            "sans demande d'écrêtement."
                        )
                    ]
                }
            )
        return case
    if (
        notice is not None
        and notice.case_id is not None
        and _available(notice.case, invoice.account_id)
    ):
        return notice.case
    waiting = (
        Case.objects.filter(
            account_id=invoice.account_id,
            case_type__code=CASE_TYPE,
            status__in=OPEN_STATUSES,
            leak_relief_requests__isnull=True,
        )
        .select_related("case_type")
        .order_by("opened_at", "id")
    )
    for candidate in waiting:
        # A notice's case belongs to that notice's bill only.
        other_notice = getattr(candidate, "abnormal_notice", None)
        if other_notice is None or (notice is not None and other_notice.pk == notice.pk):
            return candidate
    return _case_open(actor=actor, invoice=invoice, notice=notice)


def _case_open(*, actor, invoice: Invoice, notice=None):
    from robinet.cases.choices import Channel
    from robinet.cases.services import case_open

    return case_open(
        actor=actor,
        case_type=_case_type(),
        account=invoice.account,
        channel=Channel.LETTER,
        subject=_("Écrêtement pour fuite — facture %(n)s") % {"n": invoice.number},
        description=_("Demande d'écrêtement (loi Warsmann) sur la facture %(n)s%(notice)s.")
        % {
            "n": invoice.number,
            "notice": "" if notice is not None else _(", sans information préalable (METER-5)"),
        },
    )


def _ensure_case(*, actor, request: LeakReliefRequest):
    """The request's case; a request made before cases existed gets one now (lazily)."""
    if request.case_id is not None:
        return request.case
    case = _case_open(actor=actor, invoice=request.invoice, notice=request.notice)
    request.case = case
    request.save(update_fields=["case"])
    return case


def _signature(actor):
    """The signer of the decision letter: the deciding officer when their name is known,
    else the customer service (seed 003 §5.1.7.4 wants a first name, name and title)."""
    from django.conf import settings

    from robinet.cases.answers import Signature

    first = (getattr(actor, "first_name", "") or "").strip()
    last = (getattr(actor, "last_name", "") or "").strip()
    if first and last:
        return Signature(first, last, _("Conseiller(ère) clientèle"))
    return Signature(_("Le service"), _("clientèle"), settings.ROBINET_UTILITY["name"])


def _answer_and_close(*, actor, request: LeakReliefRequest, resolution: str) -> None:
    """The decision letter is the case's written answer (PDF, e-mailed when the customer has
    an address, CASE-4); then the case closes and its dunning block is lifted (CASE-7)."""
    from robinet.cases.services import answer_send, case_close

    case = _ensure_case(actor=actor, request=request)
    case.refresh_from_db()
    if not case.is_open:  # closed by hand meanwhile: the letter stays on the request
        return
    contact = answer_send(actor=actor, case=case, body=request.letter, signature=_signature(actor))
    request.letter = contact.body
    request.save(update_fields=["letter"])
    request.case = case_close(actor=actor, case=case, resolution=resolution)


def answer_of(request: LeakReliefRequest):
    """The written answer sent for the decision (its PDF is the letter), or None."""
    if request.case_id is None or request.decided_at is None:
        return None
    return (
        request.case.contacts.filter(is_answer=True, occurred_at__gte=request.decided_at)
        .order_by("occurred_at", "id")
        .first()
    )


@transaction.atomic
def leak_relief_open(
    *,
    actor,
    invoice: Invoice,
    notice=None,
    reference_average: Decimal | None = None,
    reference_basis: str = "",
    opened_on: dt.date | None = None,
    case=None,
) -> LeakReliefRequest:
    """Open a request on a consumption bill (BILL-9), in its DEGREVEMENT case.

    The reference average is the notice's (METER-5); without a notice the
    officer gives it (average of the last three years, or of comparable
    premises) and the request is flagged ``notice_missing``. ``case``: the open
    case of the customer's request (the portal's); by default the notice's case,
    else an open DEGREVEMENT case of the account without a request, else a new one.
    """
    _require(actor, Perm.BILLING_CORRECT, invoice.account.centre)
    if invoice.kind not in BILL_KINDS or invoice.service_point_id is None:
        raise ApplicationError(
            _("L'écrêtement porte sur une facture de consommation."), code="not_a_bill"
        )
    Invoice.objects.select_for_update().filter(pk=invoice.pk).values_list("pk").get()
    existing = active_request_of(invoice)
    if existing is not None:
        raise ApplicationError(
            _("Une demande d'écrêtement est déjà ouverte sur la facture %(n)s.")
            % {"n": invoice.number},
            code="leak_relief_exists",
            http_status=409,
        )
    notice = notice or _notice_of(invoice)
    if notice is not None and notice.service_point_id != invoice.service_point_id:
        raise ValidationFailed(
            {"notice": [_("L'information ne concerne pas le point de desserte de la facture.")]}
        )
    if reference_average is None and notice is not None:
        reference_average = notice.reference_average
        reference_basis = reference_basis or notice.reference_basis
    if reference_average is None or reference_average < 0:
        raise ValidationFailed(
            {
                "reference_average": [
                    _(
                        "Indiquez la consommation moyenne de référence (trois dernières années "
                        "ou locaux comparables)."
                    )
                ]
            }
        )
    opened_on = opened_on or clock.today()
    informed = informed_on(notice, invoice)
    case = _case_for_new_request(actor=actor, invoice=invoice, notice=notice, case=case)
    request = LeakReliefRequest.objects.create(
        case=case,
        notice=notice,
        invoice=invoice,
        account_id=invoice.account_id,
        service_point_id=invoice.service_point_id,
        opened_on=opened_on,
        informed_on=informed,
        deadline=add_months(informed, 1) if informed else None,
        notice_missing=informed is None,
        reference_average=Decimal(reference_average).quantize(leak_relief.VOLUME_QUANTUM),
        reference_basis=reference_basis[:24],
        created_at=clock.now(),
        created_by=_user(actor),
    )
    audit.record(
        actor=actor,
        verb="leak_relief_opened",
        target=request,
        subject=invoice.account,
        data={
            "invoice": invoice.number,
            "notice_missing": request.notice_missing,
            "deadline": request.deadline,
            "case": case.number,
        },
    )
    return request


def _check_certificate(document) -> None:
    if document is None:
        raise ValidationFailed(
            {"certificate": [_("Joignez l'attestation du plombier (PDF ou image).")]}
        )
    extension = os.path.splitext(document.name or "")[1].lower()
    if extension not in CERTIFICATE_EXTENSIONS:
        raise ValidationFailed(
            {"certificate": [_("L'attestation doit être un PDF ou une image (PNG, JPEG).")]}
        )
    if document.size > CERTIFICATE_MAX_BYTES:
        raise ValidationFailed({"certificate": [_("Fichier trop volumineux (10 Mo au plus).")]})


def leak_relief_record_certificate(
    *,
    actor,
    request: LeakReliefRequest,
    certificate,
    repair_date: dt.date | None,
    leak_location: str,
    leak_after_meter: bool,
    appliance_leak: bool,
    received_on: dt.date | None = None,
) -> LeakReliefRequest:
    """The plumber's certificate and the eligibility answers (open → received)."""
    _require(actor, Perm.BILLING_CORRECT, request.account.centre)
    _check_certificate(certificate)
    today = clock.today()
    errors: dict[str, list[str]] = {}
    if repair_date is None:
        errors["repair_date"] = [_("Indiquez la date de réparation de la fuite.")]
    elif repair_date > today:
        errors["repair_date"] = [_("La date de réparation ne peut pas être dans le futur.")]
    if not leak_location.strip():
        errors["leak_location"] = [_("Indiquez la localisation de la fuite.")]
    received_on = received_on or today
    if received_on > today:
        errors["received_on"] = [_("La date de réception ne peut pas être dans le futur.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        request = _locked(request)
        if request.status != LeakReliefStatus.OPEN:
            raise InvalidTransition(
                _("Cette demande est « %(s)s » : l'attestation ne s'enregistre plus.")
                % {"s": request.get_status_display()}
            )
        name = os.path.basename(certificate.name)
        request.certificate.save(f"ecretement-{request.pk}-{name}", certificate, save=False)
        request.kind = LeakReliefKind.CERTIFICATE
        request.status = LeakReliefStatus.RECEIVED
        request.received_on = received_on
        request.repair_date = repair_date
        request.leak_location = leak_location.strip()[:255]
        request.leak_after_meter = bool(leak_after_meter)
        request.appliance_leak = bool(appliance_leak)
        request.save(
            update_fields=[
                "certificate",
                "kind",
                "status",
                "received_on",
                "repair_date",
                "leak_location",
                "leak_after_meter",
                "appliance_leak",
            ]
        )
        audit.record(
            actor=actor,
            verb="leak_relief_certificate_received",
            target=request,
            subject=request.account,
            data={
                "received_on": received_on,
                "repair_date": repair_date,
                "leak_location": request.leak_location,
                "eligible": not eligibility_problems(request),
            },
        )
    return request


def _credit_note_issue(
    *, actor, request, relief: leak_relief.Relief, reason: str = "", label: str = REASON
) -> Invoice:
    """The leak-relief credit note: the credited volume of each component at its unit price.

    Like ``services.credit_note_issue`` but with partial quantities; the AV
    number is taken inside the caller's transaction (gapless, BILL-6).
    """
    invoice = request.invoice
    originals = {line.position: line for line in invoice.lines.all()}
    lines = []
    for position, credit in enumerate(relief.lines, start=1):
        original = originals[credit.position]
        lines.append(
            InvoiceLine(
                position=position,
                credits_position=original.position,
                component_code=original.component_code,
                label=original.label,
                service=original.service,
                beneficiary=original.beneficiary,
                component_kind=original.component_kind,
                tariff_code=original.tariff_code,
                period_start=original.period_start,
                period_end=original.period_end,
                quantity=credit.quantity,
                unit=original.unit,
                unit_price=original.unit_price,
                amount_excl_vat=credit.amount_excl_vat,
                vat_rate=original.vat_rate,
                block=original.block,
            )
        )
    vat = vat_breakdown(lines)
    total_excl, total_vat, total_incl = totals(vat)
    today = clock.today()
    year = today.year
    sequence = next_number(Series.CREDIT_NOTE, year)
    water = max((c.credited for c in relief.components if c.basis == "water"), default=0)
    reason = reason or _(
        "%(r)s : eau facturée sur %(w)s m³ (2 × la moyenne de %(a)s m³), "
        "assainissement sur %(s)s m³"
    ) % {
        "r": REASON,
        "w": relief.water_cap,
        "a": relief.average.quantize(leak_relief.CAP_QUANTUM),
        "s": relief.sanitation_cap,
    }
    note = Invoice(
        number=format_number(Series.CREDIT_NOTE, year, sequence, width=NUMBER_WIDTH),
        series=Series.CREDIT_NOTE,
        year=year,
        sequence=sequence,
        kind=InvoiceKind.CREDIT_NOTE,
        account_id=invoice.account_id,
        contract_id=invoice.contract_id,
        service_point_id=invoice.service_point_id,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        generation=invoice.generation,
        issue_date=today,
        due_date=today,
        volume=Decimal(water),
        estimated=invoice.estimated,
        meter_serial=invoice.meter_serial,
        total_excl_vat=total_excl,
        total_vat=total_vat,
        total_incl_vat=total_incl,
        fixed_incl_vat=Decimal(0),
        vat_breakdown=vat,
        tariff_periods=[],
        credited_invoice=invoice,
        reason=reason[:255],
        created_at=clock.now(),
        created_by=_user(actor),
    )
    note.save()
    for line in lines:
        line.invoice = note
    InvoiceLine.objects.bulk_create(lines)
    book_invoice(note)
    audit.record(
        actor=actor,
        verb="credit_note_issued",
        target=note,
        subject=invoice.account,
        data={
            "invoice": invoice.number,
            "amount": note.total_incl_vat,
            "reason": label,
        },
    )
    return note


def _decide(request, *, actor, status: str, reason: str = "") -> None:
    request.status = status
    request.decision_reason = reason.strip()[:255]
    request.decided_at = clock.now()
    request.decided_by = _user(actor)


@transaction.atomic
def leak_relief_approve(*, actor, request: LeakReliefRequest) -> LeakReliefRequest:
    """Grant the relief: the credit note per component is issued at once (BILL-9)."""
    _require(actor, Perm.BILLING_CORRECT, request.account.centre)
    request = _locked(request)
    if request.status != LeakReliefStatus.RECEIVED:
        raise InvalidTransition(
            _("Seule une demande dont l'attestation a été reçue s'accorde (état : « %(s)s »).")
            % {"s": request.get_status_display()}
        )
    problems = eligibility_problems(request)
    if problems:
        raise ValidationFailed(
            problems, _("Les conditions de l'écrêtement ne sont pas remplies (BILL-9).")
        )
    Invoice.objects.select_for_update().filter(pk=request.invoice_id).values_list("pk").get()
    relief = relief_of(request)
    if not relief.lines:
        raise ApplicationError(
            _(
                "Les volumes facturés ne dépassent pas les plafonds (eau %(w)s m³, "
                "assainissement %(s)s m³) : rien à écrêter."
            )
            % {"w": relief.water_cap, "s": relief.sanitation_cap},
            code="nothing_to_credit",
        )
    note = _credit_note_issue(actor=actor, request=request, relief=relief)
    _decide(request, actor=actor, status=LeakReliefStatus.APPROVED)
    request.credit_note = note
    request.water_cap = relief.water_cap
    request.sanitation_cap = relief.sanitation_cap
    request.letter = letter_text(request, relief)
    request.save(
        update_fields=[
            "status",
            "decision_reason",
            "decided_at",
            "decided_by",
            "credit_note",
            "water_cap",
            "sanitation_cap",
            "letter",
        ]
    )
    _answer_and_close(
        actor=actor,
        request=request,
        resolution=_("Écrêtement accordé : avoir %(n)s de %(a)s € TTC.")
        % {"n": note.number, "a": number_format(note.total_incl_vat, decimal_pos=2)},
    )
    audit.record(
        actor=actor,
        verb="leak_relief_approved",
        target=request,
        subject=request.account,
        data={
            "invoice": request.invoice.number,
            "credit_note": note.number,
            "amount": note.total_incl_vat,
            "water_cap": relief.water_cap,
            "sanitation_cap": relief.sanitation_cap,
            "notice_missing": request.notice_missing,
        },
    )
    return request


@transaction.atomic
def leak_relief_refuse(*, actor, request: LeakReliefRequest, reason: str = "") -> LeakReliefRequest:
    """Refuse with a reason (by default, the conditions not met); the letter says why."""
    _require(actor, Perm.BILLING_CORRECT, request.account.centre)
    request = _locked(request)
    if request.status not in (LeakReliefStatus.OPEN, LeakReliefStatus.RECEIVED):
        raise InvalidTransition(
            _("Cette demande est « %(s)s » : elle ne peut plus être refusée.")
            % {"s": request.get_status_display()}
        )
    if not reason.strip():
        reason = " ".join(m for ms in eligibility_problems(request).values() for m in ms)
    if not reason.strip():
        raise ValidationFailed({"reason": [_("Indiquez le motif du refus.")]})
    _decide(request, actor=actor, status=LeakReliefStatus.REFUSED, reason=reason)
    request.letter = letter_text(request)
    request.save(update_fields=["status", "decision_reason", "decided_at", "decided_by", "letter"])
    _answer_and_close(
        actor=actor,
        request=request,
        resolution=_("Écrêtement refusé : %(r)s") % {"r": request.decision_reason},
    )
    audit.record(
        actor=actor,
        verb="leak_relief_refused",
        target=request,
        subject=request.account,
        data={"invoice": request.invoice.number, "reason": request.decision_reason},
    )
    return request


def _lift_check_block(*, actor, request: LeakReliefRequest) -> None:
    from robinet.collections.models import CollectionBlock
    from robinet.collections.services import block_close

    if request.check_block_id is None:
        return
    if CollectionBlock.objects.filter(pk=request.check_block_id, lifted_on__isnull=True).exists():
        block_close(actor=actor, block=request.check_block)


def _meter_check_fee(request: LeakReliefRequest) -> tuple[Invoice | None, str]:
    """Meter fine: the check fee of the price list, when in force and allowed (COLL-1).

    Returns the fees invoice, or None and why it was not billed (empty when no such fee is
    configured). Billed as the system: the decision authorises it (like a missed
    appointment's fee, CASE-8).
    """
    from robinet.billing.choices import PriceItemKind
    from robinet.billing.fees import fees_invoice_issue, price_list
    from robinet.customers.choices import CustomerClass

    item = price_list(kind=PriceItemKind.FEE).filter(code=METER_CHECK_FEE).first()
    if item is None:
        return None, ""
    if request.account.customer_class == CustomerClass.INDIVIDUAL and not (
        item.allowed_for_individuals
    ):
        return None, _(
            "Frais de vérification non facturés : le règlement de service ne les prévoit pas "
            "pour un particulier (COLL-1)."
        )
    invoice = fees_invoice_issue(
        actor=None,
        account=request.account,
        items=[(METER_CHECK_FEE, Decimal(1))],
        contract=request.invoice.contract,
        reason=_("Vérification du compteur (compteur conforme) — facture %(n)s")
        % {"n": request.invoice.number},
    )
    return invoice, ""


def _meter_correction(*, actor, request: LeakReliefRequest) -> Invoice | None:
    """Meter faulty: the period billed again on the reference average, the difference
    credited (an AV credit note per component). None when nothing can be credited
    automatically: the bill is at or below the average, or it was already credited
    (the officer corrects it by hand)."""
    from robinet.billing.services import credited_so_far

    Invoice.objects.select_for_update().filter(pk=request.invoice_id).values_list("pk").get()
    if credited_so_far(request.invoice):
        return None
    correction = leak_relief.correction(
        corrected=request.reference_average, lines=volume_lines(request.invoice)
    )
    if not correction.lines:
        return None
    reason = _(
        "%(r)s : compteur reconnu défectueux, consommation de la période rectifiée sur "
        "%(a)s m³ (moyenne de référence) pour l'eau, l'assainissement et les redevances"
    ) % {"r": CORRECTION_REASON, "a": correction.water_cap}
    return _credit_note_issue(
        actor=actor,
        request=request,
        relief=correction,
        reason=reason,
        label=CORRECTION_REASON,
    )


@transaction.atomic
def leak_relief_request_meter_check(
    *,
    actor,
    request: LeakReliefRequest,
    requested_on: dt.date | None = None,
    contact_phone: str | None = None,
) -> LeakReliefRequest:
    """The customer asks for a meter check instead (within the same month): the excess waits.

    The field intervention (a meter accuracy check, CASE-8: the customer's presence is
    mandatory, so it needs an appointment) is created at once on the request's case; the
    customer's mobile is the holder's unless ``contact_phone`` is given (CUST-5).
    """
    _require(actor, Perm.BILLING_CORRECT, request.account.centre)
    request = _locked(request)
    if request.status != LeakReliefStatus.OPEN:
        raise InvalidTransition(_("Seule une demande en attente passe en vérification."))
    requested_on = requested_on or clock.today()
    if request.deadline is not None and requested_on > request.deadline:
        raise ValidationFailed(
            {
                "check_requested_on": [
                    _("Demande reçue après la date limite du %(d)s.")
                    % {"d": request.deadline.strftime("%d/%m/%Y")}
                ]
            }
        )
    from robinet.cases.choices import InterventionKind
    from robinet.cases.field import intervention_create
    from robinet.collections.choices import BlockReason
    from robinet.collections.services import block_open

    case = _ensure_case(actor=actor, request=request)
    intervention = intervention_create(
        actor=actor,
        case=case,
        kind=InterventionKind.METER_ACCURACY,
        service_point=request.service_point,
        contact_phone=contact_phone,
        comment=_(
            "Vérification du compteur demandée par le client (écrêtement, facture %(n)s, "
            "%(v)s m³ facturés pour une moyenne de %(a)s m³)."
        )
        % {
            "n": request.invoice.number,
            "v": number_format(request.invoice.volume or 0, decimal_pos=0),
            "a": two_decimals(request.reference_average),
        },
    )
    request.kind = LeakReliefKind.METER_CHECK
    request.status = LeakReliefStatus.CHECK_REQUESTED
    request.check_requested_on = requested_on
    # The excess is suspended: dunning waits for the outcome (blocks are per account).
    request.check_block = block_open(
        actor=actor,
        account=request.account,
        reason=BlockReason.DISPUTE,
        reference=request.invoice.number,
        comment=_("Vérification du compteur demandée (écrêtement, dossier %(c)s)")
        % {"c": case.number},
    )
    request.save(update_fields=["kind", "status", "check_requested_on", "check_block"])
    audit.record(
        actor=actor,
        verb="leak_relief_meter_check_requested",
        target=request,
        subject=request.account,
        data={
            "invoice": request.invoice.number,
            "requested_on": requested_on,
            "case": case.number,
            "intervention": intervention.number,
        },
    )
    return request


@transaction.atomic
def leak_relief_meter_check_outcome(
    *, actor, request: LeakReliefRequest, faulty: bool, note: str = ""
) -> LeakReliefRequest:
    """Close the meter check: faulty → the period's consumption is corrected to the reference
    average and the difference credited at once (AV credit note); fine → the excess is due."""
    _require(actor, Perm.BILLING_CORRECT, request.account.centre)
    request = _locked(request)
    if request.status != LeakReliefStatus.CHECK_REQUESTED:
        raise InvalidTransition(_("Aucune vérification du compteur n'est en cours."))
    status = LeakReliefStatus.METER_FAULTY if faulty else LeakReliefStatus.METER_OK
    _decide(request, actor=actor, status=status, reason=note)
    request.correction_needed = False
    _lift_check_block(actor=actor, request=request)
    fee_problem = ""
    correction = None
    if faulty:
        correction = _meter_correction(actor=actor, request=request)
        request.correction_needed = correction is None
    else:
        request.check_fee_invoice, fee_problem = _meter_check_fee(request)
    request.letter = letter_text(request)
    request.save(
        update_fields=[
            "status",
            "decision_reason",
            "decided_at",
            "decided_by",
            "correction_needed",
            "check_fee_invoice",
            "letter",
        ]
    )
    if faulty and correction is not None:
        resolution = _(
            "Compteur défectueux : consommation de la facture %(n)s rectifiée sur %(a)s m³, "
            "avoir %(c)s de %(t)s € TTC."
        ) % {
            "n": request.invoice.number,
            "a": number_format(corrected_volume(request), decimal_pos=2),
            "c": correction.number,
            "t": number_format(correction.total_incl_vat, decimal_pos=2),
        }
    elif faulty:
        resolution = _(
            "Compteur défectueux : la facture %(n)s est à corriger (avoir et refacturation)."
        ) % {"n": request.invoice.number}
    else:
        resolution = _("Compteur conforme : l'excédent de la facture %(n)s est dû.") % {
            "n": request.invoice.number
        }
        if request.check_fee_invoice_id:
            resolution += " " + _("Frais de vérification facturés : %(f)s.") % {
                "f": request.check_fee_invoice.number
            }
        elif fee_problem:
            resolution += " " + fee_problem
    _answer_and_close(actor=actor, request=request, resolution=resolution)
    audit.record(
        actor=actor,
        verb="leak_relief_meter_checked",
        target=request,
        subject=request.account,
        data={
            "invoice": request.invoice.number,
            "faulty": faulty,
            "note": note,
            "credit_note": correction.number if correction is not None else None,
            "fee_invoice": request.check_fee_invoice.number
            if request.check_fee_invoice_id
            else None,
        },
    )
    return request


__all__ = [
    "add_months",
    "check_intervention_of",
    "correction_note_of",
    "eligibility_problems",
    "leak_relief_approve",
    "leak_relief_get_for_user",
    "leak_relief_list",
    "leak_relief_meter_check_outcome",
    "leak_relief_open",
    "leak_relief_record_certificate",
    "leak_relief_refuse",
    "leak_relief_request_meter_check",
    "leak_relief_search",
    "letter_text",
    "relief_of",
]
