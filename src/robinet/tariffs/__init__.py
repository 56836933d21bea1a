"""Tariffs: versioned prices per zone (BILL-1) and the pure pricing engine (``pricing``)."""
