"""Students: create, edit, find, list, history. Every write is validated (app/validation), checked
against the school's rule profile (app/rules), and done in one transaction with its history rows."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.students import codes
from app.students import fields as F
from app.students import status as st
from app.school.classes import display_name
from app.core.errors import BLOCK_STAR, INVALID, Finding, Refused, triage
from app.core.i18n import tr
from app.rules.engine import RuleContext, evaluate
from app.students.search_index import normalise_query
from app.core.session import Session
from app.students.validation import validate_student
from app.school import store as school_store
from app.students import store as q
from app.changes.enrolment import record_enrolment
from app.students.refs import resolve  # noqa: F401 (API: a student by id, ID number or 学籍号)

MEMBER_KEY = re.compile(r"^m(\d+)\.(\w+)$")


@dataclass
class Override:
    """What a BLOCK* rule needs before it lets an action through (rules-digest §0.3)."""
    reason: str = ""
    approved_by: str = ""
    evidence: list[str] = field(default_factory=list)

    def missing(self, required_evidence=()) -> list[str]:
        """What this override still lacks for a rule that lists ``required_evidence``."""
        out = []
        if not self.reason.strip():
            out.append(tr("student.override_reason"))
        if not self.approved_by.strip():
            out.append(tr("student.override_approver"))
        given = [e for e in self.evidence if e.strip()]
        need = max(1, len(required_evidence))
        if len(given) < need:
            out.append(tr("student.override_evidence", need=need, given=len(given),
                          items=tr("common.item_sep").join(required_evidence) or tr("rules.evidence")))
        return out

    def complete(self, required_evidence=()) -> bool:
        return not self.missing(required_evidence)


@dataclass
class SaveResult:
    id: int
    warnings: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    overridden: list[Finding] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)


class Lookup:
    """Read-only queries the rules may make (sees rows written earlier in the same transaction)."""

    def __init__(self, conn):
        self.conn = conn
        self._class_names: dict[int, str] = {}

    def _class_name(self, class_id):
        if class_id is None:
            return ""
        if class_id not in self._class_names:
            k = school_store.get_class(self.conn, class_id)
            self._class_names[class_id] = display_name(k) if k else ""
        return self._class_names[class_id]

    def _dress(self, rows):
        for r in rows:
            r["class_name"] = self._class_name(r.get("class_id"))
            r["status_name"] = st.name(r["status"])
        return rows

    def students_with(self, column, value, exclude_id):
        return self._dress(q.students_with(self.conn, column, value, exclude_id))

    def students_with_name_birth(self, name, birth_date, exclude_id):
        return self._dress(q.students_with_name_birth(self.conn, name, birth_date, exclude_id))

    def class_headcount(self, class_id, exclude_student):
        return school_store.class_headcount(self.conn, class_id, st.in_class_codes(), exclude_student)


def decide(findings: list[Finding], overrides: dict[str, Override] | None):
    """Findings (duplicates and knock-on ``required`` ones dropped) split as core.errors.triage does:
    refusing, warnings, notes, overridden — an override applies per rule or to every rule (``*``)."""
    invalid = {f.field for f in findings if f.outcome == INVALID and f.code != "required"}
    by_key = F.by_key()
    if by_key["id_number"].header in invalid:  # birth date and gender could not be read from it: one error is enough
        invalid |= {by_key[k].header for k in ("birth_date", "gender", "id_type")}
    findings = [f for f in findings if not (f.code == "required" and f.field in invalid)]
    seen, unique = set(), []
    for f in findings:
        key = (f.rule, f.code, f.field, f.message)
        if key not in seen:
            seen.add(key)
            unique.append(f)

    def gap(f):
        ov = (overrides or {}).get(f.rule) or (overrides or {}).get("*")
        return ov.missing(f.params.get("required_evidence", ())) if ov else None

    return triage(unique, gap)


def _search_text(rec: dict) -> str:
    name = rec.get("name", "")
    parts = [name, name.replace("·", "") if "·" in name else "", rec.get("_pinyin_search", ""), rec.get("_initials", ""),
             rec.get("id_number", ""), rec.get("xueji_no", ""), rec.get("former_name", "")]
    return "|".join(p for p in parts if p).lower()


def _row_values(rec: dict) -> dict:
    v = {k: rec.get(k, "") or "" for k in F.stored_student_keys()}
    v["name_initials"] = rec.get("_initials", "")
    v["search_text"] = _search_text(rec)
    return v


def _finding_rows(student_id, session, warnings, overridden, overrides, evidence) -> list[dict]:
    rows = []
    for f in warnings:
        rows.append({"student_id": student_id, "rule_id": f.rule, "article": f.article, "outcome": f.outcome,
                     "message": f.message, "decided_by": session.user,
                     "evidence_ref": tr("common.item_sep").join(evidence)})
    for f in overridden:
        ov = (overrides or {}).get(f.rule) or (overrides or {}).get("*")
        rows.append({"student_id": student_id, "rule_id": f.rule, "article": f.article, "outcome": f.outcome,
                     "message": f.message, "decided_by": session.user, "override_reason": ov.reason,
                     "approved_by": ov.approved_by, "evidence_ref": tr("common.item_sep").join(ov.evidence)})
    return rows


def _class_header() -> str:
    return F.by_key()["class_code"].header


def _resolve_class(session: Session, class_id, class_code) -> dict | None:
    if class_id not in (None, ""):
        k = school_store.get_class(session.conn, int(class_id))
        if k is None:
            raise Refused([Finding("unknown_class", tr("class.not_found", id=class_id), field=_class_header())])
    elif class_code:
        k = school_store.class_by_code(session.conn, str(class_code).strip())
        if k is None:
            raise Refused([Finding("unknown_class", tr("student.unknown_class_code", code=class_code),
                                   field=_class_header())])
    else:
        return None
    k["display_name"] = display_name(k)
    return k


def create_in_transaction(session: Session, conn, data: dict, members=(), *, class_id=None, class_code=None,
                          reason: str = "", evidence=(), overrides=None, status: str = "enrolled",
                          action: str = "create", batch: str = "", enrol_event: bool = True) -> SaveResult:
    """The create path without its own transaction (the importer runs many inside one). ``enrol_event``:
    write the record's starting status event (a transfer-in writes its own instead)."""
    evidence = [e for e in evidence if e and e.strip()]
    try:
        klass = _resolve_class(session, class_id, class_code)
    except Refused as e:
        klass, class_refusal = None, e.findings
    else:
        class_refusal = []
    if klass is None and not class_refusal:
        class_refusal = [Finding("required", tr("student.class_required"), field=_class_header())]
    rec, mems, findings = validate_student(data, list(members))
    ctx = RuleContext("student.create", record=rec, members=mems, klass=klass, school=session.school,
                      lookup=Lookup(conn), reason=reason, evidence=evidence)
    findings = class_refusal + findings + evaluate(session.profile, ctx)
    refusing, warnings, notes, overridden = decide(findings, overrides)
    if refusing or klass is None:
        raise Refused(refusing or class_refusal)
    values = _row_values(rec)
    values.update(class_id=klass["id"], status=status)
    sid = q.insert_student(conn, values)
    for m in mems:
        q.upsert_member(conn, sid, int(m["seq"]), {k: m.get(k, "") or "" for k in F.member_by_key()})
    q.insert_history(conn, [{"student_id": sid, "entity": "student", "entity_id": sid, "action": action,
                             "field": tr("label.record"),
                             "new_value": f"{rec['name']} {rec.get('id_number', '')} → {klass['display_name']}",
                             "changed_by": session.user, "reason": reason,
                             "evidence_ref": tr("common.item_sep").join(evidence),
                             "batch": batch}])
    q.insert_findings(conn, _finding_rows(sid, session, warnings, overridden, overrides, evidence))
    if enrol_event:
        record_enrolment(conn, sid, status, klass, rec.get("entry_ym", "") or "", session.user, batch)
    return SaveResult(sid, warnings, notes, overridden)


