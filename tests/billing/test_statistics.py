"""Billing statistics per entity and period (BILL-12)."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from robinet.billing import services
from robinet.billing.models import HeldBill, Invoice, InvoiceLine
from robinet.billing.statistics import billing_statistics, statistics_csv, statistics_text
from robinet.core.exceptions import PermissionDenied, ValidationFailed
from robinet.organisation.roles import Role
from tests.billing import factories
from tests.billing.conftest import occupied_point
from tests.metering.factories import read

pytestmark = pytest.mark.django_db

JAN, DEC = dt.date(2025, 1, 1), dt.date(2025, 12, 31)


@pytest.fixture
def dataset(org, tariff):
    """Centre 1: 60 m³ and 40 m³ billed, one bill of 5 000 m³ held; centre 2 (other agency
    branch, same agency): 30 m³ billed. All issued on 5 July 2025."""
    a, sp_a = occupied_point(org.centres[0], start=JAN, index="100")
    read(sp_a, dt.date(2025, 6, 20), "160")
    b, sp_b = occupied_point(org.centres[0], start=JAN, index="100")
    read(sp_b, dt.date(2025, 6, 20), "140")
    big, sp_big = occupied_point(org.centres[0], start=JAN, index="100")
    read(sp_big, dt.date(2025, 6, 20), "5100")
    c, sp_c = occupied_point(org.centres[1], start=JAN, index="100")
    read(sp_c, dt.date(2025, 6, 20), "130")
    factories.run(dt.date(2025, 6, 30))
    return a, b, big, c


def test_bill_12_counts_volumes_and_amounts_on_a_known_dataset(dataset):
    a, b, big, c = dataset
    stats = billing_statistics(user=None, date_from=JAN, date_to=DEC)
    bills = Invoice.objects.all()
    assert stats.invoices == 3
    assert stats.credit_notes == 0
    assert stats.final_bills == 0
    assert stats.volume.net == Decimal("130.000")
    assert stats.excl_vat.net == sum(i.total_excl_vat for i in bills)
    assert stats.vat.net == sum(i.total_vat for i in bills)
    assert stats.incl_vat.net == sum(i.total_incl_vat for i in bills)
    # by component: the levy is exact (60 + 40 + 30 m³ at 0,39); the consumption is one
    # row per block, adding up to the 130 m³
    components = {r.key: r for r in stats.by_component if r.key != "CONSO-EAU"}
    assert components["RED-CONSO"].amount.net == Decimal("50.70")
    assert components["RED-CONSO"].extra["quantity"].net == Decimal("130.000")
    assert components["ABO-EAU"].amount.net == Decimal("54.30")  # 3 × 18,10
    consumption = [r for r in stats.by_component if r.key == "CONSO-EAU"]
    assert [r.extra["block"] for r in consumption] == [0, 1]
    assert "tranche 1" in consumption[0].label
    assert "tranche 2" in consumption[1].label
    assert sum(r.extra["quantity"].net for r in consumption) == Decimal("130.000")
    assert sum(r.amount.net for r in consumption) == sum(
        line.amount_excl_vat for line in InvoiceLine.objects.filter(component_code="CONSO-EAU")
    )
    # by beneficiary, service and VAT rate add up to the lines
    beneficiaries = {r.key: r.amount.net for r in stats.by_beneficiary}
    assert beneficiaries == {"operator": Decimal("244.23"), "water_agency": Decimal("50.70")}
    assert {r.key: r.amount.net for r in stats.by_service}["public_bodies"] == Decimal("50.70")
    (rate,) = stats.by_vat_rate
    assert (rate.key, rate.label) == ("5.5", "5,5 %")
    assert rate.amount.net == Decimal("294.93") == stats.excl_vat.net
    assert rate.extra["vat"].net == Decimal("16.22")  # 294,93 × 5,5 % = 16,221
    # real readings, one held bill out of four computed
    assert (stats.real.count, stats.estimated.count) == (3, 0)
    assert (stats.held, stats.computed) == (1, 4)
    assert stats.outsorted_rate == Decimal("25.00")
    # by month and by centre
    (july,) = stats.by_month
    assert (july.month, july.invoices, july.held) == (dt.date(2025, 7, 1), 3, 1)
    assert july.incl_vat.net == stats.incl_vat.net
    centres = {row.code: row for row in stats.by_centre}
    assert centres["CT11"].invoices == 2
    assert centres["CT11"].volume.net == Decimal("100.000")
    assert centres["CT12"].invoices == 1


def test_bill_12_credit_notes_are_netted(dataset):
    a, b, big, c = dataset
    invoice = a.invoices.get()
    note = services.credit_note_issue(actor=None, invoice=invoice, reason="Erreur de relevé")
    stats = billing_statistics(user=None, date_from=JAN, date_to=note.issue_date)
    assert (stats.invoices, stats.credit_notes) == (3, 1)
    assert stats.incl_vat.credited == invoice.total_incl_vat
    assert stats.incl_vat.net == sum(
        i.total_incl_vat for i in Invoice.objects.exclude(pk__in=[invoice.pk, note.pk])
    )
    assert stats.volume.net == Decimal("70.000")
    components = {r.key: r.amount for r in stats.by_component if r.key != "CONSO-EAU"}
    assert components["RED-CONSO"].credited == Decimal("23.40")  # 60 × 0,39
    assert components["RED-CONSO"].net == Decimal("27.30")  # (40 + 30) × 0,39
    assert sum(r.amount.net for r in stats.by_vat_rate) == stats.excl_vat.net


def test_bill_12_fees_invoices_and_their_credit_notes_are_not_consumption(dataset):
    from robinet.billing import fees

    a, b, big, c = dataset
    fees.seed_price_list(valid_from=JAN)
    before = billing_statistics(user=None, date_from=JAN, date_to=dt.date(2034, 12, 31))
    fee = fees.fees_invoice_issue(actor=None, account=a, items=[("FRAIS-ACCES", 1)])
    services.credit_note_issue(actor=None, invoice=fee, reason="Frais non dus")
    after = billing_statistics(user=None, date_from=JAN, date_to=dt.date(2034, 12, 31))
    assert (after.invoices, after.credit_notes) == (before.invoices, before.credit_notes)
    assert after.incl_vat.net == before.incl_vat.net


def test_bill_12_period_and_entity_filters(dataset, org):
    stats = billing_statistics(user=None, date_from=JAN, date_to=dt.date(2025, 7, 4))
    assert stats.invoices == 0
    assert stats.held == 0
    assert stats.outsorted_rate is None
    centre = billing_statistics(user=None, date_from=JAN, date_to=DEC, entity=org.centres[1])
    assert centre.invoices == 1
    assert centre.volume.net == Decimal("30.000")
    assert centre.held == 0
    agency = billing_statistics(user=None, date_from=JAN, date_to=DEC, entity=org.agencies[0])
    assert agency.invoices == 3
    other = billing_statistics(user=None, date_from=JAN, date_to=DEC, entity=org.agencies[1])
    assert other.invoices == 0
    assert other.by_component == []


def test_bill_12_a_centre_officer_sees_only_their_centre(dataset, org, make_user):
    officer = make_user("fact-ct11", Role.BILLING_OFFICER, org.centres[0])
    stats = billing_statistics(user=officer, date_from=JAN, date_to=DEC)
    assert stats.invoices == 2
    assert [c.code for c in stats.by_centre] == ["CT11"]
    assert stats.held == 1
    with pytest.raises(PermissionDenied):
        billing_statistics(user=officer, date_from=JAN, date_to=DEC, entity=org.centres[1])
    with pytest.raises(PermissionDenied):
        billing_statistics(user=officer, date_from=JAN, date_to=DEC, entity=org.region)


def test_bill_12_released_held_bill_counts_once_in_the_outsorted_rate(dataset):
    held = HeldBill.objects.get()
    services.held_bill_release(actor=None, held=held, note="Fuite confirmée")
    stats = billing_statistics(user=None, date_from=JAN, date_to=dt.date(2026, 12, 31))
    assert stats.invoices == 4
    assert (stats.held, stats.computed) == (1, 4)


def test_bill_12_bad_period_is_refused(dataset):
    with pytest.raises(ValidationFailed):
        billing_statistics(user=None, date_from=DEC, date_to=JAN)


def test_bill_12_csv_is_french_excel_csv(dataset):
    stats = billing_statistics(user=None, date_from=JAN, date_to=DEC)
    text = statistics_csv(stats)
    assert text.startswith("\ufeffSynthèse\r\n")
    assert "Indicateur;Valeur\r\n" in text
    assert "Volume net (m³);130,000\r\n" in text
    assert (
        "RED-CONSO;Redevance consommation d'eau potable;Organismes publics;Agence de l'eau;" in text
    )
    assert "water_agency;Agence de l'eau;50,70;0,00;50,70\r\n" in text
    assert "Taux de hors facturation (%);25,00" in text
    assert "\r\n\r\nPar mois (date d'émission)\r\n" in text
    assert "07/2025;3;0;130,000;" in text
    # the text output carries the same figures
    assert "Taux de hors facturation (%)" in statistics_text(stats)


def test_bill_12_figures_are_sql_aggregates_not_a_loop_over_invoices(
    dataset, org, django_assert_max_num_queries
):
    # a fixed number of queries, however many invoices (here 3; the same with 3 million)
    with django_assert_max_num_queries(12):
        billing_statistics(user=None, date_from=JAN, date_to=DEC, entity=org.region)


def test_bill_12_stats_command_text_and_csv(dataset, tmp_path):
    out = StringIO()
    call_command("billing", "stats", "--from", "2025-01-01", "--to", "2025-12-31",
                 "--entity", "CT11", stdout=out)  # fmt: skip
    text = out.getvalue()
    assert "== Synthèse" in text
    assert "Volume net (m³)" in text
    assert "100,000" in text  # 60 + 40 m³ in centre 1.1
    target = tmp_path / "stats.csv"
    call_command("billing", "stats", "--from", "2025-01-01", "--to", "2025-12-31",
                 "--format", "csv", "-o", str(target), stdout=StringIO())  # fmt: skip
    content = target.read_bytes()
    assert content.startswith(b"\xef\xbb\xbfSynth\xc3\xa8se\r\n")
    assert "Factures;3\r\n" in content.decode("utf-8-sig")
    with pytest.raises(CommandError, match="Entité inconnue"):
        call_command("billing", "stats", "--from", "2025-01-01", "--to", "2025-12-31",
                     "--entity", "NOPE", stdout=StringIO())  # fmt: skip
