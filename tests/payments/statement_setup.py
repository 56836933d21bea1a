"""Helpers for the bank statement tests (PAY-5)."""

import datetime as dt
from decimal import Decimal

from django.conf import settings

from robinet.payments.statement_samples import SampleCredit, camt053, cfonb120

DAY = dt.date(2026, 2, 12)


def utility_iban() -> str:
    return settings.ROBINET_UTILITY["iban"]


def camt(*credits: SampleCredit, statement_id: str = "REL-2026-02-12", **kwargs) -> bytes:
    kwargs.setdefault("iban", utility_iban())
    kwargs.setdefault("day", DAY)
    return camt053(statement_id=statement_id, credits=credits, **kwargs)


def cfonb(*credits: SampleCredit, **kwargs) -> bytes:
    kwargs.setdefault("iban", utility_iban())
    return cfonb120(start=dt.date(2026, 2, 1), end=DAY, credits=credits, **kwargs)


def credit(amount, **kwargs) -> SampleCredit:
    return SampleCredit(amount=Decimal(str(amount)), **kwargs)


def invoices(account):
    return list(account.invoices.order_by("due_date", "pk"))
