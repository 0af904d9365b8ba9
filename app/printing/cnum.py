"""Dates and numbers as certificates write them.

Styles (a template names one after a colon: ``{issue_date:cn_ym}``):
  cn_ymd   二〇二六年七月一日      (Chinese numerals, 〇 for zero — certificates.md §1.8)
  cn_ym    二〇二六年七月
  cn_y     二〇二六
  ymd      2026年7月1日          (GB/T 9704 style: Arabic numerals, no zero padding)
  ym       2026年7月
  y / m / d  2026 / 7 / 1
  iso      2026-07-01 (for registers only; never on a certificate)
  ymd8     20260701
Input dates are ISO ``YYYY-MM-DD``, ``YYYYMMDD``, ``YYYYMM`` or ``YYYY-MM``; a missing part prints
nothing rather than a wrong value.
"""
from __future__ import annotations

import datetime as dt
import re

DIGITS = "\u3007\u4e00\u4e8c\u4e09\u56db\u4e94\u516d\u4e03\u516b\u4e5d"  # 〇一二三四五六七八九
TEN = "\u5341"  # 十
Y, M, D = "\u5e74", "\u6708", "\u65e5"  # 年 月 日

STYLES = ("cn_ymd", "cn_ym", "cn_y", "cn_m", "cn_d", "ymd", "ym", "y", "m", "d", "iso", "ymd8", "ym6")


def cn_digits(n: int | str) -> str:
    """Digit by digit: 2026 → 二〇二六."""
    return "".join(DIGITS[int(c)] for c in str(n))


def cn_small(n: int) -> str:
    """1–99 as counted: 7 → 七, 10 → 十, 12 → 十二, 20 → 二十, 31 → 三十一."""
    if not 0 < n < 100:
        return cn_digits(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return DIGITS[ones]
    head = "" if tens == 1 else DIGITS[tens]
    return head + TEN + (DIGITS[ones] if ones else "")


_ISO = re.compile(r"^(\d{4})(?:-?(\d{1,2}))?(?:-?(\d{1,2}))?")


def parse(value) -> tuple[int | None, int | None, int | None]:
    """(year, month, day) from a date, ISO text, YYYYMMDD or YYYYMM; parts not given are None."""
    if value is None or value == "":
        return None, None, None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.year, value.month, value.day
    s = str(value).strip()
    if re.fullmatch(r"\d{8}", s):
        return int(s[:4]), int(s[4:6]), int(s[6:8])
    if re.fullmatch(r"\d{6}", s):
        return int(s[:4]), int(s[4:6]), None
    m = _ISO.match(s)
    if not m:
        return None, None, None
    y, mo, d = m.groups()
    return int(y), int(mo) if mo else None, int(d) if d else None


def fmt_date(value, style: str) -> str:
    y, m, d = parse(value)
    if y is None:
        return ""
    if style == "cn_ymd":
        return cn_digits(y) + Y + (cn_small(m) + M if m else "") + (cn_small(d) + D if m and d else "")
    if style == "cn_ym":
        return cn_digits(y) + Y + (cn_small(m) + M if m else "")
    if style == "cn_y":
        return cn_digits(y)
    if style == "cn_m":
        return cn_small(m) if m else ""
    if style == "cn_d":
        return cn_small(d) if d else ""
    if style == "ymd":
        return f"{y}{Y}" + (f"{m}{M}" if m else "") + (f"{d}{D}" if m and d else "")
    if style == "ym":
        return f"{y}{Y}" + (f"{m}{M}" if m else "")
    if style == "y":
        return str(y)
    if style == "m":
        return str(m) if m else ""
    if style == "d":
        return str(d) if d else ""
    if style == "iso":
        return f"{y:04d}" + (f"-{m:02d}" if m else "") + (f"-{d:02d}" if m and d else "")
    if style == "ymd8":
        return f"{y:04d}{m or 0:02d}{d or 0:02d}" if m and d else ""
    if style == "ym6":
        return f"{y:04d}{m:02d}" if m else ""
    raise ValueError(style)
