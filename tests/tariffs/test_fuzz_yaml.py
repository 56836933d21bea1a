"""A damaged tariff file (issue 13, BILL-1a): characters changed, lines cut, swapped or
duplicated in a valid YAML tariff give either a tariff or a refusal naming fields — never a
crash (``robinet tariffs import`` and the YAML editor both go through ``parse_document``)."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from robinet.core.exceptions import ValidationFailed
from robinet.tariffs.services import parse_document

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "tariffs"
TEXTS = [path.read_text(encoding="utf-8") for path in sorted(EXAMPLES.glob("*.yaml"))]


@st.composite
def damaged(draw) -> str:
    lines = draw(st.sampled_from(TEXTS)).splitlines()
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["char", "drop", "duplicate", "swap", "value"]))
        line = lines[at]
        if kind == "char" and line:
            i = draw(st.integers(0, len(line) - 1))
            lines[at] = line[:i] + draw(st.characters()) + line[i + 1 :]
        elif kind == "drop":
            del lines[at]
        elif kind == "duplicate":
            lines.insert(at, line)
        elif kind == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], line
        elif ":" in line:
            key = line.split(":", 1)[0]
            value = draw(
                st.sampled_from(
                    ["", "-1", "1e400", "abc", "[]", "{}", "null", "2026-13-45", "0.0000001"]
                )
            )
            lines[at] = f"{key}: {value}"
    return "\n".join(lines)


def test_the_examples_are_valid_tariffs():
    assert TEXTS
    for text in TEXTS:
        assert parse_document(text) is not None


@settings(max_examples=300, deadline=None)
@given(text=damaged())
def test_a_damaged_tariff_is_read_or_refused_by_field(text):
    refusal = None
    try:
        parse_document(text)
    except ValidationFailed as error:
        refusal = error
    if refusal is not None:
        assert refusal.fields  # each problem is tied to a field path (or "document")
        assert all(messages for messages in refusal.fields.values())


def test_bill_1a_an_impossible_date_is_refused_not_a_crash():
    """Found by the fuzzer above: the YAML loader itself fails on « 2026-13-45 »."""
    text = TEXTS[0].replace("valid_from: 2026-01-01", "valid_from: 2026-13-45", 1)
    assert text != TEXTS[0]
    with pytest.raises(ValidationFailed) as refusal:
        parse_document(text)
    assert "impossible" in str(refusal.value.fields)
