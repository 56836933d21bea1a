"""SMS providers for dunning messages (COLL-2), chosen by ``settings.ROBINET_SMS_BACKEND``.

Like Django's e-mail backends: a backend takes a list of :class:`SmsMessage`
and returns how many it sent. ``"file"`` (the default) appends each message
to ``VAR_DIR/sms/sms-YYYY-MM-DD.log``; ``"console"`` prints them;
``"locmem"`` keeps them in the module-level :data:`outbox` for tests; any
other value is the dotted path of a class with the same interface (an
operator's HTTP API, for instance).

Texts are GSM 03.38: :func:`to_gsm` replaces the characters outside the
GSM alphabet (``ê`` → ``e``, ``ç`` → ``c``…) and :func:`gsm_length` counts
the extension characters (``€``, ``[``…) twice, as the network does. Two
concatenated segments carry 306 characters.
"""

from __future__ import annotations

import sys
import unicodedata
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.utils.module_loading import import_string

from robinet.core import clock

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
# Characters outside GSM 03.38 that have a close GSM equivalent.
GSM_REPLACEMENTS = {
    "\u00a0": " ",
    "\u202f": " ",
    "\u2019": "'",
    "\u2018": "'",
    "«": '"',
    "»": '"',
    "—": "-",
    "–": "-",
    "…": "...",
    "ç": "c",
    "È": "E",
    "Ê": "E",
    "À": "A",
    "Â": "A",
    "Ô": "O",
    "Î": "I",
    "Û": "U",
}
MAX_SMS_LENGTH = 306  # two concatenated segments of 153 characters

outbox: list[SmsMessage] = []


@dataclass(frozen=True, slots=True)
class SmsMessage:
    to: str
    body: str
    reference: str = ""  # the notice number, for the provider's delivery reports


def to_gsm(text: str) -> str:
    """``text`` in the GSM 03.38 alphabet: close replacements, accents dropped where needed."""
    out = []
    for ch in text:
        if ch in GSM_BASIC or ch in GSM_EXTENDED:
            out.append(ch)
        elif ch in GSM_REPLACEMENTS:
            out.append(GSM_REPLACEMENTS[ch])
        else:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
            )
            out.append(base if base and all(c in GSM_BASIC for c in base) else "?")
    return "".join(out)


def gsm_length(text: str) -> int:
    """Length as the network counts it: extension characters take two."""
    return sum(2 if ch in GSM_EXTENDED else 1 for ch in text)


class SmsBackend(ABC):
    """The interface: ``send_messages(messages) -> int`` (how many were sent)."""

    def __init__(self, *, fail_silently: bool = False, **kwargs) -> None:
        self.fail_silently = fail_silently

    @abstractmethod
    def send_messages(self, messages: list[SmsMessage]) -> int: ...


class FileSmsBackend(SmsBackend):
    """Appends each message to ``VAR_DIR/sms/sms-YYYY-MM-DD.log`` (the day it is sent)."""

    def __init__(self, *, directory: str | Path | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if directory is None:
            from robinet import conf

            directory = conf.VAR_DIR / "sms"
        self.directory = Path(directory)

    def send_messages(self, messages: list[SmsMessage]) -> int:
        if not messages:
            return 0
        self.directory.mkdir(parents=True, exist_ok=True)
        moment = clock.now()
        path = self.directory / f"sms-{clock.today():%Y-%m-%d}.log"
        with path.open("a", encoding="utf-8") as log:
            for message in messages:
                log.write(_record(message, moment.isoformat(timespec="seconds")))
        return len(messages)


class ConsoleSmsBackend(SmsBackend):
    """Writes each message to standard output (development)."""

    def __init__(self, *, stream: TextIO | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.stream = stream

    def send_messages(self, messages: list[SmsMessage]) -> int:
        stream = self.stream or sys.stdout
        for message in messages:
            stream.write(_record(message, clock.now().isoformat(timespec="seconds")))
        stream.flush()
        return len(messages)


class LocmemSmsBackend(SmsBackend):
    """Keeps messages in :data:`outbox` (tests), like Django's locmem e-mail backend."""

    def send_messages(self, messages: list[SmsMessage]) -> int:
        outbox.extend(messages)
        return len(messages)


BACKENDS: dict[str, type[SmsBackend]] = {
    "file": FileSmsBackend,
    "console": ConsoleSmsBackend,
    "locmem": LocmemSmsBackend,
}


def get_sms_backend(name: str | None = None, **kwargs) -> SmsBackend:
    """The configured backend: ``"file"``, ``"console"``, ``"locmem"`` or a dotted path."""
    name = name or getattr(settings, "ROBINET_SMS_BACKEND", "file") or "file"
    backend = BACKENDS.get(name) or import_string(name)
    return backend(**kwargs)


def _record(message: SmsMessage, at: str) -> str:
    body = message.body.replace("\n", " ")
    return f"{at}\t{message.to}\t{message.reference}\t{body}\n"
