"""Prepaid vouchers for administrations — *vignettes* (PAY-10): every write.

* agreements: :func:`agreement_create` (draft, numbered ``VIG-<year>-<n>``),
  :func:`agreement_sign`, :func:`agreement_mark_paid` (by the Treasury),
  :func:`agreement_close`;
* movements of serial ranges: :func:`voucher_receive` (from the printer, at
  the region), :func:`voucher_transfer` (region → centre, or between
  entities), :func:`voucher_issue` (to the administration, within the
  agreement's quantities), :func:`voucher_return`, :func:`voucher_exchange`,
  :func:`voucher_cancel`;
* :func:`voucher_redeem`: vouchers handed in at a counter pay the
  administration's bills through :func:`payment_record` (means ``voucher``);
* :func:`voucher_threshold_set`: the stock alert threshold.

Every movement goes through :func:`_move`: under locks (the agreement row,
then the stock rows in a fixed order) it checks that every serial of every
range is where the movement takes it from (:mod:`voucher_rules`), refreshes
the stock cache (never negative: service check and DB check), and writes the
append-only movements, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from robinet.core import audit, clock
from robinet.core.exceptions import ApplicationError, InvalidTransition, ValidationFailed
from robinet.core.numbering import format_number, next_number
from robinet.organisation.access import require
from robinet.organisation.models import Entity, EntityKind
from robinet.organisation.roles import Perm
from robinet.payments import voucher_rules as rules
from robinet.payments.models import (
    Denomination,
    Payment,
    PaymentMeans,
    VoucherAgreement,
    VoucherAgreementLine,
    VoucherMovement,
    VoucherStock,
)
from robinet.payments.models import VoucherAgreementStatus as Status
from robinet.payments.models import VoucherMovementKind as Kind

AGREEMENT_SERIES = "VIG"
MAX_QUANTITY = 1_000_000
MAX_SERIAL = 10**15


@dataclass(frozen=True)
class SerialRange:
    """Vouchers of one face value, serials ``first`` to ``last`` inclusive."""

    denomination: int
    first: int
    last: int

    @property
    def quantity(self) -> int:
        return self.last - self.first + 1

    @property
    def amount(self) -> Decimal:
        return Decimal(self.denomination) * self.quantity

    def __str__(self) -> str:
        if self.first == self.last:
            return _("%(d)s € n° %(a)s") % {"d": self.denomination, "a": self.first}
        return _("%(d)s € n° %(a)s à %(b)s") % {
            "d": self.denomination,
            "a": self.first,
            "b": self.last,
        }


# --- validation helpers ----------------------------------------------------------------------


def _int(value, field: str, errors: dict, label: str = "") -> int | None:
    try:
        if isinstance(value, (bool, float)):
            raise TypeError
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(label + _("Nombre entier attendu."))
        return None
    return number


def parse_ranges(ranges: Iterable, field: str = "serials") -> list[SerialRange]:
    """Check ``(denomination, first, last)`` triples; errors name the line (1-based)."""
    items = list(ranges)
    errors: dict[str, list[str]] = {}
    parsed: list[SerialRange] = []
    if not items:
        raise ValidationFailed({field: [_("Indiquez au moins une série de vignettes.")]})
    for line, item in enumerate(items, start=1):
        label = (_("Ligne %(n)s : ") % {"n": line}) if len(items) > 1 else ""
        denomination, first, last = item
        d = _int(denomination, field if len(items) > 1 else "denomination", errors, label)
        a = _int(first, field if len(items) > 1 else "serial_from", errors, label)
        b = _int(last, field if len(items) > 1 else "serial_to", errors, label)
        if None in (d, a, b):
            continue
        if d not in Denomination.values:
            errors.setdefault(field if len(items) > 1 else "denomination", []).append(
                label + _("Valeur faciale inconnue : %(d)s €.") % {"d": d}
            )
            continue
        if a < 1 or b > MAX_SERIAL:
            errors.setdefault(field if len(items) > 1 else "serial_from", []).append(
                label + _("Numéro de série hors limites.")
            )
            continue
        if b < a:
            errors.setdefault(field if len(items) > 1 else "serial_to", []).append(
                label + _("Le dernier numéro doit suivre le premier.")
            )
            continue
        if b - a + 1 > rules.MAX_RANGE:
            errors.setdefault(field if len(items) > 1 else "serial_to", []).append(
                label
                + _("Au plus %(n)s vignettes par série.")
                % {"n": f"{rules.MAX_RANGE:,}".replace(",", " ")}
            )
            continue
        parsed.append(SerialRange(d, a, b))
    if not errors and rules.ranges_overlap([(r.denomination, r.first, r.last) for r in parsed]):
        errors[field] = [_("Deux séries se chevauchent.")]
    if errors:
        raise ValidationFailed(errors)
    return parsed


def _day(on: dt.date | None, field: str = "occurred_on") -> dt.date:
    on = on or clock.today()
    if on > clock.today():
        raise ValidationFailed({field: [_("La date ne peut pas être dans le futur.")]})
    return on


def _actor(actor):
    return actor if getattr(actor, "pk", None) else None


# --- agreements ------------------------------------------------------------------------------


def agreement_create(
    *,
    actor,
    region: Entity,
    year: int,
    quantities: dict[int, int],
    administration_name: str = "",
    administration_account=None,
    accounts: Sequence = (),
    check_permission: bool = True,
) -> VoucherAgreement:
    """A draft agreement with an administration for fiscal ``year``.

    ``quantities`` maps face values (euros) to numbers of vouchers. The
    administration is a customer account (its party's name is used) or a
    free name; ``accounts`` are the customer accounts whose bills the
    vouchers may pay (the administration's own account is always covered).
    """
    if check_permission:
        require(actor, Perm.VOUCHER_MANAGE, region)
    errors: dict[str, list[str]] = {}
    if region.kind != EntityKind.REGION:
        errors["region"] = [_("Une convention est établie par une direction régionale.")]
    today = clock.today()
    if not isinstance(year, int) or not today.year - 5 <= year <= today.year + 1:
        errors["year"] = [_("Exercice invalide.")]
    covered = list(accounts)
    if administration_account is not None and administration_account not in covered:
        covered.insert(0, administration_account)
    name = (administration_name or "").strip()
    if not name and administration_account is not None:
        name = administration_account.party.display_name
    if not name:
        errors["administration_name"] = [_("Indiquez l'administration.")]
    if not covered:
        errors["accounts"] = [_("Indiquez au moins un compte client couvert.")]
    for account in covered:
        if region.kind == EntityKind.REGION and not account.centre.path.startswith(region.path):
            errors.setdefault("accounts", []).append(
                _("Le compte %(n)s n'appartient pas à cette direction régionale.")
                % {"n": account.number}
            )
    lines: list[tuple[int, int]] = []
    for denomination, quantity in sorted((quantities or {}).items()):
        field = f"quantity_{denomination}"
        if denomination not in Denomination.values:
            errors.setdefault("quantities", []).append(
                _("Valeur faciale inconnue : %(d)s €.") % {"d": denomination}
            )
            continue
        number = _int(quantity, field, errors)
        if number is None or number == 0:
            continue
        if not 0 < number <= MAX_QUANTITY:
            errors[field] = [_("Quantité invalide.")]
            continue
        lines.append((denomination, number))
    if not lines and not any(k.startswith("quantity") for k in errors):
        errors["quantities"] = [_("Indiquez la quantité d'au moins une valeur faciale.")]
    if errors:
        raise ValidationFailed(errors)
    total = sum((Decimal(d) * q for d, q in lines), Decimal(0))
    with transaction.atomic():
        number = format_number(AGREEMENT_SERIES, year, next_number(AGREEMENT_SERIES, year), width=4)
        agreement = VoucherAgreement.objects.create(
            number=number,
            region=region,
            year=year,
            administration_name=name[:160],
            administration_account=administration_account,
            total_amount=total,
            created_at=clock.now(),
            created_by=_actor(actor),
        )
        agreement.accounts.set(covered)
        VoucherAgreementLine.objects.bulk_create(
            [
                VoucherAgreementLine(agreement=agreement, denomination=d, quantity=q)
                for d, q in lines
            ]
        )
        audit.record(
            actor=actor,
            verb="voucher_agreement_created",
            target=agreement,
            data={"number": number, "total": total, "lines": dict(lines)},
        )
    return agreement


def _locked(agreement: VoucherAgreement) -> VoucherAgreement:
    return VoucherAgreement.objects.select_for_update().get(pk=agreement.pk)


def agreement_sign(
    *,
    actor,
    agreement: VoucherAgreement,
    signed_on: dt.date | None = None,
    check_permission: bool = True,
) -> VoucherAgreement:
    if check_permission:
        require(actor, Perm.VOUCHER_MANAGE, agreement.region)
    signed_on = _day(signed_on, "signed_on")
    with transaction.atomic():
        agreement = _locked(agreement)
        if agreement.status != Status.DRAFT:
            raise InvalidTransition(_("Seule une convention en brouillon peut être signée."))
        agreement.status, agreement.signed_on = Status.SIGNED, signed_on
        agreement.save(update_fields=["status", "signed_on"])
        audit.record(actor=actor, verb="voucher_agreement_signed", target=agreement)
    return agreement


def agreement_mark_paid(
    *,
    actor,
    agreement: VoucherAgreement,
    treasury_reference: str,
    paid_on: dt.date | None = None,
    check_permission: bool = True,
) -> VoucherAgreement:
    """The Treasury paid the agreement (its date and reference)."""
    if check_permission:
        require(actor, Perm.VOUCHER_MANAGE, agreement.region)
    paid_on = _day(paid_on, "paid_on")
    reference = (treasury_reference or "").strip()
    if not reference:
        raise ValidationFailed(
            {"treasury_reference": [_("Indiquez la référence du paiement du Trésor.")]}
        )
    if len(reference) > 80:
        raise ValidationFailed({"treasury_reference": [_("80 caractères au plus.")]})
    with transaction.atomic():
        agreement = _locked(agreement)
        if agreement.status != Status.SIGNED:
            raise InvalidTransition(_("Seule une convention signée peut être marquée payée."))
        if paid_on < agreement.signed_on:
            raise ValidationFailed({"paid_on": [_("Le paiement ne peut précéder la signature.")]})
        agreement.status, agreement.paid_on = Status.PAID, paid_on
        agreement.treasury_reference = reference
        agreement.save(update_fields=["status", "paid_on", "treasury_reference"])
        audit.record(
            actor=actor,
            verb="voucher_agreement_paid",
            target=agreement,
            data={"reference": reference, "paid_on": paid_on.isoformat()},
        )
    return agreement


def agreement_close(
    *,
    actor,
    agreement: VoucherAgreement,
    closed_on: dt.date | None = None,
    check_permission: bool = True,
) -> VoucherAgreement:
    """End of the exercise: no more issues nor redemptions on this agreement."""
    if check_permission:
        require(actor, Perm.VOUCHER_MANAGE, agreement.region)
    closed_on = _day(closed_on, "closed_on")
    with transaction.atomic():
        agreement = _locked(agreement)
        if agreement.status != Status.PAID:
            raise InvalidTransition(
                _("Seule une convention payée par le Trésor peut être clôturée.")
            )
        agreement.status, agreement.closed_on = Status.CLOSED, closed_on
        agreement.save(update_fields=["status", "closed_on"])
        audit.record(actor=actor, verb="voucher_agreement_closed", target=agreement)
    return agreement


# --- movements -------------------------------------------------------------------------------


def _place_label(place, agreements: dict[int, VoucherAgreement]) -> str:
    if place is None:
        return _("jamais réceptionnées")
    kind = place[0]
    if kind == "entity":
        entity = Entity.objects.filter(pk=place[1]).first()
        return _("en stock à %(e)s") % {"e": entity}
    if kind == "agreement":
        agreement = agreements.get(place[1]) or VoucherAgreement.objects.get(pk=place[1])
        return _("remises à %(a)s (convention %(n)s)") % {
            "a": agreement.administration_name,
            "n": agreement.number,
        }
    if kind == "redeemed":
        return _("déjà utilisées pour régler une facture")
    return _("annulées")


def _history(denomination: int, first: int, last: int) -> list[rules.Move]:
    rows = (
        VoucherMovement.objects.filter(
            denomination=denomination, serial_from__lte=last, serial_to__gte=first
        )
        .order_by("pk")
        .values_list(
            "kind", "serial_from", "serial_to", "source_id", "destination_id", "agreement_id"
        )
    )
    return [rules.Move(*row) for row in rows]


def _stock_rows(keys: set[tuple[int, int]]) -> dict[tuple[int, int], VoucherStock]:
    """The stock rows of ``keys`` (created if missing), locked in (entity, denomination) order."""
    if not keys:
        return {}
    VoucherStock.objects.bulk_create(
        [VoucherStock(entity_id=e, denomination=d) for e, d in sorted(keys)],
        ignore_conflicts=True,
    )
    rows: dict[tuple[int, int], VoucherStock] = {}
    for entity_id, denomination in sorted(keys):
        row = VoucherStock.objects.select_for_update().get(
            entity_id=entity_id, denomination=denomination
        )
        rows[(entity_id, denomination)] = row
    return rows


def _move(
    *,
    actor,
    moves: list[tuple[rules.Move, int]],
    on: dt.date,
    note: str = "",
    payment: Payment | None = None,
    centre: Entity | None = None,
    agreements: Sequence[VoucherAgreement] = (),
    field: str = "serials",
) -> list[VoucherMovement]:
    """Check and write ``(move, denomination)`` pairs; the caller holds a transaction.

    ``agreements`` are locked first (pk order), then the stock rows.
    """
    locked = {a.pk: _locked(a) for a in sorted(agreements, key=lambda a: a.pk)}
    keys = set()
    for move, denomination in moves:
        for entity_id in (move.source_id, move.destination_id):
            if entity_id is not None:
                keys.add((entity_id, denomination))
    stock = _stock_rows(keys)
    errors: list[str] = []
    for move, denomination in moves:
        segments = rules.locate(
            _history(denomination, move.serial_from, move.serial_to),
            move.serial_from,
            move.serial_to,
        )
        expected = rules.origin(move)
        for first, last, place in rules.misplaced(segments, expected):
            serials = SerialRange(denomination, first, last)
            errors.append(
                _("Vignettes %(s)s : %(where)s.")
                % {"s": serials, "where": _place_label(place, locked)}
            )
    if errors:
        raise ValidationFailed({field: errors})
    deltas = rules.stock_deltas(moves)
    for key, delta in sorted(deltas.items()):
        row = stock[key]
        if row.quantity + delta < 0:  # pragma: no cover - origin check makes this impossible
            raise ApplicationError(
                _("Stock insuffisant à %(e)s.") % {"e": row.entity}, code="voucher_stock_short"
            )
        if delta:
            row.quantity += delta
            row.save(update_fields=["quantity"])
    now = clock.now()
    created = VoucherMovement.objects.bulk_create(
        [
            VoucherMovement(
                kind=move.kind,
                denomination=denomination,
                serial_from=move.serial_from,
                serial_to=move.serial_to,
                quantity=move.quantity,
                source_id=move.source_id,
                destination_id=move.destination_id,
                agreement_id=move.agreement_id,
                centre=centre,
                payment=payment,
                occurred_on=on,
                note=(note or "")[:200],
                created_at=now,
                created_by=_actor(actor),
            )
            for move, denomination in moves
        ]
    )
    return created


def _record(actor, verb: str, target, moves, **data) -> None:
    audit.record(
        actor=actor,
        verb=verb,
        target=target,
        data={
            "ranges": [[d, m.serial_from, m.serial_to] for m, d in moves],
            **data,
        },
    )


def voucher_receive(
    *,
    actor,
    region: Entity,
    ranges: Iterable,
    on: dt.date | None = None,
    note: str = "",
    check_permission: bool = True,
) -> list[VoucherMovement]:
    """Vouchers delivered by the printer to the region (new serials only)."""
    if check_permission:
        require(actor, Perm.VOUCHER_MANAGE, region)
    if region.kind != EntityKind.REGION:
        raise ValidationFailed({"entity": [_("Les vignettes sont réceptionnées par la région.")]})
    parsed = parse_ranges(ranges)
    on = _day(on)
    moves = [
        (rules.Move(Kind.RECEIPT, r.first, r.last, destination_id=region.pk), r.denomination)
        for r in parsed
    ]
    with transaction.atomic():
        created = _move(actor=actor, moves=moves, on=on, note=note)
        _record(actor, "vouchers_received", region, moves)
    return created


def voucher_transfer(
    *,
    actor,
    source: Entity,
    destination: Entity,
    ranges: Iterable,
    on: dt.date | None = None,
    note: str = "",
    check_permission: bool = True,
) -> list[VoucherMovement]:
    """Supply a centre from the region's stock (or move stock between entities)."""
    if check_permission:
        require(actor, Perm.VOUCHER_MANAGE, source)
        require(actor, Perm.VOUCHER_MANAGE, destination)
    if source.pk == destination.pk:
        raise ValidationFailed({"destination": [_("Choisissez une autre entité.")]})
    parsed = parse_ranges(ranges)
    on = _day(on)
    moves = [
        (
            rules.Move(Kind.TRANSFER, r.first, r.last, source.pk, destination.pk),
            r.denomination,
        )
        for r in parsed
    ]
    with transaction.atomic():
        created = _move(actor=actor, moves=moves, on=on, note=note)
        _record(actor, "vouchers_transferred", destination, moves, source=source.pk)
    return created


def _open_agreement(agreement: VoucherAgreement, what: str) -> None:
    if agreement.status not in (Status.SIGNED, Status.PAID):
        raise InvalidTransition(
            _("Convention %(n)s (%(s)s) : %(what)s impossible.")
            % {"n": agreement.number, "s": agreement.get_status_display().lower(), "what": what}
        )


def net_issued(agreement: VoucherAgreement) -> dict[int, int]:
    """Vouchers of each face value currently issued under ``agreement`` (net of returns)."""
    totals: dict[int, int] = {}
    rows = (
        VoucherMovement.objects.filter(agreement=agreement)
        .values("kind", "denomination")
        .annotate(total=Sum("quantity"))
    )
    for row in rows:
        sign = {Kind.ISSUE: 1, Kind.EXCHANGE_OUT: 1, Kind.RETURN: -1, Kind.EXCHANGE_IN: -1}.get(
            row["kind"], 0
        )
        totals[row["denomination"]] = totals.get(row["denomination"], 0) + sign * row["total"]
    return totals


def voucher_issue(
    *,
    actor,
    agreement: VoucherAgreement,
    entity: Entity,
    ranges: Iterable,
    on: dt.date | None = None,
    note: str = "",
    check_permission: bool = True,
) -> list[VoucherMovement]:
    """Hand vouchers from ``entity``'s stock to the administration (PAY-10).

    Refused beyond the agreement's quantity of a face value, or beyond the stock.
    """
    if check_permission:
        require(actor, Perm.VOUCHER_MANAGE, entity)
    parsed = parse_ranges(ranges)
    on = _day(on)
    moves = [
        (
            rules.Move(Kind.ISSUE, r.first, r.last, source_id=entity.pk, agreement_id=agreement.pk),
            r.denomination,
        )
        for r in parsed
    ]
    with transaction.atomic():
        locked = _locked(agreement)
        _open_agreement(locked, _("remise"))
        agreed = dict(locked.lines.values_list("denomination", "quantity"))
        issued = net_issued(locked)
        wanted: dict[int, int] = {}
        for r in parsed:
            wanted[r.denomination] = wanted.get(r.denomination, 0) + r.quantity
        errors = []
        for denomination, quantity in sorted(wanted.items()):
            left = agreed.get(denomination, 0) - issued.get(denomination, 0)
            if quantity > left:
                errors.append(
                    _(
                        "%(d)s € : %(q)s vignettes demandées, %(left)s restent à remettre "
                        "sur la convention."
                    )
                    % {"d": denomination, "q": quantity, "left": max(left, 0)}
                )
        if errors:
            raise ValidationFailed({"serials": errors})
        stock = {
            d: q
            for d, q in VoucherStock.objects.filter(entity=entity).values_list(
                "denomination", "quantity"
            )
        }
        for denomination, quantity in sorted(wanted.items()):
            if quantity > stock.get(denomination, 0):
                errors.append(
                    _("%(d)s € : %(q)s vignettes demandées, %(s)s en stock à %(e)s.")
                    % {
                        "d": denomination,
                        "q": quantity,
                        "s": stock.get(denomination, 0),
                        "e": entity,
                    }
                )
        if errors:
            raise ValidationFailed({"serials": errors})
        created = _move(actor=actor, moves=moves, on=on, note=note, agreements=[locked])
        _record(actor, "vouchers_issued", locked, moves, entity=entity.pk)
    return created


def voucher_return(
    *,
    actor,
    agreement: VoucherAgreement,
    entity: Entity,
    ranges: Iterable,
    on: dt.date | None = None,
    note: str = "",
    check_permission: bool = True,
) -> list[VoucherMovement]:
    """Unused vouchers given back by the administration, back into ``entity``'s stock."""
    if check_permission:
        require(actor, Perm.VOUCHER_MANAGE, entity)
    parsed = parse_ranges(ranges)
    on = _day(on)
    moves = [
        (
            rules.Move(
                Kind.RETURN, r.first, r.last, destination_id=entity.pk, agreement_id=agreement.pk
            ),
            r.denomination,
        )
        for r in parsed
    ]
    with transaction.atomic():
        created = _move(actor=actor, moves=moves, on=on, note=note, agreements=[agreement])
        _record(actor, "vouchers_returned", agreement, moves, entity=entity.pk)
    return created


def voucher_exchange(
    *,
    actor,
    agreement: VoucherAgreement,
    entity: Entity,
    taken: Iterable,
    given: Iterable,
    on: dt.date | None = None,
    note: str = "",
    check_permission: bool = True,
) -> list[VoucherMovement]:
    """The administration hands vouchers back (``taken``) for others (``given``) of equal value."""
    if check_permission:
        require(actor, Perm.VOUCHER_MANAGE, entity)
    taken_ranges = parse_ranges(taken, field="taken")
    given_ranges = parse_ranges(given, field="given")
    if sum(r.amount for r in taken_ranges) != sum(r.amount for r in given_ranges):
        raise ValidationFailed(
            {"given": [_("Les vignettes remises doivent valoir les vignettes reprises.")]}
        )
    on = _day(on)
    moves = [
        (
            rules.Move(
                Kind.EXCHANGE_IN,
                r.first,
                r.last,
                destination_id=entity.pk,
                agreement_id=agreement.pk,
            ),
            r.denomination,
        )
        for r in taken_ranges
    ] + [
        (
            rules.Move(
                Kind.EXCHANGE_OUT, r.first, r.last, source_id=entity.pk, agreement_id=agreement.pk
            ),
            r.denomination,
        )
        for r in given_ranges
    ]
    with transaction.atomic():
        locked = _locked(agreement)
        _open_agreement(locked, _("échange"))
        # the vouchers taken back cannot be handed out again in the same exchange
        overlap = rules.ranges_overlap(
            [(r.denomination, r.first, r.last) for r in taken_ranges + given_ranges]
        )
        if overlap:
            raise ValidationFailed(
                {"given": [_("Une vignette ne s'échange pas contre elle-même.")]}
            )
        created = _move(actor=actor, moves=moves, on=on, note=note, agreements=[locked])
        _record(actor, "vouchers_exchanged", locked, moves, entity=entity.pk)
    return created


def voucher_cancel(
    *,
    actor,
    ranges: Iterable,
    reason: str,
    entity: Entity | None = None,
    agreement: VoucherAgreement | None = None,
    on: dt.date | None = None,
    check_permission: bool = True,
) -> list[VoucherMovement]:
    """Vouchers destroyed, lost or stolen: from ``entity``'s stock or at the administration."""
    if (entity is None) == (agreement is None):
        raise ValidationFailed(
            {"entity": [_("Indiquez soit l'entité (stock), soit la convention.")]}
        )
    if check_permission:
        require(actor, Perm.VOUCHER_MANAGE, entity or agreement.region)
    if not (reason or "").strip():
        raise ValidationFailed({"note": [_("Indiquez le motif de l'annulation.")]})
    parsed = parse_ranges(ranges)
    on = _day(on)
    moves = [
        (
            rules.Move(
                Kind.CANCELLATION,
                r.first,
                r.last,
                source_id=entity.pk if entity else None,
                agreement_id=agreement.pk if agreement else None,
            ),
            r.denomination,
        )
        for r in parsed
    ]
    with transaction.atomic():
        created = _move(
            actor=actor,
            moves=moves,
            on=on,
            note=reason,
            agreements=[agreement] if agreement else [],
        )
        _record(actor, "vouchers_cancelled", entity or agreement, moves, reason=reason)
    return created


def voucher_redeem(
    *,
    actor,
    account,
    ranges: Iterable,
    invoice=None,
    centre: Entity | None = None,
    received_on: dt.date | None = None,
    check_permission: bool = True,
) -> Payment:
    """Vouchers handed in at a counter pay the administration's bills (PAY-10, PAY-2).

    Every serial must have been issued to an agreement covering ``account``
    and not be redeemed yet; the payment (means ``voucher``, total face
    value) is allocated by the PAY-1 rule, ``invoice`` first.
    """
    centre = centre or account.centre
    if check_permission:
        require(actor, Perm.PAYMENT_TAKE, centre)
    if centre.kind != EntityKind.CENTRE:
        raise ValidationFailed({"centre": [_("Les vignettes s'encaissent dans un centre.")]})
    parsed = parse_ranges(ranges)
    received_on = _day(received_on, "received_on")
    # Where are the serials now? (read again under the locks by _move)
    holders: dict[int, VoucherAgreement] = {}
    errors: list[str] = []
    pieces: list[tuple[rules.Move, int]] = []
    for r in parsed:
        for first, last, place in rules.locate(
            _history(r.denomination, r.first, r.last), r.first, r.last
        ):
            serials = SerialRange(r.denomination, first, last)
            if place is None or place[0] != "agreement":
                errors.append(
                    _("Vignettes %(s)s : %(where)s.")
                    % {"s": serials, "where": _place_label(place, holders)}
                )
                continue
            agreement = holders.get(place[1]) or VoucherAgreement.objects.get(pk=place[1])
            holders[agreement.pk] = agreement
            if not agreement.accounts.filter(pk=account.pk).exists():
                errors.append(
                    _(
                        "Vignettes %(s)s : remises à %(a)s (convention %(n)s), qui ne couvre "
                        "pas le compte %(c)s."
                    )
                    % {
                        "s": serials,
                        "a": agreement.administration_name,
                        "n": agreement.number,
                        "c": account.number,
                    }
                )
                continue
            if agreement.status == Status.CLOSED:
                errors.append(
                    _("Vignettes %(s)s : la convention %(n)s est clôturée.")
                    % {"s": serials, "n": agreement.number}
                )
                continue
            pieces.append(
                (
                    rules.Move(Kind.REDEMPTION, first, last, agreement_id=agreement.pk),
                    r.denomination,
                )
            )
    if errors:
        raise ValidationFailed({"serials": errors})
    amount = sum((r.amount for r in parsed), Decimal(0))
    reference = _("Vignettes ") + ", ".join(str(r) for r in parsed)
    with transaction.atomic():
        from robinet.payments.services import payment_record

        payment = payment_record(
            actor=actor,
            account=account,
            means=PaymentMeans.VOUCHER,
            amount=amount,
            received_on=received_on,
            invoice=invoice,
            payer_reference=reference[:140],
            centre=centre,
            check_permission=False,
        )
        _move(
            actor=actor,
            moves=pieces,
            on=received_on,
            payment=payment,
            centre=centre,
            agreements=list(holders.values()),
        )
        _record(actor, "vouchers_redeemed", payment, pieces, account=account.number)
    return payment


def voucher_threshold_set(
    *, actor, entity: Entity, denomination: int, threshold: int, check_permission: bool = True
) -> VoucherStock:
    """Below ``threshold`` vouchers of ``denomination``, ``entity`` shows in the stock alerts."""
    if check_permission:
        require(actor, Perm.VOUCHER_MANAGE, entity)
    errors: dict[str, list[str]] = {}
    if denomination not in Denomination.values:
        errors["denomination"] = [_("Valeur faciale inconnue.")]
    number = _int(threshold, "alert_threshold", errors)
    if number is not None and not 0 <= number <= MAX_QUANTITY:
        errors["alert_threshold"] = [_("Le seuil doit être positif ou nul.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        row = _stock_rows({(entity.pk, denomination)})[(entity.pk, denomination)]
        row.alert_threshold = number
        row.save(update_fields=["alert_threshold"])
        audit.record(
            actor=actor,
            verb="voucher_threshold_set",
            target=row,
            subject=entity,
            data={"denomination": denomination, "threshold": number},
        )
    return row
