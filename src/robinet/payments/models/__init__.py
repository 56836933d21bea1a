"""Payments and the records of each payment means (one module per means)."""

from .core import Payment as Payment
from .core import PaymentMeans as PaymentMeans
from .core import PaymentReversal as PaymentReversal
from .vouchers import Denomination as Denomination
from .vouchers import VoucherAgreement as VoucherAgreement
from .vouchers import VoucherAgreementLine as VoucherAgreementLine
from .vouchers import VoucherAgreementStatus as VoucherAgreementStatus
from .vouchers import VoucherMovement as VoucherMovement
from .vouchers import VoucherMovementKind as VoucherMovementKind
from .vouchers import VoucherStock as VoucherStock
