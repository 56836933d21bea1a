"""The direct-debit run as a chunked run (PAY-3): kind ``payments.direct_debit``.

:func:`robinet.payments.sepa.debit_run_create` validates the request, then
creates a :class:`~robinet.payments.models.DirectDebitRun` and its
``core.BatchRun`` (parameters: collection date, pain.008 version,
pre-notification days) in one transaction. The run goes like any other run of
:mod:`robinet.core.runs`:

* **targets**: the ids of the accounts with something collectable on the
  collection date at proposal time (an invoice, a monthly-payment instalment,
  a payment-plan instalment); none at all is the « nothing to collect » error,
  and nothing is created;
* **a chunk** (one transaction, in-process or on a ``robinet worker``)
  computes again what its accounts have to collect — the run's selectors
  (:func:`~robinet.payments.sepa.collectable`,
  :func:`~robinet.payments.sepa.budget_collectable`,
  :func:`~robinet.payments.sepa.plan_collectable`) filtered by account —
  locks it with the accounts' mandates, books one pending payment per debit,
  inserts the :class:`~robinet.payments.models.DirectDebitItem` rows, marks
  the monthly-payment instalments collected and moves the mandates to RCUR.
  Each item keeps what its line of the file says and could change afterwards
  (sequence type, UMR, signature date, debtor name, IBAN, BIC, address,
  remittance text, original UMR/IBAN of an amended mandate). An account with
  nothing left to collect (paid at a counter meanwhile) is *skipped*. A
  replayed chunk cannot collect twice: an invoice, an instalment and an
  end-to-end id are each debited once (unique keys);
* **on done** (:func:`build_file`, inside the transaction that moves the run
  to done, by whichever process finished the last chunk): the pain.008 is
  built from the stored items in the order of the one-shot run (invoices, then
  monthly-payment instalments, then payment-plan instalments, each by account
  then as selected), XSD-validated, and stored with its digest, count and
  total. If that fails, the run stays running with every chunk done and
  ``run_resume`` builds it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from robinet.billing import budget
from robinet.core.models import BatchRun
from robinet.core.runs import ChunkResult, register_run_kind
from robinet.payments import pain008
from robinet.payments.booking import IncomingPayment, book_payments
from robinet.payments.models import (
    AmendedField,
    DebitKind,
    DirectDebitItem,
    DirectDebitRun,
    Mandate,
    MandateStatus,
    PaymentMeans,
    SequenceType,
)

KIND = "payments.direct_debit"
#: accounts per chunk (about 37 debits per 100 accounts at 1,000,000 customers)
DEFAULT_CHUNK_SIZE = 2000

_TARGET_FIELD = {
    DebitKind.INVOICE: "invoice",
    DebitKind.BUDGET: "budget_instalment",
    DebitKind.PLAN: "plan_instalment",
}


def _parameters(run: BatchRun) -> tuple[dt.date, int | None]:
    p = run.parameters
    return dt.date.fromisoformat(p["collection_date"]), p.get("prenotice")


def collectable_account_ids(collection_date: dt.date, *, prenotice: int | None = None) -> list[int]:
    """The accounts with something to collect on ``collection_date`` (increasing ids)."""
    from robinet.payments import sepa

    ids = set(
        sepa.collectable(collection_date, prenotice=prenotice)
        .order_by()
        .values_list("account_id", flat=True)
        .distinct()
    )
    ids.update(
        sepa.budget_collectable(collection_date)
        .order_by()
        .values_list("plan__account_id", flat=True)
        .distinct()
    )
    ids.update(d.instalment.plan.account_id for d in sepa.plan_collectable(collection_date))
    return sorted(ids)


def _targets(run: BatchRun):
    collection_date, prenotice = _parameters(run)
    return collectable_account_ids(collection_date, prenotice=prenotice)


def _process_chunk(run: BatchRun, ids: list[int]) -> ChunkResult:
    """Collect what the accounts ``ids`` have to pay on the run's date (one transaction)."""
    from robinet.payments import sepa

    collection_date, prenotice = _parameters(run)
    dd_run = DirectDebitRun.objects.defer("file_content").get(batch_run=run)
    actor = run.created_by
    # Locked: a payment taken meanwhile at a counter waits, then finds them settled.
    items = list(
        sepa.collectable(collection_date, prenotice=prenotice)
        .filter(account_id__in=ids)
        .select_for_update(of=("self",))
    )
    instalments = list(
        sepa.budget_collectable(collection_date)
        .filter(plan__account_id__in=ids)
        .select_for_update(of=("self",))
    )
    plan_debits = sepa.plan_collectable(collection_date, account_ids=ids)
    mandates = {
        m.account_id: m
        for m in Mandate.objects.select_for_update().filter(
            status=MandateStatus.ACTIVE, account__direct_debit=True, account_id__in=ids
        )
    }
    originals = sepa._amendment_originals(ids)

    # One row per debit: (kind, target, account, invoice id named, e2e, amount, remittance).
    rows: list[tuple] = []
    for item in items:
        rows.append(
            (
                DebitKind.INVOICE,
                item.invoice,
                item.account,
                item.invoice_id,
                sepa.end_to_end_id(item.invoice.number, collection_date),
                Decimal(item.open_amount).quantize(Decimal("0.01")),
                f"Facture {item.invoice.number} client {item.account.number}",
            )
        )
    for instalment in instalments:
        plan = instalment.plan
        rows.append(
            (
                DebitKind.BUDGET,
                instalment,
                plan.account,
                None,
                sepa.budget_end_to_end_id(instalment, collection_date),
                instalment.amount,
                f"Mensualite {instalment.position}/{plan.instalment_count} {plan.year} "
                f"abonnement {plan.contract.number} client {plan.account.number}",
            )
        )
    for debit in plan_debits:
        plan = debit.instalment.plan
        rows.append(
            (
                DebitKind.PLAN,
                debit.instalment,
                plan.account,
                debit.invoice_id,
                sepa.plan_end_to_end_id(debit.instalment, collection_date),
                debit.amount,
                f"Echeancier {plan.number} echeance {debit.instalment.sequence} "
                f"client {plan.account.number}",
            )
        )

    result = ChunkResult()
    debited = {row[2].pk for row in rows}
    for account_id in ids:
        if account_id not in debited:
            result.skip(account_id, _("Plus rien à prélever sur ce compte."), "nothing_to_collect")
    if not rows:
        return result

    def incoming(row) -> IncomingPayment:
        _kind, _target, account, invoice_id, e2e, amount, _remittance = row
        return IncomingPayment(
            account_id=account.pk,
            centre_id=account.centre_id,
            account_centre_id=account.centre_id,
            means=PaymentMeans.DIRECT_DEBIT,
            amount=amount,
            received_on=collection_date,
            invoice_id=invoice_id,
            payer_reference=mandates[account.pk].umr,
            external_reference=e2e,
        )

    # Invoices and payment plans: allocated (PAY-1). Monthly payment: a credit on the account
    # that the consumption invoice clears when it is issued (BILL-10).
    allocated = [r for r in rows if r[0] != DebitKind.BUDGET]
    on_account = [r for r in rows if r[0] == DebitKind.BUDGET]
    payment_ids = dict(
        zip(
            [r[4] for r in allocated],
            book_payments([incoming(r) for r in allocated], actor=actor),
            strict=True,
        )
    )
    payment_ids.update(
        zip(
            [r[4] for r in on_account],
            book_payments([incoming(r) for r in on_account], actor=actor, allocate=False),
            strict=True,
        )
    )

    def item_row(position: int, row) -> DirectDebitItem:
        kind, target, account, _invoice_id, e2e, amount, remittance = row
        mandate = mandates[account.pk]
        party = account.party
        original = originals.get(mandate.pk, {})
        return DirectDebitItem(
            run=dd_run,
            kind=kind,
            mandate=mandate,
            account_id=account.pk,
            payment_id=payment_ids[e2e],
            end_to_end_id=e2e,
            sequence=mandate.sequence,
            amount=amount,
            amended=bool(original),
            position=position,
            mandate_umr=mandate.umr,
            signed_on=mandate.signed_on,
            debtor_name=mandate.debtor_name,
            debtor_iban=mandate.iban,
            debtor_bic=mandate.bic,
            street=party.address_line,
            postcode=party.postcode,
            town=party.city,
            country=party.country or "FR",
            remittance=remittance[:140],
            original_umr=original.get(AmendedField.UMR, ""),
            original_iban=original.get(AmendedField.IBAN, ""),
            **{_TARGET_FIELD[kind]: target},
        )

    DirectDebitItem.objects.bulk_create(
        [item_row(position, row) for position, row in enumerate(rows)], batch_size=2000
    )
    if instalments:
        budget.instalments_debited(
            instalment_ids=[i.pk for i in instalments],
            collected_on=collection_date,
            mandates={i.plan_id: mandates[i.plan.account_id].pk for i in instalments},
        )
    Mandate.objects.filter(pk__in=sorted({mandates[a].pk for a in debited})).update(
        sequence=SequenceType.RECURRING, last_collected_on=collection_date
    )
    return result


