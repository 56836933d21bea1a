"""GDPR export of a customer's data (CUST-8): the audit record of each export.

The data itself is read by ``selectors.customer_data_export``; this module
holds the one write an export makes.
"""

from robinet.core import audit
from robinet.customers.models import CustomerAccount
from robinet.organisation.access import require
from robinet.organisation.roles import Perm


def customer_data_exported(*, actor, account: CustomerAccount) -> None:
    """Record that ``actor`` exported the data of ``account``'s party (ORG-3)."""
    require(actor, Perm.CUSTOMER_EXPORT, account.centre)
    audit.record(actor=actor, verb="gdpr_export", target=account)
