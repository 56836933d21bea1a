"""Every write on the customer file (CUST-1…12), with its audit event (ORG-3).

Entry points take ``actor`` (the user, or ``None`` for a system job such as
an import command) and raw field values; they normalise and validate the
values, check the actor's permission on the account's centre (ORG-2), write
in one transaction and record the before/after values.
"""

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from robinet.core import audit, clock
from robinet.core.exceptions import ApplicationError, ValidationFailed
from robinet.customers import rules, screening
from robinet.customers.choices import (
    WRITTEN_CHANNELS,
    AccountStatus,
    Channel,
    ContractEndReason,
    ContractStatus,
    CustomerClass,
    MeterAccessibility,
    ParticularityKind,
    PartyKind,
    PremisesUse,
    Requester,
    SiteType,
)
from robinet.customers.hooks import account_balance, record_contract_reading
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
from robinet.customers.numbers import (
    ACCOUNT_SERIES,
    CONTRACT_SERIES,
    SERVICE_POINT_SERIES,
    account_number,
    contract_number,
    service_point_reference,
)
from robinet.customers.search import account_search_text
from robinet.organisation.access import require
from robinet.organisation.models import Entity, EntityKind
from robinet.organisation.roles import Perm

PARTY_FIELDS = (
    "kind",
    "civility",
    "name",
    "first_name",
    "name_complement",
    "birth_date",
    "birth_place",
    "siret",
    "email",
    "mobile",
    "landline",
    "preferred_contact_method",
    "address_line",
    "address_complement",
    "postcode",
    "city",
    "commune_insee",
)
ACCOUNT_FIELDS = (
    "customer_class", "site_type", "naf_code", "e_invoice", "payment_terms_days",
    "chorus_service_code", "chorus_commitment_number",
)  # fmt: skip
MAX_PAYMENT_TERMS_DAYS = 60  # French law caps B2B terms at 60 days
ADDRESS_FIELDS = ("address_line", "address_complement", "postcode", "city", "commune_insee")
PHONE_FIELDS = ("mobile", "landline")


class BloctelNoticeRequired(ApplicationError):
    """CUST-5: a phone number of a person is recorded only once the Bloctel notice is given."""

    def __init__(self, fields: Iterable[str]) -> None:
        names = list(fields)
        message = _(
            "Informez le client de son droit d'inscription sur Bloctel avant d'enregistrer son numéro."
        )
        super().__init__(
            message, code="bloctel_notice_required", fields={n: [message] for n in names}
        )


# --- helpers ---------------------------------------------------------------------------------


def _check(actor, perm: str, centre: Entity) -> None:
    # ``actor=None`` is a system job (import, demo, command) run by an operator.
    if actor is not None:
        require(actor, perm, centre)


@functools.cache
def _values(choices) -> frozenset[str]:
    return frozenset(choices.values)


def parse_choice(
    bag: rules.ErrorBag, name: str, value: Any, choices, *, required: bool = True
) -> str:
    value = (value or "").strip() if isinstance(value, str) else value
    if not value:
        if required:
            bag.add(name, _("Ce champ est obligatoire."))
        return ""
    if value not in _values(choices):
        bag.add(name, _("Valeur inconnue : %(value)s.") % {"value": value})
        return ""
    return value


def normalise_field(bag: rules.ErrorBag, name: str, fn, raw, **kwargs) -> str:
    try:
        return fn(raw, **kwargs)
    except ValueError as exc:
        bag.add(name, str(exc))
        return ""


def _text(data: Mapping[str, Any], name: str, max_length: int) -> str:
    value = data.get(name)
    value = "" if value is None else str(value).strip()
    return value[:max_length]


def parse_date(
    bag: rules.ErrorBag, name: str, value: Any, *, required: bool = False
) -> dt.date | None:
    if value in (None, ""):
        if required:
            bag.add(name, _("Ce champ est obligatoire."))
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        try:
            return dt.datetime.strptime(str(value).strip(), "%d/%m/%Y").date()  # noqa: DTZ007
        except ValueError:
            bag.add(name, _("Date invalide (attendu AAAA-MM-JJ ou JJ/MM/AAAA)."))
            return None


