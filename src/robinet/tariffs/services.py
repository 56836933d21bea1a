"""Writes of tariff versions (BILL-1): import, entry in the back office, history."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from robinet.core import audit, clock
from robinet.core.exceptions import ApplicationError, ValidationFailed
from robinet.organisation.access import require
from robinet.organisation.roles import Perm
from robinet.tariffs import schema
from robinet.tariffs.models import TariffVersion, TariffZone
from robinet.tariffs.pricing import TariffVersion as PricedVersion


def _check(actor) -> None:
    # ``actor=None`` is an operator's command.
    if actor is not None:
        require(actor, Perm.TARIFF_CHANGE)


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def parse_document(text: str) -> PricedVersion:
    """The tariff of a YAML document, or ValidationFailed naming each field."""
    try:
        return schema.load_yaml(text)
    except schema.TariffFormatError as exc:
        fields: dict[str, list[str]] = {}
        for path, message in exc.errors:
            fields.setdefault(path or "document", []).append(message)
        raise ValidationFailed(fields, _("Le tarif est invalide.")) from None


def _overlaps(version: PricedVersion, *, exclude_pk: int | None) -> list[str]:
    """Communes already priced by another version on one of the same days."""
    zones = TariffZone.objects.filter(commune_insee__in=version.zone)
    if exclude_pk is not None:
        zones = zones.exclude(version_id=exclude_pk)
    if version.valid_to is not None:
        zones = zones.filter(valid_from__lte=version.valid_to)
    clashes = []
    for zone in zones.select_related("version"):
        if zone.valid_to is None or zone.valid_to >= version.valid_from:
            clashes.append(f"{zone.commune_insee} ({zone.version.code})")
    return sorted(clashes)


def used_by_invoices(version: TariffVersion) -> bool:
    from robinet.billing.models import InvoiceLine

    return InvoiceLine.objects.filter(tariff_code=version.code).exists()


@transaction.atomic
def tariff_save(*, actor, text: str, replace: bool = False) -> tuple[TariffVersion, bool]:
    """Create a tariff version from its YAML document, or replace an unused one.

    A version that has been billed is never changed (a new version is
    entered instead). Returns the version and whether it was created.
    """
    _check(actor)
    priced = parse_document(text)
    existing = TariffVersion.objects.select_for_update().filter(code=priced.code).first()
    if existing is not None and not replace:
        raise ApplicationError(
            _("Le tarif %(code)s existe déjà.") % {"code": priced.code},
            code="tariff_exists",
            fields={"code": [_("Ce code est déjà utilisé.")]},
        )
    if existing is not None and used_by_invoices(existing):
        raise ApplicationError(
            _("Le tarif %(code)s a déjà servi à facturer : saisissez une nouvelle version.")
            % {"code": priced.code},
            code="tariff_used",
        )
    clashes = _overlaps(priced, exclude_pk=existing.pk if existing else None)
    if clashes:
        raise ValidationFailed(
            {
                "zone": [
                    _("Communes déjà couvertes par un autre tarif sur la même période : %(c)s")
                    % {"c": ", ".join(clashes)}
                ]
            }
        )
    now = clock.now()
    definition = schema.dump_tariff(priced)
    values = {
        "label": priced.label,
        "valid_from": priced.valid_from,
        "valid_to": priced.valid_to,
        "deliberation": priced.deliberation,
        "definition": definition,
        "updated_at": now,
    }
    if existing is None:
        version = TariffVersion.objects.create(
            code=priced.code, created_at=now, created_by=_user(actor), **values
        )
        audit.record(
            actor=actor, verb="tariff_created", target=version, data={"code": version.code}
        )
    else:
        before = existing.definition
        for name, value in values.items():
            setattr(existing, name, value)
        existing.save()
        version = existing
        version.zones.all().delete()
        audit.record(
            actor=actor,
            verb="tariff_replaced",
            target=version,
            changes=audit.diff({"definition": before}, {"definition": definition}),
        )
    TariffZone.objects.bulk_create(
        TariffZone(
            version=version,
            commune_insee=code,
            valid_from=priced.valid_from,
            valid_to=priced.valid_to,
        )
        for code in priced.zone
    )
    return version, existing is None


def tariff_export(version: TariffVersion) -> str:
    return schema.dump_yaml(schema.parse_tariff(version.definition))
