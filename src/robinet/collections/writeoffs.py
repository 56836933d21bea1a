"""Write-offs (*admissions en non-valeur*, COLL-11): request, approve (books it), reject.

* :func:`write_off_request` — a collection officer proposes to write off
  amounts of open debit items of one account, with a reason
  (``collection.write_off`` on the account's centre); never items under an
  active payment plan or with an agency (recall them first): the plan or the
  agency is still collecting them;
* :func:`write_off_approve` — someone else (four eyes, also a database
  constraint) holding ``collection.write_off_approve`` approves it, which
  books it at once: a credit open item of kind ``write_off`` allocated to the
  items through the ledger's allocation path (the items close, the shares are
  spread), a journal entry losses 654 / customers 411 or doubtful 416 (where
  the item sits), the item's provision released (491 / 7817);
* :func:`write_off_reject` — the same person refuses it, with a note.

Every change is in one transaction, recorded on the collection timeline and
in the audit trail. Nothing is written when a check fails.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from robinet.collections.choices import DebtStage, EventKind, PlanState
from robinet.collections.events import debt_case_stage, event_record
from robinet.collections.models import (
    AssignmentItem,
    AssignmentState,
    PlanItem,
    WriteOffItem,
    WriteOffReason,
    WriteOffRequest,
    WriteOffState,
)
from robinet.collections.provisions import release_for_write_off
from robinet.core import audit, clock
from robinet.core.exceptions import ApplicationError
from robinet.core.numbering import format_number, next_number
from robinet.ledger import posting
from robinet.ledger.models import OpenItem, OpenItemKind
from robinet.ledger.services import _write_allocations
from robinet.organisation.access import require
from robinet.organisation.roles import Perm

SERIES = "ANV"
ZERO = Decimal("0.00")


def _refuse(message: str, code: str, field: str = "__all__", status: int = 400):
    raise ApplicationError(message, code=code, fields={field: [message]}, http_status=status)


def held_items(item_ids) -> tuple[dict[int, str], dict[int, dict[str, str]]]:
    """Items under an active payment plan (→ plan number) or with an agency (→ agency, ref)."""
    planned = dict(
        PlanItem.objects.filter(
            open_item_id__in=item_ids, plan__state=PlanState.ACTIVE
        ).values_list("open_item_id", "plan__number")
    )
    assigned = {
        item_id: {"agency": name, "ref": f"AGC-{assignment_id}"}
        for item_id, name, assignment_id in AssignmentItem.objects.filter(
            open_item_id__in=item_ids, assignment__state=AssignmentState.ASSIGNED
        ).values_list("open_item_id", "assignment__agency__name", "assignment_id")
    }
    return planned, assigned


def write_off_request(
    *,
    actor,
    account,
    items: Sequence[tuple[OpenItem | int, Decimal | None]],
    reason: str,
    note: str = "",
) -> WriteOffRequest:
    """Propose to write off ``items`` ((open item or id, amount or None for all it owes))."""
    require(actor, Perm.WRITE_OFF_REQUEST, account.centre)
    if reason not in WriteOffReason.values:
        _refuse(_("Choisissez un motif."), "reason_invalid", "reason")
    if not items:
        _refuse(_("Choisissez au moins un poste à admettre en non-valeur."), "no_items", "items")
    with transaction.atomic():
        ids = [i.pk if isinstance(i, OpenItem) else int(i) for i, _a in items]
        if len(set(ids)) != len(ids):
            _refuse(_("Un poste est cité deux fois."), "duplicate_item", "items")
        found = {
            o.pk: o
            for o in OpenItem.objects.select_for_update().filter(pk__in=ids, account=account)
        }
        pending = set(
            WriteOffItem.objects.filter(
                item_id__in=ids, request__state=WriteOffState.REQUESTED
            ).values_list("item_id", flat=True)
        )
        planned, assigned = held_items(ids)
        rows, errors = [], []
        for (_raw, amount), item_id in zip(items, ids, strict=True):
            item = found.get(item_id)
            if item is None or item.open_amount <= 0 or item.cleared_on is not None:
                errors.append(
                    _("Le poste %(id)s n'est pas une dette ouverte du compte.") % {"id": item_id}
                )
                continue
            if item_id in pending:
                errors.append(
                    _("Le poste %(doc)s est déjà dans une proposition en attente.")
                    % {"doc": item.document_number}
                )
                continue
            if item_id in planned:
                errors.append(
                    _(
                        "Le poste %(doc)s est couvert par l'échéancier en cours %(plan)s : "
                        "annulez ou laissez aboutir l'échéancier avant de l'admettre en "
                        "non-valeur (COLL-11)."
                    )
                    % {"doc": item.document_number, "plan": planned[item_id]}
                )
                continue
            if item_id in assigned:
                errors.append(
                    _(
                        "Le poste %(doc)s est confié à l'agence %(agency)s (%(ref)s) : "
                        "rappelez la dette avant de l'admettre en non-valeur (COLL-11, COLL-8)."
                    )
                    % {"doc": item.document_number, **assigned[item_id]}
                )
                continue
            amount = item.open_amount if amount is None else Decimal(amount)
            if amount <= 0 or amount.as_tuple().exponent < -2 or amount > item.open_amount:
                errors.append(
                    _("Montant invalide pour %(doc)s (reste dû %(open)s).")
                    % {"doc": item.document_number, "open": item.open_amount}
                )
                continue
            rows.append((item, amount))
        if errors:
            raise ApplicationError(" ".join(errors), code="items_invalid", fields={"items": errors})
        now = clock.now()
        total = sum((a for _i, a in rows), ZERO)
        number = format_number(SERIES, now.year, next_number(SERIES, now.year))
        request = WriteOffRequest.objects.create(
            number=number,
            account=account,
            reason=reason,
            note=note,
            total=total,
            requested_by=actor,
            requested_at=now,
        )
        WriteOffItem.objects.bulk_create(
            [WriteOffItem(request=request, item=item, amount=amount) for item, amount in rows]
        )
        event_record(
            account=account,
            kind=EventKind.WRITE_OFF_ASKED,
            actor=actor,
            summary=_("Admission en non-valeur %(n)s proposée : %(t)s € (%(r)s).")
            % {"n": number, "t": total, "r": request.get_reason_display()},
            next_step=_("Décision sur l'admission en non-valeur"),
        )
        audit.record(
            actor=actor,
            verb="write_off_requested",
            target=request,
            subject=account,
            data={"number": number, "total": total, "reason": reason},
        )
        return request


def _locked_request(request: WriteOffRequest) -> WriteOffRequest:
    locked = (
        WriteOffRequest.objects.select_for_update().select_related("account").get(pk=request.pk)
    )
    if locked.state != WriteOffState.REQUESTED:
        _refuse(
            _("Cette proposition est déjà décidée (%(s)s).") % {"s": locked.get_state_display()},
            "already_decided",
            status=409,
        )
    return locked


def _check_decider(actor, request: WriteOffRequest) -> None:
    require(actor, Perm.WRITE_OFF_APPROVE, request.account.centre)
    if getattr(actor, "pk", None) is None:
        _refuse(_("Une décision a un auteur."), "decider_required")
    if actor.pk == request.requested_by_id:
        _refuse(
            _("Le demandeur ne peut pas décider de sa propre proposition (quatre yeux)."),
            "four_eyes",
            status=403,
        )


def write_off_approve(
    *, actor, request: WriteOffRequest, note: str = "", on: dt.date | None = None
) -> WriteOffRequest:
    """Approve ``request`` and book it (credit item, allocations, entries, timeline)."""
    on = on or clock.today()
    with transaction.atomic():
        request = _locked_request(request)
        _check_decider(actor, request)
        lines = list(request.items.all())
        items = {
            o.pk: o
            for o in OpenItem.objects.select_for_update().filter(
                pk__in=[line.item_id for line in lines]
            )
        }
        errors = [
            _("Le poste %(doc)s ne doit plus que %(open)s €.")
            % {"doc": items[line.item_id].document_number, "open": items[line.item_id].open_amount}
            for line in lines
            if items[line.item_id].open_amount < line.amount
        ]
        planned, assigned = held_items(list(items))
        errors += [
            _("Le poste %(doc)s est passé sous échéancier ou confié à une agence depuis la "
              "proposition (COLL-11).") % {"doc": item.document_number}
            for item_id, item in items.items()
            if item_id in planned or item_id in assigned
        ]  # fmt: skip
        if errors:
            raise ApplicationError(
                " ".join(errors), code="items_changed", fields={"items": errors}, http_status=409
            )
        account = request.account
        credit = OpenItem.objects.create(
            account=account,
            kind=OpenItemKind.WRITE_OFF,
            document_number=request.number,
            label=_("Admission en non-valeur")[:120],
            posted_on=on,
            due_date=on,
            amount=-request.total,
            open_amount=-request.total,
        )
        amounts = {line.item_id: line.amount for line in lines}
        ordered = [items[line.item_id] for line in lines]
        _write_allocations(
            [(item, credit, amounts[item.pk]) for item in ordered],
            on=on,
            actor=actor,
            manual=True,
            reason=_("Admission en non-valeur %(n)s") % {"n": request.number},
        )
        from_doubtful, released = release_for_write_off(ordered, amounts=amounts)
        doubtful = sum(from_doubtful.values(), ZERO)
        entries = [
            posting.write_off_entry(
                on=on,
                number=request.number,
                account_id=account.pk,
                centre_id=account.centre_id,
                from_customers=request.total - doubtful,
                from_doubtful=doubtful,
            )
        ]
        if released:
            entries.append(
                posting.provision_entry(
                    on=on,
                    piece_ref=request.number,
                    centre_id=account.centre_id,
                    increase=ZERO,
                    decrease=released,
                    label="Reprise de dépréciation " + request.number,
                )
            )
        entry_ids = posting.post(entries)
        request.state = WriteOffState.BOOKED
        request.decided_by, request.decided_on, request.decision_note = actor, on, note
        request.credit_item, request.entry_id = credit, entry_ids[0]
        request.save(
            update_fields=[
                "state", "decided_by", "decided_on", "decision_note", "credit_item", "entry"
            ]
        )  # fmt: skip
        event_record(
            account=account,
            kind=EventKind.WRITE_OFF,
            on=on,
            actor=actor,
            summary=_("Admission en non-valeur %(n)s approuvée et comptabilisée : %(t)s €.")
            % {"n": request.number, "t": request.total},
        )
        still_open = OpenItem.objects.filter(
            account=account, cleared_on__isnull=True, open_amount__gt=0
        ).exists()
        if not still_open:
            debt_case_stage(account_id=account.pk, stage=DebtStage.WRITE_OFF, on=on)
        audit.record(
            actor=actor,
            verb="write_off_booked",
            target=request,
            subject=account,
            data={"number": request.number, "total": request.total, "provision": released},
        )
        return request


def write_off_reject(
    *, actor, request: WriteOffRequest, note: str, on: dt.date | None = None
) -> WriteOffRequest:
    """Refuse ``request`` (a note is required); nothing is booked."""
    if not (note or "").strip():
        _refuse(_("Indiquez le motif du refus."), "note_required", "note")
    on = on or clock.today()
    with transaction.atomic():
        request = _locked_request(request)
        _check_decider(actor, request)
        request.state = WriteOffState.REJECTED
        request.decided_by, request.decided_on, request.decision_note = actor, on, note
        request.save(update_fields=["state", "decided_by", "decided_on", "decision_note"])
        event_record(
            account=request.account,
            kind=EventKind.WRITE_OFF_DENIED,
            on=on,
            actor=actor,
            summary=_("Admission en non-valeur %(n)s refusée : %(note)s")
            % {"n": request.number, "note": note},
        )
        audit.record(
            actor=actor,
            verb="write_off_rejected",
            target=request,
            subject=request.account,
            data={"number": request.number, "note": note},
        )
        return request
