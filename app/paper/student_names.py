"""Student and class names for the lines of the discrepancy list and the semester review, read once."""
from __future__ import annotations

from app.core.session import Session
from app.paper import review_store as rq
from app.school import store as school_store


class StudentNames:
    """Student and class names for the lines, read once."""

    def __init__(self, session: Session):
        from app.school.classes import display_name

        self.classes = {k["id"]: display_name(k) for k in school_store.list_classes(session.conn, ())}
        self.conn = session.conn
        self.cache: dict[int, dict] = {}

    def of(self, sid: int | None) -> tuple[str, str]:
        if sid is None:
            return "", ""
        s = self.cache.get(sid)
        if s is None:
            s = self.cache[sid] = rq.students_brief(self.conn, [sid]).get(sid) or {"name": "", "class_id": None}
        return s["name"], self.classes.get(s["class_id"], "")
