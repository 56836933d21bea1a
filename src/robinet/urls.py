from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from robinet.api.urls import api
from robinet.backoffice import views as backoffice_views

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="backoffice/login.html"),
        name="login",
    ),
    path("login/code/", backoffice_views.LoginCodeView.as_view(), name="login-code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("customers/", include("robinet.customers.urls")),
    path("metering/", include("robinet.metering.urls")),
    path("tariffs/", include("robinet.tariffs.urls")),
    path("billing/", include("robinet.billing.urls")),
    path("payments/", include("robinet.payments.urls")),
    path("collections/", include("robinet.collections.urls")),
    path("cases/", include("robinet.cases.urls")),
    path("reporting/", include("robinet.reporting.urls")),
    path("espace-client/", include("robinet.portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounting/", include("robinet.ledger.urls")),
    path("public-accountant/", include("robinet.pes.urls")),
    path("", include("robinet.backoffice.urls")),
]
