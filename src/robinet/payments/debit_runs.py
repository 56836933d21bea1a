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

from django.db import connection
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from robinet.billing import budget
from robinet.billing.models import BudgetInstalment
from robinet.core.bulk import insert_rows, keys_checked_once
from robinet.core.models import BatchRun
from robinet.core.runs import ChunkResult, register_run_kind
from robinet.customers.models import CustomerAccount
from robinet.ledger.models import OpenItem
from robinet.payments import pain008
from robinet.payments.booking import IncomingPayment, stage_payments
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


def _locked_rows(queryset, *models) -> list[tuple]:
    """The rows of ``queryset`` (a ``values_list``), the rows of ``models`` read locked.

    Django drops ``select_for_update(of=...)`` on a ``values_list``, which would lock
    every table joined: the lock is written here. SQLite locks the whole database.
    """
    if connection.vendor != "postgresql":
        return list(queryset)
    sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    of = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} FOR UPDATE OF {of}", params)
        return cursor.fetchall()


#: the stored columns of a debit, in the order :func:`_process_chunk` writes them (COPY).
ITEM_COLUMNS = (
    "run_id", "mandate_id", "account_id", "kind", "invoice_id", "budget_instalment_id",
    "plan_instalment_id", "payment_id", "end_to_end_id", "sequence", "amount", "amended",
    "position", "mandate_umr", "signed_on", "debtor_name", "debtor_iban", "debtor_bic", "street",
    "postcode", "town", "country", "remittance", "original_umr", "original_iban",
)  # fmt: skip


