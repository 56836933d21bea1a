"""PAY-8 screens: record a transfer, import a statement, see its differences, re-examine it."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from robinet.organisation.roles import Role
from robinet.payments import operators
from robinet.payments.models import OperatorStatement, OperatorTransfer, Payment, StatementStatus


@pytest.fixture
def client_cashier(client, cashier):
    client.force_login(cashier)
    return client


@pytest.fixture
def agency(cashier):
    return operators.operator_create(
        actor=cashier, code="AGREC", name="Agence de recouvrement Est", kind="agency"
    )


def _csv(billed, amount="40,00"):
    return f"reference;account;amount;paid_on\nA1;{billed.number};{amount};2026-02-01\n".encode()


def test_pay_8_operator_list_and_create(client_cashier, agency):
    page = client_cashier.get("/payments/operators/")
    assert page.status_code == 200
    assert "Agence de recouvrement Est" in page.content.decode()
    response = client_cashier.post(
        "/payments/operators/", {"code": "AGREC", "name": "Doublon", "kind": "agency"}
    )
    assert response.status_code == 422
    assert "Ce code est déjà pris" in response.content.decode()


def test_pay_8_import_in_difference_then_record_the_transfer_and_re_examine(
    client_cashier, agency, billed
):
    upload = SimpleUploadedFile("releve.csv", _csv(billed), content_type="text/csv")
    response = client_cashier.post(
        "/payments/operators/statements/import/", {"operator": "AGREC", "file": upload}
    )
    statement = OperatorStatement.objects.get()
    assert response["Location"] == f"/payments/operators/statements/{statement.pk}/"
    page = client_cashier.get(response["Location"]).content.decode()
    assert "Aucun virement de 40,00" in page
    assert "Réexaminer le relevé" in page

    response = client_cashier.post(
        "/payments/operators/transfers/",
        {"operator": "AGREC", "amount": "40.00", "received_on": "2026-02-14",
         "bank_reference": "VIR-77"},
    )  # fmt: skip
    assert response.status_code == 302
    assert OperatorTransfer.objects.get().amount == Decimal("40.00")
    client_cashier.post(
        f"/payments/operators/statements/{statement.pk}/examine/", {"transfer": ["VIR-77"]}
    )
    statement.refresh_from_db()
    assert statement.status == StatementStatus.BOOKED
    assert Payment.objects.get().means == "agency"


def test_pay_8_a_refused_file_lists_its_problems_by_line(client_cashier, agency, billed):
    upload = SimpleUploadedFile("releve.csv", _csv(billed, amount="abc"), content_type="text/csv")
    response = client_cashier.post(
        "/payments/operators/statements/import/", {"operator": "AGREC", "file": upload}
    )
    assert response.status_code == 422
    content = response.content.decode()
    assert "Fichier refusé, rien n&#x27;a été importé." in content
    assert "montant illisible" in content
    assert not OperatorStatement.objects.exists()


def test_pay_8_only_payment_importers_import(client, org, make_user, agency, billed):
    client.force_login(make_user("guichet", Role.CUSTOMER_OFFICER, org.centres[0]))
    assert client.get("/payments/operators/statements/").status_code == 200
    assert client.get("/payments/operators/statements/import/").status_code == 403
