"""The tamper-evident audit log (issue 7 "Audit log"): record, verify, list, access register.

Most entries are written by SQLite triggers in the same transaction as the action (db/migrations/0009):
every row of change_history, status_events, cert_events, rule_findings (overrides with their approver),
folder_loans (lend and return) and backup_log. What has no row of its own is recorded here, inside the
caller's transaction where there is one: views of a full student record (the access register, 国家 第二十五条,
长治 第四十四条), prints and exports. The acting user is ``session.user`` (the OS login until accounts land;
an accounts layer sets it on the session and every entry follows).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.errors import Finding
from app.i18n import tr
from db import audit as aq
from db import queries as q

MAX_BREAKS = 1000  # verify stops listing after this many breaks (the first ones locate the damage)
ACCESS_ACTIONS = ("view", "print", "export")


# ------------------------------------------------------------------ recording
def record(session, action: str, *, entity: str = "", entity_id: int | None = None, student_id: int | None = None,
           detail: dict | None = None, conn=None) -> int:
    """Append one entry. With ``conn`` (the caller's open transaction) it commits or rolls back with the
    action; without, it is its own transaction."""
    kw = dict(at=q.now(), actor=session.user, action=action, entity=entity, entity_id=entity_id,
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
                 pages: int | None = None, conn=None) -> int:
    """One print job (a PDF written for printing): which document, which students (or class), how many."""
    ids = [int(i) for i in student_ids or ()]
    return record(session, "print", entity="document", student_id=ids[0] if len(ids) == 1 else None,
                  detail={"kind": kind, "file": str(file), "students": ids, "class_id": class_id,
                          "count": count if count is not None else len(ids), "pages": pages}, conn=conn)


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
def _decode(e: dict) -> dict:
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
        from app.student_service import resolve

        sid = resolve(session, student)
    return [_decode(e) for e in aq.list_entries(session.conn, student_id=sid, action=kind, since=since,
                                                until=until, limit=limit)]


def action_name(action: str) -> str:
    """The registrar's word for an action (``status.transfer-out`` → its family's word + the kind)."""
    fam, _, rest = action.partition(".")
    names = {"genesis": lambda: tr("audit.action.genesis"), "change": lambda: tr("audit.action.change"),
             "status": lambda: tr("audit.action.status"), "cert": lambda: tr("audit.action.cert"),
             "override": lambda: tr("audit.action.override"), "finding": lambda: tr("audit.action.finding"),
             "folder": lambda: tr("audit.action.folder"), "backup": lambda: tr("audit.action.backup"),
             "view": lambda: tr("audit.action.view"), "print": lambda: tr("audit.action.print"),
             "export": lambda: tr("audit.action.export")}
    if fam not in names:
        return action
    name = names[fam]()
    return tr("audit.action_kind", name=name, kind=rest) if rest else name


def access_register(session, *, since: str | None = None, until: str | None = None) -> list[dict]:
    return [_decode(e) for e in aq.access_rows(session.conn, since=since, until=until)]


def write_access_register(session, out, *, since: str | None = None, until: str | None = None) -> dict:
    """The access register (查阅登记) as a PDF: who viewed, printed or exported which student data, when.
    Written to a temporary file and moved into place; the chain's head hash is printed on it so a later
    rewrite of the log can be shown against the paper."""
    import os

    from app.printing import fonts
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    out = Path(out)
    if out.suffix.lower() != ".pdf":
        out = out.with_name(out.name + ".pdf")
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = access_register(session, since=since, until=until)
    rep = verify(session)
    school = session.school or {}
    tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
    W, H = landscape(A4)
    c = canvas.Canvas(str(tmp), pagesize=(W, H))
    c.setTitle(tr("audit.register.title"))

    def text(x, y, s, size=9, face="song"):
        s = "".join(ch for ch in str(s) if fonts.font_for(face, ch) is not None or ch == " ")
        for name, part in fonts.runs(face, s):
            c.setFont(name, size)
            c.drawString(x, y, part)
            x += c.stringWidth(part, name, size)

    cols = [(15, tr("audit.register.col.no")), (30, tr("audit.register.col.at")), (75, tr("audit.register.col.actor")),
            (110, tr("audit.register.col.action")), (135, tr("audit.register.col.student")),
            (175, tr("audit.register.col.xjh")), (215, tr("audit.register.col.what"))]
    page = [0]

    def header():
        page[0] += 1
        text(15 * mm, H - 15 * mm, tr("audit.register.title"), 15, "hei")
        text(15 * mm, H - 22 * mm, tr("audit.register.sub", school=school.get("name", ""),
                                        since=since or "—", until=until or "—", count=len(rows)), 9)
        for x, label in cols:
            text(x * mm, H - 30 * mm, label, 9, "hei")
        c.line(15 * mm, H - 31.5 * mm, W - 15 * mm, H - 31.5 * mm)
        text(15 * mm, 8 * mm, tr("audit.register.foot", head=rep.head[:16], page=page[0],
                                 state=tr("audit.register.intact") if rep.ok else
                                 tr("audit.register.broken", count=len(rep.breaks))), 7)

    header()
    y = H - 37 * mm
    for n, r in enumerate(rows, 1):
        if y < 15 * mm:
            c.showPage()
            header()
            y = H - 37 * mm
        d = r["detail"] if isinstance(r["detail"], dict) else {}
        where = tr("audit.where.cli") if d.get("where") == "cli" else tr("audit.where.gui")
        what = {"view": lambda: tr("audit.register.what_view", where=where),
                "print": lambda: tr("audit.register.what_print", kind=d.get("kind", ""),
                                    count=d.get("count", len(d.get("students") or []))),
                "export": lambda: tr("audit.register.what_export", count=d.get("count", 0),
                                     file=Path(str(d.get("file", ""))).name)}[r["action"]]()
        vals = [str(n), r["at"].replace("T", " "), r["actor"], action_name(r["action"]),
                r["student_name"] or "", r["xueji_no"] or "", what]
        for (x, _), v in zip(cols, vals):
            text(x * mm, y, v[:60], 8.5)
        y -= 6 * mm
    c.save()
    os.replace(tmp, out)
    return {"file": str(out), "entries": len(rows), "pages": page[0], "chain_ok": rep.ok, "head": rep.head}
