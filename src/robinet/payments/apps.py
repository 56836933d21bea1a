from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "robinet.payments"
    label = "payments"
    verbose_name = "Règlements"

    def ready(self) -> None:
        from robinet.payments import statement_booking

        statement_booking.register()
