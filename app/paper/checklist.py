"""The document checklist of a student's paper folder: the profile's archive items (resources/checklists/
<profile>.toml: 国家 第七条, 周口 第六条, 长治 第十一条, 辽宁 第八条; 临夏 uses the national list) plus the evidence
each of the student's status changes required (event_evidence). For each item: the paper (present / missing /
lent / handed over / not checked), its electronic copy (scans), when and by whom it was checked."""
from __future__ import annotations

import datetime as _dt
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache

from app.students import status as st
from app.core.errors import Finding, NotFound, Refused
from app.core.i18n import tr
from app.core.paths import resource
from app.core.session import Session
from app.paper import store as pq
from app.school import store as school_store
from app.students import store as q

PAPER_STATES = ("present", "missing", "lent", "handed_over", "unknown")
MARKABLE = ("present", "missing", "handed_over", "unknown")  # "lent" comes from the borrow register
EVIDENCE_PREFIX = "evidence:"
MAX_YEARS = 12


@dataclass
class ChecklistItem:
    key: str                      # "hukou", "fitness@2025", "evidence:17"
    name: str
    section: int
    section_title: str
    article: str
    required: bool = True
    year: int | None = None       # school year (2025 = 2025/26) for per-year items
    source: str = "profile"       # profile | evidence
    event_id: int | None = None
    event_kind: str = ""
    paper: str = "unknown"
    note: str = ""
    checked_at: str = ""
    checked_by: str = ""
    scans: list[dict] = field(default_factory=list)
    loan_id: int | None = None
    due_back: str = ""

    @property
    def has_scan(self) -> bool:
        return bool(self.scans)

    def as_json(self) -> dict:
        return {"key": self.key, "name": self.name, "section": self.section, "section_title": self.section_title,
                "article": self.article, "required": self.required, "year": self.year, "source": self.source,
                "event_id": self.event_id, "event_kind": self.event_kind, "paper": self.paper,
                "electronic": self.has_scan, "note": self.note, "checked_at": self.checked_at,
                "checked_by": self.checked_by, "loan_id": self.loan_id, "due_back": self.due_back or None,
                "scans": [{"id": s["id"], "sha256": s["sha256"], "ext": s["ext"], "bytes": s["bytes"],
                           "pages": s["pages"], "attached_at": s["attached_at"]} for s in self.scans]}


@lru_cache(maxsize=None)
def load_template(profile: str) -> dict:
    """{"profile", "article", "note", "evidence_section", "sections": [...], "items": [...]} for a rule profile;
    a profile without its own file, or one that ``extends`` another, gets that list (临夏 → national)."""
    path = resource("checklists", f"{profile}.toml")
    if not path.exists():
        base = dict(load_template("national")) if profile != "national" else None
        if base is None:
            raise FileNotFoundError(path)
        return dict(base, profile=profile, extends="national")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    if data.get("extends"):
        base = load_template(data["extends"])
        return dict(base, profile=profile, extends=data["extends"], note=data.get("note", ""))
    data.setdefault("note", "")
    data["sections"] = data.pop("section", [])
    data["items"] = data.pop("item", [])
    data.setdefault("evidence_section", 2)
    return data


def _school_years(session: Session, s: dict) -> list[int]:
    from app.changes.kinds import school_year_of

    start = None
    ym = (s.get("entry_ym") or "").replace("-", "")
    if len(ym) >= 6 and ym[:6].isdigit():
        try:
            start = school_year_of(_dt.date(int(ym[:4]), int(ym[4:6]), 15))
        except ValueError:
            start = None
    if start is None and s.get("class_id"):
        k = school_store.get_class(session.conn, s["class_id"])
        start = k["entry_year"] if k else None
    end = school_year_of(_dt.date.today())
    if s["status"] not in st.active_codes():
        evs = pq.status_events_of(session.conn, s["id"])
        if evs:
            end = min(end, school_year_of(_dt.date.fromisoformat(evs[-1]["effective_date"][:10])))
    if start is None:
        start = end
    start = max(start, end - MAX_YEARS + 1)
    return list(range(start, end + 1)) if start <= end else [end]


def _student(session: Session, student_id: int) -> dict:
    s = q.get_student(session.conn, int(student_id))
    if s is None:
        raise NotFound(tr("student.not_found_id", ref=student_id))
    return s


