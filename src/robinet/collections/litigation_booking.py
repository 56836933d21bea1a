"""Litigation money booked (COLL-9): costs posted, re-invoiced where allowed, the outcome booked.

* :func:`cost_entry` (pure) — a legal cost paid on a file is an expense:
  legal costs 6227 debited, suppliers 401 credited (the bailiff's, lawyer's
  or court's bill is paid by the accounts-payable side of the utility's
  accounting); posted through :mod:`robinet.ledger.posting` by
  :func:`cost_post`, in the transaction that records the cost.
* :func:`costs_reinvoice` — the costs not yet re-invoiced go to the debtor
  on one invoice of kind ``fees`` (the single-invoice writer of the fee
  path: FAC number, open item, sales entry), only where the law allows it
  (COLL-1): a professional debtor, or a court order awarding the costs (an
  enforceable title, CPCE L111-8). Costs of justice are disbursements
  (*débours*): no VAT.
* :func:`recovery_book` — an amount recovered on the file (the bailiff's
  transfer, the debtor's payment) is a payment booked through the one
  payment path (:mod:`robinet.payments.booking`, allocated by PAY-1); when
  the file's items are paid, the file closes as paid.
* :func:`unenforceable_record` — the judgment cannot be enforced (debtor
  insolvent or gone): the file closes as abandoned and a write-off request
  for what its items still owe is proposed (COLL-11; approved by someone
  else, four eyes).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from robinet.collections import litigation as lit
from robinet.collections import writeoffs
from robinet.collections.choices import DebtStage, EventKind
from robinet.collections.events import debt_case_stage, event_record
from robinet.collections.models import (
    CostKind,
    LitigationCost,
    LitigationFile,
    LitigationRecovery,
    LitigationStage,
    WriteOffReason,
)
from robinet.collections.models_litigation import CLOSED_STAGES
from robinet.collections.rules.france import PROFESSIONAL_CLASSES
from robinet.core import audit, clock
from robinet.core.exceptions import ApplicationError, InvalidTransition, ValidationFailed
from robinet.core.money import format_money
from robinet.ledger import posting
from robinet.ledger.models import Journal, OpenItem

ZERO = Decimal("0.00")
LEGAL_COSTS = "legal_costs"
SUPPLIERS = "suppliers"
#: where costs go when the utility's chart has no account for these roles (PCG)
LITIGATION_ACCOUNTS = {LEGAL_COSTS: "622700", SUPPLIERS: "401000"}
#: the code printed on a re-invoiced cost's line
REINVOICE_CODE = "FRAIS-CONTENTIEUX"
#: costs of justice re-invoiced are disbursements (*débours*, CGI art. 267 II-2°): no VAT
REINVOICE_VAT = Decimal("0")


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


# --- costs -------------------------------------------------------------------------------------


def cost_entry(
    *, on: dt.date, number: str, centre_id: int, amount: Decimal, label: str
) -> posting.EntrySpec:
    """A legal cost: legal costs (6227) debited, suppliers (401) credited (balanced)."""
    return posting.transfer_entry(
        journal=Journal.MISC,
        on=on,
        piece_ref=number,
        label=label,
        centre_id=centre_id,
        event="litigation_cost",
        debit_role=LEGAL_COSTS,
        credit_role=SUPPLIERS,
        amount=amount,
    )


def _accounts() -> dict[str, str]:
    return {**LITIGATION_ACCOUNTS, **posting.chart()}


def cost_post(cost: LitigationCost) -> LitigationCost:
    """Post ``cost`` in the caller's transaction (once)."""
    if cost.entry_id is not None:
        return cost
    file = cost.file
    (entry_id,) = posting.post(
        [
            cost_entry(
                on=cost.incurred_on,
                number=file.number,
                centre_id=file.account.centre_id,
                amount=cost.amount,
                label=_("Frais de contentieux %(n)s — %(k)s")
                % {"n": file.number, "k": CostKind(cost.kind).label},
            )
        ],
        accounts=_accounts(),
    )
    cost.entry_id = entry_id
    cost.save(update_fields=["entry"])
    return cost


