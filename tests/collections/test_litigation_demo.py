"""The litigation demo seeds files through the services (COLL-9, COLL-12)."""

import datetime as dt

import pytest

from robinet.collections.models import InsolvencyFile, LitigationFile
from robinet.demo.litigation import seed_demo
from tests.collections import notice_factories
from tests.collections.conftest import TODAY, bill
from tests.customers import factories as customers

pytestmark = pytest.mark.django_db


def test_coll9_coll12_demo_seeds_files_and_is_idempotent(procedures, household, shop, org):
    for account in (household, customers.person(org.centres[0], name="Durand")):
        bill(account, issued=TODAY - dt.timedelta(days=120), amount="300.00")
        bill(account, issued=TODAY - dt.timedelta(days=90), amount="250.00")
        notice_factories.notice(account, level=2, on=TODAY - dt.timedelta(days=20))
    other = customers.person(org.centres[0], name="Petit")
    bill(other, issued=TODAY - dt.timedelta(days=60), amount="80.00")
    bill(shop, issued=TODAY - dt.timedelta(days=60), amount="500.00")
    counts = seed_demo(TODAY)
    assert counts == {"litigation_files": 2, "insolvency_files": 2}
    assert sorted(LitigationFile.objects.values_list("stage", flat=True)) == ["draft", "served"]
    assert set(InsolvencyFile.objects.values_list("kind", flat=True)) == {
        "over_indebtedness",
        "receivership",
    }
    assert seed_demo(TODAY) == {"litigation_files": 0, "insolvency_files": 0}
