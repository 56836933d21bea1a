"""What a customer does from the portal (PORTAL-2), each traced as a case (CASE-2, CASE-6).

The portal acts as the system (``actor=None``) once it has checked itself that
the account is one the user has linked (views reach accounts only through
:func:`robinet.portal.access.account_for`). Every action calls the service of
the app that owns the data, opens — or attaches to — a case of the national
dictionary through :func:`robinet.cases.services.request_record` and writes an
audit event ``portal.<what>`` naming the portal user.

Decisions:

* a self-reading is recorded through the metering service (METER-2) and
  answered at once: accepted, held for checking (with the reason) or refused
  (with the reason); it opens no case — the reading is the trace;
* a payment plan or promise is granted at once when :func:`plan_policy`
  allows it (amount and instalments within the settings, nothing broken in the
  last 12 months) and recorded with the collections services; otherwise a
  REGLEMENT case goes to the collection team with the details;
* leak relief opens a DEGREVEMENT case with the certificate attached and, when
  a bill of the account carries a METER-5 notice, the billing relief request on
  it (``billing.leaks``: opened, certificate and answers recorded; an officer
  decides); without a notice the officer opens it (the reference is theirs);
* monthly payment is enrolled through ``billing.budget.plan_enrol`` when it
  accepts it (a SERVICES case closed at once), else a SERVICES case tells the
  officer why; e-invoice, contact data and bank details are applied at once
  and their case is closed at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Case as When_
from django.db.models import IntegerField, Q, Sum, Value, When
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from robinet.cases import services as case_services
from robinet.cases.choices import OPEN_STATUSES, CaseStatus, Channel, Direction
from robinet.cases.models import Case, CaseType, Contact
from robinet.core import audit, clock
from robinet.core.exceptions import ApplicationError, ValidationFailed
from robinet.core.money import format_money
from robinet.customers.choices import ContractStatus
from robinet.customers.models import Contract
from robinet.portal.models import PortalUpload
from robinet.portal.uploads import upload_store, uploads_validate

ZERO = Decimal("0")

#: statuses in plain French, as the customer reads them
STATUS_LABELS = {
    CaseStatus.OPEN: gettext_lazy("Reçue, en cours de traitement"),
    CaseStatus.DEFERRED: gettext_lazy("En cours de traitement par nos services"),
    CaseStatus.PAUSED: gettext_lazy("En attente d'un tiers"),
    CaseStatus.CLOSED: gettext_lazy("Traitée"),
    CaseStatus.CANCELLED: gettext_lazy("Annulée"),
}

#: the types a customer may pick for a free request or claim: code → (label, claim?)
FREE_TYPES = {
    "INFORMATION": (gettext_lazy("Demande d'information"), False),
    "FACTURE": (gettext_lazy("Réclamation sur une facture"), True),
    "INDEX": (gettext_lazy("Contestation d'un index relevé"), True),
    "INTERVENTION": (gettext_lazy("Demande d'intervention (hors urgence)"), False),
    "RGPD": (gettext_lazy("Mes données personnelles (RGPD)"), False),
}


def _case_type(code: str) -> CaseType:
    return CaseType.objects.get(code=code)


def _trace(user, verb: str, target, **data) -> None:
    audit.record(
        actor=None, verb=f"portal.{verb}", target=target, data={"portal_user": user.pk, **data}
    )


def _open(
    user,
    account,
    code: str,
    subject: str,
    body: str = "",
    *,
    channel: str = Channel.WEB_FORM,
    handled_now: bool = False,
    resolution: str = "",
    nature: str | None = None,
) -> Case:
    """Open (or attach to the open case of the same type) a request of ``account`` (CASE-1/2)."""
    case_type = _case_type(code)
    attach_to = (
        Case.objects.filter(account=account, case_type=case_type, status__in=OPEN_STATUSES)
        .order_by("-opened_at")
        .first()
        if not handled_now
        else None
    )
    case = case_services.request_record(
        actor=None,
        account=account,
        channel=channel,
        case_type=case_type,
        subject=subject,
        body=body,
        nature=nature,
        attach_to=attach_to,
        handled_now=handled_now,
        resolution=resolution,
    )
    _trace(user, "request", case, type=code, account=account.number)
    return case


def _attach(user, account, case: Case, files) -> list[PortalUpload]:
    return [upload_store(user=user, account=account, upload=f, case=case) for f in files or []]


# --- my requests ------------------------------------------------------------------------------


def cases_of(account):
    """The account's cases, open ones first, then by opening date (newest first)."""
    return (
        Case.objects.filter(account=account)
        .select_related("case_type")
        .annotate(
            closed_rank=When_(
                When(status__in=OPEN_STATUSES, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("closed_rank", "-opened_at", "-id")
    )


def case_for(user, number: str) -> Case:
    """One case of an account ``user`` has linked, or 404."""
    case = (
        Case.objects.filter(number=number, account__portal_links__user=user)
        .select_related("case_type", "account")
        .first()
    )
    if case is None:
        raise Http404
    return case


def status_label(case: Case) -> str:
    return str(STATUS_LABELS.get(case.status, case.get_status_display()))


@dataclass(frozen=True)
class Message:
    """One exchange as the customer sees it (never internal fields)."""

    at: dt.datetime
    inbound: bool
    channel: str
    subject: str
    body: str


CUSTOMER_WRITTEN = (Channel.WEB_FORM, Channel.WEB_SERVICE, Channel.EMAIL, Channel.LETTER)


def messages_of(case: Case) -> list[Message]:
    """The messages of a case: our written answers and the customer's own written messages.

    Phone or counter contacts show as dated entries without the officer's notes;
    internal fields (sensitivity reasons, tasks, resolution notes) never show.
    """
    rows = Contact.objects.filter(case=case).filter(
        Q(direction=Direction.INBOUND)
        | Q(direction=Direction.OUTBOUND) & (Q(is_answer=True) | Q(is_holding_reply=True))
    )
    result = []
    for c in rows.order_by("occurred_at", "id"):
        inbound = c.direction == Direction.INBOUND
        show_body = not inbound or c.channel in CUSTOMER_WRITTEN
        result.append(
            Message(
                at=c.occurred_at,
                inbound=inbound,
                channel=str(c.get_channel_display()),
                subject=c.subject,
                body=c.body if show_body else "",
            )
        )
    return result


def uploads_of(user, case: Case):
    return PortalUpload.objects.filter(case=case, owner=user).order_by("uploaded_at", "id")


# --- meter reading (METER-2) ----------------------------------------------------------------


@dataclass(frozen=True)
class ReadingOutcome:
    status: str  # accepted | held | rejected
    message: str
    reading: object = None


def active_contract(account) -> Contract | None:
    return (
        Contract.objects.filter(account=account, status=ContractStatus.ACTIVE)
        .select_related("service_point")
        .order_by("-start_date")
        .first()
    )


def reading_submit(*, user, account, index, read_on=None) -> ReadingOutcome:
    """A self-reading (source ``self``) through the metering service, validated by METER-2."""
    from robinet.metering.choices import ReadingSource, ReadingStatus
    from robinet.metering.services import reading_record

    contract = active_contract(account)
    if contract is None:
        raise ValidationFailed({"index": [_("Aucun abonnement en cours sur ce compte.")]})
    reading = reading_record(
        actor=None,
        service_point=contract.service_point,
        read_on=read_on or clock.today(),
        index=index,
        source=ReadingSource.SELF,
        reader=user.email[:80],
    )
    _trace(user, "reading", reading, account=account.number, status=reading.status)
    detail = reading.anomaly_detail or (reading.get_anomaly_display() if reading.anomaly else "")
    if reading.status == ReadingStatus.VALID:
        return ReadingOutcome("accepted", _("Votre relevé est enregistré. Merci !"), reading)
    if reading.status == ReadingStatus.HELD:
        return ReadingOutcome(
            "held",
            _("Votre relevé est enregistré mais sera vérifié par nos services : %(r)s")
            % {"r": detail},
            reading,
        )
    return ReadingOutcome(
        "rejected", _("Votre relevé n'a pas pu être accepté : %(r)s") % {"r": detail}, reading
    )


# --- payment plan or promise (COLL-5/6) ---------------------------------------------------------


@dataclass(frozen=True)
class PolicyDecision:
    approved: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)


def plan_max_amount() -> Decimal:
    return Decimal(str(settings.ROBINET_PORTAL_PLAN_MAX_AMOUNT))


def plan_max_instalments() -> int:
    return int(settings.ROBINET_PORTAL_PLAN_MAX_INSTALMENTS)


def plan_policy(
    amount: Decimal,
    instalments: int,
    broken_promises_12m: int,
    *,
    max_amount: Decimal | None = None,
    max_instalments: int | None = None,
) -> PolicyDecision:
    """Whether the portal grants a plan (or a promise: ``instalments`` = 1) on its own.

    Pure: granted when 0 < amount ≤ the maximum, 1 ≤ instalments ≤ the maximum and
    no plan or promise was broken in the last 12 months.
    """
    max_amount = plan_max_amount() if max_amount is None else max_amount
    max_instalments = plan_max_instalments() if max_instalments is None else max_instalments
    reasons = []
    if amount <= ZERO:
        reasons.append(_("Il n'y a pas de somme restant due à échelonner."))
    elif amount > max_amount:
        reasons.append(
            _("Le montant dépasse %(m)s : un conseiller étudie votre demande.")
            % {"m": format_money(max_amount)}
        )
    if instalments < 1 or instalments > max_instalments:
        reasons.append(
            _("Le nombre d'échéances accordé en ligne va de 1 à %(n)s.") % {"n": max_instalments}
        )
    if broken_promises_12m > 0:
        reasons.append(
            _("Un échéancier ou une promesse n'a pas été respecté ces 12 derniers mois.")
        )
    return PolicyDecision(not reasons, tuple(reasons))


def debt_of(account) -> Decimal:
    from robinet.ledger.models import OpenItem

    total = OpenItem.objects.filter(account=account, amount__gt=0, open_amount__gt=0).aggregate(
        s=Sum("open_amount")
    )["s"]
    return total or ZERO


def broken_in_12_months(account, today: dt.date | None = None) -> int:
    from robinet.collections.choices import PlanState, PromiseState
    from robinet.collections.models import PaymentPlan, PaymentPromise

    since = (today or clock.today()) - dt.timedelta(days=365)
    return (
        PaymentPlan.objects.filter(
            account=account, state=PlanState.BROKEN, closed_on__gte=since
        ).count()
        + PaymentPromise.objects.filter(
            account=account, state=PromiseState.BROKEN, closed_on__gte=since
        ).count()
    )


@dataclass(frozen=True)
class PlanOutcome:
    approved: bool
    case: Case
    reasons: tuple[str, ...] = ()
    plan: object = None
    promise: object = None


def plan_request(
    *, user, account, kind: str, instalments: int = 1, due_on: dt.date | None = None, message=""
) -> PlanOutcome:
    """Ask for a plan (``kind="plan"``) or a promise to pay the debt by ``due_on`` (``"promise"``)."""
    from robinet.collections import plans

    amount = debt_of(account)
    count = 1 if kind == "promise" else int(instalments)
    today = clock.today()
    if kind == "promise" and (
        due_on is None or due_on < today or due_on > today + dt.timedelta(days=30)
    ):
        raise ValidationFailed({"due_on": [_("Indiquez une date dans les 30 prochains jours.")]})
    decision = plan_policy(amount, count, broken_in_12_months(account, today))
    details = (
        _("Promesse de payer %(a)s au plus tard le %(d)s.")
        % {"a": format_money(amount), "d": due_on.strftime("%d/%m/%Y")}
        if kind == "promise"
        else _("Échéancier demandé : %(a)s en %(n)s échéance(s).")
        % {"a": format_money(amount), "n": count}
    )
    body = "\n".join(filter(None, [details, (message or "").strip()]))
    plan = promise = None
    if decision.approved:
        try:
            if kind == "promise":
                promise = plans.promise_create(
                    account=account, due_on=due_on, amount=amount, actor=None
                )
            else:
                plan = plans.payment_plan_create(
                    account=account,
                    count=count,
                    first_due=today + dt.timedelta(days=15),
                    actor=None,
                )
        except ApplicationError as exc:
            decision = PolicyDecision(False, (str(exc.message),))
    if decision.approved:
        case = _open(
            user,
            account,
            "REGLEMENT",
            _("Demande d'échéancier en ligne")
            if kind == "plan"
            else _("Promesse de paiement en ligne"),
            body,
            channel=Channel.WEB_SERVICE,
            handled_now=True,
            resolution=_("Accordé en ligne : %(r)s")
            % {"r": plan.number if plan is not None else details},
        )
    else:
        case = _open(
            user,
            account,
            "REGLEMENT",
            _("Demande de délai de paiement"),
            "\n".join([body, *decision.reasons]),
            channel=Channel.WEB_FORM,
        )
    _trace(user, "plan_request", case, approved=decision.approved, kind=kind, count=count)
    return PlanOutcome(decision.approved, case, decision.reasons, plan, promise)


# --- leak relief, moves, free requests ---------------------------------------------------------


def relief_bill(account):
    """The latest consumption bill of ``account`` carrying a METER-5 notice and no relief
    request yet, with that notice — (None, None) when there is none."""
    from robinet.billing.choices import BILL_KINDS
    from robinet.billing.leaks import active_request_of, may_request_relief
    from robinet.billing.models import Invoice
    from robinet.metering.models import AbnormalConsumptionNotice

    bills = Invoice.objects.filter(account=account, kind__in=BILL_KINDS).order_by(
        "-issue_date", "-id"
    )
    for invoice in bills[:4]:
        notice = invoice.abnormal_notice if invoice.abnormal_notice_id else None
        if notice is None and invoice.new_reading_id:
            notice = AbnormalConsumptionNotice.objects.filter(
                reading_id=invoice.new_reading_id
            ).first()
        if notice is not None and may_request_relief(invoice) and not active_request_of(invoice):
            return invoice, notice
    return None, None


def leak_relief_request(
    *,
    user,
    account,
    certificate,
    repaired_on,
    location: str,
    leak_after_meter: bool = False,
    appliance_leak: bool = False,
    message="",
) -> Case:
    """Leak relief (BILL-9, METER-5) with the plumber's certificate, and a DEGREVEMENT case.

    When the account has a bill with a METER-5 notice, the billing service opens the
    relief request on it and records the certificate and the answers (the officer then
    decides); otherwise the officer opens it from the case (the reference average is theirs
    to set).
    """
    from django.core.files.base import ContentFile

    from robinet.billing import leaks
    from robinet.portal.uploads import EXTENSIONS, validate_upload

    content_type, _sha, _size = validate_upload(certificate, "certificate")
    if repaired_on > clock.today():
        raise ValidationFailed(
            {"repaired_on": [_("La date de réparation ne peut pas être dans le futur.")]}
        )
    body = _("Fuite réparée le %(d)s. Emplacement : %(l)s.") % {
        "d": repaired_on.strftime("%d/%m/%Y"),
        "l": location.strip(),
    }
    answers = [
        _("Fuite sur la canalisation après le compteur : %(a)s.")
        % {"a": _("oui") if leak_after_meter else _("non")},
        _("Fuite d'un appareil, d'un sanitaire ou d'un chauffe-eau : %(a)s.")
        % {"a": _("oui") if appliance_leak else _("non")},
    ]
    with transaction.atomic():
        invoice, notice = relief_bill(account)
        relief = None
        if invoice is not None:
            relief = leaks.leak_relief_open(actor=None, invoice=invoice, notice=notice)
            certificate.seek(0)
            leaks.leak_relief_record_certificate(
                actor=None,
                request=relief,
                certificate=ContentFile(
                    certificate.read(), name=f"attestation{EXTENSIONS[content_type]}"
                ),
                repair_date=repaired_on,
                leak_location=location,
                leak_after_meter=leak_after_meter,
                appliance_leak=appliance_leak,
            )
            certificate.seek(0)
            answers.append(
                _("Demande d'écrêtement enregistrée sur la facture %(n)s.") % {"n": invoice.number}
            )
        text = "\n".join(filter(None, [body, *answers, (message or "").strip()]))
        if relief is not None:
            # The customer's contact joins the relief request's case (the notice's, BILL-9).
            case = case_services.request_record(
                actor=None,
                account=account,
                channel=Channel.WEB_FORM,
                case_type=_case_type("DEGREVEMENT"),
                subject=_("Demande d'écrêtement pour fuite"),
                body=text,
                attach_to=relief.case,
            )
            _trace(user, "request", case, type="DEGREVEMENT", account=account.number)
        else:
            case = _open(user, account, "DEGREVEMENT", _("Demande d'écrêtement pour fuite"), text)
        _attach(user, account, case, [certificate])
        if relief is not None:
            _trace(user, "leak_relief", relief, case=case.number)
    return case


def move_request(*, user, account, kind: str, on: dt.date, index, message="") -> Case:
    """Move-in (ARRIVEE) or move-out (DEPART) request with the date and the index given."""
    if kind not in ("in", "out"):
        raise ValidationFailed({"kind": [_("Choisissez arrivée ou départ.")]})
    code = "ARRIVEE" if kind == "in" else "DEPART"
    subject = _("Arrivée dans le logement") if kind == "in" else _("Départ du logement")
    body = _("Date : %(d)s. Index du compteur : %(i)s.") % {
        "d": on.strftime("%d/%m/%Y"),
        "i": index if index not in (None, "") else _("non communiqué"),
    }
    return _open(user, account, code, subject, "\n".join(filter(None, [body, message.strip()])))


def free_request(*, user, account, code: str, subject: str, body: str, files=()) -> Case:
    """A request or a claim among :data:`FREE_TYPES`, with attachments."""
    if code not in FREE_TYPES:
        raise ValidationFailed({"code": [_("Choisissez un type de demande.")]})
    uploads_validate(files, "attachments")
    with transaction.atomic():
        case = _open(user, account, code, subject, body)
        _attach(user, account, case, files)
    return case


# --- data changed at once ---------------------------------------------------------------------


def contact_data_update(
    *, user, account, email="", mobile="", landline="", preferred="", bloctel_ack=False
) -> Case:
    """Contact data through the customers service (CUST-5 Bloctel notice), a DONNEES case closed."""
    from robinet.customers.services import party_update

    with transaction.atomic():
        party_update(
            actor=None,
            account=account,
            party={
                "email": email,
                "mobile": mobile,
                "landline": landline,
                "preferred_contact_method": preferred,
            },
            bloctel_notice_given=bloctel_ack,
        )
        case = _open(
            user,
            account,
            "DONNEES",
            _("Mise à jour des coordonnées"),
            _("Coordonnées modifiées en ligne par le client."),
            channel=Channel.WEB_SERVICE,
            handled_now=True,
            resolution=_("Coordonnées mises à jour en ligne."),
        )
    return case


def bank_details_update(*, user, account, iban: str, bic: str = "", consent: bool) -> Case:
    """IBAN and an e-mandate for direct debit (PAY-3), a SERVICES case closed at once."""
    from robinet.customers.models import CustomerAccount
    from robinet.payments import sepa
    from robinet.payments.models import Mandate, MandateStatus

    if not consent:
        raise ValidationFailed({"consent": [_("Cochez la case pour signer le mandat.")]})
    clean = sepa.clean_iban(iban)
    clean_bic = sepa.clean_bic(bic, clean) if bic else ""
    with transaction.atomic():
        for old in Mandate.objects.filter(account=account, status=MandateStatus.ACTIVE):
            sepa.mandate_revoke(
                actor=None,
                mandate=old,
                reason=_("Remplacé par un mandat signé en ligne."),
                check_permission=False,
            )
        CustomerAccount.objects.filter(pk=account.pk).update(iban=clean, bic=clean_bic)
        account.refresh_from_db()
        mandate = sepa.mandate_create(
            actor=None,
            account=account,
            signed_on=clock.today(),
            iban=clean,
            bic=clean_bic,
            check_permission=False,
        )
        case = _open(
            user,
            account,
            "SERVICES",
            _("Prélèvement automatique"),
            _("Mandat SEPA %(u)s signé en ligne.") % {"u": mandate.umr},
            channel=Channel.WEB_SERVICE,
            handled_now=True,
            resolution=_("Mandat %(u)s actif.") % {"u": mandate.umr},
        )
        _trace(user, "mandate", mandate, account=account.number)
    return case


def e_invoice_subscribe(*, user, account) -> Case:
    from robinet.customers.services import party_update

    with transaction.atomic():
        party_update(actor=None, account=account, account_data={"e_invoice": True})
        return _open(
            user,
            account,
            "SERVICES",
            _("E-facture"),
            _("Le client choisit la facture électronique."),
            channel=Channel.WEB_SERVICE,
            handled_now=True,
            resolution=_("E-facture activée."),
        )


@dataclass(frozen=True)
class MonthlyOutcome:
    enrolled: bool
    case: Case
    reasons: tuple[str, ...] = ()


def monthly_payment_request(
    *, user, account, instalment_count: int = 10, day_of_month: int = 5, message: str = ""
) -> MonthlyOutcome:
    """Monthly payment (BILL-10) through ``billing.budget.plan_enrol`` when it accepts it
    (an IBAN on the account, an active contract): a SERVICES case closed at once; otherwise
    a SERVICES case for an officer with the reasons."""
    from robinet.billing.budget import plan_enrol
    from robinet.payments.models import Mandate, MandateStatus

    contract = active_contract(account)
    reasons: tuple[str, ...] = ()
    plan = None
    if contract is None:
        reasons = (_("Aucun abonnement en cours sur ce compte."),)
    else:
        mandate = Mandate.objects.filter(account=account, status=MandateStatus.ACTIVE).first()
        try:
            with transaction.atomic():
                plan = plan_enrol(
                    actor=None,
                    contract=contract,
                    instalment_count=instalment_count,
                    day_of_month=day_of_month,
                    mandate_reference=mandate.umr if mandate is not None else "",
                )
        except ApplicationError as exc:
            reasons = tuple(m for ms in exc.fields.values() for m in ms) or (str(exc.message),)
    if plan is not None:
        case = _open(
            user,
            account,
            "SERVICES",
            _("Mensualisation"),
            _("Mensualisation demandée en ligne : %(n)s échéances le %(d)s du mois.")
            % {"n": instalment_count, "d": day_of_month},
            channel=Channel.WEB_SERVICE,
            handled_now=True,
            resolution=_("Mensualisation mise en place en ligne."),
        )
        _trace(user, "monthly_payment", case, plan=plan.pk)
        return MonthlyOutcome(True, case)
    body = "\n".join(
        filter(
            None,
            [
                _("Le client demande la mensualisation (%(n)s échéances, le %(d)s du mois).")
                % {"n": instalment_count, "d": day_of_month},
                (message or "").strip(),
                *reasons,
            ],
        )
    )
    case = _open(user, account, "SERVICES", _("Demande de mensualisation"), body)
    return MonthlyOutcome(False, case, reasons)


def gdpr_export(*, user, account) -> dict:
    """CUST-8: the same data the officers export, for the user's own account."""
    from robinet.customers.selectors import customer_data_export

    data = customer_data_export(account=account)
    _trace(user, "gdpr_export", account)
    return data
