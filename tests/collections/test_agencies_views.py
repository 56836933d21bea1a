"""Agency screens (COLL-8, ORG-4)."""

from django.urls import reverse

from robinet.collections.models import AgencyAssignment, AgencyReport, AssignmentState
from tests.collections.agency_fixtures import *  # noqa: F403


def test_coll8_agency_list_shows_figures(client, collector, assigned, agency):
    client.force_login(collector)
    response = client.get(reverse("collections:agency-list"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "CREST" in content
    assert "table-responsive" in content


def test_coll8_officer_creates_an_agency(client, collector):
    client.force_login(collector)
    response = client.post(
        reverse("collections:agency-list"),
        {"code": "NORD", "name": "Agence du Nord", "commission_rate": "8"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("collections:agency-detail", args=["NORD"])


def test_coll8_selection_and_assignment(client, collector, debtor, agency):
    client.force_login(collector)
    url = reverse("collections:agency-assign")
    response = client.get(url, {"min_amount": "100"})
    assert response.status_code == 200
    assert debtor.number in response.content.decode()
    response = client.post(
        url, {"min_amount": "100", "agency": agency.code, "accounts": [debtor.number]}
    )
    assert response.status_code == 302
    assignment = AgencyAssignment.objects.get(account=debtor)
    assert assignment.agency == agency
    # Once assigned, the account is no longer a candidate.
    response = client.get(url, {"min_amount": "100"})
    assert debtor.number not in response.content.decode()


def test_coll8_assigning_nothing_is_refused(client, collector, debtor, agency):
    client.force_login(collector)
    response = client.post(reverse("collections:agency-assign"), {"agency": agency.code})
    assert response.status_code == 400
    assert not AgencyAssignment.objects.exists()


def test_coll8_detail_export_import_and_recall(client, collector, assigned, agency, debtor):
    client.force_login(collector)
    detail = client.get(reverse("collections:agency-detail", args=[agency.code]))
    assert detail.status_code == 200
    assert assigned.reference in detail.content.decode()
    export = client.get(reverse("collections:agency-export", args=[agency.code]))
    assert export.status_code == 200
    assert export["Content-Type"].startswith("text/csv")
    assert debtor.number in export.content.decode("utf-8-sig")
    import_url = reverse("collections:agency-import", args=[agency.code])
    bad = f"reference;assignment;date;kind\nC1;{assigned.reference};2026-02-20;rappel\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(import_url, {"file": SimpleUploadedFile("cr.csv", bad.encode())})
    assert response.status_code == 422
    assert "kind" in response.content.decode()
    good = f"reference;assignment;date;kind\nC1;{assigned.reference};2026-02-20;contact\n"
    response = client.post(import_url, {"file": SimpleUploadedFile("cr.csv", good.encode())})
    assert response.status_code == 302
    assert AgencyReport.objects.count() == 1
    response = client.post(import_url, {"file": SimpleUploadedFile("cr.csv", good.encode())})
    assert response.status_code == 409
    response = client.post(
        reverse("collections:assignment-recall", args=[assigned.pk]), {"reason": "Erreur"}
    )
    assert response.status_code == 302
    assigned.refresh_from_db()
    assert assigned.state == AssignmentState.RECALLED


def test_org4_agency_user_cannot_open_officer_screens(client, agency_user, agency):
    client.force_login(agency_user)
    assert client.get(reverse("collections:agency-list")).status_code == 403
    assert client.get(reverse("collections:agency-assign")).status_code == 403
    assert client.get(reverse("collections:agency-export", args=[agency.code])).status_code == 403


def test_org4_portal_shows_only_own_debts(
    client, agency_user, other_agency_user, assigned, debtor, shop
):
    client.force_login(agency_user)
    response = client.get(reverse("collections:agency-portal"))
    assert response.status_code == 200
    assert debtor.number in response.content.decode()
    assert shop.number not in response.content.decode()
    page = reverse("collections:agency-portal-assignment", args=[assigned.pk])
    assert client.get(page).status_code == 200
    response = client.post(
        page,
        {
            "kind": "promise",
            "reported_on": "2026-03-01",
            "amount": "50",
            "promised_on": "2026-03-20",
        },
    )
    assert response.status_code == 302
    assert AgencyReport.objects.get().kind == "promise"
    client.force_login(other_agency_user)
    response = client.get(reverse("collections:agency-portal"))
    assert debtor.number not in response.content.decode()
    assert client.get(page).status_code == 404
    assert client.post(page, {"kind": "contact", "reported_on": "2026-03-01"}).status_code == 404


def test_org4_officer_has_no_portal(client, collector):
    client.force_login(collector)
    assert client.get(reverse("collections:agency-portal")).status_code == 403
