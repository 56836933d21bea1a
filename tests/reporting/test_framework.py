"""The report framework (REP-5): parameters, scope, exports, screen, API and command."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from robinet.core.exceptions import ValidationFailed
from robinet.organisation.roles import Role
from robinet.payments.models.core import PaymentMeans
from robinet.payments.services import payment_record
from robinet.reporting import exports, params, registry, scope
from robinet.reporting.reports import dashboard
from robinet.reporting.tables import Column, Kind, Row, Table, rate
from tests.reporting.conftest import bill


def sample() -> Table:
    columns = [
        Column("name", "Entité"),
        Column("amount", "Montant", Kind.MONEY),
        Column("count", "Nombre", Kind.INT),
        Column("share", "Part", Kind.RATE),
    ]
    rows = [
        Row(
            {"name": "Centre 1", "amount": Decimal("1234.5"), "count": 3, "share": Decimal("12.5")}
        ),
        Row({"name": "Centre 2", "amount": Decimal("0.10"), "count": 0, "share": None}),
    ]
    return Table(
        "Essai", columns, rows, footer=[Row({"name": "Total", "count": 3}, total=True)], key="essai"
    )


# --- parameters (API-3: errors name the field) -------------------------------------------------


def test_parse_defaults_to_today_and_twelve_months(org, today):
    chosen = params.parse({})
    assert chosen.on == today
    assert (chosen.start, chosen.end) == (dt.date(2025, 4, 1), today)
    assert chosen.year == today.year - 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"date": "31/12/2025"}, "date"),
        ({"date": "2099-01-01"}, "date"),
        ({"entity": "NOPE"}, "entity"),
        ({"year": "20x5"}, "year"),
        ({"start": "2026-02-01", "end": "2026-01-01"}, "start"),
    ],
)
def test_parse_refuses_bad_values_naming_the_field(org, data, field):
    with pytest.raises(ValidationFailed) as caught:
        params.parse(data)
    assert field in caught.value.fields


def test_query_round_trips_with_changes(org):
    chosen = params.parse(
        {"date": "2026-01-31", "entity": "AG1", "kind": "x"}, extra_keys=("kind",)
    )
    assert params.parse(chosen.query(entity="CT11"), extra_keys=("kind",)).entity == org.centres[0]
    assert "kind" not in chosen.query(kind=None)


# --- scope and consolidation (REP-4) -----------------------------------------------------------


def test_centre_ids_intersect_the_entity_with_the_users_perimeter(org, make_user):
    user = make_user("ag1", Role.MANAGER, org.agencies[0])
    assert scope.centre_ids(user, None) == [org.centres[0].pk, org.centres[1].pk]
    assert scope.centre_ids(user, org.agencies[1]) == []
    assert scope.centre_ids(user, org.centres[1]) == [org.centres[1].pk]


def test_tree_rows_sum_centres_one_level_below_and_start_below_a_single_region(org, manager):
    per_centre = {c.pk: {"amount": Decimal(i + 1), "n": 1} for i, c in enumerate(org.centres)}
    top = scope.tree_rows(manager, None, per_centre)
    assert [(e.code, f["amount"], f["n"]) for e, f in top] == [
        ("AG1", Decimal(3), 2),
        ("AG2", Decimal(7), 2),
    ]
    below = scope.tree_rows(manager, org.agencies[1], per_centre)
    assert [(e.code, f["amount"]) for e, f in below] == [("CT21", Decimal(3)), ("CT22", Decimal(4))]
    assert scope.tree_rows(manager, org.centres[0], per_centre) == []


def test_rate_rounds_half_up_and_is_undefined_on_zero():
    assert rate(1, 8) == Decimal("12.5")
    assert rate(Decimal("0.0005"), 1, places=2) == Decimal("0.05")
    assert rate(5, 0) is None


# --- exports (REP-5) ---------------------------------------------------------------------------


def test_csv_is_the_french_spreadsheet_flavour():
    text = exports.to_csv([sample()]).decode("utf-8")
    assert text.startswith("\ufeffEntité;Montant;Nombre;Part\r\n")
    assert "Centre 1;1234,50;3;12,5\r\n" in text
    assert text.endswith("Total;;3;\r\n")


def test_xlsx_keeps_numbers_as_numbers():
    book = load_workbook(io.BytesIO(exports.to_xlsx([sample(), sample()])))
    assert book.sheetnames == ["essai", "essai 2"]
    sheet = book["essai"]
    assert sheet["A1"].value == "Essai"
    assert [c.value for c in sheet[2]] == ["Entité", "Montant", "Nombre", "Part"]
    assert sheet["B3"].value == 1234.5
    assert sheet["B3"].number_format == "#,##0.00"
    assert sheet["A5"].value == "Total"
    assert sheet["A5"].font.bold


def test_json_keeps_decimals_exact():
    data = exports.to_data([sample()])[0]
    assert data["rows"][0]["cells"]["amount"] == "1234.5"
    assert data["rows"][1]["cells"]["share"] is None
    assert data["rows"][-1]["total"] is True


# --- the dashboard on a known ledger (REP-5) ---------------------------------------------------


@pytest.fixture
def activity(household, today):
    account = household
    bill(account, issued=dt.date(2026, 1, 10), amount="100.00")
    bill(account, issued=dt.date(2026, 2, 10), amount="50.00")
    payment_record(
        actor=None,
        account=account,
        means=PaymentMeans.CASH,
        amount=Decimal("60.00"),
        received_on=dt.date(2026, 2, 20),
        check_permission=False,
    )
    return account


def test_dashboard_bills_and_collections_per_month(activity, manager, today):
    tables = {t.key: t for t in dashboard.build(manager, params.parse({}))}
    months = {r.cells["month"]: r.cells for r in tables["billed_collected"].rows}
    assert months["janvier 2026"]["billed"] == Decimal("100.00")
    assert months["février 2026"]["billed"] == Decimal("50.00")
    assert months["février 2026"]["collected"] == Decimal("60.00")
    assert tables["billed_collected"].footer[0].cells["ratio"] == Decimal("40.0")
    # The payment cleared the oldest bill first: 40 of January's 100 and all of February remain.
    unpaid = {r.cells["month"]: r.cells for r in tables["unpaid_trend"].rows}
    assert unpaid["janvier 2026"]["rate"] == Decimal("40.0")
    assert unpaid["février 2026"]["unpaid"] == Decimal("50.00")
    assert tables["unpaid_trend"].footer[0].cells["rate"] == Decimal("60.0")


def test_dashboard_tiles_show_receivables_and_overdue(activity, manager, today):
    tiles = {t.label: t.value for t in dashboard.key_figures(manager, params.parse({}))}
    assert tiles["Solde clients"] == Decimal("90.00")


def test_dashboard_is_scoped_to_the_users_centres(activity, org, make_user):
    other = make_user("ag2", Role.MANAGER, org.agencies[1])
    tables = {t.key: t for t in dashboard.build(other, params.parse({}))}
    assert tables["billed_collected"].footer[0].cells["billed"] == Decimal("0.00")


# --- screen, API, command ----------------------------------------------------------------------


def test_dashboard_screen_renders_charts_and_exports_xlsx(activity, manager, web):
    web.login(manager)
    page = web.get("reporting:index")
    assert page.status_code == 200
    body = page.content.decode()
    assert "data-report-chart" in body
    assert "Facturé et encaissé par mois" in body
    response = web.get("reporting:report", "dashboard", data={"format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert "billed_collected" in book.sheetnames


def test_screen_names_the_bad_field(manager, web):
    web.login(manager)
    response = web.get("reporting:report", "dashboard", data={"date": "demain"})
    assert response.status_code == 400
    assert "Date invalide" in response.content.decode()


def test_reports_need_the_report_permission(officer, web):
    web.login(officer)
    assert web.get("reporting:index").status_code == 403
    assert registry.report_list(user=officer) == []


def test_entity_outside_the_perimeter_is_refused(org, make_user, web):
    user = make_user("ag1", Role.MANAGER, org.agencies[0])
    web.login(user)
    assert web.get("reporting:report", "dashboard", data={"entity": "AG2"}).status_code == 403


def test_api_lists_and_runs_reports(activity, manager, client):
    from robinet.organisation.services import api_token_create

    token = api_token_create(user=manager)
    headers = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/v1/reports", headers=headers).json()
    assert "dashboard" in {r["name"] for r in listed}
    data = client.get("/api/v1/reports/dashboard?date=2026-02-28", headers=headers).json()
    assert data["params"]["date"] == "2026-02-28"
    assert data["tables"][0]["key"] == "billed_collected"
    bad = client.get("/api/v1/reports/dashboard?date=x", headers=headers)
    assert bad.status_code == 400
    assert "date" in bad.json()["extra"]["fields"]
    assert client.get("/api/v1/reports/nope", headers=headers).status_code == 404


def test_command_writes_json_and_xlsx(activity, tmp_path):
    out = io.StringIO()
    call_command("report", "dashboard", "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["tables"][0]["key"] == "billed_collected"
    call_command(
        "report", "dashboard", "--format", "xlsx", "--output", str(tmp_path), stderr=io.StringIO()
    )
    assert [p.suffix for p in tmp_path.iterdir()] == [".xlsx"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "Rapport inconnu"),
        (["dashboard", "--date", "2026-13-01"], "Date invalide"),
        (["dashboard", "--entity", "XX"], "Entité inconnue"),
        (["dashboard", "--param", "oops"], "CLÉ=VALEUR"),
        (["dashboard", "--format", "xlsx"], "--output"),
        ([], "nom d'un rapport"),
    ],
)
def test_command_errors_are_clear(org, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("report", *args, stdout=io.StringIO())
