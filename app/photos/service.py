"""Student photos: set (camera/file), re-crop from the kept original, read, batch import, national export.

The spec JPEG lives in the ``photos`` table (one ``current`` row per student, older rows kept); the
original goes to the archive's content-addressed ``files/`` store *before* the transaction (a name is
its SHA-256, so a write no transaction used is harmless). Every stored photo is one transaction with
its history row (entity student, field photo, action photo, old/new = photo row ids).
"""
from __future__ import annotations

import json
import sqlite3
import os
import re
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from app.students import status as st
from app.school.classes import display_name
from app.core.errors import NotFound
from app.core.fsutil import discard_on_error
from app.core.i18n import tr
from app.students.idcard import normalize_id
from app.core import filestore as store
from app.photos.errors import PhotoError
from app.photos.presets import get_preset
from app.core.session import Session
from app.students.service import resolve
from app.school import store as school_store
from app.photos import store as photo_store
from app.students import store as q

MAX_INPUT_BYTES = 64 * 1024 * 1024  # = pipeline.MAX_INPUT_BYTES (Pillow is imported only when a photo is processed)
SOURCES = ("camera", "file", "import", "recrop")
IMAGE_EXTS = {"jpg", "jpeg", "png", "bmp", "gif", "tif", "tiff", "webp", "jfif", "heic"}
JUNK_NAMES = {"thumbs.db", "desktop.ini", ".ds_store", "ehthumbs.db"}
MAX_ZIP_MEMBERS = 20000
_FORMAT_EXT = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "GIF": "gif", "TIFF": "tif", "WEBP": "webp", "BMP": "bmp"}


@dataclass
class PhotoResult:
    student_id: int
    photo_id: int
    width: int
    height: int
    size: int
    warnings: list[str] = field(default_factory=list)
    quality: int = 0
    original_sha256: str = ""


@dataclass
class PhotoImportReport:
    total: int = 0
    matched: list[tuple[str, int]] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    ambiguous: list[tuple[str, list[int]]] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False
    stored: int = 0
    warnings: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class PhotoExportReport:
    zips: list[str] = field(default_factory=list)
    count: int = 0
    missing: list[tuple[int, str, str]] = field(default_factory=list)


def _ext_of(data: bytes) -> str:
    from io import BytesIO

    from PIL import Image

    try:
        with Image.open(BytesIO(data)) as im:
            return _FORMAT_EXT.get(im.format or "", (im.format or "bin").lower())
    except Exception:
        return "bin"


def process(data: bytes, preset, *, crop=None, rotate: int = 0):
    from app.photos.pipeline import process as _process

    return _process(data, preset, crop=crop, rotate=rotate)


def _store_row(session: Session, conn, sid: int, spec, digest: str, ext: str, nbytes: int,
               preset: str, crop, rotate: int, source: str, batch: str = "") -> int:
    photo_id, old = photo_store.insert_photo(conn, {
        "student_id": sid, "original_sha256": digest, "original_ext": ext, "original_bytes": nbytes,
        "spec_jpeg": spec.jpeg, "width": spec.width, "height": spec.height, "size": spec.size, "preset": preset,
        "crop": json.dumps(list(crop)) if crop is not None else "", "rotate": rotate, "source": source,
        "created_by": session.user})
    q.insert_history(conn, [{"student_id": sid, "entity": "student", "entity_id": sid, "action": "photo",
                             "field": "photo", "old_value": str(old["id"]) if old else "", "new_value": str(photo_id),
                             "changed_by": session.user, "reason": source, "evidence_ref": f"sha256:{digest[:16]}",
                             "batch": batch}])
    return photo_id


def _check_source(source: str) -> None:
    if source not in SOURCES:
        raise PhotoError("PHOTO.SOURCE", tr("photo.err.source", source=source, sources=", ".join(SOURCES)))


def set_photo(session: Session, ref, data: bytes, *, source: str = "file", crop=None, rotate: int = 0,
              preset: str = "national") -> PhotoResult:
    """Make ``data`` the student's photo (PhotoError / NotFound say why not; nothing is stored then)."""
    _check_source(source)
    sid = resolve(session, ref)
    spec = process(data, get_preset(preset), crop=crop, rotate=rotate)
    ext = _ext_of(data)
    digest = store.put(session.folder, data, ext)
    with session.transaction() as conn:
        pid = _store_row(session, conn, sid, spec, digest, ext, len(data), preset, spec.crop, int(rotate) % 360, source)
    return PhotoResult(sid, pid, spec.width, spec.height, spec.size, spec.warnings, spec.quality, digest)


