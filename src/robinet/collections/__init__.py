"""Collections: dunning, payment plans, promises, debtor diagnosis (COLL-1…6, 10, 13)."""
