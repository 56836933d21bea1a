"""A damaged readings file (issue 13, METER-1, principle 5): bytes changed, cut or inserted in a
valid import give either a whole import or a clean, line-numbered refusal — never a crash,
never part of the file written."""

import datetime as dt

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from robinet.core.exceptions import ApplicationError
from robinet.metering.imports import import_readings
from robinet.metering.models import Reading
from tests.metering.factories import occupied_point

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2025, 6, 30, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def valid(org) -> bytes:
    a = occupied_point(org.centres[0])[1]
    b = occupied_point(org.centres[1])[1]
    lines = [
        "meter_serial;service_point;date;index;source;reader",
        f"{a.meters.get().serial};;2024-01-01;100;field;JM",
        f";{b.reference};01/01/2024;50;remote;",
        f"{a.meters.get().serial};;2024-04-01;130;field;JM",
        f";{b.reference};2024-04-01;80;field;",
    ]
    return ("\n".join(lines) + "\n").encode()


@st.composite
def damage(draw):
    changes = []
    for _ in range(draw(st.integers(1, 4))):
        changes.append(
            (
                draw(st.sampled_from(["flip", "cut", "insert", "truncate"])),
                draw(st.floats(0, 1, allow_nan=False)),  # where, as a share of the file
                draw(st.binary(min_size=1, max_size=12)),
                draw(st.integers(1, 30)),
            )
        )
    return changes


def _apply(data: bytes, changes) -> bytes:
    out = bytearray(data)
    for kind, where, inserted, length in changes:
        at = int(where * max(0, len(out) - 1))
        if kind == "flip" and out:
            out[at] = inserted[0]
        elif kind == "cut":
            del out[at : at + length]
        elif kind == "insert":
            out[at:at] = inserted
        else:
            del out[at:]
    return bytes(out)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=damage())
def test_a_damaged_readings_file_is_refused_cleanly_or_imported_whole(valid, changes):
    data = _apply(valid, changes)
    before = Reading.objects.count()
    refusal = None
    try:
        result = import_readings(data, filename="damaged.csv")
    except ApplicationError as error:
        refusal = error
    if refusal is not None:
        assert str(refusal.message).strip()
        assert Reading.objects.count() == before  # nothing half-written
    else:
        assert Reading.objects.count() == before + result.rows
