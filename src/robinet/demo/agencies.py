"""An external collection agency for the demo utility (COLL-8, ORG-4).

Run after the dunning demo: one agency, the demo user ``agence`` linked to
it, a few debts at the last dunning level assigned to it (their dunning is
held), and a report file imported with a contact, a promise and a collection.
"""

from __future__ import annotations

import datetime as dt

from robinet.collections import agencies, agency_files
from robinet.collections.agency_selectors import assignment_candidates
from robinet.collections.models import CollectionAgency
from robinet.organisation.models import User

AGENCY_CODE = "CREST"
AGENCY_USER = "agence"
ASSIGNED = 3


def _last_level_accounts(today: dt.date, count: int) -> list:
    """Free candidates at the highest dunning level they reached (biggest debts first)."""
    candidates = [c for c in assignment_candidates(user=None, on=today) if c.level > 0]
    if not candidates:
        return []
    top = max(c.level for c in candidates)
    return [c.account for c in candidates if c.level == top][:count]


def seed_demo(today: dt.date) -> dict[str, int]:
    """Seed the agency, its assignments and a report; idempotent. Returns counts to print."""
    counts = {"agencies": 0, "assignments": 0, "agency_reports": 0}
    if CollectionAgency.objects.filter(code=AGENCY_CODE).exists():
        return counts
    agency = agencies.agency_create(
        actor=None,
        code=AGENCY_CODE,
        name="Cabinet Recouvrement Est",
        address="12 quai des Bateliers, 67000 Strasbourg",
        email="dossiers@recouvrement-est.example",
        commission_rate="12",
    )
    counts["agencies"] = 1
    user = User.objects.filter(username=AGENCY_USER).first()
    if user is not None:
        agencies.member_link(actor=None, agency=agency, user=user)
    accounts = _last_level_accounts(today, ASSIGNED)
    if not accounts:
        return counts
    assignments = agencies.debts_assign(actor=None, agency=agency, accounts=accounts, on=today)
    counts["assignments"] = len(assignments)
    first = assignments[0]
    paid = min(first.amount, max(first.amount / 2, 1)).quantize(first.amount)
    lines = [
        "reference;assignment;account;date;kind;amount;promised_on;commission;note",
        f"CR-0001;{first.reference};{first.account.number};{today.isoformat()};contact;;;;"
        "Débiteur joint par téléphone",
        f"CR-0002;{first.reference};{first.account.number};{today.isoformat()};promesse;"
        f"{first.amount - paid:.2f};{(today + dt.timedelta(days=15)).isoformat()};;",
        f"CR-0003;{first.reference};{first.account.number};{today.isoformat()};encaissement;"
        f"{paid:.2f};;;Virement de l'agence à suivre (relevé)",
    ]
    if first.amount - paid <= 0:
        del lines[2]
    outcome = agency_files.reports_import(
        actor=None,
        agency=agency,
        source="\n".join(lines).encode("utf-8"),
        filename=f"compte-rendu-{AGENCY_CODE}-{today:%Y%m%d}.csv",
    )
    counts["agency_reports"] = len(outcome.created)
    return counts
