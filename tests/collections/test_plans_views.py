"""COLL-5 / COLL-6 screens: plans, promises, diagnosis — status codes, permissions, French."""

import datetime as dt
from decimal import Decimal

import pytest
from pypdf import PdfReader

from robinet.collections import plans
from robinet.collections.models import (
    CollectionBlock,
    DebtorDiagnosis,
    PaymentPlan,
    PaymentPromise,
)
from robinet.organisation.roles import Role
from tests.backoffice.conftest import web
from tests.collections import plan_fixtures
from tests.collections.plan_fixtures import TODAY

today = plan_fixtures.today
collector = plan_fixtures.collector
outsider = plan_fixtures.outsider
debtor = plan_fixtures.debtor
web = web

pytestmark = pytest.mark.django_db


def _plan(debtor, collector, **kw):
    return plans.payment_plan_create(
        account=debtor, count=3, first_due=dt.date(2026, 3, 5), down_payment=Decimal("50"),
        actor=collector, **kw,
    )  # fmt: skip


def _form(debtor, **changes):
    data = {"items": [str(i.pk) for i in debtor.open_items.all()], "down_payment": "50,00",
            "count": "3", "first_due": "2026-03-05", "grace_days": "10", "create": "1"}  # fmt: skip
    data.update(changes)
    return data


def test_coll_5_create_screen_shows_open_items_and_a_preview(web, debtor, collector):
    page = web.login(collector).get("collections:plan-create", debtor.number)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Accorder un échéancier" in html
    assert "450,50" in html
    assert 'id="plan-preview"' in html
    preview = web.post("collections:plan-create", debtor.number,
                       data=_form(debtor, preview="1", create=""))  # fmt: skip
    assert preview.status_code == 200
    assert "133,50" in preview.content.decode()
    assert not PaymentPlan.objects.exists()


def test_coll_5_create_a_plan_from_the_screen(web, debtor, collector):
    response = web.login(collector).post("collections:plan-create", debtor.number,
                                         data=_form(debtor))  # fmt: skip
    plan = PaymentPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/collections/plans/{plan.pk}/"
    detail = web.get("collections:plan-detail", plan.pk)
    assert detail.status_code == 200
    html = detail.content.decode()
    assert plan.number in html
    assert "En cours" in html
    assert 'id="instalment-4"' in html


def test_coll_5_create_errors_are_shown_in_french_on_the_field(web, debtor, collector):
    response = web.login(collector).post(
        "collections:plan-create", debtor.number,
        data=_form(debtor, count="0", first_due="2026-01-01"),
    )  # fmt: skip
    assert response.status_code == 422
    html = response.content.decode()
    assert "id_count_errors" in html
    assert not PaymentPlan.objects.exists()
    response = web.post("collections:plan-create", debtor.number,
                        data=_form(debtor, first_due="2026-02-01"))  # fmt: skip
    assert response.status_code == 422
    assert "La première échéance ne peut pas précéder" in response.content.decode()
    response = web.post("collections:plan-create", debtor.number,
                        data=_form(debtor, direct_debit="on"))  # fmt: skip
    assert response.status_code == 422
    assert "mandat SEPA actif" in response.content.decode()
    assert not PaymentPlan.objects.exists()


def test_coll_5_list_detail_and_agreement_pdf(web, debtor, collector):
    plan = _plan(debtor, collector)
    listing = web.login(collector).get("collections:plan-list")
    assert listing.status_code == 200
    assert plan.number in listing.content.decode()
    assert plan.number not in web.get("/collections/plans/?state=kept").content.decode()
    pdf = web.get("collections:plan-agreement", plan.pk)
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    import io

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "ACCORD D'ÉCHÉANCIER" in text
    assert plan.number in text
    assert debtor.number in text
    assert "450,50" in text