@keys_checked_once()  # the accounts, invoices and payments looked up once (no deletes here)
def _process_chunk(run: BatchRun, ids: list[int]) -> ChunkResult:
    """Collect what the accounts ``ids`` have to pay on the run's date (one transaction).

    Rows, not model instances: a chunk of 2,000 accounts reads thousands of debits and
    only needs a few fields of each.
    """
    from robinet.payments import sepa

    collection_date, prenotice = _parameters(run)
    dd_run_id = DirectDebitRun.objects.filter(batch_run=run).values_list("pk", flat=True).get()
    actor = run.created_by
    # Locked: a payment taken meanwhile at a counter waits, then finds them settled.
    items = _locked_rows(
        sepa.collectable(collection_date, prenotice=prenotice)
        .filter(sepa.among("account_id", ids))
        .values_list("invoice_id", "invoice__number", "account_id", "open_amount"),
        OpenItem,
    )
    instalments = _locked_rows(
        sepa.budget_collectable(collection_date)
        .filter(sepa.among("plan__account_id", ids))
        .values_list(
            "pk",
            "plan_id",
            "position",
            "amount",
            "plan__account_id",
            "plan__instalment_count",
            "plan__year",
            "plan__contract__number",
        ),  # fmt: skip
        BudgetInstalment,
    )
    plan_debits = sepa.plan_collectable(collection_date, account_ids=ids)
    # The mandates and their accounts locked (as a select_for_update of the mandates joined
    # to their accounts always did), the accounts' parties only read.
    mandates = {
        row[0]: row[1:]
        for row in _locked_rows(
            Mandate.objects.filter(
                sepa.among("account_id", ids),
                status=MandateStatus.ACTIVE,
                account__direct_debit=True,
            )
            .order_by("account_id")
            .values_list(
                "account_id",
                "pk",
                "umr",
                "sequence",
                "signed_on",
                "debtor_name",
                "iban",
                "bic",
                "account__number",
                "account__centre_id",
                "account__party__address_line",
                "account__party__postcode",
                "account__party__city",
                "account__party__country",
            ),  # fmt: skip
            Mandate,
            CustomerAccount,
        )
    }
    originals = sepa._amendment_originals(ids)

    def number(account_id: int) -> str:
        return mandates[account_id][7]

    # One row per debit: (kind, target id, account id, invoice id named, e2e, amount,
    # remittance).
    rows: list[tuple] = []
    for invoice_id, invoice_number, account_id, open_amount in items:
        rows.append(
            (
                DebitKind.INVOICE,
                invoice_id,
                account_id,
                invoice_id,
                sepa.end_to_end_id(invoice_number, collection_date),
                Decimal(open_amount).quantize(Decimal("0.01")),
                f"Facture {invoice_number} client {number(account_id)}",
            )
        )
    for pk, plan_id, position, amount, account_id, count, year, contract in instalments:
        rows.append(
            (
                DebitKind.BUDGET,
                pk,
                account_id,
                None,
                sepa.budget_end_to_end_id_of(plan_id, position, collection_date),
                amount,
                f"Mensualite {position}/{count} {year} "
                f"abonnement {contract} client {number(account_id)}",
            )
        )
    for debit in plan_debits:
        plan = debit.instalment.plan
        rows.append(
            (
                DebitKind.PLAN,
                debit.instalment.pk,
                plan.account_id,
                debit.invoice_id,
                sepa.plan_end_to_end_id(debit.instalment, collection_date),
                debit.amount,
                f"Echeancier {plan.number} echeance {debit.instalment.sequence} "
                f"client {number(plan.account_id)}",
            )
        )

    result = ChunkResult()
    debited = {row[2] for row in rows}
    for account_id in ids:
        if account_id not in debited:
            result.skip(account_id, _("Plus rien à prélever sur ce compte."), "nothing_to_collect")
    if not rows:
        return result

    def incoming(row) -> IncomingPayment:
        _kind, _target, account_id, invoice_id, e2e, amount, _remittance = row
        mandate = mandates[account_id]
        return IncomingPayment(
            account_id=account_id,
            centre_id=mandate[8],
            account_centre_id=mandate[8],
            means=PaymentMeans.DIRECT_DEBIT,
            amount=amount,
            received_on=collection_date,
            invoice_id=invoice_id,
            payer_reference=mandate[1],
            external_reference=e2e,
        )

    # Invoices and payment plans: allocated (PAY-1). Monthly payment: a credit on the account
    # that the consumption invoice clears when it is issued (BILL-10).
    # The gapless payment and journal numbers are taken last (``stage_payments``), once the
    # items, instalments and mandates are written: chunks on two workers take turns on the
    # counters for their last statements only.
    allocated = [r for r in rows if r[0] != DebitKind.BUDGET]
    on_account = [r for r in rows if r[0] == DebitKind.BUDGET]
    staged = [
        stage_payments([incoming(r) for r in allocated], actor=actor),
        stage_payments([incoming(r) for r in on_account], actor=actor, allocate=False),
    ]
    payment_ids = dict(zip([r[4] for r in allocated], staged[0].ids, strict=True))
    payment_ids.update(zip([r[4] for r in on_account], staged[1].ids, strict=True))

    def item_row(position: int, row) -> tuple:
        kind, target_id, account_id, _invoice_id, e2e, amount, remittance = row
        (mandate_id, umr, sequence, signed_on, name, iban, bic, _number, _centre,
         street, postcode, town, country) = mandates[account_id]  # fmt: skip
        original = originals.get(mandate_id, {})
        return (
            dd_run_id, mandate_id, account_id, kind.value,
            target_id if kind == DebitKind.INVOICE else None,
            target_id if kind == DebitKind.BUDGET else None,
            target_id if kind == DebitKind.PLAN else None,
            payment_ids[e2e], e2e, sequence, amount, bool(original), position, umr, signed_on,
            name, iban, bic, street, postcode, town, country or "FR", remittance[:140],
            original.get(AmendedField.UMR, ""), original.get(AmendedField.IBAN, ""),
        )  # fmt: skip

    insert_rows(
        DirectDebitItem,
        ITEM_COLUMNS,
        (item_row(position, row) for position, row in enumerate(rows)),
        written_later="payment_id",
    )
    if instalments:
        budget.instalments_debited(
            instalment_ids=[i[0] for i in instalments],
            collected_on=collection_date,
            mandates={i[1]: mandates[i[4]][0] for i in instalments},
        )
    Mandate.objects.filter(sepa.among("pk", sorted({mandates[a][0] for a in debited}))).update(
        sequence=SequenceType.RECURRING, last_collected_on=collection_date
    )
    for payments in staged:
        payments.write()
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
