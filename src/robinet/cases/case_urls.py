"""URLs of contacts and cases (under ``/cases/``)."""

from django.urls import path

from robinet.cases import views

_ACTIONS = ("answer", "holding_reply", "defer", "close", "cancel", "pause", "resume", "reassign")

urlpatterns = [
    path("", views.CaseListView.as_view(), name="case-list"),
    path("overdue/", views.OverdueView.as_view(), name="overdue"),
    path("tasks/", views.TaskListView.as_view(), name="task-list"),
    path("tasks/<int:pk>/done/", views.TaskDoneView.as_view(), name="task-done"),
    path("<int:pk>/", views.CaseDetailView.as_view(), name="case-detail"),
    *[
        path(
            f"<int:pk>/{action.replace('_', '-')}/",
            views.CaseActionView.as_view(action=action),
            name=f"case-{action.replace('_', '-')}",
        )
        for action in _ACTIONS
    ],
    path("<int:pk>/offers/", views.CaseActionView.as_view(action="offer"), name="case-offer"),
    path("contacts/<int:pk>/letter.pdf", views.ContactPdfView.as_view(), name="contact-pdf"),
    path("accounts/<str:number>/card/", views.AccountCasesCardView.as_view(), name="account-card"),
    path(
        "accounts/<str:number>/requests/new/",
        views.RequestCreateView.as_view(),
        name="request-create",
    ),
]
