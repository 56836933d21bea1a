"""SEPA direct debit (PAY-3): mandates and collection runs, the write side.

* :func:`mandate_create`, :func:`mandate_amend`, :func:`mandate_revoke` —
  ``customer.change`` on the account's centre. Creating an active mandate
  turns the account's ``direct_debit`` flag on, revoking it turns it off.
* :func:`debit_run_create` — ``payment.import``. For one collection date (a
  TARGET2 business day, at least one business day ahead), on the direct-debit
  accounts with an active mandate and no live hold (CASE-7), the run collects
  three kinds of debits in one pain.008 file:

  - every open invoice due on or before the date and pre-notified (its issue
    date) at least ``ROBINET_SEPA_PRENOTICE_DAYS`` (14 by default) days
    before — except a consumption bill a live monthly-payment plan covers
    (BILL-10: the contract's bill whose period ends within the plan's 12
    months; its instalments are the debits, the yearly settlement asks for the
    rest, which the runs then collect) and an item a payment plan covers;
  - every scheduled monthly-payment instalment due on or before the date, of
    an active plan (BILL-10; the schedule is the pre-notification): booked
    as a credit on the account (not allocated: the consumption invoice clears
    it when it is issued), the instalment marked collected;
  - every instalment due of an active payment plan paid by direct debit
    (COLL-5), for what is still owed on it: booked and allocated to the
    plan's debts (oldest first), as the plan monitor reads them.

  The run is a chunked run of accounts (:mod:`robinet.payments.debit_runs`):
  each chunk, one transaction, books its debits through
  :func:`~robinet.payments.booking.book_payments` as ``direct_debit``
  payments received on the collection date, with ``external_reference`` =
  the debit's end-to-end id; once every chunk is done the file is built from
  the debits and schema-validated. The checks come first: a refused request
  creates nothing. A failed or interrupted run is resumed
  (:func:`debit_run_resume`) without booking anything twice.
* The payments are *pending until the settlement date* (PAY-3): the run's
  ``settles_on`` is the collection date plus ``ROBINET_SEPA_RETURN_DAYS``
  TARGET2 business days (0 by default: the bank credits on the collection
  date). :func:`debit_runs_settle` (``robinet sepa settle``, the run's page)
  marks them settled. A pending payment has cleared its invoice (no dunning),
  is shown « en attente », and is not yet collected money.
* A later reject (pain.002 / camt.054, PAY-4) finds the payment by its
  end-to-end id and reverses it; :func:`debit_reversed` then puts a
  monthly-payment instalment back to *rejected* and a payment-plan instalment
  back to unpaid (the plan monitor's grace rule applies to it again).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, Lookup, OuterRef, Q
from django.utils.translation import gettext as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.eu import at_02

from robinet.billing import budget
from robinet.billing.choices import BILL_KINDS, LIVE_BUDGET_STATUSES
from robinet.billing.models import BudgetInstalment, BudgetPlan
from robinet.collections import instalments as plan_arithmetic
from robinet.core import audit, clock
from robinet.core.exceptions import ApplicationError, InvalidTransition, ValidationFailed
from robinet.customers.models import CustomerAccount
from robinet.ledger.models import OpenItem, OpenItemKind
from robinet.organisation.access import require
from robinet.organisation.roles import Perm
from robinet.payments import pain008, target2
from robinet.payments.models import (
    AmendedField,
    DebitKind,
    DirectDebitHold,
    DirectDebitItem,
    DirectDebitRun,
    Mandate,
    MandateAmendment,
    MandateStatus,
    PainVersion,
)

DEFAULT_PRENOTICE_DAYS = 14
#: TARGET2 business days between the collection and the settlement of a run (PAY-3).
DEFAULT_RETURN_DAYS = 0
logger = logging.getLogger(__name__)
_UMR = re.compile(r"^[A-Za-z0-9+?/\-:().,' ]{1,35}$")


def prenotice_days() -> int:
    return int(getattr(settings, "ROBINET_SEPA_PRENOTICE_DAYS", DEFAULT_PRENOTICE_DAYS))


def return_days() -> int:
    """``ROBINET_SEPA_RETURN_DAYS``: the run's payments stay pending that many business days."""
    return max(0, int(getattr(settings, "ROBINET_SEPA_RETURN_DAYS", DEFAULT_RETURN_DAYS)))


