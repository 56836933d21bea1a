"""Extension points other apps fill in (explicit registry, no signals).

The ledger registers the balance provider; until it does, no financial
document exists, so every account's balance is zero.
"""

from collections.abc import Callable
from decimal import Decimal

_balance_provider: Callable[[object], Decimal] | None = None


def register_balance_provider(provider: Callable[[object], Decimal]) -> None:
    global _balance_provider
    _balance_provider = provider


def account_balance(account) -> Decimal:
    if _balance_provider is None:
        return Decimal("0.00")
    return _balance_provider(account)
