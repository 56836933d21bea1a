from django.apps import AppConfig


class MeteringConfig(AppConfig):
    name = "robinet.metering"
    label = "metering"
    verbose_name = "Relevés et consommations"
