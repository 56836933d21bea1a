"""Screens of the accounting (PAY-7, PAY-1a): journal, entry, chart, reconciliation,
beneficiaries (CSV), FEC download; all behind ACCOUNTING_VIEW."""

import pytest

from robinet.ledger import fec, journal
from robinet.ledger.models import JournalEntry

pytestmark = pytest.mark.django_db


def test_pay_7_journal_entry_and_chart_screens(web, billed, cashier):
    web.login(cashier)
    home = web.get("backoffice:home").content.decode()
    assert "Comptabilité" in home  # the menu entry
    entry = JournalEntry.objects.order_by("pk").first()
    page = web.get("ledger:entries").content.decode()
    assert f'id="entry-{entry.pk}"' in page
    filtered = web.get("ledger:entries", data={"journal": "BQ"}).content.decode()
    assert 'id="entry-empty"' in filtered
    by_piece = web.get("ledger:entries", data={"piece": entry.piece_ref}).content.decode()
    assert f'id="entry-{entry.pk}"' in by_piece
    detail = web.get("ledger:entry-detail", entry.pk).content.decode()
    assert "411000" in detail
    assert billed.number in detail
    chart = web.get("ledger:chart").content.decode()
    assert 'id="account-411000"' in chart
    assert "Clients" in chart


def test_pay_7_accounting_screens_need_accounting_view(web, billed, officer):
    web.login(officer)
    for name in ("ledger:entries", "ledger:chart", "ledger:reconciliation", "ledger:fec"):
        assert web.get(name).status_code == 403
    assert "Comptabilité" not in web.get("backoffice:home").content.decode()


def test_pay_7_an_entry_of_another_centre_is_not_found(web, billed, org, make_user):
    from robinet.organisation.roles import Role

    other = make_user("autre", Role.COLLECTION_OFFICER, org.centres[3])
    web.login(other)
    entry = JournalEntry.objects.order_by("pk").first()
    assert web.get("ledger:entry-detail", entry.pk).status_code == 404
    assert f'id="entry-{entry.pk}"' not in web.get("ledger:entries").content.decode()


def test_pay_7_reconciliation_screen(web, billed, cashier, org):
    web.login(cashier)
    page = web.get("ledger:reconciliation", data={"date": "2026-02-15"}).content.decode()
    assert "aucun écart" in page
    assert f'id="reconciliation-{org.centres[0].code}"' in page


def test_pay_1a_beneficiary_screen_and_csv(web, billed, cashier):
    web.login(cashier)
    page = web.get("ledger:beneficiaries", data={"start": "2025-01-01", "end": "2026-12-31"})
    assert 'id="beneficiary-table"' in page.content.decode()
    assert "Agence de l" in page.content.decode()
    csv = web.get(
        "ledger:beneficiaries", data={"start": "2025-01-01", "end": "2026-12-31", "format": "csv"}
    )
    assert csv["Content-Type"] == "text/csv"
    assert csv.content.decode("utf-8-sig").startswith("beneficiaire;rubrique;")
    bad = web.get("ledger:beneficiaries", data={"start": "2026-01-01", "end": "2025-01-01"})
    assert bad.status_code == 422
    assert "précède" in bad.content.decode()


def test_pay_7_fec_download(web, billed, accountant, cashier):
    web.login(accountant)
    form = web.get("ledger:fec").content.decode()
    assert '<option value="2025">' in form
    response = web.get("ledger:fec", data={"year": "2025", "separator": "pipe"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('FEC20251231.txt"')
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0] == "|".join(fec.COLUMNS)
    web.login(cashier)  # one centre: not the whole ledger
    assert web.get("ledger:fec", data={"year": "2025"}).status_code == 403


def test_pay_7_journal_list_query_budget(web, billed, cashier, django_assert_max_num_queries):
    web.login(cashier)
    web.get("ledger:entries")  # warm the session and the scope
    with django_assert_max_num_queries(12):
        page = web.get("ledger:entries").content.decode()
    assert page.count('id="entry-') >= 2


def test_pay_7_a_run_entry_is_found_by_an_invoice_number_and_shows_its_lines_by_page(
    web, run_of_three, cashier, monkeypatch
):
    """Decision 0014: the journal finds a billing run's entry by the number of any of its
    invoices (the piece of its customer line), and shows the entry's lines page by page,
    each with its piece, and the entry's totals over every page."""
    web.login(cashier)
    entry = JournalEntry.objects.get(event="invoice_run")
    first, second, third = run_of_three
    assert entry.piece_ref == f"{first.number} à {third.number}"
    page = web.get("ledger:entries", data={"piece": second.number}).content.decode()
    assert f'id="entry-{entry.pk}"' in page
    monkeypatch.setattr(journal, "LINES_PER_PAGE", 4)
    lines = entry.lines.count()
    assert lines > 4
    detail = web.get("ledger:entry-detail", entry.pk).content.decode()
    assert detail.count("<tr>") - 2 == 4  # header and total rows apart
    assert f"1 / {-(-lines // 4)}" in detail
    assert f"{lines} lignes" in detail
    total = sum(i.total_incl_vat for i in run_of_three)
    assert f"{total:.2f}".replace(".", ",") in detail  # the totals of every page
    last = web.get("ledger:entry-detail", entry.pk, data={"page": "2"}).content.decode()
    assert third.number in last  # the customer lines come after the summed ones
    assert web.get("ledger:entry-detail", entry.pk, data={"page": "x"}).status_code == 200
