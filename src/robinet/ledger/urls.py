from django.urls import path

from robinet.ledger import views

app_name = "ledger"

urlpatterns: list = [
    path("", views.EntryListView.as_view(), name="entries"),
    path("entries/<int:pk>/", views.EntryDetailView.as_view(), name="entry-detail"),
    path("chart/", views.ChartView.as_view(), name="chart"),
    path("reconciliation/", views.ReconciliationView.as_view(), name="reconciliation"),
    path("beneficiaries/", views.BeneficiaryReportView.as_view(), name="beneficiaries"),
    path("fec/", views.FecView.as_view(), name="fec"),
]
