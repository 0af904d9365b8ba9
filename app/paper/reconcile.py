"""Reconciliation with the national 学籍 system : read a roster the national system exported
(.xls/.xlsx; header aliases and title rows as app/exchange/template_io reads them), compare it with the
archive and keep the report as history.

    report = reconcile(session, "全国学籍花名册.xls")        # ReconcileReport, saved as a run
    resolve_line(session, report.run_id, line_id, "fixed_national", "已在国家系统修改")
    export_changes_since_last(session, "变更.xls")           # the national template, changed students only

Matching: 学籍号, then 身份证件号, then 姓名 + 出生日期. Compared fields, state-column headers and the
suggested action per kind of difference are data (resources/reconcile.json).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from app.students import codes
from app.students import fields as F
from app.students import status as st
from app.core.errors import INVALID, Finding, NotFound, Refused
from app.exchange import template_io as T
from app.core.i18n import Names, tr
from app.core.paths import resource
from app.core.session import Session
from app.core.textnorm import clean
from app.school import store as school_store
from app.paper import review_store as rq
from db.rows import now

KIND_NAMES = Names({"only_xueji": "reconcile.kind.only_xueji", "only_national": "reconcile.kind.only_national",
                    "field": "reconcile.kind.field"})
SUGGESTION_NAMES = Names({
    "register_national": "reconcile.suggest.register_national",
    "check_national": "reconcile.suggest.check_national",
    "add_to_xueji": "reconcile.suggest.add_to_xueji",
    "take_national_xueji_no": "reconcile.suggest.take_national_xueji_no",
    "verify_key_data": "reconcile.suggest.verify_key_data",
    "update_national_class": "reconcile.suggest.update_national_class",
    "record_status_change": "reconcile.suggest.record_status_change",
})
ACTION_NAMES = Names({"fixed_xueji": "reconcile.action.fixed_xueji", "fixed_national": "reconcile.action.fixed_national",
                      "accepted": "reconcile.action.accepted", "deferred": "reconcile.action.deferred"})
MATCH_NAMES = Names({"xueji_no": "reconcile.match.xueji_no", "id_number": "reconcile.match.id_number",
                     "name_birth": "reconcile.match.name_birth"})


@lru_cache(maxsize=1)
def config() -> dict:
    return json.loads(resource("reconcile.json").read_text(encoding="utf-8"))


def citation(session: Session) -> tuple[str, str]:
    """(rule, article) of the profile asking the school's records to equal the national system's."""
    cite = config().get("cite", {})
    c = cite.get(session.school["profile"]) or cite.get("*") or {}
    return c.get("rule", ""), c.get("article", "")


def field_name(key: str) -> str:
    """The national template's header for a compared field (学籍状态 for the state)."""
    if key == "status":
        return config()["state_headers"][0]
    return F.by_key()[key].header


@dataclass
class ReconcileLine:
    id: int
    kind: str
    kind_name: str
    student_id: int | None
    national_row: int | None
    field: str
    field_name: str
    xueji_value: str
    national_value: str
    matched_by: str
    matched_by_name: str
    name: str
    suggestion: str
    suggestion_text: str
    action: str | None = None
    action_name: str = ""
    note: str = ""
    resolved_at: str | None = None
    resolved_by: str = ""

    def as_json(self) -> dict:
        return asdict(self)


@dataclass
class ReconcileReport:
    run_id: int
    file_name: str
    run_at: str
    national_rows: int
    matched: int
    lines: list[ReconcileLine] = field(default_factory=list)
    rule: str = ""      # the profile's article that asks the records to equal the national system's
    article: str = ""

    @property
    def counts(self) -> dict:
        out = {"only_xueji": 0, "only_national": 0, "field": 0}
        for ln in self.lines:
            out[ln.kind] += 1
        return out

    @property
    def open_lines(self) -> list[ReconcileLine]:
        return [ln for ln in self.lines if ln.action in (None, "deferred")]

    def as_json(self) -> dict:
        return {"run_id": self.run_id, "file": self.file_name, "run_at": self.run_at,
                "national_rows": self.national_rows, "matched": self.matched, "counts": self.counts,
                "open": len(self.open_lines), "rule": self.rule, "article": self.article,
                "lines": [ln.as_json() for ln in self.lines]}