def settlement_date(collection_date: dt.date) -> dt.date:
    """PAY-3: the day a run's payments stop being pending (collection + return window)."""
    return target2.add_business_days(collection_date, return_days())


# --- validation (pure) ------------------------------------------------------------------------


def clean_creditor_id(value: str) -> str:
    """The SEPA creditor identifier (ICS in France), checked with its ISO 7064 check digits."""
    compact = at_02.compact(value or "")
    if not at_02.is_valid(compact):
        raise ValidationFailed(
            {"creditor_id": [_("Identifiant créancier SEPA (ICS) invalide : %s.") % value]}
        )
    return compact


def clean_iban(value: str, field: str = "iban") -> str:
    try:
        return IBAN(value or "").compact
    except SchwiftyException:
        raise ValidationFailed({field: [_("IBAN invalide : %s.") % value]}) from None


def clean_bic(value: str, iban: str, field: str = "bic") -> str:
    """The BIC given, else the one the IBAN's bank code gives, else empty (NOTPROVIDED)."""
    if value:
        try:
            return str(BIC(value))
        except SchwiftyException:
            raise ValidationFailed({field: [_("BIC invalide : %s.") % value]}) from None
    try:
        bic = IBAN(iban).bic
    except SchwiftyException:
        bic = None
    return str(bic) if bic else ""


def clean_umr(value: str) -> str:
    umr = (value or "").strip()
    if not _UMR.match(umr):
        raise ValidationFailed(
            {
                "umr": [
                    _(
                        "RUM invalide : 1 à 35 caractères parmi lettres, chiffres, "
                        "espace et + ? / - : ( ) . , '."
                    )
                ]
            }
        )
    return umr


def creditor() -> pain008.Creditor:
    u = settings.ROBINET_UTILITY
    return pain008.Creditor(
        name=u["name"],
        iban=clean_iban(u["iban"], "creditor_iban"),
        bic=u["bic"],
        creditor_id=clean_creditor_id(u["sepa_creditor_id"]),
    )


def check_collection_date(collection_date: dt.date, *, today: dt.date) -> None:
    """PAY-3: a TARGET2 business day, after the next business day the file can be sent (D-1)."""
    if not target2.is_business_day(collection_date):
        raise ValidationFailed(
            {
                "collection_date": [
                    _(
                        "Le %(day)s n'est pas un jour ouvré TARGET2 ; "
                        "prochain jour possible : le %(next)s."
                    )
                    % {
                        "day": collection_date.strftime("%d/%m/%Y"),
                        "next": target2.next_business_day(collection_date).strftime("%d/%m/%Y"),
                    }
                ]
            }
        )
    # The file reaches the bank on a business day at the latest the day before.
    earliest = target2.add_business_days(target2.next_business_day(today), 1)
    if collection_date < earliest:
        raise ValidationFailed(
            {
                "collection_date": [
                    _("La date de prélèvement doit être au plus tôt le %s.")
                    % earliest.strftime("%d/%m/%Y")
                ]
            }
        )


# --- mandates ---------------------------------------------------------------------------------


def _debtor_name(account: CustomerAccount) -> str:
    party = account.party
    return f"{party.first_name} {party.name}".strip()[:70]