def reinvoice_allowed(customer_class: str, *, court_order: bool) -> bool:
    """COLL-1 / CPCE L111-8: a professional, or any debtor when a court order awards the costs."""
    return court_order or customer_class in PROFESSIONAL_CLASSES


@transaction.atomic
def costs_reinvoice(
    file: LitigationFile, actor=None, *, court_order: bool = False, on: dt.date | None = None
):
    """Re-invoice the file's costs not invoiced yet on one ``fees`` invoice (COLL-1 checks)."""
    from robinet.billing.choices import InvoiceKind, LineBeneficiary, LineService
    from robinet.billing.fees import Line, invoice_issue_lines

    file = LitigationFile.objects.select_for_update().select_related("account").get(pk=file.pk)
    account = file.account
    lit._require(actor, account.centre)
    on = on or clock.today()
    if not reinvoice_allowed(account.customer_class, court_order=court_order):
        message = _(
            "Refacturation refusée : les frais de procédure ne sont refacturés qu'à un "
            "professionnel ou sur décision de justice qui les met à la charge du débiteur "
            "(COLL-1, CPCE L111-8)."
        )
        raise ApplicationError(
            message,
            code="costs_not_rechargeable",
            fields={"court_order": [message]},
            http_status=422,
        )
    costs = list(file.costs.select_for_update().filter(invoice__isnull=True).order_by("pk"))
    if not costs:
        raise ValidationFailed({"costs": [_("Aucun frais à refacturer sur ce dossier.")]})
    lines = [
        Line(
            code=REINVOICE_CODE,
            label=(
                _("Frais de procédure — %(k)s (dossier %(n)s)")
                % {"k": CostKind(c.kind).label, "n": file.number}
            ),
            service=LineService.OTHER,
            beneficiary=LineBeneficiary.OPERATOR,
            quantity=Decimal(1),
            unit="unit",
            unit_price=c.amount,
            amount_excl_vat=c.amount,
            vat_rate=REINVOICE_VAT,
            kind="fee",
        )
        for c in costs
    ]
    invoice = invoice_issue_lines(
        actor=actor,
        kind=InvoiceKind.FEES,
        account=account,
        lines=lines,
        issue_date=on,
        reason=_("Frais de procédure du dossier contentieux %(n)s") % {"n": file.number},
    )
    LitigationCost.objects.filter(pk__in=[c.pk for c in costs]).update(invoice=invoice)
    event_record(
        account=account,
        kind=EventKind.LITIGATION_COST,
        summary=_("Contentieux %(n)s : frais de %(m)s refacturés (facture %(f)s)")
        % {"n": file.number, "m": format_money(invoice.total_incl_vat), "f": invoice.number},
        actor=actor,
        on=on,
    )
    audit.record(
        actor=actor,
        verb="litigation.costs_reinvoiced",
        target=account,
        data={"file": file.number, "invoice": invoice.number, "court_order": court_order},
    )
    return invoice


# --- outcome -----------------------------------------------------------------------------------


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", "."))
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0 or amount.as_tuple().exponent < -2:
        raise ValidationFailed({"amount": [_("Un montant positif, au centime.")]})
    return amount


def _live(file: LitigationFile) -> LitigationFile:
    file = LitigationFile.objects.select_for_update().select_related("account").get(pk=file.pk)
    if file.stage in CLOSED_STAGES:
        raise InvalidTransition(_("Le dossier est clos."))
    return file


def still_owed(file: LitigationFile) -> Decimal:
    """What the file's items still owe."""
    ids = file.items.values_list("open_item_id", flat=True)
    return sum(
        OpenItem.objects.filter(pk__in=ids, open_amount__gt=0).values_list(
            "open_amount", flat=True
        ),
        ZERO,
    )


