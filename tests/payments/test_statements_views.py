"""PAY-5 screens: import a statement, read it, work the worklist (accept, split, refund)."""

import time
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from robinet.organisation.roles import Role
from robinet.payments.models import EntryStatus, Payment, StatementEntry
from tests.customers import factories as customer_factories
from tests.payments.statement_setup import camt, credit, invoices


@pytest.fixture
def client_cashier(client, cashier):
    client.force_login(cashier)
    return client


def _upload(client, data, name="releve.xml"):
    return client.post(
        "/payments/bank-statements/import/", {"file": SimpleUploadedFile(name, data)}
    )


def test_pay5_import_screen_books_and_shows_the_statement(client_cashier, billed):
    first, _second = invoices(billed)
    data = camt(
        credit(first.total_incl_vat, remittance=first.number, debtor_name="DUPONT"),
        credit("9.00", debtor_name="INCONNU"),
    )
    response = _upload(client_cashier, data)
    assert response.status_code == 302
    page = client_cashier.get(response.url).content.decode()
    assert "1 virement(s) affecté(s)" in page
    assert "Facture lue : " + first.number in page
    assert "aucun compte trouvé" in page
    listing = client_cashier.get("/payments/bank-statements/").content.decode()
    assert "REL-2026-02-12" in listing


def test_pay5_import_screen_books_in_a_thread_without_a_broker(
    transactional_db, client, cashier, billed, settings
):
    """PAY-5: without workers the booking run goes to a thread of the web process, so a
    large file does not hold the request; the statement's page shows the result once done."""
    settings.ROBINET_RUNS_IN_BACKGROUND = True
    client.force_login(cashier)
    first, _second = invoices(billed)
    data = camt(credit(first.total_incl_vat, remittance=first.number, debtor_name="DUPONT"))
    response = _upload(client, data)
    assert response.status_code == 302
    entry = StatementEntry.objects.get()
    for _ in range(400):
        entry.refresh_from_db()
        if entry.status != EntryStatus.MATCHED:
            break
        time.sleep(0.05)
    assert entry.status == EntryStatus.BOOKED
    assert Payment.objects.get().amount == first.total_incl_vat
    page = client.get(response.url).content.decode()
    # The message says what the run had booked when the page answered (the thread races it).
    assert (
        "1 virement(s) reconnu(s) encore à comptabiliser" in page
        or "1 virement(s) affecté(s)" in page
    )
    assert "Facture lue : " + first.number in page


def test_pay5_import_screen_lists_every_problem_and_imports_nothing(client_cashier, billed):
    response = _upload(client_cashier, camt(credit("5.00"), iban="FR7610107001011234567890129"))
    assert response.status_code == 422
    page = response.content.decode()
    assert "Fichier refusé, rien n&#x27;a été importé." in page
    assert "compte d&#x27;encaissement" in page
    duplicate = camt(credit("5.00", remittance=billed.number))
    assert _upload(client_cashier, duplicate).status_code == 302
    again = _upload(client_cashier, duplicate)
    assert again.status_code == 422
    assert "déjà été importé" in again.content.decode()
    assert Payment.objects.count() == 1


def test_pay5_worklist_accept_a_suggestion(client_cashier, billed):
    billed.iban = "FR7630004000031234567890143"
    billed.save(update_fields=["iban"])
    _upload(client_cashier, camt(credit("1.23", debtor_iban="FR7630004000031234567890143")))
    entry = StatementEntry.objects.get()
    assert entry.status == EntryStatus.UNALLOCATED
    page = client_cashier.get("/payments/unallocated/").content.decode()
    assert billed.number in page
    assert "IBAN déjà connu pour ce compte" in page
    assert "moins de 8 jours" in page
    response = client_cashier.post(
        f"/payments/unallocated/{entry.pk}/allocate/", {"account": billed.number}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == EntryStatus.BOOKED
    assert entry.account == billed
    assert Payment.objects.get().amount == Decimal("1.23")


def test_pay5_worklist_split_and_its_errors(client_cashier, billed, org):
    other = customer_factories.person(org.centres[0], name="MARTIN", first_name="Claire")
    _upload(client_cashier, camt(credit("30.00")))
    entry = StatementEntry.objects.get()
    url = f"/payments/unallocated/{entry.pk}/split/"
    wrong = client_cashier.post(
        url, {"account": [billed.number, other.number], "amount": ["10,00", "5,00"]}
    )
    assert wrong.status_code == 422
    assert "Les montants totalisent 15.00 €" in wrong.content.decode()
    unknown = client_cashier.post(url, {"account": ["123"], "amount": ["30"]})
    assert "Ligne 1 : Compte client « 123 » introuvable." in unknown.content.decode()
    done = client_cashier.post(
        url, {"account": [billed.number, other.number, ""], "amount": ["10,00", "20,00", ""]}
    )
    assert done.status_code == 302
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [
        Decimal("10.00"),
        Decimal("20.00"),
    ]


def test_pay5_worklist_refund_needs_a_reason(client_cashier, billed):
    _upload(client_cashier, camt(credit("30.00")))
    entry = StatementEntry.objects.get()
    url = f"/payments/unallocated/{entry.pk}/close/"
    assert client_cashier.post(url, {"action": "refund", "reason": ""}).status_code == 422
    assert client_cashier.post(url, {"action": "refund", "reason": "Doublon"}).status_code == 302
    entry.refresh_from_db()
    assert entry.status == EntryStatus.REFUNDED
    assert entry.note == "Doublon"
    page = client_cashier.get(f"/payments/unallocated/{entry.pk}/").content.decode()
    assert "Affecter à un compte" not in page  # handled: no more actions


def test_pay5_screens_follow_the_permissions(client, billed, org, make_user, cashier):
    _upload_client = client
    _upload_client.force_login(cashier)
    _upload(_upload_client, camt(credit("30.00")))
    entry = StatementEntry.objects.get()
    auditor = make_user("audit", Role.AUDITOR, org.region)
    client.force_login(auditor)
    page = client.get(f"/payments/unallocated/{entry.pk}/")
    assert page.status_code == 200
    assert "Affecter à un compte" not in page.content.decode()
    assert client.get("/payments/bank-statements/import/").status_code == 403
    denied = client.post(f"/payments/unallocated/{entry.pk}/allocate/", {"account": billed.number})
    assert denied.status_code == 403
    assert not Payment.objects.exists()
