"""Robinet: customer care, billing and debt collection for water utilities."""

__version__ = "0.1.0"
