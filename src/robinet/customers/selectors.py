"""Reads of the customer file, always scoped to what the viewer may see (ORG-2)."""

import re
from collections import defaultdict
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Count, Prefetch, Q, QuerySet, prefetch_related_objects
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from robinet.core import audit
from robinet.core.exceptions import NotFound
from robinet.customers import rules
from robinet.customers.choices import AccountStatus, ContractStatus
from robinet.customers.models import (
    AddressInquiry,
    Comment,
    Contract,
    CustomerAccount,
    Meter,
    Particularity,
    Party,
    ServicePoint,
)
from robinet.customers.search import normalize
from robinet.organisation.access import scope_for
from robinet.organisation.models import Entity, EntityKind
from robinet.organisation.roles import Perm

SEARCH_LIMIT = 25


def _centre_filter(user, perm: str, field: str = "centre") -> Q:
    scope = scope_for(user)
    if scope.is_superuser:
        return Q()
    return Q(**{f"{field}_id__in": scope.centre_ids(perm)})


def account_list(*, user, perm: str = Perm.CUSTOMER_VIEW) -> QuerySet[CustomerAccount]:
    """The accounts of the centres where ``user`` holds ``perm``."""
    return CustomerAccount.objects.filter(_centre_filter(user, perm))


def search_terms(query: str) -> list[str]:
    """The words the text search looks for."""
    return [t for t in normalize(query or "").split() if t]


_SEPARATORS = re.compile(r"[\s.\-/]")
_CODE = re.compile(r"^[A-Za-z0-9]*[0-9][A-Za-z0-9]*$")


def _identifier_account_ids(query: str) -> set[int] | None:
    """Accounts whose identifier is exactly ``query``, or None if it does not look like one.

    Customer and contract numbers, service-point references, meter serials,
    SIRET, phones (any usual form) and e-mails are found through their own
    unique or plain B-tree indexes, one small query each (an OR across the
    joined tables would defeat the indexes).
    """
    query = query.strip()
    if "@" in query and " " not in query:
        parties = Party.objects.filter(email=query.lower()).values("pk")
        return set(CustomerAccount.objects.filter(party__in=parties).values_list("pk", flat=True))
    compact = _SEPARATORS.sub("", query)
    if not _CODE.match(compact.removeprefix("+")) or (
        " " in query and not compact.lstrip("+").isdigit()
    ):
        return None
    code = compact.upper()
    ids = set(CustomerAccount.objects.filter(number=compact).values_list("pk", flat=True))
    ids |= set(Contract.objects.filter(number=code).values_list("account_id", flat=True))
    points = set(ServicePoint.objects.filter(reference=code).values_list("pk", flat=True))
    points |= set(
        Meter.objects.filter(serial=code, service_point__isnull=False).values_list(
            "service_point_id", flat=True
        )
    )
    if points:
        ids |= set(
            Contract.objects.filter(service_point__in=points).values_list("account_id", flat=True)
        )
    parties: set[int] = set()
    if compact.isdigit() and len(compact) == 14:
        parties |= set(Party.objects.filter(siret=compact).values_list("pk", flat=True))
    if compact.lstrip("+").isdigit():
        try:
            phone = rules.normalize_phone(query)
        except ValueError:
            phone = ""
        if phone:
            parties |= set(Party.objects.filter(mobile=phone).values_list("pk", flat=True))
            parties |= set(Party.objects.filter(landline=phone).values_list("pk", flat=True))
    if parties:
        ids |= set(CustomerAccount.objects.filter(party__in=parties).values_list("pk", flat=True))
    return ids


def _terms_filter(terms: list[str], *, prefix_last: bool) -> Q:
    """Every term is a word of the search text; the last one may be the start of a word."""
    long_terms = [t for t in terms if len(t) >= 3]
    if long_terms:
        # Words of one or two letters ("de", "la") add nothing but a full scan.
        terms = long_terms
    last = len(terms) - 1
    if connection.vendor == "postgresql":
        # GIN full-text index (migration 0003); terms hold only [a-z0-9@.+].
        tsquery = " & ".join(
            f"'{t}'" + (":*" if prefix_last and i == last else "") for i, t in enumerate(terms)
        )
        return Q(
            RawSQL(
                "to_tsvector('simple'::regconfig, customers_customeraccount.search_text) @@ to_tsquery('simple', %s)",
                (tsquery,),
                output_field=BooleanField(),
            )
        )
    patterns = [f"% {t}%" if prefix_last and i == last else f"% {t} %" for i, t in enumerate(terms)]
    if connection.vendor == "sqlite" and long_terms:
        # FTS5 trigram index (migration 0004) serves these LIKE patterns.
        where = " AND ".join("search_text LIKE %s" for _ in patterns)
        return Q(
            pk__in=RawSQL(f"SELECT rowid FROM customers_account_search WHERE {where}", patterns)
        )
    query = Q()
    for pattern in patterns:
        query &= Q(search_text__contains=pattern.strip("%"))
    return query