def recrop(session: Session, ref, *, crop, rotate: int = 0, preset: str | None = None) -> PhotoResult:
    """A new spec photo from the current photo's kept original, with another crop box / rotation."""
    sid = resolve(session, ref)
    cur = photo_store.current_photo(session.conn, sid)
    if not cur:
        raise NotFound(tr("photo.err.no_photo", id=sid))
    try:
        data = store.get(session.folder, cur["original_sha256"], cur["original_ext"])
    except (OSError, ValueError):
        raise PhotoError("PHOTO.ORIGINAL_MISSING", tr("photo.err.original_missing",
                                                      sha=cur["original_sha256"][:16])) from None
    preset = preset or cur["preset"]
    spec = process(data, get_preset(preset), crop=crop, rotate=rotate)
    with session.transaction() as conn:
        pid = _store_row(session, conn, sid, spec, cur["original_sha256"], cur["original_ext"], len(data), preset,
                         spec.crop, int(rotate) % 360, "recrop")
    return PhotoResult(sid, pid, spec.width, spec.height, spec.size, spec.warnings, spec.quality,
                       cur["original_sha256"])


def get_photo(session: Session, ref) -> bytes | None:
    return photo_store.current_photo_jpeg(session.conn, resolve(session, ref))


def get_original(session: Session, ref) -> bytes | None:
    """The kept original of the current photo (for the re-crop dialog), or None."""
    cur = photo_store.current_photo(session.conn, resolve(session, ref))
    if not cur:
        return None
    try:
        return store.get(session.folder, cur["original_sha256"], cur["original_ext"])
    except (OSError, ValueError):
        return None


def has_photo_ids(session: Session) -> set[int]:
    return photo_store.photo_student_ids(session.conn)


def photo_info(session: Session, ref) -> dict | None:
    """The current photo's metadata (no JPEG bytes): id, size, preset, crop (list or None), rotate, source…"""
    cur = photo_store.current_photo(session.conn, resolve(session, ref))
    if cur:
        cur["crop"] = json.loads(cur["crop"]) if cur["crop"] else None
    return cur


# ------------------------------------------------------------------ batch import
def _is_junk(name: str) -> bool:
    parts = re.split(r"[\\/]", name)
    base = parts[-1]
    return (not base or base.startswith(".") or base.lower() in JUNK_NAMES or "__MACOSX" in parts
            or any(p.startswith(".") for p in parts[:-1] if p not in ("", ".")))


def _zip_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:  # no UTF-8 flag: Chinese Windows zips names in GBK, Python read cp437
        try:
            name = name.encode("cp437").decode("gbk")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name


