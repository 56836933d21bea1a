from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "robinet.portal"
    label = "portal"
    verbose_name = "Espace client"
