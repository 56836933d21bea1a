"""PORTAL-1: the portal's home page (balance, last bill, consumption METER-6, leak alert METER-5)."""

import datetime as dt
import json
from decimal import Decimal
from types import ModuleType

import pytest
from django.http import HttpResponse
from django.urls import include, path, reverse

from robinet.core import clock
from robinet.metering.models import AbnormalConsumptionNotice
from tests.billing import factories as billing_factories
from tests.metering.factories import read
from tests.portal.conftest import logged_in, make_portal_user


def _stand_in(request):
    return HttpResponse("stand-in")


def portal_urlconf():
    """The site's URLs with stand-ins for the portal's sign-in pages while they are not wired
    (another part of the portal owns them); None once they are."""
    from robinet import urls as root
    from robinet.portal import urls as portal_urls

    names = {p.name for p in portal_urls.urlpatterns}
    extra = [
        path(f"stand-in/{name}/", _stand_in, name=name)
        for name in ("login", "logout")
        if name not in names
    ]
    if not extra:
        return None
    module = ModuleType("portal_stand_in_urls")
    module.urlpatterns = [
        path("espace-client/", include(([*portal_urls.urlpatterns, *extra], "portal")))
        if getattr(p, "pattern", None) is not None and str(p.pattern) == "espace-client/"
        else p
        for p in root.urlpatterns
    ]
    return module


@pytest.fixture(autouse=True)
def sign_in_pages(settings):
    urlconf = portal_urlconf()
    if urlconf is not None:
        settings.ROOT_URLCONF = urlconf


def service_point(account):
    return account.contracts.get().service_point


@pytest.fixture
def billed(household):
    """The household billed twice in 2025 (two invoices, both past due on 4 March 2026)."""
    billing_factories.tariff()
    sp = service_point(household)
    read(sp, dt.date(2025, 6, 20), "130")
    billing_factories.run(dt.date(2025, 6, 30))
    read(sp, dt.date(2025, 12, 20), "160")
    billing_factories.run(dt.date(2025, 12, 31))
    return household


def test_portal_1_anonymous_visitors_are_sent_to_the_portal_login(client):
    for name in ("portal:home", "portal:bills"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("portal:login"))


def test_portal_1_a_portal_session_opens_no_back_office_page(portal):
    """A portal user is not a staff user: the back office sends them to the staff login."""
    response = portal.get("/customers/")
    assert response.status_code == 302
    assert reverse("portal:login") not in response.url
    assert "login" in response.url


def test_portal_1_home_shows_balance_overdue_and_last_bill(billed, portal):
    response = portal.get(reverse("portal:home"))
    assert response.status_code == 200
    html = response.content.decode()
    # two bills of 19,10 € and 66,57 €, both past their due dates (20/07/2025, 20/01/2026)
    assert "85,67 € à payer" in html
    assert "Dont 85,67 € en retard" in html
    assert "66,57 €" in html
    last = billed.invoices.order_by("-issue_date").first()
    assert f"Facture n° {last.number} du 05/01/2026, échéance le 20/01/2026" in html
    assert reverse("portal:bill-pdf", args=[last.number]) in html
    assert 'action="/espace-client/payer/"' in html


def bill_not_yet_due(account):
    """The account billed for 2025 on 27 February 2026: due in March, after "today"."""
    billing_factories.tariff()
    read(service_point(account), dt.date(2025, 12, 20), "160")
    billing_factories.run(dt.date(2025, 12, 31), issue_date=dt.date(2026, 2, 27))
    return account.invoices.order_by("-id").first()


def test_portal_1_home_shows_the_next_due_date_of_a_bill_not_yet_due(household, portal):
    latest = bill_not_yet_due(household)
    assert latest.due_date > clock.today()
    coming = [i for i in household.invoices.all() if i.due_date == latest.due_date]
    total = sum(i.total_incl_vat for i in coming)
    html = portal.get(reverse("portal:home")).content.decode()
    amount = f"{total:.2f}".replace(".", ",")
    assert f"Prochaine échéance : {latest.due_date:%d/%m/%Y} ({amount} €)" in html
    assert "en retard" not in html


def test_portal_1_home_without_bills_says_the_customer_is_up_to_date(household, portal):
    html = portal.get(reverse("portal:home")).content.decode()
    assert "Vous êtes à jour" in html
    assert "Pas encore de facture." in html
    assert "Payer" not in html


