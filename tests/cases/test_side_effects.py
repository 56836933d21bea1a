"""CASE-7: side effects of cases — dunning blocks, direct debit held, monthly payment suspended."""

import datetime as dt
import sys
import types
from decimal import Decimal

import pytest
from django.core.management import call_command

from robinet.billing import budget
from robinet.billing.choices import BudgetPlanStatus
from robinet.cases import services
from robinet.cases.choices import CaseStatus, Channel, DebitAction
from robinet.cases.models import Case
from robinet.collections.models import CollectionBlock
from robinet.core import clock
from robinet.core.exceptions import ValidationFailed
from robinet.core.numbering import current_number
from robinet.customers.models import CustomerAccount
from robinet.payments import sepa
from robinet.payments.models import DirectDebitHold
from tests.billing.budget.conftest import with_iban
from tests.billing.conftest import occupied_point, tariff  # noqa: F401
from tests.cases.conftest import NOW, case_type
from tests.metering.factories import read

pytestmark = pytest.mark.django_db

SIGNATURE = {"first_name": "Claire", "last_name": "Martin", "title": "Conseillère clientèle"}
TOMORROW = NOW.date() + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def detector(monkeypatch):
    module = types.ModuleType("robinet.cases.sensitive")
    module.detect = lambda text: types.SimpleNamespace(sensitive=False, reasons=[])
    monkeypatch.setitem(sys.modules, "robinet.cases.sensitive", module)


def claim(actor, account, code="FACTURE", **kw):
    return services.request_record(
        actor=actor,
        account=account,
        channel=Channel.PHONE,
        case_type=case_type(code),
        subject="Facture contestée",
        **kw,
    )


def answer_and_close(actor, case):
    services.answer_send(
        actor=actor, case=case, body="Nous avons corrigé votre facture.", signature=SIGNATURE
    )
    return services.case_close(actor=actor, case=case, resolution="Facture corrigée")


@pytest.mark.parametrize("code", ["FACTURE", "REGLEMENT", "DEGREVEMENT", "RDR"])
def test_case_7_dunning_blocked_while_the_case_is_open(counsellor, household, teams, code):
    case = claim(counsellor, household, code=code)
    block = CollectionBlock.objects.get(account=household)
    assert case.blocks_dunning
    assert case.dunning_block == block
    assert block.reference == case.number
    assert block.lifted_on is None
    services.case_cancel(actor=counsellor, case=case, reason="Saisie en double")
    block.refresh_from_db()
    assert block.lifted_on == NOW.date()


def test_case_7_dunning_block_lifted_on_close(counsellor, household, teams):
    case = claim(counsellor, household)
    answer_and_close(counsellor, case)
    assert CollectionBlock.objects.get(account=household).lifted_on == NOW.date()


def test_case_7_information_does_not_block_dunning(counsellor, household, teams):
    case = claim(counsellor, household, code="INFORMATION")
    assert not case.blocks_dunning
    assert not CollectionBlock.objects.exists()


def test_case_7_claim_not_solved_same_day_holds_the_direct_debit(counsellor, household, teams):
    CustomerAccount.objects.filter(pk=household.pk).update(direct_debit=True)
    case = claim(counsellor, household)
    # Same day: nothing yet.
    assert services.claim_effects_apply(actor=None, on=NOW.date()) == 0
    with clock.as_of(NOW + dt.timedelta(days=1)):
        assert services.claim_effects_apply(actor=None, on=TOMORROW) == 1
        # Idempotent.
        assert services.claim_effects_apply(actor=None, on=TOMORROW) == 0
        case.refresh_from_db()
        assert case.debit_action == DebitAction.DIRECT_DEBIT_SUSPENDED
        hold = DirectDebitHold.objects.get(account=household)
        assert hold.reference == case.number
        assert hold.is_live
        answer_and_close(counsellor, case)
    hold.refresh_from_db()
    assert not hold.is_live


