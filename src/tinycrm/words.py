"""Counts in words, for every message that counts things: `1 company`, `2 companies`.

Both faces and the services use it, so it imports nothing of theirs."""

from __future__ import annotations

from collections.abc import Mapping


def plural(n: int, one: str, many: str | None = None) -> str:
    """`n` with the noun it counts: `plural(1, "company")` is `1 company`, `plural(2,
    "company")` is `2 companies`. Give `many` where adding -s (a consonant's -y: -ies) is
    wrong, e.g. `plural(n, "calendar entry")` needs none but `plural(n, "match", "matches")`."""
    if n == 1:
        return f"1 {one}"
    if many is None:
        ies = one.endswith("y") and one[-2:-1] not in ("a", "e", "i", "o", "u")
        many = one[:-1] + "ies" if ies else one + "s"
    return f"{n:,} {many}"


def counted(found: Mapping[str, int]) -> str:
    """The non-zero counts of a mapping keyed by plural nouns (table names), e.g. `{"contacts":
    2, "companies": 1}` as `2 contacts, 1 company`; empty when every count is zero."""
    return ", ".join(plural(n, singular(noun), noun) for noun, n in found.items() if n)


def singular(many: str) -> str:
    """`companies` → `company`, `deals` → `deal` (the regular plurals table names have)."""
    if many.endswith("ies"):
        return many[:-3] + "y"
    return many[:-1] if many.endswith("s") else many
