from django.apps import AppConfig


class MeteringConfig(AppConfig):
    name = "robinet.metering"
    label = "metering"
    verbose_name = "Relevés et consommations"

    def ready(self) -> None:
        from robinet.customers.hooks import register_contract_reading_recorder
        from robinet.metering.contract_readings import record_contract_reading

        register_contract_reading_recorder(record_contract_reading)
