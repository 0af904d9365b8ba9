"""The national 学籍号 (CNSSIS student number): this module owns normalising and validating G/J/L numbers
(national-system.md §1.2). 19 characters = prefix + 18-character body:

* G — 正式学籍号: ``G`` + the student's 18-digit 身份证件号 (full ID validation via :mod:`app.students.idcard`);
  normally equal to the student's 身份证件号, but may differ (e.g. the ID number changed) -> warning only.
* J — 正式学籍号 for students without a usable ID number: 6-digit 区划码 + 8-digit birth date + 3-digit sequence
  + MOD 11-2 check digit; the birth date must equal the student's 出生日期.
* L — 临时学籍号: 6-digit 区划码 + 8-digit birth date + 4 random digits; the check digit is not enforced.

The national system issues these numbers; the app stores them and never generates one. Pure Python, no Qt.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field

from app.core.i18n import tr
from app.students.idcard import IdError, check_digit, normalize_id, parse_id


@dataclass(frozen=True)
class XjhInfo:
    prefix: str  # 'G' | 'J' | 'L'
    body: str  # the 18 characters after the prefix
    warnings: list[str] = field(default_factory=list)  # registrar-facing Chinese texts, not refusals
    number: str = ""  # the normalised 19-character 学籍号
    birth_date: _dt.date | None = None  # decoded from the body


class XjhError(ValueError):
    """A refused 学籍号; ``code`` is stable, ``message`` is for the registrar (``detail``: underlying IdError code)."""

    def __init__(self, code: str, message: str, detail: str | None = None):
        self.code = code
        self.message = message
        self.detail = detail
        super().__init__(message)

    def __repr__(self) -> str:
        return f"XjhError({self.code!r}, {self.message!r})"


def normalize_xjh(s: str) -> str:
    """Strip spaces, full-width to ASCII, upper case (g -> G, x -> X)."""
    return normalize_id(s)


def _as_date(v) -> _dt.date | None:
    if v is None or v == "":
        return None
    if isinstance(v, _dt.datetime):
        return v.date()
    if isinstance(v, _dt.date):
        return v
    digits = re.sub(r"\D", "", str(v))
    if len(digits) != 8:
        raise ValueError(f"birth_date must be a date or YYYYMMDD / YYYY-MM-DD text, got {v!r}")
    return _dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))


def _body_date(n: str) -> _dt.date:
    raw = n[7:15]  # body positions 7-14
    try:
        d = _dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        d = None
    if d is None or d.year < 1900:
        raise XjhError("xjh_birth_date", tr("xjh.bad_birth_date", number=n, date=f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"))
    if d > _dt.date.today():
        raise XjhError("xjh_birth_date", tr("xjh.future_birth", number=n, date=d.isoformat()))
    return d


def _same_birth(n: str, d: _dt.date, birth: _dt.date | None) -> None:
    if birth is not None and d != birth:
        raise XjhError("xjh_birth_mismatch",
                       tr("xjh.birth_mismatch", number=n, date=d.isoformat(), birth=birth.isoformat()))


def parse_xjh(s: str, *, id_number: str | None = None, birth_date=None) -> XjhInfo:
    """Validate a 学籍号; raises :class:`XjhError`.

    ``id_number``: the student's 身份证件号 (G only: a different body is a warning).
    ``birth_date``: the student's 出生日期 (``date`` or ``"YYYYMMDD"``/``"YYYY-MM-DD"``); J/L bodies must match it,
    a G body that differs gives a warning.
    """
    n = normalize_xjh(s)
    birth = _as_date(birth_date)
    if not n:
        raise XjhError("xjh_empty", tr("xjh.empty"))
    if n[0] not in "GJL":
        hint = tr("xjh.prefix_looks_like_id") if len(n) == 18 and n[0].isdigit() else ""
        raise XjhError("xjh_prefix", tr("xjh.prefix", got=n[0], hint=hint))
    if len(n) != 19:
        raise XjhError("xjh_length", tr("xjh.length", length=len(n)))
    prefix, body = n[0], n[1:]
    if not re.fullmatch(r"[0-9]{17}[0-9X]", body):
        raise XjhError("xjh_chars", tr("xjh.chars", number=n, prefix=prefix))
    warnings: list[str] = []

    if prefix == "G":
        try:
            info = parse_id(body)
        except IdError as e:
            raise XjhError("xjh_g_body", tr("xjh.g_body", reason=e.message), e.code) from e
        d = info.birth_date
        if id_number:
            idn = normalize_id(id_number)
            if idn != body:
                warnings.append(tr("xjh.g_differs_from_id", number=n, id_number=idn))
        if birth is not None and d is not None and d != birth:
            warnings.append(tr("xjh.g_birth_differs", number=n, date=d.isoformat(), birth=birth.isoformat()))
        return XjhInfo(prefix, body, warnings, n, d)

    d = _body_date(n)
    if prefix == "J":
        want = check_digit(body[:17])
        if body[17] != want:
            raise XjhError("xjh_check_digit",
                           tr("xjh.check_digit", number=n, want=want, got=body[17]))
        _same_birth(n, d, birth)
    else:  # L: 4 random digits, no guaranteed check digit
        _same_birth(n, d, birth)
        if body[17] == "X":
            warnings.append(tr("xjh.l_ends_with_x", number=n))
    return XjhInfo(prefix, body, warnings, n, d)


def is_valid_xjh(s: str, **kw) -> bool:
    try:
        parse_xjh(s, **kw)
        return True
    except XjhError:
        return False
