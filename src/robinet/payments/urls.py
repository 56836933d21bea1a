from django.urls import path

from robinet.payments import (
    views_cards,
    views_cash,
    views_operators,
    views_returns,
    views_sepa,
    views_statements,
)
from robinet.payments import views_vouchers as vouchers

app_name = "payments"

urlpatterns: list = [
    # PAY-4: direct-debit returns and rejects; PAY-6: refunds
    path("returns/", views_returns.ReturnFileListView.as_view(), name="returns"),
    path("returns/<int:pk>/", views_returns.ReturnFileDetailView.as_view(), name="return-file"),
    path("refunds/", views_returns.RefundListView.as_view(), name="refunds"),
    path("refunds/propose/", views_returns.RefundProposeView.as_view(), name="refund-propose"),
    path("refunds/export/", views_returns.RefundExportView.as_view(), name="refund-export"),
    path(
        "refunds/<str:number>/approve/",
        views_returns.RefundApproveView.as_view(),
        name="refund-approve",
    ),
    path(
        "refunds/files/<int:pk>/xml/",
        views_returns.RefundFileDownloadView.as_view(),
        name="refund-file",
    ),
    # PAY-5: bank statements and the unallocated-amounts worklist
    path("bank-statements/", views_statements.StatementListView.as_view(), name="bank-statements"),
    path(
        "bank-statements/import/",
        views_statements.StatementImportView.as_view(),
        name="bank-statement-import",
    ),
    path(
        "bank-statements/<int:pk>/",
        views_statements.StatementDetailView.as_view(),
        name="bank-statement",
    ),
    path(
        "bank-statements/<int:pk>/booking/",
        views_statements.StatementBookingView.as_view(),
        name="bank-statement-booking",
    ),
    path("unallocated/", views_statements.UnallocatedListView.as_view(), name="unallocated"),
    path(
        "unallocated/<int:pk>/",
        views_statements.UnallocatedDetailView.as_view(),
        name="unallocated-detail",
    ),
    path(
        "unallocated/<int:pk>/allocate/",
        views_statements.UnallocatedAllocateView.as_view(),
        name="unallocated-allocate",
    ),
    path(
        "unallocated/<int:pk>/split/",
        views_statements.UnallocatedSplitView.as_view(),
        name="unallocated-split",
    ),
    path(
        "unallocated/<int:pk>/close/",
        views_statements.UnallocatedCloseView.as_view(),
        name="unallocated-close",
    ),
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
    # PAY-10: prepaid vouchers for administrations (vignettes)
    path("vouchers/", vouchers.VoucherHomeView.as_view(), name="vouchers"),
    path(
        "vouchers/agreements/create/",
        vouchers.AgreementCreateView.as_view(),
        name="voucher-agreement-create",
    ),
    path(
        "vouchers/agreements/<int:pk>/",
        vouchers.AgreementDetailView.as_view(),
        name="voucher-agreement-detail",
    ),
    *(
        path(
            f"vouchers/agreements/<int:pk>/{action}/",
            vouchers.AgreementActionView.as_view(action=action),
            name=f"voucher-agreement-{action}",
        )
        for action in ("sign", "pay", "close", "issue", "return", "exchange")
    ),
    path("vouchers/stock/", vouchers.StockView.as_view(), name="voucher-stock"),
    path("vouchers/stock/threshold/", vouchers.ThresholdView.as_view(), name="voucher-threshold"),
    path(
        "vouchers/movements/create/",
        vouchers.MovementCreateView.as_view(),
        name="voucher-movement-create",
    ),
    path("vouchers/redeem/", vouchers.RedeemView.as_view(), name="voucher-redeem"),
    path("vouchers/statement/", vouchers.StatementView.as_view(), name="voucher-statement"),
    path(
        "vouchers/statement.csv", vouchers.StatementCsvView.as_view(), name="voucher-statement-csv"
    ),
    # PAY-3: SEPA direct debit
    path("sepa/runs/", views_sepa.RunListView.as_view(), name="sepa-runs"),
    path("sepa/runs/<int:pk>/", views_sepa.RunDetailView.as_view(), name="sepa-run"),
    path("sepa/runs/<int:pk>/file/", views_sepa.RunFileView.as_view(), name="sepa-run-file"),
    path("sepa/runs/<int:pk>/settle/", views_sepa.RunSettleView.as_view(), name="sepa-run-settle"),
    path("sepa/runs/<int:pk>/resume/", views_sepa.RunResumeView.as_view(), name="sepa-run-resume"),
    path("sepa/mandates/", views_sepa.MandateListView.as_view(), name="sepa-mandates"),
]
