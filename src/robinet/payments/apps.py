from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "robinet.payments"
    label = "payments"
    verbose_name = "Règlements"

    def ready(self) -> None:
        from robinet.payments import debit_runs, statement_booking

        debit_runs.register()
        statement_booking.register()
