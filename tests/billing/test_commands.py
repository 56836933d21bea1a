"""The billing and simulation commands (BILL-4, BILL-11) and the tariff files (BILL-1)."""

import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from robinet.billing.models import Invoice
from robinet.tariffs.models import TariffVersion
from tests.billing.conftest import occupied_point
from tests.metering.factories import read

pytestmark = pytest.mark.django_db
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "tariffs"


def _call(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_bill_1_tariffs_import_export_round_trip(tmp_path):
    out = _call("tariffs", "import", str(EXAMPLES / "EXAMPLE-2026.yaml"))
    assert "EXAMPLE-2026 créé" in out
    exported = tmp_path / "export.yaml"
    _call("tariffs", "export", "EXAMPLE-2026", "-o", str(exported))
    TariffVersion.objects.all().delete()
    _call("tariffs", "import", str(exported))
    assert TariffVersion.objects.get().definition["code"] == "EXAMPLE-2026"
    assert "EXAMPLE-2026" in _call("tariffs", "list")


def test_bill_1_bad_tariff_file_names_the_field_and_imports_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    text = (EXAMPLES / "EXAMPLE-2026.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace('unit_price: "1.1000"', 'unit_price: "abc"'), encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="Rien n'a été importé"):
        call_command("tariffs", "import", str(bad), stdout=StringIO(), stderr=err)
    assert "components[1].blocks[0].unit_price" in err.getvalue()
    assert not TariffVersion.objects.exists()


def test_bill_1_same_code_twice_is_refused(tmp_path):
    _call("tariffs", "import", str(EXAMPLES / "EXAMPLE-2026.yaml"))
    with pytest.raises(CommandError, match="existe déjà"):
        _call("tariffs", "import", str(EXAMPLES / "EXAMPLE-2026.yaml"))


def test_bill_11_simulate_json_keys_and_totals(tariff):
    out = _call(
        "bill", "simulate", "--tariff", "STRASBOURG-2026", "--volume", "120",
        "--from", "2026-01-01", "--to", "2026-12-31", "--diameter", "15", "--format", "json",
    )  # fmt: skip
    data = json.loads(out)
    for key in (
        "lines", "vat", "total_excl_vat", "total_vat", "total_incl_vat",
        "price_per_m3_incl_vat", "price_per_litre_incl_vat",
    ):  # fmt: skip
        assert key in data
    assert Decimal(data["total_incl_vat"]) == Decimal(data["total_excl_vat"]) + Decimal(
        data["total_vat"]
    )
    # A whole calendar year is exactly one year of fixed charge.
    fixed = next(line for line in data["lines"] if line["component_code"] == "ABO-EAU")
    assert fixed["amount_excl_vat"] == "36.50"


def test_bill_11_simulate_text_and_bad_input(tariff):
    out = _call(
        "bill", "simulate", "--tariff", "STRASBOURG-2026", "--volume", "60",
        "--from", "2026-01-01", "--to", "2026-06-30", "--diameter", "15",
    )  # fmt: skip
    assert "Distribution de l'eau" in out
    assert "Total TTC" in out
    with pytest.raises(CommandError, match="Volume invalide"):
        _call("bill", "simulate", "--tariff", "STRASBOURG-2026", "--volume", "beaucoup",
              "--from", "2026-01-01", "--to", "2026-06-30", "--diameter", "15")  # fmt: skip
    with pytest.raises(CommandError, match="Tarif inconnu"):
        _call("bill", "simulate", "--tariff", "NOPE", "--volume", "1",
              "--from", "2026-01-01", "--to", "2026-06-30", "--diameter", "15")  # fmt: skip


def test_bill_4_billing_run_command_reports_and_status(org, tariff):
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1))
    read(sp, dt.date(2025, 6, 20), "160")
    out = _call("billing", "run", "--period-end", "2025-06-30", "--issue-date", "2025-07-04")
    assert "1 facture(s) émise(s)" in out
    invoice = Invoice.objects.get()
    assert invoice.issue_date == dt.date(2025, 7, 4)
    assert "terminé" in _call("billing", "status", str(invoice.run_id)).lower()
    with pytest.raises(CommandError, match="postérieure"):
        _call("billing", "run", "--period-end", "2025-06-30", "--issue-date", "2025-06-01")