def test_coll_5_sign_and_cancel_from_the_detail(web, debtor, collector):
    plan = _plan(debtor, collector)
    web.login(collector)
    assert web.post("collections:plan-sign", plan.pk).status_code == 302
    plan.refresh_from_db()
    assert plan.signed_on == TODAY
    refused = web.post("collections:plan-cancel", plan.pk, data={"reason": ""})
    assert refused.status_code == 302
    plan.refresh_from_db()
    assert plan.state == "active"
    web.post("collections:plan-cancel", plan.pk, data={"reason": "Demande du client"})
    plan.refresh_from_db()
    assert plan.state == "cancelled"


def test_coll_5_other_centres_and_read_only_users_are_refused(
    web, debtor, collector, outsider, make_user, org
):
    plan = _plan(debtor, collector)
    web.login(outsider)
    assert web.get("collections:plan-detail", plan.pk).status_code == 404
    assert web.get("collections:plan-create", debtor.number).status_code == 404
    assert plan.number not in web.get("collections:plan-list").content.decode()
    reader = make_user("lecteur", Role.CUSTOMER_OFFICER, org.centres[0])
    web.login(reader)
    assert web.get("collections:plan-detail", plan.pk).status_code == 200
    assert web.post("collections:plan-cancel", plan.pk, data={"reason": "x"}).status_code == 403
    assert web.get("collections:plan-create", debtor.number).status_code == 403
    plan.refresh_from_db()
    assert plan.state == "active"
    web.logout()
    assert web.get("collections:plan-list").status_code == 302


def test_coll_5_promise_screen(web, debtor, collector):
    web.login(collector)
    assert web.get("collections:promise-create", debtor.number).status_code == 200
    bad = web.post("collections:promise-create", debtor.number,
                   data={"amount": "0", "due_on": "2026-02-20", "grace_days": "3"})  # fmt: skip
    assert bad.status_code == 422
    assert "Le montant doit être positif." in bad.content.decode()
    ok = web.post("collections:promise-create", debtor.number,
                  data={"amount": "120,50", "due_on": "2026-02-20", "grace_days": "3"})  # fmt: skip
    assert ok.status_code == 302
    promise = PaymentPromise.objects.get()
    assert promise.amount == Decimal("120.50")
    assert web.post("collections:promise-cancel", promise.pk).status_code == 302
    promise.refresh_from_db()
    assert promise.state == "cancelled"


def test_coll_6_diagnosis_screen_and_coll_4_fsl_pause(web, debtor, collector):
    web.login(collector)
    assert web.get("collections:diagnosis-create", debtor.number).status_code == 200
    response = web.post(
        "collections:diagnosis-create", debtor.number,
        data={"household_size": "1", "monthly_income": "1 500,00", "monthly_charges": "600",
              "assets": "", "liabilities": "", "fsl_requested": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    record = DebtorDiagnosis.objects.get()
    assert record.monthly_capacity == Decimal("300.00")
    page = web.get("collections:diagnosis-create", debtor.number).content.decode()
    assert "300,00" in page
    assert 'id="fsl-pending"' in page
    assert CollectionBlock.objects.get().lifted_on is None
    web.post("collections:fsl-decision", debtor.number)
    assert CollectionBlock.objects.get().lifted_on == TODAY
    bad = web.post(
        "collections:diagnosis-create",
        debtor.number,
        data={"household_size": "0", "monthly_income": "abc", "monthly_charges": "1"},
    )
    assert bad.status_code == 422
    assert "Montant invalide." in bad.content.decode()


def test_coll_6_the_create_screen_suggests_the_plan_of_the_latest_diagnosis(web, debtor, collector):
    plans.diagnosis_record(
        account=debtor, household_size=1, monthly_income="1500", monthly_charges="600",
        assets="50.50", actor=collector,
    )  # fmt: skip
    html = web.login(collector).get("collections:plan-create", debtor.number).content.decode()
    assert "capacité de remboursement de 300,00 €" in html
    assert 'name="count" value="2"' in html
    assert 'value="50,50"' in html
    assert "200,00 €" in html  # (450,50 − 50,50) / 2 in the preview
