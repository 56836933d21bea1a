from django.urls import path

from robinet.metering import views

app_name = "metering"
urlpatterns = [
    path("readings/import/", views.ReadingsImportView.as_view(), name="readings-import"),
    path(
        "readings/imports/<int:pk>/",
        views.ReadingsImportResultView.as_view(),
        name="readings-import-result",
    ),
    path(
        "readings/imports/<int:pk>/report.csv",
        views.ReadingsImportReportView.as_view(),
        name="readings-import-report",
    ),
    path("anomalies/", views.AnomalyWorklistView.as_view(), name="anomalies"),
    path("readings/<int:pk>/resolve/", views.AnomalyResolveView.as_view(), name="anomaly-resolve"),
    path("readings/<int:pk>/correct/", views.ReadingCorrectView.as_view(), name="reading-correct"),
    path("notices/<int:pk>/sent/", views.NoticeMarkSentView.as_view(), name="notice-sent"),
    path(
        "customers/<str:number>/service-points/<str:reference>/readings/",
        views.ServicePointReadingsView.as_view(),
        name="service-point-readings",
    ),
    path(
        "customers/<str:number>/contracts/<str:contract>/meter-change/",
        views.MeterChangeView.as_view(),
        name="meter-change",
    ),
    path(
        "customers/<str:number>/contracts/<str:contract>/readings/add/",
        views.ReadingRecordView.as_view(),
        name="reading-record",
    ),
]
