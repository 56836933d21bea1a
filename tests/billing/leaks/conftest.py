"""BILL-9 fixtures: a consumption bill of the worked example (1,195 m³) and its METER-5 notice."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from robinet.billing.models import Invoice, InvoiceLine
from robinet.core import clock
from robinet.core.money import round_money
from robinet.ledger.models import OpenItem, OpenItemKind
from robinet.metering.models import AbnormalConsumptionNotice
from robinet.organisation.roles import Role
from tests.backoffice.conftest import web  # noqa: F401
from tests.metering.factories import occupied_point, read

TODAY = dt.date(2026, 3, 10)
ISSUED = dt.date(2026, 2, 20)
# The worked example of issue 5: a history of 292, 320, 392 m³; a leak year of 1,195 m³.
AVERAGE = D("334.667")
LINES = [
    # component, label, service, beneficiary, kind, quantity, unit, unit price, VAT
    ("ABO-EAU", "Abonnement eau potable", "water", "operator", "fixed", "1", "year", "60", "5.5"),
    ("CONSO-EAU", "Consommation eau potable", "water", "operator", "volume", "1195", "m3",
     "1.65", "5.5"),
    ("RED-CONSO", "Redevance consommation d'eau potable", "public_bodies", "water_agency",
     "volume", "1195", "m3", "0.39", "5.5"),
    ("ASST", "Assainissement collectif", "sanitation", "authority", "volume", "1195", "m3",
     "2.05", "10"),
]  # fmt: skip


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Certificates go to a temporary storage."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    return TODAY


@pytest.fixture
def billing_officer(org, make_user):
    return make_user("facturation", Role.BILLING_OFFICER, org.centres[0])


def leak_bill(centre, *, use="main_residence", with_notice=True, notice_sent=True):
    """A yearly bill of 1,195 m³ (issued 20/02/2026) and, if asked, its METER-5 notice."""
    account, sp = occupied_point(centre, start=dt.date(2024, 1, 1), use=use)
    reading = read(sp, dt.date(2025, 12, 31), "1295")
    notice = None
    if with_notice:
        notice = AbnormalConsumptionNotice.objects.create(
            reading=reading,
            account=account,
            service_point=sp,
            period_start=dt.date(2025, 1, 1),
            period_end=dt.date(2025, 12, 31),
            consumption=D(1195),
            reference_average=AVERAGE,
            reference_basis="own_history",
            text="Consommation anormale : vous pouvez demander l'écrêtement (un mois).",
            created_at=clock.now(),
            sent_at=dt.datetime(2026, 2, 20, 9, tzinfo=dt.UTC) if notice_sent else None,
            sent_channel="mail" if notice_sent else "",
        )
    lines = []
    for position, (code, label, service, beneficiary, kind, qty, unit, price, vat) in enumerate(
        LINES, start=1
    ):
        lines.append(
            dict(
                position=position,
                component_code=code,
                label=label,
                service=service,
                beneficiary=beneficiary,
                component_kind=kind,
                tariff_code="STRASBOURG-2026",
                period_start=dt.date(2025, 1, 1),
                period_end=dt.date(2025, 12, 31),
                quantity=D(qty),
                unit=unit,
                unit_price=D(price),
                amount_excl_vat=round_money(D(qty) * D(price)),
                vat_rate=D(vat),
            )
        )
    bases: dict = {}
    for ln in lines:
        bases[ln["vat_rate"]] = bases.get(ln["vat_rate"], D(0)) + ln["amount_excl_vat"]
    vat = [
        {"rate": str(r), "base": str(b), "amount": str(round_money(b * r / 100))}
        for r, b in sorted(bases.items())
    ]
    excl = sum((D(v["base"]) for v in vat), D(0))
    tax = sum((D(v["amount"]) for v in vat), D(0))
    invoice = Invoice.objects.create(
        number=f"FAC-2026-{sp.pk:07d}",
        series="FAC",
        year=2026,
        sequence=900000 + sp.pk,
        kind="periodic",
        account=account,
        contract=account.contracts.get(),
        service_point=sp,
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
        issue_date=ISSUED,
        due_date=ISSUED + dt.timedelta(days=15),
        volume=D(1195),
        total_excl_vat=excl,
        total_vat=tax,
        total_incl_vat=excl + tax,
        vat_breakdown=vat,
        new_reading=reading,
        abnormal_notice=notice,
        created_at=clock.now(),
    )
    for ln in lines:
        InvoiceLine.objects.create(invoice=invoice, **ln)
    OpenItem.objects.create(
        account=account,
        contract=invoice.contract,
        kind=OpenItemKind.INVOICE,
        invoice=invoice,
        document_number=invoice.number,
        posted_on=ISSUED,
        due_date=invoice.due_date,
        amount=invoice.total_incl_vat,
        open_amount=invoice.total_incl_vat,
    )
    return invoice


@pytest.fixture
def bill(org):
    return leak_bill(org.centres[0])


def certificate(name="attestation.pdf", content=b"%PDF-1.4 plumber certificate"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")
