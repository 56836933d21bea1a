from django.urls import path

from robinet.payments import views_vouchers as vouchers

app_name = "payments"

urlpatterns: list = [
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
]
