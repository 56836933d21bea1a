"""Collections' invariants (``robinet check``): no notice while dunning was blocked (COLL-3)."""

from django.db.models import Exists, F, OuterRef, Q

from robinet.collections.choices import INSOLVENCY_BLOCK_REASONS
from robinet.collections.models import CollectionBlock, DunningNotice
from robinet.collections.models_litigation import InsolvencyFile
from robinet.core.invariants import Violations, invariant


@invariant(
    "collections.no-notice-while-blocked",
    "Aucune relance émise sur un compte dont les relances étaient bloquées (COLL-3)",
)
def no_notice_while_blocked() -> Violations:
    """A block recorded before the run started and in force on the issue date forbids the notice

    (COLL-3), except an insolvency file's, which freezes only the file's items (COLL-12)."""
    in_force = CollectionBlock.objects.filter(
        account_id=OuterRef("account_id"),
        created_at__lt=OuterRef("run__started_at"),
        starts_on__lte=OuterRef("issued_on"),
    ).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=OuterRef("issued_on")),
        Q(lifted_on__isnull=True) | Q(lifted_on__gt=OuterRef("issued_on")),
    )
    # The block of an insolvency file freezes the file's items, not the account (COLL-12).
    in_force = in_force.exclude(
        Q(reason__in=INSOLVENCY_BLOCK_REASONS)
        & Exists(
            InsolvencyFile.objects.filter(
                account_id=OuterRef("account_id"), number=OuterRef("reference")
            )
        )
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