def recovered_total(file: LitigationFile) -> Decimal:
    return sum(file.recoveries.values_list("amount", flat=True), ZERO)


@transaction.atomic
def recovery_book(
    file: LitigationFile,
    amount,
    actor=None,
    *,
    on: dt.date | None = None,
    means: str = "transfer",
    note: str = "",
) -> LitigationRecovery:
    """Book an amount recovered on the file as a payment (PAY-1 allocation, PAY-7 entry).

    The file closes as paid once its items owe nothing (where the stage
    allows it: an order served at least; before, it closes as settled).
    """
    from robinet.payments.services import payment_record

    file = _live(file)
    lit._require(actor, file.account.centre)
    amount = _amount(amount)
    on = on or clock.today()
    if on < file.opened_on:
        raise ValidationFailed({"on": [_("La date précède l'ouverture du dossier.")]})
    payment = payment_record(
        actor=actor,
        account=file.account,
        means=means,
        amount=amount,
        received_on=on,
        payer_reference=file.number,
        check_permission=False,  # LITIGATION_MANAGE checked above
    )
    recovery = LitigationRecovery.objects.create(
        file=file, payment=payment, amount=amount, received_on=on, created_by=_user(actor)
    )
    event_record(
        account=file.account,
        kind=EventKind.LITIGATION_STAGE,
        summary=_("Contentieux %(n)s : %(m)s recouvrés (règlement %(p)s)")
        % {"n": file.number, "m": format_money(amount), "p": payment.number}
        + (f" — {note}" if note else ""),
        actor=actor,
        on=on,
    )
    audit.record(
        actor=actor,
        verb="litigation.recovered",
        target=file.account,
        data={"file": file.number, "amount": amount, "payment": payment.number},
    )
    if still_owed(file) == 0:
        outcome = _("Recouvré : %(m)s") % {"m": format_money(recovered_total(file))}
        if LitigationStage.PAID in lit.allowed_stages(file):
            lit.litigation_stage(file, LitigationStage.PAID, actor, on=on, note=outcome)
        else:
            lit.litigation_stage(
                file,
                LitigationStage.ABANDONED,
                actor,
                on=on,
                note=_("Dette soldée avant l'ordonnance ; %(o)s") % {"o": outcome},
            )
    return recovery


@transaction.atomic
def unenforceable_record(
    file: LitigationFile, actor, *, reason: str, on: dt.date | None = None
) -> LitigationFile:
    """The judgment cannot be enforced: close the file and propose a write-off (COLL-11).

    The write-off request covers what the file's items still owe; it is booked
    only when someone else approves it (four eyes).
    """
    file = _live(file)
    lit._require(actor, file.account.centre)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("Indiquez pourquoi le jugement est inexécutable.")]})
    on = on or clock.today()
    ids = list(file.items.values_list("open_item_id", flat=True))
    owed = list(
        OpenItem.objects.filter(pk__in=ids, open_amount__gt=0, cleared_on__isnull=True).order_by(
            "due_date", "pk"
        )
    )
    request = None
    if owed:
        request = writeoffs.write_off_request(
            actor=actor,
            account=file.account,
            items=[(item, None) for item in owed],
            reason=WriteOffReason.IRRECOVERABLE,
            note=_("Contentieux %(n)s : jugement inexécutable — %(r)s")
            % {"n": file.number, "r": reason},
        )
    file = lit.litigation_stage(
        file,
        LitigationStage.ABANDONED,
        actor,
        on=on,
        note=_("Jugement inexécutable : %(r)s") % {"r": reason}
        + (
            _(" ; admission en non-valeur %(w)s proposée") % {"w": request.number}
            if request
            else ""
        ),
    )
    if request is not None:
        file.write_off_request = request
        file.save(update_fields=["write_off_request"])
        debt_case_stage(
            account_id=file.account_id,
            stage=DebtStage.WRITE_OFF,
            on=on,
            next_step=_("Décision sur l'admission en non-valeur %(w)s") % {"w": request.number},
        )
    return file