# ---------------------------------------------------------------- normalising both sides
def _norm_name(v: str) -> str:
    return "".join(clean(v).split())


def _norm_id(v: str) -> str:
    return clean(v).replace(" ", "").upper()


def _norm_date(v: str) -> str:
    return re.sub(r"\D", "", clean(v))[:8]


def _norm_gender(v: str) -> str:
    v = clean(v)
    return codes.code_of("gender", v) or v


def _norm_state(v: str) -> str:
    v = clean(v)
    cfg = config()
    code = cfg["state_aliases"].get(v) or st.code_for(v) or v
    return cfg["state_equivalent"].get(code, code)


NORMALISE = {"xueji_no": _norm_id, "name": _norm_name, "id_number": _norm_id, "birth_date": _norm_date,
             "gender": _norm_gender, "class_code": lambda v: clean(v), "status": _norm_state}


def _display(key: str, v: str) -> str:
    """A Xueji value as the registrar reads it (names, not codes)."""
    if key == "gender":
        return codes.name_of("gender", v) or v
    if key == "status":
        return st.name(v) if v else ""
    return v or ""


# ---------------------------------------------------------------- reading the national roster
def _read_roster(path: Path) -> list[tuple[int, dict]]:
    """[(row number, {field key: text})] of every student row of the file."""
    compare = set(config()["compare"])
    state_headers = {"".join(h.split()) for h in config()["state_headers"]}
    out = []
    for sheet in T.read_workbook(path):
        cols: dict[int, str] = {}
        for i, h in enumerate(sheet.headers):
            hit = F.resolve_header(h) if h else None
            if hit and hit[0] == "student" and hit[2] in compare and hit[2] not in cols.values():
                cols[i] = hit[2]
            elif "".join(h.split()) in state_headers and "status" not in cols.values():
                cols[i] = "status"
        if not any(k in cols.values() for k in ("xueji_no", "id_number", "name")):
            continue
        for row_no, cells in sheet.rows:
            rec = {key: clean(cells[i]) if i < len(cells) else "" for i, key in cols.items()}
            if any(rec.values()):
                out.append((row_no, rec))
    if not out:
        raise Refused([Finding("reconcile_empty", tr("reconcile.no_rows", name=path.name), field=tr("label.file"),
                               outcome=INVALID)])
    return out


# ---------------------------------------------------------------- comparing
def _class_names(session: Session) -> dict[int, set[str]]:
    """class id -> the ways a roster may write the class's name (spaces dropped, brackets folded)."""
    import unicodedata

    from app.school.classes import display_name

    out = {}
    for k in school_store.list_classes(session.conn, ()):
        name = display_name(k)
        out[k["id"]] = {_norm_name(name), _norm_name(unicodedata.normalize("NFKC", name))}
    return out


