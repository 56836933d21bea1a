"""The ledger's invariants (``robinet check``, PAY-1, PAY-7)."""

from django.db.models import Count, DecimalField, F, Max, Min, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round

from robinet.core import clock
from robinet.core.invariants import Violations, invariant, sequence_gaps
from robinet.core.models.numbering import Sequence
from robinet.ledger import reconciliation
from robinet.ledger.models import DEBIT_KINDS, Allocation, JournalEntry, JournalLine, OpenItem

MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(0, output_field=MONEY)


@invariant("ledger.balanced-entries", "Chaque écriture est équilibrée, débit = crédit (PAY-7)")
def balanced_entries() -> Violations:
    unbalanced = (
        JournalLine.objects.values("entry_id")
        # Rounded to the cent: SQLite sums decimals as floats.
        .annotate(debit=Round(Sum("debit"), 2), credit=Round(Sum("credit"), 2))
        .exclude(debit=F("credit"))
        .values_list("entry_id", "debit", "credit")
        .order_by("entry_id")
    )
    rows = [f"écriture {e} : débit {d} ≠ crédit {c}" for e, d, c in unbalanced]
    return Violations.of(rows)


@invariant("ledger.gapless-entry-numbers", "Écritures numérotées sans trou par journal et exercice")
def gapless_entry_numbers() -> Violations:
    rows = [
        (f"J{journal}", year, count, smallest, largest)
        for journal, year, count, smallest, largest in JournalEntry.objects.values(
            "journal", "year"
        )
        .annotate(count=Count("id"), smallest=Min("number"), largest=Max("number"))
        .values_list("journal", "year", "count", "smallest", "largest")
        .order_by("journal", "year")
    ]
    found = sequence_gaps(rows)
    used = {(series, year): largest for series, year, _c, _s, largest in rows}
    for series, year, last in Sequence.objects.filter(series__startswith="J").values_list(
        "series", "year", "last_value"
    ):
        if (series, year) in used and last != used[(series, year)]:
            found.append(
                f"{series} {year} : compteur à {last}, dernier numéro {used[(series, year)]}"
            )
    return Violations.of(found)


def _allocated(side: str):
    return Coalesce(
        Subquery(
            Allocation.objects.filter(**{side: OuterRef("pk")})
            .values(side)
            .annotate(total=Sum("amount"))
            .values("total"),
            output_field=MONEY,
        ),
        ZERO,
    )


@invariant(
    "ledger.open-amounts", "Reste dû de chaque pièce = montant − lettrages, jamais dépassé (PAY-1)"
)
def open_amounts() -> Violations:
    """The open amount is what allocations left: an item is never cleared beyond its amount."""
    # A debit (amount > 0) goes down by what clears it, a credit (amount < 0) up to 0.
    items = OpenItem.objects.annotate(
        allocated=_allocated("debit") - _allocated("credit"),
    ).filter(~Q(open_amount=Round(F("amount") - F("allocated"), 2)))
    rows = [
        f"pièce {number} ({'débit' if kind in DEBIT_KINDS else 'crédit'}) : montant {amount}, "
        f"lettré {allocated}, reste dû enregistré {open_amount}"
        for number, kind, amount, allocated, open_amount in items.values_list(
            "document_number", "kind", "amount", "allocated", "open_amount"
        ).order_by("id")[:10]
    ]
    return Violations.of(rows, items.count())


@invariant(
    "ledger.sub-ledger-equals-general-ledger",
    "Σ des comptes clients = comptes 411/416 du grand livre, par centre (PAY-7)",
)
def sub_ledger_equals_general_ledger() -> Violations:
    result = reconciliation.report(actor=None, on=clock.today(), check_permission=False)
    rows = []
    for line in result.centres:
        if line.balanced:
            continue
        accounts = ", ".join(f"{a.number} ({a.difference})" for a in line.accounts[:5])
        rows.append(
            f"centre {line.entity.code} : comptes clients {line.sub_ledger}, grand livre "
            f"{line.general_ledger}, écart {line.difference} — {accounts}"
        )
    return Violations.of(rows)
