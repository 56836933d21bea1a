"""The PDF rendering run of a billing run (BILL-8, BILL-12; issue 13: spread over the workers)."""

import datetime as dt
import io

import pytest
from django.core.cache import caches
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from robinet.billing import documents, printing, rendering, selectors, services
from robinet.billing.models import Invoice
from robinet.core.exceptions import InvalidTransition, PermissionDenied
from robinet.core.models import BatchRun
from robinet.core.runs import InProcessExecutor, run_resume
from tests.billing import factories
from tests.billing.test_printing import customer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.ROBINET_PRIVATE_FILES = tmp_path / "private"
    caches[selectors.DOCUMENT_CACHE].clear()


@pytest.fixture
def run(org, tariff):
    centre = org.centres[0]
    for name in ("Zimmer", "Adam", "Martin"):
        customer(centre, name=name)
    return factories.run(dt.date(2025, 6, 30))


def _files(run) -> list:
    return sorted(p for p in rendering.folder(run).iterdir() if p.suffix == ".pdf")


def test_bill_8_a_rendering_run_writes_each_document_once_as_the_customer_receives_it(run):
    render = services.billing_run_render(actor=None, run=run, executor=InProcessExecutor())
    assert (render.kind, render.state, render.succeeded, render.total) == (
        "billing.render", "done", 3, 3,
    )  # fmt: skip
    files = _files(run)
    assert len(files) == 3
    caches[selectors.DOCUMENT_CACHE].clear()
    for invoice in Invoice.objects.filter(run=run):
        content, _name = selectors.invoice_pdf(invoice)
        assert content in {f.read_bytes() for f in files}
    # no temporary file is left under the final names
    assert not [p for p in rendering.folder(run).iterdir() if p.suffix == ".part"]


def test_bill_12_the_print_export_merges_the_rendered_files_without_rendering(run, monkeypatch):
    services.billing_run_render(actor=None, run=run, executor=InProcessExecutor())
    caches[selectors.DOCUMENT_CACHE].clear()

    def no_render(*args, **kwargs):
        raise AssertionError("rendered again")

    monkeypatch.setattr(documents, "render_pdf", no_render)
    monkeypatch.setattr(documents, "render_facturx", no_render)
    out_csv, out_pdf = io.StringIO(), io.BytesIO()
    result = printing.print_export(run, out_csv, out_pdf)
    assert result.documents == 3
    assert len(PdfReader(io.BytesIO(out_pdf.getvalue())).pages) == result.pages


def test_bill_12_a_document_changed_since_its_rendering_is_rendered_again(run):
    services.billing_run_render(actor=None, run=run, executor=InProcessExecutor())
    invoice = Invoice.objects.filter(run=run).select_related("account__party").first()
    party = invoice.account.party
    party.address_line = "3 rue Neuve"
    party.save(update_fields=["address_line"])
    caches[selectors.DOCUMENT_CACHE].clear()
    content, _name = selectors.invoice_pdf(invoice, rendered=rendering.folder(run))
    assert content not in {f.read_bytes() for f in _files(run)}
    assert "3 rue Neuve" in PdfReader(io.BytesIO(content)).pages[0].extract_text()


def test_bill_8_a_failed_chunk_is_rendered_on_resume_a_failed_document_on_the_next_run(
    run, monkeypatch
):
    from django.db import OperationalError

    from robinet.core.runs import run_execute

    calls = []
    original = selectors.invoice_pdf_file

    def crash(invoice, folder):
        calls.append(invoice.pk)
        if len(calls) == 2:  # the connection is lost: the whole chunk fails
            raise OperationalError("server closed the connection")
        if len(calls) == 3:  # one document fails: the others go on
            raise RuntimeError("police manquante")
        return original(invoice, folder)

    monkeypatch.setattr(selectors, "invoice_pdf_file", crash)
    render = run_execute(
        run=rendering.render_create(billing_run=run, chunk_size=1), executor=InProcessExecutor()
    )
    assert render.state == "failed"
    render = run_resume(run=render, executor=InProcessExecutor())
    assert (render.state, render.failed) == ("done", 1)
    assert len(_files(run)) == 2
    again = services.billing_run_render(actor=None, run=run, executor=InProcessExecutor())
    assert (again.state, again.failed) == ("done", 0)
    assert len(_files(run)) == 3


def test_bill_8_rendering_is_refused_for_a_run_not_done_twice_at_once_or_without_permission(
    run, org, make_user
):
    from robinet.organisation.roles import Role

    pending = BatchRun.objects.create(kind="billing", run_date=run.run_date, state="running")
    with pytest.raises(InvalidTransition):
        rendering.render_create(billing_run=pending)
    rendering.render_create(billing_run=run)  # approved, not executed yet
    with pytest.raises(InvalidTransition, match="déjà en cours"):
        rendering.render_create(billing_run=run)
    auditor = make_user("lecteur", Role.AUDITOR, org.region)
    with pytest.raises(PermissionDenied):
        services.billing_run_render(actor=auditor, run=run, execute=False)


def test_bill_8_command_renders_and_reports(run):
    from io import StringIO

    out = StringIO()
    call_command("billing", "render", str(run.pk), stdout=out)
    assert "3 document(s) rendu(s)" in out.getvalue()
    assert len(_files(run)) == 3
    with pytest.raises(CommandError):
        call_command("billing", "render", "999999")
