from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "robinet.cases"
    label = "cases"
    verbose_name = "Demandes clients"