class _DryRun(Exception):
    def __init__(self, result):
        self.result = result


def create_student(session: Session, data: dict, members=(), *, dry_run: bool = False, **kw) -> SaveResult:
    """Create one student. ``dry_run``: check everything (raising Refused as a save would) and return
    the warnings a save would give, writing nothing — the window asks before saving a possible duplicate."""
    try:
        with session.transaction() as conn:
            result = create_in_transaction(session, conn, data, members, **kw)
            if dry_run:
                raise _DryRun(result)
            return result
    except _DryRun as d:
        d.result.id = None
        return d.result


def get_student(session: Session, ref) -> dict:
    sid = resolve(session, ref)
    s = q.get_student(session.conn, sid)
    s["members"] = q.members_of(session.conn, sid)
    s["status_name"] = st.name(s["status"])
    k = school_store.get_class(session.conn, s["class_id"]) if s["class_id"] else None
    s["class"] = dict(k, display_name=display_name(k)) if k else None
    return s


def view_student(session: Session, ref, *, where: str) -> dict:
    """``get_student`` for a person opening the full record (editor window, ``student show``): the view is
    written to the audit log's access register (国家 第二十五条, 长治 第四十四条)."""
    from app.audit import log as audit

    s = get_student(session, ref)
    session.require_student(s["class_id"])  # a head teacher opens only their own classes' records
    audit.record_view(session, s["id"], where=where)
    if not session.can("view_full_id"):
        from app.core.masking import mask_id

        s["id_number"] = mask_id(s.get("id_number") or "")
        s["xueji_no"] = mask_id(s.get("xueji_no") or "")  # G + the ID number
        for m in s["members"]:
            m["id_number"] = mask_id(m.get("id_number") or "")
    return s


