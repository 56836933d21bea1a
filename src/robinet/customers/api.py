"""JSON API of the customer file (API-1): the same services and selectors as the screens."""

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from robinet.core.exceptions import NotFound, ValidationFailed
from robinet.customers import selectors, services
from robinet.customers.choices import Channel, ContractEndReason, Requester
from robinet.organisation.models import Entity, EntityKind
from robinet.organisation.roles import Perm

router = Router(tags=["clients"])

# --- schemas ---------------------------------------------------------------------------------


class PartyIn(Schema):
    kind: str = Field(description="person | company")
    civility: str = ""
    name: str
    first_name: str = ""
    name_complement: str = ""
    birth_date: dt.date | None = None
    birth_place: str = ""
    siret: str = ""
    email: str = ""
    mobile: str = ""
    landline: str = ""
    preferred_contact_method: str = ""
    address_line: str = ""
    address_complement: str = ""
    postcode: str = ""
    city: str = ""
    commune_insee: str = ""


class PartyPatch(Schema):
    kind: str | None = None
    civility: str | None = None
    name: str | None = None
    first_name: str | None = None
    name_complement: str | None = None
    birth_date: dt.date | None = None
    birth_place: str | None = None
    siret: str | None = None
    email: str | None = None
    mobile: str | None = None
    landline: str | None = None
    preferred_contact_method: str | None = None
    address_line: str | None = None
    address_complement: str | None = None
    postcode: str | None = None
    city: str | None = None
    commune_insee: str | None = None


class AccountIn(Schema):
    customer_class: str
    site_type: str = ""
    naf_code: str = ""
    e_invoice: bool = False
    payment_terms_days: int = Field(15, description="Due date = issue date + these days")
    chorus_service_code: str = Field("", description="BILL-8: Chorus Pro service code")
    chorus_commitment_number: str = Field("", description="BILL-8: Chorus Pro commitment")


class AccountPatch(Schema):
    customer_class: str | None = None
    site_type: str | None = None
    naf_code: str | None = None
    e_invoice: bool | None = None
    payment_terms_days: int | None = None
    chorus_service_code: str | None = None
    chorus_commitment_number: str | None = None


class CustomerCreateIn(Schema):
    centre: str = Field(description="Code of the centre the account belongs to")
    party: PartyIn
    account: AccountIn
    bloctel_notice_given: bool = Field(
        False, description="CUST-5: the Bloctel notice was read to the customer"
    )


class CustomerPatchIn(Schema):
    party: PartyPatch | None = None
    account: AccountPatch | None = None
    bloctel_notice_given: bool = False


class PartyOut(Schema):
    kind: str
    civility: str
    name: str
    first_name: str
    name_complement: str
    siret: str
    email: str
    mobile: str
    landline: str
    preferred_contact_method: str
    address_line: str
    address_complement: str
    postcode: str
    city: str
    commune_insee: str
    address_invalid_since: dt.date | None


class CustomerOut(Schema):
    number: str
    status: str
    customer_class: str
    centre: str = Field(alias="centre.code")
    site_type: str
    naf_code: str
    direct_debit: bool
    monthly_payment: bool
    e_invoice: bool
    payment_terms_days: int
    chorus_service_code: str
    chorus_commitment_number: str
    opened_on: dt.date
    closed_on: dt.date | None
    mail_returned_on: dt.date | None
    has_iban: bool
    party: PartyOut

    @staticmethod
    def resolve_has_iban(obj) -> bool:
        return bool(obj.iban)


class BankDetailsIn(Schema):
    iban: str
    bic: str = ""
    channel: str = Field(description="phone | counter | letter | email | web")
    requester: str = Requester.HOLDER


class ServicePointIn(Schema):
    centre: str
    street_number: str = ""
    street: str
    address_complement: str = ""
    postcode: str
    commune_insee: str
    city: str = ""
    premises_use: str
    dwellings: int = 1
    drinking_water: bool = True
    collective_sanitation: bool = False
    non_collective_sanitation: bool = False
    meter_location: str = "N/A"
    meter_accessibility: str = "unknown"
    meter_serial: str = ""
    meter_diameter_mm: int = 15
    meter_installed_on: dt.date | None = None


class ServicePointPatch(Schema):
    street_number: str | None = None
    street: str | None = None
    address_complement: str | None = None
    postcode: str | None = None
    commune_insee: str | None = None
    city: str | None = None
    premises_use: str | None = None
    dwellings: int | None = None
    drinking_water: bool | None = None
    collective_sanitation: bool | None = None
    non_collective_sanitation: bool | None = None
    meter_location: str | None = None
    meter_accessibility: str | None = None


