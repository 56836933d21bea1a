"""URLs of the agency screens (COLL-8, ORG-4), under ``/collections/``."""

from django.urls import path

from robinet.collections import views_agencies as views

urlpatterns = [
    path("agencies/", views.AgencyListView.as_view(), name="agency-list"),
    path("agencies/assign/", views.AgencyAssignView.as_view(), name="agency-assign"),
    path(
        "agencies/assignments/<int:pk>/recall/",
        views.AssignmentRecallView.as_view(),
        name="assignment-recall",
    ),
    path("agencies/<str:code>/", views.AgencyDetailView.as_view(), name="agency-detail"),
    path("agencies/<str:code>/export/", views.AgencyExportView.as_view(), name="agency-export"),
    path("agencies/<str:code>/import/", views.AgencyImportView.as_view(), name="agency-import"),
    path("agencies/<str:code>/users/", views.AgencyMembersView.as_view(), name="agency-members"),
    path(
        "agencies/<str:code>/close-paid/",
        views.AgencyClosePaidView.as_view(),
        name="agency-close-paid",
    ),
    # The agency's own portal (ORG-4).
    path("agency/", views.AgencyPortalView.as_view(), name="agency-portal"),
    path("agency/export/", views.AgencyPortalExportView.as_view(), name="agency-portal-export"),
    path(
        "agency/<int:pk>/",
        views.AgencyPortalAssignmentView.as_view(),
        name="agency-portal-assignment",
    ),
]
