"""Every append-only table keeps its database trigger (principle 3, BILL-6, PAY-7).

A migration that alters a column makes SQLite rebuild the table and drop its
triggers with it; each such migration puts them back. This checks that none
was forgotten, on whichever database the tests run.
"""

import pytest
from django.apps import apps
from django.db import connection

from robinet.core.models.append_only import AppendOnlyModel

pytestmark = pytest.mark.django_db

TABLES = sorted(
    model._meta.db_table
    for model in apps.get_models()
    if issubclass(model, AppendOnlyModel) and not model._meta.proxy
)


def _triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {name for (name,) in cursor.fetchall()}


def test_there_are_append_only_tables():
    assert {"ledger_allocation", "ledger_allocationshare", "payments_payment"} <= set(TABLES)


@pytest.mark.parametrize("table", TABLES)
def test_bill_6_pay_7_every_append_only_table_has_its_trigger(table):
    suffix = "_append_only" if connection.vendor == "postgresql" else "_no_update"
    assert f"{table}{suffix}" in _triggers()
