"""Billing test data: a tariff for the test commune, readings, runs."""

import datetime as dt

from robinet.billing import services
from robinet.core.runs import InProcessExecutor
from robinet.tariffs.services import tariff_save

TARIFF_YAML = """
code: STRASBOURG-2026
label: Strasbourg 2026
zone: ["67482"]
valid_from: 2024-01-01
valid_to: null
deliberation: "Délibération n° 2023-42 du 15/12/2023"
rounding: line
prices_include_vat: false
components:
  - code: ABO-EAU
    label: Abonnement eau potable
    service: water
    beneficiary: operator
    kind: fixed
    vat_rate: "5.5"
    annual_price_by_diameter: {"15": "36.50", "20": "60.00", "30": "95.00"}
  - code: CONSO-EAU
    label: Consommation eau potable
    service: water
    beneficiary: operator
    kind: volume
    vat_rate: "5.5"
    blocks:
      - {up_to: 30, unit_price: "1.1000"}
      - {up_to: null, unit_price: "1.6500"}
  - code: RED-CONSO
    label: Redevance consommation d'eau potable
    service: public_bodies
    beneficiary: water_agency
    kind: volume
    vat_rate: "5.5"
    blocks: [{up_to: null, unit_price: "0.3900"}]
  - code: ASST
    label: Assainissement collectif
    service: sanitation
    beneficiary: authority
    kind: volume
    vat_rate: "10"
    blocks: [{up_to: null, unit_price: "2.0500"}]
"""


def tariff(text: str = TARIFF_YAML, actor=None):
    version, _created = tariff_save(actor=actor, text=text)
    return version


def run(period_end: dt.date, *, actor=None, issue_date: dt.date | None = None, **params):
    billing_run = services.billing_run_create(
        actor=actor,
        period_end=period_end,
        issue_date=issue_date or period_end + dt.timedelta(days=5),
        **params,
    )
    return services.billing_run_execute(actor=actor, run=billing_run, executor=InProcessExecutor())
