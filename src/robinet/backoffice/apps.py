from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "robinet.backoffice"
    label = "backoffice"
    verbose_name = "Back-office"
