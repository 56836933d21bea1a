from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "robinet.demo"
    label = "demo"
    verbose_name = "Démonstration"
