"""The school's own 学籍 archive (学校学籍档案, 长治 第六条 / 辽宁 第九条): each school year's rosters,
registers and certificate stubs filed as frozen PDF snapshots.

    snap = file_snapshot(session, "new-student-roster", 2025)    # rendered by the printing engine
    list_snapshots(session, year=2025)
    verify_snapshots(session)                                     # re-hash every filed PDF
    export_snapshot(session, snap["id"], "out.pdf")               # a verified copy

A snapshot's PDF is stored content-addressed in the archive's ``files/`` (SHA-256 + size recorded);
rows are never edited or deleted (migration 0008 triggers). Filing the same kind and year again adds a
new version; the old one stays.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

from app.core.errors import INVALID, Finding, NotFound, Refused
from app.core.i18n import Names, tr
from app.core.paths import resource
from app.core import filestore as store
from app.core.session import Session
from app.paper import review_store as rq
from db.rows import now

# snapshot kind -> the print kind that renders it (stubs: the issuance register of one certificate kind)
PRINT_KIND = {
    "new-student-roster": "new-student-roster",
    "class-roster": "class-roster",
    "change-register": "change-register",
    "graduate-roster": "graduate-roster",
    "completion-stub": "completion-certificate",
    "education-stub": "education-certificate",
}
STUB_KINDS = ("completion-stub", "education-stub")
KINDS = tuple(PRINT_KIND)
KIND_NAMES = Names({
    "new-student-roster": "school_archive.kind.new_student_roster",
    "class-roster": "school_archive.kind.class_roster",
    "change-register": "school_archive.kind.change_register",
    "graduate-roster": "school_archive.kind.graduate_roster",
    "completion-stub": "school_archive.kind.completion_stub",
    "education-stub": "school_archive.kind.education_stub",
})
STATE_NAMES = Names({"ok": "school_archive.state.ok", "missing": "school_archive.state.missing",
                     "changed": "school_archive.state.changed"})


def _describe(row: dict) -> dict:
    d = dict(row)
    d["kind_name"] = KIND_NAMES[row["kind"]] if row["kind"] in KIND_NAMES else row["kind"]
    return d


def _render(session: Session, kind: str, year: int, out: Path) -> int:
    """Render ``kind`` for school year ``year`` to ``out``; returns the page count."""
    if kind in STUB_KINDS:
        from app.certificates import service as cs
        from app.printing import renderer as printing
        from app.printing.service import register_rows

        # the certificates of that kind issued in the school year (1 Aug – 31 Jul, by issue date), with
        # every register line about them (issue, reprint, void, 验印) whenever it was recorded
        lo, hi = f"{year}-08-01", f"{year + 1}-07-31"
        cert_kind = PRINT_KIND[kind]
        numbers = {e["number"] for e in cs.register(session)
                   if e["kind"] == cert_kind and lo <= (e["issue_date"] or "") <= hi}
        rows = [r for r in register_rows(session) if r["number"] in numbers]
        if not rows:
            raise Refused([Finding("SNAPSHOT.EMPTY", tr("school_archive.no_stubs", kind=KIND_NAMES[kind], year=year),
                                   field=tr("school_archive.field.kind"), outcome=INVALID)])
        res = printing.render(session, "issuance-register", out, school_year=year, register_rows=rows)
        return res.pages
    from app.printing.service import print_document

    return print_document(session, PRINT_KIND[kind], out, school_year=year).pages


def file_snapshot(session: Session, kind: str, year: int, note: str = "") -> dict:
    """Render and file one snapshot; returns its row (``id``, ``kind``, ``school_year``, ``version``,
    ``file_sha256``, ``size``, ``pages``, ``filed_at``, ``filed_by``, ``note``, ``kind_name``, ``path``)."""
    if kind not in PRINT_KIND:
        raise Refused([Finding("SNAPSHOT.KIND", tr("school_archive.bad_kind", kind=kind, choices=", ".join(KINDS)),
                               field=tr("school_archive.field.kind"), outcome=INVALID)])
    year = int(year)
    with tempfile.TemporaryDirectory(prefix="xueji-snap-") as tmp:
        out = Path(tmp) / "snapshot.pdf"
        pages = _render(session, kind, year, out)
        data = out.read_bytes()
    digest = store.put(session.folder, data, "pdf")  # content-addressed: harmless if the transaction fails
    with session.transaction():
        conn = session.conn
        sid = rq.insert_snapshot(conn, {"kind": kind, "school_year": year,
                                        "version": rq.next_snapshot_version(conn, kind, year),
                                        "file_sha256": digest, "size": len(data), "pages": pages,
                                        "filed_at": now(), "filed_by": session.user, "note": note or ""})
    snap = _describe(rq.get_snapshot(session.conn, sid))
    snap["path"] = str(store.path(session.folder, digest, "pdf"))
    return snap


def list_snapshots(session: Session, year: int | None = None, kind: str | None = None) -> list[dict]:
    """Filed snapshots, by school year, kind and version (every version, oldest first)."""
    return [_describe(r) for r in rq.snapshots(session.conn, int(year) if year is not None else None, kind)]


def _state(session: Session, row: dict) -> str:
    p = store.path(session.folder, row["file_sha256"], "pdf")
    if not p.exists():
        return "missing"
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return "ok" if h.hexdigest() == row["file_sha256"] else "changed"


def verify_snapshots(session: Session) -> list[dict]:
    """Every filed snapshot with ``state`` ok / missing / changed (re-hashed from files/; nothing is deleted)."""
    out = []
    for r in list_snapshots(session):
        r["state"] = _state(session, r)
        r["state_name"] = STATE_NAMES[r["state"]]
        out.append(r)
    return out


def export_snapshot(session: Session, snapshot_id: int, out) -> dict:
    """Copy a filed snapshot to ``out`` after checking its SHA-256; a missing or altered file is refused."""
    row = rq.get_snapshot(session.conn, int(snapshot_id))
    if row is None:
        raise NotFound(tr("school_archive.not_found", id=snapshot_id))
    state = _state(session, row)
    if state != "ok":
        raise Refused([Finding("SNAPSHOT.TAMPERED", tr("school_archive.tampered", kind=KIND_NAMES[row["kind"]],
                                                       year=row["school_year"], version=row["version"],
                                                       state=STATE_NAMES[state]),
                               field=tr("school_archive.field.file"), outcome=INVALID)])
    shutil.copyfile(store.path(session.folder, row["file_sha256"], "pdf"), out)
    d = _describe(row)
    d["path"] = str(out)
    return d


def requirements(session: Session) -> dict:
    """What the profile's text asks the school archive to hold (resources/school_archive.json):
    ``rule``, ``article``, ``required`` (snapshot kinds); nothing required where the text lists nothing."""
    data = json.loads(resource("school_archive.json").read_text(encoding="utf-8"))["profiles"]
    return data.get(session.school["profile"], {"rule": "", "article": "", "required": []})


def year_overview(session: Session, year: int) -> list[dict]:
    """One line per kind for school year ``year``: ``kind``, ``kind_name``, ``required`` (by the profile),
    ``rule``, ``article``, ``versions`` (count), ``latest`` (the newest snapshot row or None)."""
    req = requirements(session)
    filed = list_snapshots(session, year)
    out = []
    for kind in KINDS:
        mine = [r for r in filed if r["kind"] == kind]
        required = kind in req["required"]
        out.append({"kind": kind, "kind_name": KIND_NAMES[kind], "required": required,
                    "rule": req["rule"] if required else "", "article": req["article"] if required else "",
                    "versions": len(mine), "latest": mine[-1] if mine else None})
    return out
