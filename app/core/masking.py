"""Masking ID numbers in lists and printed rosters (110105********002X): the data of minors."""
from __future__ import annotations

import re

# an 18-character resident ID (last one a digit or X) or an old 15-digit one, not part of a longer number; a
# 学籍号 (G/J/L + the ID number) too, since it carries the ID number inside it
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])[GJL]?(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9A-Za-z])")


def mask_id(number: str) -> str:
    n = number or ""
    if len(n) <= 10:
        return n[:2] + "*" * max(0, len(n) - 4) + n[-2:] if len(n) > 4 else n
    return n[:6] + "*" * (len(n) - 10) + n[-4:]


def mask_ids_in_text(text: str) -> str:
    """Every ID number inside a free text (a history value, a rule's message) masked."""
    return _ID_IN_TEXT.sub(lambda m: mask_id(m.group(0)), text or "")
