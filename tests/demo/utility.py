"""A small synthetic utility built by the demo's own functions, for tests that need real history."""

import datetime as dt


def billed_and_paid(
    monkeypatch, tmp_path, *, today: dt.date, customers: int, seed: int, corrections: bool = False
) -> None:
    """Customers with two years of readings, billed by the real runs, then paid as the demo pays.

    The demo writes sample bank files: they go to ``tmp_path``.
    """
    from robinet.demo import bank, billing, returns
    from robinet.demo.generator import generate
    from robinet.demo.payments import seed_payments

    monkeypatch.setattr(bank, "VAR_DIR", tmp_path)
    monkeypatch.setattr(returns, "VAR_DIR", tmp_path)
    generate(customers=customers, seed=seed, today=today, readings=True)
    billing.bill(today=today, corrections=corrections)
    seed_payments(today)
