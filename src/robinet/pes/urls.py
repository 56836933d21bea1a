from django.urls import path

from robinet.pes import views

app_name = "pes"

urlpatterns = [
    path("", views.ExportListView.as_view(), name="exports"),
    path("exports/<int:pk>/", views.ExportDetailView.as_view(), name="export-detail"),
    path("exports/<int:pk>/file.xml", views.ExportFileView.as_view(), name="export-file"),
    path("runs/<int:run_pk>/export/", views.RunExportView.as_view(), name="run-export"),
    path("reductions/export/", views.RunExportView.as_view(), name="reductions-export"),
    path("status-imports/new/", views.StatusImportView.as_view(), name="status-import"),
    path("accounts/<str:number>/", views.AccountTitlesView.as_view(), name="account-titles"),
]
