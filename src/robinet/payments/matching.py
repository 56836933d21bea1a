"""Matching bank credits to customer accounts and invoices — the pure rule of PAY-5.

No database here: the service gathers, in a few set-based queries, the
invoices and accounts the credits' references name, the accounts known by the
payers' IBANs, and the accounts with an open item of each unmatched amount;
this module decides, credit by credit, in three steps:

1. **reference** — an invoice number or a customer number found in the
   remittance information or the end-to-end id (dict lookups). One account
   named: booked (confidence 100 when the amount equals the invoice's open
   amount, else 95). Several accounts named: ambiguous, to the worklist.
2. **IBAN + amount** — the payer's IBAN is known (account IBAN or an earlier
   credit booked to the account) and the amount equals one of that account's
   open items or its whole balance: booked (confidence 90). IBAN known but no
   amount match: suggestion only.
3. **name + amount** — among the accounts whose holder's name shares a word
   with the payer's name and that owe that amount (an open item or the whole
   balance: a dict lookup on (word, amount)), the names are compared (token
   similarity, accents, titles and word order ignored);
   booked when the best is at least :data:`NAME_AUTO` similar and clearly ahead
   of the next one, else suggestions.

Every decision carries a confidence (0–100) and the signals that produced it,
shown to the officer. Credits that are not booked keep ranked suggestions.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import SequenceMatcher

AUTO_BOOK = 80  # a match at or above this confidence is booked at import
NAME_AUTO = Decimal("0.92")
NAME_LEAD = Decimal("0.10")  # the best name must lead the next by this much
NAME_SUGGEST = Decimal("0.60")
MAX_SUGGESTIONS = 5

_INVOICE = re.compile(r"\b([A-Z]{1,5})[\s/_-]?(\d{4})[\s/_-]?(\d{4,9})\b")
_ACCOUNT = re.compile(r"(?<![\d-])(\d{9})(?![\d-])")
_WORD = re.compile(r"[A-Z]+")
_NOISE = {"M", "MR", "MME", "MLLE", "MONSIEUR", "MADAME", "ET", "OU", "EPOUX", "EP", "DE", "DU",
          "LA", "LE", "LES", "SARL", "SAS", "SA", "EURL", "SCI", "STE", "VIR", "SEPA"}  # fmt: skip


@dataclass(frozen=True)
class OpenDebit:
    invoice_id: int | None
    number: str
    open_amount: Decimal


@dataclass(frozen=True)
class AccountInfo:
    id: int
    number: str
    name: str
    debits: tuple[OpenDebit, ...] = ()

    @property
    def balance(self) -> Decimal:
        return sum((d.open_amount for d in self.debits), Decimal("0.00"))


@dataclass(frozen=True)
class InvoiceRef:
    invoice_id: int
    number: str
    account_id: int
    open_amount: Decimal


@dataclass(frozen=True)
class Credit:
    key: str
    amount: Decimal
    remittance: str = ""
    end_to_end_id: str = ""
    debtor_iban: str = ""
    debtor_name: str = ""


@dataclass
class Context:
    invoices: Mapping[str, InvoiceRef] = field(default_factory=dict)  # by number
    account_numbers: Mapping[str, int] = field(default_factory=dict)  # number -> account id
    accounts: Mapping[int, AccountInfo] = field(default_factory=dict)
    iban_accounts: Mapping[str, Iterable[int]] = field(default_factory=dict)
    #: (word of the holder's name, amount owed: an open item or the balance) -> account ids
    name_amount_accounts: Mapping[tuple[str, Decimal], Iterable[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Suggestion:
    account_id: int
    score: int
    signals: dict
    invoice_id: int | None = None


@dataclass(frozen=True)
class Decision:
    key: str
    account_id: int | None  # set when booked
    invoice_id: int | None
    confidence: int
    signals: dict
    suggestions: tuple[Suggestion, ...] = ()

    @property
    def booked(self) -> bool:
        return self.account_id is not None


# --- references and names ----------------------------------------------------------------------


@functools.lru_cache(maxsize=250_000)  # a statement's import reads each credit's twice
def references(*texts: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(invoice numbers, customer numbers) written in ``texts``, in canonical form."""
    invoices: list[str] = []
    accounts: list[str] = []
    for text in texts:
        upper = (text or "").upper()
        for prefix, year, number in _INVOICE.findall(upper):
            invoices.append(f"{prefix}-{year}-{number}")
        for number in _ACCOUNT.findall(_INVOICE.sub(" ", upper)):
            accounts.append(number)
    return tuple(dict.fromkeys(invoices)), tuple(dict.fromkeys(accounts))


