"""Collections' invariants (``robinet check``): no notice while dunning was blocked (COLL-3)."""

from django.db.models import Exists, F, OuterRef, Q

from robinet.collections.models import CollectionBlock, DunningNotice
from robinet.core.invariants import Violations, invariant


@invariant(
    "collections.no-notice-while-blocked",
    "Aucune relance émise sur un compte dont les relances étaient bloquées (COLL-3)",
)
def no_notice_while_blocked() -> Violations:
    """A block recorded before the run started and in force on the issue date forbids the notice."""
    in_force = CollectionBlock.objects.filter(
        account_id=OuterRef("account_id"),
        created_at__lt=OuterRef("run__started_at"),
        starts_on__lte=OuterRef("issued_on"),
    ).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=OuterRef("issued_on")),
        Q(lifted_on__isnull=True) | Q(lifted_on__gt=OuterRef("issued_on")),
    )
    notices = DunningNotice.objects.filter(Exists(in_force)).annotate(
        account_number=F("account__number")
    )
    rows = [
        f"relance {number} du {issued:%d/%m/%Y} au compte {account}"
        for number, issued, account in notices.values_list(
            "number", "issued_on", "account_number"
        ).order_by("issued_on", "number")[:10]
    ]
    return Violations.of(rows, notices.count())