def edit_student(session: Session, ref, changes: dict, *, reason: str = "", evidence=(), overrides=None,
                 dry_run: bool = False) -> SaveResult:
    """Apply ``changes`` (field keys, ``class_id``, or ``m1.name`` style member keys) to one student.
    ``dry_run``: as create_student's — check and report, write nothing."""
    try:
        return _edit(session, ref, changes, reason=reason, evidence=evidence, overrides=overrides, dry_run=dry_run)
    except _DryRun as d:
        return d.result


def _edit(session, ref, changes, *, reason, evidence, overrides, dry_run) -> SaveResult:
    evidence = [e for e in evidence if e and e.strip()]
    sid = resolve(session, ref)
    with session.transaction() as conn:
        old = q.get_student(conn, sid)
        old_members = {int(m["seq"]): m for m in q.members_of(conn, sid)}
        rec = {k: old[k] for k in F.stored_student_keys()}
        members = {n: {k: m.get(k, "") for k in F.member_by_key()} | {"seq": n} for n, m in old_members.items()}
        new_class_id = old["class_id"]
        bad = []
        for key, value in changes.items():
            m = MEMBER_KEY.match(key)
            if key == "class_id":
                new_class_id = int(value)
            elif m and m.group(2) in F.member_by_key():
                members.setdefault(int(m.group(1)), {"seq": int(m.group(1))})[m.group(2)] = value
            elif key in F.stored_student_keys():
                rec[key] = value
            else:
                bad.append(Finding("not_editable", tr("student.not_editable", key=key), field=key))
        if bad:
            raise Refused(bad)
        if "name" in changes and "name_pinyin" not in changes:
            rec["name_pinyin"] = ""  # derived from the name: recomputed by validation
        klass = _resolve_class(session, new_class_id, None)
        new_rec, new_members, findings = validate_student(rec, [members[n] for n in sorted(members)])
        lookup = Lookup(conn)
        ctx = RuleContext("student.edit", record=new_rec, old=old, members=new_members, klass=klass,
                          school=session.school, lookup=lookup, reason=reason, evidence=evidence, student_id=sid)
        findings += evaluate(session.profile, ctx)
        if new_class_id != old["class_id"]:
            ctx.event = "student.place"
            findings += evaluate(session.profile, ctx)
        refusing, warnings, notes, overridden = decide(findings, overrides)
        if refusing:
            raise Refused(refusing)
        values = _row_values(new_rec)
        values["class_id"] = new_class_id
        changed = {k: v for k, v in values.items() if str(old.get(k) or "") != str(v or "")}
        hist = []
        common = {"student_id": sid, "changed_by": session.user, "reason": reason,
                  "evidence_ref": tr("common.item_sep").join(evidence)}
        for k, v in changed.items():
            if k in ("search_text", "name_initials") or (k == "name_pinyin" and k not in changes):
                continue  # derived from the name: the name's own history row says it all
            hist.append(dict(common, entity="student", entity_id=sid, action="edit", field=k,
                             old_value=str(old.get(k) or ""), new_value=str(v or "")))
        for m in new_members:
            n = int(m["seq"])
            before = old_members.get(n, {})
            mvals = {k: m.get(k, "") or "" for k in F.member_by_key()}
            mchanged = {k: v for k, v in mvals.items() if str(before.get(k) or "") != v}
            if mchanged:
                q.upsert_member(conn, sid, n, mvals)
                hist += [dict(common, entity=f"member{n}", action="edit", field=k,
                              old_value=str(before.get(k) or ""), new_value=v) for k, v in mchanged.items()]
        if changed:
            q.update_student(conn, sid, changed)
        q.insert_history(conn, hist)
        q.insert_findings(conn, _finding_rows(sid, session, warnings, overridden, overrides, evidence))
        result = SaveResult(sid, warnings, notes, overridden,
                            changed=[_field_name(h["entity"], h["field"]) for h in hist])
        if dry_run:
            raise _DryRun(result)  # rolls the transaction back
        return result


