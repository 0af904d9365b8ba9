"""The tests' one maker of valid GB 11643 citizen ID numbers. No import from app/: the scripted CLI session
(tests/cli_golden.py) uses it too and must not depend on where app/ keeps things."""
from __future__ import annotations

import datetime as dt

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
DIVISION = "110105"  # 北京市朝阳区 (in resources/divisions)


def _date(birth) -> dt.date:
    if isinstance(birth, dt.date):
        return birth
    s = str(birth).replace("-", "")
    return dt.date(int(s[:4]), int(s[4:6]), int(s[6:8]))


def check_char(first17: str) -> str:
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def make_id_number(birth, seq: int, division: str = DIVISION) -> str:
    """``division`` + the birth date (YYYYMMDD, or a date / YYYY-MM-DD) + the 3-digit sequence code ``seq``
    (mod 1000; odd: male, even: female) + the check character."""
    first17 = f"{division}{_date(birth):%Y%m%d}{seq % 1000:03d}"
    return first17 + check_char(first17)
