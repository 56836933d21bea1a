"""Tariff versions per zone and period (BILL-1, BILL-2).

A version's components, prices and options live in ``definition``: the
canonical document of :mod:`robinet.tariffs.schema` (the YAML format), which
the pure pricing engine reads. The columns beside it are what the database
searches on: the code, the validity dates and, in :class:`TariffZone`, the
communes, so that finding the tariff of a service point on a day is an index
look-up.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class TariffVersion(models.Model):
    code = models.CharField(_("code"), max_length=40, unique=True)
    label = models.CharField(_("libellé"), max_length=160)
    valid_from = models.DateField(_("valable du"))
    valid_to = models.DateField(_("valable au"), null=True, blank=True)
    deliberation = models.CharField(_("délibération"), max_length=255, blank=True)
    definition = models.JSONField(_("définition"))
    created_at = models.DateTimeField(_("créé le"))
    updated_at = models.DateTimeField(_("modifié le"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("version de tarif")
        verbose_name_plural = _("versions de tarif")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="tariff_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.label}"


class TariffZone(models.Model):
    """A commune of a version's zone; validity copied from the version for the look-up."""

    version = models.ForeignKey(TariffVersion, on_delete=models.CASCADE, related_name="zones")
    commune_insee = models.CharField(_("code INSEE"), max_length=5)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("commune d'une zone tarifaire")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "commune_insee"], name="tariff_zone_commune_once"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="tariff_zone_validity_ordered",
            ),
        ]
        indexes = [models.Index(fields=["commune_insee", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.commune_insee} ({self.version_id})"