@transaction.atomic
def mandate_create(
    *,
    actor,
    account: CustomerAccount,
    signed_on: dt.date,
    umr: str = "",
    iban: str = "",
    bic: str = "",
    debtor_name: str = "",
    creditor_id: str = "",
    check_permission: bool = True,
) -> Mandate:
    """A new active mandate (PAY-3); the account's IBAN/BIC/holder by default."""
    if check_permission:
        require(actor, Perm.CUSTOMER_CHANGE, account.centre)
    account = CustomerAccount.objects.select_for_update().get(pk=account.pk)
    if signed_on > clock.today():
        raise ValidationFailed({"signed_on": [_("La date de signature est dans le futur.")]})
    iban = clean_iban(iban or account.iban)
    bic = clean_bic(bic or account.bic, iban)
    cid = clean_creditor_id(creditor_id or settings.ROBINET_UTILITY["sepa_creditor_id"])
    if Mandate.objects.filter(account=account, status=MandateStatus.ACTIVE).exists():
        raise ValidationFailed(
            {"account": [_("Ce compte a déjà un mandat actif : révoquez-le d'abord.")]}
        )
    if umr:
        umr = clean_umr(umr)
    else:
        n = Mandate.objects.filter(account=account).count() + 1
        umr = clean_umr(f"RUM-{account.number}-{n:02d}")
    if Mandate.objects.filter(umr=umr).exists():
        raise ValidationFailed({"umr": [_("La RUM %s est déjà utilisée.") % umr]})
    mandate = Mandate.objects.create(
        umr=umr,
        account=account,
        debtor_name=(debtor_name or _debtor_name(account))[:70],
        iban=iban,
        bic=bic,
        signed_on=signed_on,
        creditor_id=cid,
        created_at=clock.now(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    if not account.direct_debit:
        CustomerAccount.objects.filter(pk=account.pk).update(direct_debit=True)
    # BILL-10: a monthly-payment plan waiting for its mandate is collected under this one.
    BudgetPlan.objects.filter(
        account=account, status__in=LIVE_BUDGET_STATUSES, mandate__isnull=True
    ).update(mandate=mandate)
    return mandate


@transaction.atomic
def mandate_amend(
    *,
    actor,
    mandate: Mandate,
    umr: str | None = None,
    iban: str | None = None,
    bic: str | None = None,
    debtor_name: str | None = None,
    check_permission: bool = True,
) -> list[MandateAmendment]:
    """Change the mandate; each change is an amendment row, reported on the next debit."""
    if check_permission:
        require(actor, Perm.CUSTOMER_CHANGE, mandate.account.centre)
    mandate = Mandate.objects.select_for_update().get(pk=mandate.pk)
    if mandate.status != MandateStatus.ACTIVE:
        raise ApplicationError(_("Un mandat révoqué ou expiré ne se modifie plus."))
    new: dict[str, str] = {}
    if umr is not None:
        new[AmendedField.UMR] = clean_umr(umr)
    if iban is not None:
        new[AmendedField.IBAN] = clean_iban(iban)
    if bic is not None or iban is not None:
        new[AmendedField.BIC] = clean_bic(bic or "", new.get(AmendedField.IBAN, mandate.iban))
    if debtor_name is not None:
        if not debtor_name.strip():
            raise ValidationFailed({"debtor_name": [_("Le titulaire est obligatoire.")]})
        new[AmendedField.DEBTOR_NAME] = debtor_name.strip()[:70]
    if (
        AmendedField.UMR in new
        and new[AmendedField.UMR] != mandate.umr
        and Mandate.objects.filter(umr=new[AmendedField.UMR]).exists()
    ):
        raise ValidationFailed({"umr": [_("La RUM %s est déjà utilisée.") % new["umr"]]})
    now, today = clock.now(), clock.today()
    amendments = []
    for field, value in new.items():
        old = getattr(mandate, field)
        if value == old:
            continue
        amendments.append(
            MandateAmendment(
                mandate=mandate,
                field=field,
                old_value=old,
                new_value=value,
                changed_on=today,
                created_at=now,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
        )
        setattr(mandate, field, value)
    if not amendments:
        raise ApplicationError(_("Aucune modification."))
    MandateAmendment.objects.bulk_create(amendments)
    mandate.save(update_fields=[a.field for a in amendments])
    return amendments


@transaction.atomic
def mandate_revoke(
    *, actor, mandate: Mandate, reason: str, expired: bool = False, check_permission: bool = True
) -> Mandate:
    """End the mandate (revoked by the debtor, or expired after 36 months unused)."""
    if check_permission:
        require(actor, Perm.CUSTOMER_CHANGE, mandate.account.centre)
    mandate = Mandate.objects.select_for_update().get(pk=mandate.pk)
    if mandate.status != MandateStatus.ACTIVE:
        raise ApplicationError(_("Ce mandat n'est plus actif."))
    if not (reason or "").strip():
        raise ValidationFailed({"reason": [_("Indiquez le motif.")]})
    mandate.status = MandateStatus.EXPIRED if expired else MandateStatus.REVOKED
    mandate.ended_on = clock.today()
    mandate.end_reason = reason.strip()[:255]
    mandate.save(update_fields=["status", "ended_on", "end_reason"])
    CustomerAccount.objects.filter(pk=mandate.account_id).update(direct_debit=False)
    return mandate


#: a mandate unused for 36 months (three years) lapses (SEPA Core rulebook).
EXPIRY_YEARS = 3


def expiry_cutoff(today: dt.date) -> dt.date:
    """Mandates last used (or signed, if never used) before this date have lapsed."""
    try:
        return today.replace(year=today.year - EXPIRY_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year - EXPIRY_YEARS, day=28)


@transaction.atomic
def mandates_expire(*, actor, check_permission: bool = True) -> int:
    """PAY-3: end the active mandates unused for 36 months; returns how many."""
    if check_permission:
        require(actor, Perm.PAYMENT_IMPORT)
    today = clock.today()
    cutoff = expiry_cutoff(today)
    lapsed = (
        Mandate.objects.select_for_update()
        .filter(status=MandateStatus.ACTIVE)
        .filter(
            Q(last_collected_on__lt=cutoff)
            | Q(last_collected_on__isnull=True, signed_on__lt=cutoff)
        )
    )
    ids = list(lapsed.values_list("pk", flat=True))
    if not ids:
        return 0
    Mandate.objects.filter(pk__in=ids).update(
        status=MandateStatus.EXPIRED,
        ended_on=today,
        end_reason=_("Inutilisé pendant 36 mois"),
    )
    CustomerAccount.objects.filter(mandates__pk__in=ids).update(direct_debit=False)
    return len(ids)


# --- collection runs --------------------------------------------------------------------------


def end_to_end_id(invoice_number: str, collection_date: dt.date) -> str:
    return f"{invoice_number}-{collection_date:%y%m%d}"[:35]


def budget_end_to_end_id(instalment: BudgetInstalment, collection_date: dt.date) -> str:
    """``MENS-<plan>-<position>-<yymmdd>``: a monthly-payment instalment (BILL-10)."""
    return budget_end_to_end_id_of(instalment.plan_id, instalment.position, collection_date)


def budget_end_to_end_id_of(plan_id: int, position: int, collection_date: dt.date) -> str:
    """:func:`budget_end_to_end_id` from the instalment's plan id and position."""
    return f"MENS-{plan_id}-{position:02d}-{collection_date:%y%m%d}"[:35]


def plan_end_to_end_id(instalment, collection_date: dt.date) -> str:
    """``<plan number>-<rank>-<yymmdd>``: a payment-plan instalment (COLL-5)."""
    return f"{instalment.plan.number}-{instalment.sequence:02d}-{collection_date:%y%m%d}"[:35]


class _AnyOf(Lookup):
    """``lhs = ANY(%s)``: the ids as one array parameter (PostgreSQL)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        # Cast to the column's type: an array of another type is searched row by row.
        cast = self.lhs.output_field.db_type(connection)
        return f"{lhs} = ANY(%s::{cast}[])", [*params, list(self.rhs)]


def among(path: str, ids: list[int]):
    """A filter: ``path`` is one of ``ids`` (a run's chunk of accounts).

    On PostgreSQL one array parameter: an ``IN`` of 2,000 placeholders costs more to
    build and parse than the query costs to run.
    """
    if connection.vendor == "postgresql":
        return _AnyOf(F(path), list(ids))
    return Q(**{f"{path}__in": ids})


def _no_hold(account_path: str = "account") -> Q:
    """CASE-7: a claim not solved the same day holds the account's direct debit."""
    return ~Exists(
        DirectDebitHold.objects.filter(account=OuterRef(account_path), lifted_at__isnull=True)
    )


def _covered_by_budget_plan() -> Exists:
    """BILL-10: the invoice is a bill of a contract whose live plan covers its period's end."""
    return Exists(
        BudgetPlan.objects.filter(
            contract=OuterRef("invoice__contract"),
            status__in=LIVE_BUDGET_STATUSES,
            period_start__lte=OuterRef("invoice__period_end"),
            period_end__gte=OuterRef("invoice__period_end"),
        )
    )


def _covered_by_payment_plan() -> Exists:
    """COLL-5: the item is in an active payment plan (its instalments are what is paid)."""
    from robinet.collections.choices import PlanState
    from robinet.collections.models import PlanItem

    return Exists(PlanItem.objects.filter(open_item=OuterRef("pk"), plan__state=PlanState.ACTIVE))


def collectable(collection_date: dt.date, *, prenotice: int | None = None):
    """The open invoice items to collect on ``collection_date`` (PAY-3), with their mandate.

    Never a bill a live monthly-payment plan covers (its instalments are debited:
    debiting the bill too would collect twice) nor an item a payment plan covers.
    """
    days = prenotice_days() if prenotice is None else prenotice
    notified_by = collection_date - dt.timedelta(days=days)
    return (
        OpenItem.objects.filter(
            kind=OpenItemKind.INVOICE,
            cleared_on__isnull=True,
            open_amount__gt=0,
            due_date__lte=collection_date,
            invoice__isnull=False,
            invoice__issue_date__lte=notified_by,
            account__direct_debit=True,
        )
        # EXISTS rather than a join: at most one active mandate per account (a unique
        # index), and the planner probes it for the chunk's items instead of hashing all.
        .filter(
            Exists(Mandate.objects.filter(account=OuterRef("account"), status=MandateStatus.ACTIVE))
        )
        .filter(_no_hold())
        # Never debited: NOT EXISTS, not a LEFT JOIN (whose planning hashes every debit
        # ever made for each chunk of a run).
        .filter(~Exists(DirectDebitItem.objects.filter(invoice_id=OuterRef("invoice_id"))))
        .filter(~Q(invoice__kind__in=BILL_KINDS) | ~_covered_by_budget_plan())
        .filter(~_covered_by_payment_plan())
        .select_related("invoice", "account", "account__party")
        .order_by("account_id", "due_date", "id")
    )


def budget_collectable(collection_date: dt.date):
    """BILL-10: the monthly-payment instalments a run on ``collection_date`` collects."""
    return (
        budget.instalments_to_debit(collection_date)
        .filter(
            plan__account__direct_debit=True,
            plan__account__mandates__status=MandateStatus.ACTIVE,
        )
        .filter(_no_hold("plan__account"))
        .select_related("plan__account__party", "plan__contract")
        .order_by("plan__account_id", "due_date", "id")
    )


@dataclass(frozen=True)
class PlanDebit:
    instalment: object  # collections.Instalment
    amount: Decimal
    invoice_id: int | None  # the plan's oldest open debt: the payment goes there first


def plan_collectable(
    collection_date: dt.date, *, account_ids: list[int] | None = None
) -> list[PlanDebit]:
    """COLL-5: the payment-plan instalments a run collects, for what is still owed on each.

    Active plans paid by direct debit, agreed by the date; instalments due by the
    date, not paid (the plan monitor's oldest-first reading of what the plan's
    debts received) and never debited. ``account_ids``: of these accounts only
    (a chunk of the run).
    """
    from robinet.collections import plan_selectors
    from robinet.collections.choices import PlanState
    from robinet.collections.models import Instalment, PlanItem

    due_qs = Instalment.objects.filter(
        plan__state=PlanState.ACTIVE,
        plan__direct_debit=True,
        plan__agreed_on__lte=collection_date,
        plan__account__direct_debit=True,
        plan__account__mandates__status=MandateStatus.ACTIVE,
        due_on__lte=collection_date,
        direct_debit__isnull=True,
    )
    if account_ids is not None:
        due_qs = due_qs.filter(among("plan__account_id", account_ids))
    due = list(
        due_qs.filter(_no_hold("plan__account"))
        .select_related("plan__account__party")
        .order_by("plan__account_id", "plan_id", "sequence")
    )
    if not due:
        return []
    plan_ids = sorted({i.plan_id for i in due})
    paid = plan_selectors.plans_paid(plan_ids)
    schedules: dict[int, list[tuple[int, dt.date, Decimal]]] = {}
    for plan_id, sequence, due_on, amount in Instalment.objects.filter(
        plan_id__in=plan_ids
    ).values_list("plan_id", "sequence", "due_on", "amount"):
        schedules.setdefault(plan_id, []).append((sequence, due_on, amount))
    # Instalments already debited and not rejected are paid (their payments are booked).
    oldest: dict[int, int | None] = {}
    for plan_id, invoice_id in (
        PlanItem.objects.filter(plan_id__in=plan_ids, open_item__open_amount__gt=0)
        .order_by("plan_id", "-open_item__due_date", "-open_item_id")
        .values_list("plan_id", "open_item__invoice_id")
    ):
        oldest[plan_id] = invoice_id  # the last one written is the oldest
    owed = {
        plan_id: plan_arithmetic.left_to_pay(rows, paid=paid.get(plan_id, Decimal(0)))
        for plan_id, rows in schedules.items()
    }
    return [
        PlanDebit(i, owed[i.plan_id][i.sequence], oldest.get(i.plan_id))
        for i in due
        if owed[i.plan_id].get(i.sequence, Decimal(0)) > 0
    ]


def _amendment_originals(account_ids: list[int] | None = None) -> dict[int, dict[str, str]]:
    """Per active mandate, the original values of the fields amended since its last collection
    (of the mandates of ``account_ids`` only, if given)."""
    originals: dict[int, dict[str, str]] = {}
    amendments = MandateAmendment.objects.filter(
        mandate__status=MandateStatus.ACTIVE,
        mandate__last_collected_on__isnull=False,
        changed_on__gt=F("mandate__last_collected_on"),
    )
    if account_ids is not None:
        amendments = amendments.filter(among("mandate__account_id", account_ids))
    amendments = amendments.order_by("created_at", "id")
    for mandate_id, field, old_value in amendments.values_list("mandate_id", "field", "old_value"):
        originals.setdefault(mandate_id, {}).setdefault(field, old_value)
    return originals


def debit_run_create(
    *,
    actor,
    collection_date: dt.date,
    version: str = PainVersion.V08,
    prenotice: int | None = None,
    check_permission: bool = True,
    chunk_size: int | None = None,
    executor=None,
    wait: bool = True,
) -> DirectDebitRun:
    """Collect everything due on ``collection_date`` in one validated pain.008 file (PAY-3).

    The request is checked and the run planned in one transaction (nothing is
    created when it is refused, e.g. nothing to collect); then the run's
    chunks of ``chunk_size`` accounts are executed by ``executor`` (the
    default one: in this process, or the Celery workers when a broker is
    configured), see :mod:`robinet.payments.debit_runs`. With ``wait`` (the
    default) the call returns once the file is built, and raises if the run
    did not finish (failed chunks or file refused: it can be resumed, see
    :func:`debit_run_resume`); without, it returns the run as it is (the
    run's page follows it). Must not be called inside a transaction.
    """
    run = debit_run_plan(
        actor=actor,
        collection_date=collection_date,
        version=version,
        prenotice=prenotice,
        check_permission=check_permission,
        chunk_size=chunk_size,
    )
    return _debit_run_execute(run, actor=actor, executor=executor, wait=wait, resume=False)


@transaction.atomic
def debit_run_plan(
    *,
    actor,
    collection_date: dt.date,
    version: str = PainVersion.V08,
    prenotice: int | None = None,
    check_permission: bool = True,
    chunk_size: int | None = None,
) -> DirectDebitRun:
    """The checks of :func:`debit_run_create`, then the run planned and approved (not executed)."""
    from robinet.core.runs import run_approve, run_create, run_propose
    from robinet.payments import debit_runs

    if check_permission:
        require(actor, Perm.PAYMENT_IMPORT)
    if version not in PainVersion.values:
        raise ValidationFailed({"version": [_("Version inconnue : %s.") % version]})
    check_collection_date(collection_date, today=clock.today())
    if DirectDebitRun.objects.filter(collection_date=collection_date).exists():
        raise ValidationFailed(
            {
                "collection_date": [
                    _("Une remise de prélèvements existe déjà pour le %s.")
                    % collection_date.strftime("%d/%m/%Y")
                ]
            }
        )
    creditor()  # the utility's creditor identifier and IBAN are checked before anything
    user = actor if getattr(actor, "pk", None) else None
    batch = run_create(
        kind=debit_runs.KIND,
        run_date=collection_date,
        parameters={
            "collection_date": collection_date.isoformat(),
            "version": version,
            "prenotice": prenotice,
        },
        chunk_size=chunk_size or debit_runs.DEFAULT_CHUNK_SIZE,
        actor=user,
    )
    run_propose(run=batch, actor=user)
    if not batch.total:
        raise ApplicationError(
            _("Aucune facture ni échéance à prélever le %s.")
            % collection_date.strftime("%d/%m/%Y"),
            code="nothing_to_collect",
        )
    now = clock.now()
    run = DirectDebitRun(
        collection_date=collection_date,
        settles_on=settlement_date(collection_date),
        version=version,
        message_id=f"RBN-DD-{collection_date:%Y%m%d}-{now:%H%M%S}",
        batch_run=batch,
        created_at=now,
        created_by=user,
    )
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:
        raise ApplicationError(
            _("Une remise de prélèvements existe déjà pour cette date ou ce message.")
        ) from None
    batch.parameters["direct_debit_run"] = run.pk
    batch.save(update_fields=["parameters"])
    run_approve(run=batch, actor=user)
    return run


def debit_run_resume(
    *, actor, run: DirectDebitRun, executor=None, wait: bool = False,
    check_permission: bool = True,
) -> DirectDebitRun:  # fmt: skip
    """Finish a run that failed, stalled or could not build its file (PAY-3).

    Only the chunks not done are processed (no debit is booked twice), then
    the file is built.
    """
    from robinet.core.runs import run_can_be_resumed

    if check_permission:
        require(actor, Perm.PAYMENT_IMPORT)
    batch = run.batch_run
    if batch is None or not run_can_be_resumed(batch):
        raise InvalidTransition(_("Seule une remise en échec ou interrompue peut être reprise."))
    return _debit_run_execute(run, actor=actor, executor=executor, wait=wait, resume=True)


def _debit_run_execute(
    run: DirectDebitRun, *, actor, executor, wait: bool, resume: bool
) -> DirectDebitRun:
    from robinet.core.models.runs import RunState
    from robinet.core.runs import run_execute, run_resume

    user = actor if getattr(actor, "pk", None) else None
    service = run_resume if resume else run_execute
    try:
        batch = service(run=run.batch_run, actor=user, executor=executor, wait=wait)
    except Exception:
        if wait:
            raise
        logger.exception("direct-debit run %s: execution stopped", run.pk)
        batch = run.batch_run
        batch.refresh_from_db()
    if not DirectDebitRun.objects.filter(pk=run.pk).exists():
        raise ApplicationError(
            _("Aucune facture ni échéance à prélever le %s : tout a été réglé entre-temps.")
            % run.collection_date.strftime("%d/%m/%Y"),
            code="nothing_to_collect",
        )
    run.refresh_from_db()
    run.batch_run = batch
    if wait and batch.state != RunState.DONE:
        raise ApplicationError(
            _(
                "La remise du %(day)s n'est pas terminée (%(state)s) : %(error)s "
                "Reprenez-la depuis sa page ou avec « robinet sepa resume »."
            )
            % {
                "day": run.collection_date.strftime("%d/%m/%Y"),
                "state": RunState(batch.state).label,
                "error": batch.last_error,
            },
            code="debit_run_unfinished",
        )
    return run


# --- settlement (PAY-3) and rejects (PAY-4) ----------------------------------------------------


@transaction.atomic
def debit_runs_settle(
    *, actor, on: dt.date | None = None, run: DirectDebitRun | None = None,
    check_permission: bool = True,
) -> list[DirectDebitRun]:  # fmt: skip
    """PAY-3: the runs whose settlement date has come are settled on ``on`` (default today).

    With ``run``, that run only (refused before its settlement date or when
    already settled). Their payments stop being pending: they count as
    collected from ``on``. A reject after that still reverses a payment (PAY-4).
    """
    if check_permission:
        require(actor, Perm.PAYMENT_IMPORT)
    today = clock.today()
    on = on or today
    if on > today:
        raise ValidationFailed({"date": [_("La date de règlement ne peut être future.")]})
    runs = DirectDebitRun.objects.select_for_update().defer("file_content")
    if run is not None:
        locked = runs.get(pk=run.pk)
        if not locked.is_built:
            raise InvalidTransition(
                _("Cette remise n'est pas terminée : son fichier n'est pas fait.")
            )
        if locked.settled_on is not None:
            raise InvalidTransition(
                _("Cette remise est déjà réglée (le %s).") % locked.settled_on.strftime("%d/%m/%Y")
            )
        if locked.settles_on > on:
            raise ValidationFailed(
                {
                    "date": [
                        _("Cette remise se règle au plus tôt le %s.")
                        % locked.settles_on.strftime("%d/%m/%Y")
                    ]
                }
            )
        due = [locked]
    else:
        due = list(
            runs.filter(settled_on__isnull=True, settles_on__lte=on)
            .exclude(file_sha256="")  # a run whose chunks are not all done waits
            .order_by("pk")
        )
    user = actor if getattr(actor, "pk", None) else None
    for each in due:
        each.settled_on, each.settled_by = on, user
        each.save(update_fields=["settled_on", "settled_by"])
        audit.record(
            actor=actor,
            verb="direct_debit_run_settled",
            target=each,
            data={"settled_on": on.isoformat(), "items": each.item_count, "total": str(each.total)},
        )
    return due


def debit_reversed(*, actor, payment, reason: str = "") -> None:
    """PAY-4: a direct-debit payment was reversed (reject, return, cancellation).

    Inside the reversal's transaction. A monthly-payment instalment goes back to
    *rejected* (the settlement does not count it); a payment-plan instalment back
    to unpaid — its debts reopened with the reversal, so the plan monitor finds it
    missed once its date plus the grace period has passed, which breaks the plan
    (COLL-5). An invoice reopens with the reversal itself (dunning takes over).
    """
    item = DirectDebitItem.objects.filter(payment=payment).first()
    if item is None:
        return
    if item.kind == DebitKind.BUDGET:
        budget.instalment_debit_rejected(
            actor=actor, instalment_id=item.budget_instalment_id, reason=reason
        )
    elif item.kind == DebitKind.PLAN:
        from robinet.collections.choices import InstalmentState
        from robinet.collections.models import Instalment

        Instalment.objects.filter(pk=item.plan_instalment_id, state=InstalmentState.PAID).update(
            state=InstalmentState.PENDING
        )
