"""URLs of the dunning screens (COLL-1…4, COLL-13), under ``/collections/``."""

from django.urls import path

from robinet.collections import views

urlpatterns = [
    path("dunning/", views.DunningRunListView.as_view(), name="dunning-runs"),
    path("dunning/<int:pk>/", views.DunningRunDetailView.as_view(), name="dunning-run"),
    path("dunning/<int:pk>/issue/", views.DunningIssueView.as_view(), name="dunning-issue"),
    path(
        "dunning/proposals/<int:pk>/exclude/",
        views.ProposalExcludeView.as_view(),
        name="proposal-exclude",
    ),
    path(
        "dunning/items/<int:pk>/exclude/",
        views.ProposalItemExcludeView.as_view(),
        name="proposal-item-exclude",
    ),
    path("notices/", views.NoticeListView.as_view(), name="notice-list"),
    path("notices/<int:pk>/", views.NoticeDetailView.as_view(), name="notice-detail"),
    path("notices/<int:pk>/pdf/", views.NoticePdfView.as_view(), name="notice-pdf"),
    path(
        "accounts/<str:number>/",
        views.AccountCollectionView.as_view(),
        name="account-collection",
    ),
    path(
        "accounts/<str:number>/card/",
        views.AccountCollectionCardView.as_view(),
        name="account-collection-card",
    ),
    path(
        "accounts/<str:number>/blocks/",
        views.BlockCreateView.as_view(),
        name="block-create",
    ),
    path("blocks/<int:pk>/lift/", views.BlockLiftView.as_view(), name="block-lift"),
    path("procedures/", views.ProceduresView.as_view(), name="procedures"),
]
