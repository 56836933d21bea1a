"""Billing runs, invoices, credit notes and documents (BILL-4…8)."""
