"""The collection officer's worklist (COLL-7): features, nightly scoring, reads, call outcomes.

* :func:`overdue_accounts` / :func:`load_features`: the facts of a chunk of
  accounts on a date, in a fixed number of queries. They also work for a past
  date (the training snapshots of :mod:`robinet.collections.risk_model`): an
  item counts as overdue on ``on`` when it was posted, due before ``on`` and
  not cleared by then; as the ledger keeps no history of partial payments, an
  item since cleared counts for its full amount.
* :func:`score_run`: the nightly job — scores every overdue account with the
  latest :class:`RiskModel` (or the fallback rule) and replaces its
  :class:`AccountScore` row; accounts no longer overdue lose theirs.
* :func:`worklist`: the ranked, filtered, scoped list (screen and API).
* :func:`contact_record`: the outcome of a call, on the timeline (COLL-13).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from robinet.collections import events, scoring
from robinet.collections.choices import CONTACT_KINDS, EventKind, PlanState, PromiseState
from robinet.collections.fetch import DUNNED_KINDS, PROTECTED_PREMISES, recovered_here
from robinet.collections.models import (
    AccountScore,
    CollectionEvent,
    DunningLevel,
    DunningNotice,
    DunningProcedure,
    NoticeItem,
    PaymentPlan,
    PaymentPromise,
    ProcedureClass,
    RiskModel,
)
from robinet.core import clock
from robinet.core.exceptions import ValidationFailed
from robinet.customers.choices import ContractStatus, CustomerClass
from robinet.customers.models import Contract, CustomerAccount
from robinet.ledger.models import OpenItem
from robinet.organisation.access import require, scope_for
from robinet.organisation.roles import Perm
from robinet.payments.models import PaymentReversal

ZERO = Decimal("0.00")
CHUNK = 2000
PAGE_SIZE = 50
PROFESSIONAL_CLASSES = (
    CustomerClass.PROFESSIONAL,
    CustomerClass.FARMER,
    CustomerClass.LARGE_ACCOUNT,
    CustomerClass.SYNDIC,
)
PUBLIC_CLASSES = (CustomerClass.LOCAL_AUTHORITY, CustomerClass.ADMINISTRATION)


# --- features --------------------------------------------------------------------------------


def _overdue_q(on: dt.date, prefix: str = "") -> Q:
    return (
        Q(
            **{
                f"{prefix}kind__in": DUNNED_KINDS,
                f"{prefix}amount__gt": 0,
                f"{prefix}posted_on__lte": on,
                f"{prefix}due_date__lt": on,
            }
        )
        & (Q(**{f"{prefix}cleared_on__isnull": True}) | Q(**{f"{prefix}cleared_on__gt": on}))
        & (recovered_here(prefix))
    )


def overdue_accounts(on: dt.date) -> list[int]:
    """Ids of the accounts with an overdue debit on ``on``, in id order."""
    return sorted(set(OpenItem.objects.filter(_overdue_q(on)).values_list("account_id", flat=True)))


def chunks(ids: Sequence[int], size: int = CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


@dataclass(frozen=True)
class AccountFeatures:
    account_id: int
    features: scoring.Features
    situation: scoring.Situation
    # overdue items on ``on`` with the date each was cleared (None: still open)
    items: tuple[tuple[int, dt.date | None], ...]


def _final_levels() -> tuple[dict[str, int], int]:
    """The last level of the procedure of each customer class, and of the default one."""
    last = {
        code: seq
        for code, seq in DunningProcedure.objects.values_list("code", "levels__sequence")
        .order_by("code", "levels__sequence")
        .distinct()
        if seq is not None
    }
    by_class = {
        c: last.get(code, 0)
        for c, code in ProcedureClass.objects.values_list("customer_class", "procedure__code")
    }
    default = DunningProcedure.objects.filter(is_default=True).values_list("code", flat=True)
    return by_class, last.get(next(iter(default), ""), 0)


def load_features(
    account_ids: Sequence[int], *, on: dt.date, final_levels=None
) -> list[AccountFeatures]:
    """Features of the accounts overdue on ``on`` among ``account_ids`` (bulk, ~10 queries)."""
    by_class, default_last = final_levels or _final_levels()
    accounts = {
        row[0]: row
        for row in CustomerAccount.objects.filter(pk__any=account_ids).values_list(
            "pk", "customer_class", "opened_on", "mail_returned_on"
        )
    }
    items: dict[int, list[tuple]] = defaultdict(list)
    item_ids = []
    for pk, account_id, amount, open_amount, due, cleared in (
        OpenItem.objects.filter(_overdue_q(on), account_id__any=account_ids)
        .order_by("account_id", "due_date", "pk")
        .values_list("pk", "account_id", "amount", "open_amount", "due_date", "cleared_on")
    ):
        # still open: what is left; cleared since ``on``: its full amount (no history kept)
        items[account_id].append((pk, open_amount if cleared is None else amount, due, cleared))
        item_ids.append(pk)
    levels: dict[int, int] = {}
    for account_id, level in NoticeItem.objects.filter(
        open_item_id__any=item_ids, notice__issued_on__lte=on
    ).values_list("notice__account_id", "level"):
        levels[account_id] = max(level, levels.get(account_id, 0))
    notices: dict[int, int] = defaultdict(int)
    pay_by: dict[int, dt.date] = {}
    for account_id, deadline in (
        DunningNotice.objects.filter(account_id__any=account_ids, issued_on__lte=on)
        .order_by("account_id", "issued_on", "pk")
        .values_list("account_id", "pay_by")
    ):
        notices[account_id] += 1
        pay_by[account_id] = deadline
    rejects: dict[int, int] = defaultdict(int)
    for account_id in PaymentReversal.objects.filter(
        payment__account_id__any=account_ids,
        payment__means="direct_debit",
        reversed_on__lte=on,
        reversed_on__gt=on - dt.timedelta(days=365),
    ).values_list("payment__account_id", flat=True):
        rejects[account_id] += 1
    broken_promises: dict[int, int] = defaultdict(int)
    pending: set[int] = set()
    for account_id, state, closed in PaymentPromise.objects.filter(
        account_id__any=account_ids, made_on__lte=on
    ).values_list("account_id", "state", "closed_on"):
        if state == PromiseState.BROKEN and closed is not None and closed <= on:
            broken_promises[account_id] += 1
        elif closed is None or closed > on:
            pending.add(account_id)
    broken_plans: dict[int, int] = defaultdict(int)
    active: set[int] = set()
    for account_id, state, closed in PaymentPlan.objects.filter(
        account_id__any=account_ids, agreed_on__lte=on
    ).values_list("account_id", "state", "closed_on"):
        if state == PlanState.BROKEN and closed is not None and closed <= on:
            broken_plans[account_id] += 1
        elif state != PlanState.CANCELLED and (closed is None or closed > on):
            active.add(account_id)
    protected = set(
        Contract.objects.filter(
            account_id__any=account_ids,
            status=ContractStatus.ACTIVE,
            service_point__premises_use__in=PROTECTED_PREMISES,
        ).values_list("account_id", flat=True)
    )
    contacts: dict[int, dt.date] = {}
    for account_id, occurred in CollectionEvent.objects.filter(
        account_id__any=account_ids, kind__in=CONTACT_KINDS, occurred_on__lte=on
    ).values_list("account_id", "occurred_on"):
        contacts[account_id] = max(occurred, contacts.get(account_id, occurred))
    out = []
    for account_id in account_ids:
        rows = items.get(account_id)
        account = accounts.get(account_id)
        if not rows or account is None:
            continue
        _pk, customer_class, opened_on, returned = account
        level = levels.get(account_id, 0)
        features = scoring.Features(
            amount=sum((r[1] for r in rows), ZERO),
            oldest_days=(on - rows[0][2]).days,
            open_items=len(rows),
            level=level,
            rejects_12m=rejects.get(account_id, 0),
            broken_promises=broken_promises.get(account_id, 0),
            broken_plans=broken_plans.get(account_id, 0),
            professional=customer_class in PROFESSIONAL_CLASSES,
            public_body=customer_class in PUBLIC_CLASSES,
            tenure_days=max((on - opened_on).days, 0),
            notices=notices.get(account_id, 0),
            main_residence=account_id in protected,
        )
        final = by_class.get(customer_class, default_last)
        situation = scoring.Situation(
            on=on,
            final_level=bool(final) and level >= final,
            mail_returned=returned is not None and returned <= on,
            notice_pay_by=pay_by.get(account_id),
            active_plan=account_id in active,
            pending_promise=account_id in pending,
            last_contact_on=contacts.get(account_id),
        )
        out.append(
            AccountFeatures(account_id, features, situation, tuple((r[0], r[3]) for r in rows))
        )
    return out


# --- the model in use ------------------------------------------------------------------------


def params_of(model: RiskModel | None) -> scoring.Params:
    if model is None:
        return scoring.FALLBACK
    return scoring.Params(
        features=tuple(model.features),
        coefficients=tuple(model.coefficients),
        intercept=model.intercept,
        means=tuple(model.means),
        scales=tuple(model.scales),
    )


def current_model() -> RiskModel | None:
    return RiskModel.objects.order_by("-trained_at", "-pk").first()


# --- the nightly scoring run -----------------------------------------------------------------


@dataclass(frozen=True)
class ScoreRunResult:
    on: dt.date
    scored: int
    removed: int
    model: RiskModel | None

    @property
    def fallback(self) -> bool:
        return self.model is None


def _score_rows(facts: list[AccountFeatures], params, model, on) -> list[AccountScore]:
    rows = []
    for fact in facts:
        result = scoring.score(params, fact.features)
        loss = result.expected_loss(fact.features.amount)
        rows.append(
            AccountScore(
                account_id=fact.account_id,
                scored_on=on,
                risk_model=model,
                probability=round(result.probability, 6),
                amount_at_stake=fact.features.amount,
                expected_loss=loss,
                level=fact.features.level,
                oldest_days=fact.features.oldest_days,
                reasons=list(result.reasons),
                next_action=scoring.next_action(fact.features, fact.situation, loss),
                features=fact.features.as_json(),
            )
        )
    return rows


def score_run(*, on: dt.date | None = None, chunk_size: int = CHUNK) -> ScoreRunResult:
    """Score every account overdue on ``on``; idempotent (rows replaced per chunk)."""
    on = on or clock.today()
    model = current_model()
    params = params_of(model)
    levels = _final_levels()
    ids = overdue_accounts(on)
    scored = 0
    for chunk in chunks(ids, chunk_size):
        facts = load_features(chunk, on=on, final_levels=levels)
        rows = _score_rows(facts, params, model, on)
        with transaction.atomic():
            AccountScore.objects.filter(account_id__any=list(chunk)).delete()
            AccountScore.objects.bulk_create(rows, batch_size=1000)
        scored += len(rows)
    # accounts no longer overdue (paid since the last run, or since earlier today)
    stale = sorted(set(AccountScore.objects.values_list("account_id", flat=True)) - set(ids))
    removed = 0
    for chunk in chunks(stale, chunk_size):
        removed += AccountScore.objects.filter(account_id__any=list(chunk)).delete()[0]
    return ScoreRunResult(on, scored, removed, model)


# --- reads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    centre: int | None = None
    level: int | None = None
    customer_class: str = ""
    min_amount: Decimal | None = None
    action: str = ""
    q: str = ""


def worklist(*, user, filters: Filters | None = None) -> QuerySet[AccountScore]:
    """Scores of the user's accounts, largest expected loss first."""
    f = filters or Filters()
    rows = AccountScore.objects.filter(
        scope_for(user).entity_filter(Perm.COLLECTION_VIEW, "account__centre")
    )
    if f.centre:
        rows = rows.filter(account__centre_id=f.centre)
    if f.level is not None:
        rows = rows.filter(level=f.level)
    if f.customer_class:
        rows = rows.filter(account__customer_class=f.customer_class)
    if f.min_amount is not None:
        rows = rows.filter(amount_at_stake__gte=f.min_amount)
    if f.action:
        rows = rows.filter(next_action=f.action)
    if f.q.strip():
        text = f.q.strip()
        rows = rows.filter(
            Q(account__number__startswith=text) | Q(account__party__name__icontains=text)
        )
    return rows.select_related("account__party", "account__centre").order_by("-expected_loss", "id")


