"""URLs of payment plans, promises and the debtor diagnosis (under ``/collections/``)."""

from django.urls import path

from robinet.collections import views_plans as views

urlpatterns = [
    path("plans/", views.PlanListView.as_view(), name="plan-list"),
    path("plans/<int:pk>/", views.PlanDetailView.as_view(), name="plan-detail"),
    path("plans/<int:pk>/agreement.pdf", views.PlanAgreementView.as_view(), name="plan-agreement"),
    path("plans/<int:pk>/sign/", views.PlanActionView.as_view(action="sign"), name="plan-sign"),
    path(
        "plans/<int:pk>/cancel/", views.PlanActionView.as_view(action="cancel"), name="plan-cancel"
    ),
    path("accounts/<str:number>/plans/new/", views.PlanCreateView.as_view(), name="plan-create"),
    path(
        "accounts/<str:number>/promises/new/",
        views.PromiseCreateView.as_view(),
        name="promise-create",
    ),
    path("promises/<int:pk>/cancel/", views.PromiseCancelView.as_view(), name="promise-cancel"),
    path(
        "accounts/<str:number>/diagnosis/new/",
        views.DiagnosisCreateView.as_view(),
        name="diagnosis-create",
    ),
    path(
        "accounts/<str:number>/fsl-decision/",
        views.FslDecisionView.as_view(),
        name="fsl-decision",
    ),
]
