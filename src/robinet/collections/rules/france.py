"""France: the legal guardrails of dunning, one small rule per legal source.

Consumers here are the customer classes that are not professionals (an
individual, a co-ownership); ``PROFESSIONAL_CLASSES`` lists the others the
commercial-code fees apply to. A "main residence" is an account with a
contract on premises used as a main residence or a residential building (a
building's meter serves main residences: the same protection applies).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from robinet.collections.policy import Candidate, DebtorFacts, Fee, ItemFacts, RulePack
from robinet.core.money import round_money

PROFESSIONAL_CLASSES = frozenset({"professional", "farmer", "large_account"})
LEGAL_INDEMNITY = Decimal("40.00")
# ECB main refinancing rate (2.15 % since June 2025) + 10 points, C. com. L441-10.
DEFAULT_LATE_INTEREST_RATE = Decimal("12.15")
CONSUMER_TIME_BAR_YEARS = 2
PROFESSIONAL_TIME_BAR_YEARS = 5
REGIE_TIME_BAR_YEARS = 4
FIRST_REMINDER_AFTER_ISSUE_DAYS = 14
MINIMUM_DELAY_DAYS = 15

RESTRICTION = "restriction"
FORMAL_NOTICE = "formal_notice"
AGENCY = "agency"
# Recorded on a notice exactly when the debtor is a main residence.
MAIN_RESIDENCE_RULE = "FR-CASF-L115-3"


def is_professional(debtor: DebtorFacts) -> bool:
    return debtor.customer_class in PROFESSIONAL_CLASSES


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Rule:
    id: str
    source: str
    summary: str

    def apply(self, candidate: Candidate, items: dict[int, ItemFacts]) -> Candidate:
        return candidate


class FslPause(Rule):
    def apply(self, candidate, items):
        if any(
            b.reason == "fsl_pending" and b.in_force(candidate.on) for b in candidate.debtor.blocks
        ):
            return candidate.applied(self.id, refusal=f"{self.id}: demande FSL en cours")
        return candidate


class NoCutOffMainResidence(Rule):
    def apply(self, candidate, items):
        if not candidate.debtor.main_residence:
            return candidate
        actions = tuple(a for a in candidate.actions if a != RESTRICTION)
        return candidate.applied(self.id, actions=actions, cutoff_wording_allowed=False)


class NoCutOffNec(Rule):
    def apply(self, candidate, items):
        if not candidate.debtor.nec:
            return candidate
        actions = tuple(a for a in candidate.actions if a != RESTRICTION)
        return candidate.applied(self.id, actions=actions, cutoff_wording_allowed=False)


class RestrictionAfterFormalNotice(Rule):
    """Where a restriction is allowed at all, only after a formal notice was sent."""

    def apply(self, candidate, items):
        if RESTRICTION not in candidate.actions:
            return candidate
        if candidate.debtor.formal_notice_sent:
            return candidate.applied(self.id, cutoff_wording_allowed=True)
        actions = tuple(a for a in candidate.actions if a != RESTRICTION)
        return candidate.applied(self.id, actions=actions)


class FirstReminderTiming(Rule):
    """Décret 2008-780 art. 2: not before 14 days after issue; at least 15 more days to pay."""

    def apply(self, candidate, items):
        if is_professional(candidate.debtor) and not candidate.debtor.main_residence:
            return candidate
        if candidate.level.days_after_due < 0:  # a preventive reminder, before the due date
            return candidate
        wait = dt.timedelta(days=FIRST_REMINDER_AFTER_ISSUE_DAYS)
        # A first reminder too soon after issue is held back; the other items go on.
        steps = tuple(
            s
            for s in candidate.steps
            if s.from_level > 0 or candidate.on >= items[s.item_id].posted_on + wait
        )
        if not any(s.to_level > s.from_level for s in steps):
            return candidate.applied(
                self.id, refusal=f"{self.id}: moins de 14 jours après l'émission"
            )
        pay_by = max(candidate.pay_by, candidate.on + dt.timedelta(days=MINIMUM_DELAY_DAYS))
        return candidate.applied(self.id, steps=steps, pay_by=pay_by, fsl_information=True)


class ConsumerNoFees(Rule):
    """CPCE L111-8: no recovery, reminder or file fee to a consumer without an enforceable title."""

    def apply(self, candidate, items):
        if is_professional(candidate.debtor) and not candidate.debtor.main_residence:
            return candidate
        return candidate.applied(self.id, fees=())


class ProfessionalFees:
    """C. com. L441-10 and D441-5: €40 per late invoice, late interest at ECB + 10 points."""

    id = "FR-CCOM-L441-10"
    source = "Code de commerce, art. L441-10 et D441-5"
    summary = (
        "Professionnels : indemnité forfaitaire de 40 € par facture payée en retard et "
        "intérêts de retard au taux BCE majoré de 10 points."
    )

    def __init__(self, rate: Decimal) -> None:
        self.rate = rate

    def apply(self, candidate, items):
        if not is_professional(candidate.debtor) or candidate.debtor.main_residence:
            return candidate
        level = candidate.level
        fees: list[Fee] = []
        for step in candidate.steps:
            item = items[step.item_id]
            if step.due_date >= candidate.on:
                continue
            if level.charges_indemnity and item.is_invoice and not item.indemnity_charged:
                fees.append(Fee(item.id, "indemnity", LEGAL_INDEMNITY))
            if level.charges_interest:
                days = (candidate.on - step.due_date).days
                interest = round_money(step.open_amount * self.rate * days / Decimal(36500))
                if interest > 0:
                    fees.append(Fee(item.id, "interest", interest))
        if not fees:
            return candidate
        return candidate.applied(self.id, fees=tuple(fees))


class AgencyMentions(Rule):
    def apply(self, candidate, items):
        if AGENCY not in candidate.actions:
            return candidate
        return candidate.applied(self.id, agency_mentions=True)


class TimeBarRule(Rule):
    """Recorded on every notice: time-barred items were left out (COLL-10)."""

    def apply(self, candidate, items):
        return candidate.applied(self.id)


class FrancePack(RulePack):
    code = "FR"

    def __init__(
        self,
        *,
        late_interest_rate: Decimal = DEFAULT_LATE_INTEREST_RATE,
        public_regie: bool = False,
    ) -> None:
        self.late_interest_rate = Decimal(late_interest_rate)
        self.public_regie = public_regie

    def time_bar_years(self, debtor: DebtorFacts) -> int:
        if self.public_regie:
            return REGIE_TIME_BAR_YEARS
        return PROFESSIONAL_TIME_BAR_YEARS if is_professional(debtor) else CONSUMER_TIME_BAR_YEARS

    def time_bar_date(self, debtor: DebtorFacts, item: ItemFacts) -> dt.date:
        return add_years(item.due_date, self.time_bar_years(debtor))

    def time_barred(self, debtor, item, on):
        return on >= self.time_bar_date(debtor, item)

    def rules(self):
        return (
            FslPause(
                "FR-FSL-PAUSE",
                "Décret 2008-780, art. 3 ; CASF L115-3",
                "Pendant l'instruction d'une demande d'aide au FSL, les actions de recouvrement "
                "sont suspendues.",
            ),
            TimeBarRule(
                "FR-PRESCRIPTION",
                "C. consom. L218-2 (2 ans) ; C. civ. 2224 (5 ans) ; CGCT L1617-5 (4 ans)",
                "Une créance prescrite n'est plus relancée.",
            ),
            FirstReminderTiming(
                "FR-D2008-780-ART2",
                "Décret 2008-780 du 13 août 2008, art. 2",
                "Premier rappel au plus tôt 14 jours après l'émission, avec un délai "
                "supplémentaire d'au moins 15 jours et l'information sur le FSL et les services "
                "sociaux.",
            ),
            NoCutOffMainResidence(
                MAIN_RESIDENCE_RULE,
                "CASF L115-3 (loi Brottes) ; Cons. const. 2015-470 QPC ; Cass. 1re civ. "
                "16 mai 2018",
                "Aucune coupure ni réduction de débit pour impayé dans une résidence principale, "
                "à aucune période de l'année, et aucune menace en ce sens.",
            ),
            NoCutOffNec(
                "FR-NEC",
                "CASF L115-3 ; particularité NEC du compte",
                "Aucune coupure ni réduction de débit pour un client non éligible à la coupure.",
            ),
            RestrictionAfterFormalNotice(
                "FR-RESTRICTION-AFTER-NOTICE",
                "Décret 2008-780, art. 2 et 3 ; règlement de service",
                "Hors résidence principale, une restriction n'est possible qu'après une mise en "
                "demeure restée sans effet.",
            ),
            ConsumerNoFees(
                "FR-CPCE-L111-8",
                "Code des procédures civiles d'exécution, art. L111-8",
                "Aucun frais de relance, de recouvrement ou de rejet à un consommateur sans "
                "titre exécutoire.",
            ),
            ProfessionalFees(self.late_interest_rate),
            AgencyMentions(
                "FR-CPCE-R124-4",
                "Code des procédures civiles d'exécution, art. R124-4",
                "Une lettre envoyée par ou pour une agence de recouvrement porte les mentions "
                "légales de l'agence.",
            ),
        )
