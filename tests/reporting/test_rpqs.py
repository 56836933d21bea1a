"""REP-3: the RPQS indicators computed from small hand-built ledgers with known answers."""

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.db import transaction
from django.urls import reverse

from robinet.billing.choices import InvoiceKind
from robinet.billing.fees import Line, invoice_issue_lines
from robinet.cases.choices import Channel, Nature
from robinet.cases.models import CaseType
from robinet.cases.services import case_open
from robinet.collections import writeoffs
from robinet.ledger.models import OpenItem
from robinet.organisation.roles import Role
from robinet.payments.services import payment_record
from robinet.reporting.params import Params
from robinet.reporting.registry import report_run
from tests.metering.factories import occupied_point

pytestmark = pytest.mark.django_db

D = Decimal
PARIS = ZoneInfo("Europe/Paris")


def invoice(account, issued, *lines, kind=InvoiceKind.FEES):
    """An invoice of ``lines`` ((service, amount excl. VAT, VAT rate, m³ or None))."""
    built = [
        Line(
            code=f"L{i}",
            label="Ligne",
            service=service,
            beneficiary="operator",
            quantity=D(m3) if m3 is not None else D(1),
            unit="m3" if m3 is not None else "unit",
            unit_price=D(amount) / (D(m3) if m3 else D(1)),
            amount_excl_vat=D(amount),
            vat_rate=D(vat),
        )
        for i, (service, amount, vat, m3) in enumerate(lines)
    ]
    with transaction.atomic():
        return invoice_issue_lines(
            actor=None, kind=kind, account=account, lines=built, issue_date=issued
        )


def pay(account, inv, amount, on):
    return payment_record(
        actor=None,
        account=account,
        means="transfer",
        amount=D(amount),
        received_on=on,
        invoice=inv,
        check_permission=False,
    )


def rows(user, year, name="rpqs", entity=None, **extra):
    params = Params(on=dt.date(2026, 3, 2), entity=entity, year=year, extra=extra)
    _definition, tables = report_run(user=user, name=name, params=params)
    return tables


def indicator(tables, code):
    return next(r.cells for r in tables[0].rows if r.cells["code"] == code)


def test_p154_unpaid_rate_counts_what_is_unpaid_at_31_december(manager, household):
    """REP-3 P154.0: an N−1 bill paid in N+1 is unpaid at 31/12/N; works and N bills excluded."""
    paid_in_time = invoice(household, dt.date(2024, 3, 1), ("water", "100.00", "0", None))
    paid_late = invoice(household, dt.date(2024, 9, 1), ("water", "50.00", "0", None))
    invoice(household, dt.date(2024, 5, 1), ("water", "300.00", "0", None), kind="works")
    invoice(household, dt.date(2025, 2, 1), ("water", "70.00", "0", None))
    pay(household, paid_in_time, "100.00", dt.date(2025, 5, 1))
    pay(household, paid_late, "50.00", dt.date(2026, 1, 15))
    assert OpenItem.objects.get(invoice=paid_late).open_amount == 0  # paid today

    p154 = indicator(rows(manager, 2025), "P154.0")
    assert p154["numerator"] == D("50.00")
    assert p154["denominator"] == D("150.00")
    assert p154["value"] == D("33.33")


def test_p154_works_invoice_alone_gives_no_rate(manager, household):
    """REP-3 P154.0: works are excluded ("hors travaux"): nothing billed, rate undefined."""
    invoice(household, dt.date(2024, 5, 1), ("water", "300.00", "0", None), kind="works")
    p154 = indicator(rows(manager, 2025), "P154.0")
    assert p154["denominator"] == 0
    assert p154["value"] is None


