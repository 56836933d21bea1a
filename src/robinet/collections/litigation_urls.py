"""URLs of litigation and insolvency files (under ``/collections/``)."""

from django.urls import path

from robinet.collections import views_litigation as views

urlpatterns = [
    path("litigation/", views.LitigationListView.as_view(), name="litigation-list"),
    path("litigation/<str:file>/", views.LitigationDetailView.as_view(), name="litigation-detail"),
    path(
        "litigation/<str:file>/bundle.pdf",
        views.LitigationBundleView.as_view(),
        name="litigation-bundle",
    ),
    path(
        "litigation/<str:file>/stage/",
        views.LitigationStageView.as_view(),
        name="litigation-stage",
    ),
    path("litigation/<str:file>/cost/", views.LitigationCostView.as_view(), name="litigation-cost"),
    path(
        "litigation/<str:file>/outcome/",
        views.LitigationOutcomeView.as_view(),
        name="litigation-outcome",
    ),
    path(
        "accounts/<str:number>/litigation/new/",
        views.LitigationCreateView.as_view(),
        name="litigation-create",
    ),
    path("insolvency/", views.InsolvencyListView.as_view(), name="insolvency-list"),
    path("insolvency/<str:file>/", views.InsolvencyDetailView.as_view(), name="insolvency-detail"),
    path(
        "insolvency/<str:file>/action/",
        views.InsolvencyActionView.as_view(),
        name="insolvency-action",
    ),
    path(
        "accounts/<str:number>/insolvency/new/",
        views.InsolvencyCreateView.as_view(),
        name="insolvency-create",
    ),
]
