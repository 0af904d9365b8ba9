"""Masking ID numbers in lists and printed rosters (110105********002X): the data of minors."""
from __future__ import annotations


def mask_id(number: str) -> str:
    n = number or ""
    if len(n) <= 10:
        return n[:2] + "*" * max(0, len(n) - 4) + n[-2:] if len(n) > 4 else n
    return n[:6] + "*" * (len(n) - 10) + n[-4:]