class MeterOut(Schema):
    serial: str
    diameter_mm: int
    service_point: str | None = Field(None, alias="service_point.reference")
    installed_on: dt.date | None
    removed_on: dt.date | None


class ServicePointOut(Schema):
    reference: str
    centre: str = Field(alias="centre.code")
    street_number: str
    street: str
    address_complement: str
    postcode: str
    city: str
    commune_insee: str
    premises_use: str
    dwellings: int
    drinking_water: bool
    collective_sanitation: bool
    non_collective_sanitation: bool
    meter_location: str
    meter_accessibility: str


class MeterInstallIn(Schema):
    serial: str
    diameter_mm: int
    installed_on: dt.date | None = None


class MeterRemoveIn(Schema):
    removed_on: dt.date | None = None


class ContractOut(Schema):
    number: str
    account: str = Field(alias="account.number")
    service_point: str = Field(alias="service_point.reference")
    water: bool
    sanitation: bool
    status: str
    start_date: dt.date
    end_date: dt.date | None
    end_reason: str
    start_index: Decimal | None
    end_index: Decimal | None
    previous_contract: str | None = None
    free_of_charge: bool

    @staticmethod
    def resolve_previous_contract(obj) -> str | None:
        return obj.previous_contract.number if obj.previous_contract_id else None


class MoveInIn(Schema):
    account: str
    service_point: str
    start_date: dt.date
    meter_serial: str
    start_index: Decimal
    water: bool = True
    sanitation: bool | None = None


class MoveOutIn(Schema):
    end_date: dt.date
    end_index: Decimal
    reason: str = ContractEndReason.MOVE_OUT
    channel: str = Channel.PHONE
    requester: str = Requester.HOLDER


class ChangeHolderIn(Schema):
    new_account: str
    change_date: dt.date
    index: Decimal
    reason: str = Field(description="separation | death | other")
    channel: str
    proof_received: bool = False


# --- helpers ---------------------------------------------------------------------------------


def _centre(code: str) -> Entity:
    centre = Entity.objects.filter(code=code, kind=EntityKind.CENTRE).first()
    if centre is None:
        raise ValidationFailed({"centre": [_("Centre inconnu : %(code)s.") % {"code": code}]})
    return centre


def _account(request, number: str, perm: str = Perm.CUSTOMER_VIEW):
    return selectors.account_get_for_user(user=request.user, number=number, perm=perm)


def _reload(request, account):
    return selectors.account_get_for_user(user=request.user, pk=account.pk)


# --- customers and accounts ------------------------------------------------------------------


@router.get("/customers", response=list[CustomerOut], summary="Rechercher des clients")
def customer_search(request, q: str, limit: int = 25):
    """Search by name, customer number, address, phone, e-mail, meter serial or SIRET."""
    return selectors.customer_search(user=request.user, query=q, limit=max(1, min(limit, 100)))[
        :limit
    ]


@router.post("/customers", response={201: CustomerOut}, summary="Créer un client")
def customer_create(request, payload: CustomerCreateIn):
    account = services.customer_create(
        actor=request.user,
        centre=_centre(payload.centre),
        party=payload.party.dict(),
        account=payload.account.dict(),
        bloctel_notice_given=payload.bloctel_notice_given,
    )
    return Status(201, _reload(request, account))


@router.get("/customers/{number}", response=CustomerOut, summary="Lire un client")
def customer_get(request, number: str):
    return _account(request, number)


@router.patch("/customers/{number}", response=CustomerOut, summary="Modifier un client")
def customer_update(request, number: str, payload: CustomerPatchIn):
    account = _account(request, number)
    services.party_update(
        actor=request.user,
        account=account,
        party=payload.party.dict(exclude_unset=True) if payload.party else None,
        account_data=payload.account.dict(exclude_unset=True) if payload.account else None,
        bloctel_notice_given=payload.bloctel_notice_given,
    )
    return _reload(request, account)


@router.get(
    "/accounts/{number}/contracts", response=list[ContractOut], summary="Abonnements d'un compte"
)
def account_contracts(request, number: str):
    account = _account(request, number)
    return list(
        account.contracts.select_related("account", "service_point", "previous_contract").order_by(
            "-start_date"
        )
    )