def parse_index(
    bag: rules.ErrorBag, name: str, value: Any, *, required: bool = True
) -> Decimal | None:
    if value in (None, ""):
        if required:
            bag.add(name, _("Ce champ est obligatoire."))
        return None
    if isinstance(value, float):
        raise TypeError("meter indexes are Decimal, never float")
    try:
        index = Decimal(str(value).replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        bag.add(name, _("Index invalide."))
        return None
    if not index.is_finite():  # "NaN", "Infinity" parse as Decimals
        bag.add(name, _("Index invalide."))
        return None
    if index < 0 or index >= Decimal("1000000000"):
        bag.add(name, _("Index hors limites."))
        return None
    return index.quantize(Decimal("0.001"))


def clean_party(data: Mapping[str, Any], bag: rules.ErrorBag) -> dict[str, Any]:
    """Normalised party values from raw input; errors go into ``bag``."""
    values: dict[str, Any] = {}
    values["kind"] = parse_choice(bag, "kind", data.get("kind"), PartyKind)
    values["civility"] = _text(data, "civility", 32)
    values["name"] = _text(data, "name", 120)
    if not values["name"]:
        bag.add("name", _("Ce champ est obligatoire."))
    values["first_name"] = _text(data, "first_name", 80)
    values["name_complement"] = _text(data, "name_complement", 120)
    values["birth_date"] = parse_date(bag, "birth_date", data.get("birth_date"))
    values["birth_place"] = _text(data, "birth_place", 80)
    values["siret"] = normalise_field(bag, "siret", rules.normalize_siret, data.get("siret"))
    values["email"] = normalise_field(bag, "email", rules.normalize_email, data.get("email"))
    region = rules.phone_region_for(data.get("commune_insee"))
    values["mobile"] = normalise_field(
        bag, "mobile", rules.normalize_phone, data.get("mobile"), region=region, mobile=True
    )
    values["landline"] = normalise_field(
        bag, "landline", rules.normalize_phone, data.get("landline"), region=region, mobile=False
    )
    values["preferred_contact_method"] = _text(data, "preferred_contact_method", 8)
    for name in ("address_line", "address_complement", "city"):
        values[name] = _text(data, name, 160 if name != "city" else 80)
    values["postcode"] = _text(data, "postcode", 10)
    values["commune_insee"] = _text(data, "commune_insee", 5)
    for name, messages in rules.check_address(
        postcode=values["postcode"], commune_insee=values["commune_insee"]
    ).items():
        for message in messages:
            bag.add(name, message)
    if values["commune_insee"] and not values["city"]:
        from robinet.referential import commune_get

        commune = commune_get(values["commune_insee"])
        values["city"] = commune.name if commune else ""
    return values


def clean_account(data: Mapping[str, Any], bag: rules.ErrorBag) -> dict[str, Any]:
    values: dict[str, Any] = {}
    values["customer_class"] = parse_choice(
        bag, "customer_class", data.get("customer_class"), CustomerClass
    )
    values["site_type"] = parse_choice(
        bag, "site_type", data.get("site_type"), SiteType, required=False
    )
    values["naf_code"] = normalise_field(bag, "naf_code", rules.normalize_naf, data.get("naf_code"))
    values["e_invoice"] = bool(data.get("e_invoice", False))
    values["payment_terms_days"] = _payment_terms(bag, data.get("payment_terms_days"))
    # BILL-8: the Chorus Pro references of a public-sector customer.
    values["chorus_service_code"] = _text(data, "chorus_service_code", 100)
    values["chorus_commitment_number"] = _text(data, "chorus_commitment_number", 50)
    if (values["chorus_service_code"] or values["chorus_commitment_number"]) and values[
        "customer_class"
    ] not in (CustomerClass.LOCAL_AUTHORITY, CustomerClass.ADMINISTRATION):
        bag.add(
            "chorus_service_code",
            _("Chorus Pro ne concerne que les collectivités et les administrations."),
        )
    return values


def _payment_terms(bag: rules.ErrorBag, raw: Any) -> int:
    if raw is None or raw == "":
        return 15
    try:
        days = int(str(raw).strip())
    except ValueError:
        bag.add("payment_terms_days", _("Nombre de jours invalide."))
        return 15
    if not 0 <= days <= MAX_PAYMENT_TERMS_DAYS:
        bag.add(
            "payment_terms_days",
            _("Entre 0 et %(max)s jours.") % {"max": MAX_PAYMENT_TERMS_DAYS},
        )
    return days


def add_consistency_errors(
    bag: rules.ErrorBag, party: Mapping[str, Any], account: Mapping[str, Any]
) -> None:
    for name, messages in rules.check_consistency(party, account).items():
        if name not in bag.errors:  # one message per field: the normalisation error comes first
            for message in messages:
                bag.add(name, message)


def _bloctel(
    party_values: Mapping[str, Any], before: Mapping[str, Any] | None, notice_given: bool
) -> bool:
    """True when a person's phone number is being recorded (CUST-5); raises without the notice."""
    if party_values.get("kind") != PartyKind.PERSON:
        return False
    changed = [
        name
        for name in PHONE_FIELDS
        if party_values.get(name) and party_values.get(name) != (before or {}).get(name)
    ]
    if changed and not notice_given:
        raise BloctelNoticeRequired(changed)
    return bool(changed)


def account_search_text_refresh(account_ids: Iterable[int]) -> None:
    """Recompute the search text of accounts from their party, contracts, service points, meters."""
    ids = sorted(set(account_ids))
    for start in range(0, len(ids), 2000):
        _refresh_search_chunk(ids[start : start + 2000])


def _refresh_search_chunk(ids: list[int]) -> None:
    accounts = list(CustomerAccount.objects.filter(pk__in=ids).select_related("party"))
    places: dict[int, list[str]] = {}
    contracts = (
        Contract.objects.filter(account_id__in=ids).select_related("service_point").order_by("pk")
    )
    for contract in contracts:
        sp = contract.service_point
        places.setdefault(contract.account_id, []).extend(
            [f"{sp.street_number} {sp.street}", sp.postcode, sp.city]
        )
    for account in accounts:
        account.search_text = account_search_text(vars(account.party), places.get(account.pk, []))
    CustomerAccount.objects.bulk_update(accounts, ["search_text"], batch_size=500)


def _party_account_ids(party: Party) -> list[int]:
    return list(party.accounts.values_list("pk", flat=True))


def _next(series: str) -> int:
    from robinet.core.numbering import next_number

    return next_number(series)


# --- parties and accounts --------------------------------------------------------------------


@transaction.atomic
def customer_create(
    *,
    actor,
    centre: Entity,
    party: Mapping[str, Any],
    account: Mapping[str, Any],
    bloctel_notice_given: bool = False,
    opened_on: dt.date | None = None,
) -> CustomerAccount:
    """Create a party and its first customer account (CUST-1…5). Validates user input."""
    _check(actor, Perm.CUSTOMER_CHANGE, centre)
    if centre.kind != EntityKind.CENTRE:
        raise ValidationFailed({"centre": [_("Un compte client appartient à un centre.")]})
    bag = rules.ErrorBag()
    party_values = clean_party(party, bag)
    account_values = clean_account(account, bag)
    add_consistency_errors(bag, party_values, account_values)
    if bag:
        raise ValidationFailed(bag.errors)
    notice = _bloctel(party_values, None, bloctel_notice_given)
    now = clock.now()
    new_party = Party.objects.create(
        **party_values, created_at=now, updated_at=now, bloctel_notice_at=now if notice else None
    )
    new_account = CustomerAccount.objects.create(
        party=new_party,
        centre=centre,
        number=account_number(_next(ACCOUNT_SERIES)),
        opened_on=opened_on or clock.today(),
        **account_values,
    )
    audit.record(
        actor=actor,
        verb="customer_created",
        target=new_account,
        changes=audit.diff({}, {**audit.snapshot(new_party, PARTY_FIELDS), **account_values}),
    )
    if notice:
        audit.record(
            actor=actor, verb="bloctel_notice_given", target=new_party, subject=new_account
        )
    account_search_text_refresh([new_account.pk])
    return new_account


@transaction.atomic
def party_update(
    *,
    actor,
    account: CustomerAccount,
    party: Mapping[str, Any] | None = None,
    account_data: Mapping[str, Any] | None = None,
    bloctel_notice_given: bool = False,
) -> CustomerAccount:
    """Update the party (identity, contact data, address) and the account's class fields.

    Validates user input (CUST-2…5). Fields absent from ``party`` / ``account_data``
    keep their value. Changing the postal address clears a returned-mail flag.
    """
    _check(actor, Perm.CUSTOMER_CHANGE, account.centre)
    locked_party = Party.objects.select_for_update().get(pk=account.party_id)
    locked_account = CustomerAccount.objects.select_for_update().get(pk=account.pk)
    before_party = audit.snapshot(locked_party, PARTY_FIELDS)
    before_account = audit.snapshot(locked_account, ACCOUNT_FIELDS)
    bag = rules.ErrorBag()
    party_values = clean_party({**before_party, **(party or {})}, bag)
    account_values = clean_account({**before_account, **(account_data or {})}, bag)
    add_consistency_errors(bag, party_values, account_values)
    # Every other account of the party must stay consistent too (one party, several accounts).
    for other in locked_party.accounts.exclude(pk=account.pk):
        for name, messages in rules.check_consistency(
            party_values, audit.snapshot(other, ACCOUNT_FIELDS)
        ).items():
            bag.add(
                name,
                _("%(message)s (compte %(number)s)")
                % {"message": messages[0], "number": other.number},
            )
    if bag:
        raise ValidationFailed(bag.errors)
    notice = _bloctel(party_values, before_party, bloctel_notice_given)
    for name, value in party_values.items():
        setattr(locked_party, name, value)
    for name, value in account_values.items():
        setattr(locked_account, name, value)
    party_changes = audit.diff(before_party, audit.snapshot(locked_party, PARTY_FIELDS))
    account_changes = audit.diff(before_account, audit.snapshot(locked_account, ACCOUNT_FIELDS))
    changes = {**party_changes, **account_changes}
    if not changes:
        return locked_account
    locked_party.updated_at = clock.now()
    if notice:
        locked_party.bloctel_notice_at = locked_party.updated_at
    locked_party.save(update_fields=[*party_changes, "updated_at", "bloctel_notice_at"])
    if account_changes:
        locked_account.save(update_fields=list(account_changes))
    audit.record(
        actor=actor,
        verb="customer_updated",
        target=locked_party,
        subject=locked_account,
        changes=changes,
    )
    if notice:
        audit.record(
            actor=actor, verb="bloctel_notice_given", target=locked_party, subject=locked_account
        )
    if set(party_changes) & set(ADDRESS_FIELDS) and locked_party.address_invalid_since:
        _returned_mail_clear(
            actor=actor, party=locked_party, outcome=_("Nouvelle adresse enregistrée.")
        )
    account_search_text_refresh(_party_account_ids(locked_party))
    return locked_account


@transaction.atomic
def bank_details_update(
    *,
    actor,
    account: CustomerAccount,
    iban: str,
    bic: str = "",
    channel: str,
    requester: str = Requester.HOLDER,
) -> CustomerAccount:
    """Record the account's IBAN/BIC (CUST-6).

    A change asked by a third party must come in writing: refused over the
    phone or at the counter. Validates user input.
    """
    _check(actor, Perm.CUSTOMER_CHANGE, account.centre)
    _require_written(
        channel, requester, _("Une modification de coordonnées bancaires demandée par un tiers")
    )
    bag = rules.ErrorBag()
    clean_iban = normalise_field(bag, "iban", rules.normalize_iban, iban)
    clean_bic = (
        normalise_field(bag, "bic", rules.normalize_bic, bic, iban=clean_iban)
        if clean_iban or bic
        else ""
    )
    if bag:
        raise ValidationFailed(bag.errors)
    locked = CustomerAccount.objects.select_for_update().get(pk=account.pk)
    before = audit.snapshot(locked, ["iban", "bic"])
    locked.iban, locked.bic = clean_iban, clean_bic
    if not clean_iban:
        locked.direct_debit = False
    locked.save(update_fields=["iban", "bic", "direct_debit"])
    audit.record(
        actor=actor,
        verb="bank_details_updated",
        target=locked,
        changes=audit.diff(before, audit.snapshot(locked, ["iban", "bic"])),
        data={"channel": channel, "requester": requester},
    )
    return locked


def _require_written(channel: str, requester: str, what: str) -> None:
    if channel not in Channel.values:
        raise ValidationFailed({"channel": [_("Canal inconnu.")]})
    if requester == Requester.THIRD_PARTY and channel not in WRITTEN_CHANNELS:
        raise ApplicationError(
            _(
                "%(what)s doit être faite par écrit (courrier ou e-mail) : refusée par téléphone ou à l'accueil."
            )
            % {"what": what},
            code="written_request_required",
            fields={"channel": [_("Demande écrite obligatoire.")]},
        )


@transaction.atomic
def particularity_add(
    *,
    actor,
    account: CustomerAccount,
    kind: str,
    comment: str = "",
    started_on: dt.date | None = None,
) -> Particularity:
    """Flag a particularity (CUST-7). NEC carries no justification comment, ever."""
    _check(actor, Perm.CUSTOMER_CHANGE, account.centre)
    bag = rules.ErrorBag()
    kind = parse_choice(bag, "kind", kind, ParticularityKind)
    comment = (comment or "").strip()
    if kind == ParticularityKind.NEC and comment:
        bag.add(
            "comment",
            _("Aucun commentaire ne doit justifier une particularité NEC (donnée médicale)."),
        )
    elif comment:
        _screen(bag, "comment", comment)
    if bag:
        raise ValidationFailed(bag.errors)
    if account.particularities.filter(kind=kind, ended_on__isnull=True).exists():
        raise ApplicationError(
            _("Cette particularité est déjà active sur le compte."), code="already_active"
        )
    particularity = Particularity.objects.create(
        account=account, kind=kind, comment=comment, started_on=started_on or clock.today()
    )
    audit.record(
        actor=actor,
        verb="particularity_added",
        target=particularity,
        subject=account,
        data={"kind": kind},
    )
    return particularity


@transaction.atomic
def particularity_end(
    *, actor, particularity: Particularity, ended_on: dt.date | None = None
) -> Particularity:
    account = particularity.account
    _check(actor, Perm.CUSTOMER_CHANGE, account.centre)
    if particularity.ended_on is not None:
        raise ApplicationError(_("Cette particularité est déjà levée."), code="already_ended")
    particularity.ended_on = ended_on or clock.today()
    particularity.save(update_fields=["ended_on"])
    audit.record(
        actor=actor,
        verb="particularity_ended",
        target=particularity,
        subject=account,
        data={"kind": particularity.kind},
    )
    return particularity


def _screen(bag: rules.ErrorBag, name: str, text: str) -> None:
    result = screening.screen_comment(text)
    for finding in result.findings:
        bag.add(name, f"« {finding.excerpt} » : {finding.explanation}")


@transaction.atomic
def comment_add(*, actor, account: CustomerAccount, text: str) -> Comment:
    """Add a free-text note, refused with an explanation when it breaks CUST-8."""
    _check(actor, Perm.CUSTOMER_CHANGE, account.centre)
    bag = rules.ErrorBag()
    text = (text or "").strip()
    if not text:
        bag.add("text", _("Ce champ est obligatoire."))
    else:
        _screen(bag, "text", text)
    if bag:
        raise ValidationFailed(
            bag.errors, _("Commentaire refusé (RGPD) : reformulez en décrivant des faits.")
        )
    comment = Comment.objects.create(
        account=account, text=text, author=actor, created_at=clock.now()
    )
    audit.record(actor=actor, verb="comment_added", target=comment, subject=account)
    return comment


@transaction.atomic
def returned_mail_record(
    *, actor, account: CustomerAccount, received_on: dt.date | None = None
) -> AddressInquiry:
    """CUST-11: the address is invalid, dunning pauses, an internal search task opens."""
    _check(actor, Perm.CUSTOMER_CHANGE, account.centre)
    received_on = received_on or clock.today()
    party = Party.objects.select_for_update().get(pk=account.party_id)
    if party.address_invalid_since is None:
        party.address_invalid_since = received_on
        party.save(update_fields=["address_invalid_since"])
    CustomerAccount.objects.filter(pk=account.pk, mail_returned_on__isnull=True).update(
        mail_returned_on=received_on
    )
    inquiry = AddressInquiry.objects.filter(account=account, closed_on__isnull=True).first()
    if inquiry is None:
        inquiry = AddressInquiry.objects.create(account=account, opened_on=received_on)
    audit.record(
        actor=actor,
        verb="returned_mail_recorded",
        target=account,
        data={"received_on": received_on, "inquiry": inquiry.pk},
    )
    return inquiry


def _returned_mail_clear(*, actor, party: Party, outcome: str) -> None:
    today = clock.today()
    Party.objects.filter(pk=party.pk).update(address_invalid_since=None)
    for account in party.accounts.filter(mail_returned_on__isnull=False):
        CustomerAccount.objects.filter(pk=account.pk).update(mail_returned_on=None)
        AddressInquiry.objects.filter(account=account, closed_on__isnull=True).update(
            closed_on=today, outcome=outcome
        )
        audit.record(
            actor=actor, verb="returned_mail_cleared", target=account, data={"outcome": outcome}
        )


@transaction.atomic
def returned_mail_clear(*, actor, account: CustomerAccount, outcome: str) -> None:
    """Close the address search: the customer was found (outcome says how)."""
    _check(actor, Perm.CUSTOMER_CHANGE, account.centre)
    _returned_mail_clear(
        actor=actor, party=account.party, outcome=outcome.strip() or _("Client retrouvé.")
    )


# --- service points and meters ---------------------------------------------------------------


def clean_service_point(data: Mapping[str, Any], bag: rules.ErrorBag) -> dict[str, Any]:
    """Normalised service-point values from raw input (CUST-9); errors go into ``bag``."""
    values = {
        "street_number": _text(data, "street_number", 10),
        "street": _text(data, "street", 120),
        "address_complement": _text(data, "address_complement", 120),
        "postcode": _text(data, "postcode", 5),
        "commune_insee": _text(data, "commune_insee", 5),
        "city": _text(data, "city", 80),
        "premises_use": parse_choice(bag, "premises_use", data.get("premises_use"), PremisesUse),
        "meter_location": _text(data, "meter_location", 80) or "N/A",
        "meter_accessibility": parse_choice(
            bag,
            "meter_accessibility",
            data.get("meter_accessibility") or MeterAccessibility.UNKNOWN,
            MeterAccessibility,
        ),
        "drinking_water": bool(data.get("drinking_water", True)),
        "collective_sanitation": bool(data.get("collective_sanitation", False)),
        "non_collective_sanitation": bool(data.get("non_collective_sanitation", False)),
    }
    try:
        raw = data.get("dwellings")
        values["dwellings"] = 1 if raw in (None, "") else int(raw)
        if values["dwellings"] < 1:
            raise ValueError
    except (TypeError, ValueError):
        bag.add("dwellings", _("Nombre de logements invalide (entier ≥ 1)."))
    if not values["street"]:
        bag.add("street", _("Ce champ est obligatoire."))
    if not values["commune_insee"]:
        bag.add("commune_insee", _("Ce champ est obligatoire."))
    for name, messages in rules.check_address(
        postcode=values["postcode"], commune_insee=values["commune_insee"]
    ).items():
        for message in messages:
            bag.add(name, message)
    if values["collective_sanitation"] and values["non_collective_sanitation"]:
        bag.add(
            "non_collective_sanitation",
            _("Assainissement collectif ou non collectif, pas les deux."),
        )
    if not values["city"] and not bag:
        from robinet.referential import commune_get

        values["city"] = commune_get(values["commune_insee"]).name
    return values


def parse_diameter(bag: rules.ErrorBag, name: str, value: Any) -> int:
    try:
        diameter = int(value)
        if not 10 <= diameter <= 500:
            raise ValueError
    except (TypeError, ValueError):
        bag.add(name, _("Diamètre invalide (en mm, entre 10 et 500)."))
        return 0
    return diameter


@transaction.atomic
def service_point_create(*, actor, centre: Entity, data: Mapping[str, Any]) -> ServicePoint:
    """Create a service point (CUST-9). Validates user input; meter location is never empty."""
    _check(actor, Perm.CONTRACT_CHANGE, centre)
    bag = rules.ErrorBag()
    values = clean_service_point(data, bag)
    if bag:
        raise ValidationFailed(bag.errors)
    service_point = ServicePoint.objects.create(
        reference=service_point_reference(_next(SERVICE_POINT_SERIES)), centre=centre, **values
    )
    audit.record(
        actor=actor,
        verb="service_point_created",
        target=service_point,
        changes=audit.diff({}, values),
    )
    meter_serial = _text(data, "meter_serial", 20)
    if meter_serial:
        meter_install(
            actor=actor,
            service_point=service_point,
            serial=meter_serial,
            diameter_mm=data.get("meter_diameter_mm") or 15,
            installed_on=data.get("meter_installed_on"),
        )
    return service_point


SERVICE_POINT_FIELDS = (
    "street_number", "street", "address_complement", "postcode", "commune_insee", "city", "premises_use",
    "dwellings", "drinking_water", "collective_sanitation", "non_collective_sanitation", "meter_location",
    "meter_accessibility",
)  # fmt: skip


@transaction.atomic
def service_point_update(
    *, actor, service_point: ServicePoint, data: Mapping[str, Any]
) -> ServicePoint:
    """Correct a service point: address, use, services, meter location and accessibility (CUST-9).

    Fields absent from ``data`` keep their value. Validates user input.
    """
    _check(actor, Perm.CONTRACT_CHANGE, service_point.centre)
    locked = ServicePoint.objects.select_for_update().get(pk=service_point.pk)
    before = audit.snapshot(locked, SERVICE_POINT_FIELDS)
    merged = {**before, **data}
    if "commune_insee" in data and "city" not in data:
        merged["city"] = ""  # a new commune brings its own name
    bag = rules.ErrorBag()
    values = clean_service_point(merged, bag)
    if bag:
        raise ValidationFailed(bag.errors)
    for name, value in values.items():
        setattr(locked, name, value)
    changes = audit.diff(before, audit.snapshot(locked, SERVICE_POINT_FIELDS))
    if changes:
        locked.save(update_fields=list(changes))
        audit.record(actor=actor, verb="service_point_updated", target=locked, changes=changes)
        _refresh_service_point_accounts(locked)
    return locked


@transaction.atomic
def meter_install(
    *, actor, service_point: ServicePoint, serial: str, diameter_mm: Any, installed_on: Any = None
) -> Meter:
    """Install a meter at a service point (the previous one must have been removed)."""
    _check(actor, Perm.CONTRACT_CHANGE, service_point.centre)
    bag = rules.ErrorBag()
    serial = (serial or "").strip().upper()
    if not serial:
        bag.add("serial", _("Ce champ est obligatoire."))
    diameter = parse_diameter(bag, "diameter_mm", diameter_mm)
    installed = parse_date(bag, "installed_on", installed_on) or clock.today()
    if bag:
        raise ValidationFailed(bag.errors)
    if Meter.objects.filter(service_point=service_point, removed_on__isnull=True).exists():
        raise ValidationFailed(
            {
                "serial": [
                    _("Un compteur est déjà posé sur ce point de desserte : déposez-le d'abord.")
                ]
            }
        )
    meter = Meter.objects.filter(serial=serial).first()
    if meter is not None and (meter.service_point_id and meter.removed_on is None):
        raise ValidationFailed(
            {"serial": [_("Ce compteur est déjà posé sur un autre point de desserte.")]}
        )
    if meter is None:
        meter = Meter.objects.create(
            serial=serial, diameter_mm=diameter, service_point=service_point, installed_on=installed
        )
    else:
        meter.service_point, meter.installed_on, meter.removed_on = service_point, installed, None
        meter.diameter_mm = diameter
        meter.save(update_fields=["service_point", "installed_on", "removed_on", "diameter_mm"])
    audit.record(
        actor=actor,
        verb="meter_installed",
        target=meter,
        subject=service_point,
        data={"serial": serial, "diameter_mm": diameter, "installed_on": installed},
    )
    _refresh_service_point_accounts(service_point)
    return meter


@transaction.atomic
def meter_remove(*, actor, meter: Meter, removed_on: Any = None) -> Meter:
    service_point = meter.service_point
    if service_point is None or meter.removed_on is not None:
        raise ApplicationError(_("Ce compteur n'est pas posé."), code="meter_not_installed")
    _check(actor, Perm.CONTRACT_CHANGE, service_point.centre)
    bag = rules.ErrorBag()
    removed = parse_date(bag, "removed_on", removed_on) or clock.today()
    if meter.installed_on and removed < meter.installed_on:
        bag.add("removed_on", _("La date de dépose précède la date de pose."))
    if bag:
        raise ValidationFailed(bag.errors)
    meter.removed_on = removed
    meter.save(update_fields=["removed_on"])
    audit.record(
        actor=actor,
        verb="meter_removed",
        target=meter,
        subject=service_point,
        data={"removed_on": removed},
    )
    return meter


def _refresh_service_point_accounts(service_point: ServicePoint) -> None:
    account_search_text_refresh(
        Contract.objects.filter(service_point=service_point).values_list("account_id", flat=True)
    )


# --- contracts (CUST-10) ---------------------------------------------------------------------


def _active_meter(service_point: ServicePoint) -> Meter | None:
    return Meter.objects.filter(service_point=service_point, removed_on__isnull=True).first()


@transaction.atomic
def contract_move_in(
    *,
    actor,
    account: CustomerAccount,
    service_point: ServicePoint,
    start_date: Any,
    meter_serial: str,
    start_index: Any,
    water: bool = True,
    sanitation: bool | None = None,
    previous_contract: Contract | None = None,
    free_of_charge: bool = False,
) -> Contract:
    """Move-in (*arrivée*): a new contract with its move-in reading; the meter serial is checked."""
    _check(actor, Perm.CONTRACT_CHANGE, account.centre)
    _check(actor, Perm.CONTRACT_CHANGE, service_point.centre)
    bag = rules.ErrorBag()
    start = parse_date(bag, "start_date", start_date, required=True)
    index = parse_index(bag, "start_index", start_index)
    meter = _active_meter(service_point)
    serial = (meter_serial or "").strip().upper()
    if meter is None:
        bag.add("meter_serial", _("Aucun compteur posé sur ce point de desserte."))
    elif serial != meter.serial:
        bag.add(
            "meter_serial",
            _("Le matricule ne correspond pas au compteur posé (%(serial)s).")
            % {"serial": meter.serial},
        )
    if account.status != AccountStatus.ACTIVE:
        bag.add("account", _("Le compte client est clos."))
    if sanitation is None:
        sanitation = service_point.collective_sanitation
    if not water and not sanitation:
        bag.add("water", _("Un abonnement porte sur l'eau, l'assainissement ou les deux."))
    if bag:
        raise ValidationFailed(bag.errors)
    ServicePoint.objects.select_for_update().get(pk=service_point.pk)
    current = Contract.objects.filter(
        service_point=service_point, status=ContractStatus.ACTIVE
    ).first()
    if current is not None:
        raise ApplicationError(
            _(
                "Le point de desserte a déjà un abonnement en cours (%(number)s) : enregistrez d'abord le départ."
            )
            % {"number": current.number},
            code="service_point_occupied",
            fields={"service_point": [_("Abonnement en cours.")]},
        )
    last = Contract.objects.filter(service_point=service_point).order_by("-end_date").first()
    if last is not None and last.end_date and start < last.end_date:
        raise ValidationFailed(
            {
                "start_date": [
                    _("L'arrivée précède le départ du précédent abonné (%(date)s).")
                    % {"date": last.end_date.strftime("%d/%m/%Y")}
                ]
            }
        )
    try:
        with transaction.atomic():
            contract = Contract.objects.create(
                number=contract_number(_next(CONTRACT_SERIES)),
                account=account,
                service_point=service_point,
                water=water,
                sanitation=sanitation,
                start_date=start,
                start_meter=meter,
                start_index=index,
                previous_contract=previous_contract,
                free_of_charge=free_of_charge,
            )
    except IntegrityError:
        # Another officer registered a move-in on this service point at the same moment.
        raise ApplicationError(
            _("Le point de desserte a déjà un abonnement en cours."), code="service_point_occupied"
        ) from None
    record_contract_reading(
        actor=actor,
        service_point=service_point,
        meter=meter,
        read_on=start,
        index=index,
        source="move_in",
    )
    audit.record(
        actor=actor,
        verb="contract_moved_in",
        target=contract,
        subject=account,
        data={
            "service_point": service_point.reference,
            "meter": meter.serial,
            "start_index": index,
            "start_date": start,
        },
    )
    account_search_text_refresh([account.pk])
    return contract


def _close(
    contract: Contract, *, end_date: dt.date, end_index: Decimal | None, reason: str
) -> None:
    contract.status, contract.end_date, contract.end_index, contract.end_reason = (
        ContractStatus.CLOSED,
        end_date,
        end_index,
        reason,
    )
    contract.save(update_fields=["status", "end_date", "end_index", "end_reason"])


def _check_end(
    bag: rules.ErrorBag, contract: Contract, end: dt.date | None, index: Decimal | None
) -> None:
    if contract.status != ContractStatus.ACTIVE:
        bag.add("contract", _("Cet abonnement est déjà résilié."))
    if end and end < contract.start_date:
        bag.add(
            "end_date",
            _("La date de départ précède la date d'arrivée (%(date)s).")
            % {"date": contract.start_date.strftime("%d/%m/%Y")},
        )
    if index is not None and contract.start_index is not None and index < contract.start_index:
        # A lower index is possible only on another meter (a meter change during the
        # contract) or after the dial went back through zero (METER-2, METER-4).
        from robinet.metering.consumption import dial_difference

        meter = _active_meter(contract.service_point)
        same_meter = meter is not None and meter.pk == contract.start_meter_id
        if (
            same_meter
            and dial_difference(contract.start_index, index, meter.index_digits).volume is None
        ):
            bag.add(
                "end_index",
                _("L'index de départ est inférieur à l'index d'arrivée (%(index)s).")
                % {"index": contract.start_index},
            )


@transaction.atomic
def contract_move_out(
    *,
    actor,
    contract: Contract,
    end_date: Any,
    end_index: Any,
    reason: str = ContractEndReason.MOVE_OUT,
    channel: str = Channel.PHONE,
    requester: str = Requester.HOLDER,
) -> Contract:
    """Move-out (*départ*) or termination with the final reading; the final bill follows (billing)."""
    contract = (
        Contract.objects.select_for_update().select_related("account__centre").get(pk=contract.pk)
    )
    _check(actor, Perm.CONTRACT_CHANGE, contract.account.centre)
    _require_written(channel, requester, _("Une résiliation demandée par un tiers"))
    bag = rules.ErrorBag()
    end = parse_date(bag, "end_date", end_date, required=True)
    index = parse_index(bag, "end_index", end_index)
    if reason not in (ContractEndReason.MOVE_OUT, ContractEndReason.TERMINATION):
        bag.add("reason", _("Motif inconnu."))
    _check_end(bag, contract, end, index)
    if bag:
        raise ValidationFailed(bag.errors)
    _close(contract, end_date=end, end_index=index, reason=reason)
    record_contract_reading(
        actor=actor,
        service_point=contract.service_point,
        meter=_active_meter(contract.service_point),
        read_on=end,
        index=index,
        source="move_out",
    )
    audit.record(
        actor=actor,
        verb="contract_moved_out",
        target=contract,
        subject=contract.account,
        data={
            "end_date": end,
            "end_index": index,
            "reason": reason,
            "channel": channel,
            "requester": requester,
        },
    )
    return contract


class HolderChangeReason:
    SEPARATION = "separation"
    DEATH = "death"
    OTHER = "other"
    FREE = (SEPARATION, DEATH)
    ALL = (SEPARATION, DEATH, OTHER)


@transaction.atomic
def contract_change_holder(
    *,
    actor,
    contract: Contract,
    new_account: CustomerAccount,
    change_date: Any,
    index: Any,
    reason: str,
    channel: str,
    proof_received: bool = False,
) -> Contract:
    """Change of holder (*mutation*, seed 003 §5.1.3.2), CUST-10.

    Free of charge after a separation or a death. By phone or at the counter
    only when the contract is in two names (M. et Mme) and the account
    balance is zero; otherwise in writing, with a proof for a death.
    """
    contract = (
        Contract.objects.select_for_update()
        .select_related("account__party", "service_point")
        .get(pk=contract.pk)
    )
    _check(actor, Perm.CONTRACT_CHANGE, contract.account.centre)
    bag = rules.ErrorBag()
    when = parse_date(bag, "change_date", change_date, required=True)
    reading = parse_index(bag, "index", index)
    if reason not in HolderChangeReason.ALL:
        bag.add("reason", _("Motif inconnu."))
    if channel not in Channel.values:
        bag.add("channel", _("Canal inconnu."))
    if new_account.pk == contract.account_id:
        bag.add("new_account", _("Le nouveau titulaire doit être un autre compte client."))
    _check_end(bag, contract, when, reading)
    if bag:
        raise ValidationFailed(bag.errors)
    joint = contract.account.party.civility == "M. et Mme"
    settled = account_balance(contract.account) == 0
    if channel not in WRITTEN_CHANNELS and not (joint and settled):
        raise ApplicationError(
            _(
                "Mutation par écrit uniquement : par téléphone ou à l'accueil seulement pour un contrat "
                "au nom de M. et Mme dont le compte est soldé."
            ),
            code="written_request_required",
            fields={"channel": [_("Demande écrite obligatoire.")]},
        )
    if reason == HolderChangeReason.DEATH and not joint and not proof_received:
        raise ValidationFailed({"proof_received": [_("Un justificatif de décès est requis.")]})
    _close(contract, end_date=when, end_index=reading, reason=ContractEndReason.CHANGE_OF_HOLDER)
    meter = _active_meter(contract.service_point)
    # One reading closes the old contract and opens the new one.
    record_contract_reading(
        actor=actor,
        service_point=contract.service_point,
        meter=meter,
        read_on=when,
        index=reading,
        source="move_out",
    )
    new_contract = contract_move_in(
        actor=actor,
        account=new_account,
        service_point=contract.service_point,
        start_date=when,
        meter_serial=meter.serial if meter else "",
        start_index=reading,
        water=contract.water,
        sanitation=contract.sanitation,
        previous_contract=contract,
        free_of_charge=reason in HolderChangeReason.FREE,
    )
    audit.record(
        actor=actor,
        verb="contract_holder_changed",
        target=contract,
        subject=contract.account,
        data={
            "new_contract": new_contract.number,
            "new_account": new_account.number,
            "reason": reason,
            "channel": channel,
            "free_of_charge": new_contract.free_of_charge,
        },
    )
    return new_contract


# --- GDPR (CUST-8) ---------------------------------------------------------------------------

ANONYMISED = "ANONYMISÉ"


@transaction.atomic
def parties_anonymise(*, as_of: dt.date, retention_years: int, dry_run: bool = False) -> list[int]:
    """Anonymise parties whose accounts are all closed since before the retention period.

    Keeps what the accounts and the ledger need (numbers, classes, dates,
    centre); removes identity, contact data, bank details, comments and the
    personal values kept in audit events. Returns the party ids.
    """
    try:
        limit = as_of.replace(year=as_of.year - retention_years)
    except ValueError:  # 29 February
        limit = as_of.replace(year=as_of.year - retention_years, day=28)
    candidates = (
        Party.objects.filter(anonymised_at__isnull=True, accounts__isnull=False)
        .exclude(accounts__status=AccountStatus.ACTIVE)
        .exclude(accounts__closed_on__gte=limit)
        .distinct()
    )
    ids = list(candidates.values_list("pk", flat=True))
    if dry_run or not ids:
        return ids
    now = clock.now()
    Party.objects.filter(pk__in=ids).update(
        civility="",
        name=ANONYMISED,
        first_name="",
        name_complement="",
        birth_date=None,
        birth_place="",
        email="",
        mobile="",
        landline="",
        address_line="",
        address_complement="",
        postcode="",
        city="",
        commune_insee="",
        bloctel_notice_at=None,
        anonymised_at=now,
    )
    account_ids = list(
        CustomerAccount.objects.filter(party_id__in=ids).values_list("pk", flat=True)
    )
    CustomerAccount.objects.filter(pk__in=account_ids).update(iban="", bic="", search_text="")
    Comment.objects.filter(account_id__in=account_ids).delete()
    Particularity.objects.filter(account_id__in=account_ids).update(comment="")
    from robinet.core.models import AuditEvent

    AuditEvent.objects.filter(
        subject_type="customers.customeraccount", subject_id__in=[str(i) for i in account_ids]
    ).update(changes={})
    AuditEvent.objects.filter(
        subject_type="customers.party", subject_id__in=[str(i) for i in ids]
    ).update(changes={})
    for account_id in account_ids:
        audit.record(actor=None, verb="customer_anonymised", target=CustomerAccount(pk=account_id))
    return ids
