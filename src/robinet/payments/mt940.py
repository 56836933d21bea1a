"""A reader of SWIFT MT940 customer statements (PAY-5, "MT940 on request").

A file holds one or more messages, each optionally wrapped in SWIFT blocks
(``{1:…}{2:…}{4:`` … ``-}``) and made of tagged fields, a field running
until the next line that starts with a tag:

* ``:20:`` transaction reference, ``:25:`` account (IBAN, ``BIC/IBAN`` or the
  French BBAN ``bank/branch+account+key``), ``:28C:`` statement/sequence number;
* ``:60F:`` / ``:60M:`` opening balance ``C|D YYMMDD CCY amount``;
* ``:61:`` a movement ``YYMMDD[MMDD]C|D|RC|RD[funds code]amount type ref[//bank ref]``
  and, on the next line, its supplementary details, followed by an optional
  ``:86:`` (information to the account owner): free text, or structured with
  ``?xx`` subfields (``?20``–``?29`` and ``?60``–``?63`` remittance, ``?31``
  payer's IBAN, ``?32``/``?33`` payer's name) or with ``/EREF/``, ``/NAME/``,
  ``/REMI/``, ``/IBAN/`` keywords;
* ``:62F:`` / ``:62M:`` closing balance; ``:64:``, ``:65:``, ``:13D:``… are ignored.

A message is checked whole: its account must be the utility's (``ROBINET_UTILITY["iban"]``),
its balances in euros, and opening + Σ movements = closing. Only credits
(``C``) are kept; debits and reversals are counted. Every problem is listed
with its line, then :class:`~robinet.core.imports.InvalidImportFile` is
raised: nothing is imported.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
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

FORMAT = "mt940"
CENT = Decimal("0.01")

_TAG = re.compile(r"^:(\d{2}[A-Z]?):")
_HEADER = re.compile(r"^(\{[1-3]:[^}]*\}|\{3:(\{[^}]*\})*\})*\{4:")
_BALANCE = re.compile(r"^(?P<mark>[CD])(?P<date>\d{6})(?P<currency>[A-Z]{3})(?P<amount>\d[\d,]*)$")
_MOVEMENT = re.compile(
    r"^(?P<value>\d{6})(?P<entry>\d{4})?(?P<mark>RC|RD|C|D)(?P<funds>[A-Z])?"
    r"(?P<amount>\d[\d,]*)(?P<type>[A-Z][A-Z0-9]{3})(?P<owner>.*?)(?://(?P<bank>.*))?$"
)
_AMOUNT = re.compile(r"^\d{1,15},\d{0,2}$")
_SUBFIELD = re.compile(r"\?(\d{2})")
_KEYWORD = re.compile(
    r"/(EREF|NAME|REMI|IBAN|ORDP|BENM|CSID|MARF|BIC|ADDR|ULTD|ULTC|ULTB|PURP|CDTR|RTRN|TRCD)/"
)
#: tags a statement may carry besides the ones read (ignored)
_IGNORED = {"13", "13D", "21", "34F", "64", "65", "90C", "90D", "NS"}


def detect(data: bytes) -> bool:
    """Whether ``data`` looks like an MT940 file (a ``:20:`` field, then ``:25:``)."""
    head = data[:4096].lstrip()
    return (head.startswith((b":20:", b"{1:")) or b"\n:20:" in head) and b":25:" in head


@dataclass
class _Field:
    tag: str
    line: int
    lines: list[str]

    @property
    def value(self) -> str:
        return self.lines[0].strip()

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class _Message:
    line: int
    fields: list[_Field] = field(default_factory=list)


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    # SWIFT's transmission marks (SOH, ETX) and a DOS end-of-file mark are no damage
    return text.replace("\x01", "").replace("\x03", "").rstrip("\x1a")


def _messages(text: str, errors: ImportErrors) -> list[_Message]:
    """Split the file into messages of fields, each with the line it starts on."""
    messages: list[_Message] = []
    current: _Message | None = None
    last: _Field | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw  # trailing spaces may belong to a wrapped field
        damaged = control_character_message(line)
        if damaged:
            errors.add(number, None, damaged)
            continue
        header = _HEADER.match(line.strip())
        if header:
            line = line.strip()[header.end() :].strip()
            current, last = None, None
            if not line:
                continue
        if line.strip() in ("-", "-}", "}") or line.startswith("-}{5:"):
            current, last = None, None
            continue
        tag = _TAG.match(line)
        if tag:
            name = tag.group(1)
            if name == "20" or current is None:
                current = _Message(number)
                messages.append(current)
            last = _Field(name, number, [line[tag.end() :].rstrip()])
            current.fields.append(last)
            continue
        if not line.strip():
            continue
        if last is None:
            errors.add(number, None, _("ligne hors d'un champ MT940 (« :20: » attendu)."))
            continue
        last.lines.append(line)
    return messages


def _amount(text: str) -> Decimal | None:
    if not _AMOUNT.match(text):
        return None
    whole, _comma, cents = text.partition(",")
    return Decimal(f"{whole}.{cents or '0'}").quantize(CENT)


def _date(text: str) -> dt.date | None:
    try:
        year, month, day = int(text[:2]), int(text[2:4]), int(text[4:6])
        return dt.date(2000 + year if year < 80 else 1900 + year, month, day)
    except ValueError:
        return None


def _entry_date(value: dt.date, mmdd: str | None) -> dt.date | None:
    """The booking date ``MMDD`` of a movement, in the year closest to its value date."""
    if not mmdd:
        return value
    try:
        candidates = [dt.date(value.year + k, int(mmdd[:2]), int(mmdd[2:])) for k in (-1, 0, 1)]
    except ValueError:
        return None
    return min(candidates, key=lambda d: abs((d - value).days))


def _balance(f: _Field, errors: ImportErrors) -> tuple[Decimal, dt.date] | None:
    found = _BALANCE.match(f.value)
    amount = _amount(found.group("amount")) if found else None
    when = _date(found.group("date")) if found else None
    if found is None or amount is None or when is None:
        errors.add(
            f.line,
            f":{f.tag}:",
            _("solde illisible : « %(v)s » (attendu C ou D, AAMMJJ, devise, montant 123,45).")
            % {"v": f.value},
        )
        return None
    if found.group("currency") != "EUR":
        errors.add(
            f.line,
            f":{f.tag}:",
            _("devise « %(c)s » : seuls les euros sont acceptés.") % {"c": found.group("currency")},
        )
        return None
    return (-amount if found.group("mark") == "D" else amount), when


def _account_matches(value: str, iban: str) -> bool:
    """``:25:`` names the utility's account: its IBAN, or its BBAN (bank/branch/account[+key])."""
    compact = normalise_iban(value).replace("/", "")
    bban = iban[4:]
    if compact.endswith("EUR"):  # some banks append the currency
        compact = compact[:-3]
    return compact.endswith(iban) or compact.endswith(bban) or compact.endswith(bban[:-2])