@router.put(
    "/accounts/{number}/bank-details", response=CustomerOut, summary="Coordonnées bancaires"
)
def account_bank_details(request, number: str, payload: BankDetailsIn):
    account = _account(request, number)
    services.bank_details_update(actor=request.user, account=account, **payload.dict())
    return _reload(request, account)


# --- service points and meters ---------------------------------------------------------------


@router.get("/service-points", response=list[ServicePointOut], summary="Points de desserte")
def service_point_list(request, commune_insee: str = "", vacant: bool = False, limit: int = 50):
    queryset = (
        selectors.vacant_service_points(user=request.user)
        if vacant
        else selectors.service_point_list(user=request.user)
    )
    if commune_insee:
        queryset = queryset.filter(commune_insee=commune_insee)
    return list(queryset.select_related("centre").order_by("reference")[: max(1, min(limit, 500))])


@router.post(
    "/service-points", response={201: ServicePointOut}, summary="Créer un point de desserte"
)
def service_point_create(request, payload: ServicePointIn):
    data = payload.dict()
    centre = _centre(data.pop("centre"))
    service_point = services.service_point_create(actor=request.user, centre=centre, data=data)
    return Status(201, selectors.service_point_get_for_user(user=request.user, pk=service_point.pk))


@router.get(
    "/service-points/{reference}", response=ServicePointOut, summary="Lire un point de desserte"
)
def service_point_get(request, reference: str):
    return selectors.service_point_get_for_user(user=request.user, reference=reference)


@router.post(
    "/service-points/{reference}/meters", response={201: MeterOut}, summary="Poser un compteur"
)
def meter_install(request, reference: str, payload: MeterInstallIn):
    service_point = selectors.service_point_get_for_user(user=request.user, reference=reference)
    meter = services.meter_install(
        actor=request.user, service_point=service_point, **payload.dict()
    )
    return Status(201, selectors.meter_get_for_user(user=request.user, serial=meter.serial))


@router.get("/meters/{serial}", response=MeterOut, summary="Lire un compteur")
def meter_get(request, serial: str):
    return selectors.meter_get_for_user(user=request.user, serial=serial)


@router.post("/meters/{serial}/removal", response=MeterOut, summary="Déposer un compteur")
def meter_remove(request, serial: str, payload: MeterRemoveIn):
    meter = selectors.meter_get_for_user(user=request.user, serial=serial)
    services.meter_remove(actor=request.user, meter=meter, removed_on=payload.removed_on)
    return selectors.meter_get_for_user(user=request.user, serial=serial)


# --- contracts -------------------------------------------------------------------------------


def _contract_out(request, contract):
    return (
        selectors.contract_list(user=request.user)
        .select_related("account", "service_point", "previous_contract")
        .get(pk=contract.pk)
    )


@router.post("/contracts", response={201: ContractOut}, summary="Arrivée (nouvel abonnement)")
def contract_move_in(request, payload: MoveInIn):
    account = _account(request, payload.account)
    try:
        service_point = selectors.service_point_get_for_user(
            user=request.user, reference=payload.service_point
        )
    except NotFound:
        raise ValidationFailed({"service_point": [_("Point de desserte introuvable.")]}) from None
    contract = services.contract_move_in(
        actor=request.user,
        account=account,
        service_point=service_point,
        start_date=payload.start_date,
        meter_serial=payload.meter_serial,
        start_index=payload.start_index,
        water=payload.water,
        sanitation=payload.sanitation,
    )
    return Status(201, _contract_out(request, contract))


@router.get("/contracts/{number}", response=ContractOut, summary="Lire un abonnement")
def contract_get(request, number: str):
    return _contract_out(request, selectors.contract_get_for_user(user=request.user, number=number))


@router.post("/contracts/{number}/move-out", response=ContractOut, summary="Départ")
def contract_move_out(request, number: str, payload: MoveOutIn):
    contract = selectors.contract_get_for_user(user=request.user, number=number)
    services.contract_move_out(actor=request.user, contract=contract, **payload.dict())
    return _contract_out(request, contract)


@router.post("/contracts/{number}/change-holder", response={201: ContractOut}, summary="Mutation")
def contract_change_holder(request, number: str, payload: ChangeHolderIn):
    contract = selectors.contract_get_for_user(user=request.user, number=number)
    data = payload.dict()
    try:
        new_account = _account(request, data.pop("new_account"))
    except NotFound:
        raise ValidationFailed({"new_account": [_("Compte client introuvable.")]}) from None
    new_contract = services.contract_change_holder(
        actor=request.user, contract=contract, new_account=new_account, **data
    )
    return Status(201, _contract_out(request, new_contract))
