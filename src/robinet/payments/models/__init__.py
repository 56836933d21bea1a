"""Payments and the records of each payment means (one module per means)."""

from .cash import CashDay as CashDay
from .cash import CashDayPayment as CashDayPayment
from .cash import CashTransmission as CashTransmission
from .cash import ChequeDepositSlip as ChequeDepositSlip
from .cash import ChequeDepositSlipLine as ChequeDepositSlipLine
from .core import Payment as Payment
from .core import PaymentMeans as PaymentMeans
from .core import PaymentReversal as PaymentReversal
