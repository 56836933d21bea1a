from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    name = "robinet.collections"
    label = "collections"
    verbose_name = "Recouvrement"
