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


# Metering registers how a move-in / move-out index becomes a reading (METER-1):
# the contract's start and end indexes are readings of the meter.
_contract_reading_recorder: Callable[..., object] | None = None


def register_contract_reading_recorder(recorder: Callable[..., object]) -> None:
    global _contract_reading_recorder
    _contract_reading_recorder = recorder


def record_contract_reading(*, actor, service_point, meter, read_on, index, source: str) -> None:
    if _contract_reading_recorder is not None and meter is not None and index is not None:
        _contract_reading_recorder(
            actor=actor,
            service_point=service_point,
            meter=meter,
            read_on=read_on,
            index=index,
            source=source,
        )
