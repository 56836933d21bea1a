"""COLL-7 screen: the worklist ranked by expected loss, filters, scoping, « Noter un appel »."""

import pytest
from django.urls import reverse

from robinet.collections.models import CollectionEvent
from tests.backoffice.conftest import web
from tests.collections import worklist_fixtures

officer = worklist_fixtures.officer
outsider = worklist_fixtures.outsider
reader = worklist_fixtures.reader
debtors = worklist_fixtures.debtors
web = web

pytestmark = pytest.mark.django_db
URL = "/collections/worklist/"


def test_coll_7_worklist_page_ranks_explains_and_links(web, officer, debtors):
    big, medium, small = debtors
    assert reverse("collections:worklist") == URL
    web.login(officer)
    page = web.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index(big.number) < html.index(medium.number) < html.index(small.number)
    assert "montant en jeu : 1\u202f350,00\xa0€" in html
    assert "Appeler" in html
    assert "Score de repli" in html
    assert "table-responsive" in html
    assert reverse("collections:account-collection", args=[big.number]) in html
    assert reverse("collections:promise-create", args=[big.number]) in html
    assert reverse("collections:plan-create", args=[big.number]) in html
    assert "Noter un appel" in html
    only = web.get(f"{URL}?q={small.number}").content.decode()
    assert small.number in only
    assert big.number not in only
    assert web.get(URL + "?min_amount=abc&level=x&action=nope").status_code == 200


def test_coll_7_other_centre_sees_nothing_and_reader_cannot_call(web, outsider, reader, debtors):
    big = debtors[0]
    web.login(outsider)
    assert big.number not in web.get(URL).content.decode()
    url = reverse("collections:worklist-contact", args=[big.number])
    assert web.post(url, data={"outcome": "reached"}).status_code == 404
    web.login(reader)
    html = web.get(URL).content.decode()
    assert big.number in html
    assert "Noter un appel" not in html
    assert web.post(url, data={"outcome": "reached"}).status_code == 403
    assert not CollectionEvent.objects.filter(kind="contact").exists()


def test_coll_13_record_a_call_with_htmx(web, officer, debtors):
    big = debtors[0]
    web.login(officer)
    url = reverse("collections:worklist-contact", args=[big.number])
    form = web.get(url, htmx=True)
    assert form.status_code == 200
    assert "Faux numéro" in form.content.decode()
    bad = web.post(url, data={"outcome": ""}, htmx=True)
    assert bad.status_code == 422
    assert "appel inconnu" in bad.content.decode(), bad.content.decode()
    assert not CollectionEvent.objects.filter(kind="contact").exists()
    done = web.post(
        url, data={"outcome": "absent", "note": "Messagerie, message laissé."},
        htmx=True,
    )  # fmt: skip
    assert done.status_code == 200
    assert "Appel noté." in done.content.decode()
    event = CollectionEvent.objects.get(kind="contact")
    assert event.summary == "Appel : Absent. Messagerie, message laissé."
    assert event.actor == officer
    # without JavaScript: back to the list
    plain = web.post(url, data={"outcome": "reached", "back": URL + "?level=0"})
    assert plain.status_code == 302
    assert plain["Location"] == URL + "?level=0"
    assert (
        web.post(url, data={"outcome": "reached", "back": "https://ailleurs.example"})["Location"]
        == URL
    )
