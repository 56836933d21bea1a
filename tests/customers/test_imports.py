"""Legacy import (principle 5, API-2, API-3): atomic, line-numbered errors, same-file detection."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from robinet.core.imports import AlreadyImported, InvalidImportFile
from robinet.customers import selectors
from robinet.customers.imports import import_contracts, import_customers, import_service_points
from robinet.customers.models import Contract, CustomerAccount, Meter, Party, ServicePoint

CUSTOMERS = (
    "centre;number;kind;civility;name;first_name;customer_class;siret;naf_code;site_type;mobile;email;"
    "address_line;postcode;commune_insee;iban;direct_debit\n"
    "CT11;100000001;person;Mme;Lefèvre;Hélène;individual;;;;06 12 34 56 78;h@example.fr;"
    "12 rue des Tanneurs;67000;67482;FR7630006000011234567890189;oui\n"
    "CT11;;company;SARL;Boulangerie du Marché;;professional;73282932000074;10.71C;shop;;;"
    "3 place du Marché;67000;67482;;non\n"
)
SERVICE_POINTS = (
    "centre;reference;street_number;street;postcode;commune_insee;premises_use;meter_serial;meter_diameter_mm;"
    "collective_sanitation\n"
    "CT11;P000000501;12;rue des Tanneurs;67000;67482;main_residence;I20AA000001;15;oui\n"
    "CT11;;3;place du Marché;67000;67482;business;I20AA000002;20;oui\n"
)
CONTRACTS = (
    "customer_number;service_point;start_date;start_index;meter_serial;end_date;end_index\n"
    "100000001;P000000501;2019-04-01;10;I20AA000001;;\n"
)


def test_import_customers_service_points_and_contracts(org, manager):
    result = import_customers(CUSTOMERS.encode(), filename="clients.csv")
    assert result.rows == 2
    lefevre = CustomerAccount.objects.get(number="100000001")
    assert lefevre.party.mobile == "+33612345678"
    assert lefevre.direct_debit
    shop = CustomerAccount.objects.exclude(pk=lefevre.pk).get()
    assert shop.number == "100000002"  # numbering continues after the legacy numbers
    # The search index is filled at the end of the bulk insert.
    assert selectors.customer_search(user=manager, query="boulangerie marche") == [shop]
    import_service_points(SERVICE_POINTS.encode(), filename="pds.csv")
    assert ServicePoint.objects.count() == 2
    assert Meter.objects.count() == 2
    import_contracts(CONTRACTS.encode(), filename="abonnements.csv")
    contract = Contract.objects.get()
    assert contract.start_meter.serial == "I20AA000001"
    assert contract.sanitation
    assert selectors.customer_search(user=manager, query="i20aa000001") == [lefevre]


def test_api3_errors_name_line_and_column_and_nothing_is_written(org):
    bad = CUSTOMERS + (
        "CT11;;company;M.;Garage;;individual;;;;;;;67000;67482;;\n"  # CUST-2 breaches
        "CT99;;person;M.;Martin;Paul;individual;;;;01 23;;;75001;67482;FR7630006000011234567890188;oui\n"
    )
    with pytest.raises(InvalidImportFile) as exc:
        import_customers(bad.encode(), filename="clients.csv")
    where = {(i.line, i.field) for i in exc.value.issues}
    assert {
        (4, "customer_class"),
        (4, "civility"),
        (5, "centre"),
        (5, "mobile"),
        (5, "postcode"),
        (5, "iban"),
        (5, "direct_debit"),
    } <= where
    assert "ligne 5, colonne centre" in str(exc.value)
    assert Party.objects.count() == 0
    assert CustomerAccount.objects.count() == 0


def test_principle5_same_file_twice_is_refused(org):
    import_customers(CUSTOMERS.encode(), filename="clients.csv")
    with pytest.raises(AlreadyImported):
        import_customers(CUSTOMERS.encode(), filename="clients-copie.csv")
    assert CustomerAccount.objects.count() == 2


def test_cust10_import_refuses_two_active_contracts_on_a_service_point(org):
    import_customers(CUSTOMERS.encode(), filename="clients.csv")
    import_service_points(SERVICE_POINTS.encode(), filename="pds.csv")
    doubled = CONTRACTS + "100000002;P000000501;2020-01-01;;;;\n"
    with pytest.raises(InvalidImportFile) as exc:
        import_contracts(doubled.encode(), filename="abonnements.csv")
    assert [(i.line, i.field) for i in exc.value.issues] == [(3, "service_point")]
    assert Contract.objects.count() == 0


def test_import_missing_column_is_named(org):
    with pytest.raises(InvalidImportFile) as exc:
        import_customers(b"centre;name\nCT11;X\n", filename="x.csv")
    assert {i.field for i in exc.value.issues} == {"kind", "customer_class"}


def test_import_command_exit_code_and_summary(org, tmp_path, capsys):
    path = tmp_path / "clients.csv"
    path.write_bytes(CUSTOMERS.encode("cp1252"))
    call_command("import", "customers", str(path))
    assert "Import terminé : 2 lignes" in capsys.readouterr().out
    with pytest.raises(CommandError, match="déjà été importé"):
        call_command("import", "customers", str(path))
    broken = tmp_path / "broken.csv"
    broken.write_text(CUSTOMERS.replace("73282932000074", "73282932000075"), encoding="utf-8")
    with pytest.raises(CommandError, match="2 erreur"):
        call_command("import", "customers", str(broken))
    assert "ligne 3, colonne siret" in capsys.readouterr().err