def test_p154_a_write_off_is_not_a_payment(manager, household, collector, make_user, org):
    """REP-3 P154.0: an N−1 bill written off before 31/12/N is still counted unpaid."""
    inv = invoice(household, dt.date(2025, 3, 1), ("water", "80.00", "0", None))
    approver = make_user("chef", Role.MANAGER, org.region)
    request = writeoffs.write_off_request(
        actor=collector,
        account=household,
        items=[(OpenItem.objects.get(invoice=inv), None)],
        reason="below_cost",
    )
    writeoffs.write_off_approve(actor=approver, request=request, note="")
    assert OpenItem.objects.get(invoice=inv).open_amount == 0
    # Written off in 2026 (today), before 31/12/2026: still unpaid for the 2026 indicator.
    p154 = indicator(rows(manager, 2026), "P154.0")
    assert (p154["numerator"], p154["value"]) == (D("80.00"), D("100.00"))


def test_p257_joint_bill_counts_for_both_services_sanitation_only_for_p257(manager, household):
    """REP-3 P154.0 / P257.0: a joint water + sanitation bill is in both; VAT included."""
    invoice(
        household,
        dt.date(2024, 4, 1),
        ("water", "100.00", "5.5", None),
        ("sanitation", "100.00", "10", None),
    )
    invoice(household, dt.date(2024, 6, 1), ("sanitation", "40.00", "10", None))
    p154 = indicator(rows(manager, 2025), "P154.0")
    p257 = indicator(rows(manager, 2025), "P257.0")
    assert p154["denominator"] == D("215.50")  # 105.50 + 110.00
    assert p257["denominator"] == D("259.50")  # + 44.00
    assert p154["value"] == p257["value"] == D("100.00")


def test_p155_1_written_claims_per_thousand_customers(manager, household, org, make_user):
    """REP-3 P155.1 / P258.1: written claims of year N ÷ subscribers at 31/12/N × 1,000."""
    officer = make_user("agent", Role.CUSTOMER_OFFICER, org.region)
    other, _sp = occupied_point(org.centres[1], start=dt.date(2025, 3, 1))
    claim = CaseType.objects.filter(default_nature=Nature.CLAIM, active=True).first()
    when = dt.datetime(2025, 6, 2, 10, tzinfo=PARIS)
    for account, channel in (
        (household, Channel.LETTER),
        (household, Channel.EMAIL),
        (other, Channel.WEB_FORM),
        (other, Channel.PHONE),  # not written
    ):
        case_open(
            actor=officer,
            case_type=claim,
            account=account,
            subject="Contestation",
            nature=Nature.CLAIM,
            channel=channel,
            opened_at=when,
        )
    # Another year's written claim is not counted.
    case_open(
        actor=officer,
        case_type=claim,
        account=other,
        subject="Contestation",
        nature=Nature.CLAIM,
        channel=Channel.LETTER,
        opened_at=dt.datetime(2026, 1, 5, 10, tzinfo=PARIS),
    )
    p155 = indicator(rows(manager, 2025), "P155.1")
    assert p155["numerator"] == 3
    assert p155["denominator"] == 2  # two water contracts in force at 31/12/2025
    assert p155["value"] == D("1500.00")
    # No sanitation contract: the sanitation rate is undefined.
    assert indicator(rows(manager, 2025), "P258.1")["value"] is None


def test_p109_social_write_offs_per_m3_billed(manager, household, collector, make_user, org):
    """REP-3 P109.0 / P207.0: social write-offs (VAT excluded) of year N ÷ m³ billed in N."""
    approver = make_user("chef", Role.MANAGER, org.region)
    social = invoice(
        household,
        dt.date(2026, 1, 10),
        ("water", "100.00", "5.5", "40"),
        ("sanitation", "60.00", "10", "40"),
    )
    other = invoice(household, dt.date(2026, 1, 20), ("water", "30.00", "5.5", "10"))
    for inv, reason in ((social, "over_indebtedness"), (other, "irrecoverable")):
        request = writeoffs.write_off_request(
            actor=collector,
            account=household,
            items=[(OpenItem.objects.get(invoice=inv), None)],
            reason=reason,
        )
        writeoffs.write_off_approve(actor=approver, request=request, note="")
    tables = rows(manager, 2026)
    p109 = indicator(tables, "P109.0")
    assert p109["numerator"] == D("100.00")  # the irrecoverable one is not social
    assert p109["denominator"] == D("50.000")
    assert p109["value"] == D("2.00")
    p207 = indicator(tables, "P207.0")
    assert (p207["numerator"], p207["denominator"], p207["value"]) == (
        D("60.00"),
        D("40.000"),
        D("1.50"),
    )


