"""Domain errors raised by services and turned into messages by interfaces."""

from typing import Any


class ApplicationError(Exception):
    """A rule refused the request. ``fields`` maps field names to messages."""

    http_status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        fields: dict[str, list[str]] | None = None,
        data: dict[str, Any] | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.fields = fields or {}
        self.data = data or {}
        if http_status is not None:
            self.http_status = http_status

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "extra": {"fields": self.fields}}


class ValidationFailed(ApplicationError):
    """Input broke one or more field rules (``fields`` says which)."""

    def __init__(self, fields: dict[str, list[str]], message: str | None = None) -> None:
        from django.utils.translation import gettext

        super().__init__(
            message or gettext("Certaines données sont invalides."),
            code="validation_error",
            fields={k: [str(m) for m in v] for k, v in fields.items()},
        )


class PermissionDenied(ApplicationError):
    http_status = 403

    def __init__(self, message: str | None = None) -> None:
        from django.utils.translation import gettext

        super().__init__(message or gettext("Accès refusé."), code="permission_denied")


class NotFound(ApplicationError):
    http_status = 404

    def __init__(self, message: str | None = None) -> None:
        from django.utils.translation import gettext

        super().__init__(message or gettext("Introuvable."), code="not_found")


class InvalidTransition(ApplicationError):
    http_status = 409

    def __init__(self, message: str) -> None:
        super().__init__(message, code="invalid_transition")
