"""Refunds of credit balances by SEPA credit transfer (PAY-6, CUST-6).

1. *Propose*: an account whose open items add up to a credit, whose party
   owes nothing on any of its accounts, with a valid IBAN (and BIC), gets a
   refund proposal for the whole credit; the others are listed with the reason.
2. *Approve*: the IBAN is checked again against the account (CUST-6: it must
   not have changed since the proposal and must still be valid) and the credit
   must still be there; then a ``refund`` open item is posted and allocated
   against the credits, with the journal entry customers (411) to bank (512).
3. *Export*: the approved refunds go into one pain.001.001.09 file, validated
   against the ISO 20022 schema before it is kept; the refunds are exported.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from robinet.core import audit, clock
from robinet.core.exceptions import ApplicationError, NotFound, ValidationFailed
from robinet.core.imports import file_sha256
from robinet.core.numbering import format_number, next_number
from robinet.customers.models import CustomerAccount
from robinet.ledger import posting
from robinet.ledger.models import OpenItem, OpenItemKind
from robinet.ledger.services import _write_allocations
from robinet.organisation.access import require, scope_for
from robinet.organisation.roles import Perm
from robinet.payments import pain001
from robinet.payments.models import Refund, RefundFile, RefundStatus

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
REFUND_SERIES = "RMB"
FILE_SERIES = "VIRRMB"


@dataclass
class ProposeOutcome:
    proposed: list[Refund] = field(default_factory=list)
    skipped: list[tuple[CustomerAccount, str]] = field(default_factory=list)


def check_bank_details(iban: str, bic: str = "") -> tuple[str, str]:
    """The IBAN (compact) and its BIC, or ValidationFailed naming the field (CUST-6)."""
    try:
        parsed = IBAN((iban or "").strip())
    except SchwiftyException:
        raise ValidationFailed({"iban": [_("IBAN absent ou invalide.")]}) from None
    bic = (bic or "").strip().upper() or str(parsed.bic or "")
    if len(bic) not in (8, 11):
        raise ValidationFailed({"bic": [_("BIC absent ou invalide.")]})
    return parsed.compact, bic


def credit_balances(account_ids=None) -> dict[int, Decimal]:
    """Accounts whose open items add up to a credit → that credit (positive)."""
    items = OpenItem.objects.filter(cleared_on__isnull=True)
    if account_ids is not None:
        items = items.filter(account_id__in=list(account_ids))
    rows = items.values("account_id").annotate(net=Sum("open_amount")).filter(net__lt=0)
    return {row["account_id"]: (-row["net"]).quantize(CENT) for row in rows}


def _owing_parties(party_ids) -> set[int]:
    return set(
        OpenItem.objects.filter(
            cleared_on__isnull=True, open_amount__gt=0, account__party_id__in=list(party_ids)
        ).values_list("account__party_id", flat=True)
    )


def _holder(account) -> str:
    party = account.party
    return getattr(party, "display_name", None) or str(party)


def refunds_propose(*, actor, account_ids=None, check_permission: bool = True) -> ProposeOutcome:
    """Propose a refund for each credit balance that passes the checks (PAY-6)."""
    if check_permission:
        require(actor, Perm.PAYMENT_ALLOCATE)
    balances = credit_balances(account_ids)
    accounts = list(
        CustomerAccount.objects.select_related("party", "centre")
        .filter(pk__in=balances)
        .order_by("pk")
    )
    if check_permission:
        scope = scope_for(actor)
        accounts = [a for a in accounts if scope.covers(Perm.PAYMENT_ALLOCATE, a.centre)]
    pending = set(
        Refund.objects.filter(
            account_id__in=[a.pk for a in accounts],
            status__in=(RefundStatus.PROPOSED, RefundStatus.APPROVED),
        ).values_list("account_id", flat=True)
    )
    owing = _owing_parties({a.party_id for a in accounts})
    outcome = ProposeOutcome()
    today = clock.today()
    for account in accounts:
        if account.pk in pending:
            outcome.skipped.append((account, _("Un remboursement est déjà en cours.")))
            continue
        if account.party_id in owing:
            outcome.skipped.append(
                (account, _("Le client doit encore des sommes (sur ce compte ou un autre)."))
            )
            continue
        try:
            iban, bic = check_bank_details(account.iban, account.bic)
        except ValidationFailed as error:
            message = " ".join(m for messages in error.fields.values() for m in messages)
            outcome.skipped.append((account, message))
            continue
        with transaction.atomic():
            refund = Refund.objects.create(
                number=format_number(
                    REFUND_SERIES, today.year, next_number(REFUND_SERIES, today.year)
                ),
                account=account,
                amount=balances[account.pk],
                iban=iban,
                bic=bic,
                holder=_holder(account)[:140],
                proposed_on=today,
            )
            audit.record(
                actor=actor,
                verb="refund_proposed",
                target=refund,
                subject=account,
                data={"number": refund.number, "amount": refund.amount},
            )
        outcome.proposed.append(refund)
    return outcome


def refund_approve(*, actor, refund: Refund, check_permission: bool = True) -> Refund:
    """Approve and post a proposed refund after checking the IBAN again (CUST-6, PAY-6)."""
    account = refund.account
    if check_permission:
        require(actor, Perm.PAYMENT_ALLOCATE, account.centre)
    today = clock.today()
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("account").get(pk=refund.pk)
        account = CustomerAccount.objects.select_for_update().get(pk=refund.account_id)
        if refund.status != RefundStatus.PROPOSED:
            raise ApplicationError(
                _("Le remboursement %(number)s n'est plus à approuver (%(status)s).")
                % {"number": refund.number, "status": refund.get_status_display()},
                code="refund_not_proposed",
                http_status=409,
            )
        iban, _bic = check_bank_details(account.iban, account.bic)
        if iban != refund.iban:
            raise ValidationFailed(
                {
                    "iban": [
                        _(
                            "L'IBAN du compte a changé depuis la proposition : "
                            "vérifiez-le et proposez à nouveau le remboursement."
                        )
                    ]
                }
            )
        items = list(
            OpenItem.objects.select_for_update()
            .filter(account=account, cleared_on__isnull=True)
            .order_by("due_date", "pk")
        )
        if any(i.open_amount > 0 for i in items):
            raise ValidationFailed(
                {"amount": [_("Le client doit désormais des sommes : remboursement impossible.")]}
            )
        credits = [i for i in items if i.open_amount < 0]
        available = -sum((i.open_amount for i in credits), ZERO)
        if available < refund.amount:
            raise ValidationFailed(
                {
                    "amount": [
                        _("Le solde créditeur n'est plus que de %(available)s €.")
                        % {"available": available}
                    ]
                }
            )
        item = OpenItem.objects.create(
            account=account,
            kind=OpenItemKind.REFUND,
            document_number=refund.number,
            label=_("Remboursement %(number)s") % {"number": refund.number},
            posted_on=today,
            due_date=today,
            amount=refund.amount,
            open_amount=refund.amount,
        )
        pairs, left = [], refund.amount
        for credit in credits:
            if left == 0:
                break
            take = min(left, -credit.open_amount)
            pairs.append((item, credit, take))
            left -= take
        _write_allocations(
            pairs, on=today, actor=actor, reason=_("Remboursement %(n)s") % {"n": refund.number}
        )
        posting.post(
            [
                posting.transfer_entry(
                    journal="BQ",
                    on=today,
                    piece_ref=refund.number,
                    label=f"Remboursement {refund.number}",
                    centre_id=account.centre_id,
                    event="refund",
                    debit_role="customers",
                    credit_role="treasury",
                    amount=refund.amount,
                    debit_account_id=account.pk,
                )
            ]
        )
        refund.status = RefundStatus.APPROVED
        refund.approved_at = clock.now()
        refund.approved_by = actor if getattr(actor, "pk", None) else None
        refund.open_item = item
        refund.save(update_fields=["status", "approved_at", "approved_by", "open_item"])
        audit.record(
            actor=actor,
            verb="refund_approved",
            target=refund,
            subject=account,
            data={"number": refund.number, "amount": refund.amount, "iban": refund.iban},
        )
    return refund


def debtor() -> pain001.Debtor:
    utility = settings.ROBINET_UTILITY
    return pain001.Debtor(name=utility["name"], iban=utility["iban"], bic=utility["bic"])


def refunds_export(
    *,
    actor,
    execution_date: dt.date | None = None,
    refund_ids=None,
    check_permission: bool = True,
) -> RefundFile:
    """Put the approved refunds into one pain.001.001.09 file, validated against the XSD."""
    if check_permission:
        require(actor, Perm.PAYMENT_ALLOCATE)
    today = clock.today()
    execution_date = execution_date or today
    if execution_date < today:
        raise ValidationFailed(
            {"execution_date": [_("La date d'exécution ne peut pas être passée.")]}
        )
    with transaction.atomic():
        refunds = Refund.objects.select_for_update().filter(status=RefundStatus.APPROVED)
        if refund_ids is not None:
            refunds = refunds.filter(pk__in=list(refund_ids))
        refunds = list(refunds.select_related("account").order_by("pk"))
        if check_permission:
            for refund in refunds:
                require(actor, Perm.PAYMENT_ALLOCATE, refund.account.centre)
        if not refunds:
            raise ValidationFailed({"refunds": [_("Aucun remboursement approuvé à virer.")]})
        message_id = format_number(FILE_SERIES, today.year, next_number(FILE_SERIES, today.year))
        now = clock.now()
        data = pain001.build(
            message_id=message_id,
            created_at=now,
            execution_date=execution_date,
            debtor=debtor(),
            transfers=[
                pain001.Transfer(
                    end_to_end_id=r.number,
                    amount=r.amount,
                    name=r.holder,
                    iban=r.iban,
                    bic=r.bic,
                    remittance=f"Remboursement {r.number} compte client {r.account.number}",
                )
                for r in refunds
            ],
        )
        refund_file = RefundFile.objects.create(
            message_id=message_id,
            sha256=file_sha256(data),
            execution_date=execution_date,
            refunds_count=len(refunds),
            total=sum((r.amount for r in refunds), ZERO),
            content=data.decode("utf-8"),
            created_at=now,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        Refund.objects.filter(pk__in=[r.pk for r in refunds]).update(
            status=RefundStatus.EXPORTED, file=refund_file
        )
        audit.record(
            actor=actor,
            verb="refunds_exported",
            target=refund_file,
            data={"message_id": message_id, "count": len(refunds), "total": refund_file.total},
        )
    return refund_file


# --- selectors -----------------------------------------------------------------------------


def refund_list(*, user, status: str = ""):
    """Refunds of the centres the user may see (PAY-6)."""
    scope = require(user, Perm.PAYMENT_VIEW)
    qs = Refund.objects.select_related("account", "file").filter(
        account__centre_id__in=scope.centre_ids(Perm.PAYMENT_VIEW)
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-proposed_on", "-pk")


def refund_get(*, user, number: str) -> Refund:
    found = refund_list(user=user).filter(number=number).first()
    if found is None:
        raise NotFound(_("Remboursement introuvable : %(n)s.") % {"n": number})
    return found


def refund_file_get(*, user, pk: int) -> RefundFile:
    require(user, Perm.PAYMENT_VIEW)
    found = RefundFile.objects.filter(pk=pk).first()
    if found is None:
        raise NotFound(_("Fichier de virements introuvable."))
    return found


def refund_files(*, user):
    require(user, Perm.PAYMENT_VIEW)
    return RefundFile.objects.order_by("-created_at", "-pk")
