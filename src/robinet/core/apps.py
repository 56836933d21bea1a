from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "robinet.core"
    label = "core"
    verbose_name = "Robinet — noyau"

    def ready(self) -> None:
        from robinet.core import distributed, lookups

        lookups.register()
        distributed.install_if_configured()
