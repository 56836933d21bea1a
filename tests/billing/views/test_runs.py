"""Billing runs screens (BILL-4): list, "Nouvelle facturation", live progress, report."""

import datetime as dt

import pytest

from robinet.billing.models import HeldBill, Invoice
from robinet.core.models import BatchRun

pytestmark = pytest.mark.django_db


def test_run_list_and_form_render_for_the_billing_officer(web, billing_officer):
    web.login(billing_officer)
    page = web.get("billing:runs").content.decode()
    assert "Nouvelle facturation" in page
    form = web.get("billing:run-create")
    assert form.status_code == 200
    assert 'name="period_end"' in form.content.decode()


def test_runs_are_refused_without_the_permission(web, agency_user, auditor):
    web.login(agency_user)
    assert web.get("billing:runs").status_code == 403
    web.login(auditor)
    assert web.get("billing:runs").status_code == 200  # auditors see the runs…
    assert web.get("billing:run-create").status_code == 403  # …but do not start one
    response = web.post("billing:run-create", data={"period_end": "2025-06-30"})
    assert response.status_code == 403
    assert not BatchRun.objects.exists()


def test_anonymous_is_sent_to_login(web):
    response = web.get("billing:runs")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_bad_form_writes_nothing(web, billing_officer):
    web.login(billing_officer)
    response = web.post("billing:run-create", data={"period_end": "", "issue_date": "2025-07-05"})
    assert response.status_code == 200
    assert "Ce champ est obligatoire" in response.content.decode()
    # the service's refusal: a period ending after the issue date
    response = web.post(
        "billing:run-create",
        data={"period_end": "2025-08-30", "issue_date": "2025-07-05", "entity": "CT11"},
    )
    assert "postérieure à l&#x27;émission" in response.content.decode()
    assert not BatchRun.objects.exists()


def test_start_a_run_then_see_its_progress_and_report(
    web, billing_officer, due, synchronous, django_capture_on_commit_callbacks
):
    account, big = due
    web.login(billing_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(
            "billing:run-create",
            data={"period_end": "2025-06-30", "issue_date": "2025-07-05", "entity": "CT11"},
        )
    run = BatchRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/billing/runs/{run.pk}/"
    run.refresh_from_db()
    assert (run.state, run.succeeded, run.total) == ("done", 1, 2)
    invoice = Invoice.objects.get(account=account)
    held = HeldBill.objects.get(account=big)

    page = web.get("billing:run-detail", run.pk).content.decode()
    assert "terminé" in page
    assert invoice.number in page
    assert f"/billing/held/{held.pk}/" in page
    # the polled fragment: no polling once the run is over
    fragment = web.get("billing:run-detail", run.pk, htmx=True).content.decode()
    assert "<html" not in fragment
    assert 'id="run-progress"' in fragment
    assert "every 1s" not in fragment
    # issue 13: who processed the chunks (here this process, in a thread)
    assert 'id="run-workers"' in fragment
    assert run.chunks.get().worker in fragment


def test_a_running_run_is_polled(web, billing_officer, due):
    from robinet.billing import services

    run = services.billing_run_create(
        actor=billing_officer,
        period_end=dt.date(2025, 6, 30),
        issue_date=dt.date(2025, 7, 5),
        entity_code="CT11",
    )
    web.login(billing_officer)
    fragment = web.get("billing:run-detail", run.pk, htmx=True).content.decode()
    assert 'hx-trigger="every 1s"' in fragment


def test_only_who_covers_every_region_may_bill_the_whole_utility(web, billing_officer, manager):
    web.login(billing_officer)
    form = web.get("billing:run-create").content.decode()
    assert "Tout le service" not in form
    assert 'value="CT11"' in form
    assert 'value="CT12"' not in form
    web.login(manager)
    assert "Tout le service" in web.get("billing:run-create").content.decode()


def _failed_run(billing_officer):
    """A run whose only chunk failed (the process lost its database in the middle)."""
    from robinet.billing import services
    from robinet.core.runs import InProcessExecutor, get_run_kind, register_run_kind

    run = services.billing_run_create(
        actor=billing_officer,
        period_end=dt.date(2025, 6, 30),
        issue_date=dt.date(2025, 7, 5),
        entity_code="CT11",
    )
    kind = get_run_kind("billing")

    def broken(run, ids):
        raise RuntimeError("connexion perdue")

    register_run_kind("billing", targets=kind.targets, process_chunk=broken, replace=True)
    try:
        services.billing_run_execute(actor=billing_officer, run=run, executor=InProcessExecutor())
    finally:
        register_run_kind(
            "billing", targets=kind.targets, process_chunk=kind.process_chunk, replace=True
        )
    run.refresh_from_db()
    assert run.state == "failed"
    return run


def test_a_failed_run_is_resumed_from_its_page(web, billing_officer, due, monkeypatch):
    """BILL-4, issue 13: « Reprendre » redoes only the chunks not done, then the run is done."""
    from robinet.billing import views
    from robinet.core.runs import InProcessExecutor

    run = _failed_run(billing_officer)
    web.login(billing_officer)
    page = web.get("billing:run-detail", run.pk).content.decode()
    assert 'id="run-resume"' in page
    assert "connexion perdue" in page

    def resume_now(run_pk, user_pk, *, resume):
        from robinet.billing import services

        assert resume
        services.billing_run_resume(
            actor=billing_officer, run=BatchRun.objects.get(pk=run_pk), executor=InProcessExecutor()
        )

    monkeypatch.setattr(views.RunResumeView, "start", staticmethod(resume_now))
    response = web.post("billing:run-resume", run.pk)
    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.state, run.succeeded) == ("done", 1)
    assert Invoice.objects.filter(run=run).count() == 1
    page = web.get("billing:run-detail", run.pk).content.decode()
    assert 'id="run-resume"' not in page


def test_a_done_run_cannot_be_resumed(web, billing_officer, due, synchronous, auditor):
    """BILL-4: nothing to resume on a finished run; a viewer has no button either."""
    from robinet.billing import services

    run = _failed_run(billing_officer)
    web.login(auditor)
    assert 'id="run-resume"' not in web.get("billing:run-detail", run.pk).content.decode()
    services.billing_run_resume(actor=billing_officer, run=run)
    run.refresh_from_db()
    assert run.state == "done"
    web.login(billing_officer)
    assert web.post("billing:run-resume", run.pk).status_code == 302
    page = web.get("billing:run-detail", run.pk).content.decode()
    assert "Seule une facturation en échec ou interrompue peut être reprise." in page
    assert 'id="run-resume"' not in page
