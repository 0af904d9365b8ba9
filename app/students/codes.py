"""Code tables (民族, 身份证件类型, 港澳台侨外 …): stored as codes, shown and exchanged as names.

The tables are data in resources/codes/codes.json; this module only looks them up.
"""
from __future__ import annotations

import json
from functools import lru_cache

from app.core.paths import resource


@lru_cache(maxsize=1)
def _tables() -> dict:
    data = json.loads(resource("codes", "codes.json").read_text(encoding="utf-8"))
    data.pop("_source", None)
    for t in data.values():
        t["by_code"] = {c: n for c, n in t["codes"]}
        lookup = {}
        for c, n in t["codes"]:
            lookup.setdefault(n, c)
            lookup.setdefault(c, c)
        for a, c in t.get("aliases", {}).items():
            lookup.setdefault(a, c)
        t["lookup"] = lookup
    return data


def table(name: str) -> dict:
    return _tables()[name]


def table_names() -> list[str]:
    return list(_tables())


def choices(name: str) -> list[tuple[str, str]]:
    return [(c, n) for c, n in _tables()[name]["codes"]]


def name_of(table_name: str, code: str) -> str:
    if not code:
        return ""
    return _tables()[table_name]["by_code"].get(code, code)


def code_of(table_name: str, value: str) -> str | None:
    """The code for a name, code or alias; None when unknown. Empty input gives ''."""
    v = (value or "").strip()
    if not v:
        return ""
    t = _tables()[table_name]
    if v in t["lookup"]:
        return t["lookup"][v]
    # Excel may give "1.0" for a numeric code cell, or drop a leading zero ("1" for "01")
    if v.endswith(".0") and v[:-2].isdigit():
        v = v[:-2]
    if v in t["lookup"]:
        return t["lookup"][v]
    if v.isdigit():
        for c in t["by_code"]:
            if c.isdigit() and int(c) == int(v) and len(c) > len(v):
                return c
    return None
