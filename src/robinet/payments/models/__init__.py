"""Payments and the records of each payment means (one module per means)."""

from .core import Payment as Payment
from .core import PaymentMeans as PaymentMeans
from .core import PaymentReversal as PaymentReversal