def test_meter_6_home_chart_compares_with_the_same_period_last_year(household, portal):
    """METER-6: litres per day of each period, and the same dates one year earlier."""
    sp = service_point(household)
    read(sp, dt.date(2025, 1, 1), "100")
    read(sp, dt.date(2025, 4, 1), "118")  # 18 m³ in 90 days = 200 L/day
    read(sp, dt.date(2026, 1, 1), "154")
    read(sp, dt.date(2026, 4, 1) - dt.timedelta(days=31), "166")  # 59 days: 12 m³ = 203 L/day
    response = portal.get(reverse("portal:home"))
    html = response.content.decode()
    data = json.loads(
        html.split('<script id="consumption-data" type="application/json">')[1].split("</script>")[
            0
        ]
    )
    assert data["labels"][-1] == "01/03/2026"
    assert data["current"][-1] == 203
    assert data["previous"][-1] == 200  # Jan–Mar 2025
    assert data["previous"][0] is None
    assert "data-consumption-chart" in html
    assert "chart.umd.min.js" in html
    # the same figures as a table (no information in the chart only)
    assert "du 01/01/2026 au 01/03/2026" in html


def test_meter_5_home_shows_the_abnormal_consumption_alert_with_leak_relief(household, portal):
    sp = service_point(household)
    read(sp, dt.date(2025, 7, 1), "130")
    reading = read(sp, dt.date(2026, 1, 2), "400")
    AbnormalConsumptionNotice.objects.create(
        reading=reading,
        account=household,
        service_point=sp,
        period_start=dt.date(2025, 7, 1),
        period_end=dt.date(2026, 1, 2),
        consumption=Decimal("270"),
        reference_average=Decimal("30"),
        reference_basis="history",
        text="Consommation anormale",
        created_at=clock.now() - dt.timedelta(days=60),
    )
    html = portal.get(reverse("portal:home")).content.decode()
    assert "Consommation anormalement élevée" in html
    assert 'role="alert"' in html
    assert "Du 01/07/2025 au 02/01/2026, votre consommation (270 m³)" in html
    try:
        url = reverse("portal:leak-relief")
    except Exception:  # the leak-relief request is another part of the portal
        assert "écrêtement" in html
    else:
        assert url in html


def test_meter_5_an_old_notice_is_not_shown(household, portal):
    sp = service_point(household)
    reading = read(sp, dt.date(2024, 12, 1), "400")
    AbnormalConsumptionNotice.objects.create(
        reading=reading,
        account=household,
        service_point=sp,
        period_start=dt.date(2024, 6, 1),
        period_end=dt.date(2024, 12, 1),
        consumption=Decimal("270"),
        reference_average=Decimal("30"),
        reference_basis="history",
        text="Consommation anormale",
        created_at=clock.now() - dt.timedelta(days=400),
    )
    html = portal.get(reverse("portal:home")).content.decode()
    assert "Consommation anormalement élevée" not in html


def test_portal_1_home_counts_open_requests(household, neighbour, portal, teams):
    from robinet.cases import services as case_services
    from robinet.cases.choices import Channel
    from robinet.cases.models import CaseType

    html = portal.get(reverse("portal:home")).content.decode()
    assert "Demandes en cours : 0" in html
    for account in (household, neighbour):
        case_services.request_record(
            actor=None,
            account=account,
            channel=Channel.WEB_FORM,
            case_type=CaseType.objects.get(code="REGLEMENT"),
            subject="Question sur ma facture",
        )
    html = portal.get(reverse("portal:home")).content.decode()
    assert "Demandes en cours : 1" in html  # not the neighbour's


def test_portal_1_a_user_with_two_accounts_picks_one(household, neighbour, billed):
    user = make_portal_user("bailleur@example.fr", household, neighbour)
    client = logged_in(user)
    first, second = sorted([household, neighbour], key=lambda a: a.number)
    html = client.get(reverse("portal:home")).content.decode()
    assert 'id="account-picker"' in html
    assert f'<option value="{first.number}" selected>' in html
    html = client.get(reverse("portal:home"), {"compte": second.number}).content.decode()
    assert f'<option value="{second.number}" selected>' in html


def test_portal_1_another_customers_account_number_is_404(portal, stranger, neighbour, household):
    assert portal.get(reverse("portal:home"), {"compte": neighbour.number}).status_code == 404
    assert portal.get(reverse("portal:bills"), {"compte": neighbour.number}).status_code == 404
    other = logged_in(stranger)
    assert other.get(reverse("portal:home"), {"compte": household.number}).status_code == 404


def test_portal_1_a_user_without_linked_account_is_told_so(db):
    user = make_portal_user("seul@example.fr")
    html = logged_in(user).get(reverse("portal:home")).content.decode()
    assert "Aucun compte client" in html