def customer_search(*, user, query: str, limit: int = SEARCH_LIMIT) -> list[CustomerAccount]:
    """Accounts found by ``query``: an identifier, or words of names and addresses.

    An identifier (customer or contract number, service-point reference,
    meter serial, SIRET, phone in any usual form, e-mail) is looked up
    exactly. Otherwise every word must be a word of the account's names or
    addresses, accents and case ignored; the last one may be the start of a
    word (what is being typed); on PostgreSQL whole words are tried first
    because they are cheap on common names. Returns at most ``limit + 1``
    accounts (the extra one tells the screen to ask for more precision),
    sorted by name.
    """
    accounts = account_list(user=user).select_related("party", "centre").order_by()
    found: list[CustomerAccount] = []
    ids = _identifier_account_ids(query or "")
    if ids:
        found = list(accounts.filter(pk__in=sorted(ids))[: limit + 1])
    terms = search_terms(query)
    if found or not terms or all(len(t) < 2 for t in terms):
        return _with_active_contracts(_sorted(found))
    if connection.vendor == "postgresql":
        # A prefix of a common word unions many index entries; the whole word is one.
        found = list(accounts.filter(_terms_filter(terms, prefix_last=False))[: limit + 1])
    if len(found) <= limit:
        found = list(accounts.filter(_terms_filter(terms, prefix_last=True))[: limit + 1])
    return _with_active_contracts(_sorted(found))


def _sorted(accounts: list[CustomerAccount]) -> list[CustomerAccount]:
    return sorted(
        accounts,
        key=lambda a: (
            a.status != AccountStatus.ACTIVE,
            a.party.name,
            a.party.first_name,
            a.number,
        ),
    )


def _with_active_contracts(found: list[CustomerAccount]) -> list[CustomerAccount]:
    # The result list shows the address of each account's active contract.
    prefetch_related_objects(
        found,
        Prefetch(
            "contracts",
            queryset=Contract.objects.filter(status=ContractStatus.ACTIVE)
            .select_related("service_point")
            .order_by("start_date"),
            to_attr="active_contracts",
        ),
    )
    return found


def particularity_get_for_user(
    *, user, account: CustomerAccount, pk: int, active: bool = True
) -> Particularity:
    """One particularity of an account the user may change (NotFound otherwise)."""
    queryset = Particularity.objects.filter(
        account__in=account_list(user=user, perm=Perm.CUSTOMER_CHANGE), account=account, pk=pk
    )
    if active:
        queryset = queryset.filter(ended_on__isnull=True)
    particularity = queryset.first()
    if particularity is None:
        raise NotFound(_("Particularité introuvable."))
    return particularity


def account_get_for_user(
    *, user, number: str | None = None, pk: int | None = None, perm: str = Perm.CUSTOMER_VIEW
) -> CustomerAccount:
    """One account if the user may see it; otherwise NotFound (its existence is not revealed)."""
    lookup = {"number": number} if number is not None else {"pk": pk}
    account = (
        account_list(user=user, perm=perm)
        .select_related("party", "centre__parent__parent")
        .filter(**lookup)
        .first()
    )
    if account is None:
        raise NotFound(_("Compte client introuvable."))
    return account


def service_point_list(*, user, perm: str = Perm.CUSTOMER_VIEW) -> QuerySet[ServicePoint]:
    return ServicePoint.objects.filter(_centre_filter(user, perm))


def service_point_get_for_user(
    *, user, reference: str | None = None, pk: int | None = None, perm: str = Perm.CUSTOMER_VIEW
) -> ServicePoint:
    lookup = {"reference": reference} if reference is not None else {"pk": pk}
    service_point = service_point_list(user=user, perm=perm).filter(**lookup).first()
    if service_point is None:
        raise NotFound(_("Point de desserte introuvable."))
    return service_point


def contract_list(*, user, perm: str = Perm.CUSTOMER_VIEW) -> QuerySet[Contract]:
    return Contract.objects.filter(_centre_filter(user, perm, "account__centre"))


