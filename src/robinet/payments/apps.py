from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "robinet.payments"
    label = "payments"
    verbose_name = "Règlements"