def test_case_7_request_or_manual_payer_has_no_debit_effect(counsellor, household, teams):
    claim(counsellor, household)  # no automatic payment
    CustomerAccount.objects.filter(pk=household.pk).update(direct_debit=True)
    claim(counsellor, household, code="INFORMATION")  # a request
    with clock.as_of(NOW + dt.timedelta(days=1)):
        # The claim's account now pays by direct debit: it is held, the request is not.
        assert services.claim_effects_apply(actor=None, on=TOMORROW) == 1
    assert Case.objects.filter(debit_action=DebitAction.NONE).count() == 1


@pytest.fixture
def monthly(org, tariff):  # noqa: F811
    """An individual in monthly payment (a year of readings, an IBAN, an active plan)."""
    account, sp = occupied_point(org.centres[0], start=dt.date(2025, 1, 1), index="100")
    for on, index in (
        (dt.date(2025, 3, 1), "130"),
        (dt.date(2025, 6, 1), "160"),
        (dt.date(2025, 9, 1), "190"),
        (dt.date(2025, 12, 1), "220"),
        (dt.date(2026, 3, 1), "250"),
    ):
        read(sp, on, index)
    account = with_iban(account)
    plan = budget.plan_enrol(actor=None, contract=account.contracts.get())
    account.refresh_from_db()
    return account, plan


def test_case_7_claim_suspends_the_monthly_payment_and_close_resumes_it(counsellor, monthly, teams):
    account, plan = monthly
    assert account.monthly_payment
    case = claim(counsellor, account)
    with clock.as_of(NOW + dt.timedelta(days=1)):
        call_command("cases", "claim-effects", "--date", TOMORROW.isoformat())
        case.refresh_from_db()
        plan.refresh_from_db()
        assert case.debit_action == DebitAction.MONTHLY_SUSPENDED
        assert plan.status == BudgetPlanStatus.SUSPENDED
        assert not DirectDebitHold.objects.exists()
        answer_and_close(counsellor, case)
    plan.refresh_from_db()
    assert plan.status == BudgetPlanStatus.ACTIVE


def test_case_7_adjust_next_two_instalments_instead(counsellor, monthly, teams):
    account, plan = monthly
    case = claim(counsellor, account)
    before = [i.amount for i in budget.schedule_of(plan)]
    services.case_adjust_instalments(actor=counsellor, case=case, adjustment=Decimal("-10.00"))
    case.refresh_from_db()
    assert case.debit_action == DebitAction.MONTHLY_ADJUSTED
    after = [i.amount for i in budget.schedule_of(plan)]
    assert after[0] + after[1] == before[0] + before[1] - Decimal("10.00")
    with clock.as_of(NOW + dt.timedelta(days=1)):
        assert services.claim_effects_apply(actor=None, on=TOMORROW) == 0


def test_case_7_adjust_refused_without_monthly_payment(counsellor, household, teams):
    case = claim(counsellor, household)
    with pytest.raises(ValidationFailed) as refused:
        services.case_adjust_instalments(actor=counsellor, case=case, adjustment="-10.00")
    assert "adjustment" in refused.value.fields
    case.refresh_from_db()
    assert case.debit_action == DebitAction.NONE


def test_case_7_nothing_written_when_the_dunning_block_fails(
    counsellor, household, teams, monkeypatch
):
    """A failure midway (here the dunning block) leaves no case, contact nor number used."""
    from robinet.collections import services as collection_services
    from robinet.core.exceptions import ApplicationError

    def broken(**kwargs):
        raise ApplicationError("panne")

    monkeypatch.setattr(collection_services, "block_open", broken)
    with pytest.raises(ApplicationError):
        claim(counsellor, household)
    assert not Case.objects.exists()
    assert not household.contacts.exists()
    assert current_number("DOS", 2026) == 0


