"""Working days: weekdays minus statutory holidays plus the official make-up days (调休).

Sources, strongest first: the archive's ``calendar_days`` table (what the registrar entered or
imported from the State Council's yearly notice; the latest entry for a date wins), then the
``chinesecalendar`` library (which knows 2004–2026 in the pinned version), then plain weekdays.
For a year neither knows, :func:`calendar_known` is False and callers say so (deadlines carry a NOTE).

Counting convention (used by every deadline): "within N working days after D" ends on
``add_working_days(conn, D, N)`` — D itself is not counted, the N-th working day after it is the
last allowed day. ``working_days_between(conn, a, b)`` counts working days in (a, b], so
``working_days_between(conn, d, add_working_days(conn, d, n)) == n``.
"""
from __future__ import annotations

import calendar as _cal
import csv
import datetime as _dt
from pathlib import Path

import chinese_calendar as _cc
from chinese_calendar import constants as _ccc

from app.core.errors import Finding, Refused
from app.core.i18n import tr
from app.core import workdays_store as wq

KINDS = ("holiday", "workday")
_LIB_YEARS = ({d.year for d in _ccc.holidays} | {d.year for d in _ccc.workdays})
_MAX_SPAN_DAYS = 366 * 20  # a guard against a runaway loop (n huge)


def _as_date(d) -> _dt.date:
    if isinstance(d, _dt.datetime):
        return d.date()
    if isinstance(d, _dt.date):
        return d
    return _dt.date.fromisoformat(str(d).strip())


def _library_is_workday(d: _dt.date) -> bool | None:
    if d.year not in _LIB_YEARS:
        return None
    try:
        return _cc.is_workday(d)
    except NotImplementedError:
        return None


class _Year:
    """One year's answers, read once per call: the archive's entries, then the library, then weekdays."""

    def __init__(self, conn, year: int):
        self.overrides = wq.calendar_overrides(conn, f"{year:04d}-01-01", f"{year:04d}-12-31")

    def is_working(self, d: _dt.date) -> bool:
        o = self.overrides.get(d.isoformat())
        if o is not None:
            return o["kind"] == "workday"
        lib = _library_is_workday(d)
        if lib is not None:
            return lib
        return d.weekday() < 5


class _Cal:
    def __init__(self, conn):
        self.conn = conn
        self.years: dict[int, _Year] = {}

    def is_working(self, d: _dt.date) -> bool:
        y = self.years.get(d.year)
        if y is None:
            y = self.years[d.year] = _Year(self.conn, d.year)
        return y.is_working(d)


def is_working_day(conn, d) -> bool:
    d = _as_date(d)
    return _Year(conn, d.year).is_working(d)


def add_working_days(conn, start, n: int) -> _dt.date:
    """The n-th working day after ``start`` (``start`` itself not counted); n < 0 goes back; n == 0 → start."""
    d = _as_date(start)
    if n == 0:
        return d
    cal = _Cal(conn)
    step = _dt.timedelta(days=1 if n > 0 else -1)
    left = abs(n)
    for _ in range(_MAX_SPAN_DAYS):
        d += step
        if cal.is_working(d):
            left -= 1
            if left == 0:
                return d
    raise ValueError(n)


def working_days_between(conn, a, b) -> int:
    """Working days in (a, b]; negative when b is before a."""
    a, b = _as_date(a), _as_date(b)
    if b < a:
        return -working_days_between(conn, b, a)
    cal = _Cal(conn)
    count = 0
    d = a
    while d < b:
        d += _dt.timedelta(days=1)
        if cal.is_working(d):
            count += 1
    return count


def add_months(d, n: int) -> _dt.date:
    """Same day n calendar months later (earlier for n < 0); a day the month lacks becomes its last day
    (31 Jan + 1 month = 28/29 Feb)."""
    d = _as_date(d)
    m = d.month - 1 + n
    y, m = d.year + m // 12, m % 12 + 1
    return _dt.date(y, m, min(d.day, _cal.monthrange(y, m)[1]))


def calendar_known(conn, year: int) -> bool:
    """True when the library knows the year, or the registrar has entered its holidays."""
    return year in _LIB_YEARS or wq.calendar_holiday_count(conn, int(year)) > 0


def calendar_source(conn, year: int) -> str:
    """'archive' (the registrar's entries), 'library', or 'weekdays' (nothing known: plain weekdays)."""
    if wq.calendar_holiday_count(conn, int(year)) > 0:
        return "archive"
    return "library" if year in _LIB_YEARS else "weekdays"


# --- the registrar's table -------------------------------------------------------------------

def _check_entry(d, kind, row=None, field_date=None, field_kind=None) -> tuple[_dt.date | None, list[Finding]]:
    bad = []
    day = None
    try:
        day = _as_date(d)
    except (TypeError, ValueError):
        bad.append(Finding("calendar.bad_date", tr("calendar.bad_date", value=d),
                           field=field_date or tr("calendar.col_date"), row=row))
    if kind not in KINDS:
        bad.append(Finding("calendar.bad_kind", tr("calendar.bad_kind", value=kind),
                           field=field_kind or tr("calendar.col_kind"), row=row))
    return day, bad


