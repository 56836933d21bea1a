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
