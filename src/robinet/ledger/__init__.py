"""Open items of customer accounts: what is owed and what is credited (PAY)."""