def checklist(session: Session, student_id: int) -> list[ChecklistItem]:
    """The student's checklist in section order (profile items, then each status change's evidence)."""
    s = _student(session, student_id)
    tpl = load_template((session.school or {}).get("profile") or "national")
    titles = {sec["no"]: sec["title"] for sec in tpl["sections"]}
    sec_article = {sec["no"]: sec.get("article", "") for sec in tpl["sections"]}
    items: list[ChecklistItem] = []
    for it in tpl["items"]:
        base = dict(name=it["name"], section=it["section"], section_title=titles.get(it["section"], ""),
                    article=it.get("article", ""), required=bool(it.get("required", True)))
        if it.get("per_year"):
            for y in _school_years(session, s):
                items.append(ChecklistItem(key=f"{it['key']}@{y}", year=y,
                                           **dict(base, name=tr("paper.item_year", name=it["name"], year=y,
                                                                next=y + 1))))
        else:
            items.append(ChecklistItem(key=it["key"], **base))
    esec = tpl.get("evidence_section", 2)
    conn = session.conn
    for ev in pq.evidence_of(conn, s["id"]):
        paper = {"in_folder": "present", "missing": "missing"}.get(ev["how"], "unknown")
        items.append(ChecklistItem(
            key=f"{EVIDENCE_PREFIX}{ev['id']}", name=ev["name"], section=esec, section_title=titles.get(esec, ""),
            article=sec_article.get(esec, tpl.get("article", "")), source="evidence", event_id=ev["event_id"], event_kind=ev["event_kind"],
            year=None, paper=paper, note=ev["note"], checked_at=ev["noted_at"], checked_by=ev["noted_by"],
            scans=([{"id": f"sha256:{ev['file_sha256']}", "sha256": ev["file_sha256"], "ext": _stored_ext(
                session, ev["file_sha256"]), "bytes": None, "pages": None, "attached_at": ev["noted_at"]}]
                   if ev["file_sha256"] else [])))
    marks = pq.marks_of(conn, s["id"])
    scans: dict[str, list[dict]] = {}
    for sc in pq.scans_of(conn, s["id"]):
        scans.setdefault(sc["item_key"], []).append(sc)
    loans = pq.open_loans_of(conn, s["id"])
    folder_loan = next((ln for ln in loans if not ln["item_key"]), None)
    item_loans = {ln["item_key"]: ln for ln in loans if ln["item_key"]}
    handovers = pq.handovers_of(conn, s["id"])
    handed_at = handovers[-1]["recorded_at"] if handovers else None
    for it in items:
        m = marks.get(it.key)
        if m:
            it.paper, it.note, it.checked_at, it.checked_by = m["paper"], m["note"], m["checked_at"], m["checked_by"]
        it.scans = it.scans + scans.get(it.key, [])
        if handed_at and (not m or m["checked_at"] <= handed_at) and it.paper in ("present", "unknown"):
            it.paper = "handed_over"
        loan = item_loans.get(it.key) or folder_loan
        if loan and it.paper in ("present", "unknown"):
            it.paper, it.loan_id, it.due_back = "lent", loan["id"], loan["due_on"]
    items.sort(key=lambda i: (i.section, i.source != "profile"))  # stable: template order, years, events
    return items


def _stored_ext(session: Session, sha: str) -> str:
    from app.core import filestore as store

    try:
        return store.path(session.folder, sha).suffix.lstrip(".")
    except ValueError:
        return ""


def item_keys(session: Session, student_id: int) -> dict[str, ChecklistItem]:
    return {i.key: i for i in checklist(session, student_id)}


def require_item(session: Session, student_id: int, item_key: str) -> ChecklistItem:
    items = item_keys(session, student_id)
    if item_key not in items:
        raise Refused([Finding("paper_unknown_item", tr("paper.err.unknown_item", key=item_key,
                                                         keys=", ".join(list(items)[:12])),
                               field=tr("paper.field.item"))])
    return items[item_key]


def mark_item(session: Session, student_id: int, item_key: str, *, paper: str, note: str = "",
              checked_by: str | None = None) -> ChecklistItem:
    """Record what the registrar found in the folder for one item (one transaction, with its history row)."""
    sid = int(student_id)
    before = require_item(session, sid, item_key)
    if paper not in MARKABLE:
        raise Refused([Finding("paper_bad_state", tr("paper.err.bad_state", state=paper, states=", ".join(MARKABLE)),
                               field=tr("paper.field.paper"))])
    who = checked_by or session.user
    from app.paper.locations import ensure_folder

    with session.transaction() as conn:
        ensure_folder(session, conn, sid)
        pq.upsert_mark(conn, sid, item_key, paper, note, who)
        q.insert_history(conn, [{"student_id": sid, "entity": "folder", "entity_id": sid, "action": "checklist",
                                 "field": item_key, "old_value": before.paper, "new_value": paper,
                                 "changed_by": who, "reason": note}])
    return item_keys(session, sid)[item_key]


def folder_contents(session: Session, student_id: int) -> list[dict]:
    """What the folder holds, for its 卷内目录 (folder-contents print): the checklist items on paper in the
    folder (present, or lent and coming back), in checklist order — {"seq", "key", "item", "article", "date"
    (when checked, else when its scan was attached), "pages" (the scan's page count, or None), "note", "paper"}."""
    out = []
    for it in checklist(session, student_id):
        if it.paper not in ("present", "lent"):
            continue
        pages = sum(int(s.get("pages") or 0) for s in it.scans) or None
        when = it.checked_at or (it.scans[0]["attached_at"] if it.scans else "")
        out.append({"seq": len(out) + 1, "key": it.key, "item": it.name, "article": it.article,
                    "date": (when or "")[:10], "pages": pages, "note": it.note, "paper": it.paper})
    return out
