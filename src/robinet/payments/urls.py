from django.urls import path

from robinet.payments import views_cards, views_operators

app_name = "payments"

urlpatterns: list = [
    # PAY-2: card payments
    path("cards/", views_cards.CardListView.as_view(), name="cards"),
    path("cards/start/", views_cards.CardStartView.as_view(), name="card-start"),
    path("cards/return/", views_cards.CardReturnView.as_view(), name="card-return"),
    path("cards/<int:pk>/", views_cards.CardDetailView.as_view(), name="card-detail"),
    path(
        "card/callback/<str:provider>/",
        views_cards.CardCallbackView.as_view(),
        name="card-callback",
    ),
    path(
        "card/test-provider/<str:reference>/",
        views_cards.TestProviderPageView.as_view(),
        name="card-test-provider",
    ),
    # PAY-8: collection operators and agencies
    path("operators/", views_operators.OperatorListView.as_view(), name="operators"),
    path(
        "operators/transfers/",
        views_operators.TransferListView.as_view(),
        name="operator-transfers",
    ),
    path(
        "operators/statements/",
        views_operators.StatementListView.as_view(),
        name="operator-statements",
    ),
    path(
        "operators/statements/import/",
        views_operators.StatementImportView.as_view(),
        name="operator-statement-import",
    ),
    path(
        "operators/statements/<int:pk>/",
        views_operators.StatementDetailView.as_view(),
        name="operator-statement",
    ),
    path(
        "operators/statements/<int:pk>/examine/",
        views_operators.StatementExamineView.as_view(),
        name="operator-statement-examine",
    ),
]
