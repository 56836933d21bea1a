"""What the statement readers (camt.053, CFONB 120, MT940) return: plain dataclasses (PAY-5).

The readers parse and validate a whole file and raise
:class:`~robinet.core.imports.InvalidImportFile` naming each faulty line;
nothing in this module touches the database.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Credit:
    """One credit on the account (a transfer received)."""

    line: int
    reference: str  # unique: statement id / bank reference / transaction index
    amount: Decimal
    booked_on: dt.date
    value_date: dt.date
    debtor_name: str = ""
    debtor_iban: str = ""
    remittance: str = ""
    end_to_end_id: str = ""


@dataclass
class ParsedStatement:
    format: str
    statement_id: str
    account_iban: str
    from_date: dt.date
    to_date: dt.date
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    currency: str = "EUR"
    credits: list[Credit] = field(default_factory=list)
    debit_count: int = 0

    @property
    def credit_total(self) -> Decimal:
        return sum((c.amount for c in self.credits), Decimal("0.00"))


#: control characters have no place in a statement's text (and PostgreSQL stores no NUL)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def control_character_message(line: str) -> str | None:
    """The error for the first control character of ``line``, or ``None`` if it has none."""
    found = _CONTROL.search(line)
    if found is None:
        return None
    return _("caractère de contrôle 0x%(code)02X en colonne %(column)s : fichier endommagé ?") % {
        "code": ord(found.group()),
        "column": found.start() + 1,
    }


def normalise_iban(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def utility_iban() -> str:
    """The IBAN of the utility's collection account (statements of any other are refused)."""
    return normalise_iban((getattr(settings, "ROBINET_UTILITY", {}) or {}).get("iban", ""))
