"""High-school graduation records (credits, proficiency exams, evaluation, PE, labour practice; Liaoning's
compulsory assessment) and the check that turns them into 毕业 / 结业 / 肄业 / 修业 per profile.

The conditions and their numbers are the profile's rules (resources/rules/graduation/<profile>.toml, checks
``hs_conditions`` and ``compulsory_assessment``); this module stores, imports and evaluates."""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from app.core.errors import Finding, NotFound, Refused
from app.core.i18n import tr
from app.promotion.checks import FIELD_NAMES, VALUE_NAMES
from app.rules.engine import RuleContext, evaluate as _evaluate
from app.promotion import store as pq
from app.school import store as school_store
from app.students import store as q

CREDIT_FIELDS = ("credits_total", "credits_required", "credits_elective", "credits_school")
FLAG_FIELDS = {  # field -> accepted stored values
    "evaluation": ("pass", "fail"), "pe_standard": ("pass", "fail"), "labour_practice": ("done", "not_done"),
    "period_complete": ("yes", "no"), "assessment": ("pass", "fail"),
}
FIELDS = (*CREDIT_FIELDS, "exams", *FLAG_FIELDS, "note")
MAX_CREDITS = 400


@dataclass
class GradCheck:
    outcome: str                      # graduated | completed | left_incomplete | xiuye | undetermined
    findings: list[Finding] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        return [f.message for f in self.findings if f.params.get("outcome")]


def field_label(key: str) -> str:
    return FIELD_NAMES[key]


def _value_aliases() -> dict[str, str]:
    out = {text: code for code, text in VALUE_NAMES.items()}
    for alias in tr("grad.alias.pass").split("|"):
        out[alias] = "pass"
    for alias in tr("grad.alias.fail").split("|"):
        out[alias] = "fail"
    return out


def _norm_flag(key: str, v, errors: list[Finding], row=None, column=None) -> str:
    if v is None:
        return ""
    s = str(v).strip()
    if s == "":
        return ""
    val = _value_aliases().get(s, s.lower())
    if key in ("labour_practice",) and val == "pass":
        val = "done"
    if key in ("labour_practice",) and val == "fail":
        val = "not_done"
    if key == "period_complete" and val in ("pass", "done"):
        val = "yes"
    if val not in FLAG_FIELDS[key]:
        errors.append(Finding("hs.bad_value", tr("grad.bad_value", field=field_label(key), value=s,
                                                  allowed=tr("common.list_sep").join(
                                                      VALUE_NAMES[x] for x in FLAG_FIELDS[key])),
                              field=field_label(key), row=row, params=_where(column, s)))
        return ""
    return val


def _where(column, value) -> dict:
    return {"column": column, "value": value} if column else {}


def _norm_credit(key, v, errors, row=None, column=None):
    if v is None or str(v).strip() == "":
        return None
    try:
        x = float(str(v).strip())
    except ValueError:
        x = None
    if x is None or not 0 <= x <= MAX_CREDITS:
        errors.append(Finding("hs.bad_credits", tr("grad.bad_credits", field=field_label(key), value=v,
                                                    high=MAX_CREDITS), field=field_label(key), row=row,
                              params=_where(column, str(v))))
        return None
    return int(x) if x.is_integer() else x


def parse_exams(v) -> dict[str, str]:
    """``{"语文": "A"}`` or text ``语文:A, 数学:B`` (：, ；, 、 also accepted)."""
    if isinstance(v, dict):
        return {str(k).strip(): str(g).strip().upper() for k, g in v.items() if str(k).strip()}
    out = {}
    for part in re.split(r"[,;\uff0c\uff1b\u3001\s]+", str(v or "")):
        if not part:
            continue
        m = re.match(r"^(.+?)[:\uff1a=](.+)$", part)
        if m:
            out[m.group(1).strip()] = m.group(2).strip().upper()
    return out


def normalise(values: dict, errors: list[Finding], row=None, columns=None) -> dict:
    columns = columns or {}
    out = {}
    for k, v in values.items():
        if k in CREDIT_FIELDS:
            out[k] = _norm_credit(k, v, errors, row, columns.get(k))
        elif k in FLAG_FIELDS:
            out[k] = _norm_flag(k, v, errors, row, columns.get(k))
        elif k == "exams":
            out[k] = parse_exams(v)
        elif k == "note":
            out[k] = str(v or "").strip()
        else:
            errors.append(Finding("hs.unknown_field", tr("grad.unknown_field", field=k), field=k, row=row))
    return out


