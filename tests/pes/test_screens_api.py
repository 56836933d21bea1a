"""The PES screens, the API and the command (issue 7)."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from robinet.billing.models import Invoice
from robinet.organisation.services import api_token_create
from robinet.payments.models import Payment
from robinet.pes import ormc
from robinet.pes.models import PesExport, Title
from robinet.pes.services import pes_export
from tests.customers.api.test_api import ApiClient

pytestmark = pytest.mark.django_db


def test_run_page_button_titles_the_run_and_the_pages_show_it(billing_run, chief, web):
    web.login(chief)
    page = web.get("billing:run-detail", billing_run.pk)
    assert 'id="run-pes-export"' in page.content.decode()
    response = web.post("pes:run-export", billing_run.pk)
    export = PesExport.objects.get()
    assert response.status_code == 302
    assert response.url == f"/public-accountant/exports/{export.pk}/"
    detail = web.get("pes:export-detail", export.pk).content.decode()
    title = Title.objects.get(account=billing_run.household)
    assert title.number in detail
    assert "sous le seuil" in detail  # the small debtor, not titled
    download = web.get("pes:export-file", export.pk)
    assert download["Content-Disposition"].endswith(f'filename="{export.filename}"')
    ormc.validate(download.content)
    listing = web.get("pes:exports").content.decode()
    assert export.filename in listing
    invoice = web.get("billing:invoice-detail", title.invoice.number).content.decode()
    assert 'id="invoice-pes-title"' in invoice
    assert title.number in invoice
    account = web.get("pes:account-titles", billing_run.household.number).content.decode()
    assert "Transmis au comptable" in account


def test_run_button_hidden_when_not_a_regie(billing_run, chief, web, regie):
    regie.ROBINET_PUBLIC_REGIE = False
    web.login(chief)
    assert (
        'id="run-pes-export"' not in web.get("billing:run-detail", billing_run.pk).content.decode()
    )
    response = web.post("pes:run-export", billing_run.pk)
    assert response.status_code == 302
    assert not PesExport.objects.exists()


def test_status_import_screen_shows_errors_by_line_then_imports(billing_run, chief, web):
    pes_export(actor=chief, run=billing_run, on=dt.date(2026, 2, 1))
    title = Title.objects.get(account=billing_run.household)
    web.login(chief)
    bad = SimpleUploadedFile(
        "r.csv", f"titre;statut;montant;date\n{title.number};payé;x;10/02/2026\n".encode()
    )
    refused = web.client.post("/public-accountant/status-imports/new/", {"file": bad})
    assert refused.status_code == 422
    assert 'id="import-issues"' in refused.content.decode()
    good = SimpleUploadedFile(
        "r.csv",
        f"titre;statut;montant;date\n{title.number};payé;{title.amount};10/02/2026\n".encode(),
    )
    done = web.client.post("/public-accountant/status-imports/new/", {"file": good})
    assert done.status_code == 302
    assert Payment.objects.get().means == "accountant"
    assert "r.csv" in web.get("pes:exports").content.decode()


def test_status_import_screen_needs_the_permission(billing_run, web, auditor):
    web.login(auditor)
    assert web.get("pes:status-import").status_code == 403


def test_api_export_list_download_and_status_import(billing_run, chief):
    api = ApiClient(api_token_create(user=chief))
    created = api.post("/pes/exports", {"run": billing_run.pk, "date": "2026-02-01"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["titles"] == 2
    assert body["skipped"][0]["reason"].startswith("sous le seuil")
    again = api.post("/pes/exports", {"run": billing_run.pk})
    assert again.status_code == 409
    assert again.json()["code"] == "nothing_to_export"
    listed = api.get("/pes/exports")
    assert [e["id"] for e in listed.json()] == [body["id"]]
    file = api.client.get(f"/api/v1/pes/exports/{body['id']}/file", headers=api.headers)
    assert file.status_code == 200
    ormc.validate(file.content)
    title = Title.objects.get(account=billing_run.company)
    upload = SimpleUploadedFile(
        "retour.csv", f"titre;statut;montant;date\n{title.number};payé;1,00;10/02/2026\n".encode()
    )
    imported = api.client.post("/api/v1/pes/status-imports", {"file": upload}, headers=api.headers)
    assert imported.status_code == 201, imported.content
    assert imported.json()["outcome"]["paid_count"] == 1
    upload.seek(0)
    twice = api.client.post("/api/v1/pes/status-imports", {"file": upload}, headers=api.headers)
    assert twice.status_code == 409
    bad = SimpleUploadedFile("bad.csv", b"titre;statut;montant;date\nT1;paye;1;10/02/2026\n")
    refused = api.client.post("/api/v1/pes/status-imports", {"file": bad}, headers=api.headers)
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_import_file"
    read = api.get(f"/pes/titles/{title.number}")
    assert read.json()["status"] == "partly_paid"
    assert read.json()["events"][0]["payment"]


def test_api_needs_a_token_and_the_permission(billing_run, officer):
    assert ApiClient(None).get("/pes/exports").status_code == 401
    api = ApiClient(api_token_create(user=officer))
    assert api.post("/pes/exports", {"run": billing_run.pk}).status_code == 403


def test_command_exports_and_imports(billing_run, tmp_path, capsys):
    out = tmp_path / "pes.xml"
    call_command("pes", "export", str(billing_run.pk), "--out", str(out), "--date", "2026-02-01")
    ormc.validate(out.read_bytes())
    assert "2 titre(s)" in capsys.readouterr().out
    title = Title.objects.get(account=billing_run.household)
    status = tmp_path / "retour.csv"
    status.write_text(f"titre;statut;montant;date\n{title.number};payé;{title.amount};10/02/2026\n")
    call_command("pes", "import-status", str(status))
    assert "1 paiement(s)" in capsys.readouterr().out
    assert Invoice.objects.get(pk=title.invoice_id).open_item.open_amount == 0
    with pytest.raises(CommandError, match="déjà été importé"):
        call_command("pes", "import-status", str(status))
    bad = tmp_path / "bad.csv"
    bad.write_text("titre;statut;montant;date\nT2026-0000009;payé;1;10/02/2026\n")
    with pytest.raises(CommandError, match="rien n'a été importé"):
        call_command("pes", "import-status", str(bad))
    with pytest.raises(CommandError, match="introuvable"):
        call_command("pes", "export", "999", "--out", str(out))


def test_demo_writes_a_sample_file_and_keeps_nothing(billing_run, tmp_path, regie, today):
    from robinet.demo import pes as demo_pes

    regie.ROBINET_PUBLIC_REGIE = False  # the demo utility is not a régie
    figures = demo_pes.seed_demo(today, folder=tmp_path)
    assert figures["pes_titles"] == 2
    (sample,) = tmp_path.glob("PES_*.xml")
    ormc.validate(sample.read_bytes())
    assert (tmp_path / "retours-exemple.csv").read_text().startswith("titre;statut")
    assert not PesExport.objects.exists()
    assert not Title.objects.exists()
