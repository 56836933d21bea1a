"""Pure rules of the customer file: field validators and the consistency rules CUST-2…4.

No database here: services and forms call these and turn the messages into
field errors. Identifiers are checked with python-stdnum, schwifty and
phonenumbers, NAF codes against the official list (``robinet.referential``).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.fr import siret as stdnum_siret

from robinet.customers.choices import (
    CLASSES_WITH_SIRET,
    PERSON_CIVILITIES,
    SYNDIC_CIVILITY,
    CustomerClass,
    PartyKind,
    SiteType,
)

Errors = dict[str, list[str]]

# Overseas departments dial with their own country code (GP +590, RE +262…).
OVERSEAS_PHONE_REGIONS = {
    "971": "GP",
    "972": "MQ",
    "973": "GF",
    "974": "RE",
    "976": "YT",
    "975": "PM",
    "977": "BL",
    "978": "MF",
}


@dataclass
class ErrorBag:
    errors: Errors = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.errors)


def phone_region_for(commune_insee: str | None) -> str:
    """The phonenumbers region to parse national numbers of a customer living at ``commune_insee``."""
    return OVERSEAS_PHONE_REGIONS.get((commune_insee or "")[:3], "FR")


_COUNTRY_CODES = {
    "FR": 33,
    "GP": 590,
    "MQ": 596,
    "GF": 594,
    "RE": 262,
    "YT": 262,
    "PM": 508,
    "BL": 590,
    "MF": 590,
}
_NATIONAL = re.compile(r"^0[1-9][0-9]{8}$")
_SEPARATORS = re.compile(r"[\s.\-/]")


def _parse_phone(raw: str, region: str) -> phonenumbers.PhoneNumber:
    compact = _SEPARATORS.sub("", raw)
    if _NATIONAL.match(compact) and region in _COUNTRY_CODES:
        # The common case, without the cost of phonenumbers' generic parser.
        return phonenumbers.PhoneNumber(
            country_code=_COUNTRY_CODES[region], national_number=int(compact[1:])
        )
    return phonenumbers.parse(raw, region)


def normalize_phone(raw: str, *, region: str = "FR", mobile: bool | None = None) -> str:
    """E.164 form of a French (incl. overseas) number, or ValueError with a French message.

    A national number that is not valid for ``region`` is tried against the
    overseas regions too (an 0692… mobile is a Réunion number).
    """
    raw = (raw or "").strip()
    if not raw:
        return ""
    regions = [region, *(r for r in ["FR", *OVERSEAS_PHONE_REGIONS.values()] if r != region)]
    kind = phonenumbers.PhoneNumberType.UNKNOWN
    for candidate_region in regions:
        try:
            number = _parse_phone(raw, candidate_region)
        except phonenumbers.NumberParseException:
            raise ValueError(_("Numéro de téléphone illisible.")) from None
        # number_type is UNKNOWN exactly when the number is not valid.
        kind = phonenumbers.number_type(number)
        if kind != phonenumbers.PhoneNumberType.UNKNOWN:
            break
        if raw.startswith(("+", "00")):
            break
    if kind == phonenumbers.PhoneNumberType.UNKNOWN:
        raise ValueError(_("Numéro de téléphone invalide."))
    is_mobile = kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    if mobile is True and not is_mobile:
        raise ValueError(_("Ce numéro n'est pas un numéro de portable."))
    if mobile is False and kind == phonenumbers.PhoneNumberType.MOBILE:
        raise ValueError(_("Ce numéro est un portable : saisissez-le dans le champ « portable »."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """``+33612345678`` → ``06 12 34 56 78`` (national format for display)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def normalize_siret(raw: str) -> str:
    value = stdnum_siret.compact(raw or "")
    if not value:
        return ""
    if not stdnum_siret.is_valid(value):
        raise ValueError(
            _("SIRET invalide : 14 chiffres dont la clé de contrôle (Luhn) doit être juste.")
        )
    return value


def normalize_naf(raw: str) -> str:
    from robinet.referential import naf_normalize

    raw = (raw or "").strip().upper()
    if not raw:
        return ""
    code = naf_normalize(raw)
    if code is None:
        raise ValueError(_("Code NAF inconnu dans la nomenclature officielle (forme 84.11Z)."))
    return code


