"""Titles of a régie's billing run in a PES V2 ORMC file (issue 7; COLL-10 threshold)."""

import datetime as dt
from decimal import Decimal

import pytest
from lxml import etree

from robinet.billing.models import Invoice
from robinet.core.exceptions import ApplicationError, PermissionDenied
from robinet.pes import ormc
from robinet.pes.models import PesExport, Title
from robinet.pes.services import pes_export

pytestmark = pytest.mark.django_db


def tree(export):
    return etree.fromstring(bytes(export.content))


def values(root, path):
    return [e.get("V") for e in root.iterfind(path)]


def test_export_titles_each_invoice_once_and_validates(billing_run, chief, today):
    export = pes_export(actor=chief, run=billing_run)
    ormc.validate(bytes(export.content))  # the stored bytes are the validated ones
    titled = {t.invoice.account_id for t in Title.objects.select_related("invoice")}
    assert titled == {billing_run.household.pk, billing_run.company.pk}
    assert export.titles == 2
    assert export.bordereau == 1
    assert export.year == 2026
    invoices = Invoice.objects.filter(run=billing_run, pes_title__isnull=False)
    assert export.total == sum(i.total_incl_vat for i in invoices)
    root = tree(export)
    assert values(root, ".//BlocBordereau/TypBord") == ["06"]
    assert values(root, ".//BlocPiece/TypPce") == ["15", "15"]
    assert sorted(values(root, ".//BlocPiece/NumeroFacture")) == sorted(i.number for i in invoices)
    # Each piece's lines add up to its title (HT + VAT), and the bordereau to the pieces.
    for piece in root.iterfind(".//Piece"):
        number = piece.find("BlocPiece/NumeroFacture").get("V")
        lines = sum(Decimal(v) for v in values(piece, ".//MtHT")) + sum(
            Decimal(v) for v in values(piece, ".//MtTVA")
        )
        assert lines == Invoice.objects.get(number=number).total_incl_vat
    bloc = root.find(".//BlocBordereau")
    assert (
        Decimal(bloc.find("MtBordHt").get("V")) + Decimal(bloc.find("MtBordTVA").get("V"))
        == export.total
    )
    assert export.sha256
    assert export.filename.endswith(".xml")


def test_small_debtor_below_threshold_is_not_titled_coll_10(billing_run, chief):
    export = pes_export(actor=chief, run=billing_run)
    small = Invoice.objects.get(run=billing_run, account=billing_run.small)
    assert not Title.objects.filter(invoice=small).exists()
    assert [s["invoice"] for s in export.skipped] == [small.number]
    assert "seuil" in export.skipped[0]["reason"]


def test_company_carries_its_siret_and_category(billing_run, chief):
    root = tree(pes_export(actor=chief, run=billing_run))
    infos = {i.find("Nom").get("V"): i for i in root.iterfind(".//InfoTiers")}
    company = infos["Boulangerie du Marché"]
    assert company.find("IdTiers").get("V") == "73282932000074"
    assert (company.find("CatTiers").get("V"), company.find("NatJur").get("V")) == ("60", "03")
    person = infos["Lefèvre"]
    assert person.find("IdTiers") is None
    assert (person.find("CatTiers").get("V"), person.find("NatJur").get("V")) == ("01", "01")
    assert person.find("Prenom").get("V") == "Hélène"


def test_imputations_follow_the_mapping(billing_run, chief, regie):
    regie.ROBINET_PES = {**regie.ROBINET_PES, "imputations": {"public_bodies": "701249:RPOL"}}
    root = tree(pes_export(actor=chief, run=billing_run))
    natures = set(values(root, ".//InfoLignePiece/Nature"))
    assert natures == {"70111", "701249"}  # no sanitation on these contracts


def test_second_export_of_the_run_has_nothing_to_title(billing_run, chief):
    pes_export(actor=chief, run=billing_run)
    with pytest.raises(ApplicationError) as exc:
        pes_export(actor=chief, run=billing_run)
    assert exc.value.code == "nothing_to_export"
    assert PesExport.objects.count() == 1
    assert Title.objects.count() == 2


def test_not_a_regie_is_refused(billing_run, chief, regie):
    regie.ROBINET_PUBLIC_REGIE = False
    with pytest.raises(ApplicationError) as exc:
        pes_export(actor=chief, run=billing_run)
    assert exc.value.code == "not_regie"
    assert not PesExport.objects.exists()


def test_export_needs_the_billing_permission(billing_run, officer):
    with pytest.raises(PermissionDenied):
        pes_export(actor=officer, run=billing_run)


def test_paid_invoice_is_not_titled_and_partly_paid_is_titled_for_what_remains(
    billing_run, chief, today
):
    from robinet.payments.services import payment_record

    household = Invoice.objects.get(run=billing_run, account=billing_run.household)
    company = Invoice.objects.get(run=billing_run, account=billing_run.company)
    payment_record(
        actor=chief, account=billing_run.household, means="transfer",
        amount=household.total_incl_vat, received_on=today,
    )  # fmt: skip
    payment_record(
        actor=chief, account=billing_run.company, means="transfer",
        amount=Decimal("10.00"), received_on=today,
    )  # fmt: skip
    export = pes_export(actor=chief, run=billing_run)
    assert not Title.objects.filter(invoice=household).exists()
    title = Title.objects.get(invoice=company)
    assert title.amount == company.total_incl_vat - Decimal("10.00") == export.total
    root = tree(export)
    lines = sum(Decimal(v) for v in values(root, ".//MtHT")) + sum(
        Decimal(v) for v in values(root, ".//MtTVA")
    )
    assert lines == title.amount


def test_run_must_be_done(billing_run, chief):
    billing_run.state = "running"
    with pytest.raises(ApplicationError) as exc:
        pes_export(actor=chief, run=billing_run)
    assert exc.value.code == "run_not_done"


def test_title_numbers_follow_the_exercise(billing_run, chief):
    pes_export(actor=chief, run=billing_run, on=dt.date(2026, 2, 15))
    assert sorted(Title.objects.values_list("number", flat=True)) == [
        "T2026-0000001",
        "T2026-0000002",
    ]
