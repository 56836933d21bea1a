from django.urls import path

from robinet.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.CustomerSearchView.as_view(), name="search"),
    path("create/", views.CustomerCreateView.as_view(), name="create"),
    path("quality/", views.QualityView.as_view(), name="quality"),
    path("<str:number>/", views.CustomerDetailView.as_view(), name="detail"),
    path("<str:number>/update/", views.CustomerEditView.as_view(), name="edit"),
    path("<str:number>/bank-details/", views.BankDetailsView.as_view(), name="bank-details"),
    path(
        "<str:number>/particularities/add/",
        views.ParticularityAddView.as_view(),
        name="particularity-add",
    ),
    path(
        "<str:number>/particularities/<int:pk>/end/",
        views.ParticularityEndView.as_view(),
        name="particularity-end",
    ),
    path("<str:number>/comments/add/", views.CommentAddView.as_view(), name="comment-add"),
    path("<str:number>/returned-mail/", views.ReturnedMailView.as_view(), name="returned-mail"),
    path(
        "<str:number>/returned-mail/clear/",
        views.ReturnedMailClearView.as_view(),
        name="returned-mail-clear",
    ),
    path("<str:number>/move-in/", views.MoveInView.as_view(), name="move-in"),
    path(
        "<str:number>/contracts/<str:contract>/move-out/",
        views.MoveOutView.as_view(),
        name="move-out",
    ),
    path(
        "<str:number>/contracts/<str:contract>/change-holder/",
        views.ChangeHolderView.as_view(),
        name="change-holder",
    ),
    path("<str:number>/export/", views.CustomerExportView.as_view(), name="export"),
    path("<str:number>/invoices/", views.AccountInvoicesView.as_view(), name="invoices"),
]
