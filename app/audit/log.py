"""The tamper-evident audit log (docs/security.md, "Audit log"): record, verify, list, page, export as CSV.

Most entries are written by SQLite triggers in the same transaction as the action (db/migrations/0009):
every row of change_history, status_events, cert_events, rule_findings (overrides with their approver),
folder_loans (lend and return) and backup_log. What has no row of its own is recorded here, inside the
caller's transaction where there is one: views of a full student record (the access register, 国家 第二十五条,
长治 第四十四条), prints and exports. The acting user is ``session.user`` (the OS login, or the signed-in
account). The entries in the registrar's words: app/audit/text.py; the access register as a PDF:
app/audit/register.py. Features call this module; it imports no feature service.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.core.errors import Finding, Refused
from app.core.i18n import Names, tr
from app.audit import store as aq
from app.audit.text import action_name, detail_text, entity_text
from app.students import store as q
from app.students.refs import resolve
from db.rows import now

MAX_BREAKS = 1000  # verify stops listing after this many breaks (the first ones locate the damage)
ACCESS_ACTIONS = ("view", "print", "export")


# ------------------------------------------------------------------ recording
def record(session, action: str, *, entity: str = "", entity_id: int | None = None, student_id: int | None = None,
           detail: dict | None = None, conn=None) -> int:
    """Append one entry. With ``conn`` (the caller's open transaction) it commits or rolls back with the
    action; without, it is its own transaction."""
    kw = dict(at=now(), actor=session.user, action=action, entity=entity, entity_id=entity_id,
              student_id=student_id, detail=detail)
    if conn is not None:
        return aq.insert_entry(conn, **kw)
    with session.archive.transaction() as c:  # recording is never refused by role (a head teacher's views too)
        return aq.insert_entry(c, **kw)


def record_view(session, student_id: int, *, where: str, conn=None) -> int:
    """A full student record was opened (``where``: ``gui`` editor, ``cli`` show …): one access-register line."""
    return record(session, "view", entity="student", entity_id=int(student_id), student_id=int(student_id),
                  detail={"where": where}, conn=conn)


def record_print(session, kind: str, file, *, student_ids=(), class_id=None, count: int | None = None,
                 pages: int | None = None, conn=None, masked: bool | None = None) -> int:
    """One print job (a PDF written for printing): which document, which students (or class), how many."""
    ids = [int(i) for i in student_ids or ()]
    detail = {"kind": kind, "file": str(file), "students": ids, "class_id": class_id,
              "count": count if count is not None else len(ids), "pages": pages}
    if masked is not None:
        detail["masked"] = bool(masked)
    return record(session, "print", entity="document", student_id=ids[0] if len(ids) == 1 else None,
                  detail=detail, conn=conn)


def record_export(session, file, *, count: int, class_id=None, statuses=None, conn=None, purpose: str | None = None,
                  approval_id: int | None = None, approval_reference: str | None = None, masked: bool | None = None,
                  kind: str | None = None) -> int:
    """One export: the file, how many students, and (app/export_approvals.ExportGrant.audit()) its purpose
    (national / internal / external), the approval it went out under, whether ID numbers were masked;
    ``kind``: what was exported (template, photos, changes, discrepancies)."""
    detail = {"file": str(file), "count": int(count), "class_id": class_id,
              "statuses": list(statuses) if statuses else None}
    if kind is not None:
        detail["kind"] = kind
    if purpose is not None:
        detail.update(purpose=purpose, approval_id=approval_id, approval_reference=approval_reference,
                      masked=masked)
    return record(session, "export", entity="students", detail=detail, conn=conn)


# ------------------------------------------------------------------ verifying
@dataclass
class VerifyReport:
    count: int = 0
    head: str = ""
    seconds: float = 0.0
    breaks: list[Finding] = field(default_factory=list)
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return not self.breaks

    def as_json(self) -> dict:
        return {"entries": self.count, "head": self.head, "seconds": round(self.seconds, 3),
                "truncated": self.truncated}


def _break(code: str, id_: int, **kw) -> Finding:
    text = {"gap": lambda: (tr("audit.break.gap_one", id=id_, missing=kw["first"]) if kw["first"] == kw["last"]
                            else tr("audit.break.gap", id=id_, first=kw["first"], last=kw["last"])),
            "link": lambda: tr("audit.break.link", id=id_),
            "edited": lambda: tr("audit.break.edited", id=id_),
            "empty": lambda: tr("audit.break.empty"),
            "missing": lambda: tr("audit.break.missing", table=kw["table"], count=kw["count"], id=id_)}[code]()
    return Finding(f"audit_{code}", text, field=tr("audit.field"), row=id_)


def verify_conn(conn) -> VerifyReport:
    """Walk the whole chain in id order. Each break names the entry where it shows:
    ``audit_gap`` (entries missing before id N: deleted), ``audit_link`` (N does not carry the hash of the
    entry before it: that one was replaced, or entries were moved), ``audit_edited`` (N's content does not
    match its own hash: edited or moved)."""
    rep = VerifyReport()
    t0 = time.perf_counter()
    h = aq.entry_hash
    expected, prev = 1, aq.GENESIS_PREV
    for row in aq.iter_chain(conn):
        id_, at, actor, action, entity, entity_id, student_id, detail, prev_hash, stored = row
        rep.count += 1
        if id_ != expected:
            rep.breaks.append(_break("gap", id_, first=expected, last=id_ - 1))
        elif prev_hash != prev:
            rep.breaks.append(_break("link", id_))
        if h(prev_hash, id_, at, actor, action, entity, entity_id, student_id, detail) != stored:
            rep.breaks.append(_break("edited", id_))
        if len(rep.breaks) >= MAX_BREAKS:
            rep.truncated = True
            break
        prev, expected = stored, id_ + 1
    if rep.count == 0:
        rep.breaks.append(_break("empty", 0))
    for table, missing, first in aq.unlogged_rows(conn):  # entries cut from the end (or written triggerless)
        rep.breaks.append(_break("missing", first, table=table, count=missing))
    rep.head = bytes(prev).hex()
    rep.seconds = time.perf_counter() - t0
    return rep


def verify(session) -> VerifyReport:
    return verify_conn(session.conn)


# ------------------------------------------------------------------ reading
def decode_entry(e: dict) -> dict:
    """An entry row with its ``detail`` JSON decoded (left as text when it is not JSON)."""
    try:
        e["detail"] = json.loads(e["detail"] or "{}")
    except ValueError:
        pass
    return e


def list_entries(session, *, student=None, kind: str | None = None, since: str | None = None,
                 until: str | None = None, limit: int | None = None) -> list[dict]:
    """Entries newest first. ``student``: an id, 学籍号, ID number or name (as ``student show``);
    ``kind``: an action (``view``, ``print``, ``override``) or its family (``status``, ``change``, ``cert``)."""
    sid = None
    if student not in (None, ""):
        sid = resolve(session, student)
    return [decode_entry(e) for e in aq.list_entries(session.conn, student_id=sid, action=kind, since=since,
                                                until=until, limit=limit)]


# ------------------------------------------------------------------ the audit window: categories, paging
# 操作类别: (exact actions, action families ending with ".", actions left out)
CATEGORIES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "sign": (("signin", "signout", "lock", "unlock", "account.locked"), ("signin.",), ()),
    "change": (("finding",), ("change.", "cert.", "folder."), ()),
    "status": ((), ("status.",), ()),
    "view": (("view",), (), ()),
    "print": (("print",), (), ()),
    "export": (("export",), ("export.", "export-approval."), ()),
    "backup": (("restore",), ("backup.", "restore."), ()),
    "override": (("override", "approval"), ("approval.", "override."), ()),
    "account": ((), ("account.",), ("account.locked",)),
}
CATEGORY_NAMES = Names({
    "sign": "audit.category.sign", "change": "audit.category.change", "status": "audit.category.status",
    "view": "audit.category.view", "print": "audit.category.print", "export": "audit.category.export",
    "backup": "audit.category.backup", "override": "audit.category.override", "account": "audit.category.account",
})
PAGE_SIZE = 200
FIRST_WINDOW = 20000     # ids examined by the first query of a page; doubled while a filter finds little
MAX_WINDOW = 320000


def category_of(action: str) -> str | None:
    for cat, (exact, prefixes, exclude) in CATEGORIES.items():
        if action in exclude:
            continue
        if action in exact or any(action.startswith(p) for p in prefixes):
            return cat
    return None


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _conditions(session, *, since, until, actor, category, student_ids, text) -> tuple[list[str], list]:
    where, params = [], []
    if since:
        where.append("a.at >= ?")
        params.append(str(since))
    if until:  # a date: the whole day belongs to the range
        u = str(until)
        if len(u) == 10:
            import datetime as _dt

            u = (_dt.date.fromisoformat(u) + _dt.timedelta(days=1)).isoformat()
        where.append("a.at < ?")
        params.append(u)
    if actor is not None:
        where.append("a.actor = ?")
        params.append(actor)
    if category:
        exact, prefixes, exclude = CATEGORIES[category]
        sql, p = aq.action_condition(exact, prefixes, exclude)
        where.append(sql)
        params += p
    if student_ids is not None:
        ids = [int(i) for i in student_ids]
        where.append(f"a.student_id IN ({', '.join('?' * len(ids)) or 'NULL'})")
        params += ids
    text = (text or "").strip()
    if text:
        like = _like(text)
        ors = ["a.actor LIKE ? ESCAPE '\\'", "a.action LIKE ? ESCAPE '\\'", "a.detail LIKE ? ESCAPE '\\'"]
        p = [like] * len(ors)
        sids = aq.students_matching(session.conn, like)  # the student's name or 学籍号: their ids, no join per entry
        if sids:
            ors.append(f"a.student_id IN ({', '.join('?' * len(sids))})")
            p += sids
        named = [a for a in aq.distinct_actions(session.conn) if text in action_name(a)]
        if named:  # the registrar types the word on screen (转出, 登录失败), not the stored action
            ors.append(f"a.action IN ({', '.join('?' * len(named))})")
            p += named
        from app.students.fields import by_key

        keys = [k for k, f in by_key().items() if text in (f.header or "")][:20]
        for k in keys:  # a field's header (联系电话) finds the changes of that field
            ors.append("a.detail LIKE ?")
            p.append(f'%"field":"{k}"%')
        where.append("(" + " OR ".join(ors) + ")")
        params += p
    return where, params


def page_entries(session, *, before: int | None = None, limit: int = PAGE_SIZE, since=None, until=None,
                 actor: str | None = None, category: str | None = None, student_ids=None, text: str | None = None,
                 cancel=None) -> tuple[list[dict], int | None]:
    """One page of the log for the audit window, newest first: at most ``limit`` entries with ``id < before``
    (None: from the newest) matching every filter given, and the ``before`` of the next page (None when the
    log has nothing older). Keyset paging on id over growing id windows, never OFFSET and never the whole log:
    a page costs the ids it examines, and ``cancel()`` (a job's) is honoured between windows (the entries so
    far and where to go on are returned).

    Filters: ``since``/``until`` dates (``until`` inclusive) or timestamps; ``actor`` exactly; ``category`` one of
    CATEGORIES; ``student_ids`` the students whose entries are wanted (app.students.service.search_ids);
    ``text`` a fragment of the actor, the action (its name on screen too), the detail, the student's name or
    学籍号. Each entry has ``detail`` decoded and ``student_name`` / ``xueji_no``."""
    session.require("audit")
    where, params = _conditions(session, since=since, until=until, actor=actor, category=category,
                                student_ids=student_ids, text=text)
    top = (aq.max_id(session.conn) + 1) if before is None else int(before)
    out: list[dict] = []
    window = top if student_ids is not None else FIRST_WINDOW  # the student index serves the whole range
    while top > 1 and len(out) < limit:
        if cancel and cancel():
            return out, top
        floor = max(1, top - window)
        rows = aq.page(session.conn, before=top, floor=floor, limit=limit - len(out), where=where, params=params,
                       index="audit_log_action" if category and student_ids is None else None)
        out += [decode_entry(r) for r in rows]
        if len(out) >= limit:
            nxt = out[-1]["id"]
            return out, (nxt if nxt > 1 else None)
        top = floor
        if not rows:
            window = min(window * 2, MAX_WINDOW)
    return out, None


def actors(session) -> list[tuple[str, int]]:
    """Who appears in the log (the 操作人 filter), with their numbers of entries."""
    session.require("audit")
    return aq.actors(session.conn)


def student_readable(session, student_id: int) -> bool:
    """The student still exists and the signed-in role may open their record (the audit window's double-click)."""
    s = q.get_student(session.conn, int(student_id))
    if not s:
        return False
    try:
        session.require_student(s["class_id"])
    except Refused:
        return False
    return True


def total(session) -> int:
    """The number of entries in the log (ids run 1..n without gaps in an intact log)."""
    return aq.max_id(session.conn)


EXPORT_KIND = "audit-log"


def export_csv(session, out, *, since=None, until=None, actor=None, category=None, student_ids=None, text=None,
               progress=None, cancel=None) -> dict:
    """The entries matching the filters (as ``page_entries``) as a CSV file (UTF-8 with BOM, opens in Excel
    and WPS), newest first; cells that a spreadsheet could take for a formula are neutralised. Written to a
    temporary file and moved into place, then recorded as one ``export`` entry. Needs ``audit`` and ``export``."""
    import csv
    import os

    session.require("audit")
    session.require("export")
    from app.exchange.neutralise import safe_row

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
    n, before, top = 0, None, total(session)
    try:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([tr("audit.csv.id"), tr("audit.csv.at"), tr("audit.csv.actor"), tr("audit.csv.action"),
                        tr("audit.csv.entity"), tr("audit.csv.student"), tr("audit.csv.xjh"), tr("audit.csv.detail")])
            while True:
                if cancel and cancel():
                    raise Refused([Finding("cancelled", tr("audit.csv.cancelled"))])
                rows, before = page_entries(session, before=before, limit=5000, since=since, until=until, actor=actor,
                                            category=category, student_ids=student_ids, text=text)
                for e in rows:
                    w.writerow(safe_row([e["id"], e["at"].replace("T", " "), e["actor"], action_name(e["action"]),
                                         entity_text(e), e.get("student_name") or "", e.get("xueji_no") or "",
                                         detail_text(e)]))
                n += len(rows)
                if progress:
                    progress(max(0, top - (before or 0)), top)
                if before is None:
                    break
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    record(session, "export", entity="audit_log",
           detail={"kind": EXPORT_KIND, "file": str(out), "count": n,
                   "filters": {k: v for k, v in (("since", since), ("until", until), ("actor", actor),
                                                 ("category", category), ("text", text)) if v}})
    return {"file": str(out), "entries": n}