def max_level() -> int:
    return (
        DunningLevel.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    )


# --- call outcomes (COLL-13) -----------------------------------------------------------------

OUTCOMES = {
    "reached": gettext_lazy("Joint"),
    "absent": gettext_lazy("Absent"),
    "promise": gettext_lazy("Promesse de paiement"),
    "disputed": gettext_lazy("Conteste la dette"),
    "wrong_number": gettext_lazy("Faux numéro"),
}
OUTCOME_CHOICES = list(OUTCOMES.items())
NOTE_MAX = 200


@transaction.atomic(durable=True)
def contact_record(
    *,
    account,
    outcome: str,
    note: str = "",
    next_step: str = "",
    next_step_on: dt.date | None = None,
    actor,
) -> CollectionEvent:
    """Record the outcome of a call to the debtor on the timeline (``collection.plans``)."""
    if actor is not None:
        require(actor, Perm.PLAN_MANAGE, account.centre)
    errors: dict[str, list[str]] = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = [_("Résultat d'appel inconnu.")]
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = [_("%(n)s caractères au plus.") % {"n": NOTE_MAX}]
    next_step = (next_step or "").strip()
    if next_step_on is not None and next_step_on < clock.today():
        errors["next_step_on"] = [_("La prochaine étape ne peut pas être dans le passé.")]
    if next_step_on is not None and not next_step:
        errors["next_step"] = [_("Précisez la prochaine étape.")]
    if errors:
        raise ValidationFailed(errors)
    summary = _("Appel : %(o)s.") % {"o": OUTCOMES[outcome]}
    if note:
        summary = f"{summary} {note}"
    return events.event_record(
        account=account,
        kind=EventKind.CONTACT,
        summary=summary,
        actor=actor,
        next_step=next_step,
        next_step_on=next_step_on,
    )
