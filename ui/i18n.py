"""The UI's one translation catalog: ``tr("key", **kw)`` looks ``key`` up in
resources/i18n/<locale>.json (zh_CN by default) and fills ``{placeholders}`` from ``kw``.

A key missing from the catalog is a programming error and fails loudly (KeyError), like Anki's
generated ``tr.*`` accessors; tests/test_ui_i18n.py checks every ``tr("…")`` literal in ui/.
Texts that come from data files (field headers, code names, rule messages) are not UI strings
and are shown as they are.
"""
from __future__ import annotations

import json
from functools import lru_cache

from app.paths import resource

DEFAULT_LOCALE = "zh_CN"
_locale = DEFAULT_LOCALE


@lru_cache(maxsize=4)
def catalog(locale: str = DEFAULT_LOCALE) -> dict[str, str]:
    data = json.loads(resource("i18n", f"{locale}.json").read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def set_locale(locale: str) -> None:
    global _locale
    _locale = locale


def tr(key: str, /, **kw) -> str:
    text = catalog(_locale)[key]
    return text.format(**kw) if kw else text


def has(key: str) -> bool:
    return key in catalog(_locale)
