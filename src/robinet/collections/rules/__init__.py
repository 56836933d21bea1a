"""Legal rule packs per jurisdiction (COLL-1, COLL-4, COLL-10).

A pack is chosen by the procedure's ``jurisdiction`` code. Each rule is a
small unit with an id and the legal source it applies; every notice records
the ids of the rules that allowed and shaped it.
"""

from __future__ import annotations

from robinet.collections.policy import RulePack
from robinet.collections.rules.france import FrancePack

PACKS: dict[str, type[RulePack]] = {"FR": FrancePack}


def pack_for(jurisdiction: str, **parameters) -> RulePack:
    try:
        return PACKS[jurisdiction](**parameters)
    except KeyError:
        raise ValueError(f"no rule pack for jurisdiction {jurisdiction!r}") from None


def catalogue() -> list[dict[str, str]]:
    """Every rule of every pack, for the documentation screen and the notices."""
    return [
        {"jurisdiction": code, "id": rule.id, "source": rule.source, "summary": rule.summary}
        for code, pack in PACKS.items()
        for rule in pack().rules()
    ]
