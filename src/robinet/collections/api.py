"""JSON API of dunning (COLL-2, COLL-3, COLL-13).

* ``GET /collections/accounts/{number}/history``: the debt case, notices, timeline
  events and blocks of one account;
* ``GET /collections/dunning-runs``: the proposal runs with their figures;
* ``POST /collections/dunning-runs``: propose the day's dunning (201; body ``date``,
  ``entity``); nothing is sent;
* ``GET /collections/dunning-runs/{id}/proposals``: a run's proposals with their items
  (filter ``status``);
* ``POST /collections/proposals/{id}/exclude`` and
  ``POST /collections/proposal-items/{id}/exclude``: leave an account or an item out,
  with a ``reason`` (400 naming ``reason`` without one);
* ``POST /collections/dunning-runs/{id}/issue``: issue the notices (201, the activity
  run; 409 once issued);
* ``GET /collections/notices/{number}``: a notice with its items, fees and rules.

Same permissions as the screens: ``Perm.COLLECTION_VIEW`` to read (scoped to the user's
centres: elsewhere is 404), ``Perm.DUNNING_RUN`` to write (checked by the services).
Amounts are strings.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Router, Schema, Status

from robinet.billing.api import _page
from robinet.collections import selectors, services
from robinet.core.models import BatchRun
from robinet.customers import selectors as customer_selectors
from robinet.organisation.access import require
from robinet.organisation.roles import Perm

router = Router(tags=["recouvrement"])


# --- schemas ---------------------------------------------------------------------------------


class RuleOut(Schema):
    id: str
    source: str
    summary: str


class FiguresOut(Schema):
    proposed: int
    blocked: int
    excluded: int
    issued: int
    total: Decimal = Field(description="Amount dunned, blocked accounts left out")
    fee_total: Decimal


class DunningRunOut(Schema):
    id: int
    run_date: dt.date
    entity: str
    state: str
    created_at: dt.datetime
    created_by: str | None = None
    figures: FiguresOut
    activity_run: int | None = Field(None, description="The activity run once issued")

    @staticmethod
    def resolve_id(obj) -> int:
        return obj.pk

    @staticmethod
    def resolve_entity(obj) -> str:
        return obj.parameters.get("entity", "") or ""

    @staticmethod
    def resolve_created_by(obj) -> str | None:
        return obj.created_by.get_username() if obj.created_by_id else None

    @staticmethod
    def resolve_activity_run(obj) -> int | None:
        return obj.activity.pk if obj.activity else None


class ActivityOut(Schema):
    id: int
    proposal_run: int
    run_date: dt.date
    state: str
    notices: int = Field(description="Notices issued")
    skipped: int = Field(description="Proposals left out (blocked or paid since)")

    @staticmethod
    def resolve_id(obj) -> int:
        return obj.pk

    @staticmethod
    def resolve_proposal_run(obj) -> int:
        return obj.parameters["proposal_run"]

    @staticmethod
    def resolve_notices(obj) -> int:
        return obj.succeeded


class ProposalItemOut(Schema):
    id: int
    document_number: str = Field(alias="open_item.document_number")
    due_date: dt.date
    open_amount: Decimal
    from_level: int
    to_level: int
    excluded: bool
    exclusion_reason: str


class ProposalOut(Schema):
    id: int
    run: int = Field(alias="run_id")
    account: str = Field(alias="account.number")
    name: str = Field(alias="account.party.display_name")
    procedure: str = Field(alias="procedure.code")
    level: int | None = None
    level_label: str = ""
    status: str
    total: Decimal
    fee_total: Decimal
    actions: list[str]
    rules: list[str]
    blocks: list[str]
    pay_by: dt.date | None
    exclusion_reason: str
    items: list[ProposalItemOut]

    @staticmethod
    def resolve_level(obj) -> int | None:
        return obj.level.sequence if obj.level_id else None

    @staticmethod
    def resolve_level_label(obj) -> str:
        return obj.level.label if obj.level_id else ""

    @staticmethod
    def resolve_items(obj):
        return list(obj.items.all())


class NoticeItemOut(Schema):
    document_number: str
    due_date: dt.date
    open_amount: Decimal
    level: int


class ChargeOut(Schema):
    kind: str
    amount: Decimal
    document_number: str = Field(alias="open_item.document_number")


class NoticeSummaryOut(Schema):
    number: str
    account: str = Field(alias="account.number")
    level: int = Field(alias="level.sequence")
    level_label: str = Field(alias="level.label")
    issued_on: dt.date
    pay_by: dt.date
    total_due: Decimal
    fee_total: Decimal
    actions: list[str]


class NoticeOut(NoticeSummaryOut):
    id: int
    run: int = Field(alias="run_id")
    procedure: str = Field(alias="procedure.code")
    main_residence: bool
    fee_invoice: str | None = None
    email_to: str
    sms_to: str
    email_sent_at: dt.datetime | None
    sms_sent_at: dt.datetime | None
    printed_at: dt.datetime | None
    items: list[NoticeItemOut]
    charges: list[ChargeOut]
    rules: list[RuleOut] = Field(description="The legal rules that allowed the notice")

    @staticmethod
    def resolve_fee_invoice(obj) -> str | None:
        return obj.fee_invoice.number if obj.fee_invoice_id else None

    @staticmethod
    def resolve_items(obj):
        return list(obj.items.all())

    @staticmethod
    def resolve_charges(obj):
        return list(obj.charges.select_related("open_item"))

    @staticmethod
    def resolve_rules(obj):
        return selectors.rules_explained(obj.rules)


class DebtCaseOut(Schema):
    stage: str
    opened_on: dt.date
    updated_on: dt.date
    next_step: str
    next_step_on: dt.date | None


class EventOut(Schema):
    kind: str = Field(
        description="notice | exclusion | block | unblock | plan_created | plan_signed | "
        "plan_kept | plan_broken | plan_cancelled | promise_made | promise_kept | "
        "promise_broken | promise_cancelled | diagnosis | contact | write_off_asked | write_off "
        "| write_off_denied | agency_assigned | agency_reported | agency_recalled | "
        "agency_closed | litigation_opened | litigation_stage | litigation_cost | "
        "litigation_closed | insolvency_opened | insolvency_stage | insolvency_closed"
    )
    kind_label: str = Field("", description="The kind in French, as on the timeline")
    occurred_on: dt.date
    at: dt.datetime
    actor: str | None = None
    summary: str
    next_step: str
    next_step_on: dt.date | None
    notice: str | None = None

    @staticmethod
    def resolve_actor(obj) -> str | None:
        return obj.actor.get_username() if obj.actor_id else None

    @staticmethod
    def resolve_notice(obj) -> str | None:
        return obj.notice.number if obj.notice_id else None

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())


class BlockOut(Schema):
    id: int
    reason: str = Field(
        description="case | payment_plan | promise | agency | litigation | returned_mail | "
        "over_indebtedness | collective_procedure | dispute | fsl_pending | manual"
    )
    reason_label: str = Field("", description="The reason in French")
    reference: str
    starts_on: dt.date
    ends_on: dt.date | None
    comment: str
    lifted_on: dt.date | None
    in_force: bool = False

    @staticmethod
    def resolve_reason_label(obj) -> str:
        return str(obj.get_reason_display())


class HistoryOut(Schema):
    account: str
    debt_case: DebtCaseOut | None
    overdue_total: Decimal
    current_level: int
    notices: list[NoticeSummaryOut]
    events: list[EventOut]
    blocks: list[BlockOut]


class ProposeIn(Schema):
    date: dt.date | None = Field(None, description="Run date (default: today)")
    entity: str = Field("", description="Entity code (empty: the whole utility)")


class ReasonIn(Schema):
    reason: str = Field("", max_length=255, description="Why it is left out (kept on the timeline)")


# --- endpoints -------------------------------------------------------------------------------


def _run(request, run_id: int) -> BatchRun:
    return selectors.proposal_run_get_for_user(user=request.user, pk=run_id)


@router.get(
    "/collections/accounts/{number}/history",
    response=HistoryOut,
    summary="Historique du recouvrement d'un compte",
)
def account_history(request, number: str):
    account = customer_selectors.account_get_for_user(
        user=request.user, number=number, perm=Perm.COLLECTION_VIEW
    )
    summary = selectors.account_collection(
        user=request.user, account=account, notices=100, events=200
    )
    live = {b.pk for b in summary.live_blocks}
    blocks = [*summary.live_blocks, *summary.past_blocks]
    for block in blocks:
        block.in_force = block.pk in live
    return {
        "account": account.number,
        "debt_case": summary.debt_case,
        "overdue_total": summary.overdue_total,
        "current_level": summary.current_level,
        "notices": summary.notices,
        "events": summary.events,
        "blocks": blocks,
    }


@router.get(
    "/collections/dunning-runs", response=list[DunningRunOut], summary="Propositions de relances"
)
def run_list(request, limit: int = 50, offset: int = 0):
    require(request.user, Perm.COLLECTION_VIEW)
    page = _page(limit, offset)
    return selectors.proposal_run_list(
        user=request.user, limit=page.stop - page.start, offset=page.start
    )


@router.post(
    "/collections/dunning-runs",
    response={201: DunningRunOut},
    summary="Proposer les relances du jour (rien n'est envoyé)",
)
def run_propose(request, payload: ProposeIn):
    run = services.dunning_propose(actor=request.user, on=payload.date, entity_code=payload.entity)
    return Status(201, selectors.proposal_run_get_for_user(user=request.user, pk=run.pk))


@router.get(
    "/collections/dunning-runs/{run_id}/proposals",
    response=list[ProposalOut],
    summary="Propositions d'un traitement, par compte, avec leurs postes",
)
def proposal_list(request, run_id: int, status: str = "", limit: int = 100, offset: int = 0):
    run = _run(request, run_id)
    proposals = selectors.proposal_list(user=request.user, run=run, status=status)
    return list(proposals[_page(limit, offset)])


@router.post(
    "/collections/dunning-runs/{run_id}/issue",
    response={201: ActivityOut},
    summary="Émettre les relances d'une proposition",
)
def run_issue(request, run_id: int):
    activity = services.dunning_issue(actor=request.user, proposal_run=_run(request, run_id))
    return Status(201, activity)


def _proposal_out(request, proposal_id: int):
    proposal = selectors.proposal_get_for_user(user=request.user, pk=proposal_id)
    run = proposal.run
    return selectors.proposal_list(user=request.user, run=run).get(pk=proposal.pk)


@router.post(
    "/collections/proposals/{proposal_id}/exclude",
    response=ProposalOut,
    summary="Exclure un compte de la relance (avec un motif)",
)
def proposal_exclude(request, proposal_id: int, payload: ReasonIn):
    proposal = selectors.proposal_get_for_user(user=request.user, pk=proposal_id)
    services.proposal_exclude(actor=request.user, proposal=proposal, reason=payload.reason)
    return _proposal_out(request, proposal_id)


@router.post(
    "/collections/proposal-items/{item_id}/exclude",
    response=ProposalOut,
    summary="Exclure un poste de la relance (avec un motif)",
)
def proposal_item_exclude(request, item_id: int, payload: ReasonIn):
    item = selectors.proposal_item_get_for_user(user=request.user, pk=item_id)
    services.proposal_item_exclude(actor=request.user, item=item, reason=payload.reason)
    return _proposal_out(request, item.proposal_id)


@router.get("/collections/notices/{number}", response=NoticeOut, summary="Lire un avis de relance")
def notice_get(request, number: str):
    return selectors.notice_get_for_user(user=request.user, number=number)
