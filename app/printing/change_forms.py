"""The form of a status change (转学联系表, 休学复学申请表, 退学申请表, 借读申请表, 出国（出境）申请表): which
form the school's profile names for a change kind, who signs it, and the record the ``change-form`` template
fills (resources/templates/change-forms.toml)."""
from __future__ import annotations

import json
import tomllib
from functools import lru_cache
from types import SimpleNamespace

from app.changes import kinds as K
from app.changes.checks import applies
from app.changes.service import form_data
from app.core.errors import Finding, Refused
from app.core.i18n import tr
from app.printing import cnum
from app.printing import store as D
from app.printing.documents import Context, Doc, resolve_ids
from app.printing.template import PrintRefused, template_dir
from app.school.classes import display_name, grade_name
from app.students import store as q


@lru_cache(maxsize=1)
def change_forms() -> dict:
    """resources/templates/change-forms.toml: kind → form family, titles, parties, words."""
    return tomllib.loads((template_dir() / "change-forms.toml").read_text(encoding="utf-8"))


def form_of(session, kind: str, stored: str = "") -> tuple[str, str]:
    """(form name, template family) of a change kind in the school's profile; ('', '') when it has none."""
    family = change_forms()["kinds"].get(kind, "")
    form = stored or (K.form_for(kind, session.profile.chain) if K.spec(kind) else "")
    return (form, family) if form and family else ("", "")


def latest_form_event(session, student_id: int) -> int | None:
    """The student's latest change event (effective date, then id) whose kind has a form in this profile."""
    for e in reversed(D.events_of(session.conn, student_id)):
        stored = ""
        try:
            stored = json.loads(e.get("details") or "{}").get("form", "")
        except ValueError:
            pass
        if form_of(session, e["kind"], stored)[0]:
            return e["id"]
    return None


def _parties(session, fd: dict, family: str, stage: str) -> list[str]:
    """Who signs: the family's own parties, then those the profile's approvals rules name for this change
    (evaluated on the recorded facts), then any party with a deadline or a recorded decision."""
    e, det = fd["event"], fd["event"]["details"]
    out = list(change_forms().get("parties", {}).get(family, []))
    facts = SimpleNamespace(stage=stage, stage_group=K.stage_group(stage), from_state=e["from_state"],
                            to_state=e["to_state"], cause=det.get("cause") or K.cause_from_text(e.get("reason", "")),
                            level=str(det.get("level", "") or ""), auto=bool(det.get("auto")), details=det,
                            initiator=str(det.get("initiator", "") or "family"))
    for r in session.profile.rules_for(f"change.{fd['kind']}"):
        if r.check == "approvals_required" and applies(facts, r.params):
            out += [p for p in r.params.get("parties", []) if p not in out]
    out += [d["note"] for d in fd["deadlines"] if d["kind"] == "party_response" and d["note"] and d["note"] not in out]
    out += [a["party"] for a in fd["approvals"] if a["party"] not in out]
    return out


def change_doc(ctx: Context, event_id: int) -> Doc:
    session, conn = ctx.session, ctx.conn
    fd = form_data(session, int(event_id))
    e, det = fd["event"], fd["event"]["details"]
    form, family = form_of(session, fd["kind"], fd["form"])
    if not form:
        raise PrintRefused([Finding("PRINT.NO_FORM", tr("print.no_change_form", kind=fd["kind_name"], id=event_id),
                                    field="event")])
    cfg = change_forms()
    words = cfg.get("words", {})
    title = cfg.get("titles", {}).get(form, {})
    s = fd["student"]
    members = q.members_of_many(conn, [s["id"]]).get(s["id"])
    rec = ctx.student_record(s, members)
    k_from = ctx.classes.get(e.get("from_class_id")) or ctx.classes.get(s.get("class_id")) or {}
    k_to = ctx.classes.get(e.get("to_class_id")) or {}
    stage = k_from.get("stage") or k_to.get("stage") or rec.get("stage", "")
    school = rec["school_name"]
    to_school = str(det.get("to_school", "") or "")
    from_school = str(det.get("from_school", "") or "")
    if fd["kind"] in ("transfer-out", "jiedu-out"):
        from_school = from_school or school
    elif fd["kind"] == "transfer-in":
        to_school = to_school or school
    target = ""
    if fd["kind"] in ("resume", "transfer-in") and k_to:
        target = display_name(k_to)
    elif det.get("grade") not in (None, ""):
        try:
            target = grade_name(int(det["grade"]))
        except (TypeError, ValueError):
            target = str(det["grade"])
    period_from = period_to = ""
    if fd["kind"] in ("suspend", "extend-suspension"):
        period_from, period_to = e["effective_date"], str(det.get("until", "") or "")
    elif fd["kind"] == "resume":
        before = [x for x in D.events_of(conn, s["id"]) if x["kind"] == "suspend"
                  and (x["effective_date"], x["id"]) < (e["effective_date"], e["id"])]
        period_from, period_to = (before[-1]["effective_date"] if before else ""), e["effective_date"]
    how = cfg.get("evidence", {})
    item = words.get("evidence_item", "{name} ({how})")
    evidence = words.get("evidence_sep", "; ").join(
        item.format(name=v["name"], how=how[v["how"]]) if how.get(v["how"]) else v["name"] for v in fd["evidence"])
    rec.update({
        "form_title": title.get("title", form), "form_note": title.get("note", ""), "event_no": str(e["id"]),
        "event_kind": fd["kind_name"], "event_date": e["effective_date"], "reason": e.get("reason", "") or "",
        "from_school": from_school, "to_school": to_school, "target_class": target,
        "period_from": period_from, "period_to": period_to, "evidence_text": evidence,
        "from_state_name": fd["from_state_name"], "to_state_name": fd["to_state_name"],
        "class_name": fd["class_name"] or rec["class_name"],
    })
    latest = {}
    for a in fd["approvals"]:
        latest[a["party"]] = a
    decisions = cfg.get("decision", {})
    rows = []
    for i, party in enumerate(_parties(session, fd, family, stage), start=1):
        a = latest.get(party, {})
        on = a.get("decided_on") or ""
        rows.append({"seq": str(i), "party": party, "decision": decisions.get(a.get("decision", ""), ""),
                     "decided_by": a.get("decided_by", "") or "", "doc_number": a.get("doc_number", "") or "",
                     "decided_on": on, "decided_on_text": cnum.fmt_date(on, "ymd") if on else words.get("date_blank", ""),
                     "name": s.get("name", "")})
    return Doc(rec, rows, s["id"], family, s.get("name", ""))


def change_docs(ctx: Context, event_ids=None, student_ids=None) -> list[Doc]:
    """One form per event; ``student_ids``: each student's latest change event that has a form."""
    ids = [int(i) for i in event_ids or []]
    for sid in resolve_ids(ctx.session, list(student_ids or [])):
        eid = latest_form_event(ctx.session, sid)
        if eid is None:
            s = q.get_student(ctx.conn, sid)
            raise PrintRefused([Finding("PRINT.NO_CHANGE_EVENT", tr("print.no_change_event", name=s.get("name", sid)),
                                        field="student")])
        ids.append(eid)
    if not ids:
        raise Refused([Finding("PRINT.NO_SELECTION", tr("printing.no_selection", kind="change-form"), field="event")])
    return [change_doc(ctx, i) for i in ids]
