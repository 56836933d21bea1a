"""PAY-7: the journal's search by account (a prefix: "654", "4111") is served by an index."""

import pytest
from django.db import connection, transaction

from robinet.ledger.models import JournalLine

pytestmark = pytest.mark.django_db


def test_pay_7_journal_search_by_account_prefix_uses_the_index():
    """Under a collation other than "C" (C.UTF-8 included), a plain index cannot serve
    ``LIKE '654%'``: the search would read every entry of the journal newest first."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set ROBINET_TEST_DATABASE_URL (the plan is PostgreSQL's)")
    lines = JournalLine.objects.filter(ledger_account__startswith="654").values("entry_id")
    sql, params = lines.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # an empty table: any plan is cheap
        cursor.execute("EXPLAIN " + sql, params)
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "journal_line_account_prefix" in plan
    assert "~>=~" in plan  # the prefix as a range of the index
