"""Money: ``Decimal`` amounts, one rounding function, French formatting.

Principle 2 (ARCHITECTURE) and STYLE "Money": every amount is a ``Decimal``;
rounding happens only through :func:`round_money` (half-up, i.e. ties away
from zero, at the currency's precision); floats are refused at the door
(:func:`to_decimal`). This module is pure: no database, no settings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision

DEFAULT_CURRENCY = "EUR"
DEFAULT_LOCALE = "fr_FR"

DecimalLike = Decimal | int | str

# Characters people put between thousands: space, no-break space, narrow
# no-break space (what babel writes for fr-FR), thin space, apostrophe (Swiss).
_GROUP_SEPARATORS = " \u00a0\u202f\u2009'’"
_MINUS_SIGNS = "-\u2212"  # ASCII hyphen-minus and the typographic minus
_CURRENCY_MARKS = re.compile(r"(€|EUR|eur)$|^(€|EUR|eur)")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


@lru_cache(maxsize=64)
def currency_precision(currency: str = DEFAULT_CURRENCY) -> int:
    """Number of decimal places of ``currency`` (EUR 2, JPY 0, TND 3), from CLDR via babel."""
    return get_currency_precision(currency.upper())


@lru_cache(maxsize=64)
def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-currency_precision(currency))


def to_decimal(value: DecimalLike) -> Decimal:
    """Convert ``value`` to a finite ``Decimal``, refusing floats.

    Accepts ``Decimal``, ``int`` and strings, including the French way of
    writing numbers: ``"1 234,56"`` (any kind of space between thousands),
    ``"1.234,56"``, ``"-12,5 €"``. A lone comma is a decimal comma; a lone dot
    is a decimal point; several identical separators are thousands separators.

    Raises ``TypeError`` for floats and other types (a float has already lost
    the cents: ``0.1 + 0.2 != 0.3``), ``ValueError`` for text that is not a
    number and for NaN/infinity.
    """
    if isinstance(value, bool):  # bool is an int subclass; True is not 1 €
        raise TypeError("to_decimal() refuses bool")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        result = _parse_decimal_text(value)
    elif isinstance(value, float):
        raise TypeError("to_decimal() refuses float: pass a str or a Decimal")
    else:
        raise TypeError(f"to_decimal() cannot convert {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def _parse_decimal_text(text: str) -> Decimal:
    cleaned = _CURRENCY_MARKS.sub("", text.strip()).strip()
    for sep in _GROUP_SEPARATORS:
        cleaned = cleaned.replace(sep, "")
    if cleaned[:1] in _MINUS_SIGNS:
        cleaned = "-" + cleaned[1:]
    commas, dots = cleaned.count(","), cleaned.count(".")
    if commas and dots:
        # Both present: the last one is the decimal separator.
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    elif commas == 1:
        cleaned = cleaned.replace(",", ".")
    elif commas > 1:
        cleaned = cleaned.replace(",", "")
    elif dots > 1:
        cleaned = cleaned.replace(".", "")
    if not _PLAIN_NUMBER.fullmatch(cleaned):
        raise ValueError(f"not a number: {text!r}")
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the regex already checked
        raise ValueError(f"not a number: {text!r}") from exc


def round_money(value: DecimalLike, currency: str = DEFAULT_CURRENCY) -> Decimal:
    """Round to the currency's minor unit, half-up (ties away from zero).

    The only rounding function for amounts (STYLE "Money"). Symmetric:
    ``round_money(-x) == -round_money(x)``; never returns ``-0.00``.
    """
    try:
        result = to_decimal(value).quantize(_quantum(currency), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the context holds: no amount is that large
        raise ValueError(f"amount out of range: {value}") from None
    return result if result else abs(result)


def is_rounded(value: DecimalLike, currency: str = DEFAULT_CURRENCY) -> bool:
    """True when ``value`` has no digits below the currency's minor unit."""
    amount = to_decimal(value)
    return round_money(amount, currency) == amount


def format_money(
    amount: DecimalLike, currency: str = DEFAULT_CURRENCY, locale: str = DEFAULT_LOCALE
) -> str:
    """``"1 234,56 €"`` for fr-FR (babel's narrow no-break spaces between thousands,
    a no-break space before the symbol). Rounds with :func:`round_money` first,
    because babel's own rounding is half-even."""
    return format_currency(round_money(amount, currency), currency.upper(), locale=locale)


def allocate(
    total: DecimalLike, ratios: Sequence[DecimalLike], currency: str = DEFAULT_CURRENCY
) -> list[Decimal]:
    """Split ``total`` in proportion to ``ratios`` without losing or inventing a cent.

    Largest-remainder method: each share gets the floor of its exact
    proportional part in minor units, then the leftover units go one by one to
    the largest remainders (ties to the earliest share). The shares sum exactly
    to ``total`` and each differs from its exact part by less than one minor
    unit. A negative total is split like its absolute value, then negated.

    ``total`` must already be rounded to the currency (``ValueError`` otherwise);
    ratios must be non-negative with a positive sum.
    """
    amount = to_decimal(total)
    places = currency_precision(currency)
    units = abs(amount).scaleb(places)
    if units != units.to_integral_value():
        raise ValueError(f"allocate() needs a rounded total, got {amount}")
    # Decimals as they come (most callers pass them), anything else converted.
    decimals = [r if type(r) is Decimal else to_decimal(r) for r in ratios]
    if not decimals:
        raise ValueError("allocate() needs at least one ratio")
    if any(not w.is_finite() or w < 0 for w in decimals):
        raise ValueError("allocate() ratios must be finite and not negative")
    # Exact integer arithmetic: ratios scaled to integers by a common power of ten
    # (a payment is spread thousands of times a second; Fractions are 20× slower).
    scale = max(0, *(-w.as_tuple().exponent for w in decimals))
    weights = [int(w.scaleb(scale)) for w in decimals]
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise ValueError("allocate() ratios must not all be zero")

    sign = -1 if amount < 0 else 1
    units = int(units)
    shares, remainders = [], []
    for w in weights:
        share, remainder = divmod(units * w, weight_sum)  # floor: all parts are >= 0
        shares.append(share)
        remainders.append(remainder)
    leftover = units - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in by_remainder[:leftover]:
        shares[i] += 1
    # An integer scaled down has exactly the currency's places (0 → 0.00, never -0.00).
    return [Decimal(sign * s).scaleb(-places) for s in shares]


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""


@dataclass(frozen=True, slots=True)
class Money:
    """An immutable amount with its ISO 4217 currency.

    Arithmetic keeps full precision (a unit price times a volume is not
    rounded); call :meth:`rounded` at the documented rounding points.
    """

    amount: Decimal
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount))
        code = str(self.currency).upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise ValueError(f"not an ISO 4217 currency code: {self.currency!r}")
        object.__setattr__(self, "currency", code)

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(Decimal(0), currency)

    def _check(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._check(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._check(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __mul__(self, factor: DecimalLike) -> Money:
        return Money(self.amount * to_decimal(factor), self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._check(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._check(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._check(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._check(other).amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)

    def rounded(self) -> Money:
        return Money(round_money(self.amount, self.currency), self.currency)

    def allocate(self, ratios: Sequence[DecimalLike]) -> list[Money]:
        """See :func:`allocate`; the amount must already be rounded."""
        return [Money(a, self.currency) for a in allocate(self.amount, ratios, self.currency)]

    def split(self, parts: int) -> list[Money]:
        """``parts`` near-equal shares, the extra cents going to the first ones."""
        if parts < 1:
            raise ValueError("split() needs at least one part")
        return self.allocate([1] * parts)
