"""JSON API of tariffs (BILL-1, read only): the same selectors as the screens and the CLI.

A version's definition travels as the YAML format's mapping form
(:func:`robinet.tariffs.schema.dump_tariff`): prices, rates and bounds as strings.
"""

import datetime as dt

from django.db.models import Q
from django.http import HttpResponse
from ninja import Field, Router, Schema

from robinet.tariffs import selectors, services
from robinet.tariffs.schema import dump_tariff

router = Router(tags=["tarifs"])


# --- schemas ---------------------------------------------------------------------------------


class TariffSummaryOut(Schema):
    code: str
    label: str
    valid_from: dt.date
    valid_to: dt.date | None
    deliberation: str
    zone: list[str] = Field(description="INSEE codes of the communes served")
    updated_at: dt.datetime

    @staticmethod
    def resolve_zone(obj) -> list[str]:
        return sorted(zone.commune_insee for zone in obj.zones.all())


class TariffBlockOut(Schema):
    up_to: str | None = Field(description="Annual upper bound in m³ (null: no bound)")
    unit_price: str


class SeasonOut(Schema):
    label: str = ""
    start: str = Field(alias="from", description="First day, MM-DD")
    end: str = Field(alias="to", description="Last day, MM-DD (inclusive)")
    blocks: list[TariffBlockOut]


class SocialOut(Schema):
    label: str = ""
    annual_price: str | None = None
    annual_price_by_diameter: dict[str, str] | None = None
    blocks: list[TariffBlockOut] | None = None


class ComponentOut(Schema):
    code: str
    label: str
    service: str = Field(description="water | sanitation | public_bodies | other")
    beneficiary: str = Field(description="operator | authority | water_agency | other")
    kind: str
    vat_rate: str
    annual_price: str | None = None
    annual_price_by_diameter: dict[str, str] | None = None
    blocks: list[TariffBlockOut] | None = None
    seasons: list[SeasonOut] | None = None
    social: SocialOut | None = None
    applies_to: list[str] | None = None
    requires_service: str | None = None


class TariffOut(Schema):
    """The definition, as ``robinet tariffs export`` writes it (in JSON)."""

    code: str
    label: str
    zone: list[str]
    valid_from: dt.date
    valid_to: dt.date | None
    deliberation: str
    rounding: str = Field(description="line | unit_price_incl_vat | total (BILL-1b)")
    prices_include_vat: bool
    degressive_allowed: bool
    commune_kind: str
    components: list[ComponentOut]


# --- endpoints -------------------------------------------------------------------------------


@router.get("/tariffs", response=list[TariffSummaryOut], summary="Versions de tarif")
def tariff_list(request, commune: str = "", on: dt.date | None = None):
    """All versions, or those of a commune (INSEE code) and/or in force on a day."""
    versions = selectors.tariff_list(user=request.user).prefetch_related("zones")
    if commune:
        versions = versions.filter(zones__commune_insee=commune.strip())
    if on:
        versions = versions.filter(valid_from__lte=on).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=on)
        )
    return list(versions.distinct())


@router.get(
    "/tariffs/{code}", response=TariffOut, by_alias=True, summary="Lire une version de tarif"
)
def tariff_get(request, code: str):
    version = selectors.tariff_get(user=request.user, code=code)
    return dump_tariff(selectors.priced(version))


@router.get(
    "/tariffs/{code}/yaml",
    summary="Exporter une version de tarif (YAML)",
    openapi_extra={
        "responses": {200: {"description": "YAML", "content": {"text/yaml": {"schema": {}}}}}
    },
)
def tariff_yaml(request, code: str):
    """The YAML document that ``robinet tariffs import`` reads back."""
    version = selectors.tariff_get(user=request.user, code=code)
    response = HttpResponse(
        services.tariff_export(version), content_type="text/yaml; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="{version.code}.yaml"'
    return response
