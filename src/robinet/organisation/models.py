from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from robinet.organisation.roles import Role


class EntityKind(models.TextChoices):
    REGION = "region", _("Direction régionale")
    AGENCY = "agency", _("Agence")
    CENTRE = "centre", _("Centre")


PARENT_KIND = {EntityKind.AGENCY: EntityKind.REGION, EntityKind.CENTRE: EntityKind.AGENCY}


class Entity(models.Model):
    """A node of the organisation tree region → agency → centre (ORG-1).

    ``path`` is the materialised chain of ids (``/1/4/9/``) so that "this
    entity and everything under it" is one indexed prefix query.
    """

    kind = models.CharField(_("niveau"), max_length=8, choices=EntityKind.choices)
    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("nom"), max_length=120)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("entité parente"),
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)

    class Meta:
        verbose_name = _("entité")
        verbose_name_plural = _("entités")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=EntityKind.REGION, parent__isnull=True)
                | Q(~Q(kind=EntityKind.REGION), parent__isnull=False),
                name="entity_region_is_root",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=EntityKind.values), name="entity_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A member of staff. Customers use the portal's own accounts."""

    class Meta:
        verbose_name = _("utilisateur")


class RoleAssignment(models.Model):
    """A role a user holds on an entity and, implicitly, everything below it (ORG-2)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("rôle"), max_length=32, choices=Role.choices)
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("habilitation")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "entity"], name="role_assignment_unique"
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.entity}"


class ApiToken(models.Model):
    """A user's API token; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("jeton d'API")
