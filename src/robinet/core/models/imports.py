from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportFile(models.Model):
    """A file that was imported, identified by its content hash (principle 5).

    Unique per (kind, sha256, repeat): the same bank statement or meter-reading
    file cannot be imported twice, even concurrently (the second insert fails
    on the unique key and its transaction rolls back with its data). An
    import an officer forces (``--force``) is recorded with the next
    ``repeat`` of that file, under the same key.
    """

    kind = models.CharField(_("type d'import"), max_length=64)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    filename = models.CharField(_("nom du fichier"), max_length=255)
    imported_at = models.DateTimeField(_("importé le"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("importé par"),
    )
    rows = models.PositiveIntegerField(_("lignes"), default=0)
    #: 0 for the first import of the file, 1, 2… for each forced re-import
    repeat = models.PositiveSmallIntegerField(_("réimportation n°"), default=0)
    outcome = models.JSONField(_("résultat"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("fichier importé")
        verbose_name_plural = _("fichiers importés")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "sha256", "repeat"], name="core_importfile_kind_sha256_repeat"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.filename} ({self.imported_at:%Y-%m-%d %H:%M})"
