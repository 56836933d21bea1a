"""GDPR export (CUST-8) and the data-quality report (CUST-12)."""

import json

import pytest

from robinet.core.models import AuditEvent
from robinet.customers.models import Party
from tests.backoffice.helpers import make_company

pytestmark = pytest.mark.django_db


def test_export_downloads_json_and_is_audited(web, officer, person):
    response = web.login(officer).post("customers:export", person.number)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="robinet-client-{person.number}.json"'
    )
    data = json.loads(response.content)
    assert data["format"] == "robinet-gdpr-export/1"
    assert data["party"]["name"] == "Lefèvre"
    event = AuditEvent.objects.get(verb="gdpr_export")
    assert event.actor == officer
    assert event.target_id == str(person.pk)
    html = web.get("customers:detail", person.number).content.decode()
    assert "Export des données (RGPD)" in html


def test_export_is_a_post(web, officer, person):
    assert web.login(officer).get("customers:export", person.number).status_code == 405


def test_export_is_denied_without_the_permission(web, auditor, person):
    assert web.login(auditor).post("customers:export", person.number).status_code == 403
    assert not AuditEvent.objects.filter(verb="gdpr_export").exists()


def test_quality_report_rates_per_entity(web, org, manager, person, company):
    response = web.login(manager).get("customers:quality")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Direction régionale Test" in html
    assert "Agence 1" in html
    assert "Centre 1.1" in html
    assert "Portable" in html
    assert "E-mail" in html
    assert "IBAN" in html
    assert "50,0 %" in html  # one of two accounts has an e-mail
    assert "Aucun compte incohérent." in html


def test_quality_lists_breaches_with_links(web, org, manager):
    account = make_company(org.centres[0])
    Party.objects.filter(pk=account.party_id).update(siret="")
    html = web.login(manager).get("customers:quality").content.decode()
    assert f'href="/customers/{account.number}/"' in html
    assert "Le SIRET est obligatoire pour cette classe de client." in html


def test_quality_is_denied_without_the_permission(web, agency_user):
    assert web.login(agency_user).get("customers:quality").status_code == 403
