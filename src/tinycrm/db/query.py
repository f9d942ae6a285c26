"""Small pieces every list query uses: sorting by a user's `--sort` and paging."""

from __future__ import annotations

from typing import Any

from tinycrm.errors import InvalidInput


def order_by(spec: str, columns: dict[str, Any], *, field: str = "sort") -> list[Any]:
    """`name` or `-amount,name` as ORDER BY clauses, newest id last to keep order stable."""
    clauses: list[Any] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        desc = part.startswith("-")
        key = part.lstrip("+-")
        if key not in columns:
            raise InvalidInput(field, spec, f"unknown field (one of: {', '.join(columns)})")
        column = columns[key]
        clauses.append(column.desc().nulls_last() if desc else column.asc().nulls_last())
    return clauses


def check_limit(limit: int | None) -> int | None:
    if limit is not None and limit < 0:
        raise InvalidInput("limit", limit, "must not be negative")
    return limit