@functools.lru_cache(maxsize=250_000)
def name_words(name: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().upper()
    return tuple(sorted(w for w in _WORD.findall(text) if w not in _NOISE and len(w) > 1))


def name_similarity(a: str, b: str) -> Decimal:
    """Similarity of two names, 0 to 1, insensitive to case, accents, titles and word order."""
    left, right = name_words(a), name_words(b)
    if not left or not right:
        return Decimal("0.00")
    a, b = " ".join(left), " ".join(right)
    ratio = max(SequenceMatcher(None, a, b).ratio(), SequenceMatcher(None, b, a).ratio())
    # a payer often writes only part of the holder's name ("DUPONT" for "DUPONT JEAN")
    common = set(left) & set(right)
    subset = len(common) / min(len(set(left)), len(set(right)))
    score = max(ratio, subset * 0.95)
    return Decimal(str(round(score, 2)))


# --- the rule ----------------------------------------------------------------------------------


def _amount_hit(account: AccountInfo, amount: Decimal) -> OpenDebit | str | None:
    for debit in account.debits:
        if debit.open_amount == amount:
            return debit
    if account.debits and account.balance == amount:
        return "balance"
    return None


def _by_reference(credit: Credit, ctx: Context) -> tuple[dict[int, dict], int | None]:
    """Accounts named by the credit's references: {account id: signals}, invoice chosen."""
    found_invoices, found_accounts = references(credit.remittance, credit.end_to_end_id)
    named: dict[int, dict] = {}
    invoice_for: dict[int, int] = {}
    for number in found_invoices:
        ref = ctx.invoices.get(number)
        if ref is None:
            continue
        signals = named.setdefault(ref.account_id, {})
        signals.setdefault("invoices", []).append(number)
        if ref.open_amount == credit.amount:
            signals["amount_equals_invoice"] = True
        invoice_for.setdefault(ref.account_id, ref.invoice_id)
    for number in found_accounts:
        account_id = ctx.account_numbers.get(number)
        if account_id is not None:
            named.setdefault(account_id, {})["customer_number"] = number
    source = (
        "end_to_end_id"
        if credit.end_to_end_id and named and not any(references(credit.remittance))
        else "remittance"
    )
    for signals in named.values():
        signals["reference_in"] = source
    chosen = invoice_for.get(next(iter(named))) if len(named) == 1 else None
    return named, chosen


def decide(credit: Credit, ctx: Context) -> Decision:
    suggestions: dict[int, Suggestion] = {}

    def suggest(account_id: int, score: int, signals: dict, invoice_id=None) -> None:
        known = suggestions.get(account_id)
        if known is None or known.score < score:
            suggestions[account_id] = Suggestion(account_id, score, signals, invoice_id)

    # 1. references
    named, invoice_id = _by_reference(credit, ctx)
    if len(named) == 1:
        account_id, signals = next(iter(named.items()))
        confidence = 100 if signals.get("amount_equals_invoice") else 95
        return Decision(
            credit.key, account_id, invoice_id, confidence, {"rule": "reference", **signals}
        )
    for account_id, signals in named.items():
        suggest(account_id, 70, {"rule": "reference", "ambiguous": True, **signals})

    # 2. IBAN of a known payer + amount
    iban_accounts = sorted(set(ctx.iban_accounts.get(credit.debtor_iban, ()))) if (
        credit.debtor_iban
    ) else []  # fmt: skip
    iban_hits = []
    for account_id in iban_accounts:
        account = ctx.accounts.get(account_id)
        hit = _amount_hit(account, credit.amount) if account else None
        if hit is not None:
            iban_hits.append((account_id, hit))
        else:
            suggest(account_id, 60, {"rule": "iban", "iban_known": True, "amount_matches": False})
    if len(iban_hits) == 1 and not named:
        account_id, hit = iban_hits[0]
        signals = {"rule": "iban", "iban_known": True, "amount_matches": True,
                   "amount_of": "balance" if hit == "balance" else hit.number}  # fmt: skip
        return Decision(
            credit.key, account_id, None if hit == "balance" else hit.invoice_id, 90, signals
        )
    for account_id, _hit in iban_hits:
        suggest(account_id, 75, {"rule": "iban", "iban_known": True, "amount_matches": True,
                                 "ambiguous": True})  # fmt: skip

    # 3. name + amount, among the accounts owing that amount
    scored = []
    if credit.debtor_name:
        candidates: set[int] = set()
        for word in name_words(credit.debtor_name):
            candidates.update(ctx.name_amount_accounts.get((word, credit.amount), ()))
        for account_id in candidates:
            account = ctx.accounts.get(account_id)
            if account is None:
                continue
            hit = _amount_hit(account, credit.amount)
            if hit is None:
                continue
            similarity = name_similarity(credit.debtor_name, account.name)
            if similarity >= NAME_SUGGEST:
                scored.append((similarity, account_id, hit))
    scored.sort(key=lambda s: (-s[0], s[1]))
    for similarity, account_id, hit in scored:
        signals = {"rule": "name", "name_similarity": str(similarity), "amount_matches": True,
                   "amount_of": "balance" if hit == "balance" else hit.number}  # fmt: skip
        confidence = int(similarity * 89)  # below IBAN + amount (90)
        lead = similarity - scored[1][0] if len(scored) > 1 else similarity
        if (
            account_id == scored[0][1]
            and similarity >= NAME_AUTO
            and lead >= NAME_LEAD
            and not named
            and not iban_hits
        ):
            return Decision(
                credit.key,
                account_id,
                None if hit == "balance" else hit.invoice_id,
                confidence,
                signals,
            )
        suggest(account_id, confidence, signals, None if hit == "balance" else hit.invoice_id)

    ranked = sorted(suggestions.values(), key=lambda s: (-s.score, s.account_id))
    reason = (
        "ambiguous" if named or len(iban_hits) > 1 or len(scored) > 1
        else "no_match" if not ranked else "weak"
    )  # fmt: skip
    found_invoices, found_accounts = references(credit.remittance, credit.end_to_end_id)
    signals = {"rule": None, "reason": reason}
    if found_invoices or found_accounts:
        signals["references_not_found"] = [
            r for r in found_invoices + found_accounts
            if r not in ctx.invoices and r not in ctx.account_numbers
        ]  # fmt: skip
    return Decision(
        credit.key,
        None,
        None,
        ranked[0].score if ranked else 0,
        signals,
        tuple(ranked[:MAX_SUGGESTIONS]),
    )


def match(credits: Sequence[Credit], ctx: Context) -> list[Decision]:
    """A decision for each credit, in order."""
    return [decide(credit, ctx) for credit in credits]


def name_amount_index(accounts: Iterable[AccountInfo]) -> dict[tuple[str, Decimal], set[int]]:
    """The (name word, amount owed) index of :attr:`Context.name_amount_accounts`."""
    index: dict[tuple[str, Decimal], set[int]] = {}
    for account in accounts:
        amounts = {d.open_amount for d in account.debits}
        if account.debits:
            amounts.add(account.balance)
        for word in name_words(account.name):
            for amount in amounts:
                index.setdefault((word, amount), set()).add(account.id)
    return index
