"""CASE-10 control reports: figures on a small known data set, scoping, drill-down rows."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from robinet.billing import fees
from robinet.billing.choices import QuoteStatus
from robinet.billing.models import Quote
from robinet.cases import reports
from robinet.cases.choices import (
    CaseStatus,
    Channel,
    DeadlineRule,
    Direction,
    InterventionKind,
    InterventionStatus,
    Nature,
    TaskStatus,
    TeamKind,
    Urgency,
)
from robinet.cases.models import Case, Contact, Intervention, Task
from robinet.core.calendar import working_calendar
from robinet.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from robinet.customers.models import Party, ServicePoint
from robinet.organisation.models import EntityKind
from robinet.organisation.roles import Role
from robinet.organisation.services import entity_create
from tests.cases.conftest import NOW, case_type
from tests.customers import factories as customer_factories

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)
DAY = dt.timedelta(days=1)


# --- a small local factory (rows written directly, the services are elsewhere) ---------------


def make_case(centre, *, status=CaseStatus.OPEN, channel=Channel.PHONE, opened_at=NOW, **extra):
    closed = status in (CaseStatus.CLOSED, CaseStatus.CANCELLED)
    return Case.objects.create(
        number=f"DOS{next(_numbers):07d}",
        centre=centre,
        case_type=case_type("ARRIVEE"),
        nature=Nature.REQUEST,
        status=status,
        channel=channel,
        subject="Demande de test",
        opened_at=opened_at,
        deadline_rule=DeadlineRule.CHANNEL,
        closed_at=opened_at if closed else None,
        **extra,
    )


def make_contact(centre, *, direction=Direction.INBOUND, case=None, recorded_by=None):
    return Contact.objects.create(
        case=case,
        centre=centre,
        direction=direction,
        channel=Channel.PHONE,
        occurred_at=NOW,
        recorded_at=NOW,
        recorded_by=recorded_by,
        subject="Appel",
    )


def make_task(case, team, *, status=TaskStatus.OPEN, created_at=NOW, due_at=None):
    return Task.objects.create(
        case=case,
        team=team,
        action="Rappeler le client",
        status=status,
        created_at=created_at,
        due_at=due_at,
        done_at=None if status == TaskStatus.OPEN else NOW,
    )


def make_intervention(case, *, kind=InterventionKind.LEAK, status=InterventionStatus.DONE):
    return Intervention.objects.create(
        number=f"INT{next(_numbers):07d}",
        case=case,
        account=case.account,
        centre=case.centre,
        kind=kind,
        urgency=Urgency.NORMAL,
        status=status,
        meter_accessibility="accessible",
        contact_phone="0612345678",
        created_at=NOW,
    )


def make_quote(account, *, status=QuoteStatus.ACCEPTED, total="1200.00", deposit="360.00"):
    n = next(_numbers)
    return Quote.objects.create(
        number=f"DEV-{n:06d}",
        year=2026,
        sequence=n,
        account=account,
        subject="Branchement neuf",
        status=status,
        issue_date=dt.date(2026, 2, 1),
        valid_until=dt.date(2026, 5, 1),
        total_excl_vat=Decimal(total) / Decimal("1.1"),
        total_vat=Decimal(total) - Decimal(total) / Decimal("1.1"),
        total_incl_vat=Decimal(total),
        deposit_incl_vat=Decimal(deposit),
        decided_on=dt.date(2026, 2, 10) if status == QuoteStatus.ACCEPTED else None,
        signed_document="quotes/signed/2026/devis.pdf" if status == QuoteStatus.ACCEPTED else "",
        created_at=NOW,
    )


def figures(user, slug):
    """{group label: {measure key: (value, drill-down rows)}}."""
    report = reports.report_get(user=user, slug=slug)
    _measures, lines = reports.report_figures(user=user, report=report)
    return {line.label: {c.measure.key: (c.value, c.rows) for c in line.cells} for line in lines}


def drill(user, slug, group, measure):
    report = reports.report_get(user=user, slug=slug)
    return list(reports.report_rows(user=user, report=report, group=str(group), measure=measure)[2])


@pytest.fixture
def manager(org, make_user):
    """A manager of the whole test region (holds case.supervise)."""
    return make_user("pilote", Role.MANAGER, org.region)


@pytest.fixture
def outsider(db, make_user):
    """A manager of another region."""
    other = entity_create(kind=EntityKind.REGION, code="DR-AUTRE", name="Autre région")
    return make_user("pilote-autre", Role.MANAGER, other)


@pytest.fixture
def agency_manager(org, make_user):
    """A manager of the second agency only (centres 2.1 and 2.2)."""
    return make_user("pilote-ag2", Role.MANAGER, org.agencies[1])


# --- anomalies -------------------------------------------------------------------------------


@pytest.fixture
def anomalies(org, teams):
    c0, c2 = org.centres[0], org.centres[2]
    team = teams[TeamKind.CONTRACTS]
    anomaly = make_case(c0, anomaly="Compteur introuvable")
    paused = make_case(c0, status=CaseStatus.PAUSED)
    no_task = make_case(c0, status=CaseStatus.DEFERRED, team=team)
    with_task = make_case(c0, status=CaseStatus.DEFERRED, team=team)
    make_task(with_task, team)
    make_case(c0, status=CaseStatus.CLOSED, anomaly="corrigée")  # closed: not in the report
    make_case(c0)  # an ordinary open case
    other = make_case(c2, anomaly="Adresse incomplète")
    return {"anomaly": anomaly, "paused": paused, "no_task": no_task, "other": other}


def test_case_10_anomalies_counts_per_centre(manager, org, anomalies):
    got = figures(manager, "anomalies")
    assert got["Centre 1.1"] == {
        "anomaly": (1, 1),
        "paused": (1, 1),
        "deferred_no_task": (1, 1),
        "to_fix": (3, 3),
    }
    assert got["Centre 2.1"]["anomaly"] == (1, 1)
    assert got["Centre 2.1"]["to_fix"] == (1, 1)


def test_case_10_total_line_sums_counts_and_recomputes_rates(manager, org, anomalies, household):
    report = reports.report_get(user=manager, slug="anomalies")
    measures, lines = reports.report_figures(user=manager, report=report)
    total = {c.measure.key: c.value for c in reports.total_cells(measures, lines)}
    assert total == {"anomaly": 2, "paused": 1, "deferred_no_task": 1, "to_fix": 4}
    payer = customer_factories.person(org.centres[2])
    payer.direct_debit = True
    payer.save()
    customer_factories.person(org.centres[2])
    report = reports.report_get(user=manager, slug="payment-services")
    measures, lines = reports.report_figures(user=manager, report=report)
    total = {c.measure.key: (c.value, c.rows) for c in reports.total_cells(measures, lines)}
    # 1 of 3 accounts: 0 % in centre 1.1 (1 account), 50 % in centre 2.1 (2 accounts).
    assert total["direct_debit"] == (Decimal("33.3"), 2)
    assert total["accounts"] == (3, 3)


def test_case_10_anomalies_drill_down_lists_the_counted_cases(manager, org, anomalies):
    c0 = org.centres[0].pk
    assert drill(manager, "anomalies", c0, "anomaly") == [anomalies["anomaly"]]
    assert drill(manager, "anomalies", c0, "deferred_no_task") == [anomalies["no_task"]]
    assert set(drill(manager, "anomalies", c0, "to_fix")) == {
        anomalies["anomaly"],
        anomalies["paused"],
        anomalies["no_task"],
    }


def test_case_10_scoping_an_agency_sees_its_centres_only(agency_manager, anomalies):
    assert list(figures(agency_manager, "anomalies")) == ["Centre 2.1"]


def test_case_10_scoping_a_drill_down_outside_the_scope_is_empty(agency_manager, org, anomalies):
    assert drill(agency_manager, "anomalies", org.centres[0].pk, "anomaly") == []


@pytest.mark.parametrize("slug", list(reports.REPORTS))
def test_case_10_another_region_sees_nothing(slug, outsider, org, anomalies, household):
    make_contact(org.centres[0])
    assert figures(outsider, slug) == {}


def test_case_10_reports_need_case_supervise(counsellor):
    with pytest.raises(PermissionDenied):
        reports.report_list(user=counsellor)
    with pytest.raises(PermissionDenied):
        reports.report_get(user=counsellor, slug="anomalies")


def test_case_10_unknown_report_measure_or_group_are_refused(manager):
    with pytest.raises(NotFound):
        reports.report_get(user=manager, slug="inconnu")
    report = reports.report_get(user=manager, slug="anomalies")
    with pytest.raises(ValidationFailed) as error:
        reports.report_rows(user=manager, report=report, group="1", measure="nope")
    assert "measure" in error.value.fields
    with pytest.raises(ValidationFailed) as error:
        reports.report_rows(user=manager, report=report, group="abc", measure="anomaly")
    assert "group" in error.value.fields


# --- contacts not attached -------------------------------------------------------------------


def test_case_10_unattached_contacts_per_user_who_recorded_them(manager, counsellor, org):
    c0 = org.centres[0]
    make_contact(c0, recorded_by=counsellor)
    make_contact(c0, recorded_by=counsellor)
    make_contact(c0, recorded_by=counsellor, direction=Direction.OUTBOUND)
    make_contact(c0, recorded_by=counsellor, case=make_case(c0))  # attached
    automatic = make_contact(c0, direction=Direction.OUTBOUND)
    got = figures(manager, "unattached-contacts")
    assert got["conseiller"] == {"inbound": (2, 2), "outbound": (1, 1), "total": (3, 3)}
    assert got["Traitement automatique"] == {"inbound": (0, 0), "outbound": (1, 1), "total": (1, 1)}
    rows = drill(manager, "unattached-contacts", counsellor.pk, "inbound")
    assert len(rows) == 2
    assert all(r.case_id is None and r.direction == Direction.INBOUND for r in rows)
    assert drill(manager, "unattached-contacts", "none", "total") == [automatic]


# --- billable amounts not billed -------------------------------------------------------------


def test_case_10_unbilled_fees_and_accepted_quotes(manager, org, household):
    fees.seed_price_list(valid_from=dt.date(2025, 1, 1))
    c0 = org.centres[0]
    case = make_case(c0, account=household)
    missed = make_intervention(case, status=InterventionStatus.MISSED)
    make_intervention(case, kind=InterventionKind.OPENING)
    make_intervention(case, kind=InterventionKind.LEAK)  # no fee for a leak
    make_intervention(case, kind=InterventionKind.OPENING, status=InterventionStatus.DISPATCHED)
    quote = make_quote(household)
    make_quote(household, status=QuoteStatus.SENT)  # not accepted yet
    line = figures(manager, "unbilled")["Centre 1.1"]
    # FRAIS-RDV-MANQUE 50.00 HT, 20 % VAT; FRAIS-OUVERTURE 38.00 HT, 20 % VAT.
    assert line["missed"] == (1, 1)
    assert line["missed_amount"] == (Decimal("60.00"), 1)
    assert line["opening"] == (1, 1)
    assert line["opening_amount"] == (Decimal("45.60"), 1)
    assert line["closing"] == (0, 0)
    assert line["quotes"] == (1, 1)
    assert line["quotes_amount"] == (Decimal("840.00"), 1)
    assert drill(manager, "unbilled", c0.pk, "missed_amount") == [missed]
    assert drill(manager, "unbilled", c0.pk, "quotes") == [quote]


def test_case_10_unbilled_fees_only_when_the_price_list_charges_them(manager, org, household):
    case = make_case(org.centres[0], account=household)
    make_intervention(case, status=InterventionStatus.MISSED)
    make_quote(household)
    line = figures(manager, "unbilled")["Centre 1.1"]
    assert "missed" not in line
    assert line["quotes"] == (1, 1)


# --- customer-data completion and payment services -------------------------------------------


@pytest.fixture
def customers(org, household):
    """The household (mobile, IBAN, direct debit, no e-mail nor birth date) and a company."""
    Party.objects.filter(pk=household.party_id).update(
        mobile="0611223344", email="", preferred_contact_method="", birth_date=None
    )
    household.iban = "FR7630006000011234567890189"
    household.direct_debit = True
    household.save()
    company = customer_factories.company(org.centres[0])
    Party.objects.filter(pk=company.party_id).update(
        mobile="", email="contact@example.fr", siret=""
    )
    ServicePoint.objects.filter(centre=org.centres[0]).update(meter_accessibility="unknown")
    return household, company


def test_case_10_customer_data_completion_rates(manager, org, customers):
    household, company = customers
    line = figures(manager, "data-completion")["Centre 1.1"]
    assert line["accounts"] == (2, 2)
    assert line["mobile"] == (Decimal("50.0"), 1)
    assert line["email"] == (Decimal("50.0"), 1)
    assert line["contact_method"] == (Decimal("0.0"), 2)
    assert line["iban"] == (Decimal("50.0"), 1)
    assert line["birth_date"] == (Decimal("0.0"), 1)  # individuals only
    assert line["siret"] == (Decimal("0.0"), 1)  # professionals only
    assert line["naf"] == (Decimal("100.0"), 0)
    assert line["meter_access"] == (Decimal("0.0"), 1)
    c0 = org.centres[0].pk
    assert drill(manager, "data-completion", c0, "mobile") == [company]
    assert drill(manager, "data-completion", c0, "birth_date") == [household]
    assert drill(manager, "data-completion", c0, "siret") == [company]
    assert drill(manager, "data-completion", c0, "naf") == []


def test_case_10_payment_services_rates(manager, org, customers):
    household, company = customers
    line = figures(manager, "payment-services")["Centre 1.1"]
    assert line["direct_debit"] == (Decimal("50.0"), 1)
    assert line["monthly_payment"] == (Decimal("0.0"), 2)
    assert line["iban"] == (Decimal("50.0"), 1)
    assert drill(manager, "payment-services", org.centres[0].pk, "direct_debit") == [company]


def test_case_10_rate_is_a_percentage_with_one_decimal():
    assert reports.rate(1, 3) == Decimal("33.3")
    assert reports.rate(2, 3) == Decimal("66.7")
    assert reports.rate(0, 0) is None


# --- tasks per team --------------------------------------------------------------------------


def test_case_10_tasks_per_team_open_overdue_and_age(manager, org, teams):
    team = teams[TeamKind.CONTRACTS]
    case = make_case(org.centres[0], status=CaseStatus.DEFERRED, team=team)
    late = make_task(case, team, due_at=NOW - DAY)
    old = make_task(case, team, created_at=NOW - 40 * DAY, due_at=NOW + DAY)
    make_task(case, team, status=TaskStatus.DONE, created_at=NOW - 90 * DAY)
    got = figures(manager, "tasks")
    line = got[f"{team.name} ({org.region.name})"]
    assert line["open"] == (2, 2)
    assert line["overdue"] == (1, 1)
    assert line["older_30"] == (1, 1)
    assert line["oldest"] == (40, 2)
    assert drill(manager, "tasks", team.pk, "overdue") == [late]
    assert drill(manager, "tasks", team.pk, "oldest") == [old, late]


# --- unanswered mail -------------------------------------------------------------------------


def test_case_10_unanswered_mail_by_age_in_working_days(manager, org, teams):
    """Wed 4 March 2026: Fri 27 February is 3 working days old, Mon 2 February 23."""
    c0 = org.centres[0]
    team = teams[TeamKind.CONTACT_CENTRE]
    today = make_case(c0, channel=Channel.LETTER, team=team)
    friday = make_case(c0, channel=Channel.EMAIL, team=team, opened_at=NOW - 5 * DAY)
    make_case(c0, channel=Channel.WEB_FORM, team=team, opened_at=NOW - 30 * DAY)
    make_case(c0, channel=Channel.LETTER, opened_at=NOW - 8 * DAY)  # no team
    make_case(c0, channel=Channel.LETTER, team=team, answered_at=NOW)  # answered
    make_case(c0, channel=Channel.PHONE, team=team)  # not mail
    got = figures(manager, "unanswered-mail")
    line = got[f"{team.name} ({org.region.name})"]
    assert {k: v[0] for k, v in line.items()} == {
        "age_0_2": 1,
        "age_3_5": 1,
        "age_6_10": 0,
        "age_11_15": 0,
        "age_16": 1,
        "total": 3,
    }
    # Tue 24 February → 6 working days.
    assert got["Sans équipe"]["age_6_10"] == (1, 1)
    assert drill(manager, "unanswered-mail", team.pk, "age_0_2") == [today]
    assert drill(manager, "unanswered-mail", team.pk, "age_3_5") == [friday]
    assert len(drill(manager, "unanswered-mail", "none", "total")) == 1


CALENDAR = working_calendar(None)


@given(
    today=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31)),
    working_days=st.integers(min_value=0, max_value=30),
)
def test_case_10_earliest_day_within_is_the_exact_boundary(today, working_days):
    day = reports.earliest_day_within(today, working_days, CALENDAR)
    assert CALENDAR.working_days_between(day, today) <= working_days
    assert CALENDAR.working_days_between(day - DAY, today) > working_days


@given(
    today=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31)),
    back=st.integers(min_value=0, max_value=60),
)
def test_case_10_age_buckets_partition_the_past(today, back):
    """Every opening day falls in exactly one bucket, the one of its age in working days."""
    opened = today - dt.timedelta(days=back)
    age = CALENDAR.working_days_between(opened, today)
    cutoffs = reports.age_cutoffs(today, CALENDAR)
    inside = [
        key
        for key, (start, end) in cutoffs.items()
        if (start is None or opened >= start) and (end is None or opened < end)
    ]
    assert len(inside) == 1
    low, high = next((b[2], b[3]) for b in reports.AGE_BUCKETS if b[0] == inside[0])
    assert low <= age
    assert high is None or age <= high


@pytest.mark.parametrize("slug", list(reports.REPORTS))
def test_case_10_figures_cost_the_same_queries_for_more_rows(slug, manager, org, teams):
    """One aggregated query per source: more rows, more centres, no more queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        manager._robinet_scope = None
        with CaptureQueriesContext(connection) as captured:
            figures(manager, slug)
        return len(captured)

    team = teams[TeamKind.CONTRACTS]
    case = make_case(org.centres[0], status=CaseStatus.PAUSED, team=team, channel=Channel.LETTER)
    make_task(case, team)
    few = queries()
    for centre in org.centres:
        for _ in range(3):
            other = make_case(centre, anomaly="x", team=team, channel=Channel.EMAIL)
            make_task(other, team)
            make_contact(centre)
    assert queries() == few
