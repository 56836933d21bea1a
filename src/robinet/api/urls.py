"""The versioned JSON API (``/api/v1/``): each app contributes a router.

Errors always answer ``{"code", "message", "extra": {"fields": {...}}}``.
"""

import json
from functools import wraps

from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from robinet.api.auth import TokenAuth
from robinet.billing.api import router as billing_router
from robinet.billing.api_budget import router as budget_router
from robinet.billing.api_contributions import router as contributions_router
from robinet.billing.api_leaks import router as leaks_router
from robinet.billing.api_works import router as works_router
from robinet.cases.api import router as cases_router
from robinet.cases.api_field import router as field_router
from robinet.collections.api import router as collections_router
from robinet.collections.api_agencies import router as agencies_router
from robinet.collections.api_litigation import router as litigation_router
from robinet.collections.api_plans import router as plans_router
from robinet.collections.api_worklist import router as worklist_router
from robinet.collections.api_writeoffs import router as writeoffs_router
from robinet.core.exceptions import ApplicationError
from robinet.customers.api import router as customers_router
from robinet.ledger.api import router as ledger_router
from robinet.metering.api import router as metering_router
from robinet.payments.api import router as payments_router
from robinet.payments.api_cards import router as card_router
from robinet.payments.api_cash import router as cash_router
from robinet.payments.api_operators import router as operator_router
from robinet.payments.api_returns import router as returns_router
from robinet.payments.api_sepa import router as sepa_router
from robinet.payments.api_statements import router as statements_router
from robinet.payments.api_vouchers import router as vouchers_router
from robinet.pes.api import router as pes_router
from robinet.reporting.api import router as reporting_router
from robinet.tariffs.api import router as tariffs_router


class ErrorFieldsOut(Schema):
    fields: dict[str, list[str]]


class ErrorOut(Schema):
    """The one shape of every error the API answers."""

    code: str
    message: str
    extra: ErrorFieldsOut


# The errors the handlers below answer, for every operation: a rule's refusal (400), a
# missing permission (403), an object out of reach or unknown (404), a state that forbids
# the action (409). 401 where a token is required, 422 where there is input to validate.
ERROR_STATUSES = {
    "400": "Refusé par une règle",
    "403": "Accès refusé",
    "404": "Introuvable",
    "409": "État incompatible",
}


class RobinetAPI(NinjaAPI):
    """A ``NinjaAPI`` whose schema documents the error answers of each operation.

    The errors come from the exception handlers of this module, not from the views, so they
    are documented here once rather than in each view's ``response=``: a view declares the
    answers it returns itself.
    """

    def _get_urls(self):
        urls = super()._get_urls()
        for pattern in urls:
            pattern.callback = _refusing_nul(pattern.callback)
        return urls

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        definition = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(definition.pop("$defs", {}))
        components["ErrorOut"] = definition
        content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                statuses = dict(ERROR_STATUSES)
                if operation.get("security"):
                    statuses["401"] = "Jeton d'API absent ou invalide"
                if operation.get("parameters") or operation.get("requestBody"):
                    statuses["422"] = "Requête invalide"
                for status, description in statuses.items():
                    operation["responses"].setdefault(
                        status, {"description": description, "content": content}
                    )
        return schema


api = RobinetAPI(
    title="Robinet API",
    version="1",
    description="API JSON de Robinet : mêmes règles et mêmes habilitations que l'interface.",
    urls_namespace="api-v1",
    auth=TokenAuth(),
    docs_url="/docs",
)
api.add_router("/", customers_router)
api.add_router("/", metering_router)
api.add_router("/", tariffs_router)
api.add_router("/", billing_router)
api.add_router("/", works_router)
api.add_router("/", contributions_router)
api.add_router("/", budget_router)
api.add_router("/", leaks_router)
api.add_router("/", card_router)
api.add_router("/", operator_router)
api.add_router("/", statements_router)
api.add_router("/", cash_router)
api.add_router("/", vouchers_router)
api.add_router("/", returns_router)
api.add_router("/", sepa_router)
api.add_router("/", ledger_router)
api.add_router("/", collections_router)
api.add_router("/", plans_router)
api.add_router("/", worklist_router)
api.add_router("/", agencies_router)
api.add_router("/", litigation_router)
api.add_router("/", writeoffs_router)
# Last: its "/payments/{number}" would otherwise catch the fixed paths above.
api.add_router("/", payments_router)
api.add_router("/", cases_router)
api.add_router("/", field_router)
api.add_router("/", reporting_router)
api.add_router("/", pes_router)


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _nul_in_request(request, kwargs) -> bool:
    if _has_nul(list(kwargs.values())) or _has_nul(dict(request.GET.lists())):
        return True
    content_type = request.content_type or ""
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return _has_nul(dict(request.POST.lists()))
    if request.body and b"\\u0000" in request.body:
        try:
            return _has_nul(json.loads(request.body))
        except ValueError:
            return False  # the operation answers its own 400 or 422
    return False


def _authenticated(request) -> bool:
    return TokenAuth()(request) is not None


def _refusing_nul(view):
    """A NUL character is refused (422) before it reaches a view: PostgreSQL stores none."""

    @wraps(view)
    def refusing(request, *args, **kwargs):
        # An unauthenticated request is left to the view, which answers 401 before any input.
        if _nul_in_request(request, kwargs) and _authenticated(request):
            message = _("Les caractères nuls ne sont pas acceptés.")
            return _error(request, 422, "validation_error", message, {"__all__": [message]})
        return view(request, *args, **kwargs)

    return refusing


def _error(request, status: int, code: str, message: str, fields=None):
    return api.create_response(
        request,
        {"code": code, "message": message, "extra": {"fields": fields or {}}},
        status=status,
    )


@api.exception_handler(ApplicationError)
def application_error(request, exc: ApplicationError):
    return _error(request, exc.http_status, exc.code, str(exc.message), exc.fields)


@api.exception_handler(NinjaValidationError)
def validation_error(request, exc: NinjaValidationError):
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        location = [
            str(p) for p in error.get("loc", []) if p not in ("body", "payload", "query", "path")
        ]
        fields.setdefault(".".join(location) or "__all__", []).append(error.get("msg", ""))
    return _error(request, 422, "validation_error", _("Requête invalide."), fields)


@api.exception_handler(AuthenticationError)
def authentication_error(request, exc):
    return _error(request, 401, "unauthenticated", _("Jeton d'API absent ou invalide."))


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return _error(request, exc.status_code, "http_error", str(exc))
