from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "robinet.core"
    label = "core"
    verbose_name = "Robinet — noyau"
