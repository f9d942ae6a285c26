"""CSV cells and spreadsheets: a cell starting with = + - @ tab or CR is run as a formula by
Excel and friends (CSV injection), so exports quote it, and imports undo the quote."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet run a cell as a formula (OWASP CSV injection)."""
_FORMULA_FIRST = frozenset(FORMULA_STARTS)
_QUOTE_NEXT = frozenset((*FORMULA_STARTS, "'"))


def neutralise_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text instead of running it as a formula.

    A cell starting with = + - @ tab or CR gets a `'` in front. So that the change can be
    undone exactly, a cell that already starts with `'` followed by one of those (or by
    another `'`) gets one too; `restore_cell` removes it.
    """
    if text[:1] in _FORMULA_FIRST or (text[:1] == "'" and text[1:2] in _QUOTE_NEXT):
        return "'" + text
    return text


def restore_cell(text: str) -> str:
    """The value `neutralise_cell` was given (for an importer reading our own CSV)."""
    if text[:1] == "'" and text[1:2] in _QUOTE_NEXT:
        return text[1:]
    return text
