"""The customer portal's own users (PORTAL-1), separate from staff authentication.

A :class:`PortalUser` signs in with an e-mail and a password; it reaches the
customer accounts it has linked (:class:`AccountLink`: a landlord may hold
several) and nothing of the back-office, whose views read ``request.user``
(staff) while the portal reads ``request.portal_user``. One-time secrets (e-mail
verification, password reset, the code that links an account) are stored as
SHA-256 hashes (:class:`PortalToken`). Files customers upload
(:class:`PortalUpload`) live in private storage, served only through a view
that checks the owner.
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class PrivateStorage(FileSystemStorage):
    """A storage with no URL: its files are only ever streamed by an owner-checking view."""

    def url(self, name):
        raise ValueError("private files have no URL")


def private_storage() -> FileSystemStorage:
    """Customers' files: outside MEDIA_ROOT and never served by URL (PORTAL security)."""
    return PrivateStorage(location=settings.ROBINET_PRIVATE_FILES)


class PortalUser(models.Model):
    email = models.EmailField(_("e-mail"), unique=True)
    password = models.CharField(_("mot de passe"), max_length=128)
    first_name = models.CharField(_("prénom"), max_length=80, blank=True)
    last_name = models.CharField(_("nom"), max_length=120, blank=True)
    language = models.CharField(_("langue"), max_length=2, default="fr")
    is_active = models.BooleanField(_("actif"), default=True)
    email_verified_at = models.DateTimeField(_("e-mail vérifié le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"))
    last_login_at = models.DateTimeField(_("dernière connexion"), null=True, blank=True)
    failed_logins = models.PositiveSmallIntegerField(_("échecs de connexion"), default=0)
    locked_until = models.DateTimeField(_("verrouillé jusqu'au"), null=True, blank=True)

    class Meta:
        verbose_name = _("utilisateur de l'espace client")
        verbose_name_plural = _("utilisateurs de l'espace client")
        constraints = [
            models.CheckConstraint(
                condition=Q(email=models.functions.Lower("email")), name="portal_user_email_lower"
            ),
            models.CheckConstraint(
                condition=Q(language__in=["fr", "en"]), name="portal_user_language_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_authenticated(self) -> bool:
        return True


class AccountLink(models.Model):
    """A customer account a portal user may see and act on (PORTAL-1)."""

    user = models.ForeignKey(PortalUser, on_delete=models.CASCADE, related_name="links")
    account = models.ForeignKey(
        "customers.CustomerAccount", on_delete=models.CASCADE, related_name="portal_links"
    )
    linked_at = models.DateTimeField(_("rattaché le"))
    method = models.CharField(_("preuve"), max_length=12)  # invoice | code

    class Meta:
        verbose_name = _("compte rattaché")
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="portal_link_unique"),
            models.CheckConstraint(
                condition=Q(method__in=["invoice", "code"]), name="portal_link_method_valid"
            ),
        ]


class TokenPurpose(models.TextChoices):
    VERIFY_EMAIL = "verify_email", _("Vérification de l'e-mail")
    RESET_PASSWORD = "reset_password", _("Nouveau mot de passe")
    LINK_CODE = "link_code", _("Code de rattachement d'un compte")


class PortalToken(models.Model):
    """A one-time secret; only its SHA-256 is stored."""

    user = models.ForeignKey(
        PortalUser, null=True, blank=True, on_delete=models.CASCADE, related_name="tokens"
    )
    account = models.ForeignKey(
        "customers.CustomerAccount",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    purpose = models.CharField(max_length=16, choices=TokenPurpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose__in=TokenPurpose.values), name="portal_token_purpose_valid"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="portal_token_expires_after"
            ),
            models.CheckConstraint(
                condition=~Q(purpose=TokenPurpose.LINK_CODE) | Q(account__isnull=False),
                name="portal_token_link_code_has_account",
            ),
        ]


class LoginAttempt(models.Model):
    """Sign-in attempts, for rate limiting and lockout (by e-mail and by address)."""

    email = models.CharField(max_length=254, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(db_index=True)
    succeeded = models.BooleanField(default=False)


class PortalUpload(models.Model):
    """A file a customer sent (leak certificate, attachment of a request): private storage."""

    owner = models.ForeignKey(PortalUser, on_delete=models.PROTECT, related_name="uploads")
    account = models.ForeignKey(
        "customers.CustomerAccount", on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="portal_uploads"
    )
    file = models.FileField(storage=private_storage, upload_to="portal/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(content_type__in=["application/pdf", "image/jpeg", "image/png"]),
                name="portal_upload_type_allowed",
            ),
            models.CheckConstraint(
                condition=Q(size__gt=0, size__lte=10 * 1024 * 1024), name="portal_upload_size"
            ),
        ]
