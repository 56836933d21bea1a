"""Readings, validation thresholds and abnormal-consumption notices (METER-1…6)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from robinet.core.models.fields import author_field
from robinet.customers.choices import CustomerClass
from robinet.customers.models import CustomerAccount, Meter, ServicePoint
from robinet.metering.choices import AnomalyReason, AnomalyResolution, ReadingSource, ReadingStatus


class Reading(models.Model):
    """An index of a meter at a date (METER-1), with its validation outcome (METER-2).

    ``consumption`` is the volume since the previous counting reading of the
    same service point (across a meter change: both parts, METER-4), set when
    the reading is validated; ``days`` the length of that period.
    A correction never edits a reading: the original becomes ``corrected``
    and the new reading points to it.
    """

    # No index of its own: the live readings' unique (meter, read_on) index below serves the
    # lookups by meter (which ask for live readings or name the service point too), and a
    # bulk import writes one index fewer per reading.
    meter = models.ForeignKey(
        Meter, on_delete=models.PROTECT, related_name="readings", db_index=False
    )
    # Indexed by (service_point, read_on) below.
    service_point = models.ForeignKey(
        ServicePoint, on_delete=models.PROTECT, related_name="readings", db_index=False
    )
    read_on = models.DateField(_("date de relève"))
    index = models.DecimalField(_("index (m³)"), max_digits=12, decimal_places=3)
    source = models.CharField(_("origine"), max_length=10, choices=ReadingSource.choices)
    status = models.CharField(_("état"), max_length=10, choices=ReadingStatus.choices)
    anomaly = models.CharField(
        _("anomalie"), max_length=24, choices=AnomalyReason.choices, blank=True
    )
    anomaly_detail = models.CharField(_("détail de l'anomalie"), max_length=255, blank=True)
    resolution = models.CharField(
        _("traitement"), max_length=24, choices=AnomalyResolution.choices, blank=True
    )
    consumption = models.DecimalField(
        _("consommation (m³)"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    days = models.PositiveIntegerField(_("jours"), null=True, blank=True)
    rollover = models.BooleanField(_("passage à zéro du totalisateur"), default=False)
    # One correction per reading at most: a unique index on the corrections only (a partial
    # one, see Meta), not on the empty column of every imported reading.
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        db_index=False,
        verbose_name=_("corrige le relevé"),
    )
    reader = models.CharField(_("releveur"), max_length=80, blank=True)
    # No index on the two columns below: nothing looks readings up by them, and every
    # index slows the bulk import (import files and users are never deleted).
    import_file = models.ForeignKey(
        "core.ImportFile",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(_("saisi le"))
    created_by = author_field()

    class Meta:
        verbose_name = _("relevé")
        constraints = [
            models.CheckConstraint(condition=Q(index__gte=0), name="reading_index_not_negative"),
            models.CheckConstraint(
                condition=Q(source__in=ReadingSource.values), name="reading_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReadingStatus.values), name="reading_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(consumption__isnull=True) | Q(consumption__gte=0),
                name="reading_consumption_not_negative",
            ),
            # A held reading says why (METER-2: anomalies are never silent).
            models.CheckConstraint(
                condition=~Q(status=ReadingStatus.HELD) | ~Q(anomaly=""),
                name="reading_held_has_reason",
            ),
            models.UniqueConstraint(
                fields=["corrects"],
                condition=Q(corrects__isnull=False),
                name="reading_corrected_once",
            ),
            # One live reading per meter and day; corrections replace, they do not pile up.
            models.UniqueConstraint(
                fields=["meter", "read_on"],
                condition=Q(status__in=[ReadingStatus.VALID, ReadingStatus.HELD]),
                name="reading_one_live_per_meter_and_day",
            ),
        ]
        indexes = [
            models.Index(fields=["service_point", "read_on"]),
            # The anomaly worklist: held readings only, a small partial index.
            models.Index(
                fields=["anomaly", "created_at"],
                condition=Q(status=ReadingStatus.HELD),
                name="reading_held_worklist",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meter_id} {self.read_on} {self.index}"

    @property
    def corrected_by(self) -> "Reading | None":
        """The reading that corrects this one (at most one: ``reading_corrected_once``)."""
        return self.corrections.first()


class ValidationThreshold(models.Model):
    """METER-2 thresholds for a customer class (defaults apply to classes without a row)."""

    customer_class = models.CharField(
        _("classe client"), max_length=16, choices=CustomerClass.choices, unique=True
    )
    high_factor = models.DecimalField(
        _("facteur de surconsommation"),
        max_digits=5,
        decimal_places=2,
        default=2,
        help_text=_("Anomalie au-delà de k × la moyenne journalière des 12 derniers mois."),
    )
    high_floor_m3 = models.DecimalField(
        _("plancher (m³)"),
        max_digits=9,
        decimal_places=3,
        default=30,
        help_text=_("Pas d'anomalie de surconsommation en dessous de ce volume sur la période."),
    )
    zero_min_days = models.PositiveIntegerField(
        _("durée minimale pour une consommation nulle (jours)"),
        default=60,
    )

    class Meta:
        verbose_name = _("seuil de contrôle des relevés")
        constraints = [
            models.CheckConstraint(
                condition=Q(high_factor__gt=1), name="threshold_factor_above_one"
            ),
            models.CheckConstraint(
                condition=Q(high_floor_m3__gte=0), name="threshold_floor_not_negative"
            ),
        ]


class AbnormalConsumptionNotice(models.Model):
    """METER-5 (loi Warsmann): the customer is told of an abnormal increase and of leak relief."""

    reading = models.OneToOneField(
        Reading, on_delete=models.PROTECT, related_name="abnormal_notice"
    )
    account = models.ForeignKey(
        CustomerAccount, on_delete=models.PROTECT, related_name="abnormal_notices"
    )
    service_point = models.ForeignKey(ServicePoint, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField(_("début de période"))
    period_end = models.DateField(_("fin de période"))
    consumption = models.DecimalField(_("consommation (m³)"), max_digits=12, decimal_places=3)
    reference_average = models.DecimalField(
        _("moyenne de référence (m³)"), max_digits=12, decimal_places=3
    )
    reference_basis = models.CharField(_("base de comparaison"), max_length=24)
    text = models.TextField(_("texte de l'information"))
    created_at = models.DateTimeField(_("créé le"))
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    sent_channel = models.CharField(_("canal d'envoi"), max_length=8, blank=True)
    # BILL-9: the leak-relief (DEGREVEMENT) case the notice starts; null on notices
    # created before cases existed (a relief request then opens its own case).
    case = models.OneToOneField(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="abnormal_notice",
        verbose_name=_("dossier de dégrèvement"),
    )

    class Meta:
        verbose_name = _("information de consommation anormale")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="notice_period_ordered"
            ),
        ]


class NewReadingRequest(models.Model):
    """METER-2: *demander une nouvelle relève* on a held reading — the internal case (RELEVE)
    sent to the field team, closed by the next valid actual reading of the service point.

    Several rejected readings of one point may share the open case of the first request.
    """

    reading = models.OneToOneField(
        Reading,
        on_delete=models.PROTECT,
        related_name="new_reading_request",
        verbose_name=_("relevé rejeté"),
    )
    service_point = models.ForeignKey(ServicePoint, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        related_name="new_reading_requests",
        verbose_name=_("dossier"),
    )
    intervention = models.ForeignKey(
        "cases.Intervention",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("intervention"),
    )
    created_at = models.DateTimeField(_("demandée le"))
    created_by = author_field()
    closed_at = models.DateTimeField(_("satisfaite le"), null=True, blank=True)
    closing_reading = models.ForeignKey(
        Reading,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("relevé reçu"),
    )

    class Meta:
        verbose_name = _("demande de nouvelle relève")
        verbose_name_plural = _("demandes de nouvelle relève")
        constraints = [
            # Satisfied ⇔ dated; the reading that satisfied it is kept (null only when the
            # case was closed by hand before a reading came).
            models.CheckConstraint(
                condition=Q(closing_reading__isnull=True) | Q(closed_at__isnull=False),
                name="new_reading_closing_dated",
            ),
            models.CheckConstraint(
                condition=~Q(closing_reading=models.F("reading")),
                name="new_reading_closed_by_another_reading",
            ),
        ]
        indexes = [
            # Every valid reading looks for the open requests of its point: a small index.
            models.Index(
                fields=["service_point"],
                condition=Q(closed_at__isnull=True),
                name="new_reading_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reading_id} → {self.case_id}"
