"""Exporting students as the national 学生基础信息 template (.xls or .xlsx by the file's suffix): the 71
template columns in order plus a trailing 学籍号 column, names not codes, dates as YYYYMMDD / YYYYMM
text, one row per student in roster order. The importer reads such a file back unchanged."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app import fields as F
from app import status as st
from app.errors import INVALID, Finding, NotFound, Refused
from app.exchange import template_io as T
from app.i18n import tr
from app.record_io import to_template
from app.session import Session
from db import queries as q

CHUNK = 1000
# Words that select every status (``statuses="全部"``) and the separators accepted between statuses:
# input grammar, not UI text.
ALL_STATUSES = ("all", "*", "全部")
_FULLWIDTH_COMMA = "，"


def _extra_columns() -> list[str]:
    """After the template's columns: 学籍号 (the ``xueji_no`` field's header)."""
    return [F.by_key()["xueji_no"].header]


@dataclass
class ExportReport:
    count: int
    path: str
    cancelled: bool = False


def export_columns() -> list[str]:
    return F.template_columns() + _extra_columns()


def default_statuses() -> list[str]:
    """Students who hold a 学籍 at this school (the ``active`` states of resources/statuses.json)."""
    return list(st.active_codes())


def _statuses(statuses) -> list[str] | None:
    if statuses is None:
        return default_statuses()
    if isinstance(statuses, str):
        if statuses.strip().lower() in ALL_STATUSES:
            return None
        statuses = [s for s in statuses.replace(_FULLWIDTH_COMMA, ",").split(",") if s.strip()]
    out, bad = [], []
    for s in statuses:
        c = st.code_for(str(s).strip())
        (out if c else bad).append(c or s)
    if bad:
        raise Refused([Finding("bad_status", tr("export.bad_status", statuses=tr("common.list_sep").join(map(str, bad))),
                               field=tr("label.status"), outcome=INVALID)])
    return out


def _rows(conn, ids: list[int], class_codes: dict[int, str], school_code: str, headers: list[str]):
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        students = q.students_by_ids(conn, part)
        members = q.members_of_many(conn, part)
        for sid in part:
            s = students[sid]
            d = to_template(s, members.get(sid, []), class_codes.get(s["class_id"], ""), school_code)
            yield [d.get(h, "") for h in headers]


def export_students(session: Session, path, *, class_id=None, statuses=None, progress=None, cancel=None) -> ExportReport:
    """Write the selected students (default: every student whose status is active, roster order) to
    ``path``. An empty selection writes a header-only file. Written to a temporary file and moved into
    place, so a failed or cancelled export leaves no half-written file."""
    path = Path(path)
    if path.suffix.lower() not in (".xls", ".xlsx"):
        raise Refused([T.bad_format(path)])
    school = session.school
    if school is None:
        raise Refused([Finding("no_school", tr("school.missing"))])
    conn = session.conn
    if class_id is not None and q.get_class(conn, int(class_id)) is None:
        raise NotFound(tr("class.not_found", id=class_id))
    wanted = _statuses(statuses)
    ids = q.search_student_ids(conn, None, int(class_id) if class_id is not None else None, wanted)
    class_codes = {k["id"]: k["code"] or "" for k in q.list_classes(conn, ())}
    headers = export_columns()
    try:
        count = T.write_workbook(path, headers, _rows(conn, ids, class_codes, str(school["code"]), headers),
                                 total=len(ids), progress=progress, cancel=cancel)
    except T.Cancelled:
        return ExportReport(0, str(path), cancelled=True)
    return ExportReport(count, str(path))
