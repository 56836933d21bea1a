"""Changing a meter from the customer page (METER-4): removal index, new meter, install index."""

import datetime as dt
from decimal import Decimal

import pytest

from robinet.metering.models import Reading
from tests.metering.factories import read

pytestmark = pytest.mark.django_db


def change_data(**changes) -> dict:
    data = {
        "changed_on": "2025-03-01",
        "removal_index": "380",
        "new_serial": "nv-2025-01",
        "new_diameter_mm": "15",
        "new_digits": "5",
        "install_index": "2",
    }
    return {**data, **changes}


def test_the_button_shows_to_officers_who_may_change_contracts(web, officer, auditor, occupied):
    account, _sp = occupied
    contract = account.contracts.get()
    url = f"/metering/customers/{account.number}/contracts/{contract.number}/meter-change/"
    page = web.login(officer).get("customers:detail", account.number).content.decode()
    assert url in page
    assert "Changer le compteur" in page
    modal = web.get(url, htmx=True).content.decode()
    assert 'class="modal-header"' in modal
    assert "Index de dépose de l&#x27;ancien compteur (m³)" in modal
    page = web.login(auditor).get("customers:detail", account.number).content.decode()
    assert url not in page
    assert web.get(url).status_code == 403


def test_meter_change_then_the_next_reading_adds_both_parts(web, officer, occupied):
    account, sp = occupied  # last reading 2024-12-29, index 340
    contract = account.contracts.get()
    old = sp.meters.get()
    response = web.login(officer).post(
        "metering:meter-change", account.number, contract.number, data=change_data()
    )
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == f"/customers/{account.number}/#readings"
    old.refresh_from_db()
    new = sp.meters.get(removed_on__isnull=True)
    assert (old.removed_on, new.serial, new.installed_on) == (
        dt.date(2025, 3, 1),
        "NV-2025-01",
        dt.date(2025, 3, 1),
    )
    removal = Reading.objects.get(meter=old, source="removal")
    install = Reading.objects.get(meter=new, source="install")
    assert (removal.consumption, removal.status) == (Decimal(40), "valid")
    assert (install.consumption, install.index) == (Decimal(0), Decimal(2))
    html = web.get(response["Location"]).content.decode()
    assert "Changement de compteur enregistré : compteur NV-2025-01 posé." in html

    after = read(sp, dt.date(2025, 4, 1), 12)
    assert (after.meter, after.consumption, after.status) == (new, Decimal(10), "valid")
    # the quarter across the change: 40 m³ on the old meter + 10 m³ on the new one
    since = Reading.objects.filter(
        service_point=sp, status="valid", read_on__gt=dt.date(2024, 12, 29)
    )
    assert sum(r.consumption for r in since) == Decimal(50)


def test_refusals_come_back_on_the_form_and_nothing_changes(web, officer, occupied):
    account, sp = occupied
    contract = account.contracts.get()
    before = Reading.objects.count()
    response = web.login(officer).post(
        "metering:meter-change",
        account.number,
        contract.number,
        data=change_data(changed_on="2030-01-01", removal_index="abc"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "La date du changement ne peut pas être dans le futur." in html
    assert "Index invalide." in html
    assert Reading.objects.count() == before
    assert sp.meters.filter(removed_on__isnull=True).count() == 1

    taken = sp.meters.get().serial  # the meter in place cannot be installed again
    response = web.post(
        "metering:meter-change", account.number, contract.number,
        data=change_data(new_serial=taken),
    )  # fmt: skip
    assert response.status_code == 200
    assert Reading.objects.count() == before
    assert sp.meters.get(removed_on__isnull=True).serial == taken
