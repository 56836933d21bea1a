"""The registry of bank files ``robinet bank import FILE`` recognises (PAY-3…5).

Each format registers how to recognise its bytes and how to import them;
the command and the upload screen try the registered formats in order and
import with the first that recognises the file. This module registers the
bank statements (camt.053, CFONB 120, MT940, :mod:`robinet.payments.bank_statements`).

Another format (pain.002, camt.054 returns…) registers itself from its own
module, without editing this one: name the module ``bank_format_<anything>.py``
in this package and call :func:`register` at import; :func:`formats` imports
every such module once. Register more specific formats with a lower
``order`` (they are tried first).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from robinet.core.exceptions import ApplicationError


@dataclass(frozen=True)
class BankFormat:
    name: str
    label: str
    #: whether the file's bytes are of this format (cheap: look at the head)
    detect: Callable[[bytes], bool]
    #: ``importer(actor=…, source=bytes, filename=…, check_permission=…)`` → a result
    importer: Callable[..., Any]
    #: a one-line French summary of the importer's result, for the command and screens
    describe: Callable[[Any], str]
    order: int = 100


DETECTORS: dict[str, BankFormat] = {}
_discovered = False


def register(
    name: str,
    *,
    label: str,
    detect: Callable[[bytes], bool],
    importer: Callable[..., Any],
    describe: Callable[[Any], str],
    order: int = 100,
) -> BankFormat:
    """Register (or replace) the bank file format ``name``."""
    entry = BankFormat(name, label, detect, importer, describe, order)
    DETECTORS[name] = entry
    return entry


def formats() -> list[BankFormat]:
    """The registered formats, in the order they are tried."""
    global _discovered
    if not _discovered:
        package = importlib.import_module("robinet.payments")
        for module in pkgutil.iter_modules(package.__path__):
            if module.name.startswith("bank_format_"):
                importlib.import_module(f"robinet.payments.{module.name}")
        _discovered = True
    return sorted(DETECTORS.values(), key=lambda f: (f.order, f.name))


def detect(data: bytes) -> BankFormat:
    """The format of ``data``; ``ApplicationError`` ``bank_file_unknown`` when none fits."""
    for candidate in formats():
        if candidate.detect(data):
            return candidate
    raise ApplicationError(
        _("Fichier bancaire non reconnu (formats acceptés : %(names)s).")
        % {"names": ", ".join(f.label for f in formats())},
        code="bank_file_unknown",
        http_status=422,
    )


def import_file(*, actor, source: bytes, filename: str, check_permission: bool = True):
    """Recognise ``source`` and import it; returns (format, the importer's result)."""
    found = detect(source)
    return found, found.importer(
        actor=actor, source=source, filename=filename, check_permission=check_permission
    )


# --- the bank statements (PAY-5) ---------------------------------------------------------------


#: the formats whose importer books through a run (it takes ``executor`` and ``wait``)
STATEMENT_FORMATS = ("camt053", "cfonb120", "mt940")


def _statement_importer(fmt: str):
    def importer(*, actor, source, filename, check_permission=True, **run_options):
        from robinet.payments.bank_statements import statement_import

        return statement_import(
            actor=actor,
            source=source,
            filename=filename,
            format=fmt,
            check_permission=check_permission,
            **run_options,
        )

    return importer


def _describe_statement(outcome) -> str:
    from robinet.core.money import format_money

    text = _(
        "%(statements)s relevé(s) : %(booked)s virement(s) affecté(s) (%(booked_total)s), "
        "%(unallocated)s en instance d'affectation (%(unallocated_total)s)."
    ) % {
        "statements": len(outcome.statements),
        "booked": outcome.booked,
        "booked_total": format_money(outcome.booked_total),
        "unallocated": outcome.unallocated,
        "unallocated_total": format_money(outcome.unallocated_total),
    }
    if getattr(outcome, "to_book", 0):
        text += " " + _(
            "%(to_book)s virement(s) reconnu(s) encore à comptabiliser (%(total)s) "
            "par le traitement n° %(run)s."
        ) % {
            "to_book": outcome.to_book,
            "total": format_money(outcome.to_book_total),
            "run": outcome.run_id,
        }
    return text


def _register_statements() -> None:
    from robinet.payments import camt, cfonb, mt940

    register(
        camt.FORMAT,
        label="camt.053",
        detect=camt.detect,
        importer=_statement_importer(camt.FORMAT),
        describe=_describe_statement,
    )
    register(
        cfonb.FORMAT,
        label="CFONB 120",
        detect=cfonb.detect,
        importer=_statement_importer(cfonb.FORMAT),
        describe=_describe_statement,
    )
    register(
        mt940.FORMAT,
        label="MT940",
        detect=mt940.detect,
        importer=_statement_importer(mt940.FORMAT),
        describe=_describe_statement,
    )


_register_statements()
