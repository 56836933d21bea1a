"""CASE-10 report screens: index, figures with drill-down links, paginated rows, CSV, 403."""

import pytest
from django.urls import reverse

from robinet.cases import reports
from robinet.cases.choices import CaseStatus
from robinet.organisation.roles import Role
from tests.cases.test_reports import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(org, make_user):
    return make_user("pilote", Role.MANAGER, org.region)


@pytest.fixture
def anomalies(org):
    c0 = org.centres[0]
    return [make_case(c0, anomaly=f"Anomalie {n}") for n in range(3)] + [
        make_case(c0, status=CaseStatus.PAUSED)
    ]


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return [line.split(";") for line in body[1:].split("\r\n") if line]


def test_case_10_index_lists_every_report(client, manager):
    client.force_login(manager)
    response = client.get(reverse("cases:reports"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Rapports de pilotage" in html
    for slug in reports.REPORTS:
        assert reverse("cases:report", args=[slug]) in html


@pytest.mark.parametrize("slug", list(reports.REPORTS))
def test_case_10_every_report_renders(client, manager, anomalies, slug):
    client.force_login(manager)
    assert client.get(reverse("cases:report", args=[slug])).status_code == 200


def test_case_10_report_table_links_each_figure_to_its_rows(client, manager, org, anomalies):
    client.force_login(manager)
    html = client.get(reverse("cases:report", args=["anomalies"])).content.decode()
    assert "En anomalie" in html
    assert "Centre 1.1" in html
    rows_url = reverse("cases:report-rows", args=["anomalies"])
    assert f"{rows_url}?group={org.centres[0].pk}&amp;measure=anomaly" in html


def test_case_10_drill_down_rows_match_the_figure(client, manager, org, anomalies):
    client.force_login(manager)
    url = reverse("cases:report-rows", args=["anomalies"])
    response = client.get(url, {"group": org.centres[0].pk, "measure": "anomaly"})
    assert response.status_code == 200
    html = response.content.decode()
    for case in anomalies[:3]:
        assert case.number in html
    assert anomalies[3].number not in html
    assert "3 lignes" in html


def test_case_10_drill_down_is_paginated(client, manager, org, monkeypatch):
    from robinet.cases import report_views

    monkeypatch.setattr(report_views, "PER_PAGE", 2)
    cases = [make_case(org.centres[0], anomaly="x") for _ in range(3)]
    client.force_login(manager)
    url = reverse("cases:report-rows", args=["anomalies"])
    query = {"group": org.centres[0].pk, "measure": "anomaly"}
    first = client.get(url, query).content.decode()
    second = client.get(url, {**query, "page": 2}).content.decode()
    assert "1 / 2" in first
    assert sum(c.number in first for c in cases) == 2
    assert sum(c.number in second for c in cases) == 1


def test_case_10_report_csv(client, manager, org, anomalies):
    client.force_login(manager)
    response = client.get(reverse("cases:report", args=["anomalies"]), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    lines = _csv(response)
    assert lines[0] == [
        "Centre",
        "En anomalie",
        "En pause",
        "Différés sans tâche ouverte",
        "Total à corriger",
    ]
    assert lines[1:] == [["Centre 1.1", "3", "1", "0", "4"], ["Total", "3", "1", "0", "4"]]


def test_case_10_rows_csv_has_one_line_per_counted_row(client, manager, org, anomalies):
    client.force_login(manager)
    url = reverse("cases:report-rows", args=["anomalies"])
    query = {"group": org.centres[0].pk, "measure": "to_fix", "format": "csv"}
    lines = _csv(client.get(url, query))
    assert lines[0][:3] == ["N° de dossier", "Ouvert le", "Type"]
    assert sorted(line[0] for line in lines[1:]) == sorted(c.number for c in anomalies)


def test_case_10_rate_csv_uses_a_decimal_comma(client, manager, org, household):
    household.direct_debit = True
    household.save()
    from tests.customers import factories as customer_factories

    customer_factories.company(org.centres[0])
    customer_factories.company(org.centres[0])
    client.force_login(manager)
    lines = _csv(client.get(reverse("cases:report", args=["payment-services"]), {"format": "csv"}))
    header, row = lines[0], lines[1]
    assert row[header.index("Prélèvement")] == "33,3"


def test_case_10_bad_measure_is_a_400_naming_the_problem(client, manager, org):
    client.force_login(manager)
    url = reverse("cases:report-rows", args=["anomalies"])
    response = client.get(url, {"group": org.centres[0].pk, "measure": "inconnu"})
    assert response.status_code == 400
    assert "Indicateur inconnu" in response.content.decode()


def test_case_10_unknown_report_is_a_404(client, manager):
    client.force_login(manager)
    assert client.get(reverse("cases:report", args=["inconnu"])).status_code == 404


@pytest.mark.parametrize(
    ("name", "args"),
    [("cases:reports", []), ("cases:report", ["anomalies"]), ("cases:report-rows", ["anomalies"])],
)
def test_case_10_reports_are_forbidden_without_case_supervise(client, counsellor, name, args):
    client.force_login(counsellor)
    assert client.get(reverse(name, args=args)).status_code == 403


def test_case_10_reports_need_a_login(client):
    response = client.get(reverse("cases:reports"))
    assert response.status_code == 302
