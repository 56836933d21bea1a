from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Who changed what, when, with the values before and after (ORG-3).

    ``target`` is the changed row; ``subject`` is the record whose history
    shows the event (e.g. the customer account for a contract change).
    """

    occurred_at = models.DateTimeField(_("date"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("auteur"),
    )
    verb = models.CharField(_("action"), max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    subject_type = models.CharField(max_length=64, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(_("modifications"), default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("événement d'audit")
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "-occurred_at"]),
            models.Index(fields=["target_type", "target_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.verb} {self.target_type}:{self.target_id}"
