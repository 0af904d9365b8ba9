"""Student record states (resources/statuses.json, rules-digest §4.1): names and which count in a class."""
from __future__ import annotations

import json
from functools import lru_cache

from app.core.paths import resource


@lru_cache(maxsize=1)
def _statuses() -> dict[str, dict]:
    data = json.loads(resource("statuses.json").read_text(encoding="utf-8"))
    return {s["code"]: s for s in data["statuses"]}


def name(code: str) -> str:
    return _statuses().get(code, {}).get("name", code)


def all_codes() -> list[str]:
    return list(_statuses())


def active_codes() -> tuple[str, ...]:
    return tuple(c for c, s in _statuses().items() if s["active"])


def in_class_codes() -> tuple[str, ...]:
    return tuple(c for c, s in _statuses().items() if s["in_class"])


def code_for(text: str) -> str | None:
    for c, s in _statuses().items():
        if text in (c, s["name"], s["state"]):
            return c
    return None
