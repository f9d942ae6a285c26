"""CSV cells and spreadsheets: a cell starting with = + - @ tab or CR is run as a formula by
Excel and friends (CSV injection), so every CSV tinycrm writes quotes it (`safe_cell`, applied
by `csv_write.CsvWriter`), and imports undo the quote."""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet run a cell as a formula (OWASP CSV injection)."""
_FORMULA_FIRST = frozenset(FORMULA_STARTS)
_QUOTE_NEXT = frozenset((*FORMULA_STARTS, "'"))
_NEGATIVE_NUMBER = re.compile(r"-[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
"""`-12.50`, `-5`, `-1e-05`: a spreadsheet reads it as the number it is, never as a formula."""


def safe_cell(text: str) -> str:
    """The one rule for a cell of any CSV tinycrm writes: `neutralise_cell`, except that a
    plain negative number (`-12.50`, as amounts and rates print) stays a number.

    `restore_cell` undoes it: a number never starts with `'`."""
    if text[:1] == "-" and _NEGATIVE_NUMBER.fullmatch(text):
        return text
    return neutralise_cell(text)


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
