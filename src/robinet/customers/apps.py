from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "robinet.customers"
    label = "customers"
    verbose_name = "Clients"
