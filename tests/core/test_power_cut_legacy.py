"""Power cut during the legacy service-point and contract imports (issue 13, principle 5,
CUST-7…10): ``robinet import service_points|contracts`` killed with SIGKILL while it writes
leaves no row behind, and the same file then imports whole.

The helper and the demo history are those of :mod:`tests.core.test_power_cut`."""

import pytest

from robinet.customers.imports import import_service_points
from robinet.customers.models import CustomerAccount, ServicePoint
from robinet.organisation.models import Entity, EntityKind
from tests.core import test_power_cut as cut

pytestmark = pytest.mark.django_db(transaction=True)
postgres = cut.postgres  # the fixture: skipped without PostgreSQL

LINES = 20_000
POINT_HEADER = (
    "centre;reference;street_number;street;postcode;commune_insee;premises_use;"
    "meter_location;meter_serial;meter_diameter_mm;meter_installed_on"
)


def _service_points_file(path, lines: int, prefix: str) -> None:
    """``lines`` service points, each with its meter, in the communes the demo serves."""
    centres = list(Entity.objects.filter(kind=EntityKind.CENTRE).values_list("code", flat=True))
    communes = list(
        ServicePoint.objects.values_list("postcode", "commune_insee")
        .distinct()
        .order_by("commune_insee")[:20]
    )
    out = [POINT_HEADER]
    for n in range(lines):
        postcode, insee = communes[n % len(communes)]
        out.append(
            f"{centres[n % len(centres)]};{prefix}-PDS-{n:06d};{1 + n % 150};Rue de la Reprise;"
            f"{postcode};{insee};main_residence;Cave;{prefix}-CPT-{n:06d};15;2015-03-01"
        )
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def test_a_service_point_import_killed_while_writing_leaves_nothing_and_then_imports_whole(
    postgres, tmp_path
):
    """Issue 13, CUST-7…9: ``robinet import service_points`` — the service points, their
    meters, the file's record and its audit event."""
    cut._history(1)
    csv = tmp_path / "points-de-desserte.csv"
    _service_points_file(csv, LINES, "CP")
    cut._cut_then_import_whole(
        ["import", "service_points", str(csv)],
        {
            "customers_servicepoint": LINES,
            "customers_meter": LINES,
            "core_importfile": 1,
            "core_auditevent": 1,
        },
    )


def test_a_contract_import_killed_while_writing_leaves_nothing_and_then_imports_whole(
    postgres, tmp_path
):
    """Issue 13, CUST-10: ``robinet import contracts`` on service points taken over just
    before — the contracts, the file's record and its audit event; the accounts' search
    text, which the import refreshes, is as it was after the cut."""
    cut._history(1)
    points = tmp_path / "points-de-desserte.csv"
    _service_points_file(points, LINES, "RP")
    import_service_points(points, filename=points.name)
    accounts = list(CustomerAccount.objects.order_by("pk").values_list("number", flat=True))
    csv = tmp_path / "abonnements.csv"
    out = ["customer_number;service_point;number;start_date;start_index"]
    out += [
        f"{accounts[n % len(accounts)]};RP-PDS-{n:06d};REP-AB-{n:06d};2020-01-15;{n % 900}"
        for n in range(LINES)
    ]
    csv.write_text("\n".join(out) + "\n", encoding="utf-8")
    cut._cut_then_import_whole(
        ["import", "contracts", str(csv)],
        {"customers_contract": LINES, "core_importfile": 1, "core_auditevent": 1},
        state="SELECT md5(string_agg(search_text, '|' ORDER BY id)) FROM customers_customeraccount",
    )