def _student(session, student_id) -> dict:
    s = q.get_student(session.conn, int(student_id))
    if s is None:
        raise NotFound(tr("student.not_found_id", ref=student_id))
    return s


def set_hs_record(session, student_id: int, *, source: str = "", **fields) -> dict:
    """Set some fields of a student's graduation record (others kept). One transaction, a version row kept."""
    _student(session, student_id)
    errors: list[Finding] = []
    new = normalise(fields, errors)
    if errors:
        raise Refused(errors)
    with session.transaction() as conn:
        old = pq.get_hs_record(conn, int(student_id)) or {}
        merged = {k: old.get(k) for k in FIELDS}
        merged.update(new)
        pq.save_hs_record(conn, int(student_id), merged, source or "manual", session.user)
        q.insert_history(conn, [{"student_id": int(student_id), "entity": "student", "entity_id": int(student_id),
                                 "action": "edit", "field": f"hs.{k}", "old_value": _show(old.get(k)),
                                 "new_value": _show(v), "changed_by": session.user}
                                for k, v in new.items() if _show(old.get(k)) != _show(v)])
    return get_hs_record(session, student_id)


def _show(v) -> str:
    if v is None:
        return ""
    if isinstance(v, dict):
        return tr("common.list_sep").join(f"{k}:{g}" for k, g in sorted(v.items()))
    return str(v)


def get_hs_record(session, student_id: int) -> dict | None:
    return pq.get_hs_record(session.conn, int(student_id))


# ------------------------------------------------------------------ evaluation
def evaluate_record(session, record: dict, klass: dict, *, name: str = "", today=None) -> GradCheck:
    """The outcome for one student of ``klass`` with graduation ``record`` (may be empty)."""
    profile = session.profile
    event = f"graduation.{klass['stage']}"
    rules = profile.rules_for(event)
    rec = {**(record or {}), "name": name}
    if rec.get("exams") is None:
        rec["exams"] = {}
    if not record and any(r.check == "hs_conditions" for r in rules):
        f = Finding("record_missing", tr("grad.record_missing", name=name), field=tr("grad.field.record"),
                    outcome="BLOCK")
        return GradCheck("undetermined", [f])
    ctx = RuleContext(event, record=rec, klass=klass, school=session.school, today=today or _dt.date.today())
    findings = _evaluate(profile, ctx)
    deciding = [f for f in findings if f.params.get("outcome")]
    if not deciding:
        return GradCheck("graduated", findings)
    outcomes = [f.params["outcome"] for f in deciding]
    # 肄业 (period not complete) is stronger than 结业; 修业 stands alone (Liaoning compulsory)
    for o in ("left_incomplete", "xiuye", "completed"):
        if o in outcomes:
            return GradCheck(o, findings)
    return GradCheck(outcomes[0], findings)


def evaluate(session, student_id: int) -> GradCheck:
    s = _student(session, student_id)
    k = school_store.get_class(session.conn, s["class_id"]) if s.get("class_id") else None
    if k is None:
        raise Refused([Finding("hs.no_class", tr("grad.no_class", name=s["name"]), field=tr("label.class"))])
    return evaluate_record(session, get_hs_record(session, student_id) or {}, k, name=s["name"])


# ------------------------------------------------------------------ import
def column_headers() -> dict[str, str]:
    """Spreadsheet header text -> field (exam subjects are every other column)."""
    return {field_label(k): k for k in FIELDS}


def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _read_rows(path: Path) -> list[list]:
    ext = path.suffix.lower()
    try:
        if ext == ".csv":
            import csv

            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("gb18030")
            return [r for r in csv.reader(text.splitlines())]
        if ext in (".xlsx", ".xls"):
            from python_calamine import CalamineWorkbook

            return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    except Exception:
        pass
    raise Refused([Finding("hs.unreadable", tr("grad.unreadable", file=path.name))])


