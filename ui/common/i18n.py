"""The UI's one translation catalog: ``tr("key", **kw)`` looks ``key`` up in
resources/i18n/<locale>.json (zh_CN by default) and fills ``{placeholders}`` from ``kw``.

A key missing from the catalog is a programming error and fails loudly (KeyError), like Anki's
generated ``tr.*`` accessors; tests/house/test_ui_i18n.py checks every ``tr("…")`` literal in ui/.
Texts that come from data files (field headers, code names, rule messages) are not UI strings
and are shown as they are.

The catalog is shared with app/ and db/ and lives in app/core/i18n.py (no Qt); this module re-exports it
so the UI keeps importing ``from ui.common.i18n import tr``.
"""
from __future__ import annotations

from app.core.i18n import DEFAULT_LOCALE, Names, catalog, has, set_locale, tr

__all__ = ["DEFAULT_LOCALE", "Names", "catalog", "has", "set_locale", "tr"]
