"""The one translation catalog for every user-facing text, in app/, db/ and ui/ alike:
``tr("key", **kw)`` looks ``key`` up in resources/i18n/<locale>.json (zh_CN by default) and fills
``{placeholders}`` from ``kw``. No Qt here: the CLI and the services use it without a display, and
ui/common/i18n.py re-exports it.

A key missing from the catalog is a programming error and fails loudly (KeyError), like Anki's
generated ``tr.*`` accessors; tests/house/test_i18n_catalog.py checks every ``tr("…")`` literal in app/, db/
and ui/ (tests/house/test_ui_i18n.py the UI's built keys). Texts that come from data files (field headers,
code names, rule messages) are not UI strings and are shown as they are.

Cost: the file is read once per locale (cached); ``tr`` is one dict lookup, plus ``str.format`` when
placeholders are given, so it is cheap enough for the importer's per-row messages.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import lru_cache

from app.core.paths import resource

DEFAULT_LOCALE = "zh_CN"
_locale = DEFAULT_LOCALE
_texts: dict[str, str] | None = None  # catalog(_locale), filled on first use


@lru_cache(maxsize=4)
def catalog(locale: str = DEFAULT_LOCALE) -> dict[str, str]:
    data = json.loads(resource("i18n", f"{locale}.json").read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def set_locale(locale: str) -> None:
    global _locale, _texts
    _locale = locale
    _texts = None


def _current() -> dict[str, str]:
    global _texts
    if _texts is None:
        _texts = catalog(_locale)
    return _texts


def tr(key: str, /, **kw) -> str:
    text = (_texts if _texts is not None else _current())[key]
    return text.format(**kw) if kw else text


def has(key: str) -> bool:
    return key in _current()


class Names(Mapping):
    """A read-only table whose values are catalog texts, looked up when read (so :func:`set_locale`
    applies): ``Names({"primary": "school.stage.primary"})["primary"]`` == ``tr("school.stage.primary")``."""

    def __init__(self, keys: dict):
        self._keys = dict(keys)

    def __getitem__(self, item) -> str:
        return tr(self._keys[item])

    def __contains__(self, item) -> bool:
        return item in self._keys

    def __iter__(self) -> Iterator:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"Names({dict(self)!r})"