def test_case_7_collectable_excludes_held_accounts_until_close(counsellor, household, teams):
    """The SEPA run skips an account whose claim suspended the direct debit."""
    CustomerAccount.objects.filter(pk=household.pk).update(direct_debit=True)
    case = claim(counsellor, household)
    with clock.as_of(NOW + dt.timedelta(days=1)):
        services.claim_effects_apply(actor=None, on=TOMORROW)
    held = sepa.collectable(dt.date(2026, 3, 20)).filter(account=household)
    assert "NOT EXISTS" in str(held.query).upper()
    assert DirectDebitHold.objects.filter(account=household, lifted_at__isnull=True).exists()
    assert case.status == CaseStatus.OPEN


def test_case_7_command_errors_and_dictionary_seed(capsys):
    from django.core.management.base import CommandError

    from robinet.cases.models import CaseType

    with pytest.raises(CommandError, match="Date invalide"):
        call_command("cases", "claim-effects", "--date", "2026-13-01")
    CaseType.objects.filter(code="RGPD").delete()
    call_command("cases", "seed-dictionary")
    assert "1 type(s) ajouté(s)" in capsys.readouterr().out
    assert CaseType.objects.filter(code="RGPD").exists()
    call_command("cases", "claim-effects")
    assert "0 dossier(s)" in capsys.readouterr().out


def test_case_7_cases_opened_by_the_system_in_bulk_match_case_open(household, teams):
    """The bulk opening (METER-5 notices of an import) gives what ``case_open`` gives one by one:
    consecutive numbers, the routed team, the deadline, the dunning block with its timeline
    event and the audit rows (CASE-2, CASE-6, CASE-7)."""
    from robinet.collections.models import CollectionEvent
    from robinet.core.models import AuditEvent

    leak = case_type("DEGREVEMENT")
    due = NOW + dt.timedelta(days=31)
    single = services.case_open(
        actor=None,
        case_type=leak,
        account=household,
        channel=Channel.LETTER,
        subject="Consommation anormale",
        description="Information",
        response_due=due,
    )
    bulk = services.cases_open_by_system(
        case_type=leak,
        channel=Channel.LETTER,
        openings=[
            services.SystemOpening(household, "Consommation anormale", "Information"),
            services.SystemOpening(household, "  Deuxième  ", ""),
        ],
        response_due=due,
    )
    first = int(single.number.rsplit("-", 1)[1])
    assert [int(case.number.rsplit("-", 1)[1]) for case in bulk] == [first + 1, first + 2]
    stored = Case.objects.get(pk=bulk[0].pk)

    def shape(case):
        return (
            case.account_id, case.centre_id, case.case_type_id, case.nature, case.channel,
            case.status, case.subject, case.description, case.response_due, case.team_id,
            case.deadline_rule, case.blocks_dunning, case.dunning_block.reason,
            case.dunning_block.lifted_on, case.opened_by_id,
        )  # fmt: skip

    assert shape(stored) == shape(single)
    assert Case.objects.get(pk=bulk[1].pk).subject == "Deuxième"
    assert [b.reference for b in CollectionBlock.objects.order_by("pk")] == [
        single.number,
        *(case.number for case in bulk),
    ]
    assert CollectionEvent.objects.filter(account=household).count() == 3
    assert AuditEvent.objects.filter(verb="case.opened").count() == 3
    assert AuditEvent.objects.filter(verb="dunning.blocked").count() == 3
    assert current_number(services.SERIES, NOW.year) == first + 2


def test_case_2_bulk_opening_refuses_an_empty_subject_and_writes_nothing(household, teams):
    from django.db import transaction

    with pytest.raises(ValidationFailed), transaction.atomic():
        services.cases_open_by_system(
            case_type=case_type("DEGREVEMENT"),
            channel=Channel.LETTER,
            openings=[
                services.SystemOpening(household, "Objet"),
                services.SystemOpening(household, " "),
            ],
        )
    assert not Case.objects.exists()
    assert not CollectionBlock.objects.exists()