def contract_get_for_user(
    *, user, number: str | None = None, pk: int | None = None, perm: str = Perm.CUSTOMER_VIEW
) -> Contract:
    lookup = {"number": number} if number is not None else {"pk": pk}
    contract = (
        contract_list(user=user, perm=perm)
        .select_related("account__centre", "service_point")
        .filter(**lookup)
        .first()
    )
    if contract is None:
        raise NotFound(_("Abonnement introuvable."))
    return contract


def meter_list(*, user, perm: str = Perm.CUSTOMER_VIEW) -> QuerySet[Meter]:
    return Meter.objects.filter(_centre_filter(user, perm, "service_point__centre"))


def meter_get_for_user(*, user, serial: str, perm: str = Perm.CUSTOMER_VIEW) -> Meter:
    meter = (
        meter_list(user=user, perm=perm)
        .select_related("service_point")
        .filter(serial=serial.upper())
        .first()
    )
    if meter is None:
        raise NotFound(_("Compteur introuvable."))
    return meter


def vacant_service_points(*, user, centre: Entity | None = None) -> QuerySet[ServicePoint]:
    """Service points without an active contract, for a move-in."""
    queryset = service_point_list(user=user, perm=Perm.CONTRACT_CHANGE).exclude(
        contracts__status=ContractStatus.ACTIVE
    )
    if centre is not None:
        queryset = queryset.filter(centre=centre)
    return queryset


def customer_overview(*, user, account: CustomerAccount) -> dict[str, Any]:
    """Everything the customer page (360°) shows, in a fixed number of queries."""
    party = account.party
    contracts = list(
        account.contracts.select_related("service_point", "start_meter").order_by(
            "-status", "-start_date"
        )
    )
    sp_ids = [c.service_point_id for c in contracts]
    meters_by_sp: dict[int, list[Meter]] = defaultdict(list)
    for meter in Meter.objects.filter(service_point_id__in=sp_ids).order_by("-installed_on"):
        meters_by_sp[meter.service_point_id].append(meter)
    for contract in contracts:
        contract.meters = meters_by_sp.get(contract.service_point_id, [])
        contract.active_meter = next((m for m in contract.meters if m.removed_on is None), None)
    events = (
        audit.AuditEvent.objects.filter(
            Q(subject_type="customers.customeraccount", subject_id=str(account.pk))
            | Q(subject_type="customers.party", subject_id=str(party.pk))
            # The service points of its contracts: meter changes, accessibility…
            | Q(subject_type="customers.servicepoint", subject_id__in=[str(i) for i in sp_ids])
        )
        .select_related("actor")
        .order_by("-occurred_at", "-id")[:100]
    )
    return {
        "account": account,
        "party": party,
        "other_accounts": list(account_list(user=user).filter(party=party).exclude(pk=account.pk)),
        "contracts": contracts,
        "particularities": list(account.particularities.order_by("ended_on", "-started_on")),
        "comments": list(account.comments.select_related("author")[:50]),
        "open_inquiry": AddressInquiry.objects.filter(
            account=account, closed_on__isnull=True
        ).first(),
        "events": list(events),
        "mobile_display": rules.format_phone(party.mobile),
        "landline_display": rules.format_phone(party.landline),
        "consistency_errors": rules.check_consistency(
            {f: getattr(party, f) for f in ("kind", "civility", "siret", "name_complement")},
            {f: getattr(account, f) for f in ("customer_class", "naf_code", "site_type")},
        ),
    }


def customer_data_export(*, account: CustomerAccount) -> dict[str, Any]:
    """CUST-8: all the data Robinet holds on the account's party, as plain JSON-able data."""
    party = account.party
    accounts = list(party.accounts.all())
    account_ids = [a.pk for a in accounts]
    contracts = list(
        Contract.objects.filter(account_id__in=account_ids).select_related("service_point")
    )
    sp_ids = {c.service_point_id for c in contracts}
    return {
        "format": "robinet-gdpr-export/1",
        "party": audit.snapshot(party),
        "accounts": [
            audit.snapshot(
                a, [f.attname for f in a._meta.concrete_fields if f.name != "search_text"]
            )
            for a in accounts
        ],
        "contracts": [audit.snapshot(c) for c in contracts],
        "service_points": [audit.snapshot(sp) for sp in ServicePoint.objects.filter(pk__in=sp_ids)],
        "meters": [audit.snapshot(m) for m in Meter.objects.filter(service_point_id__in=sp_ids)],
        "particularities": [
            audit.snapshot(p) for p in Particularity.objects.filter(account_id__in=account_ids)
        ],
        "comments": [
            audit.snapshot(c, ["id", "account_id", "text", "created_at"])
            for c in Comment.objects.filter(account_id__in=account_ids)
        ],
        "address_inquiries": [
            audit.snapshot(i) for i in AddressInquiry.objects.filter(account_id__in=account_ids)
        ],
        "history": [
            {"date": e.occurred_at.isoformat(), "action": e.verb, "changes": e.changes}
            for e in audit.AuditEvent.objects.filter(
                Q(
                    subject_type="customers.customeraccount",
                    subject_id__in=[str(i) for i in account_ids],
                )
                | Q(subject_type="customers.party", subject_id=str(party.pk))
            ).order_by("occurred_at", "id")
        ],
    }