def _information(text: str) -> dict[str, str]:
    """The payer's name, IBAN, end-to-end id and remittance text of a ``:86:`` field."""
    flat = text.replace("\r", "").replace("\n", "")
    found = {"debtor_name": "", "debtor_iban": "", "end_to_end_id": "", "remittance": ""}
    if _SUBFIELD.match(flat) or re.match(r"^\d{3}\?", flat):
        parts = _SUBFIELD.split(flat)  # [transaction code, key, value, key, value…]
        remittance, name = [], []
        for key, value in zip(parts[1::2], parts[2::2], strict=True):
            code = int(key)
            if 20 <= code <= 29 or 60 <= code <= 63:
                remittance.append(value)
            elif code in (32, 33):
                name.append(value)
            elif code == 31:
                found["debtor_iban"] = normalise_iban(value)
        text_ = "".join(remittance)
        eref = re.search(r"EREF\+(\S+)", text_)
        if eref:
            found["end_to_end_id"] = eref.group(1)
        found["remittance"] = " ".join(text_.split())
        found["debtor_name"] = " ".join("".join(name).split())
    elif _KEYWORD.search(flat):
        pieces = _KEYWORD.split(flat)  # [before, key, value, key, value…]
        for key, value in zip(pieces[1::2], pieces[2::2], strict=True):
            value = value.strip().strip("/").strip()
            if key == "EREF" and value != "NOTPROVIDED":
                found["end_to_end_id"] = value
            elif key == "NAME" and not found["debtor_name"]:
                found["debtor_name"] = value
            elif key == "REMI":
                value = re.sub(r"^(USTD|STRD)/+", "", value)
                found["remittance"] = " ".join(value.replace("/", " ").split())
            elif key == "IBAN" and not found["debtor_iban"]:
                found["debtor_iban"] = normalise_iban(value)
        if not found["remittance"]:
            found["remittance"] = " ".join(pieces[0].split())
    else:
        found["remittance"] = " ".join(text.split())
    found["debtor_name"] = found["debtor_name"][:140]
    found["debtor_iban"] = found["debtor_iban"][:34]
    found["end_to_end_id"] = found["end_to_end_id"][:76]
    found["remittance"] = found["remittance"][:500]
    return found


