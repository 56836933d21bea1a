from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "robinet.ledger"
    label = "ledger"
    verbose_name = "Comptes clients"

    def ready(self) -> None:
        from robinet.customers.hooks import register_balance_provider
        from robinet.ledger.selectors import account_balance

        register_balance_provider(account_balance)