def _open_zip(source: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as e:
        raise PhotoError("PHOTO.BAD_ZIP", tr("photo.err.bad_zip", path=source, error=e)) from None


def _entries(source: Path, zf: zipfile.ZipFile | None) -> list:
    """(display name, reader) for every candidate file: a folder walked recursively, or a .zip read safely
    in memory (nothing is extracted, so member paths cannot escape; sizes are limited)."""
    out = []
    if zf is None:
        for root, dirs, files in os.walk(source):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__MACOSX")
            for f in sorted(files):
                p = Path(root) / f
                rel = p.relative_to(source).as_posix()
                if not _is_junk(rel):
                    out.append((rel, (lambda p=p: _read_file(p))))
        return out
    infos = [i for i in zf.infolist() if not i.is_dir()]
    if len(infos) > MAX_ZIP_MEMBERS:
        raise PhotoError("PHOTO.BAD_ZIP", tr("photo.err.zip_members", n=len(infos), max=MAX_ZIP_MEMBERS))
    for info in infos:
        name = _zip_name(info)
        if not _is_junk(name):
            out.append((name, (lambda info=info: _read_member(zf, info))))
    return out


def _read_file(p: Path) -> bytes:
    if p.stat().st_size > MAX_INPUT_BYTES:
        raise PhotoError("PHOTO.FILE_TOO_BIG", tr("photo.err.file_too_big", mb=MAX_INPUT_BYTES // (1024 * 1024)))
    return p.read_bytes()


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    too_big = PhotoError("PHOTO.FILE_TOO_BIG", tr("photo.err.file_too_big", mb=MAX_INPUT_BYTES // (1024 * 1024)))
    if info.file_size > MAX_INPUT_BYTES:
        raise too_big
    try:
        with zf.open(info) as fh:
            data = fh.read(MAX_INPUT_BYTES + 1)  # do not trust the header's size
    except (RuntimeError, zipfile.BadZipFile, OSError, NotImplementedError) as e:  # encrypted, corrupt member
        raise PhotoError("PHOTO.BAD_ZIP", tr("photo.err.zip_member", error=e)) from None
    if len(data) > MAX_INPUT_BYTES:
        raise too_big
    return data


class _Matcher:
    """File stem -> student ids: <身份证号>, <学籍号>, or 学校标识码_班号_姓名."""

    def __init__(self, session: Session):
        self.conn = session.conn
        self.school_code = (session.school or {}).get("code", "")

    def __call__(self, stem: str) -> list[int]:
        s = stem.strip()
        parts = s.split("_")
        if len(parts) == 3 and all(p.strip() for p in parts):
            code, klass, name = (p.strip() for p in parts)
            if code != self.school_code:
                return []
            k = school_store.class_by_code(self.conn, klass)
            if not k:
                return []
            return q.student_ids_named(self.conn, k["id"], name)
        n = normalize_id(s)
        if not re.fullmatch(r"[0-9A-Za-z()\uff08\uff09-]{5,30}", n):
            return []
        if re.fullmatch(r"[GJL][0-9]{17}[0-9X]", n):
            ids = q.student_ids_by(self.conn, "xueji_no", n)
            if ids:
                return ids
        return q.student_ids_by(self.conn, "id_number", n)


def import_photos(session: Session, source, *, preset: str = "national", progress=None, cancel=None) -> PhotoImportReport:
    """Import a folder or .zip of photos. Every file is matched and processed first; then all accepted
    photos are stored in ONE transaction, so a cancel or a crash leaves each student's old photo."""
    src = Path(source)
    if not src.exists():
        raise PhotoError("PHOTO.SOURCE_MISSING", tr("photo.err.source_missing", path=src))
    pre = get_preset(preset)
    zf = None if src.is_dir() else _open_zip(src)
    try:
        return _import(session, src, zf, pre, progress, cancel)
    finally:
        if zf is not None:
            zf.close()


def _import(session, src, zf, pre, progress, cancel) -> PhotoImportReport:
    match = _Matcher(session)
    rep = PhotoImportReport()
    entries = _entries(src, zf)
    rep.total = len(entries)
    accepted: dict[int, tuple] = {}
    first_file: dict[int, str] = {}
    jobs: list[tuple[str, int, object]] = []   # (file, student id, read) for the photos to process
    for name, read in entries:
        stem = re.split(r"[\\/]", name)[-1].rsplit(".", 1)[0]
        ids = match(stem)
        if not ids:
            rep.unmatched.append(name)
        elif len(ids) > 1:
            rep.ambiguous.append((name, ids))
        else:
            jobs.append((name, ids[0], read))
    done = rep.total - len(jobs)
    for (name, sid, _read), data, outcome in _processed(jobs, pre, cancel):
        if outcome is None:  # cancelled
            rep.cancelled = True
            return rep
        kind, value = outcome
        if kind == "ok" and sid in first_file:  # a second good photo for the same student
            rep.rejected.append((name, tr("photo.import.duplicate", other=first_file[sid])))
        elif kind == "ok":
            try:
                ext = _ext_of(data)
                digest = store.put(session.folder, data, ext)
            except OSError as e:  # writing into files/ failed: a full disk, not an unreadable photo
                rep.rejected.append((name, tr("photo.err.store", error=e.strerror or e)))
            else:
                first_file[sid] = name
                accepted[sid] = (value, digest, ext, len(data))
                rep.matched.append((name, sid))
                rep.warnings.extend((name, w) for w in value.warnings)
        else:
            rep.rejected.append((name, value))
        done += 1
        if progress is not None:
            progress(done, rep.total)
    if progress is not None and not jobs:
        progress(rep.total, rep.total)
    if cancel is not None and cancel():
        rep.cancelled = True
        return rep
    if accepted:
        batch = f"photo-import-{uuid.uuid4().hex[:12]}"
        try:
            with session.transaction() as conn:
                for sid, (spec, digest, ext, nbytes) in accepted.items():
                    _store_row(session, conn, sid, spec, digest, ext, nbytes, pre.name, spec.crop, 0, "import", batch)
        except sqlite3.OperationalError as e:
            from app.exchange.import_service import disk_full

            refused = disk_full(e, session.conn)
            if refused is None:
                raise
            raise refused from None
        rep.stored = len(accepted)
    return rep


PARALLEL_MIN = 24     # fewer photos than this: not worth starting worker processes
PARALLEL_WINDOW = 6   # photos read and in flight at once (bounded memory: camera JPEGs are ~5 MB each)


def _process_job(data: bytes, preset):
    """In a worker process: ("ok", SpecPhoto) or ("err", the registrar's message)."""
    try:
        return "ok", process(data, preset)
    except PhotoError as e:
        return "err", e.message


def _processed(jobs, preset, cancel):
    """Yield (job, data, outcome) in order; outcome None means cancelled. Two worker processes
    (spawned: the GUI calls this from a thread) once there are enough photos to pay for them."""
    def read(job):
        try:
            return job[2](), None
        except OSError as e:
            return None, ("err", tr("photo.err.read", error=e))

    if len(jobs) < PARALLEL_MIN or (os.cpu_count() or 1) < 2:
        for job in jobs:
            if cancel is not None and cancel():
                yield job, None, None
                return
            data, failed = read(job)
            yield job, data, failed or _process_job(data, preset)
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as ex:
        pending: deque = deque()
        it = iter(jobs)
        try:
            while True:
                while len(pending) < PARALLEL_WINDOW:
                    job = next(it, None)
                    if job is None:
                        break
                    data, failed = read(job)
                    pending.append((job, data, failed, None if failed else ex.submit(_process_job, data, preset)))
                if not pending:
                    return
                if cancel is not None and cancel():
                    yield pending[0][0], None, None
                    return
                job, data, failed, fut = pending.popleft()
                if failed:
                    yield job, data, failed
                    continue
                try:
                    outcome = fut.result()
                except BrokenProcessPool:  # a worker died (e.g. out of memory): finish here, one by one
                    outcome = _process_job(data, preset)
                yield job, data, outcome
        finally:
            for *_, fut in pending:
                if fut is not None:
                    fut.cancel()


# ------------------------------------------------------------------ export for the national system
def export_name(student: dict, school_code: str, klass: dict | None) -> str:
    """``<身份证号>.jpg``, or ``学校标识码_班号_姓名.jpg`` without an ID number (national-system.md §4.1)."""
    idn = (student.get("id_number") or "").strip()
    if idn:
        return f"{idn}.jpg"
    code = (klass or {}).get("code") or ""
    return f"{school_code}_{code}_{student.get('name', '')}.jpg"


def _safe_filename(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip(" .") or "class"


def export_photos(session: Session, outdir, *, class_id: int | None = None, progress=None,
                  cancel=None) -> PhotoExportReport:
    """One .zip per class (named by 班号, else the class's display name) holding only the spec JPEGs,
    named for the national system; students in class without a photo are listed in ``missing``. The photo
    package is a national export (files named by ID number): needs ``export_national``; one audit entry."""
    from app.exchange.approvals import grant

    allowed = grant(session, "national")
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    conn = session.conn
    school_code = (session.school or {}).get("code", "")
    classes = ([school_store.get_class(conn, class_id)] if class_id is not None
               else school_store.all_classes(conn))
    if class_id is not None and classes[0] is None:
        raise NotFound(tr("photo.err.class_missing", id=class_id))
    statuses = list(st.in_class_codes())
    rep = PhotoExportReport()
    for i, k in enumerate(classes, 1):
        if cancel is not None and cancel():
            break
        students = q.class_roll(conn, k["id"], statuses)
        if not students:
            continue
        jpegs = photo_store.current_photo_jpegs(conn, [s["id"] for s in students])
        kname = display_name(k)
        for s in students:
            if s["id"] not in jpegs:
                rep.missing.append((s["id"], s["name"], kname))
        have = [s for s in students if s["id"] in jpegs]
        if have:
            dest = out / f"{_safe_filename(k.get('code') or kname)}.zip"
            _write_zip(dest, [(export_name(s, school_code, k), jpegs[s["id"]]) for s in have])
            rep.zips.append(str(dest))
            rep.count += len(have)
        if progress is not None:
            progress(i, len(classes))
    if rep.zips:
        from app.audit import log as audit

        audit.record_export(session, out, count=rep.count, class_id=class_id, kind="photos", **allowed.audit())
    return rep


def _write_zip(dest: Path, members: list[tuple[str, bytes]]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".zip", dir=dest.parent)
    os.close(fd)
    with discard_on_error(tmp):
        seen: set[str] = set()
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
            for name, data in members:
                if name in seen:  # two students with one ID number: keep the first (the check reports it)
                    continue
                seen.add(name)
                zf.writestr(zipfile.ZipInfo(name, date_time=time.localtime()[:6]), data)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