def test_d102_price_of_120_m3_from_the_tariff(manager, tariff):
    """REP-3 D102.0 / D204.0: the 120 m³ bill at the tariff of 1 January ÷ 120.

    Water: 36.50 + 30 × 1.10 + 90 × 1.65 + 120 × 0.39 = 264.80 HT, VAT 5.5 % 14.56
    → 279.36 TTC → 2.33 €/m³. Sanitation: 120 × 2.05 = 246.00 HT + 24.60 → 270.60 → 2.26.
    """
    tables = rows(manager, 2026)
    d102, d204 = indicator(tables, "D102.0"), indicator(tables, "D204.0")
    assert (d102["numerator"], d102["value"]) == (D("279.36"), D("2.33"))
    assert (d204["numerator"], d204["value"]) == (D("270.60"), D("2.26"))
    (zone,) = tables[1].rows
    assert zone.cells["code"] == "STRASBOURG-2026"
    assert zone.cells["communes"] == "67482"
    assert zone.cells["total_price"] == D("4.58")  # (279.36 + 270.60) / 120


def test_d102_no_tariff_at_1_january_no_price(manager, tariff):
    """REP-3 D102.0: the tariff starts in 2024; for 2023 there is no price."""
    tables = rows(manager, 2023)
    assert tables[1].rows == []
    assert indicator(tables, "D102.0")["value"] is None


def test_rep3_scope_a_centre_user_sees_only_its_centre(manager, collector, household, org):
    """REP-3: the indicators cover the user's centres only (ORG-2)."""
    other, _sp = occupied_point(org.centres[1], start=dt.date(2024, 1, 1))
    invoice(household, dt.date(2024, 3, 1), ("water", "100.00", "0", None))
    invoice(other, dt.date(2024, 3, 1), ("water", "300.00", "0", None))
    assert indicator(rows(collector, 2025), "P154.0")["denominator"] == D("100.00")
    assert indicator(rows(manager, 2025), "P154.0")["denominator"] == D("400.00")
    assert indicator(rows(manager, 2025, entity=org.centres[1]), "P154.0")["denominator"] == D(
        "300.00"
    )


def test_p154_drills_down_to_the_accounts_unpaid_at_31_december(manager, household, org):
    """REP-3 P154.0: the row opens the accounts behind the unpaid amount, with their statement."""
    other, _sp = occupied_point(org.centres[1], start=dt.date(2024, 1, 1))
    paid = invoice(other, dt.date(2024, 3, 1), ("water", "20.00", "0", None))
    pay(other, paid, "20.00", dt.date(2025, 1, 10))
    late = invoice(household, dt.date(2024, 3, 1), ("water", "45.00", "0", None))
    pay(household, late, "45.00", dt.date(2026, 2, 1))
    row = rows(manager, 2025)[0].rows[0]
    assert "rpqs-unpaid" in row.link
    assert "service=water" in row.link
    (table,) = rows(manager, 2025, name="rpqs-unpaid", service="water")
    (account_row,) = table.rows
    assert account_row.cells["account"] == household.number
    assert account_row.cells["unpaid"] == D("45.00")
    assert account_row.link == reverse("ledger:account-statement", args=[household.number])


def test_rep3_xlsx_export_opens(web, manager, household):
    """REP-3/REP-5: the RPQS screen exports to an XLSX workbook that openpyxl reads."""
    invoice(household, dt.date(2024, 3, 1), ("water", "100.00", "0", None))
    web.login(manager)
    response = web.get(reverse("reporting:report", args=["rpqs"]) + "?year=2025&format=xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "P154.0" in values


def test_rep3_screen_renders_both_tables(web, manager, tariff):
    """REP-3: the screen shows the indicators and the 120 m³ prices per zone."""
    web.login(manager)
    page = web.get(reverse("reporting:report", args=["rpqs"]) + "?year=2026")
    assert page.status_code == 200
    html = page.content.decode()
    assert "P154.0" in html
    assert "STRASBOURG-2026" in html
