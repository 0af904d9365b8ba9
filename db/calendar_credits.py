"""SQL for the working-day calendar (calendar_days) and high-school graduation records (hs_records),
migration 0005, plus the few reads promotion, graduation and the deadlines view need."""
from __future__ import annotations

import json
import sqlite3

from db.queries import now


# --- calendar_days ---------------------------------------------------------------------------

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


# --- hs_records ------------------------------------------------------------------------------

HS_COLUMNS = ("credits_total", "credits_required", "credits_elective", "credits_school", "exams",
              "evaluation", "pe_standard", "labour_practice", "period_complete", "assessment", "note")


def get_hs_record(conn, student_id: int) -> dict | None:
    r = conn.execute("SELECT * FROM hs_records WHERE student_id = ?", (student_id,)).fetchone()
    return _hs(r)


def hs_records_of(conn, student_ids: list[int]) -> dict[int, dict]:
    out: dict[int, dict] = {}
    for i in range(0, len(student_ids), 500):
        chunk = student_ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for r in conn.execute(f"SELECT * FROM hs_records WHERE student_id IN ({marks})", chunk):
            out[r["student_id"]] = _hs(r)
    return out


def _hs(r) -> dict | None:
    if r is None:
        return None
    d = dict(r)
    d["exams"] = json.loads(d.get("exams") or "{}")
    return d


def save_hs_record(conn, student_id: int, values: dict, source: str, user: str) -> None:
    row = {k: values.get(k) for k in HS_COLUMNS}
    row["exams"] = json.dumps(values.get("exams") or {}, ensure_ascii=False, sort_keys=True)
    for k in ("evaluation", "pe_standard", "labour_practice", "period_complete", "assessment", "note"):
        row[k] = row[k] or ""
    ts = now()
    cols = ", ".join(HS_COLUMNS)
    marks = ", ".join("?" * len(HS_COLUMNS))
    sets = ", ".join(f"{c} = excluded.{c}" for c in HS_COLUMNS)
    conn.execute(f"INSERT INTO hs_records (student_id, {cols}, updated_at, updated_by) VALUES (?, {marks}, ?, ?) "
                 f"ON CONFLICT(student_id) DO UPDATE SET {sets}, updated_at = excluded.updated_at, "
                 f"updated_by = excluded.updated_by",
                 (student_id, *[row[c] for c in HS_COLUMNS], ts, user))
    conn.execute("INSERT INTO hs_record_versions (student_id, data, source, recorded_at, recorded_by) "
                 "VALUES (?, ?, ?, ?, ?)",
                 (student_id, json.dumps({c: row[c] for c in HS_COLUMNS}, ensure_ascii=False), source, ts, user))
