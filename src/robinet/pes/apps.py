from django.apps import AppConfig


class PesConfig(AppConfig):
    name = "robinet.pes"
    label = "pes"
    verbose_name = "Comptable public (PES V2)"
