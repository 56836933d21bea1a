from django.urls import path

from robinet.reporting import views

app_name = "reporting"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="index"),
    path("<slug:name>/", views.ReportView.as_view(), name="report"),
]
