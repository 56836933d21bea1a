"""The versioned JSON API (``/api/v1/``): each app contributes a router.

Errors always answer ``{"code", "message", "extra": {"fields": {...}}}``.
"""

from django.utils.translation import gettext as _
from ninja import NinjaAPI
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

api = NinjaAPI(
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
