"""URLs of field interventions and the appointment book (CASE-8), under ``/cases/``."""

from django.urls import path

from robinet.cases import field_views as views

urlpatterns = [
    path(
        "<int:case_pk>/interventions/new/",
        views.InterventionCreateView.as_view(),
        name="intervention-create",
    ),
    path("interventions/scheduler/", views.SchedulerView.as_view(), name="scheduler"),
    path(
        "interventions/<int:pk>/",
        views.InterventionDetailView.as_view(),
        name="intervention-detail",
    ),
    path(
        "interventions/<int:pk>/slots/",
        views.AppointmentSlotsView.as_view(),
        name="appointment-slots",
    ),
    path("appointments/", views.AppointmentBookView.as_view(), name="appointment-book"),
]
