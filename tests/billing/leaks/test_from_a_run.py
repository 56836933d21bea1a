"""BILL-9 on a real bill: a billing run bills an abnormal consumption with its METER-5 notice;
the leak relief opened from that bill credits what exceeds the caps."""

import datetime as dt
from decimal import Decimal as D

import pytest

from robinet.billing import leaks, selectors
from robinet.metering import services as metering
from robinet.metering.models import AbnormalConsumptionNotice
from tests.billing import factories
from tests.billing.leaks.test_leaks import received
from tests.metering.factories import occupied_point, read, regular_history

pytestmark = pytest.mark.django_db


def test_relief_on_a_billed_notice_meter_5_bill_9(org, billing_officer, monkeypatch):
    from robinet.core import clock

    factories.tariff(factories.TARIFF_YAML.replace("2024-01-01", "2020-01-01"))
    # given three years of ~30 m³ a quarter, then 90 m³ in a quarter (validated, notified)
    account, sp = occupied_point(org.centres[0], start=dt.date(2022, 1, 1))
    regular_history(sp, start=dt.date(2022, 1, 1), periods=12)
    last = sp.readings.order_by("-read_on").first()
    held = read(sp, last.read_on + dt.timedelta(days=91), last.index + 90)
    metering.anomaly_resolve(actor=None, reading=held, resolution="validated")
    notice = AbnormalConsumptionNotice.objects.get()
    # and a run bills it (the bill carries the notice)
    monkeypatch.setattr(clock, "today", lambda: dt.date(2025, 7, 10))
    factories.run(dt.date(2025, 6, 30))
    bill = account.invoices.get(abnormal_notice=notice)
    # when a leak relief is opened from the bill and approved
    leak = leaks.leak_relief_open(actor=billing_officer, invoice=bill)
    assert leak.notice == notice
    assert leak.reference_average == notice.reference_average
    assert leak.notice_missing is False
    leak = received(leak, billing_officer, repair_date=held.read_on, received_on=held.read_on)
    leak = leaks.leak_relief_approve(actor=billing_officer, request=leak)
    # then the water stays billed on twice the average and sanitation on the average
    note = leak.credit_note
    water_cap = 2 * notice.reference_average
    billed = {}
    for line in bill.lines.filter(unit="m3"):
        billed[line.component_code] = billed.get(line.component_code, D(0)) + line.quantity
    credited = {}
    for line in note.lines.all():
        credited[line.component_code] = credited.get(line.component_code, D(0)) + line.quantity
    assert billed["CONSO-EAU"] - credited["CONSO-EAU"] == water_cap.quantize(D("0.01"))
    assert billed["RED-CONSO"] - credited["RED-CONSO"] == water_cap.quantize(D("0.01"))
    assert "ASST" not in billed  # this point has no sanitation service
    # the excess is taken from the top block (1.65 €/m³)
    top = note.lines.get(component_code="CONSO-EAU")
    assert (top.block, top.unit_price, top.quantity) == (1, D("1.65"), D(30))
    # and the credit note's document explains the relief
    content, _name = selectors.invoice_pdf(note)
    assert content.startswith(b"%PDF")
    assert "loi Warsmann" in note.reason
