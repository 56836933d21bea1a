"""URLs of write-offs and provisions (under ``/collections/``, COLL-11)."""

from django.urls import path

from robinet.collections import views_writeoffs as views

urlpatterns = [
    path("write-offs/", views.WriteOffListView.as_view(), name="writeoff-list"),
    path("write-offs/provisions/", views.ProvisionRunView.as_view(), name="provision-run"),
    path("write-offs/<str:number>/", views.WriteOffDetailView.as_view(), name="writeoff-detail"),
    path(
        "accounts/<str:number>/write-off/new/",
        views.WriteOffCreateView.as_view(),
        name="writeoff-create",
    ),
]
