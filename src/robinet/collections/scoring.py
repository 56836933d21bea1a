"""Risk score of an overdue account, its main reasons and the next best action (COLL-7).

Pure: no database, no machine-learning library. A model is a set of plain
numbers (:class:`Params`) — a logistic regression on standardised features,
trained by :mod:`robinet.collections.risk_model` or the documented fallback
(:data:`FALLBACK`) when the utility has not trained one yet::

    z_i = (x_i - mean_i) / scale_i
    p   = 1 / (1 + exp(-(intercept + Σ coef_i · z_i)))

The main reasons are the features with the largest contributions
``coef_i · z_i`` that push the probability up (at most three), worded in
French with the account's own figures.

Everything here is ``Decimal`` — features, parameters, the probability — so
that ``amount × probability`` is exact and rounded once, by
:func:`robinet.core.money.round_money`. Binary floats exist only inside
numpy and scikit-learn while a model is trained; :class:`Params` turns
whatever it is given into decimals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal

from robinet.core.money import format_money, round_money

ZERO, ONE = Decimal(0), Decimal(1)
DAYS_PER_YEAR = Decimal("365.25")


def decimal(value) -> Decimal:
    """A number as a decimal; a binary float (or numpy's) through its shortest repr."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


# --- features --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Features:
    """What is known about an overdue account on a date (loaded in bulk by ``worklist``)."""

    amount: Decimal  # overdue open total
    oldest_days: int  # age of the oldest overdue item (days past its due date)
    open_items: int
    level: int  # highest dunning level reached
    rejects_12m: int  # direct-debit rejects in the last 12 months
    broken_promises: int
    broken_plans: int
    professional: bool
    public_body: bool
    tenure_days: int  # days since the account was opened
    notices: int  # dunning notices received
    main_residence: bool

    def as_json(self) -> dict:
        data = asdict(self)
        data["amount"] = str(self.amount)
        return data

    @classmethod
    def from_json(cls, data: dict) -> Features:
        return cls(**{**data, "amount": Decimal(data["amount"])})


#: the model's inputs, in order; the amount enters as log(1 + €) (a few large debts
#: would otherwise dominate the scale).
FEATURE_NAMES = (
    "log_amount",
    "oldest_days",
    "open_items",
    "level",
    "rejects_12m",
    "broken_promises",
    "broken_plans",
    "professional",
    "public_body",
    "tenure_years",
    "notices",
    "main_residence",
)


def vector(f: Features) -> list[Decimal]:
    return [
        (max(f.amount, ZERO) + ONE).ln(),
        Decimal(f.oldest_days),
        Decimal(f.open_items),
        Decimal(f.level),
        Decimal(f.rejects_12m),
        Decimal(f.broken_promises),
        Decimal(f.broken_plans),
        ONE if f.professional else ZERO,
        ONE if f.public_body else ZERO,
        Decimal(f.tenure_days) / DAYS_PER_YEAR,
        Decimal(f.notices),
        ONE if f.main_residence else ZERO,
    ]


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n <= 1 else many}"


def _euros(amount: Decimal) -> str:
    return format_money(amount)


def reason_text(name: str, f: Features) -> str:
    """The French wording of one feature with the account's value."""
    if name == "log_amount":
        return f"montant en jeu : {_euros(f.amount)}"
    if name == "oldest_days":
        return f"ancienneté de la dette : {f.oldest_days} jours"
    if name == "open_items":
        return _plural(f.open_items, "facture impayée", "factures impayées")
    if name == "level":
        return f"niveau de relance atteint : {f.level}"
    if name == "rejects_12m":
        return _plural(f.rejects_12m, "rejet de prélèvement", "rejets de prélèvement") + (
            " en 12 mois"
        )
    if name == "broken_promises":
        return _plural(f.broken_promises, "promesse non tenue", "promesses non tenues")
    if name == "broken_plans":
        return _plural(f.broken_plans, "échéancier rompu", "échéanciers rompus")
    if name == "professional":
        return "client professionnel" if f.professional else "client particulier"
    if name == "public_body":
        return "organisme public" if f.public_body else "client non public"
    if name == "tenure_years":
        years = Decimal(f.tenure_days) / DAYS_PER_YEAR
        return f"client depuis {years:.1f} an(s)".replace(".", ",")
    if name == "notices":
        return _plural(f.notices, "relance reçue", "relances reçues")
    if name == "main_residence":
        return "résidence principale" if f.main_residence else "pas en résidence principale"
    return name


