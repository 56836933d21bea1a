"""A reader of CFONB 120 account statements (*relevés de compte*), with 04/05 records (PAY-5).

Records of 120 characters: ``01`` previous balance, ``04`` movement, ``05``
complement of the movement before it (qualifier ``NPY`` payer's name, ``RCN``
end-to-end reference, anything else appended to the remittance text), ``07``
new balance. Amounts carry their sign in the last digit (``{`` ``A``–``I``
positive, ``}`` ``J``–``R`` negative) and the number of decimals in column 20.
The account (bank, branch, account number) must be the utility's IBAN. Only
credits (positive movements) are kept; debits are counted.

A truncated or unknown line, a currency other than EUR, a complement without
its movement: every problem is listed with its line, then
:class:`~robinet.core.imports.InvalidImportFile` is raised: nothing is imported.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from robinet.core.imports import ImportErrors
from robinet.payments.statement_files import (
    Credit,
    ParsedStatement,
    control_character_message,
    normalise_iban,
    utility_iban,
)

FORMAT = "cfonb120"
LENGTH = 120
_POSITIVE = {c: str(i) for i, c in enumerate("{ABCDEFGHI")}
_NEGATIVE = {c: str(i) for i, c in enumerate("}JKLMNOPQR")}


def detect(data: bytes) -> bool:
    """Whether ``data`` looks like a CFONB 120 statement (starts with an ``01`` record)."""
    head = data.lstrip()[:LENGTH]
    return head[:2] == b"01" and len(head) >= 40 and head[2:7].isdigit()


def _lines(data: bytes) -> list[str]:
    text = data.decode("latin-1").rstrip("\x1a")  # a DOS end-of-file mark is no damage
    lines = text.splitlines()
    if len(lines) == 1 and len(text) > LENGTH and len(text) % LENGTH == 0:
        lines = [text[i : i + LENGTH] for i in range(0, len(text), LENGTH)]  # no newlines
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _date(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, "%d%m%y").date()  # noqa: DTZ007 - a calendar date
    except ValueError:
        return None


def _amount(field: str, decimals: str) -> Decimal | None:
    digits, last = field[:-1], field[-1:]
    # ASCII digits only: str.isdigit() accepts « ² », which int() refuses.
    if not (digits + decimals).isascii() or not digits.isdigit() or not decimals.isdigit():
        return None
    if last in _POSITIVE:
        sign, digit = 1, _POSITIVE[last]
    elif last in _NEGATIVE:
        sign, digit = -1, _NEGATIVE[last]
    else:
        return None
    value = Decimal(int(digits + digit)).scaleb(-int(decimals))
    return (sign * value).quantize(Decimal("0.01"))


def _account_matches(record: str, iban: str) -> bool:
    # FRkk BBBBB GGGGG CCCCCCCCCCC KK: bank, branch, account number of the record
    return (
        iban.startswith("FR")
        and record[2:7] == iban[4:9]
        and record[11:16] == iban[9:14]
        and record[21:32] == iban[14:25]
    )


def parse(data: bytes, *, expected_iban: str | None = None) -> list[ParsedStatement]:
    """Every statement (01 … 07 block) of a CFONB 120 file; raises ``InvalidImportFile``."""
    errors = ImportErrors()
    iban = utility_iban() if expected_iban is None else normalise_iban(expected_iban)
    statements: list[ParsedStatement] = []
    current: dict | None = None
    last_credit: dict | None = None
    for number, raw in enumerate(_lines(data), start=1):
        record = raw.rstrip("\r\n")
        damaged = control_character_message(record)
        if damaged:
            errors.add(number, None, damaged)
            continue
        # trailing spaces may have been stripped by a text editor; what carries data may not
        if len(record) < (49 if record[:2] == "05" else 104):
            errors.add(
                number,
                None,
                _("ligne tronquée : %(n)s caractères au lieu de 120.") % {"n": len(record)},
            )
            continue
        record = record.ljust(LENGTH)
        code = record[:2]
        if code not in ("01", "04", "05", "07"):
            errors.add(number, None, _("type d'enregistrement « %(c)s » inconnu.") % {"c": code})
            continue
        if record[16:19] != "EUR":
            errors.add(
                number,
                "devise",
                _("devise « %(c)s » : seuls les euros sont acceptés.") % {"c": record[16:19]},
            )
            continue
        if iban and not _account_matches(record, iban):
            errors.add(
                number,
                "compte",
                _("compte %(b)s %(g)s %(c)s : ce n'est pas le compte d'encaissement du service.")
                % {"b": record[2:7], "g": record[11:16], "c": record[21:32]},
            )
            continue
        if code == "05":
            if last_credit is None and (current is None or not current["after_movement"]):
                errors.add(number, None, _("complément (05) sans opération (04) avant lui."))
                continue
            if last_credit is not None:
                qualifier, text = record[45:48], record[48:118].strip()
                if qualifier == "NPY":
                    last_credit["debtor_name"] = text[:140]
                elif qualifier == "RCN":
                    last_credit["end_to_end_id"] = text[:80]
                elif text:
                    last_credit["remittance"] = f"{last_credit['remittance']} {text}".strip()[:500]
            continue
        when = _date(record[34:40])
        amount = _amount(record[90:104], record[19])
        if when is None:
            errors.add(number, "date", _("date illisible : « %(v)s ».") % {"v": record[34:40]})
        if amount is None:
            errors.add(
                number, "montant", _("montant illisible : « %(v)s ».") % {"v": record[90:104]}
            )
        if when is None or amount is None:
            last_credit = None
            continue
        if code == "01":
            if current is not None:
                errors.add(number, None, _("nouveau relevé (01) avant la fin du précédent (07)."))
            current = {
                "opening": amount,
                "from": when,
                "credits": [],
                "debits": 0,
                "after_movement": False,
                "line": number,
            }
            last_credit = None
            continue
        if current is None:
            errors.add(number, None, _("enregistrement hors d'un relevé (01 manquant)."))
            last_credit = None
            continue
        if code == "04":
            current["after_movement"] = True
            value_date = _date(record[42:48]) or when
            if amount <= 0:
                current["debits"] += 1
                last_credit = None
                continue
            entry_number = record[81:88].strip() or str(number)
            last_credit = {
                "line": number,
                "entry_number": entry_number,
                "amount": amount,
                "booked_on": when,
                "value_date": value_date,
                "debtor_name": "",
                "remittance": " ".join(
                    part for part in (record[48:79].strip(), record[104:120].strip()) if part
                ),
                "end_to_end_id": "",
            }
            current["credits"].append(last_credit)
            continue
        # code == "07": the new balance closes the statement
        statement_id = f"CFONB-{record[2:7]}{record[11:16]}{record[21:32]}-{current['from']:%Y%m%d}-{when:%Y%m%d}"
        statement = ParsedStatement(
            format=FORMAT,
            statement_id=statement_id,
            account_iban=iban or f"{record[2:7]}{record[11:16]}{record[21:32]}",
            from_date=min(current["from"], when),
            to_date=max(current["from"], when),
            opening_balance=current["opening"],
            closing_balance=amount,
            debit_count=current["debits"],
        )
        for credit in current["credits"]:
            statement.credits.append(
                Credit(
                    line=credit["line"],
                    reference=f"{statement_id}/{credit['entry_number']}"[:76],
                    amount=credit["amount"],
                    booked_on=credit["booked_on"],
                    value_date=credit["value_date"],
                    debtor_name=credit["debtor_name"],
                    remittance=credit["remittance"],
                    end_to_end_id=credit["end_to_end_id"],
                )
            )
        statements.append(statement)
        current, last_credit = None, None
    if current is not None:
        errors.add(current["line"], None, _("relevé sans solde final (07)."))
    if not statements and not list(errors):
        errors.add(None, None, _("le fichier ne contient aucun relevé."))
    errors.raise_if_any()
    return statements
