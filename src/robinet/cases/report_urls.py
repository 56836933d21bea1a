"""URLs of the control reports of customer requests (CASE-10)."""

from django.urls import path

from robinet.cases import report_views as views

urlpatterns = [
    path("reports/", views.ReportIndexView.as_view(), name="reports"),
    path("reports/<slug:slug>/", views.ReportView.as_view(), name="report"),
    path("reports/<slug:slug>/rows/", views.ReportRowsView.as_view(), name="report-rows"),
]