def set_calendar_day(session, d, kind: str, name: str = "", *, source: str = "") -> dict:
    """Record that date ``d`` is a holiday or a working day (overrides the library). One transaction."""
    day, bad = _check_entry(d, _kind(kind))
    if bad:
        raise Refused(bad)
    with session.transaction():
        wq.insert_calendar_day(session.conn, day.isoformat(), _kind(kind), (name or "").strip(),
                               source or "manual", session.user)
    return {"date": day.isoformat(), "kind": _kind(kind), "name": (name or "").strip()}


def _kind(kind) -> str:
    k = str(kind or "").strip().lower()
    aliases = {tr("calendar.kind.holiday"): "holiday", tr("calendar.kind.workday"): "workday"}
    return aliases.get(str(kind or "").strip(), k)


def calendar_days(session, year: int) -> list[dict]:
    """Every date of ``year`` that is not a plain weekday/weekend, or that the registrar entered:
    ``{date, weekday (0=Mon), kind, name, source ('archive'|'library')}``, by date."""
    conn = session.conn
    year = int(year)
    overrides = wq.calendar_overrides(conn, f"{year:04d}-01-01", f"{year:04d}-12-31")
    out = []
    d = _dt.date(year, 1, 1)
    while d.year == year:
        iso = d.isoformat()
        o = overrides.get(iso)
        if o is not None:
            out.append({"date": iso, "weekday": d.weekday(), "kind": o["kind"], "name": o["name"],
                        "source": "archive"})
        else:
            lib = _library_is_workday(d)
            if lib is not None and lib != (d.weekday() < 5):
                _on, hname = _cc.get_holiday_detail(d)
                out.append({"date": iso, "weekday": d.weekday(), "kind": "workday" if lib else "holiday",
                            "name": _holiday_name(hname), "source": "library"})
        d += _dt.timedelta(days=1)
    return out


def _holiday_name(english: str | None) -> str:
    for h in _ccc.Holiday:
        if h.value == english:
            return h.chinese
    return english or ""


def read_calendar_file(path) -> list[tuple[int, list]]:
    """(row number, [date, kind, name]) per data row of a CSV or xlsx/xls file; a header row is skipped."""
    p = Path(path)
    ext = p.suffix.lower()
    rows: list[list] = []
    if ext in (".csv", ".txt"):
        raw = p.read_bytes()
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise Refused([Finding("calendar.unreadable", tr("calendar.unreadable", file=p.name))])
        rows = [r for r in csv.reader(text.splitlines())]
    elif ext in (".xlsx", ".xls"):
        try:
            from python_calamine import CalamineWorkbook
            wb = CalamineWorkbook.from_path(str(p))
            rows = wb.get_sheet_by_index(0).to_python()
        except Exception:
            raise Refused([Finding("calendar.unreadable", tr("calendar.unreadable", file=p.name))]) from None
    else:
        raise Refused([Finding("calendar.unreadable", tr("calendar.unreadable", file=p.name))])
    out = []
    for i, r in enumerate(rows, 1):
        cells = [c for c in r] + ["", "", ""]
        if not any(str(c).strip() for c in cells[:3] if c is not None):
            continue
        first = cells[0]
        if i == 1 and not isinstance(first, (_dt.date, _dt.datetime)):
            try:
                _as_date(_cell_date(first))
            except (TypeError, ValueError):
                continue  # header
        out.append((i, [_cell_date(first), str(cells[1] or "").strip(), str(cells[2] or "").strip()]))
    return out


def _cell_date(v):
    if isinstance(v, _dt.datetime):
        return v.date()
    if isinstance(v, _dt.date):
        return v
    s = str(v or "").strip().replace("/", "-").replace(".", "-")
    if len(s) == 8 and s.isdigit():
        s = f"{s[:4]}-{s[4:6]}-{s[6:]}"
    parts = s.split("-")
    if len(parts) == 3 and all(x.isdigit() for x in parts):
        s = f"{int(parts[0]):04d}-{int(parts[1]):02d}-{int(parts[2]):02d}"
    return s


def import_calendar(session, path) -> dict:
    """Import a year's notice (CSV/xlsx: date, holiday|workday (or 放假|上班), name). All rows or none:
    every bad row is listed. Returns {rows, years}."""
    rows = read_calendar_file(path)
    bad: list[Finding] = []
    good = []
    for rowno, (d, kind, name) in rows:
        day, errs = _check_entry(d, _kind(kind), row=rowno)
        bad.extend(errs)
        if not errs:
            good.append((day, _kind(kind), name))
    if bad:
        raise Refused(bad)
    if not good:
        raise Refused([Finding("calendar.empty", tr("calendar.empty", file=Path(path).name))])
    with session.transaction():
        for day, kind, name in good:
            wq.insert_calendar_day(session.conn, day.isoformat(), kind, name, Path(path).name, session.user)
    return {"rows": len(good), "years": sorted({d.year for d, _k, _n in good})}


def kind_name(kind: str) -> str:
    return tr("calendar.kind.holiday") if kind == "holiday" else tr("calendar.kind.workday")
