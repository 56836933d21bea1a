"""NAF rév. 2 sub-classes (the APE code of a business), read once from ``data/naf.csv``."""

import csv
import io
import re
from functools import cache
from importlib.resources import files

_CANONICAL = re.compile(r"\d{2}\.\d{2}[A-Z]")
# What people and registries write: "84.11Z", "8411Z", "84.11 z", "84 11Z".
_LOOSE = re.compile(r"(\d{2})[.\s]?(\d{2})\s?([A-Za-z])")


@cache
def _labels() -> dict[str, str]:
    text = (files(__package__) / "data" / "naf.csv").read_text(encoding="utf-8")
    return {row["code"]: row["label"] for row in csv.DictReader(io.StringIO(text))}


def naf_normalize(code: str) -> str | None:
    """The official ``NN.NNA`` form of a NAF code (``"8411z"`` → ``"84.11Z"``), None if unknown."""
    match = _LOOSE.fullmatch((code or "").strip())
    if not match:
        return None
    canonical = f"{match[1]}.{match[2]}{match[3].upper()}"
    return canonical if canonical in _labels() else None


def naf_is_valid(code: str) -> bool:
    """Whether ``code`` is an official sub-class written exactly as ``NN.NNA`` (``"84.11Z"``).

    Strict on purpose, for validating stored values: pass user input through
    :func:`naf_normalize` first.
    """
    return bool(_CANONICAL.fullmatch(code or "")) and code in _labels()


def naf_get(code: str) -> str | None:
    """The French label of a NAF sub-class, in any form :func:`naf_normalize` accepts."""
    canonical = naf_normalize(code)
    return _labels()[canonical] if canonical else None


def naf_choices() -> list[tuple[str, str]]:
    """All ``(code, "code – label")`` pairs in code order, for a form's select."""
    return [(code, f"{code} – {label}") for code, label in _labels().items()]
