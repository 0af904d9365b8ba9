"""What each document prints: the records (one per student or one per list) and table rows, gathered
from the archive with read-only queries. Field names are the template vocabulary (template.FIELDS)."""
from __future__ import annotations

import datetime as dt
import json
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache

from app.changes import kinds as change_kinds
from app.students import codes, status
from app.students import fields as F
from app.school.classes import display_name, grade_name
from app.core.errors import Finding, NotFound, Refused
from app.core.i18n import tr
from app.printing import cnum
from app.printing.kinds import CERT_KINDS
from app.printing import store as D
from app.printing.template import template_dir
from app.school.service import STAGE_NAMES
from app.students.service import resolve
from app.students import store as q

# The certificate rules that name the states a kind is for (resources/rules/certificates/*.toml): the one
# source of which students a class / school-year print of a certificate covers.
CERT_STATE_CHECKS = ("cert_final_state", "cert_graduated_here")
FINISHED = ("graduated", "completed", "left_incomplete", "xiuye")
ENTRY_GRADES = (1, 7, 10)
GRADUATING_GRADES = (6, 9, 12)


def kind_states(session, kind: str) -> tuple[str, ...] | None:
    """The states a certificate kind is for, as the profile's certificate rules name them
    (``params.states``: a list, or per kind); None for other kinds."""
    if kind not in CERT_KINDS:
        return None
    prof = getattr(session, "profile", None)
    out: list[str] = []
    for r in prof.rules_for(f"cert.{kind}") if prof is not None else []:
        if r.check not in CERT_STATE_CHECKS:
            continue
        st = r.params.get("states") or []
        if isinstance(st, dict):
            st = st.get(kind) or []
        out += [x for x in st if x not in out]
    return tuple(out) or None


@lru_cache(maxsize=1)
def names() -> dict:
    return tomllib.loads((template_dir() / "names.toml").read_text(encoding="utf-8"))


@dataclass
class Doc:
    record: dict
    rows: list | None = None
    student_id: int | None = None
    stage: str = ""
    label: str = ""
    photo: bytes | None = None
    extra: dict = field(default_factory=dict)


def school_year_of(day: dt.date) -> int:
    return day.year if day.month >= 8 else day.year - 1


def year_range(year: int) -> tuple[str, str]:
    """School year ``year``/``year + 1``: 1 August to 31 July (the school year starts in August, decisions.md)."""
    return f"{year:04d}-08-01", f"{year + 1:04d}-07-31"


def _code(table: str, value: str) -> str:
    if not value:
        return ""
    try:
        return codes.name_of(table, value) or value
    except KeyError:
        return value


def kind_label(kind: str) -> str:
    """The status-change kind as the registrar calls it (app/changes/kinds.py)."""
    return change_kinds.label(kind)


def _iso(d) -> str:
    y, m, dd = cnum.parse(d)
    return cnum.fmt_date(d, "iso") if y else ""


