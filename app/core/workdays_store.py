"""SQL for the working-day calendar (calendar_days, migration 0005): the registrar's holidays and make-up
working days that app/core/workdays.py lays over the built-in calendar."""
from __future__ import annotations

import sqlite3

from db.rows import now

def calendar_overrides(conn: sqlite3.Connection, first: str, last: str) -> dict[str, dict]:
    """The registrar's entries for ISO dates first..last (inclusive): the latest row per date wins."""
    rows = conn.execute(
        "SELECT day, kind, name, source, recorded_at, recorded_by FROM calendar_days "
        "WHERE day BETWEEN ? AND ? ORDER BY day, id", (first, last)).fetchall()
    return {r["day"]: dict(r) for r in rows}


def insert_calendar_day(conn, day: str, kind: str, name: str, source: str, user: str) -> None:
    conn.execute("INSERT INTO calendar_days (day, kind, name, source, recorded_at, recorded_by) "
                 "VALUES (?, ?, ?, ?, ?, ?)", (day, kind, name, source, now(), user))


def calendar_holiday_count(conn, year: int) -> int:
    """Dates of ``year`` whose latest entry says holiday."""
    return conn.execute(
        "SELECT COUNT(*) FROM calendar_days c WHERE day BETWEEN ? AND ? AND kind = 'holiday' "
        "AND id = (SELECT MAX(id) FROM calendar_days WHERE day = c.day)",
        (f"{year:04d}-01-01", f"{year:04d}-12-31")).fetchone()[0]
