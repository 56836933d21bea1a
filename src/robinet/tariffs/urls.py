from django.urls import path

from robinet.tariffs import views

app_name = "tariffs"
urlpatterns = [
    path("", views.TariffListView.as_view(), name="list"),
    path("create/", views.TariffCreateView.as_view(), name="create"),
    path("simulate/", views.TariffSimulateView.as_view(), name="simulate"),
    path("<str:code>/", views.TariffDetailView.as_view(), name="detail"),
    path("<str:code>/update/", views.TariffEditView.as_view(), name="edit"),
    path("<str:code>/export.yaml", views.TariffExportView.as_view(), name="export"),
]
