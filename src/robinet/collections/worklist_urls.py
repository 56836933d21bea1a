"""URLs of the collection officer's worklist (COLL-7), under ``/collections/``."""

from django.urls import path

from robinet.collections import views_worklist as views

urlpatterns = [
    path("worklist/", views.WorklistView.as_view(), name="worklist"),
    path(
        "worklist/accounts/<str:number>/contact/",
        views.ContactCreateView.as_view(),
        name="worklist-contact",
    ),
]
