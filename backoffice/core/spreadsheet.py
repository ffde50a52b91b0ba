"""Cells that a spreadsheet will not run: the rule every CSV or XLSX export follows.

A spreadsheet reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some,
a tab, a carriage return or a NUL) as a formula, so a book title or an author's name typed
by anyone could run as one on the machine of the librarian who opens an export. Following
the OWASP convention, such a text cell gets a leading single quote: every spreadsheet then
shows it as the text it is, and the quote itself stays hidden.

Only text is changed. Numbers, dates and booleans written by us are values, not text: a
negative number stays a number. django-import-export's own switch
(``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT``) is not used: it only strips a leading ``=``
(changing the data, and missing ``+``, ``-``, ``@``) and turns every cell into a string.
"""

from collections.abc import Iterable
from typing import Any

# What a spreadsheet may take as the start of a formula (OWASP "CSV Injection"; ASVS
# V1.2 adds NUL).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
QUOTE = "'"


def formula_safe(value: Any) -> Any:
    """``value`` as a spreadsheet cell that cannot start a formula.

    Text starting with a trigger character gets a leading single quote; anything else,
    text or not, is returned as it is.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return QUOTE + value
    return value


def formula_safe_row(row: Iterable[Any]) -> list[Any]:
    """A row for ``csv.writer`` (or a tablib dataset) with every cell made safe."""
    return [formula_safe(value) for value in row]


def formula_restore(value: Any) -> Any:
    """The text a cell written by ``formula_safe`` stands for: its quote taken off again.

    Only a quote followed by a trigger character is ours, so a file exported and imported
    back gives the same text, and exporting it again gives the same cell. A spreadsheet
    reads a typed ``'=1`` the same way: as the text ``=1``.
    """
    if isinstance(value, str) and value[:1] == QUOTE and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value