def normalize_iban(raw: str) -> str:
    raw = (raw or "").replace(" ", "").upper()
    if not raw:
        return ""
    try:
        return IBAN(raw, validate_bban=True).compact
    except SchwiftyException:
        raise ValueError(_("IBAN invalide (clé IBAN ou clé RIB incorrecte).")) from None


def normalize_bic(raw: str, iban: str = "") -> str:
    raw = (raw or "").replace(" ", "").upper()
    if not raw:
        if iban:
            bic = IBAN(iban).bic
            return str(bic) if bic else ""
        return ""
    try:
        return str(BIC(raw))
    except SchwiftyException:
        raise ValueError(_("BIC invalide.")) from None


def normalize_email(raw: str) -> str:
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        validate_email(raw)
    except ValidationError:
        raise ValueError(_("Adresse e-mail invalide.")) from None
    # Lower-case as a whole: mailboxes are not case-sensitive in practice, and the
    # search looks e-mails up exactly.
    return raw.lower()


def check_consistency(party: Mapping[str, Any], account: Mapping[str, Any]) -> Errors:
    """CUST-2, CUST-3, CUST-4: party type, class, civility, SIRET, NAF and site type agree.

    ``party`` and ``account`` hold already normalised values.
    """
    bag = ErrorBag()
    kind = party.get("kind")
    civility = (party.get("civility") or "").strip()
    customer_class = account.get("customer_class")
    siret = party.get("siret") or ""
    naf = account.get("naf_code") or ""
    site_type = account.get("site_type") or ""

    if customer_class == CustomerClass.INDIVIDUAL and kind != PartyKind.PERSON:
        bag.add(
            "customer_class",
            _(
                "Un particulier est une personne physique : pas de classe « particulier » pour une entreprise."
            ),
        )
    if kind == PartyKind.COMPANY and civility in PERSON_CIVILITIES:
        bag.add(
            "civility",
            _(
                "Pour une entreprise, la civilité est la forme juridique (SA, SARL, ETS…), jamais M. / Mme."
            ),
        )
    if kind == PartyKind.PERSON and civility and civility not in PERSON_CIVILITIES:
        bag.add("civility", _("Pour une personne physique, la civilité est M., Mme ou M. et Mme."))
    if kind == PartyKind.PERSON and siret:
        bag.add(
            "siret",
            _(
                "Une personne physique n'a pas de SIRET : passez le type d'acteur en « entreprise »."
            ),
        )

    if customer_class in CLASSES_WITH_SIRET:
        if kind != PartyKind.COMPANY:
            bag.add(
                "kind",
                _(
                    "Un client professionnel, une collectivité ou une administration est de type « entreprise »."
                ),
            )
        if not siret:
            bag.add("siret", _("Le SIRET est obligatoire pour cette classe de client."))
        if not naf:
            bag.add("naf_code", _("Le code NAF est obligatoire pour cette classe de client."))
        if not site_type:
            bag.add("site_type", _("Le type de site est obligatoire pour cette classe de client."))

    if customer_class == CustomerClass.SYNDIC:
        if kind != PartyKind.COMPANY:
            bag.add("kind", _("Une copropriété est de type « entreprise »."))
        if civility != SYNDIC_CIVILITY:
            bag.add("civility", _("La civilité d'une copropriété est « SDC »."))
        if siret:
            bag.add("siret", _("Une copropriété n'a pas de SIRET."))
        if naf:
            bag.add("naf_code", _("Une copropriété n'a pas de code NAF."))
        if site_type != SiteType.RESIDENTIAL_BUILDING:
            bag.add(
                "site_type", _("Le type de site d'une copropriété est « immeuble d'habitation ».")
            )
        if not (party.get("name_complement") or "").lower().startswith("géré par"):
            bag.add(
                "name_complement",
                _("Complément de nom attendu : « géré par » suivi du nom du syndic."),
            )
    return bag.errors


def check_address(*, postcode: str, commune_insee: str, field_prefix: str = "") -> Errors:
    """The postcode belongs to the commune with that INSEE code (reference file)."""
    from robinet.referential import commune_get, commune_matches

    bag = ErrorBag()
    if not commune_insee and not postcode:
        return bag.errors
    if commune_get(commune_insee or "") is None:
        bag.add(f"{field_prefix}commune_insee", _("Code INSEE de commune inconnu."))
    elif not commune_matches(commune_insee, postcode or ""):
        bag.add(f"{field_prefix}postcode", _("Ce code postal n'appartient pas à cette commune."))
    return bag.errors
