"""URLs of the portal's account pages (home, bills, payments) and the public calculator."""

from django.urls import path

from robinet.portal import views_account as views

urlpatterns: list = [
    path("", views.HomeView.as_view(), name="home"),
    path("factures/", views.BillsView.as_view(), name="bills"),
    path("factures/<str:number>.pdf", views.BillPdfView.as_view(), name="bill-pdf"),
    path(
        "factures/<str:number>-facturx.xml",
        views.BillFacturxView.as_view(),
        name="bill-facturx",
    ),
    path("paiements/<int:pk>/recu.pdf", views.ReceiptView.as_view(), name="receipt"),
    path("payer/", views.PayView.as_view(), name="pay"),
    path("payer/retour/", views.PayReturnView.as_view(), name="pay-return"),
    path("simulateur/", views.CalculatorView.as_view(), name="calculator"),
]