def _compare(session: Session, rows: list[tuple[int, dict]]):
    """(lines as dicts without ids, matched count)."""
    cfg = config()
    students = rq.all_students(session.conn)
    class_names = _class_names(session)
    by_xjh, by_id, by_nb = {}, {}, {}
    for s in students:
        if s["xueji_no"]:
            by_xjh.setdefault(_norm_id(s["xueji_no"]), []).append(s)
        if s["id_number"]:
            by_id.setdefault(_norm_id(s["id_number"]), []).append(s)
        by_nb.setdefault((_norm_name(s["name"]), _norm_date(s["birth_date"])), []).append(s)
    present = set()
    for _, rec in rows:
        present |= {k for k, v in rec.items()}
    compared = [k for k in cfg["compare"] if k in present]
    used: set[int] = set()
    lines: list[dict] = []
    matched = 0

    def pick(table, key):
        cands = [s for s in table.get(key, []) if s["id"] not in used] if key else []
        return cands[0] if len(cands) == 1 else None

    for row_no, rec in rows:
        s, how = None, ""
        if rec.get("xueji_no"):
            s, how = pick(by_xjh, _norm_id(rec["xueji_no"])), "xueji_no"
        if s is None and rec.get("id_number"):
            s, how = pick(by_id, _norm_id(rec["id_number"])), "id_number"
        if s is None and rec.get("name") and rec.get("birth_date"):
            s, how = pick(by_nb, (_norm_name(rec["name"]), _norm_date(rec["birth_date"]))), "name_birth"
        if s is None:
            lines.append({"kind": "only_national", "student_id": None, "national_row": row_no, "field": "",
                          "xueji_value": "", "national_value": rec.get("xueji_no") or rec.get("id_number", ""),
                          "matched_by": "", "name": rec.get("name", ""),
                          "suggestion": cfg["suggestions"]["only_national"]["*"]})
            continue
        used.add(s["id"])
        matched += 1
        for key in compared:
            nv = rec.get(key, "")
            xv = s[key] if key != "class_code" else s["class_code"]
            if not nv:
                continue  # an empty cell in the national roster says nothing about this field
            norm = NORMALISE[key]
            if norm(xv or "") == norm(nv):
                continue
            if key == "class_code" and _norm_name(nv) in class_names.get(s["class_id"], ()):
                continue  # the roster names the class (一年级(1)班) instead of giving its 班号
            lines.append({"kind": "field", "student_id": s["id"], "national_row": row_no, "field": key,
                          "xueji_value": _display(key, xv or ""), "national_value": nv, "matched_by": how,
                          "name": s["name"], "suggestion": cfg["suggestions"]["field"].get(key, "verify_key_data")})
    active = set(st.active_codes())
    for s in students:
        if s["id"] in used or s["status"] not in active:
            continue
        sugg = cfg["suggestions"]["only_xueji"]
        lines.append({"kind": "only_xueji", "student_id": s["id"], "national_row": None, "field": "",
                      "xueji_value": s["xueji_no"] or s["id_number"], "national_value": "", "matched_by": "",
                      "name": s["name"], "suggestion": sugg.get(s["status"], sugg["*"])})
    return lines, matched


def _line(d: dict) -> ReconcileLine:
    return ReconcileLine(
        id=d["id"], kind=d["kind"], kind_name=KIND_NAMES[d["kind"]], student_id=d["student_id"],
        national_row=d["national_row"], field=d["field"], field_name=field_name(d["field"]) if d["field"] else "",
        xueji_value=d["xueji_value"], national_value=d["national_value"], matched_by=d["matched_by"],
        matched_by_name=MATCH_NAMES[d["matched_by"]] if d["matched_by"] in MATCH_NAMES else "", name=d["name"], suggestion=d["suggestion"],
        suggestion_text=SUGGESTION_NAMES[d["suggestion"]] if d["suggestion"] in SUGGESTION_NAMES else d["suggestion"],
        action=d.get("action"), action_name=ACTION_NAMES[d["action"]] if d.get("action") in ACTION_NAMES else "",
        note=d.get("note") or "", resolved_at=d.get("resolved_at"), resolved_by=d.get("resolved_by") or "")


def reconcile(session: Session, path) -> ReconcileReport:
    """Compare the national roster at ``path`` with the archive; the run and its lines are saved (one
    transaction). An unreadable file or one without student rows is refused, nothing saved."""
    path = Path(path)
    rows = _read_roster(path)
    data = path.read_bytes()
    with session.transaction():
        lines, matched = _compare(session, rows)
        conn = session.conn
        run_at = now()
        run_id = rq.insert_run(conn, {"file_name": path.name, "file_sha256": hashlib.sha256(data).hexdigest(),
                                      "run_at": run_at, "run_by": session.user, "national_rows": len(rows),
                                      "matched": matched, "history_mark": rq.history_mark(conn),
                                      "events_mark": rq.events_mark(conn)})
        for d in lines:
            d["id"] = rq.insert_line(conn, {"run_id": run_id, **d})
    return ReconcileReport(run_id, path.name, run_at, len(rows), matched, [_line(d) for d in lines],
                           *citation(session))


