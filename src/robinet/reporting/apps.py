from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "robinet.reporting"
    label = "reporting"
    verbose_name = "Pilotage et contrôle"

    def ready(self) -> None:
        # Each report module registers itself in the registry on import.
        from robinet.reporting import reports  # noqa: F401
