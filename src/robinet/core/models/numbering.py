from django.db import models
from django.utils.translation import gettext_lazy as _


class Sequence(models.Model):
    """The last number handed out in a gapless series, per year (0: not yearly).

    Only :mod:`robinet.core.numbering` writes these rows: the increment happens
    in the caller's transaction and holds the row lock until it ends, so a
    rolled-back document gives its number back (no gap) and numbers are strictly
    increasing in commit order.
    """

    series = models.CharField(_("série"), max_length=64)
    year = models.PositiveSmallIntegerField(_("année"), default=0)
    last_value = models.BigIntegerField(_("dernier numéro"), default=0)

    class Meta:
        verbose_name = _("séquence de numérotation")
        verbose_name_plural = _("séquences de numérotation")
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="core_sequence_series_year"),
            models.CheckConstraint(
                condition=models.Q(last_value__gte=0), name="core_sequence_last_value_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.series}/{self.year}: {self.last_value}"
