"""Over-indebtedness and collective procedures (COLL-12).

Recording a file freezes the collection of the prior debt: the open items
due before the opening date (admissibility of the Banque de France file, or
the judgment opening the collective procedure) are listed with their amount
at that date (:class:`InsolvencyItem`), and a ``CollectionBlock`` of reason
``over_indebtedness`` or ``collective_procedure`` (reference: the file
number) records the hold on the timeline.

That block freezes exactly the file's items, not the account (COLL-12 over
COLL-3, see docs/domain/litigation.md): the dunning fetch
(:mod:`robinet.collections.fetch`) leaves out the items of a live file and
duns the bills issued after the opening date normally, within the rule pack
(no cut-off of a main residence…). A block of these reasons with no live file
behind it (an officer's manual block) still holds the whole account.

For a collective procedure, the claim is declared to the *mandataire
judiciaire* within two months of the BODACC publication (C. com. L622-24,
R622-24): :func:`claim_deadline`. A plan records its terms; an erasure
(*effacement*, or closing for want of assets) records the reference of the
write-off, which is made by the write-off feature. Closing lifts the block.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from robinet.collections.blocks import block_close, block_open, blocks_of
from robinet.collections.choices import BlockReason, EventKind
from robinet.collections.events import event_record
from robinet.collections.models import (
    InsolvencyFile,
    InsolvencyItem,
    InsolvencyKind,
    InsolvencyState,
)
from robinet.core import audit, clock
from robinet.core.exceptions import InvalidTransition, ValidationFailed
from robinet.core.money import format_money
from robinet.core.numbering import format_number, next_number
from robinet.ledger.models import OpenItem
from robinet.organisation.access import require
from robinet.organisation.roles import Perm

ZERO = Decimal("0.00")
SERIES = "PCS"
#: months after the BODACC publication to declare a claim (C. com. R622-24)
DECLARATION_MONTHS = 2
#: deadlines within this many days are flagged on the screen
DEADLINE_WARNING_DAYS = 30


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (end of month when the day does not exist)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def claim_deadline(kind: str, bodacc_on: dt.date | None) -> dt.date | None:
    """BODACC + 2 months for a collective procedure; none for over-indebtedness."""
    if kind == InsolvencyKind.OVER_INDEBTEDNESS or bodacc_on is None:
        return None
    return add_months(bodacc_on, DECLARATION_MONTHS)


def block_reason(kind: str) -> str:
    if kind == InsolvencyKind.OVER_INDEBTEDNESS:
        return BlockReason.OVER_INDEBTEDNESS
    return BlockReason.COLLECTIVE_PROCEDURE


def prior_items(account, opened_on: dt.date) -> list[OpenItem]:
    """Open debit items due before the opening date: the prior debt."""
    return list(
        OpenItem.objects.filter(
            account=account, open_amount__gt=0, due_date__lt=opened_on
        ).order_by("due_date", "id")
    )


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def _require(actor, entity=None) -> None:
    if actor is not None:
        require(actor, Perm.LITIGATION_MANAGE, entity)


@transaction.atomic
def insolvency_record(
    account,
    kind: str,
    opened_on: dt.date,
    actor=None,
    *,
    bodacc_on: dt.date | None = None,
    reference: str = "",
    administrator: str = "",
) -> InsolvencyFile:
    _require(actor, account.centre)
    if kind not in InsolvencyKind.values:
        raise ValidationFailed({"kind": [_("Nature de procédure inconnue.")]})
    if bodacc_on and bodacc_on < opened_on:
        raise ValidationFailed(
            {"bodacc_on": [_("La publication au BODACC suit le jugement d'ouverture.")]}
        )
    if (
        InsolvencyFile.objects.filter(account=account)
        .exclude(state=InsolvencyState.CLOSED)
        .exists()
    ):
        raise ValidationFailed({"account": [_("Ce compte a déjà un dossier en cours.")]})
    items = prior_items(account, opened_on)
    prior = sum((i.open_amount for i in items), ZERO)
    number = format_number(SERIES, opened_on.year, next_number(SERIES, opened_on.year))
    now = clock.now()
    file = InsolvencyFile.objects.create(
        number=number,
        account=account,
        kind=kind,
        opened_on=opened_on,
        bodacc_on=bodacc_on,
        claim_deadline=claim_deadline(kind, bodacc_on),
        reference=reference[:60],
        administrator=administrator[:160],
        prior_debt=prior,
        created_by=_user(actor),
        created_at=now,
    )
    InsolvencyItem.objects.bulk_create(
        InsolvencyItem(file=file, open_item=i, amount=i.open_amount) for i in items
    )
    block_open(
        actor=actor,
        account=account,
        reason=block_reason(kind),
        reference=number,
        starts_on=opened_on,
        comment=str(InsolvencyKind(kind).label),
        event_kind=EventKind.INSOLVENCY_OPENED,
        summary=_("%(k)s %(n)s : dette antérieure de %(m)s gelée")
        % {"k": InsolvencyKind(kind).label, "n": number, "m": format_money(prior)},
        event_on=clock.today(),
        next_step=_("Déclarer la créance") if file.claim_deadline else "",
        next_step_on=file.claim_deadline,
    )
    audit.record(
        actor=actor,
        verb="insolvency.recorded",
        target=account,
        data={"file": number, "kind": kind, "prior_debt": prior},
    )
    return file


def _locked(file: InsolvencyFile) -> InsolvencyFile:
    return InsolvencyFile.objects.select_for_update().select_related("account").get(pk=file.pk)


@transaction.atomic
def claim_declare(
    file: InsolvencyFile, declared_on: dt.date, actor=None, *, amount: Decimal | None = None
) -> InsolvencyFile:
    file = _locked(file)
    _require(actor, file.account.centre)
    if file.state == InsolvencyState.CLOSED:
        raise InvalidTransition(_("Le dossier est clos."))
    file.declared_on = declared_on
    file.declared_amount = file.prior_debt if amount is None else Decimal(amount)
    file.save(update_fields=["declared_on", "declared_amount"])
    late = file.claim_deadline and declared_on > file.claim_deadline
    event_record(
        account=file.account,
        kind=EventKind.INSOLVENCY_STAGE,
        summary=_("%(n)s : créance de %(m)s déclarée")
        % {"n": file.number, "m": format_money(file.declared_amount)}
        + (_(" (hors délai)") if late else ""),
        actor=actor,
        on=declared_on,
    )
    return file


@transaction.atomic
def plan_apply(file: InsolvencyFile, terms: str, on: dt.date, actor=None) -> InsolvencyFile:
    file = _locked(file)
    _require(actor, file.account.centre)
    if file.state != InsolvencyState.OPEN:
        raise InvalidTransition(_("Un plan ne s'applique qu'à un dossier ouvert."))
    if not terms.strip():
        raise ValidationFailed({"terms": [_("Indiquez les termes du plan.")]})
    file.state, file.plan_terms, file.plan_on = InsolvencyState.PLAN, terms, on
    file.save(update_fields=["state", "plan_terms", "plan_on"])
    event_record(
        account=file.account,
        kind=EventKind.INSOLVENCY_STAGE,
        summary=_("%(n)s : plan adopté") % {"n": file.number},
        actor=actor,
        on=on,
    )
    return file


@transaction.atomic
def erasure_apply(
    file: InsolvencyFile, on: dt.date, actor=None, *, write_off_reference: str = ""
) -> InsolvencyFile:
    """Record the erasure; the write-off of the prior debt is made by the write-off feature."""
    file = _locked(file)
    _require(actor, file.account.centre)
    if file.state not in (InsolvencyState.OPEN, InsolvencyState.PLAN):
        raise InvalidTransition(_("Ce dossier ne peut plus être effacé."))
    file.state, file.erased_on = InsolvencyState.ERASED, on
    file.write_off_reference = write_off_reference[:40]
    file.save(update_fields=["state", "erased_on", "write_off_reference"])
    event_record(
        account=file.account,
        kind=EventKind.INSOLVENCY_STAGE,
        summary=_("%(n)s : effacement de la dette antérieure (%(m)s)")
        % {"n": file.number, "m": format_money(file.prior_debt)},
        actor=actor,
        on=on,
        next_step=_("Admettre en non-valeur la dette antérieure"),
    )
    return file


@transaction.atomic
def insolvency_close(file: InsolvencyFile, on: dt.date, actor=None) -> InsolvencyFile:
    """Close the file and lift the block: dunning resumes."""
    file = _locked(file)
    _require(actor, file.account.centre)
    if file.state == InsolvencyState.CLOSED:
        raise InvalidTransition(_("Le dossier est déjà clos."))
    file.state, file.closed_on = InsolvencyState.CLOSED, on
    file.save(update_fields=["state", "closed_on"])
    summary = _("%(n)s clos ; relances rétablies") % {"n": file.number}
    blocks = blocks_of(file.account_id, block_reason(file.kind), file.number)
    for index, block in enumerate(blocks):
        block_close(
            actor=actor,
            block=block,
            on=max(on, block.starts_on),
            event_kind=EventKind.INSOLVENCY_CLOSED if index == 0 else None,
            summary=summary,
        )
    if not blocks:
        event_record(
            account=file.account, kind=EventKind.INSOLVENCY_CLOSED, summary=summary, actor=actor,
            on=on,
        )  # fmt: skip
    return file


def deadlines_approaching(on: dt.date | None = None, days: int = DEADLINE_WARNING_DAYS):
    """Live files whose claim is not declared and whose deadline falls within ``days``."""
    on = on or clock.today()
    return (
        InsolvencyFile.objects.filter(
            declared_on__isnull=True,
            claim_deadline__isnull=False,
            claim_deadline__lte=on + dt.timedelta(days=days),
        )
        .exclude(state=InsolvencyState.CLOSED)
        .select_related("account", "account__party")
        .order_by("claim_deadline")
    )
