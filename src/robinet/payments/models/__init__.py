"""Payments and the records of each payment means (one module per means)."""

from .cards import CardStatus as CardStatus
from .cards import CardTransaction as CardTransaction
from .cash import CashDay as CashDay
from .cash import CashDayPayment as CashDayPayment
from .cash import CashTransmission as CashTransmission
from .cash import ChequeDepositSlip as ChequeDepositSlip
from .cash import ChequeDepositSlipLine as ChequeDepositSlipLine
from .core import Payment as Payment
from .core import PaymentMeans as PaymentMeans
from .core import PaymentReversal as PaymentReversal
from .operators import CollectionOperator as CollectionOperator
from .operators import LineOutcome as LineOutcome
from .operators import OperatorKind as OperatorKind
from .operators import OperatorStatement as OperatorStatement
from .operators import OperatorStatementLine as OperatorStatementLine
from .operators import OperatorTransfer as OperatorTransfer
from .operators import StatementStatus as StatementStatus
from .vouchers import Denomination as Denomination
from .vouchers import VoucherAgreement as VoucherAgreement
from .vouchers import VoucherAgreementLine as VoucherAgreementLine
from .vouchers import VoucherAgreementStatus as VoucherAgreementStatus
from .vouchers import VoucherMovement as VoucherMovement
from .vouchers import VoucherMovementKind as VoucherMovementKind
from .vouchers import VoucherStock as VoucherStock
