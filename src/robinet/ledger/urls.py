from django.urls import path

from robinet.ledger import views, views_accounts

app_name = "ledger"

urlpatterns: list = [
    path(
        "accounts/<str:number>/",
        views_accounts.AccountStatementView.as_view(),
        name="account-statement",
    ),
    path(
        "accounts/<str:number>/statement.pdf",
        views_accounts.AccountStatementPdfView.as_view(),
        name="account-statement-pdf",
    ),
    path(
        "accounts/<str:number>/allocate/",
        views_accounts.AllocateView.as_view(),
        name="account-allocate",
    ),
    path(
        "accounts/<str:number>/allocations/<int:pk>/cancel/",
        views_accounts.UnallocateView.as_view(),
        name="account-unallocate",
    ),
    path(
        "accounts/<str:number>/payments/<str:payment_number>/reverse/",
        views_accounts.PaymentReverseView.as_view(),
        name="payment-reverse",
    ),
    path("", views.EntryListView.as_view(), name="entries"),
    path("entries/<int:pk>/", views.EntryDetailView.as_view(), name="entry-detail"),
    path("chart/", views.ChartView.as_view(), name="chart"),
    path("reconciliation/", views.ReconciliationView.as_view(), name="reconciliation"),
    path("beneficiaries/", views.BeneficiaryReportView.as_view(), name="beneficiaries"),
    path("fec/", views.FecView.as_view(), name="fec"),
]
