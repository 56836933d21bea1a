"""Move-in, move-out and change of holder record their index as a reading (METER-1)."""

import datetime as dt

import pytest

from robinet.customers import services as customer_services
from robinet.metering.models import Reading
from tests.customers import factories as customer_factories
from tests.metering.factories import occupied_point, read

pytestmark = pytest.mark.django_db


def test_meter_1_move_in_and_move_out_are_readings(org):
    account, sp = occupied_point(
        org.centres[0], start=dt.date(2025, 1, 1), index="100", move_in_reading=True
    )
    contract = account.contracts.get()
    customer_services.contract_move_out(
        actor=None, contract=contract, end_date=dt.date(2025, 6, 30), end_index="160"
    )
    rows = list(
        Reading.objects.order_by("read_on").values_list("read_on", "index", "source", "status")
    )
    assert [(r[0], int(r[1]), r[2], r[3]) for r in rows] == [
        (dt.date(2025, 1, 1), 100, "move_in", "valid"),
        (dt.date(2025, 6, 30), 160, "move_out", "valid"),
    ]
    assert Reading.objects.get(source="move_out").consumption == 60


def test_meter_1_change_of_holder_is_one_reading_and_a_reading_already_there_counts(org):
    account, sp = occupied_point(
        org.centres[0], start=dt.date(2025, 1, 1), index="100", move_in_reading=True
    )
    read(sp, dt.date(2025, 4, 1), "130")
    heir = customer_factories.person(org.centres[0], name="Martin")
    customer_services.contract_change_holder(
        actor=None,
        contract=account.contracts.get(),
        new_account=heir,
        change_date=dt.date(2025, 4, 1),
        index="130",
        reason="death",
        channel="letter",
        proof_received=True,
    )
    assert Reading.objects.filter(read_on=dt.date(2025, 4, 1)).count() == 1
    assert heir.contracts.get().start_index == 130
