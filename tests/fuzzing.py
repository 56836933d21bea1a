"""Damaged files for the importers' fuzz tests (issue 13): a valid sample with bytes changed,
cut, inserted, the end cut off, or meaningful junk (``junk``) slipped in."""

from collections.abc import Sequence

from hypothesis import strategies as st


def damage(draw, sample: bytes, junk: Sequence[bytes] = (), *, longest_cut: int = 30) -> bytes:
    """One to four random damages to ``sample`` (call from a ``@st.composite``)."""
    kinds = ["flip", "cut", "insert", "truncate"] + (["junk"] if junk else [])
    data = bytearray(sample)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(kinds))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at : at + draw(st.integers(1, longest_cut))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=20))
        elif kind == "junk":
            data[at:at] = draw(st.sampled_from(list(junk)))
        else:
            del data[at:]
    return bytes(data)


def import_or_refuse(do_import, counts):
    """Run ``do_import()``: a refusal (``ApplicationError``) must say what is wrong — each
    problem placed and explained — and leave ``counts()`` as they were. Anything else raised
    fails the test. Returns ``(result, refusal, counts before)``."""
    from robinet.core.exceptions import ApplicationError
    from robinet.core.imports import InvalidImportFile

    before = counts()
    try:
        result = do_import()
    except ApplicationError as error:
        refusal = error
    else:
        return result, None, before
    assert str(refusal.message).strip()
    if isinstance(refusal, InvalidImportFile):
        assert refusal.issues
        for issue in refusal.issues:  # each problem is placed: a line (and column) or the file
            assert issue.message.strip()
            assert issue.line is None or issue.line >= 1
    if refusal.fields:
        assert all(str(m).strip() for ms in refusal.fields.values() for m in ms)
    assert counts() == before  # nothing half-written
    return None, refusal, before
