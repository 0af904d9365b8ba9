"""Exporting students as the national 学生基础信息 template (.xls or .xlsx by the file's suffix): the 71
template columns in order plus a trailing 学籍号 column, names not codes, dates as YYYYMMDD / YYYYMM
text, one row per student in roster order. The importer reads such a file back unchanged."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.students import fields as F
from app.students import status as st
from app.core.errors import INVALID, Finding, NotFound, Refused
from app.exchange import sheet_writer as W
from app.core.i18n import tr
from app.students.record_io import to_template
from app.core.session import Session
from app.school import store as school_store
from app.students import store as q

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
    warnings: list = field(default_factory=list)
    purpose: str = "national"
    masked: bool = False
    approval: dict | None = None


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


def template_rows(conn, ids: list[int], class_codes: dict[int, str], school_code: str, headers: list[str], *,
                  masked: bool = False):
    """Template rows; ``masked``: the student's and the family members' ID numbers through app/core/masking.mask_id."""
    if masked:
        from app.core.masking import mask_id
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        students = q.students_by_ids(conn, part)
        members = q.members_of_many(conn, part)
        for sid in part:
            s = students[sid]
            ms = members.get(sid, [])
            if masked:
                s = dict(s, id_number=mask_id(s.get("id_number") or ""))
                ms = [dict(m, id_number=mask_id(m.get("id_number") or "")) for m in ms]
            d = to_template(s, ms, class_codes.get(s["class_id"], ""), school_code)
            yield [d.get(h, "") for h in headers]


def _classes_without_code(conn, ids: list[int], classes: dict) -> list[Finding]:
    """The national system places each row by its 班号: a class without one cannot be imported there."""
    if not ids:
        return []
    from app.school.classes import display_name

    missing = {cid for cid, k in classes.items() if not k["code"]}
    if not missing:
        return []
    per_class: dict[int, int] = {}
    for start in range(0, len(ids), CHUNK):
        for s in q.students_by_ids(conn, ids[start:start + CHUNK]).values():
            if s["class_id"] in missing:
                per_class[s["class_id"]] = per_class.get(s["class_id"], 0) + 1
    return [Finding("class_without_code", tr("export.class_without_code", class_name=display_name(classes[cid]),
                                             count=n), field=F.by_key()["class_code"].header, outcome="WARN")
            for cid, n in sorted(per_class.items())]


def export_students(session: Session, path, *, class_id=None, statuses=None, progress=None, cancel=None,
                    purpose: str | None = "national", approval=None) -> ExportReport:
    """Write the selected students (default: every student whose status is active, roster order) to
    ``path``. An empty selection writes a header-only file. Written to a temporary file and moved into
    place, so a failed or cancelled export leaves no half-written file.

    ``purpose`` (app/export_approvals): ``national`` (default: the national template with full ID numbers,
    needs export_national), ``internal`` (ID numbers masked, needs export) or ``external`` (needs
    export_external and ``approval``, a valid approval's reference or id; masked unless it allows full ID
    numbers). Checked before anything is written; the audit entry records purpose, approval and masking."""
    from app.exchange.approvals import grant

    path = Path(path)
    if path.suffix.lower() not in (".xls", ".xlsx"):
        raise Refused([W.bad_format(path)])
    allowed = grant(session, purpose, approval)
    school = session.school
    if school is None:
        raise Refused([Finding("no_school", tr("school.missing"))])
    conn = session.conn
    if class_id is not None and school_store.get_class(conn, int(class_id)) is None:
        raise NotFound(tr("class.not_found", id=class_id))
    wanted = _statuses(statuses)
    ids = q.search_student_ids(conn, None, int(class_id) if class_id is not None else None, wanted)
    scope = session.class_scope
    if scope is not None:  # an account limited to its own classes exports only those
        ids = [i for i, s in _class_of(conn, ids).items() if s in scope]
    classes = {k["id"]: k for k in school_store.list_classes(conn, ())}
    class_codes = {cid: k["code"] or "" for cid, k in classes.items()}
    warnings = _classes_without_code(conn, ids, classes)
    headers = export_columns()
    try:
        count = W.write_workbook(path, headers, template_rows(conn, ids, class_codes, str(school["code"]), headers,
                                                      masked=allowed.masked),
                                 total=len(ids), progress=progress, cancel=cancel)
    except W.Cancelled:
        return ExportReport(0, str(path), cancelled=True)
    from app.audit import log as audit

    audit.record_export(session, path, count=count, class_id=class_id, statuses=wanted, kind="template",
                        **allowed.audit())  # audit log: one entry
    return ExportReport(count, str(path), warnings=warnings, purpose=allowed.purpose, masked=allowed.masked,
                        approval=allowed.approval)


def _class_of(conn, ids: list[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for start in range(0, len(ids), CHUNK):
        for sid, s in q.students_by_ids(conn, ids[start:start + CHUNK]).items():
            out[sid] = s["class_id"]
    return {i: out[i] for i in ids if i in out}