def file_order() -> Case:
    """Invoices, then monthly-payment instalments, then payment-plan instalments (as one run)."""
    return Case(
        When(kind=DebitKind.INVOICE, then=Value(0)),
        When(kind=DebitKind.BUDGET, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def file_debits(dd_run: DirectDebitRun) -> list[pain008.Debit]:
    """The debits of ``dd_run`` as its file lists them, from what each item stored."""
    rows = (
        DirectDebitItem.objects.filter(run=dd_run)
        .annotate(file_rank=file_order())
        .order_by("file_rank", "account_id", "position")
        .values_list(
            "end_to_end_id",
            "amount",
            "sequence",
            "mandate_umr",
            "signed_on",
            "debtor_name",
            "debtor_iban",
            "debtor_bic",
            "street",
            "postcode",
            "town",
            "country",
            "remittance",
            "original_umr",
            "original_iban",
        )  # fmt: skip
        .iterator(chunk_size=5000)
    )
    return [
        pain008.Debit(
            end_to_end_id=e2e,
            amount=amount,
            sequence=sequence,
            mandate_id=umr,
            signed_on=signed_on,
            debtor_name=name,
            debtor_iban=iban,
            debtor_bic=bic,
            address=pain008.Address(street=street, postcode=postcode, town=town, country=country),
            remittance=remittance,
            original_mandate_id=original_umr,
            original_iban=original_iban,
        )
        for (
            e2e,
            amount,
            sequence,
            umr,
            signed_on,
            name,
            iban,
            bic,
            street,
            postcode,
            town,
            country,
            remittance,
            original_umr,
            original_iban,
        ) in rows  # fmt: skip
    ]


def build_file(run: BatchRun) -> None:
    """``on_done``: the run's pain.008, built once from its items, validated and stored."""
    from robinet.payments import sepa

    dd_run = DirectDebitRun.objects.select_for_update().get(batch_run=run)
    if dd_run.is_built:
        return
    debits = file_debits(dd_run)
    if not debits:
        # Everything was paid between the plan and its chunks: there is no remittance to
        # send, and the collection date is free again (the run stays, every account skipped).
        dd_run.delete()
        return
    content = pain008.build(
        message_id=dd_run.message_id,
        created_at=timezone.localtime(dd_run.created_at),
        collection_date=dd_run.collection_date,
        creditor=sepa.creditor(),
        debits=debits,
        version=dd_run.version,
    )
    dd_run.item_count = len(debits)
    dd_run.total = sum((d.amount for d in debits), Decimal("0.00"))
    dd_run.file_content = content
    dd_run.file_sha256 = hashlib.sha256(content).hexdigest()
    dd_run.file_name = (
        f"prelevements-{dd_run.collection_date:%Y-%m-%d}.pain.008.{dd_run.version}.xml"
    )
    dd_run.save(update_fields=["item_count", "total", "file_content", "file_sha256", "file_name"])


def register() -> None:
    register_run_kind(
        KIND,
        targets=_targets,
        process_chunk=_process_chunk,
        on_done=build_file,
        label="Prélèvements SEPA",
        replace=True,
    )
