from django.urls import path

from robinet.payments import views_cash

app_name = "payments"

urlpatterns = [
    # PAY-2, PAY-9: the counter cash desk
    path("cash/", views_cash.CounterView.as_view(), name="cash"),
    path(
        "cash/payments/<str:number>/receipt/",
        views_cash.PaymentReceiptView.as_view(),
        name="cash-receipt",
    ),
    path(
        "cash/payments/<str:number>/cancel/",
        views_cash.PaymentCancelView.as_view(),
        name="cash-payment-cancel",
    ),
    path("cash/days/", views_cash.DayListView.as_view(), name="cash-days"),
    path("cash/days/<int:pk>/", views_cash.DayDetailView.as_view(), name="cash-day-detail"),
    path("cash/days/<int:pk>/close/", views_cash.DayCloseView.as_view(), name="cash-day-close"),
    path(
        "cash/days/<int:pk>/report.pdf",
        views_cash.DayReportPdfView.as_view(),
        name="cash-day-report",
    ),
    path(
        "cash/days/<int:pk>/transmissions/",
        views_cash.TransmissionCreateView.as_view(),
        name="cash-transmission-create",
    ),
    path(
        "cash/transmissions/",
        views_cash.TransmissionReportView.as_view(),
        name="cash-transmissions",
    ),
    path(
        "cash/transmissions/export.csv",
        views_cash.TransmissionReportView.as_view(as_csv=True),
        name="cash-transmissions-csv",
    ),
    path("cash/slips/", views_cash.SlipListView.as_view(), name="cash-slips"),
    path("cash/slips/create/", views_cash.SlipCreateView.as_view(), name="cash-slip-create"),
    path("cash/slips/<int:pk>/", views_cash.SlipDetailView.as_view(), name="cash-slip-detail"),
    path("cash/slips/<int:pk>/export.csv", views_cash.SlipCsvView.as_view(), name="cash-slip-csv"),
    path("cash/slips/<int:pk>/pdf/", views_cash.SlipPdfView.as_view(), name="cash-slip-pdf"),
]
