from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "robinet.billing"
    label = "billing"
    verbose_name = "Facturation"

    def ready(self) -> None:
        from robinet.billing import rendering, runs

        runs.register()
        rendering.register()
