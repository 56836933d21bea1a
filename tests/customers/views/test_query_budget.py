"""Query budgets of the list and detail screens (STYLE.md: pinned query counts)."""

import pytest

from tests.backoffice.helpers import make_person, make_service_point, move_in

pytestmark = pytest.mark.django_db


def test_search_results_query_count_does_not_grow_with_results(
    web, org, officer, django_assert_max_num_queries
):
    for i in range(12):
        account = make_person(org.centres[0], name="Martin", first_name=f"Jean{i}", email="")
        if i % 2:
            move_in(account, make_service_point(org.centres[0]))
    web.login(officer)
    web.get("customers:search", htmx=True, data={"q": "martin"})  # warm caches (scope, session)
    # session, user, second-factor device, role assignments (scope), centres, accounts (twice
    # on PostgreSQL: whole words, then the last one as a prefix), active contracts
    with django_assert_max_num_queries(8):
        response = web.get("customers:search", htmx=True, data={"q": "martin"})
    assert response.content.decode().count('<a class="mono" href="/customers/') == 12


def test_customer_page_query_count_does_not_grow_with_contracts(
    web, org, officer, person, django_assert_max_num_queries
):
    for _ in range(2):
        move_in(person, make_service_point(org.centres[0]))
    web.login(officer)
    # session, user, second-factor device, scope, account, then a fixed number for the sections
    with django_assert_max_num_queries(14) as two_contracts:
        web.get("customers:detail", person.number)
    move_in(person, make_service_point(org.centres[0]))
    with django_assert_max_num_queries(len(two_contracts)):
        response = web.get("customers:detail", person.number)
    assert response.content.decode().count('<li class="list-group-item py-3" id="contract-') == 3
