"""A new record's starting status event (入学, transition T01): written by the create path of
app/students/service.py in its own transaction. Kept apart from the change service, which builds on
the student service and must not be imported by it."""
from __future__ import annotations

import datetime as _dt

from app.changes import kinds as K
from app.changes import store


def record_enrolment(conn, student_id: int, status: str, klass: dict | None, entry_ym: str = "",
                     user: str = "", batch: str = "") -> None:
    """The starting event of a new record (called by the create path in its own transaction): effective
    on the entry month's first day, else the class's entry year's first term start, never later than today."""
    store.insert_events(conn, [enrolment_event(student_id, status, klass, entry_ym, user, batch)])


def enrolment_event(student_id, status, klass, entry_ym="", user="", batch="") -> dict:
    """The event row of ``record_enrolment``."""
    today = _dt.date.today()
    eff = None
    if entry_ym and len(entry_ym) >= 6 and entry_ym[:6].isdigit():
        try:
            eff = _dt.date(int(entry_ym[:4]), int(entry_ym[4:6]), 1)
        except ValueError:
            eff = None
    if eff is None and klass and klass.get("entry_year"):
        eff = K.semester_of(_dt.date(int(klass["entry_year"]), 10, 1))["start"]
    if eff is None or eff > today:
        eff = today
    return {"student_id": student_id, "kind": "enrol", "transition": "T01", "from_state": "", "to_state": status,
            "effective_date": eff.isoformat(), "recorded_by": user, "from_class_id": None,
            "to_class_id": (klass or {}).get("id"), "to_grade": (klass or {}).get("grade"), "batch": batch}
