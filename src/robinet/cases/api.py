"""JSON API of contacts and cases (CASE-1…7).

* ``GET /contacts`` (filters ``account``, ``unattached``), ``POST /contacts``: a contact
  recorded without a case (an outbound call…), attached when ``case`` is given;
* ``POST /cases``: record a customer's request — the contact and its case (201);
* ``GET /cases`` (filters ``status`` — ``unclosed`` for open, deferred and paused —,
  ``team``, ``nature``, ``type``, ``account``, ``q``; ``limit``/``offset``);
* ``GET /cases/overdue`` (``soon=true``: due within one working day instead);
* ``GET /cases/{number}``: the case with ``response_due`` (ISO datetime) and its contacts;
* ``PATCH /cases/{number}``: ``subject``, ``team``/``assigned_to`` (``case.supervise``),
  ``paused`` with ``reason``;
* ``POST /cases/{number}/close`` (``resolution``), ``/cancel`` (``reason``),
  ``/answer`` (``template_code`` or ``body``, ``signature``), ``/defer`` (``action``,
  ``team``, ``due_at``).

Errors name their field (400), a forbidden action is 403, a wrong state 409.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from robinet.billing.api import _page
from robinet.cases import selectors, services
from robinet.cases.models import CaseType, Team
from robinet.core.exceptions import NotFound, ValidationFailed
from robinet.customers import selectors as customer_selectors
from robinet.organisation.access import require
from robinet.organisation.roles import Perm

router = Router(tags=["Dossiers"])


class ContactOut(Schema):
    id: int
    case: str | None = Field(None, description="Case number")
    account: str | None = None
    direction: str = Field(description="inbound | outbound")
    channel: str
    occurred_at: dt.datetime
    interlocutor: str
    subject: str
    body: str
    sensitive: bool
    is_answer: bool
    is_holding_reply: bool

    @staticmethod
    def resolve_case(obj) -> str | None:
        return obj.case.number if obj.case_id else None

    @staticmethod
    def resolve_account(obj) -> str | None:
        return obj.account.number if obj.account_id else None


class CaseSummaryOut(Schema):
    number: str
    account: str | None = None
    type: str = Field(alias="case_type.code")
    nature: str = Field(description="request | claim | internal")
    status: str = Field(description="open | deferred | paused | closed | cancelled")
    channel: str
    subject: str
    opened_at: dt.datetime
    response_due: dt.datetime | None
    team: str | None = None
    multi_contact: bool
    priority: bool
    sensitive: bool

    @staticmethod
    def resolve_account(obj) -> str | None:
        return obj.account.number if obj.account_id else None

    @staticmethod
    def resolve_team(obj) -> str | None:
        return obj.team.code if obj.team_id else None


class CaseOut(CaseSummaryOut):
    description: str
    contact_count: int
    sensitive_reasons: str
    assigned_to: str | None = None
    previous_case: str | None = None
    blocks_dunning: bool
    debit_action: str
    answered_at: dt.datetime | None
    holding_reply_at: dt.datetime | None
    closed_at: dt.datetime | None
    resolution: str
    contacts: list[ContactOut]

    @staticmethod
    def resolve_assigned_to(obj) -> str | None:
        return obj.assigned_to.username if obj.assigned_to_id else None

    @staticmethod
    def resolve_previous_case(obj) -> str | None:
        return obj.previous_case.number if obj.previous_case_id else None

    @staticmethod
    def resolve_contacts(obj):
        return list(selectors.case_contacts(obj).select_related("case", "account"))


class RequestIn(Schema):
    account: str = Field(description="Customer account number")
    channel: str = Field(
        description="phone | letter | email | visit | web_form | web_service | sms"
    )
    type: str = Field(description="Code of the national dictionary (FACTURE, INFORMATION…)")
    subject: str
    body: str = ""
    nature: str | None = Field(None, description="request | claim (default: the type's)")
    occurred_at: dt.datetime | None = None
    interlocutor: str = ""
    attach_to: str | None = Field(None, description="Number of the customer's case")
    handled_now: bool = False
    resolution: str = ""


class ContactIn(Schema):
    account: str
    direction: str = Field(description="inbound | outbound")
    channel: str
    subject: str = ""
    body: str = ""
    occurred_at: dt.datetime | None = None
    interlocutor: str = ""
    case: str | None = Field(None, description="Attach it to this case")


class CasePatch(Schema):
    subject: str | None = None
    team: str | None = Field(None, description="Team code (case.supervise)")
    assigned_to: str | None = Field(None, description="Username (case.supervise)")
    paused: bool | None = Field(None, description="true pauses (reason required), false resumes")
    reason: str = ""


class CloseIn(Schema):
    resolution: str


class CancelIn(Schema):
    reason: str


class SignatureIn(Schema):
    first_name: str
    last_name: str
    title: str


class AnswerIn(Schema):
    template_code: str | None = None
    body: str | None = None
    signature: SignatureIn | None = Field(None, description="Default: the user's name")


class DeferIn(Schema):
    action: str
    team: str | None = Field(None, description="Team code (default: the case's team)")
    due_at: dt.datetime | None = None


def _account(request, number: str, field: str = "account"):
    try:
        return customer_selectors.account_get_for_user(
            user=request.user, number=number, perm=Perm.CASE_VIEW
        )
    except NotFound:
        raise ValidationFailed(
            {field: [_("Compte client %(n)s introuvable.") % {"n": number}]}
        ) from None


def _case_type(code: str) -> CaseType:
    case_type = CaseType.objects.filter(code=code, active=True).first()
    if case_type is None:
        raise ValidationFailed({"type": [_("Type de dossier inconnu : %(c)s.") % {"c": code}]})
    return case_type


def _team(code: str, field: str = "team") -> Team:
    team = Team.objects.filter(code=code).first()
    if team is None:
        raise ValidationFailed({field: [_("Équipe inconnue : %(c)s.") % {"c": code}]})
    return team


def _case(request, number: str):
    return selectors.case_get_for_user(user=request.user, number=number)


def _case_field(request, number: str, field: str):
    try:
        return _case(request, number)
    except NotFound:
        raise ValidationFailed({field: [_("Dossier %(n)s introuvable.") % {"n": number}]}) from None


@router.get("/contacts", response=list[ContactOut], summary="Contacts")
def contact_list(
    request, account: str = "", unattached: bool = False, limit: int = 50, offset: int = 0
):
    require(request.user, Perm.CASE_VIEW)
    rows = selectors.contact_list(user=request.user, account=account or None, unattached=unattached)
    return list(rows[_page(limit, offset)])


@router.post("/contacts", response={201: ContactOut}, summary="Enregistrer un contact")
def contact_create(request, payload: ContactIn):
    account = _account(request, payload.account)
    case = _case_field(request, payload.case, "case") if payload.case else None
    contact = services.contact_record(
        actor=request.user,
        account=account,
        direction=payload.direction,
        channel=payload.channel,
        subject=payload.subject,
        body=payload.body,
        occurred_at=payload.occurred_at,
        interlocutor=payload.interlocutor,
    )
    if case is not None:
        contact = services.contact_attach(actor=request.user, contact=contact, case=case)
    return Status(201, selectors.contact_get_for_user(user=request.user, pk=contact.pk))


@router.post("/cases", response={201: CaseOut}, summary="Enregistrer une demande client")
def case_create(request, payload: RequestIn):
    account = _account(request, payload.account)
    attach_to = _case_field(request, payload.attach_to, "attach_to") if payload.attach_to else None
    case = services.request_record(
        actor=request.user,
        account=account,
        channel=payload.channel,
        case_type=_case_type(payload.type),
        subject=payload.subject,
        body=payload.body,
        nature=payload.nature,
        occurred_at=payload.occurred_at,
        interlocutor=payload.interlocutor,
        attach_to=attach_to,
        handled_now=payload.handled_now,
        resolution=payload.resolution,
    )
    return Status(201, selectors.case_get_for_user(user=request.user, pk=case.pk))


@router.get("/cases", response=list[CaseSummaryOut], summary="Dossiers")
def case_list(
    request,
    status: str = "",
    team: str = "",
    nature: str = "",
    type: str = "",  # noqa: A002 - the API's name of the filter
    account: str = "",
    q: str = "",
    limit: int = 50,
    offset: int = 0,
):
    require(request.user, Perm.CASE_VIEW)
    rows = selectors.case_list(
        user=request.user,
        status=status or None,
        team=_team(team).pk if team else None,
        nature=nature or None,
        type_code=type or None,
        account=account or None,
        q=q or None,
    )
    return list(rows[_page(limit, offset)])


@router.get(
    "/cases/overdue", response=list[CaseSummaryOut], summary="Dossiers en retard ou à échéance"
)
def case_overdue(request, team: str = "", soon: bool = False, limit: int = 50, offset: int = 0):
    require(request.user, Perm.CASE_VIEW)
    team_id = _team(team).pk if team else None
    select = selectors.due_soon_cases if soon else selectors.overdue_cases
    return list(select(user=request.user, team=team_id)[_page(limit, offset)])


@router.get("/cases/{number}", response=CaseOut, summary="Lire un dossier")
def case_get(request, number: str):
    return _case(request, number)


@router.patch("/cases/{number}", response=CaseOut, summary="Modifier un dossier")
def case_patch(request, number: str, payload: CasePatch):
    case = _case(request, number)
    if payload.subject is not None:
        case = services.case_subject_change(actor=request.user, case=case, subject=payload.subject)
    if payload.team or payload.assigned_to:
        assigned_to = None
        if payload.assigned_to:
            assigned_to = get_user_model().objects.filter(username=payload.assigned_to).first()
            if assigned_to is None:
                raise ValidationFailed({"assigned_to": [_("Utilisateur inconnu.")]})
        case = services.case_reassign(
            actor=request.user,
            case=case,
            team=_team(payload.team) if payload.team else None,
            assigned_to=assigned_to,
        )
    if payload.paused is True:
        case = services.case_pause(actor=request.user, case=case, reason=payload.reason)
    elif payload.paused is False:
        case = services.case_resume(actor=request.user, case=case)
    return _case(request, number)


@router.post("/cases/{number}/close", response=CaseOut, summary="Clôturer un dossier")
def case_close(request, number: str, payload: CloseIn):
    services.case_close(
        actor=request.user, case=_case(request, number), resolution=payload.resolution
    )
    return _case(request, number)


@router.post("/cases/{number}/cancel", response=CaseOut, summary="Annuler un dossier")
def case_cancel(request, number: str, payload: CancelIn):
    services.case_cancel(actor=request.user, case=_case(request, number), reason=payload.reason)
    return _case(request, number)


@router.post(
    "/cases/{number}/answer", response={201: ContactOut}, summary="Envoyer la réponse écrite"
)
def case_answer(request, number: str, payload: AnswerIn):
    contact = services.answer_send(
        actor=request.user,
        case=_case(request, number),
        template_code=payload.template_code,
        body=payload.body,
        signature=payload.signature.model_dump() if payload.signature else None,
    )
    return Status(201, selectors.contact_get_for_user(user=request.user, pk=contact.pk))


@router.post("/cases/{number}/defer", response=CaseOut, summary="Différer le traitement")
def case_defer(request, number: str, payload: DeferIn):
    services.case_defer(
        actor=request.user,
        case=_case(request, number),
        action=payload.action,
        team=_team(payload.team) if payload.team else None,
        due_at=payload.due_at,
    )
    return _case(request, number)