def _statement(message: _Message, errors: ImportErrors, iban: str) -> ParsedStatement | None:
    before = len(errors)
    tags: dict[str, _Field] = {}
    opening = closing = None
    movements: list[dict] = []
    last: dict | None = None
    for f in message.fields:
        if f.tag in ("20", "25", "28C", "28"):
            tags[f.tag] = f
        elif f.tag in ("60F", "60M"):
            if opening is not None:
                errors.add(f.line, f":{f.tag}:", _("deuxième solde d'ouverture dans le relevé."))
            opening = (f, _balance(f, errors))
        elif f.tag in ("62F", "62M"):
            if closing is not None:
                errors.add(f.line, f":{f.tag}:", _("deuxième solde de clôture dans le relevé."))
            closing = (f, _balance(f, errors))
            last = None
        elif f.tag == "61":
            if opening is None or closing is not None:
                errors.add(
                    f.line, ":61:", _("mouvement hors du relevé (entre :60F: et :62F: attendu).")
                )
            last = _movement(f, errors)
            if last is not None:
                movements.append(last)
        elif f.tag == "86":
            if last is not None:
                last["info"] = f.text
                last = None
            # otherwise information on the statement itself: not used
        elif f.tag not in _IGNORED:
            errors.add(
                f.line, f":{f.tag}:", _("champ « :%(t)s: » inconnu en MT940.") % {"t": f.tag}
            )
    for tag, what in (("20", ":20:"), ("25", ":25:")):
        if tag not in tags:
            errors.add(message.line, what, _("champ %(t)s absent du relevé.") % {"t": what})
    number = tags.get("28C") or tags.get("28")
    if number is None:
        errors.add(message.line, ":28C:", _("champ :28C: (numéro de relevé) absent."))
    if opening is None:
        errors.add(message.line, ":60F:", _("solde d'ouverture (:60F:) absent."))
    if closing is None:
        errors.add(message.line, ":62F:", _("solde de clôture (:62F:) absent."))
    account = tags.get("25")
    if account is not None and iban and not _account_matches(account.value, iban):
        errors.add(
            account.line,
            ":25:",
            _("relevé du compte %(a)s, qui n'est pas le compte d'encaissement du service.")
            % {"a": account.value},
        )
    if (
        opening is not None and opening[1] is not None
        and closing is not None and closing[1] is not None
        and all(m["amount"] is not None for m in movements)
    ):  # fmt: skip
        moved = sum((m["signed"] for m in movements), Decimal("0.00"))
        if opening[1][0] + moved != closing[1][0]:
            errors.add(
                closing[0].line,
                f":{closing[0].tag}:",
                _(
                    "solde de clôture %(c)s ≠ solde d'ouverture %(o)s + mouvements %(m)s "
                    "(attendu %(e)s)."
                )
                % {
                    "c": closing[1][0],
                    "o": opening[1][0],
                    "m": moved,
                    "e": opening[1][0] + moved,
                },
            )
    if len(errors) != before:
        return None
    opened_on, closed_on = opening[1][1], closing[1][1]
    statement_id = f"MT940-{tags['20'].value}-{number.value}-{closed_on:%Y%m%d}".replace(" ", "")[
        :68
    ]
    statement = ParsedStatement(
        format=FORMAT,
        statement_id=statement_id,
        account_iban=iban or normalise_iban(account.value)[-34:],
        from_date=min(opened_on, closed_on, *(m["booked_on"] for m in movements)),
        to_date=max(opened_on, closed_on),
        opening_balance=opening[1][0],
        closing_balance=closing[1][0],
    )
    for position, m in enumerate(movements, start=1):
        if m["mark"] != "C":
            statement.debit_count += 1
            continue
        info = _information(m.get("info", ""))
        remittance = info["remittance"] or m["details"]
        statement.credits.append(
            Credit(
                line=m["line"],
                reference=f"{statement_id}/{position}",
                amount=m["amount"],
                booked_on=m["booked_on"],
                value_date=m["value_date"],
                debtor_name=info["debtor_name"],
                debtor_iban=info["debtor_iban"],
                remittance=remittance[:500],
                end_to_end_id=info["end_to_end_id"]
                or ("" if m["owner"] in ("", "NONREF") else m["owner"][:76]),
            )
        )
    return statement