class Context:
    def __init__(self, session, *, issue_date=None, numbers=None, values=None):
        self.session = session
        self.conn = session.conn
        school = session.school or {}
        self.school = school
        self.classes = D.classes_by_id(self.conn)
        self.today = dt.date.today()
        self.issue_date = _iso(issue_date) if issue_date else self.today.isoformat()
        self.numbers = {int(k): str(v) for k, v in (numbers or {}).items()}
        self.values = values or {}

    def school_fields(self) -> dict:
        s = self.school
        return {"school_name": s.get("name", ""), "school_code": s.get("code", ""),
                "school_address": s.get("address", ""), "principal": s.get("principal", ""),
                "registrar": s.get("registrar", ""), "school_phone": s.get("phone", ""),
                "profile": s.get("profile", ""), "issue_date": self.issue_date,
                "printed_at": self.today.isoformat()}

    def extra_for(self, sid) -> dict:
        v = self.values
        if not v:
            return {}
        if sid is not None and sid in v and isinstance(v[sid], dict):
            return v[sid]
        if sid is not None and str(sid) in v and isinstance(v[str(sid)], dict):
            return v[str(sid)]
        return {k: val for k, val in v.items() if not isinstance(val, dict)}

    def student_record(self, s: dict, members: list[dict] | None = None, leave_date: str = "") -> dict:
        k = self.classes.get(s.get("class_id")) or {}
        stage = k.get("stage", "")
        rec = self.school_fields()
        birth = _iso(s.get("birth_date", ""))
        rec.update({
            "name": s.get("name", ""), "gender": _code("gender", s.get("gender", "")), "birth_date": birth,
            "id_number": s.get("id_number", ""), "id_type": _code("id_type", s.get("id_type", "")),
            "xueji_no": s.get("xueji_no", ""), "ethnicity": _code("ethnicity", s.get("ethnicity", "")),
            "native_place": s.get("native_place", ""), "nationality": _code("nationality", s.get("nationality", "")),
            "name_pinyin": s.get("name_pinyin", ""), "former_name": s.get("former_name", ""),
            "class_name": display_name(k) if k else "", "class_code": k.get("code") or "",
            "grade_name": grade_name(k["grade"]) if k else "", "stage": stage,
            "stage_name": STAGE_NAMES[stage] if stage in STAGE_NAMES else "",
            "entry_date": _iso(s.get("entry_ym", "")), "seat_no": s.get("seat_no", ""),
            "status_name": status.name(s["status"]) if s.get("status") else "",
            "birthplace": s.get("birthplace_code", ""), "current_address": s.get("current_address", ""),
            "home_address": s.get("home_address", ""), "phone": s.get("phone", ""),
            "postcode": s.get("postcode", ""), "hukou_division": s.get("hukou_division", ""),
            "hukou_type": _code("hukou_type", s.get("hukou_type", "")), "health": _code("health", s.get("health", "")),
            "political": _code("political", s.get("political", "")),
            "entry_mode": _code("entry_mode", s.get("entry_mode", "")),
            "study_mode": _code("study_mode", s.get("study_mode", "")),
            "only_child": _code("yes_no", s.get("only_child", "")), "preschool": _code("yes_no", s.get("preschool", "")),
            "left_behind": _code("left_behind", s.get("left_behind", "")),
            "migrant_child": _code("yes_no", s.get("migrant_child", "")),
            "disability": _code("disability", s.get("disability", "")),
            "needs_aid": _code("yes_no", s.get("needs_aid", "")), "orphan": _code("yes_no", s.get("orphan", "")),
            "martyr_child": _code("yes_no", s.get("martyr_child", "")), "commute": _code("commute", s.get("commute", "")),
            "distance_km": s.get("distance_km", ""), "school_bus": _code("yes_no", s.get("school_bus", "")),
            "specialty": s.get("specialty", ""), "id_validity": s.get("id_validity", ""),
            "blood_type": _code("blood_type", s.get("blood_type", "")), "email": s.get("email", ""),
            "student_source": _code("student_source", s.get("student_source", "")),
            "cert_number": self.numbers.get(s["id"], ""),
            "leave_date": leave_date or self.issue_date,
            "study_years": str(names()["study_years"].get(stage, "")) if stage else "",
        })
        y, m, d = cnum.parse(birth)
        if y and m and d:
            t = self.today
            rec["age"] = str(t.year - y - ((t.month, t.day) < (m, d)))
        for f in F.student_fields():  # every other field of the national form, codes as names
            if f.key not in rec:
                v = s.get(f.key, "")
                rec[f.key] = _code(f.table, v) if f.kind == "code" and f.table else (v or "")
        for n, mem in enumerate(members or [], start=1):
            if n > 2:
                break
            for f in F.member_fields():
                v = mem.get(f.key, "")
                rec[f"m{n}_{f.key}"] = _code(f.table, v) if f.kind == "code" and f.table else (v or "")
        rec["_sid"] = s["id"]
        rec["qr"] = f"XUEJI|{rec['school_code']}|{s['id']}|{s.get('xueji_no') or s.get('id_number') or ''}"
        rec.update(self.extra_for(s["id"]))
        return rec


# ------------------------------------------------------------------ choosing students
def resolve_ids(session, student_ids) -> list[int]:
    out = []
    for ref in student_ids:
        if isinstance(ref, int):
            if q.get_student(session.conn, ref) is None:
                raise NotFound(tr("print.student_not_found", ref=ref))
            out.append(ref)
        else:
            out.append(resolve(session, ref))
    return out


def _student_ids(ctx: Context, kind: str, student_ids, class_id, school_year) -> list[int]:
    conn = ctx.conn
    if student_ids:
        return resolve_ids(ctx.session, list(student_ids))
    states = kind_states(ctx.session, kind)
    if class_id is not None:
        if int(class_id) not in ctx.classes:
            raise NotFound(tr("print.class_not_found", ref=class_id))
        wanted = tuple(status.in_class_codes()) + FINISHED
        return D.class_student_ids(conn, int(class_id), states or wanted)
    if school_year is not None and states:
        ids = D.student_ids_with_status(conn, states)
        start, end = year_range(int(school_year))
        ev = D.last_event_to(conn, ids, states)
        return [i for i in ids if i not in ev or start <= ev[i]["effective_date"] <= end]
    raise Refused([Finding("PRINT.NO_SELECTION", tr("printing.no_selection", kind=kind), field="student")])


def _leave_dates(ctx: Context, kind: str, ids: list[int]) -> dict[int, str]:
    states = kind_states(ctx.session, kind) or FINISHED
    return {sid: e["effective_date"] for sid, e in D.last_event_to(ctx.conn, ids, states).items()}


