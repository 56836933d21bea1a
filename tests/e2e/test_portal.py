"""The customer portal in a real browser (PORTAL-1…3), on a phone and on a laptop: a customer
signs up with an invoice number, confirms the e-mail, sees the consumption chart, pays a bill
with the test provider, submits a meter reading, asks for a payment plan and follows the
request; axe-core finds no serious or critical violation on any page visited."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from robinet.billing.choices import InvoiceKind
from robinet.billing.fees import Line, invoice_issue_lines
from robinet.cases import dictionary
from robinet.cases.choices import TeamKind
from robinet.cases.models import Case, CaseType, Team
from robinet.collections.models import PaymentPlan
from robinet.payments.models import Payment
from tests.collections.plan_fixtures import debts
from tests.metering.factories import occupied_point, regular_history

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "helene.portail@example.fr"
PASSWORD = "Une-eau-claire-2026!"


def bill(account, amount: str):
    line = Line(
        code="TEST",
        label="Consommation",
        service="water",
        beneficiary="operator",
        quantity=Decimal(1),
        unit="unit",
        unit_price=Decimal(amount),
        amount_excl_vat=Decimal(amount),
        vat_rate=Decimal(0),
    )
    with transaction.atomic():
        return invoice_issue_lines(
            actor=None,
            kind=InvoiceKind.FEES,
            account=account,
            lines=[line],
            issue_date=timezone.localdate() - dt.timedelta(days=20),
        )


@pytest.fixture
def customer_file(org):
    # Transactional tests flush the tables, data migrations included: reload the dictionary.
    dictionary.seed(CaseType)
    for kind in TeamKind:
        Team.objects.create(code=kind.value[:20], name=kind.label, kind=kind, entity=org.region)
    account, sp = occupied_point(org.centres[0], start=dt.date(2023, 1, 1))
    regular_history(sp, start=dt.date(2023, 1, 1), periods=7)
    invoice = bill(account, "150.50")
    debts(account, "300.00")
    return account, invoice


def assert_accessible(page) -> None:
    """axe-core: no serious or critical violation (WCAG 2.1 AA rules included)."""
    results = Axe().run(page)
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not violations, violations


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)], ids=["phone", "laptop"])
def test_portal_sign_up_pay_read_ask_for_a_plan_and_follow_it(
    new_page, customer_file, width, height
):
    account, invoice = customer_file
    page = new_page(width=width, height=height)

    # 1. Sign up with the customer number and an invoice number (PORTAL-1).
    page.goto("/espace-client/inscription/")
    assert_accessible(page)
    page.get_by_label("Adresse e-mail").first.fill(EMAIL)
    page.get_by_label("Mot de passe").first.fill(PASSWORD)
    page.get_by_label("Numéro client").first.fill(account.number)
    page.get_by_label("Numéro d'une facture de ce compte").fill(invoice.number)
    page.get_by_role("button", name="Créer mon espace").click()
    expect(page.locator("main")).to_contain_text("Votre espace client est créé")
    expect(page.locator("main")).to_contain_text("Confirmez votre adresse e-mail")

    # 2. The link of the verification e-mail confirms the address.
    link = re.search(r"https?://\S+/verification/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    expect(page.get_by_text("Confirmez votre adresse e-mail")).to_have_count(0)

    # 3. Home: balance and the consumption chart with last year's comparison (METER-6).
    page.goto("/espace-client/")
    expect(page.get_by_role("heading", name="Ma consommation")).to_be_visible()
    expect(page.locator("canvas[data-consumption-chart]")).to_be_visible()
    assert_accessible(page)

    # 4. Pay the bill by card with the test provider (PORTAL-2, PAY-2).
    page.goto("/espace-client/factures/")
    assert_accessible(page)
    page.get_by_role("button", name=re.compile(f"Payer 150,50.*{invoice.number}")).click()
    page.get_by_role("button", name="Payer", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile("paiement", re.I))
    expect(page.locator("main")).to_contain_text("150,50")
    assert Payment.objects.filter(account=account, amount=Decimal("150.50")).exists()

    # 5. Submit a meter reading: immediate feedback (METER-2).
    page.goto("/espace-client/demarches/releve/")
    assert_accessible(page)
    page.get_by_label("Index du compteur (m³)").fill("400")
    page.get_by_label("Date du relevé").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_role("alert")).to_be_visible()

    # 6. Ask for a payment plan of the 300 € left: within the policy, granted at once (COLL-5).
    page.goto("/espace-client/demarches/delai-de-paiement/")
    assert_accessible(page)
    page.get_by_label("Payer en plusieurs fois (échéancier)").check()
    page.get_by_label("Nombre d'échéances (échéancier)").fill("3")
    page.get_by_role("button", name="Envoyer").click()
    plan = PaymentPlan.objects.get(account=account)
    assert plan.total == Decimal("300.00")

    # 7. Follow the request in « Mes demandes » (CASE-6).
    page.goto("/espace-client/demandes/")
    assert_accessible(page)
    case = Case.objects.filter(account=account, case_type__code="REGLEMENT").get()
    expect(page.locator("main")).to_contain_text(case.number)
    page.get_by_role("link", name=re.compile(case.number)).first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