# --- data quality (CUST-12) ------------------------------------------------------------------

QUALITY_MEASURES = (
    ("mobile", gettext_lazy("Portable")),
    ("email", gettext_lazy("E-mail")),
    ("iban", gettext_lazy("IBAN")),
    ("direct_debit", gettext_lazy("Prélèvement")),
    ("monthly_payment", gettext_lazy("Mensualisation")),
    ("e_invoice", gettext_lazy("Facture électronique")),
)


def _rate(part: int, total: int) -> float | None:
    return round(100 * part / total, 1) if total else None  # a display percentage, not money


def quality_report(*, user) -> list[dict[str, Any]]:
    """Completion rates of active accounts per centre, rolled up to agencies and the region."""
    accounts = account_list(user=user, perm=Perm.QUALITY_VIEW).filter(status=AccountStatus.ACTIVE)
    rows = accounts.values("centre_id").annotate(
        total=Count("id"),
        mobile=Count("id", filter=~Q(party__mobile="")),
        email=Count("id", filter=~Q(party__email="")),
        iban=Count("id", filter=~Q(iban="")),
        direct_debit=Count("id", filter=Q(direct_debit=True)),
        monthly_payment=Count("id", filter=Q(monthly_payment=True)),
        e_invoice=Count("id", filter=Q(e_invoice=True)),
    )
    by_centre = {r["centre_id"]: r for r in rows}
    entities = {e.pk: e for e in Entity.objects.all()}
    totals: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for centre_id, row in by_centre.items():
        entity = entities[centre_id]
        chain = [entity.pk] + [int(x) for x in entity.path.strip("/").split("/")[:-1]]
        for entity_id in chain:
            for key in ("total", *(m for m, _label in QUALITY_MEASURES)):
                totals[entity_id][key] += row[key]
    report = []
    for entity in sorted((entities[i] for i in totals), key=lambda e: e.path):
        counts = totals[entity.pk]
        report.append(
            {
                "entity": entity,
                "depth": entity.path.count("/") - 2,
                "total": counts["total"],
                "rates": [
                    (label, counts[m], _rate(counts[m], counts["total"]))
                    for m, label in QUALITY_MEASURES
                ],
            }
        )
    return report


def consistency_breaches(*, user, limit: int = 500) -> list[dict[str, Any]]:
    """Accounts breaking CUST-2…4 (the data-quality control list)."""
    candidates = (
        account_list(user=user, perm=Perm.QUALITY_VIEW)
        .filter(status=AccountStatus.ACTIVE)
        .filter(
            Q(customer_class="individual", party__kind="company")
            | Q(party__kind="company", party__civility__in=["M.", "Mme", "M. et Mme"])
            | Q(
                customer_class__in=["professional", "local_authority", "administration"],
                party__siret="",
            )
            | Q(
                customer_class__in=["professional", "local_authority", "administration"],
                party__kind="person",
            )
            | Q(customer_class="syndic")
            & (
                ~Q(party__civility="SDC")
                | ~Q(party__siret="")
                | ~Q(party__kind="company")
                | ~Q(party__name_complement__istartswith="géré par")
            )
            | Q(party__kind="person") & ~Q(party__siret="")
        )
        .select_related("party", "centre")
        .order_by("number")[:limit]
    )
    result = []
    for account in candidates:
        party = account.party
        errors = rules.check_consistency(
            {f: getattr(party, f) for f in ("kind", "civility", "siret", "name_complement")},
            {f: getattr(account, f) for f in ("customer_class", "naf_code", "site_type")},
        )
        if errors:
            result.append({"account": account, "errors": errors})
    return result


def entity_centres_for(*, user, perm: str = Perm.CUSTOMER_CHANGE) -> QuerySet[Entity]:
    scope = scope_for(user)
    queryset = Entity.objects.filter(kind=EntityKind.CENTRE)
    if scope.is_superuser:
        return queryset
    return queryset.filter(pk__in=scope.centre_ids(perm))