def student_docs(ctx: Context, kind: str, student_ids=None, class_id=None, school_year=None) -> list[Doc]:
    ids = _student_ids(ctx, kind, student_ids, class_id, school_year)
    if not student_ids:
        ids = D.sort_ids(ctx.conn, ids)  # named students print in the order given
    if not ids:
        raise Refused([Finding("PRINT.NOBODY", tr("printing.nobody", kind=kind), field="student")])
    students = q.students_by_ids(ctx.conn, ids)
    members = q.members_of_many(ctx.conn, ids) if kind in ("basic-info-form",) else {}
    leave = _leave_dates(ctx, kind, ids) if kind in CERT_KINDS else {}
    docs = []
    for sid in ids:
        s = students[sid]
        rec = ctx.student_record(s, members.get(sid), leave.get(sid, ""))
        rows = None
        if kind == "folder-contents":
            rows = folder_rows(ctx, s)
        docs.append(Doc(rec, rows, sid, rec["stage"], s.get("name", "")))
    return docs


def change_text(e: dict, nm: dict) -> str:
    states = (status.name(e["from_state"]) if e["from_state"] else "") + nm["arrow"] + status.name(e["to_state"])
    return nm["change"].format(kind=kind_label(e["kind"]), states=states)


def folder_rows(ctx: Context, s: dict) -> list[dict]:
    nm = names()["folder"]
    rows = [{"item": nm["basic_form"], "event_date": _iso(s.get("created_at", "")), "count_text": "1"}]
    for when in D.photo_dates(ctx.conn, s["id"])[-1:]:
        rows.append({"item": nm["photo"], "event_date": _iso(when), "count_text": "1"})
    for e in D.events_of(ctx.conn, s["id"]):
        change = change_text(e, nm)
        rows.append({"item": nm["event"].format(change=change), "event_date": e["effective_date"],
                     "count_text": "1", "note": e.get("reason", "")})
    for v in D.evidence_of(ctx.conn, s["id"]):
        rows.append({"item": nm["evidence"].format(name=v["name"]), "event_date": v["effective_date"],
                     "count_text": "1", "note": v.get("note", "")})
    n, first, last = D.history_summary(ctx.conn, s["id"])
    if n:
        rows.append({"item": nm["history"].format(count=n), "event_date": _iso(last), "count_text": "1"})
    for i, r in enumerate(rows, start=1):
        r["seq"] = str(i)
    return rows


# ------------------------------------------------------------------ lists
def _rows(ctx: Context, ids: list[int], leave: dict | None = None) -> list[dict]:
    students = q.students_by_ids(ctx.conn, ids)
    members = q.members_of_many(ctx.conn, ids)
    out = []
    for i, sid in enumerate(ids, start=1):
        s = students[sid]
        r = ctx.student_record(s, members.get(sid), (leave or {}).get(sid, ""))
        r["seq"] = str(i)
        r["conclusion"] = names()["conclusion"].get(s["status"], "")
        out.append(r)
    return out


def _year(school_year) -> int:
    return int(school_year) if school_year is not None else school_year_of(dt.date.today())


