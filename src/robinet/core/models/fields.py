"""Model fields shared by the apps."""

from django.conf import settings
from django.db import models


def author_field(verbose_name=None) -> models.ForeignKey:
    """Who created or decided something (none for a run or a command); never looked up by it."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=verbose_name,
    )
