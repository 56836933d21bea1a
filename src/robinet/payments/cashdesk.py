"""The counter cash desk — *régie de recettes* (PAY-2, PAY-9): every write.

* :func:`cash_day_open` — the day of a centre's counter (the first payment
  opens it too);
* :func:`counter_payment_take` — a payment at the counter: cash, cheque or
  card, booked through :func:`robinet.payments.services.payment_record` and
  linked to today's open day;
* :func:`counter_payment_cancel` — a payment taken by mistake, cancelled the
  same day before closing (:func:`payment_reverse`);
* :func:`cash_day_close` — closed once: totals by means, counted cash vs
  expected, the difference recorded;
* :func:`cheque_slip_create` — a deposit slip of cheques not yet deposited;
* :func:`cash_transmission_record` — what treasury received for a closed day.

Each function checks the permission on the centre, validates everything
before writing and writes in one transaction: a refusal leaves nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from robinet.core import audit, clock
from robinet.core.exceptions import ApplicationError, ValidationFailed
from robinet.core.money import is_rounded, to_decimal
from robinet.core.numbering import format_number, next_numbers
from robinet.organisation.access import require
from robinet.organisation.models import Entity, EntityKind
from robinet.organisation.roles import Perm
from robinet.payments.cash_selectors import day_totals, pending_cheques
from robinet.payments.models import (
    CashDay,
    CashDayPayment,
    CashTransmission,
    ChequeDepositSlip,
    ChequeDepositSlipLine,
    Payment,
    PaymentMeans,
    PaymentReversal,
)
from robinet.payments.services import payment_record, payment_reverse, validate_amount

#: the means a counter takes (PAY-2)
COUNTER_MEANS = (PaymentMeans.CASH, PaymentMeans.CHEQUE, PaymentMeans.CARD)
SLIP_SERIES = "BRC"
SLIP_NUMBER_WIDTH = 5
#: what treasury records transmissions with (reconciliation is *lettrage*-like work)
TRANSMISSION_PERM = Perm.PAYMENT_ALLOCATE


class DayClosed(ApplicationError):
    http_status = 409

    def __init__(self, day: CashDay) -> None:
        super().__init__(
            _(
                "La journée de caisse du %(day)s (%(centre)s) est clôturée : rien ne peut y être ajouté ni annulé."
            )
            % {"day": day.day.strftime("%d/%m/%Y"), "centre": day.centre.name},
            code="cash_day_closed",
        )


def _actor(actor):
    return actor if getattr(actor, "pk", None) else None


def _check_centre(centre) -> None:
    if centre is None or getattr(centre, "kind", None) != EntityKind.CENTRE:
        raise ValidationFailed({"centre": [_("Choisissez le centre de la caisse.")]})


def _money(value, field: str, *, allow_zero: bool = False) -> Decimal:
    """A Decimal amount from the input (refusing floats and text that is not a number)."""
    if isinstance(value, str):
        try:
            value = to_decimal(value)
        except (TypeError, ValueError):
            raise ValidationFailed({field: [_("Montant invalide.")]}) from None
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValidationFailed({field: [_("Montant invalide.")]})
    if allow_zero:
        if value < 0:
            raise ValidationFailed({field: [_("Le montant ne peut pas être négatif.")]})
        if not is_rounded(value):
            raise ValidationFailed({field: [_("Le montant s'exprime au centime près.")]})
        if value >= Decimal("10000000000"):
            raise ValidationFailed({field: [_("Montant trop élevé.")]})
        return value
    return validate_amount(value, field)


def _day_for_update(centre, on: dt.date, actor, *, create: bool) -> CashDay | None:
    """The (centre, day) row locked for the rest of the transaction, created if asked."""
    day = CashDay.objects.select_for_update().filter(centre=centre, day=on).first()
    if day is None and create:
        day, _created = CashDay.objects.get_or_create(
            centre=centre,
            day=on,
            defaults={"opened_at": clock.now(), "opened_by": _actor(actor)},
        )
        day = CashDay.objects.select_for_update().get(pk=day.pk)
        if _created:
            audit.record(
                actor=actor,
                verb="cash_day_opened",
                target=day,
                data={"day": on, "centre": centre.code},
            )
    return day


def cash_day_open(*, actor, centre: Entity, check_permission: bool = True) -> CashDay:
    """Today's day of ``centre``'s counter (created if needed; a closed day is returned as is)."""
    _check_centre(centre)
    if check_permission:
        require(actor, Perm.PAYMENT_TAKE, centre)
    with transaction.atomic():
        return _day_for_update(centre, clock.today(), actor, create=True)


def counter_payment_take(
    *,
    actor,
    centre: Entity,
    account,
    means: str,
    amount,
    invoice=None,
    cheque_number: str = "",
    cheque_bank: str = "",
    drawer: str = "",
    on: dt.date | None = None,
    check_permission: bool = True,
) -> Payment:
    """Take a payment at ``centre``'s counter today and put it in today's cash day (PAY-2).

    ``on`` may only be today: a counter takes payments on the day only. The day
    is opened by the first payment; a closed day refuses any payment.
    """
    _check_centre(centre)
    if check_permission:
        require(actor, Perm.PAYMENT_TAKE, centre)
    today = clock.today()
    errors: dict[str, list[str]] = {}
    if on is not None and on != today:
        errors["on"] = [
            _("Une caisse n'encaisse que le jour même (%(today)s).")
            % {"today": today.strftime("%d/%m/%Y")}
        ]
    if account is None:
        errors["account"] = [_("Compte client introuvable.")]
    if means not in COUNTER_MEANS:
        errors["means"] = [_("Au guichet : espèces, chèque ou carte bancaire.")]
    try:
        amount = _money(amount, "amount")
    except ValidationFailed as error:
        errors.update(error.fields)
    cheque_number = (cheque_number or "").strip()
    if means == PaymentMeans.CHEQUE:
        if not cheque_number:
            errors["cheque_number"] = [_("Le numéro du chèque est obligatoire.")]
        elif not (cheque_number.isascii() and cheque_number.isdigit()) or len(cheque_number) > 20:
            errors["cheque_number"] = [_("Le numéro du chèque ne comporte que des chiffres.")]
        if not (cheque_bank or "").strip():
            errors["cheque_bank"] = [_("Indiquez la banque tirée.")]
        if not (drawer or "").strip():
            errors["drawer"] = [_("Indiquez le tireur du chèque.")]
    else:
        cheque_number, cheque_bank, drawer = "", "", ""
    if invoice is not None and account is not None and invoice.account_id != account.pk:
        errors["invoice"] = [_("Cette facture n'est pas celle de ce compte client.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        day = _day_for_update(centre, today, actor, create=True)
        if day.is_closed:
            raise DayClosed(day)
        payment = payment_record(
            actor=actor,
            account=account,
            means=means,
            amount=amount,
            received_on=today,
            invoice=invoice,
            cheque_number=cheque_number,
            cheque_bank=(cheque_bank or "").strip()[:80],
            drawer=(drawer or "").strip()[:120],
            centre=centre,
            check_permission=False,
        )
        CashDayPayment.objects.create(cash_day=day, payment=payment)
    return payment


def counter_payment_cancel(
    *, actor, payment: Payment, reason: str, check_permission: bool = True
) -> PaymentReversal:
    """Cancel a payment taken by mistake, the same day, before the day is closed (PAY-2, PAY-4)."""
    if check_permission:
        require(actor, Perm.PAYMENT_TAKE, payment.centre)
    if not (reason or "").strip():
        raise ValidationFailed({"reason": [_("Indiquez le motif de l'annulation.")]})
    link = CashDayPayment.objects.filter(payment=payment).select_related("cash_day").first()
    if link is None:
        raise ApplicationError(
            _("Le règlement %(number)s n'a pas été pris au guichet.") % {"number": payment.number},
            code="not_a_counter_payment",
        )
    with transaction.atomic():
        day = CashDay.objects.select_for_update().select_related("centre").get(pk=link.cash_day_id)
        if day.is_closed:
            raise DayClosed(day)
        if day.day != clock.today():
            raise ApplicationError(
                _("Un règlement du guichet ne s'annule que le jour même."),
                code="cash_day_past",
                http_status=409,
            )
        return payment_reverse(
            actor=actor, payment=payment, reason=reason.strip(), check_permission=False
        )


def cash_day_close(*, actor, day: CashDay, counted_cash, check_permission: bool = True) -> CashDay:
    """Close ``day`` once: totals by means, the cash counted against the cash expected (PAY-2)."""
    if check_permission:
        require(actor, Perm.PAYMENT_TAKE, day.centre)
    if _actor(actor) is None:
        raise ApplicationError(
            _("La clôture d'une journée de caisse est signée par un agent."), code="no_actor"
        )
    counted = _money(counted_cash, "counted_cash", allow_zero=True)
    with transaction.atomic():
        locked = CashDay.objects.select_for_update().get(pk=day.pk)
        if locked.is_closed:
            raise ApplicationError(
                _("La journée de caisse du %(day)s est déjà clôturée.")
                % {"day": locked.day.strftime("%d/%m/%Y")},
                code="cash_day_already_closed",
                http_status=409,
            )
        if locked.day > clock.today():
            raise ValidationFailed({"day": [_("Une journée à venir ne se clôture pas.")]})
        totals = day_totals(locked)
        locked.total_cash = totals["cash"]
        locked.total_cheque = totals["cheque"]
        locked.total_card = totals["card"]
        locked.payment_count = totals["count"]
        locked.counted_cash = counted
        locked.cash_difference = counted - totals["cash"]
        locked.closed_at = clock.now()
        locked.closed_by = actor
        locked.save(
            update_fields=[
                "total_cash",
                "total_cheque",
                "total_card",
                "payment_count",
                "counted_cash",
                "cash_difference",
                "closed_at",
                "closed_by",
            ]
        )
        audit.record(
            actor=actor,
            verb="cash_day_closed",
            target=locked,
            data={
                "day": locked.day,
                "cash": totals["cash"],
                "cheque": totals["cheque"],
                "card": totals["card"],
                "counted_cash": counted,
                "difference": locked.cash_difference,
            },
        )
    day.refresh_from_db()
    return locked


def cheque_slip_create(
    *,
    actor,
    centre: Entity,
    bank_account_label: str,
    payments: list[Payment] | None = None,
    deposited_on: dt.date | None = None,
    check_permission: bool = True,
) -> ChequeDepositSlip:
    """A deposit slip of ``payments`` (default: every cheque of the centre not yet deposited)."""
    _check_centre(centre)
    if check_permission:
        require(actor, Perm.PAYMENT_TAKE, centre)
    errors: dict[str, list[str]] = {}
    label = (bank_account_label or "").strip()
    if not label:
        errors["bank_account_label"] = [_("Indiquez le compte bancaire de remise.")]
    deposited_on = deposited_on or clock.today()
    if deposited_on > clock.today():
        errors["deposited_on"] = [_("La date de remise ne peut pas être dans le futur.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        pending = pending_cheques(centre).select_for_update(of=("self",))
        if payments is None:
            chosen = list(pending)
        else:
            wanted = {p.pk for p in payments}
            chosen = [p for p in pending if p.pk in wanted]
            missing = wanted - {p.pk for p in chosen}
            if missing:
                numbers = sorted(
                    Payment.objects.filter(pk__in=missing).values_list("number", flat=True)
                )
                raise ValidationFailed(
                    {
                        "payments": [
                            _(
                                "Ces règlements ne sont pas des chèques à remettre de ce centre : %(numbers)s."
                            )
                            % {"numbers": ", ".join(numbers) or "?"}
                        ]
                    }
                )
        if not chosen:
            raise ValidationFailed({"payments": [_("Aucun chèque à remettre.")]})
        (sequence,) = next_numbers(SLIP_SERIES, 1, deposited_on.year)
        slip = ChequeDepositSlip.objects.create(
            number=format_number(SLIP_SERIES, deposited_on.year, sequence, width=SLIP_NUMBER_WIDTH),
            centre=centre,
            deposited_on=deposited_on,
            bank_account_label=label[:120],
            cheque_count=len(chosen),
            total=sum((p.amount for p in chosen), Decimal("0.00")),
            created_at=clock.now(),
            created_by=_actor(actor),
        )
        ChequeDepositSlipLine.objects.bulk_create(
            [ChequeDepositSlipLine(slip=slip, payment=p) for p in chosen]
        )
        audit.record(
            actor=actor,
            verb="cheque_slip_created",
            target=slip,
            data={"number": slip.number, "count": slip.cheque_count, "total": slip.total},
        )
    return slip


def cash_transmission_record(
    *,
    actor,
    day: CashDay,
    amount,
    reference: str,
    received_on: dt.date | None = None,
    check_permission: bool = True,
) -> CashTransmission:
    """Treasury records what it received from the centre for a closed day (PAY-9)."""
    if check_permission:
        require(actor, TRANSMISSION_PERM, day.centre)
    errors: dict[str, list[str]] = {}
    try:
        amount = _money(amount, "amount")
    except ValidationFailed as error:
        errors.update(error.fields)
    reference = (reference or "").strip()
    if not reference:
        errors["reference"] = [_("Indiquez la référence du versement.")]
    elif len(reference) > 60:
        errors["reference"] = [_("60 caractères au plus.")]
    received_on = received_on or clock.today()
    if received_on > clock.today():
        errors["received_on"] = [_("La date de réception ne peut pas être dans le futur.")]
    elif received_on < day.day:
        errors["received_on"] = [_("Le versement ne peut précéder la journée de caisse.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        locked = CashDay.objects.select_for_update().get(pk=day.pk)
        if not locked.is_closed:
            raise ApplicationError(
                _("La journée de caisse doit être clôturée avant d'enregistrer son versement."),
                code="cash_day_open",
                http_status=409,
            )
        if CashTransmission.objects.filter(cash_day=locked, reference=reference).exists():
            raise ValidationFailed(
                {"reference": [_("Ce versement est déjà enregistré pour cette journée.")]}
            )
        transmission = CashTransmission.objects.create(
            cash_day=locked,
            amount=amount,
            received_on=received_on,
            reference=reference,
            created_at=clock.now(),
            created_by=_actor(actor),
        )
        audit.record(
            actor=actor,
            verb="cash_transmission_recorded",
            target=transmission,
            subject=locked,
            data={"amount": amount, "reference": reference},
        )
    return transmission


def account_for_counter(*, user, number: str):
    """The account a counter payment is for, by its number (any centre the user may serve)."""
    from robinet.customers.models import CustomerAccount

    number = (number or "").strip()
    account = CustomerAccount.objects.filter(number=number).select_related("party").first()
    if not number or account is None:
        raise ValidationFailed(
            {"account": [_("Aucun compte client n° %(number)s.") % {"number": number or "—"}]}
        )
    return account


def invoice_for_counter(*, account, number: str):
    """The invoice the payer names, which must be one of ``account``'s."""
    from robinet.billing.models import Invoice

    number = (number or "").strip()
    if not number:
        return None
    invoice = Invoice.objects.filter(number=number).first()
    if invoice is None or invoice.account_id != account.pk:
        raise ValidationFailed(
            {
                "invoice": [
                    _("Facture n° %(number)s introuvable sur ce compte.") % {"number": number}
                ]
            }
        )
    return invoice
