"""The reports of the catalogue; importing this package registers them all."""

from robinet.reporting.reports import (  # noqa: F401
    aged_balance,
    consolidation,
    dashboard,
    outcomes,
    recovery,
    rpqs,
)
