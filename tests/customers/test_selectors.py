"""Search, scoping (ORG-2), the customer page, GDPR export (CUST-8) and quality (CUST-12)."""

import pytest

from robinet.core.exceptions import NotFound
from robinet.customers import selectors, services
from robinet.customers.models import CustomerAccount
from tests.customers import factories


@pytest.fixture
def customers(org):
    hl = factories.person(org.centres[0])
    services.party_update(
        actor=None, account=hl, party={"mobile": "06 12 34 56 78"}, bloctel_notice_given=True
    )
    sp = factories.service_point(
        org.centres[0], serial="I21KX123456", street="avenue de la Forêt-Noire"
    )
    factories.moved_in(hl, sp)
    shop = factories.company(org.centres[0])
    other_centre = factories.person(org.centres[1], name="Lefebvre", first_name="Hélène")
    return hl, shop, other_centre


@pytest.mark.parametrize(
    "query",
    [
        "lefevre",
        "LEFÈVRE",
        "Hélène Lefèvre",
        "helene lef",
        "000000001",
        "06 12 34 56 78",
        "0612345678",
        "+33 6 12 34 56 78",
        "i21kx123456",
        "foret-noire",
        "helene.lefevre@example.fr",
    ],
)
def test_search_is_tolerant_of_accents_case_and_formats(customers, manager, query):
    hl = customers[0]
    assert hl in selectors.customer_search(user=manager, query=query)


def test_search_by_contract_number_and_service_point_reference(customers, manager):
    hl = customers[0]
    contract = hl.contracts.get()
    assert selectors.customer_search(user=manager, query=contract.number.lower()) == [hl]
    assert selectors.customer_search(user=manager, query=contract.service_point.reference) == [hl]


def test_identifiers_are_not_words_of_the_text_index(customers):
    """Identifiers are found by exact look-ups, so the text index holds only words."""
    hl = CustomerAccount.objects.get(pk=customers[0].pk)
    assert hl.number not in hl.search_text
    assert "0612345678" not in hl.search_text
    assert "i21kx123456" not in hl.search_text
    assert " lefevre " in hl.search_text
    assert " foret noire " in hl.search_text


def test_search_by_siret_with_spaces(customers, manager):
    shop = customers[1]
    assert selectors.customer_search(user=manager, query="732 829 320 00074") == [shop]


def test_search_needs_every_term(customers, manager):
    assert selectors.customer_search(user=manager, query="lefevre boulangerie") == []
    assert selectors.customer_search(user=manager, query="") == []


def test_org2_search_is_scoped_to_the_officers_centre(customers, officer, manager):
    hl, _shop, other = customers
    assert other not in selectors.customer_search(user=officer, query="helene")
    assert hl in selectors.customer_search(user=officer, query="helene")
    assert other in selectors.customer_search(user=manager, query="helene")


def test_org2_account_of_another_centre_is_not_found(customers, officer):
    other = customers[2]
    with pytest.raises(NotFound):
        selectors.account_get_for_user(user=officer, number=other.number)


def test_org2_user_without_role_sees_nothing(customers, make_user):
    nobody = make_user("nobody")
    assert selectors.customer_search(user=nobody, query="helene") == []
    assert selectors.account_list(user=nobody).count() == 0


def test_customer_overview_gathers_the_360_view(customers, officer):
    hl = selectors.account_get_for_user(user=officer, number=customers[0].number)
    view = selectors.customer_overview(user=officer, account=hl)
    assert view["contracts"][0].active_meter.serial == "I21KX123456"
    assert view["mobile_display"] == "06 12 34 56 78"
    assert [e.verb for e in view["events"]][-1] == "customer_created"
    assert view["consistency_errors"] == {}


def test_cust8_gdpr_export_holds_the_customers_data(customers):
    hl = customers[0]
    data = selectors.customer_data_export(account=hl)
    assert data["party"]["name"] == "Lefèvre"
    assert data["contracts"][0]["account_id"] == hl.pk
    assert data["meters"][0]["serial"] == "I21KX123456"
    assert any(h["action"] == "bloctel_notice_given" for h in data["history"])
    assert "search_text" not in data["accounts"][0]


def test_cust12_quality_rates_roll_up_the_tree(customers, manager, org):
    report = selectors.quality_report(user=manager)
    by_code = {row["entity"].code: row for row in report}
    assert by_code["DR-TEST"]["total"] == 3
    assert by_code["CT11"]["total"] == 2
    mobile = by_code["CT11"]["rates"][0]
    assert mobile[1] == 1
    assert mobile[2] == 50.0


def test_cust12_lists_accounts_breaking_cust2_to_4(customers, manager):
    hl = customers[0]
    CustomerAccount.objects.filter(pk=hl.pk).update(customer_class="farmer")
    broken = customers[1]
    # A legacy record: a company with a person's civility slipped in before the rules.
    from robinet.customers.models import Party

    Party.objects.filter(pk=broken.party_id).update(kind="person", civility="M.")
    rows = selectors.consistency_breaches(user=manager)
    assert [r["account"] for r in rows] == [broken]
    assert "siret" in rows[0]["errors"] or "kind" in rows[0]["errors"]
