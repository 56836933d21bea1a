"""COLL-12 on the account pages: an insolvency file's block freezes its items, not the account.

The customer page's « Recouvrement » card and the collection page say « Dette antérieure
gelée » with the file number, never that the account is blocked; a block of the same reason
entered by hand (no file behind it) still holds the account and is shown as a block.
"""

import datetime as dt

import pytest

from robinet.collections import insolvency as ins
from robinet.collections import services
from robinet.collections.choices import BlockReason
from tests.backoffice.helpers import RobinetClient
from tests.collections.conftest import TODAY, bill

pytestmark = pytest.mark.django_db

FROZEN = "Dette antérieure gelée (surendettement / procédure collective)"


@pytest.fixture
def web():
    return RobinetClient()


def _card(web, account):
    page = web.get("customers:detail", account.number).content.decode()
    assert f"/collections/accounts/{account.number}/card/" in page
    response = web.get("collections:account-collection-card", account.number, htmx=True)
    assert response.status_code == 200
    return response.content.decode()


def test_coll12_customer_card_says_prior_debt_frozen_with_the_file_number(
    web, procedures, household, collector
):
    bill(household, issued=TODAY - dt.timedelta(days=90), amount="90.00")
    file = ins.insolvency_record(
        household, "over_indebtedness", TODAY - dt.timedelta(days=10), collector
    )
    web.login(collector)
    card = _card(web, household)
    assert FROZEN in card
    assert file.number in card
    assert "Bloqué" not in card
    assert str(BlockReason.OVER_INDEBTEDNESS.label) not in card  # not shown as an account block
    page = web.get("collections:account-collection", household.number).content.decode()
    assert FROZEN in page
    assert file.number in page
    assert "Aucun blocage en cours" not in page


def test_coll12_a_closed_file_no_longer_shows_frozen_debt(web, procedures, household, collector):
    bill(household, issued=TODAY - dt.timedelta(days=90), amount="90.00")
    file = ins.insolvency_record(
        household, "receivership",
        TODAY - dt.timedelta(days=10), collector,
    )  # fmt: skip
    web.login(collector)
    assert file.number in _card(web, household)
    ins.insolvency_close(file, TODAY, collector)
    card = _card(web, household)
    assert FROZEN not in card
    assert file.number not in card


def test_coll3_a_manual_over_indebtedness_block_still_shows_as_a_block(
    web, procedures, household, collector
):
    bill(household, issued=TODAY - dt.timedelta(days=45))
    services.block_create(
        actor=collector, account=household, reason=BlockReason.OVER_INDEBTEDNESS,
        reference="BDF-2026-1",
    )  # fmt: skip
    web.login(collector)
    card = _card(web, household)
    assert str(BlockReason.OVER_INDEBTEDNESS.label) in card
    assert FROZEN not in card
