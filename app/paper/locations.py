"""Where each student's paper folder (档案袋) is: a location path of any depth (柜 / 层 / 盒 / 位 …), moved with
history (folder_moves, append-only), and what a barcode scanner typed → which student."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from app.core.errors import Finding, NotFound, Refused
from app.core.i18n import tr
from app.core.session import Session
from app.paper import store as pq
from app.students import store as q

LABEL_PREFIX = "XUEJI"  # the folder label's QR payload: XUEJI|<school code>|<student id>|<学籍号 or ID number>
                        # (app/printing/documents.py builds it for the folder-label kind)


@dataclass
class Folder:
    student_id: int
    location: list[str]
    created_at: str
    updated_at: str
    moves: list[dict] = field(default_factory=list)

    @property
    def path_text(self) -> str:
        return " / ".join(self.location)


def label_key(session: Session, student_id: int) -> str:
    """The text the printed folder label's QR/barcode carries (the same as documents.py's ``qr``)."""
    s = q.get_student(session.conn, student_id)
    if s is None:
        raise NotFound(tr("student.not_found_id", ref=student_id))
    code = (session.school or {}).get("code", "")
    return f"{LABEL_PREFIX}|{code}|{s['id']}|{s.get('xueji_no') or s.get('id_number') or ''}"


def _student(session: Session, student_id: int) -> dict:
    s = q.get_student(session.conn, int(student_id))
    if s is None:
        raise NotFound(tr("student.not_found_id", ref=student_id))
    return s


def clean_location(parts) -> list[str]:
    """A location as an ordered list; a single string splits on '/' or '>' (full-width ones too, via NFKC)."""
    if isinstance(parts, str):
        parts = re.split(r"\s*[/>]\s*", unicodedata.normalize("NFKC", parts))
    out = [unicodedata.normalize("NFKC", str(p)).strip() for p in (parts or [])]
    return [p for p in out if p]


def locate(session: Session, student_id: int) -> Folder | None:
    """The student's folder with its location and its moves (oldest first); None if no folder yet."""
    _student(session, student_id)
    f = pq.get_folder(session.conn, int(student_id))
    if f is None:
        return None
    return Folder(f["student_id"], f["location"], f["created_at"], f["updated_at"],
                  pq.moves_of(session.conn, int(student_id)))


def ensure_folder(session: Session, conn, student_id: int) -> dict:
    """The folder row (made, without a location, the first time it is needed). Caller holds the transaction."""
    f = pq.get_folder(conn, student_id)
    if f is None:
        pq.insert_folder(conn, student_id, [], session.user)
        q.insert_history(conn, [{"student_id": student_id, "entity": "folder", "entity_id": student_id,
                                 "action": "folder", "field": "folder", "new_value": "created",
                                 "changed_by": session.user}])
        f = pq.get_folder(conn, student_id)
    return f


def move(session: Session, student_id: int, location, *, reason: str = "") -> Folder:
    """Put the folder at ``location`` (list or 'A/2/5/12'); the first call also creates the folder."""
    sid = int(student_id)
    _student(session, sid)
    new = clean_location(location)
    if not new:
        raise Refused([Finding("paper_location_empty", tr("paper.err.location_empty"),
                               field=tr("paper.field.location"))])
    if any(len(p) > 40 for p in new) or len(new) > 8:
        raise Refused([Finding("paper_location_bad", tr("paper.err.location_bad"), field=tr("paper.field.location"))])
    with session.transaction() as conn:
        f = ensure_folder(session, conn, sid)
        old = f["location"]
        if old != new:
            mid = pq.set_location(conn, sid, old, new, session.user, reason)
            q.insert_history(conn, [{"student_id": sid, "entity": "folder", "entity_id": mid, "action": "folder",
                                     "field": "location", "old_value": " / ".join(old),
                                     "new_value": " / ".join(new), "changed_by": session.user, "reason": reason}])
    return locate(session, sid)


def _norm(text: str) -> str:
    t = unicodedata.normalize("NFKC", str(text or "")).strip().strip("\r\n\t ")
    return t


def resolve_scan(session: Session, text: str) -> int | None:
    """The student a scanned code names: the folder label's key (XUEJI|school|id|number), a 学籍号, an ID number
    or an internal id. None when nothing (or more than one student) matches."""
    t = _norm(text)
    if not t:
        return None
    conn = session.conn
    if t.upper().startswith(LABEL_PREFIX + "|"):
        parts = t.split("|")
        school = parts[1] if len(parts) > 1 else ""
        sid = parts[2] if len(parts) > 2 else ""
        number = parts[3] if len(parts) > 3 else ""
        own = school == (session.school or {}).get("code", "")
        if own and re.fullmatch(r"[0-9]{1,9}", sid):
            s = pq.student_by_id(conn, int(sid))
            if s and (not number or number.upper() in ((s["xueji_no"] or "").upper(), (s["id_number"] or "").upper())):
                return s["id"]
        return _by_number(conn, number) if number else None
    if re.fullmatch(r"[0-9]{1,9}", t):
        s = pq.student_by_id(conn, int(t))
        return s["id"] if s else None
    return _by_number(conn, t)


def _by_number(conn, number: str) -> int | None:
    n = number.strip().upper()
    for col in ("xueji_no", "id_number", "aux_xjh"):
        ids = pq.student_ids_where(conn, col, n)
        if len(ids) == 1:
            return ids[0]
        if len(ids) > 1:
            return None
    return None


def overview(session: Session, class_id: int | None = None, *, all_statuses: bool = False) -> list[dict]:
    """One row per student (in-school students unless ``all_statuses``): {"student_id", "name", "class_id",
    "status", "xueji_no", "has_folder", "location" (list), "open_loans", "due_on" (earliest open loan),
    "handed_on", "scans", "checked" (items marked)} — for a class's shelf list or a review sheet."""
    from app.students import status as st

    return pq.folder_overview(session.conn, class_id, () if all_statuses else tuple(st.active_codes()))
