from django.urls import path

from robinet.billing import views

app_name = "billing"
urlpatterns = [
    path("runs/", views.RunListView.as_view(), name="runs"),
    path("runs/create/", views.RunCreateView.as_view(), name="run-create"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run-detail"),
    path("runs/<int:pk>/resume/", views.RunResumeView.as_view(), name="run-resume"),
    path("runs/<int:pk>/render/", views.RunRenderView.as_view(), name="run-render"),
    path(
        "runs/<int:pk>/print-export.csv",
        views.RunPrintExportView.as_view(),
        name="run-print-export",
    ),
    path("statistics/", views.StatisticsView.as_view(), name="statistics"),
    path("statistics/export.csv", views.StatisticsCsvView.as_view(), name="statistics-csv"),
    path("held/", views.HeldListView.as_view(), name="held"),
    path("held/<int:pk>/", views.HeldDetailView.as_view(), name="held-detail"),
    path(
        "held/<int:pk>/release/",
        views.HeldActionView.as_view(action="release"),
        name="held-release",
    ),
    path(
        "held/<int:pk>/reprice/",
        views.HeldActionView.as_view(action="reprice"),
        name="held-reprice",
    ),
    path(
        "held/<int:pk>/cancel/",
        views.HeldActionView.as_view(action="cancel"),
        name="held-cancel",
    ),
    path("invoices/", views.InvoiceListView.as_view(), name="invoices"),
    path("invoices/<str:number>/", views.InvoiceDetailView.as_view(), name="invoice-detail"),
    path("invoices/<str:number>/pdf/", views.InvoicePdfView.as_view(), name="invoice-pdf"),
    path("invoices/<str:number>/facturx.xml", views.InvoiceXmlView.as_view(), name="invoice-xml"),
    path(
        "invoices/<str:number>/credit-note/",
        views.CreditNoteView.as_view(),
        name="credit-note-create",
    ),
    path("invoices/<str:number>/rebill/", views.RebillView.as_view(), name="invoice-rebill"),
    # BILL-7: services and fees, works quotes
    path("fees/create/", views.FeesCreateView.as_view(), name="fees-create"),
    path("quotes/", views.QuoteListView.as_view(), name="quotes"),
    path("quotes/create/", views.QuoteCreateView.as_view(), name="quote-create"),
    path("quotes/<str:number>/", views.QuoteDetailView.as_view(), name="quote-detail"),
    path("quotes/<str:number>/pdf/", views.QuotePdfView.as_view(), name="quote-pdf"),
    path("quotes/<str:number>/signed/", views.QuoteSignedView.as_view(), name="quote-signed"),
    path(
        "quotes/<str:number>/send/",
        views.QuoteActionView.as_view(action="send"),
        name="quote-send",
    ),
    path(
        "quotes/<str:number>/accept/",
        views.QuoteActionView.as_view(action="accept"),
        name="quote-accept",
    ),
    path(
        "quotes/<str:number>/refuse/",
        views.QuoteActionView.as_view(action="refuse"),
        name="quote-refuse",
    ),
    path(
        "quotes/<str:number>/invoice/",
        views.QuoteActionView.as_view(action="invoice"),
        name="quote-invoice",
    ),
    # BILL-7: municipal contributions to projects, with their agreements
    path("contributions/", views.AgreementListView.as_view(), name="contributions"),
    path("contributions/create/", views.AgreementCreateView.as_view(), name="contribution-create"),
    path(
        "contributions/<str:number>/",
        views.AgreementDetailView.as_view(),
        name="contribution-detail",
    ),
    path(
        "contributions/<str:number>/pdf/",
        views.AgreementPdfView.as_view(),
        name="contribution-pdf",
    ),
    path(
        "contributions/<str:number>/signed/",
        views.AgreementSignedView.as_view(),
        name="contribution-signed",
    ),
    path(
        "contributions/<str:number>/sign/",
        views.AgreementActionView.as_view(action="sign"),
        name="contribution-sign",
    ),
    path(
        "contributions/<str:number>/invoice/",
        views.AgreementActionView.as_view(action="invoice"),
        name="contribution-invoice",
    ),
    path(
        "contributions/<str:number>/close/",
        views.AgreementActionView.as_view(action="close"),
        name="contribution-close",
    ),
    # BILL-9: leak relief (with METER-5)
    path("leaks/", views.LeakListView.as_view(), name="leaks"),
    path(
        "invoices/<str:number>/leak-relief/",
        views.LeakCreateView.as_view(),
        name="leak-create",
    ),
    path("leaks/<int:pk>/", views.LeakDetailView.as_view(), name="leak-detail"),
    path(
        "leaks/<int:pk>/certificate/", views.LeakCertificateView.as_view(), name="leak-certificate"
    ),
    path(
        "leaks/<int:pk>/record/",
        views.LeakActionView.as_view(action="certificate"),
        name="leak-record",
    ),
    path(
        "leaks/<int:pk>/meter-check/",
        views.LeakActionView.as_view(action="meter-check"),
        name="leak-meter-check",
    ),
    path(
        "leaks/<int:pk>/approve/",
        views.LeakActionView.as_view(action="approve"),
        name="leak-approve",
    ),
    path(
        "leaks/<int:pk>/refuse/",
        views.LeakActionView.as_view(action="refuse"),
        name="leak-refuse",
    ),
    path(
        "leaks/<int:pk>/meter-outcome/",
        views.LeakActionView.as_view(action="meter-outcome"),
        name="leak-meter-outcome",
    ),
    # BILL-10: monthly payment (mensualisation)
    path("budget/", views.BudgetListView.as_view(), name="budget"),
    path("budget/enrol/", views.BudgetEnrolView.as_view(), name="budget-enrol"),
    path("budget/<int:pk>/", views.BudgetDetailView.as_view(), name="budget-detail"),
    path("budget/<int:pk>/schedule.pdf", views.BudgetPdfView.as_view(), name="budget-pdf"),
    *(
        path(
            f"budget/<int:pk>/{action}/",
            views.BudgetActionView.as_view(action=action),
            name=f"budget-{action}",
        )
        for action in ("suspend", "resume", "adjust", "change", "collect", "settle", "cancel")
    ),
]
