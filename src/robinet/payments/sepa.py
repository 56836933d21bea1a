"""SEPA direct debit (PAY-3): mandates and collection runs, the write side.

* :func:`mandate_create`, :func:`mandate_amend`, :func:`mandate_revoke` —
  ``customer.change`` on the account's centre. Creating an active mandate
  turns the account's ``direct_debit`` flag on, revoking it turns it off.
* :func:`debit_run_create` — ``payment.import``. For one collection date (a
  TARGET2 business day, at least one business day ahead), every open invoice
  of a direct-debit account with an active mandate, due on or before the
  date and pre-notified (its issue date) at least ``ROBINET_SEPA_PRENOTICE_DAYS``
  (14 by default) days before, is collected — except on accounts under monthly
  payment (BILL-10), whose instalments are the debits —: the pain.008 file is built and
  schema-validated, then each debit is booked through
  :func:`~robinet.payments.booking.book_payments` as a ``direct_debit``
  payment received on the collection date, with ``external_reference`` = the
  debit's end-to-end id. The payment is *pending until the settlement date*:
  a later reject (pain.002 / camt.054, PAY-4) finds it by that pair and
  reverses it. All or nothing, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.eu import at_02

from robinet.core import clock
from robinet.core.exceptions import ApplicationError, ValidationFailed
from robinet.customers.models import CustomerAccount
from robinet.ledger.models import OpenItem, OpenItemKind
from robinet.organisation.access import require
from robinet.organisation.roles import Perm
from robinet.payments import pain008, target2
from robinet.payments.booking import IncomingPayment, book_payments
from robinet.payments.models import (
    AmendedField,
    DirectDebitHold,
    DirectDebitItem,
    DirectDebitRun,
    Mandate,
    MandateAmendment,
    MandateStatus,
    PainVersion,
    PaymentMeans,
    SequenceType,
)

DEFAULT_PRENOTICE_DAYS = 14
_UMR = re.compile(r"^[A-Za-z0-9+?/\-:().,' ]{1,35}$")


def prenotice_days() -> int:
    return int(getattr(settings, "ROBINET_SEPA_PRENOTICE_DAYS", DEFAULT_PRENOTICE_DAYS))


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


def collectable(collection_date: dt.date, *, prenotice: int | None = None):
    """The open invoice items to collect on ``collection_date`` (PAY-3), with their mandate."""
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
            invoice__direct_debit__isnull=True,
            account__direct_debit=True,
            # Monthly payment (BILL-10): the schedule's instalments are what is debited, never
            # the consumption invoices themselves (that would collect twice).
            account__monthly_payment=False,
            account__mandates__status=MandateStatus.ACTIVE,
        )
        # CASE-7: a claim not solved the same day holds the account's direct debit.
        .filter(
            ~Exists(
                DirectDebitHold.objects.filter(account=OuterRef("account"), lifted_at__isnull=True)
            )
        )
        .select_related("invoice", "account", "account__party")
        .order_by("account_id", "due_date", "id")
    )


def _amendment_originals() -> dict[int, dict[str, str]]:
    """Per active mandate, the original values of the fields amended since its last collection."""
    originals: dict[int, dict[str, str]] = {}
    amendments = MandateAmendment.objects.filter(
        mandate__status=MandateStatus.ACTIVE,
        mandate__last_collected_on__isnull=False,
        changed_on__gt=F("mandate__last_collected_on"),
    ).order_by("created_at", "id")
    for mandate_id, field, old_value in amendments.values_list("mandate_id", "field", "old_value"):
        originals.setdefault(mandate_id, {}).setdefault(field, old_value)
    return originals


@transaction.atomic
def debit_run_create(
    *,
    actor,
    collection_date: dt.date,
    version: str = PainVersion.V08,
    prenotice: int | None = None,
    check_permission: bool = True,
) -> DirectDebitRun:
    """Collect everything due on ``collection_date`` in one validated pain.008 file (PAY-3)."""
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
    the_creditor = creditor()
    # Locked: a payment taken meanwhile at a counter waits, then finds them settled.
    items = list(collectable(collection_date, prenotice=prenotice).select_for_update(of=("self",)))
    if not items:
        raise ApplicationError(
            _("Aucune facture à prélever le %s.") % collection_date.strftime("%d/%m/%Y"),
            code="nothing_to_collect",
        )
    # Joins, not lists of ids: a run may hold hundreds of thousands of debits.
    mandates = {
        m.account_id: m
        for m in Mandate.objects.select_for_update().filter(
            status=MandateStatus.ACTIVE,
            account__direct_debit=True,
            account__monthly_payment=False,
        )
    }
    originals = _amendment_originals()
    now = clock.now()
    run = DirectDebitRun(
        collection_date=collection_date,
        version=version,
        created_at=now,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    debits, rows = [], []
    for item in items:
        mandate = mandates[item.account_id]
        party = item.account.party
        original = originals.get(mandate.pk, {})
        amount = Decimal(item.open_amount).quantize(Decimal("0.01"))
        e2e = end_to_end_id(item.invoice.number, collection_date)
        debits.append(
            pain008.Debit(
                end_to_end_id=e2e,
                amount=amount,
                sequence=mandate.sequence,
                mandate_id=mandate.umr,
                signed_on=mandate.signed_on,
                debtor_name=mandate.debtor_name,
                debtor_iban=mandate.iban,
                debtor_bic=mandate.bic,
                address=pain008.Address(
                    street=party.address_line,
                    postcode=party.postcode,
                    town=party.city,
                    country=party.country or "FR",
                ),
                remittance=f"Facture {item.invoice.number} client {item.account.number}",
                original_mandate_id=original.get(AmendedField.UMR, ""),
                original_iban=original.get(AmendedField.IBAN, ""),
            )
        )
        rows.append((item, mandate, e2e, amount, bool(original)))
    run.item_count = len(debits)
    run.total = sum((d.amount for d in debits), Decimal("0.00"))
    run.message_id = f"RBN-DD-{collection_date:%Y%m%d}-{now:%H%M%S}"
    run.file_content = pain008.build(
        message_id=run.message_id,
        created_at=timezone.localtime(now),
        collection_date=collection_date,
        creditor=the_creditor,
        debits=debits,
        version=version,
    )
    run.file_sha256 = hashlib.sha256(run.file_content).hexdigest()
    run.file_name = f"prelevements-{collection_date:%Y-%m-%d}.pain.008.{version}.xml"
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:
        raise ApplicationError(
            _("Une remise de prélèvements existe déjà pour cette date ou ce message.")
        ) from None
    payment_ids = book_payments(
        [
            IncomingPayment(
                account_id=item.account_id,
                centre_id=item.account.centre_id,
                account_centre_id=item.account.centre_id,
                means=PaymentMeans.DIRECT_DEBIT,
                amount=amount,
                received_on=collection_date,
                invoice_id=item.invoice_id,
                payer_reference=mandate.umr,
                external_reference=e2e,
            )
            for item, mandate, e2e, amount, _amended in rows
        ],
        actor=actor,
    )
    DirectDebitItem.objects.bulk_create(
        [
            DirectDebitItem(
                run=run,
                mandate=mandate,
                account_id=item.account_id,
                invoice_id=item.invoice_id,
                payment_id=payment_id,
                end_to_end_id=e2e,
                sequence=mandate.sequence,
                amount=amount,
                amended=amended,
            )
            for (item, mandate, e2e, amount, amended), payment_id in zip(
                rows, payment_ids, strict=True
            )
        ],
        batch_size=2000,
    )
    Mandate.objects.filter(
        pk__in=DirectDebitItem.objects.filter(run=run).values("mandate_id")
    ).update(sequence=SequenceType.RECURRING, last_collected_on=collection_date)
    return run