def import_hs_records(session, path, *, class_id: int | None = None) -> dict:
    """Import a class spreadsheet: one row per student (身份证件号 or 学籍号, or 姓名 with ``class_id``), the
    record fields by their header names, every other column an exam subject. All rows or none: every bad
    cell is listed with its row, column and the reason. Returns {rows, ids, subjects}."""
    from app.students.service import resolve

    path = Path(path)
    rows = _read_rows(path)
    if not rows:
        raise Refused([Finding("hs.empty", tr("grad.empty", file=path.name))])
    header = [str(h or "").strip() for h in rows[0]]
    known = column_headers()
    id_cols = {tr("grad.col.id_number"): "id_number", tr("grad.col.xueji_no"): "xueji_no",
               tr("grad.col.name"): "name"}
    cols: dict[int, tuple[str, str]] = {}
    for i, h in enumerate(header):
        if not h:
            continue
        if h in id_cols:
            cols[i] = ("id", id_cols[h])
        elif h in known:
            cols[i] = ("field", known[h])
        else:
            cols[i] = ("exam", h)
    if not any(kind == "id" and what in ("id_number", "xueji_no") for kind, what in cols.values()) and not (
            class_id and any(what == "name" for kind, what in cols.values() if kind == "id")):
        raise Refused([Finding("hs.no_id_column", tr("grad.no_id_column"), row=1)])
    names_in_class = {}
    if class_id:
        for s in pq.students_in_classes(session.conn, [int(class_id)], ("pending", "enrolled", "transferring")):
            names_in_class.setdefault(s["name"], []).append(s["id"])
    errors: list[Finding] = []
    good: list[tuple[int, dict]] = []
    seen: dict[int, int] = {}
    for rno, r in enumerate(rows[1:], start=2):
        cells = list(r) + [""] * (len(header) - len(r))
        if not any(str(c or "").strip() for c in cells):
            continue
        sid = None
        values: dict = {"exams": {}}
        columns = {}
        for i, (kind, what) in cols.items():
            v = cells[i]
            text = "" if v is None else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)).strip()
            if kind == "id":
                if sid is not None or not text:
                    continue
                try:
                    if what == "name":
                        ids = names_in_class.get(text, [])
                        if len(ids) != 1:
                            raise NotFound(tr("grad.name_not_unique", name=text, count=len(ids)))
                        sid = ids[0]
                    else:
                        sid = resolve(session, text)
                except NotFound as e:
                    errors.append(Finding("hs.unknown_student", e.message, field=header[i], row=rno,
                                          params=_where(_col_letter(i), text)))
                    sid = -1
            elif kind == "field" and what == "exams":
                # one "语文:A, 数学:B" column and per-subject columns may come together: merge them
                values["exams"].update(parse_exams(text))
            elif kind == "field":
                values[what] = text
                columns[what] = _col_letter(i)
            elif text:
                values["exams"][what] = text.upper()
        if sid is None:
            errors.append(Finding("hs.no_student", tr("grad.no_student"), row=rno))
            continue
        vals = normalise(values, errors, row=rno, columns=columns)
        if sid == -1:
            continue
        if sid in seen:
            errors.append(Finding("hs.duplicate_row", tr("grad.duplicate_row", other=seen[sid]), row=rno))
            continue
        seen[sid] = rno
        good.append((sid, vals))
    if errors:
        raise Refused(errors)
    with session.transaction() as conn:
        for sid, vals in good:
            old = pq.get_hs_record(conn, sid) or {}
            merged = {k: old.get(k) for k in FIELDS}
            merged.update({k: v for k, v in vals.items() if not (k == "exams" and not v)})
            if vals.get("exams"):
                merged["exams"] = {**(old.get("exams") or {}), **vals["exams"]}
            pq.save_hs_record(conn, sid, merged, path.name, session.user)
        q.insert_history(conn, [{"student_id": sid, "entity": "student", "entity_id": sid, "action": "import",
                                 "field": "hs_record", "new_value": path.name, "changed_by": session.user}
                                for sid, _v in good])
    subjects = sorted({what for kind, what in cols.values() if kind == "exam"})
    return {"rows": len(good), "ids": [sid for sid, _v in good], "subjects": subjects}
