from django.urls import path

from robinet.billing import views

app_name = "billing"
urlpatterns = [
    path("runs/", views.RunListView.as_view(), name="runs"),
    path("runs/create/", views.RunCreateView.as_view(), name="run-create"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run-detail"),
    path(
        "runs/<int:pk>/print-export.csv",
        views.RunPrintExportView.as_view(),
        name="run-print-export",
    ),
    path("statistics/", views.StatisticsView.as_view(), name="statistics"),
    path("statistics/export.csv", views.StatisticsCsvView.as_view(), name="statistics-csv"),
    path("held/", views.HeldListView.as_view(), name="held"),
    path("held/<int:pk>/", views.HeldDetailView.as_view(), name="held-detail"),
    path(
        "held/<int:pk>/release/",
        views.HeldActionView.as_view(action="release"),
        name="held-release",
    ),
    path(
        "held/<int:pk>/reprice/",
        views.HeldActionView.as_view(action="reprice"),
        name="held-reprice",
    ),
    path(
        "held/<int:pk>/cancel/",
        views.HeldActionView.as_view(action="cancel"),
        name="held-cancel",
    ),
    path("invoices/", views.InvoiceListView.as_view(), name="invoices"),
    path("invoices/<str:number>/", views.InvoiceDetailView.as_view(), name="invoice-detail"),
    path("invoices/<str:number>/pdf/", views.InvoicePdfView.as_view(), name="invoice-pdf"),
    path("invoices/<str:number>/facturx.xml", views.InvoiceXmlView.as_view(), name="invoice-xml"),
    path(
        "invoices/<str:number>/credit-note/",
        views.CreditNoteView.as_view(),
        name="credit-note-create",
    ),
    path("invoices/<str:number>/rebill/", views.RebillView.as_view(), name="invoice-rebill"),
]
