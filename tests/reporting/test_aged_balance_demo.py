"""REP-1 consistency on demo data: aged balance = Σ customer open items = 411/416 at each date."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from robinet.ledger.models import OpenItem
from robinet.organisation.models import Entity, EntityKind
from robinet.reporting.management.commands.report import operator
from robinet.reporting.params import Params
from robinet.reporting.reports.aged_balance import FIGURES, aged_figures, build
from robinet.reporting.reports.aged_balance import customers_ledger_balance as ledger_balance
from tests.reporting.conftest import DEMO_TODAY

pytestmark = pytest.mark.django_db

TODAY = DEMO_TODAY


def test_rep1_demo_aged_balance_equals_open_items_and_the_customers_account(demo):
    centres = list(Entity.objects.filter(kind=EntityKind.CENTRE).values_list("pk", flat=True))
    first = OpenItem.objects.order_by("posted_on").values_list("posted_on", flat=True).first()
    dates = [first + (TODAY - first) * k / 4 for k in range(1, 5)]
    assert OpenItem.objects.filter(kind="payment").exists()
    for on in dates:
        figures = aged_figures(on, centres=centres, group=("centre_id",))
        aged = sum((f[k] for f in figures for k in FIGURES), Decimal("0.00"))
        items = OpenItem.objects.filter(posted_on__lte=on).aggregate(t=Sum("amount"))["t"]
        assert aged == Decimal(str(items)).quantize(Decimal("0.01")), on
        assert aged == ledger_balance(on, centres=centres), on
    # the report's footer says the same at today's date
    tables = build(operator(), Params(on=TODAY))
    classes = next(t for t in tables if t.key == "classes")
    assert classes.footer[0].cells["net"] == ledger_balance(TODAY, centres=centres)
