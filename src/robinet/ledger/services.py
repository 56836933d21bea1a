"""Writes on customer accounts: booking documents, allocating, un-allocating (PAY-1, PAY-1a).

Every function runs inside the caller's transaction (or its own) and locks
the open items it moves, so two payments on one account never clear the
same euro twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from robinet.core import audit, clock
from robinet.core.bulk import in_ids
from robinet.core.exceptions import ApplicationError, NotFound
from robinet.ledger import posting
from robinet.ledger.models import (
    Allocation,
    AllocationShare,
    OpenItem,
    OpenItemKind,
    ShareBeneficiary,
    ShareSource,
)
from robinet.ledger.spread import Part, spread
from robinet.organisation.access import require
from robinet.organisation.roles import Perm
from robinet.payments.allocation import DEFAULT_CATEGORY_ORDER, Debit
from robinet.payments.allocation import allocate as allocation_rule

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
FEE_KINDS = ("fees",)


def category_order() -> tuple[str, ...]:
    return tuple(getattr(settings, "ROBINET_ALLOCATION_ORDER", DEFAULT_CATEGORY_ORDER))


def spread_order() -> tuple[str, ...] | None:
    """PAY-1a: None spreads pro rata (default); a tuple spreads in that order of categories."""
    mode = getattr(settings, "ROBINET_ALLOCATION_SPREAD", "pro_rata")
    return None if mode == "pro_rata" else category_order()


# --- booking documents --------------------------------------------------------------------------


def book_invoice(invoice) -> OpenItem:
    """Post an issued invoice or credit note: its open item and its journal entry."""
    credit_note = invoice.kind == "credit_note"
    sign = -1 if credit_note else 1
    item = OpenItem.objects.create(
        account_id=invoice.account_id,
        contract_id=invoice.contract_id,
        kind=OpenItemKind.CREDIT_NOTE if credit_note else OpenItemKind.INVOICE,
        invoice=invoice,
        document_number=invoice.number,
        posted_on=invoice.issue_date,
        due_date=invoice.issue_date if credit_note else invoice.due_date,
        amount=sign * invoice.total_incl_vat,
        open_amount=sign * invoice.total_incl_vat,
    )
    posting.post_invoices([invoice.pk])
    if credit_note:
        auto_allocate(account_id=invoice.account_id, on=invoice.issue_date)
    return item


# --- shares (PAY-1a) ----------------------------------------------------------------------------


def _category(invoice_kind: str, component_kind: str) -> str:
    if invoice_kind in FEE_KINDS:
        return "fee"
    if component_kind == "interest":
        return "interest"
    return "principal"


def _decimal(value) -> Decimal:
    """A sum read back from SQL: exact on PostgreSQL, a REAL on SQLite."""
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(CENT)


def invoice_parts(
    invoice_ids: Iterable[int], *, shared: Collection[int] | None = None
) -> dict[int, list[Part]]:
    """What remains owed on each invoice per (beneficiary, service), VAT per rate.

    Three grouped queries for any number of invoices (bulk booking reads thousands).
    ``shared``: the invoices that may have shares already, when the caller knows (the
    others' shares are not read); None: any.
    """
    import json

    from robinet.billing.models import Invoice, InvoiceLine

    invoice_ids = sorted(set(invoice_ids))
    if not invoice_ids:
        return {}
    quote = connection.ops.quote_name
    by_id, params = in_ids("id", invoice_ids)
    by_invoice, _params = in_ids("invoice_id", invoice_ids)
    billed: dict[int, dict[tuple[str, str], list]] = defaultdict(dict)
    kinds: dict[int, str] = {}
    # Bookings read thousands of invoices at once: the loops below are kept plain.
    vat_beneficiary = ShareBeneficiary.VAT.value
    rates: dict[str, str] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, kind, vat_breakdown FROM {quote(Invoice._meta.db_table)} WHERE {by_id}",
            params,
        )
        breakdowns = []
        for invoice_id, kind, breakdown in cursor.fetchall():
            kinds[invoice_id] = kind
            breakdowns.append(
                (invoice_id, json.loads(breakdown) if isinstance(breakdown, str) else breakdown)
            )
        cursor.execute(
            f"SELECT invoice_id, beneficiary, service, component_kind, SUM(amount_excl_vat) "
            f"FROM {quote(InvoiceLine._meta.db_table)} WHERE {by_invoice} "
            f"GROUP BY invoice_id, beneficiary, service, component_kind",
            params,
        )
        for invoice_id, beneficiary, service, component_kind, amount in cursor.fetchall():
            parts = billed[invoice_id]
            entry = parts.get((beneficiary, service))
            if entry is None:
                category = _category(kinds[invoice_id], component_kind)
                parts[beneficiary, service] = [ZERO + _decimal(amount), category]
            else:
                entry[0] += _decimal(amount)
        for invoice_id, breakdown in breakdowns:
            parts = billed[invoice_id]
            for vat in breakdown:
                rate = rates.get(vat["rate"])
                if rate is None:
                    rate = rates[vat["rate"]] = str(Decimal(vat["rate"]).quantize(CENT))
                entry = parts.get((vat_beneficiary, rate))
                if entry is None:
                    parts[vat_beneficiary, rate] = [ZERO + Decimal(vat["amount"]), "principal"]
                else:
                    entry[0] += Decimal(vat["amount"])
        if shared is not None:
            invoice_ids = sorted(set(invoice_ids).intersection(shared))
            by_invoice, params = in_ids("invoice_id", invoice_ids)
        if invoice_ids:
            cursor.execute(
                f"SELECT invoice_id, beneficiary, service, SUM(amount) "
                f"FROM {quote(AllocationShare._meta.db_table)} WHERE {by_invoice} "
                f"GROUP BY invoice_id, beneficiary, service",
                params,
            )
            for invoice_id, beneficiary, service, amount in cursor.fetchall():
                entry = billed[invoice_id].setdefault((beneficiary, service), [ZERO, "principal"])
                entry[0] -= _decimal(amount)
    return {
        invoice_id: [Part(b, s, amount, category) for (b, s), (amount, category) in parts.items()]
        for invoice_id, parts in billed.items()
    }


def take_from(parts: dict[int, list[Part]], invoice_id: int, by_key: dict) -> None:
    """What an allocation took from an invoice's parts (PAY-1a), so the next one sees the rest."""
    remaining = parts.get(invoice_id)
    if remaining is None:
        return
    parts[invoice_id] = [
        Part(
            p.beneficiary,
            p.service,
            p.remaining - by_key.get((p.beneficiary, p.service), ZERO),
            p.category,
        )
        for p in remaining
    ]


def share_amounts(
    parts: dict[int, list[Part]],
    invoice_id: int,
    amount: Decimal,
    *,
    order=None,
    spread_again: bool = True,
) -> dict[tuple[str, str], Decimal]:
    """Spread ``amount`` over the invoice's remaining parts; ``parts`` is updated so that
    the next spread of the invoice sees the rest — unless ``spread_again`` is False (a
    batch that spreads the invoice once spares itself the bookkeeping)."""
    invoice_parts_ = parts[invoice_id]
    by_key: dict[tuple[str, str], Decimal] = {}
    for part, share in zip(
        invoice_parts_, spread(amount, invoice_parts_, order=order), strict=True
    ):
        if share:
            key = (part.beneficiary, part.service)
            by_key[key] = by_key.get(key, ZERO) + share
    if spread_again:
        take_from(parts, invoice_id, by_key)
    return by_key


def _source(credit_kind: str) -> str:
    return {
        OpenItemKind.PAYMENT: ShareSource.PAYMENT,
        OpenItemKind.CREDIT_NOTE: ShareSource.CREDIT_NOTE,
        OpenItemKind.WRITE_OFF: ShareSource.WRITE_OFF,
    }.get(credit_kind, ShareSource.OTHER)


# --- allocating ---------------------------------------------------------------------------------


def _write_allocations(
    pairs: Sequence[tuple[OpenItem, OpenItem, Decimal]],
    *,
    on: dt.date,
    actor=None,
    manual: bool = False,
    reason: str = "",
    reverses: Sequence[Allocation | None] | None = None,
) -> list[Allocation]:
    """Write allocations (signed amounts), their shares, and move the items' open amounts."""
    if not pairs:
        return []
    now = clock.now()
    reverses = reverses or [None] * len(pairs)
    allocations = Allocation.objects.bulk_create(
        [
            Allocation(
                account_id=debit.account_id,
                debit=debit,
                credit=credit,
                amount=amount,
                allocated_on=on,
                reverses=reversed_allocation,
                manual=manual,
                reason=reason[:255],
                created_at=now,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
            for (debit, credit, amount), reversed_allocation in zip(pairs, reverses, strict=True)
        ]
    )
    if any(a.pk is None for a in allocations):  # SQLite before 3.35 returns no ids
        raise RuntimeError("bulk_create must return primary keys")
    # Shares: invoices are spread in turn, so several allocations on one invoice see
    # what the previous ones took.
    parts = invoice_parts(debit.invoice_id for debit, _c, _a in pairs if debit.invoice_id)
    order = spread_order()
    shares = []
    for allocation, reversed_allocation in zip(allocations, reverses, strict=True):
        debit = allocation.debit
        if not debit.invoice_id:
            continue
        if reversed_allocation is not None:
            # Through the invoice's index: shares have none of their allocation.
            originals = list(
                AllocationShare.objects.filter(
                    invoice_id=debit.invoice_id, allocation=reversed_allocation
                )
            )
            by_key = {(s.beneficiary, s.service): -s.amount for s in originals}
            take_from(parts, debit.invoice_id, by_key)
            source = originals[0].source if originals else _source(allocation.credit.kind)
        elif parts.get(debit.invoice_id):
            by_key = share_amounts(parts, debit.invoice_id, allocation.amount, order=order)
            source = _source(allocation.credit.kind)
        else:
            continue
        shares.extend(
            AllocationShare(
                allocation=allocation,
                invoice_id=debit.invoice_id,
                source=source,
                beneficiary=beneficiary,
                service=service,
                on=on,
                amount=amount,
            )
            for (beneficiary, service), amount in by_key.items()
        )
    AllocationShare.objects.bulk_create(shares)
    moved: dict[int, tuple[OpenItem, Decimal]] = {}
    for debit, credit, amount in pairs:
        for item, delta in ((debit, -amount), (credit, amount)):
            _item, total = moved.get(item.pk, (item, ZERO))
            moved[item.pk] = (item, total + delta)
    for item, delta in moved.values():
        item.open_amount += delta
        item.cleared_on = on if item.open_amount == 0 else None
        OpenItem.objects.filter(pk=item.pk).update(
            open_amount=item.open_amount, cleared_on=item.cleared_on
        )
    clearing_dates_settle(list(moved))
    return allocations


def clearing_dates_settle(item_ids: Sequence[int]) -> None:
    """Move ``cleared_on`` of cleared items to their latest allocation date when it is later.

    Allocations may be dated before others recorded earlier (a payment entered
    late but dated from its receipt); an item is cleared as of the date of its
    last allocation, which the as-of reports rely on: no allocation of an item
    is dated after its ``cleared_on``.
    """
    if not item_ids:
        return
    quote = connection.ops.quote_name
    allocations, items = quote(Allocation._meta.db_table), quote(OpenItem._meta.db_table)
    latest: dict[int, dt.date] = {}
    with connection.cursor() as cursor:
        # Raw, the ids one array parameter on PostgreSQL: bookings settle thousands at once.
        for side in ("debit_id", "credit_id"):
            where, params = in_ids(side, item_ids)
            cursor.execute(
                f"SELECT {side}, MAX(allocated_on) FROM {allocations} WHERE {where} GROUP BY {side}",
                params,
            )
            for item_id, day in cursor.fetchall():
                day = _day(day)
                if item_id not in latest or day > latest[item_id]:
                    latest[item_id] = day
        if not latest:
            return
        where, params = in_ids("id", list(latest))
        cursor.execute(
            f"SELECT id, cleared_on FROM {items} WHERE {where} AND cleared_on IS NOT NULL", params
        )
        later = [(item_id, latest[item_id]) for item_id, cleared_on in cursor.fetchall()
                 if latest[item_id] > _day(cleared_on)]  # fmt: skip
    for item_id, day in later:
        OpenItem.objects.filter(pk=item_id).update(cleared_on=day)


def _day(value) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value  # SQLite: text


def _locked_open_items(account_id: int) -> list[OpenItem]:
    return list(
        OpenItem.objects.select_for_update()
        .filter(account_id=account_id, cleared_on__isnull=True)
        .exclude(open_amount=0)
        .order_by("due_date", "id")
    )


def _debits(items: Sequence[OpenItem], kinds: dict[int, str]) -> list[Debit]:
    return [
        Debit(
            id=item.pk,
            due_date=item.due_date,
            open_amount=item.open_amount,
            invoice_id=item.invoice_id,
            category="fee" if kinds.get(item.invoice_id) in FEE_KINDS else "principal",
        )
        for item in items
        if item.open_amount > 0
    ]


def auto_allocate(*, account_id: int, on: dt.date | None = None, actor=None) -> list[Allocation]:
    """Clear the account's open credits against its open debits by the PAY-1 rule.

    Credits are taken oldest first; a payment goes to the invoice it named first.
    """
    from robinet.billing.models import Invoice
    from robinet.payments.models import Payment

    on = on or clock.today()
    with transaction.atomic():
        items = _locked_open_items(account_id)
        credits = [item for item in items if item.open_amount < 0]
        if not credits or not any(item.open_amount > 0 for item in items):
            return []
        kinds = dict(
            Invoice.objects.filter(
                pk__in=[i.invoice_id for i in items if i.invoice_id]
            ).values_list("pk", "kind")
        )
        # A payment goes to the invoice it named, a credit note to the invoice it corrects.
        named_by_payment = dict(
            Payment.objects.filter(pk__in=[c.payment_id for c in credits if c.payment_id])
            .exclude(invoice=None)
            .values_list("pk", "invoice_id")
        )
        corrected = dict(
            Invoice.objects.filter(pk__in=[c.invoice_id for c in credits if c.invoice_id])
            .exclude(credited_invoice=None)
            .values_list("pk", "credited_invoice_id")
        )
        named = {
            c.pk: named_by_payment.get(c.payment_id) or corrected.get(c.invoice_id) for c in credits
        }
        by_id = {item.pk: item for item in items}
        pairs = []
        for credit in sorted(credits, key=lambda c: (c.posted_on, c.pk)):
            debits = _debits(items, kinds)
            if not debits:
                break
            for debit_id, amount in allocation_rule(
                -credit.open_amount,
                debits,
                invoice_id=named.get(credit.pk),
                category_order=category_order(),
            ):
                debit = by_id[debit_id]
                pairs.append((debit, credit, amount))
                debit.open_amount -= amount
                credit.open_amount += amount
        # _write_allocations moves open amounts itself: restore what the loop consumed.
        for debit, credit, amount in pairs:
            debit.open_amount += amount
            credit.open_amount -= amount
        return _write_allocations(pairs, on=on, actor=actor)


def clear_credit_balances(account_ids, *, on: dt.date) -> int:
    """Allocate the open credits of those of ``account_ids`` that have one (after a run)."""
    account_ids = sorted(account_ids)
    if not account_ids:
        return 0
    accounts, params = in_ids("account_id", account_ids)
    table = connection.ops.quote_name(OpenItem._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT account_id FROM {table} WHERE {accounts} "
            f"AND cleared_on IS NULL AND open_amount < 0",
            params,
        )
        with_credit = [row[0] for row in cursor.fetchall()]
    for account_id in with_credit:
        auto_allocate(account_id=account_id, on=on)
    return len(with_credit)


def allocate(
    *,
    actor,
    debit: OpenItem,
    credit: OpenItem,
    amount: Decimal,
    on: dt.date | None = None,
    reason: str = "",
) -> Allocation:
    """An officer allocates by hand ``amount`` of ``credit`` to ``debit`` (same account)."""
    require(actor, Perm.PAYMENT_ALLOCATE, debit.account.centre)
    on = on or clock.today()
    with transaction.atomic():
        locked = {
            item.pk: item
            for item in OpenItem.objects.select_for_update().filter(pk__in=[debit.pk, credit.pk])
        }
        debit, credit = locked.get(debit.pk), locked.get(credit.pk)
        if debit is None or credit is None:
            raise NotFound(_("Poste introuvable."))
        errors = []
        if debit.account_id != credit.account_id:
            errors.append(_("Les deux postes doivent être sur le même compte client."))
        if debit.open_amount <= 0:
            errors.append(
                _("Le poste débiteur %(doc)s n'a plus rien à solder.")
                % {"doc": debit.document_number}
            )
        if credit.open_amount >= 0:
            errors.append(
                _("Le poste créditeur %(doc)s n'a plus rien à affecter.")
                % {"doc": credit.document_number}
            )
        if amount is None or amount <= 0 or amount.as_tuple().exponent < -2:
            errors.append(_("Le montant doit être positif, au centime près."))
        elif not errors and amount > min(debit.open_amount, -credit.open_amount):
            errors.append(
                _("Le montant dépasse le reste ouvert (%(max)s).")
                % {"max": min(debit.open_amount, -credit.open_amount)}
            )
        if errors:
            raise ApplicationError(
                " ".join(errors), code="allocation_refused", fields={"amount": errors}
            )
        (allocation,) = _write_allocations(
            [(debit, credit, amount)], on=on, actor=actor, manual=True, reason=reason
        )
        audit.record(
            actor=actor,
            verb="allocated",
            target=allocation,
            subject=debit.account,
            data={
                "debit": debit.document_number,
                "credit": credit.document_number,
                "amount": amount,
            },
        )
        return allocation


def unallocate(
    *, actor, allocation: Allocation, reason: str, on: dt.date | None = None
) -> Allocation:
    """Cancel an allocation: a new allocation of the opposite amount, both items reopen."""
    require(actor, Perm.PAYMENT_ALLOCATE, allocation.debit.account.centre)
    if not (reason or "").strip():
        raise ApplicationError(
            _("Indiquez le motif du délettrage."),
            code="reason_required",
            fields={"reason": [_("Obligatoire.")]},
        )
    with transaction.atomic():
        reversal = _unallocate([allocation], on=on or clock.today(), actor=actor, reason=reason)[0]
        audit.record(
            actor=actor,
            verb="unallocated",
            target=reversal,
            subject=allocation.debit.account,
            data={"allocation": allocation.pk, "amount": allocation.amount, "reason": reason},
        )
        return reversal


def _unallocate(
    allocations: Sequence[Allocation], *, on: dt.date, actor=None, reason: str = ""
) -> list[Allocation]:
    ids = [a.pk for a in allocations]
    live = list(
        Allocation.objects.filter(
            pk__in=ids, reverses__isnull=True, reversed_by__isnull=True
        ).select_related("debit", "credit")
    )
    if len(live) != len(ids):
        raise ApplicationError(
            _("Ce lettrage est déjà annulé."), code="already_unallocated", http_status=409
        )
    locked = {
        item.pk: item
        for item in OpenItem.objects.select_for_update().filter(
            pk__in=[a.debit_id for a in live] + [a.credit_id for a in live]
        )
    }
    return _write_allocations(
        [(locked[a.debit_id], locked[a.credit_id], -a.amount) for a in live],
        on=on,
        actor=actor,
        manual=True,
        reason=reason,
        reverses=live,
    )


def live_allocations(item: OpenItem) -> list[Allocation]:
    """Allocations touching ``item`` that have not been cancelled."""
    return list(
        Allocation.objects.filter(
            Q(debit=item) | Q(credit=item), reverses__isnull=True, reversed_by__isnull=True
        ).order_by("pk")
    )
