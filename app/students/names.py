"""Personal names: normalisation, validation (CJK incl. Ext-B such as 𠮷, the minority-name middle
dot), and the full pinyin / initials used by search-as-you-type."""
from __future__ import annotations

import re
import unicodedata

from app.core.i18n import tr

MIDDLE_DOT = "\u00b7"
_DOT_VARIANTS = "\u2022\u2027\u30fb\uff0e\u2219\u22c5\u0387\uff65.\u00b7"
_CJK_RANGES = (
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2A6DF), (0x2A700, 0x2EBEF),
    (0x2EBF0, 0x2EE5F), (0x2F800, 0x2FA1F), (0x30000, 0x3134F), (0x31350, 0x323AF), (0x3007, 0x3007),
)


def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return any(a <= o <= b for a, b in _CJK_RANGES)


def normalize_name(s: str) -> str:
    s = unicodedata.normalize("NFC", (s or "").strip())
    s = re.sub(r"\s+", " ", s)
    s = "".join(MIDDLE_DOT if c in _DOT_VARIANTS else c for c in s)
    # full-width Latin letters → ASCII (foreign names written in Latin letters)
    s = "".join(chr(ord(c) - 0xFEE0) if "\uff21" <= c <= "\uff5a" else c for c in s)
    if any(is_cjk(c) for c in s):
        s = re.sub(r"\s*" + MIDDLE_DOT + r"\s*", MIDDLE_DOT, s).replace(" ", "")
    return s


def name_problem(s: str) -> str | None:
    """None when the (normalised) name is acceptable, else the reason in Chinese."""
    if not s:
        return tr("name.empty")
    if any(c.isdigit() for c in s):
        return tr("name.digits")
    for c in s:
        if is_cjk(c) or c == MIDDLE_DOT or ("A" <= c <= "Z") or ("a" <= c <= "z") or c == " ":
            continue
        return tr("name.bad_char", char=c, codepoint=ord(c))
    if s.startswith(MIDDLE_DOT) or s.endswith(MIDDLE_DOT) or MIDDLE_DOT * 2 in s:
        return tr("name.middle_dot")
    if len(s) > 50:
        return tr("name.too_long")
    return None


_extra_loaded = False


def _load_extra() -> None:
    """Teach pypinyin the readings in resources/pinyin_extra.json (rare name characters such as 𠮷)."""
    global _extra_loaded
    if _extra_loaded:
        return
    import json

    from pypinyin import load_single_dict

    from app.core.paths import resource

    data = json.loads(resource("pinyin_extra.json").read_text(encoding="utf-8"))
    load_single_dict({ord(k): v for k, v in data.items() if not k.startswith("_")})
    _extra_loaded = True


def pinyin_of(name: str) -> tuple[str, str]:
    """(full pinyin without spaces, initials), lower case; characters without pinyin are kept."""
    from pypinyin import Style, lazy_pinyin

    _load_extra()
    parts = lazy_pinyin(name.replace(MIDDLE_DOT, ""), style=Style.NORMAL, errors=lambda x: list(x))
    parts = [p.lower() for p in parts if p.strip()]
    return "".join(parts), "".join(p[0] for p in parts)
