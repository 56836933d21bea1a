"""PAY-3 screens: mandates on an account, direct-debit runs and their files."""

import pytest
from django.urls import reverse

from robinet.organisation.roles import Role
from robinet.payments import pain008
from robinet.payments.models import DirectDebitRun, Mandate, MandateStatus

IBAN = "FR1420041010050500013M02606"


@pytest.fixture
def collector(org, make_user):
    return make_user("prelevements", Role.COLLECTION_OFFICER, org.region)


def test_pay_3_mandate_create_amend_revoke_on_screen(web, billed, collector):
    web.login(collector)
    page = web.get("payments:sepa-mandates", data={"account": billed.number})
    assert 'id="sepa-mandate-form"' in page.content.decode()
    bad = web.post(
        "payments:sepa-mandates",
        data={"account": billed.number, "action": "create", "signed_on": "2025-01-10",
              "iban": "FR7630006000011234567890188"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert "IBAN invalide" in bad.content.decode()
    ok = web.post(
        "payments:sepa-mandates",
        data={"account": billed.number, "action": "create", "signed_on": "2025-01-10",
              "iban": IBAN},
    )  # fmt: skip
    assert ok.status_code == 302
    mandate = Mandate.objects.get()
    web.post(
        "payments:sepa-mandates",
        data={"account": billed.number, "action": "amend", "mandate": mandate.pk,
              "debtor_name": "Mme Durand"},
    )  # fmt: skip
    mandate.refresh_from_db()
    assert mandate.debtor_name == "Mme Durand"
    web.post(
        "payments:sepa-mandates",
        data={"account": billed.number, "action": "revoke", "mandate": mandate.pk,
              "reason": "Changement de banque"},
    )  # fmt: skip
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.REVOKED


def test_pay_3_run_created_on_screen_and_file_downloaded(web, billed, collector):
    web.login(collector)
    web.post(
        "payments:sepa-mandates",
        data={"account": billed.number, "action": "create", "signed_on": "2025-01-10",
              "iban": IBAN},
    )  # fmt: skip
    preview = web.get("payments:sepa-runs", data={"collection_date": "2026-02-17",
                                                   "version": "001.08"})  # fmt: skip
    assert "2 prélèvements pour" in preview.content.decode()
    assert "factures : 2, mensualités : 0" in preview.content.decode()
    holiday = web.post(
        "payments:sepa-runs", data={"collection_date": "2026-04-03", "version": "001.08"}
    )
    assert holiday.status_code == 422
    assert "TARGET2" in holiday.content.decode()
    created = web.post(
        "payments:sepa-runs", data={"collection_date": "2026-02-17", "version": "001.08"}
    )
    run = DirectDebitRun.objects.get()
    assert created["Location"] == reverse("payments:sepa-run", args=[run.pk])
    detail = web.get("payments:sepa-run", run.pk).content.decode()
    assert "FRST" in detail
    file = web.get("payments:sepa-run-file", run.pk)
    assert file["Content-Type"] == "application/xml"
    pain008.validate(file.content, "001.08")
    assert "Prélèvements SEPA" in web.get("payments:sepa-runs").content.decode()


def test_pay_3_counter_officer_cannot_create_a_run(web, billed, officer):
    web.login(officer)
    page = web.get("payments:sepa-runs")
    assert page.status_code == 200
    assert 'id="sepa-run-form"' not in page.content.decode()
    response = web.post(
        "payments:sepa-runs", data={"collection_date": "2026-02-17", "version": "001.08"}
    )
    assert response.status_code == 403
    assert not DirectDebitRun.objects.exists()