def _movement(f: _Field, errors: ImportErrors) -> dict | None:
    found = _MOVEMENT.match(f.value)
    if found is None:
        errors.add(
            f.line,
            ":61:",
            _("mouvement illisible : « %(v)s » (attendu AAMMJJ[MMJJ], C ou D, montant, type).")
            % {"v": f.value},
        )
        return None
    value_date = _date(found.group("value"))
    amount = _amount(found.group("amount"))
    booked_on = _entry_date(value_date, found.group("entry")) if value_date else None
    if value_date is None or booked_on is None:
        errors.add(f.line, ":61:", _("date illisible : « %(v)s ».") % {"v": f.value[:10]})
    if amount is None:
        errors.add(
            f.line,
            ":61:",
            _("montant illisible : « %(v)s » (virgule décimale, deux décimales au plus).")
            % {"v": found.group("amount")},
        )
    elif amount == 0:
        errors.add(f.line, ":61:", _("mouvement d'un montant nul."))
    mark = found.group("mark")
    signed = None if amount is None else (amount if mark in ("C", "RD") else -amount)
    return {
        "line": f.line,
        "mark": mark,
        "amount": amount,
        "signed": signed,
        "value_date": value_date,
        "booked_on": booked_on or value_date or dt.date.min,
        "owner": (found.group("owner") or "").strip(),
        "details": " ".join(" ".join(f.lines[1:]).split()),
    }


def parse(data: bytes, *, expected_iban: str | None = None) -> list[ParsedStatement]:
    """Every statement (``:20:`` … ``:62F:`` message) of an MT940 file; raises
    ``InvalidImportFile`` naming each faulty line (nothing kept)."""
    errors = ImportErrors()
    iban = utility_iban() if expected_iban is None else normalise_iban(expected_iban)
    statements = []
    messages = _messages(_decode(data), errors)
    for message in messages:
        parsed = _statement(message, errors, iban)
        if parsed is not None:
            statements.append(parsed)
    if not messages and not errors:
        errors.add(None, None, _("le fichier ne contient aucun relevé."))
    errors.raise_if_any()
    return statements