def list_docs(ctx: Context, kind: str, *, student_ids=None, class_id=None, school_year=None,
              register_rows=None) -> list[Doc]:
    conn = ctx.conn
    base = ctx.school_fields()
    year = _year(school_year)
    base.update({"school_year": str(year), "school_year_next": str(year + 1)})
    in_class = tuple(status.in_class_codes())
    if kind == "class-roster":
        if class_id is not None:
            if int(class_id) not in ctx.classes:
                raise NotFound(tr("print.class_not_found", ref=class_id))
            class_ids = [int(class_id)]
        else:
            class_ids = [k["id"] for k in sorted(ctx.classes.values(), key=lambda k: (k["grade"], k["number"]))
                         if k["status"] == "active"]
        docs = []
        for cid in class_ids:
            k = ctx.classes[cid]
            ids = D.class_student_ids(conn, cid, in_class)
            rec = dict(base, class_name=display_name(k), class_code=k.get("code") or "",
                       grade_name=grade_name(k["grade"]), stage=k["stage"],
                       stage_name=STAGE_NAMES[k["stage"]] if k["stage"] in STAGE_NAMES else "", count=str(len(ids)))
            rows = _rows(ctx, ids)
            rec["male"] = str(sum(1 for r in rows if r["gender"] == _code("gender", "1")))
            rec["female"] = str(sum(1 for r in rows if r["gender"] == _code("gender", "2")))
            docs.append(Doc(rec, rows))
        if not docs:
            raise Refused([Finding("PRINT.NOBODY", tr("printing.nobody", kind=kind), field="class")])
        return docs
    if kind in ("new-student-roster", "hs-registration-register", "hs-registration-approval"):
        grades = (10,) if kind.startswith("hs-") else ENTRY_GRADES
        cids = [k["id"] for k in ctx.classes.values()
                if k["grade"] in grades and k["entry_year"] == year and (class_id is None or k["id"] == int(class_id))]
        ids = []
        for cid in cids:
            ids += D.class_student_ids(conn, cid, in_class + FINISHED + ("suspended", "transferred"))
        ids = D.sort_ids(conn, ids)
        rows = _rows(ctx, ids)
        if kind.startswith("hs-"):
            rows.sort(key=lambda r: (r["xueji_no"] == "", r["xueji_no"]))  # 说明：按学号顺序由小到大排列
            for i, r in enumerate(rows, start=1):
                r["seq"] = str(i)
        rec = dict(base, count=str(len(rows)), actual_total=str(len(rows)), apply_total=str(len(rows)))
        numbered = [r["xueji_no"] for r in rows if r["xueji_no"]]
        rec["xh_from"], rec["xh_to"] = (numbered[0], numbered[-1]) if numbered else ("", "")
        if kind == "hs-registration-approval":
            return [Doc(rec)]
        return [Doc(rec, rows)]
    if kind == "graduate-roster":
        if class_id is not None:
            ids = D.class_student_ids(conn, int(class_id), in_class + FINISHED)
        else:
            finished = D.student_ids_with_status(conn, FINISHED)
            start, end = year_range(year)
            ev = D.last_event_to(conn, finished, FINISHED)
            ids = [i for i in finished if i in ev and start <= ev[i]["effective_date"] <= end]
            if not ids:  # before the graduation is recorded: the graduating grades (for the bureau's 验印)
                for k in ctx.classes.values():
                    if k["grade"] in GRADUATING_GRADES and k["status"] == "active":
                        ids += D.class_student_ids(conn, k["id"], in_class)
        ids = D.sort_ids(conn, ids)
        leave = {sid: e["effective_date"] for sid, e in D.last_event_to(conn, ids, FINISHED).items()}
        rows = _rows(ctx, ids, leave)
        for r in rows:
            r["cert_number"] = ctx.numbers.get(r["_sid"], "")
        return [Doc(dict(base, count=str(len(rows))), rows)]
    if kind == "change-register":
        start, end = year_range(year)
        events = D.events_between(conn, start, end)
        in_set = set(in_class)
        nm = names()
        sids = sorted({e["student_id"] for e in events})
        students = q.students_by_ids(conn, sids)
        rows = []
        for e in events:
            was_in, now_in = e["from_state"] in in_set, e["to_state"] in in_set
            if was_in == now_in:
                continue
            s = students.get(e["student_id"])
            if s is None:
                continue
            r = ctx.student_record(s)
            k = ctx.classes.get(e.get("to_class_id") or e.get("from_class_id")) or {}
            try:
                details = json.loads(e.get("details") or "{}")
            except ValueError:
                details = {}
            r.update({"event_date": e["effective_date"],
                      "direction": nm["direction"]["increase" if now_in else "decrease"],
                      "event_kind": change_text(e, nm["folder"]),
                      "grade_name": grade_name(k["grade"]) if k else r["grade_name"],
                      "class_name": display_name(k) if k else r["class_name"],
                      "from_school": str(details.get("from_school", "")), "to_school": str(details.get("to_school", "")),
                      "note": e.get("reason", ""), "doc_number": str(details.get("doc_number", ""))})
            rows.append(r)
        for i, r in enumerate(rows, start=1):
            r["seq"] = str(i)
        plus = sum(1 for r in rows if r["direction"] == nm["direction"]["increase"])
        rec = dict(base, count=str(len(rows)), male=str(plus), female=str(len(rows) - plus))
        return [Doc(rec, rows)]
    if kind == "issuance-register":
        nm = names()
        rows = []
        for i, src in enumerate(register_rows or [], start=1):
            r = {k: ("" if v is None else str(v)) for k, v in dict(src).items()}
            r["seq"] = str(i)
            r["kind"] = nm["kind"].get(r.get("kind", ""), r.get("kind", ""))
            r["event"] = nm["event"].get(r.get("event", ""), r.get("event", ""))
            if "name" not in r:
                r["name"] = r.get("student", r.get("student_name", ""))
            ver = src.get("verified") if isinstance(src, dict) else None
            r["verified"] = nm["yes_no"]["yes" if ver else "no"] if ver in (True, False, 0, 1, None) else str(ver)
            r["issued_at"] = _iso(r.get("issued_at", "")) or r.get("issued_at", "")
            rows.append(r)
        return [Doc(dict(base, count=str(len(rows))), rows)]
    raise KeyError(kind)