def report(session: Session, run_id: int | None = None) -> ReconcileReport:
    """A saved run (default: the latest) with each line's latest resolution."""
    conn = session.conn
    run = rq.get_run(conn, int(run_id)) if run_id is not None else rq.last_run(conn)
    if run is None:
        raise NotFound(tr("reconcile.run_not_found", id=run_id) if run_id is not None else tr("reconcile.no_runs"))
    return ReconcileReport(run["id"], run["file_name"], run["run_at"], run["national_rows"], run["matched"],
                           [_line(d) for d in rq.lines_of(conn, run["id"])], *citation(session))


def runs(session: Session) -> list[dict]:
    return rq.runs(session.conn)


def resolve_line(session: Session, run_id: int, line_id: int, action: str, note: str = "") -> ReconcileLine:
    """Record what was done about a line (append-only; a later resolution supersedes an earlier one)."""
    cfg = config()
    line = rq.get_line(session.conn, int(line_id))
    if line is None or line["run_id"] != int(run_id):
        raise NotFound(tr("reconcile.line_not_found", run=run_id, line=line_id))
    if action not in cfg["actions"]:
        raise Refused([Finding("reconcile_bad_action", tr("reconcile.bad_action", action=action,
                                                          choices=", ".join(cfg["actions"])),
                               field=tr("reconcile.field.action"), outcome=INVALID)])
    note = (note or "").strip()
    if action in cfg["actions_needing_note"] and not note:
        raise Refused([Finding("reconcile_note_required", tr("reconcile.note_required", action=ACTION_NAMES[action]),
                               field=tr("reconcile.field.note"), outcome=INVALID)])
    with session.transaction():
        rq.insert_resolution(session.conn, {"run_id": int(run_id), "line_id": int(line_id), "action": action,
                                            "note": note, "resolved_at": now(), "resolved_by": session.user})
    return next(ln for ln in report(session, int(run_id)).lines if ln.id == int(line_id))


def resolutions(session: Session, line_id: int) -> list[dict]:
    return rq.resolutions_of(session.conn, int(line_id))


@dataclass
class ChangesExport:
    path: str
    count: int
    since_run_id: int
    student_ids: list[int]

    def as_json(self) -> dict:
        return asdict(self)


def changed_since_last(session: Session) -> tuple[dict, list[int]]:
    """(the last run, ids of students edited or with a status change recorded after it)."""
    run = rq.last_run(session.conn)
    if run is None:
        raise Refused([Finding("reconcile_none_yet", tr("reconcile.none_yet"), outcome=INVALID)])
    return run, rq.students_changed_since(session.conn, run["history_mark"], run["events_mark"])


def export_changes_since_last(session: Session, out) -> ChangesExport:
    """Write the students changed since the last reconciliation as the national template (same columns
    and writer as app/exchange/export_service), and record the export. A national export (full ID numbers):
    needs ``export_national``."""
    from app.audit import log as audit
    from app.exchange import export_service as X
    from app.exchange import sheet_writer as W
    from app.exchange.approvals import grant

    out = Path(out)
    if out.suffix.lower() not in (".xls", ".xlsx"):
        raise Refused([W.bad_format(out)])
    allowed = grant(session, "national")
    run, ids = changed_since_last(session)
    conn = session.conn
    classes = {k["id"]: k for k in school_store.list_classes(conn, ())}
    codes_ = {cid: k["code"] or "" for cid, k in classes.items()}
    headers = X.export_columns()
    count = W.write_workbook(out, headers, X.template_rows(conn, ids, codes_, str(session.school["code"]), headers),
                             total=len(ids))
    with session.transaction():
        rq.insert_export(conn, {"since_run_id": run["id"], "exported_at": now(), "exported_by": session.user,
                                "path": str(out), "students": count})
        audit.record_export(session, out, count=count, kind="changes", conn=conn, **allowed.audit())
    return ChangesExport(str(out), count, run["id"], ids)
