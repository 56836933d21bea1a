from django.apps import AppConfig


class OrganisationConfig(AppConfig):
    name = "robinet.organisation"
    label = "organisation"
    verbose_name = "Organisation et habilitations"
