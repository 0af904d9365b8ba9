"""Formula neutralising for every spreadsheet Xueji writes (cells that would start with ``=``, ``+``,
``-`` or ``@`` are neutralised in exported spreadsheets).

A text cell that a spreadsheet program could take for a formula when it is opened, re-typed (F2 + Enter),
pasted or saved as CSV gets one leading apostrophe, the mark Excel, WPS and LibreOffice themselves use for
"this is text". The triggers are ``= + - @`` and the tab and carriage return some programs skip before
parsing. Our own importers (app/exchange/template_io) take exactly that apostrophe off again, so export →
import gives back the same text. To keep that lossless for a value that itself begins with an apostrophe
followed by a trigger or another apostrophe (``'=x``, ``''``), such a value gets the apostrophe too.
Choice and reasons: docs/decisions.md "Formula neutralising in exported spreadsheets".
"""
from __future__ import annotations

TRIGGERS = frozenset("=+-@\t\r")
MARK = "'"
_ESCAPED = TRIGGERS | {MARK}


def safe_cell(value):
    """``value`` as it goes into a written cell: text that could be read as a formula gets a leading ``'``.
    Anything that is not a non-empty string is returned as it is."""
    if not isinstance(value, str) or not value:
        return value
    first = value[0]
    if first in TRIGGERS or (first == MARK and len(value) > 1 and value[1] in _ESCAPED):
        return MARK + value
    return value


def safe_row(row):
    """A row of cells through ``safe_cell`` (the same list when nothing needs the mark: the common case)."""
    for v in row:
        if v and isinstance(v, str) and (v[0] in TRIGGERS or v[0] == MARK):
            return [safe_cell(x) for x in row]
    return row


def unneutralise(value):
    """The importer's half: a read cell ``'`` + (a trigger or ``'``) loses exactly that first ``'``."""
    if isinstance(value, str) and len(value) > 1 and value[0] == MARK and value[1] in _ESCAPED:
        return value[1:]
    return value