# --- the model -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Params:
    """A logistic regression on standardised features, as plain numbers."""

    features: tuple[str, ...]
    coefficients: tuple[Decimal, ...]
    intercept: Decimal
    means: tuple[Decimal, ...]
    scales: tuple[Decimal, ...]
    fallback: bool = False

    def __post_init__(self):
        for name in ("coefficients", "means", "scales"):
            object.__setattr__(self, name, tuple(decimal(v) for v in getattr(self, name)))
        object.__setattr__(self, "intercept", decimal(self.intercept))
        n = len(self.features)
        if not (len(self.coefficients) == len(self.means) == len(self.scales) == n):
            raise ValueError("coefficients, means and scales must match the features")


#: Used until a model is trained (``robinet collections train-model``): a transparent
#: rule written as log-odds points on raw values — about 10 % for a fresh small debt,
#: +0.5 per dunning level, +0.01 per day past due, +0.6 per direct-debit reject, +0.8 per
#: broken promise, +1.0 per broken plan, +0.3 per unit of log(1 + €).
FALLBACK = Params(
    features=FEATURE_NAMES,
    coefficients=tuple(
        Decimal(c)
        for c in ("0.3", "0.01", "0.1", "0.5", "0.6", "0.8", "1", "0", "-0.5", "-0.1", "0.1", "0")
    ),
    intercept=Decimal(-4),
    means=(ZERO,) * len(FEATURE_NAMES),
    scales=(ONE,) * len(FEATURE_NAMES),
    fallback=True,
)


@dataclass(frozen=True)
class Contribution:
    feature: str
    value: Decimal  # coef × standardised value (log-odds)
    text: str


@dataclass(frozen=True)
class Score:
    probability: Decimal
    contributions: tuple[Contribution, ...]  # sorted, largest first
    reasons: tuple[str, ...]  # the top (at most 3) positive contributions, in French

    def expected_loss(self, amount: Decimal) -> Decimal:
        return expected_loss(amount, self.probability)


def _sigmoid(x: Decimal) -> Decimal:
    if x >= 0:
        return ONE / (ONE + (-x).exp())
    e = x.exp()
    return e / (ONE + e)


def linear(params: Params, x: list[Decimal]) -> tuple[Decimal, list[Decimal]]:
    contributions = [
        c * ((decimal(v) - m) / s if s else ZERO)
        for c, v, m, s in zip(params.coefficients, x, params.means, params.scales, strict=True)
    ]
    return params.intercept + sum(contributions, ZERO), contributions


def probability(params: Params, x: list[Decimal]) -> Decimal:
    return _sigmoid(linear(params, x)[0])


def score(params: Params, f: Features, *, reasons: int = 3) -> Score:
    logit, parts = linear(params, vector(f))
    contributions = sorted(
        (
            Contribution(name, value, reason_text(name, f))
            for name, value in zip(params.features, parts, strict=True)
        ),
        key=lambda c: (-c.value, c.feature),
    )
    top = tuple(c.text for c in contributions if c.value > 0)[:reasons]
    return Score(_sigmoid(logit), tuple(contributions), top)


def expected_loss(amount: Decimal, p: Decimal) -> Decimal:
    return round_money(amount * decimal(p))


# --- next best action ------------------------------------------------------------------------

#: an expected loss from which an account is worth a phone call
CALL_FROM = Decimal("100")
#: a debt from which a payment plan is worth offering
PLAN_FROM = Decimal("300")
#: a contact younger than this is "recent" (no second call)
RECENT_CONTACT_DAYS = 30


@dataclass(frozen=True)
class Situation:
    """What the next-best-action rules look at besides the features."""

    on: dt.date
    final_level: bool  # the last level of the procedure has been reached
    mail_returned: bool
    notice_pay_by: dt.date | None  # deadline of the last notice
    active_plan: bool
    pending_promise: bool
    last_contact_on: dt.date | None


def next_action(f: Features, s: Situation, loss: Decimal) -> str:
    """The first rule that applies (codes of ``NextAction``), in this order."""
    if f.level > 0 and s.final_level:
        return "agency"
    if s.mail_returned:
        return "check_address"
    if s.active_plan:
        return "follow_plan"
    if s.pending_promise:
        return "follow_promise"
    recent = s.last_contact_on is not None and (s.on - s.last_contact_on).days < (
        RECENT_CONTACT_DAYS
    )
    if loss >= CALL_FROM and not recent:
        return "call"
    if s.notice_pay_by is not None and s.notice_pay_by >= s.on:
        return "wait_notice"
    if f.broken_plans == 0 and f.amount >= PLAN_FROM:
        return "offer_plan"
    return "dunning"
