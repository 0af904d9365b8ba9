"""Scanned copies of checklist items: PDF (any number of pages), JPEG, PNG — a scanner's output or a phone photo
of a document. Stored once in the archive's content-addressed files/ (files/ab/<sha256>.<ext>, app/photos/store);
a row in ``scans`` links the file to an item. The same file attached twice is stored once."""
from __future__ import annotations

import io
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import Finding, Refused
from app.core.i18n import tr
from app.paper.checklist import require_item
from app.paper.locations import ensure_folder
from app.core import filestore as store
from app.core.session import Session
from app.paper import store as pq
from app.students import store as q

MAX_SCAN_BYTES = 200 * 1024 * 1024
MIMES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}


@dataclass
class ScanResult:
    scan_id: int
    student_id: int
    item_key: str
    sha256: str
    ext: str
    bytes: int
    pages: int
    already_stored: bool   # the same bytes were already in files/
    already_linked: bool   # … and already linked to this item (nothing new written)


def _bad(message: str) -> Refused:
    return Refused([Finding("paper_scan_unreadable", message, field=tr("paper.field.scan"))])


def pdf_pages(data: bytes) -> int:
    """Page count of a PDF from its objects (/Type /Page, not /Pages); raises Refused if it is not a whole PDF.
    A PDF with compressed object streams hides its pages: then the /Count of the page tree is used."""
    if not data.startswith(b"%PDF-"):
        raise _bad(tr("paper.err.not_pdf"))
    if b"%%EOF" not in data[-2048:]:
        raise _bad(tr("paper.err.pdf_truncated"))
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))
    if pages == 0:
        counts = [int(m) for m in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)]
        counts += [int(m) for m in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", data)]
        pages = max(counts) if counts else 1
    return pages


def inspect(data: bytes, name: str = "") -> tuple[str, int]:
    """(ext, pages) of a scan, decoding it to be sure; Refused with what is wrong otherwise."""
    if not data:
        raise _bad(tr("paper.err.scan_empty", name=name))
    if data.startswith(b"%PDF-"):
        return "pdf", pdf_pages(data)
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            fmt = (im.format or "").upper()
            if fmt not in ("JPEG", "MPO", "PNG"):
                raise _bad(tr("paper.err.scan_format", name=name, format=fmt or "?"))
            im.load()
            return ("png" if fmt == "PNG" else "jpg"), 1
    except Refused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError):
        raise _bad(tr("paper.err.scan_format", name=name, format=Path(name).suffix.lstrip(".") or "?")) from None


def attach_scan(session: Session, student_id: int, item_key: str, path, *, data: bytes | None = None) -> ScanResult:
    """Attach the file at ``path`` (or ``data``) to the student's checklist item. One transaction with a history row."""
    sid = int(student_id)
    require_item(session, sid, item_key)
    name = Path(path).name if path else ""
    if data is None:
        p = Path(path)
        try:
            size = p.stat().st_size
            if size > MAX_SCAN_BYTES:
                raise _bad(tr("paper.err.scan_too_big", name=name, mb=MAX_SCAN_BYTES // (1024 * 1024)))
            data = p.read_bytes()
        except OSError as e:
            raise _bad(tr("paper.err.scan_read", name=name, error=e.strerror or str(e))) from None
    ext, pages = inspect(data, name)
    digest = store.sha256(data)
    stored = store.exists(session.folder, digest, ext) and store.path(session.folder, digest, ext).stat().st_size == len(data)
    if not stored:
        store.put(session.folder, data, ext)
    existing = pq.find_scan(session.conn, sid, item_key, digest)
    if existing:
        return ScanResult(existing["id"], sid, item_key, digest, ext, len(data), existing["pages"], True, True)
    try:
        scan_id = _link(session, sid, item_key, digest, ext, data, pages, name)
    except sqlite3.IntegrityError:  # linked meanwhile (another window attached the same file): that link stands
        existing = pq.find_scan(session.conn, sid, item_key, digest)
        if existing is None:
            raise
        return ScanResult(existing["id"], sid, item_key, digest, ext, len(data), existing["pages"], True, True)
    return ScanResult(scan_id, sid, item_key, digest, ext, len(data), pages, stored, False)


def _link(session: Session, sid: int, item_key: str, digest: str, ext: str, data: bytes, pages: int,
          name: str) -> int:
    with session.transaction() as conn:
        ensure_folder(session, conn, sid)
        scan_id = pq.insert_scan(conn, {"student_id": sid, "item_key": item_key, "sha256": digest, "ext": ext,
                                        "bytes": len(data), "pages": pages, "mime": MIMES[ext],
                                        "original_name": name, "attached_by": session.user})
        q.insert_history(conn, [{"student_id": sid, "entity": "folder", "entity_id": scan_id, "action": "scan",
                                 "field": item_key, "new_value": name or digest[:16], "changed_by": session.user,
                                 "evidence_ref": f"sha256:{digest}"}])
    return scan_id


def withdraw_scan(session: Session, scan_id: int, *, reason: str = "") -> None:
    """Unlink a scan from its item (wrong file attached); the file and the row stay."""
    sc = pq.get_scan(session.conn, int(scan_id))
    if sc is None or sc["withdrawn_at"]:
        raise Refused([Finding("paper_no_scan", tr("paper.err.no_scan", id=scan_id), field=tr("paper.field.scan"))])
    with session.transaction() as conn:
        pq.withdraw_scan(conn, sc["id"], session.user)
        q.insert_history(conn, [{"student_id": sc["student_id"], "entity": "folder", "entity_id": sc["id"],
                                 "action": "scan", "field": sc["item_key"], "old_value": sc["original_name"] or sc["sha256"][:16],
                                 "new_value": "", "changed_by": session.user, "reason": reason,
                                 "evidence_ref": f"sha256:{sc['sha256']}"}])


def scan_bytes(session: Session, scan_id) -> bytes:
    """The stored bytes of a scan: its id, or ``"sha256:<hex>"`` (a status change's attached evidence, as the
    checklist lists it). FileNotFoundError if the file is gone, ValueError if it no longer matches its hash."""
    if isinstance(scan_id, str) and scan_id.startswith("sha256:"):
        return store.get(session.folder, scan_id.split(":", 1)[1])
    sc = pq.get_scan(session.conn, int(scan_id))
    if sc is None:
        raise Refused([Finding("paper_no_scan", tr("paper.err.no_scan", id=scan_id), field=tr("paper.field.scan"))])
    return store.get(session.folder, sc["sha256"], sc["ext"])
