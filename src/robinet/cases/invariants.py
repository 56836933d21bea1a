"""The cases' invariants (``robinet check``): every contact can be found (CASE-1)."""

from django.db.models import F, Q

from robinet.cases.models import Contact
from robinet.core.invariants import Violations, invariant


@invariant(
    "cases.no-orphan-contact",
    "Chaque contact est rattaché à un dossier ou à un client, et au client de son dossier (CASE-1)",
)
def no_orphan_contact() -> Violations:
    orphans = Contact.objects.filter(
        Q(case__isnull=True, account__isnull=True)
        | Q(case__account__isnull=False, account__isnull=False) & ~Q(case__account=F("account"))
    )
    rows = [
        f"contact {pk} du {occurred:%d/%m/%Y} ({'dossier ' + number if number else 'sans dossier'})"
        for pk, occurred, number in orphans.values_list(
            "pk", "occurred_at", "case__number"
        ).order_by("pk")[:10]
    ]
    return Violations.of(rows, orphans.count())
