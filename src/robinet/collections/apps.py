from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    name = "robinet.collections"
    label = "collections"
    verbose_name = "Recouvrement"

    def ready(self) -> None:
        from robinet.collections import runs

        runs.register()
