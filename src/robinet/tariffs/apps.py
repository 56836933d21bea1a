from django.apps import AppConfig


class TariffsConfig(AppConfig):
    name = "robinet.tariffs"
    label = "tariffs"
    verbose_name = "Tarifs"
