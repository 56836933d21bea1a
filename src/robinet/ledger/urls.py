from django.urls import path

from robinet.ledger import views_accounts

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
]
