"""Field interventions and the appointment book (CASE-8).

An :class:`Intervention` is triggered from a case. Normal interventions need an
:class:`Appointment` — a 2-hour slot of a :class:`FieldTeam` — when the meter is
not accessible, the customer's presence is mandatory or the customer asks for
one. Without a free slot within 10 working days, the intervention goes to the
scheduler's list with the customer's phone number checked.
"""

import datetime as dt
from functools import partial

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from robinet.cases.choices import (
    AppointmentStatus,
    InterventionKind,
    InterventionStatus,
    Urgency,
)
from robinet.core.models.fields import author_field
from robinet.customers.choices import MeterAccessibility

__all__ = ["Appointment", "FieldTeam", "Intervention"]


class FieldTeam(models.Model):
    """Field agents of a centre that take appointments: working hours and capacity per slot."""

    code = models.CharField(_("code"), max_length=24, unique=True)
    name = models.CharField(_("nom"), max_length=120)
    centre = models.ForeignKey(
        "organisation.Entity", on_delete=models.PROTECT, related_name="+", verbose_name=_("centre")
    )
    # Defaults as callables: Django warns (fields.W161) about a fixed time
    # that falls within seconds of the moment the checks run, so a fixed 08:00
    # made `check --deploy` fail when it ran at 08:00.
    works_from = models.TimeField(_("début de journée"), default=partial(dt.time, 8))
    works_until = models.TimeField(_("fin de journée"), default=partial(dt.time, 18))
    break_from = models.TimeField(
        _("début de pause"), null=True, blank=True, default=partial(dt.time, 12)
    )
    break_until = models.TimeField(
        _("fin de pause"), null=True, blank=True, default=partial(dt.time, 14)
    )
    capacity = models.PositiveSmallIntegerField(
        _("rendez-vous par créneau"),
        default=1,
        help_text=_("Nombre d'agents disponibles sur chaque créneau de deux heures."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("équipe terrain")
        verbose_name_plural = _("équipes terrain")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(works_from__lt=F("works_until")), name="field_team_day_ordered"
            ),
            models.CheckConstraint(
                condition=Q(break_from__isnull=True, break_until__isnull=True)
                | Q(
                    break_from__gte=F("works_from"),
                    break_from__lt=F("break_until"),
                    break_until__lte=F("works_until"),
                ),
                name="field_team_break_within_day",
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1), name="field_team_capacity_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Intervention(models.Model):
    """A visit of a field agent, triggered from a case (CASE-8)."""

    number = models.CharField(_("numéro"), max_length=20, unique=True)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="interventions")
    account = models.ForeignKey(
        "customers.CustomerAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interventions",
    )
    service_point = models.ForeignKey(
        "customers.ServicePoint",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interventions",
    )
    centre = models.ForeignKey("organisation.Entity", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("type"), max_length=20, choices=InterventionKind.choices)
    urgency = models.CharField(_("urgence"), max_length=8, choices=Urgency.choices)
    status = models.CharField(
        _("état"),
        max_length=12,
        choices=InterventionStatus.choices,
        default=InterventionStatus.TO_SCHEDULE,
    )
    # Seed 003 §5.1.6.2: what an urgent or priority intervention must say.
    emergency_kind = models.CharField(_("type d'urgence"), max_length=60, blank=True)
    leak_volume = models.CharField(_("volume de la fuite"), max_length=60, blank=True)
    phenomenon_duration = models.CharField(_("durée du phénomène"), max_length=60, blank=True)
    exact_location = models.CharField(_("emplacement exact"), max_length=200, blank=True)
    meter_accessibility = models.CharField(
        _("accessibilité du compteur"), max_length=16, choices=MeterAccessibility.choices
    )
    presence_required = models.BooleanField(_("présence du client obligatoire"), default=False)
    customer_wants_appointment = models.BooleanField(
        _("le client souhaite être présent"), default=False
    )
    appointment_required = models.BooleanField(_("rendez-vous nécessaire"), default=False)
    contact_phone = models.CharField(_("téléphone portable du client"), max_length=20)
    comment = models.TextField(_("commentaire"), blank=True)
    take_charge_by = models.DateTimeField(_("à prendre en charge avant"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"))
    created_by = author_field(_("créée par"))
    exported_at = models.DateTimeField(_("transmise au terrain le"), null=True, blank=True)
    external_reference = models.CharField(_("référence terrain"), max_length=40, blank=True)
    reported_at = models.DateTimeField(_("compte rendu le"), null=True, blank=True)
    report_outcome = models.CharField(_("résultat"), max_length=40, blank=True)
    report_comment = models.TextField(_("compte rendu"), blank=True)
    reading = models.ForeignKey(
        "metering.Reading", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fee_invoice = models.ForeignKey(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("facture du déplacement"),
    )
    cancelled_at = models.DateTimeField(_("annulée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("intervention")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "centre"], name="intervention_status_idx"),
            models.Index(
                fields=["centre", "created_at"],
                name="intervention_scheduler_idx",
                condition=Q(status=InterventionStatus.SCHEDULER),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=InterventionKind.values), name="intervention_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(urgency__in=Urgency.values), name="intervention_urgency_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=InterventionStatus.values),
                name="intervention_status_valid",
            ),
            # CUST-5 / seed 003 §4.4: the mobile number is mandatory for a field visit.
            models.CheckConstraint(
                condition=~Q(contact_phone=""), name="intervention_phone_required"
            ),
            # Urgent and priority interventions are taken in charge at a set time, without an
            # appointment; they carry the emergency description.
            models.CheckConstraint(
                condition=Q(urgency=Urgency.NORMAL)
                | Q(take_charge_by__isnull=False, appointment_required=False),
                name="intervention_urgent_take_charge",
            ),
            models.CheckConstraint(
                condition=Q(presence_required=False)
                | Q(appointment_required=True)
                | ~Q(urgency=Urgency.NORMAL),
                name="intervention_presence_needs_appointment",
            ),
            models.CheckConstraint(
                condition=Q(status=InterventionStatus.CANCELLED, cancelled_at__isnull=False)
                | Q(~Q(status=InterventionStatus.CANCELLED), cancelled_at__isnull=True),
                name="intervention_cancelled_at_iff_cancelled",
            ),
            models.CheckConstraint(
                condition=Q(reported_at__isnull=True)
                | Q(status__in=[InterventionStatus.DONE, InterventionStatus.MISSED]),
                name="intervention_report_closes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} — {self.get_kind_display()}"


class Appointment(models.Model):
    """A 2-hour slot booked with a field team for an intervention (CASE-8)."""

    intervention = models.ForeignKey(
        Intervention, on_delete=models.PROTECT, related_name="appointments"
    )
    team = models.ForeignKey(FieldTeam, on_delete=models.PROTECT, related_name="appointments")
    day = models.DateField(_("jour"))
    starts_at = models.TimeField(_("de"))
    ends_at = models.TimeField(_("à"))
    status = models.CharField(
        _("état"),
        max_length=10,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.BOOKED,
    )
    booked_at = models.DateTimeField(_("pris le"))
    booked_by = author_field(_("pris par"))
    reminder_sent_at = models.DateTimeField(
        _("SMS de confirmation envoyé le"), null=True, blank=True
    )
    cancelled_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    cancel_reason = models.CharField(_("motif d'annulation"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("rendez-vous")
        ordering = ["day", "starts_at", "id"]
        indexes = [
            models.Index(
                fields=["team", "day", "starts_at"],
                name="appointment_booked_slot_idx",
                condition=Q(status=AppointmentStatus.BOOKED),
            ),
            models.Index(
                fields=["day"],
                name="appointment_reminder_idx",
                condition=Q(status=AppointmentStatus.BOOKED, reminder_sent_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AppointmentStatus.values), name="appointment_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")), name="appointment_slot_ordered"
            ),
            # One live appointment per intervention: rescheduling cancels the old one first.
            models.UniqueConstraint(
                fields=["intervention"],
                condition=Q(status=AppointmentStatus.BOOKED),
                name="appointment_one_booked_per_intervention",
            ),
            models.CheckConstraint(
                condition=Q(status=AppointmentStatus.CANCELLED, cancelled_at__isnull=False)
                | Q(~Q(status=AppointmentStatus.CANCELLED), cancelled_at__isnull=True),
                name="appointment_cancelled_at_iff_cancelled",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"