def search_ids(session: Session, text: str = "", class_id=None, statuses=None, limit=None) -> list[int]:
    pattern = normalise_query(text)
    scope = session.class_scope  # a head teacher: their own classes only
    if scope is not None:
        if class_id is not None:
            return q.search_student_ids(session.conn, pattern or None, class_id, statuses, limit) if class_id in scope else []
        out = [i for c in sorted(scope) for i in q.search_student_ids(session.conn, pattern or None, c, statuses, None)]
        return out[:limit] if limit else out
    return q.search_student_ids(session.conn, pattern or None, class_id, statuses, limit)


def search_entries(session: Session) -> list[tuple]:
    """(id, search_text, class_id, status) of every student in roster order: what app.students.search_index holds."""
    scope = session.class_scope
    if scope is not None:
        return [e for e in q.search_entries(session.conn) if e[2] in scope]
    return q.search_entries(session.conn)


def rows(session: Session, ids: list[int]) -> dict[int, dict]:
    return q.students_by_ids(session.conn, ids)


def members_of_many(session: Session, ids: list[int]) -> dict[int, list[dict]]:
    return q.members_of_many(session.conn, ids)


def history(session: Session, ref) -> list[dict]:
    """Every change, oldest first, with values shown as the registrar reads them (names, not codes),
    and the rule decisions taken on the way (warnings acknowledged, BLOCK* overrides with approver)."""
    sid = resolve(session, ref)
    if session.class_scope is not None:
        session.require_student(q.get_student(session.conn, sid)["class_id"])
    out = q.history_of(session.conn, sid)
    for h in out:
        h["field_name"] = _field_name(h["entity"], h["field"])
        h["old_display"] = _display(session, h["entity"], h["field"], h["old_value"])
        h["new_display"] = _display(session, h["entity"], h["field"], h["new_value"])
        h["approved_by"] = ""
    for f in q.findings_of(session.conn, sid):
        action = "override" if f["outcome"] == BLOCK_STAR else "acknowledge"
        out.append({"id": None, "student_id": sid, "entity": "rule", "entity_id": None, "action": action,
                    "field": f["rule_id"], "field_name": tr("student.rule_decision", rule=f["rule_id"], article=f["article"]),
                    "old_value": "", "new_value": f["message"], "old_display": "", "new_display": f["message"],
                    "changed_at": f["decided_at"], "changed_by": f["decided_by"], "reason": f["override_reason"],
                    "evidence_ref": f["evidence_ref"], "approved_by": f["approved_by"], "batch": ""})
    out.sort(key=lambda h: (h["changed_at"], h["entity"] == "rule"))
    if not session.can("view_full_id"):  # a head teacher: every ID number in the history masked
        from app.core.masking import mask_ids_in_text

        for h in out:
            for k in ("old_value", "new_value", "old_display", "new_display", "reason", "evidence_ref"):
                if isinstance(h.get(k), str):
                    h[k] = mask_ids_in_text(h[k])
    return out


def _display(session: Session, entity: str, key: str, value: str) -> str:
    if not value:
        return ""
    if entity == "student":
        if key == "class_id":
            k = school_store.get_class(session.conn, int(value)) if str(value).isdigit() else None
            return display_name(k) if k else value
        if key == "status":
            return st.name(value)
        fd = F.by_key().get(key)
    elif re.match(r"member\d+$", entity):
        fd = F.member_by_key().get(key)
    else:
        return value
    if fd is not None and fd.kind == "code" and fd.table:
        return codes.name_of(fd.table, value)
    return value


def findings(session: Session, ref) -> list[dict]:
    return q.findings_of(session.conn, resolve(session, ref))


def _field_name(entity: str, key: str) -> str:
    if entity == "student":
        if key == "class_id":
            return tr("label.class")
        if key == "status":
            return tr("label.status")
        if key == "photo":
            return tr("label.photo")
        return F.by_key()[key].header if key in F.by_key() else key
    m = re.match(r"member(\d+)$", entity)
    if m and key in F.member_by_key():
        return F.member_header(m.group(1), key)
    return key
