"""Restore: a verified backup replaces the archive's contents (docs/reliability.md).

The backup is verified in full first (app/backup/verify.py); a safety copy of the current database is
kept in the archive folder; files the archive lacks are added, none removed; the database is replaced
through SQLite's backup API (one write transaction: a crash leaves the old database); the result is
checked against the manifest. Also: restoring into a folder that has no archive yet, or whose archive is
too damaged to open (it is set aside, never deleted)."""
from __future__ import annotations

import datetime as _dt
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from app.backup import crypto
from app.backup import store as bl
from app.backup.journal import record
from app.backup.layout import (DB_FILE, SQLITE_MAGIC, STORE, copy_verified, enc_name, head, human_error, refuse, ro_uri,
                               store_root)
from app.backup.manifest import BackupInfo, PlainCopy, backup_key, read_manifest
from app.backup.verify import verify_backup
from app.core.errors import Refused
from app.core.fsutil import discard_on_error, fsync_file, temp_beside
from app.core.i18n import tr
from app.core.session import Session
from db.archive import LOCK_NAME, FileLock, latest_version, migrate

RESTORE_CACHE_KIB = 256 * 1024  # page cache while a restore rewrites the database (1.5× faster on 1 GB)


@dataclass
class RestoreResult:
    info: BackupInfo
    safety_copy: str
    files_added: int
    seconds: float
    migrated_to: int
    set_aside: str = ""  # a damaged archive.sqlite renamed before restoring (restore_into)

    def as_json(self) -> dict:
        return {"backup": self.info.as_json(), "safety_copy": self.safety_copy, "files_added": self.files_added,
                "seconds": round(self.seconds, 3), "schema_version": self.migrated_to,
                "damaged_archive": self.set_aside or None}


def check_restorable(path, passphrase: str | None = None) -> BackupInfo:
    """Verify a backup in full before anything changes; Refused with every problem (file, what is wrong).
    An encrypted backup needs its passphrase (Refused ``passphrase_needed`` / ``wrong_passphrase``)."""
    key = backup_key(path, passphrase)
    info, problems = verify_backup(path, full=True, key=key)
    if problems:
        raise Refused(problems)
    if info.schema_version > latest_version():
        raise refuse("backup_too_new", tr("backup.schema_too_new", version=info.schema_version,
                                          latest=latest_version()))
    if not info.school:
        raise refuse("not_a_backup", tr("backup.no_school", file=Path(info.path) / DB_FILE))
    return info


def restore_backup(session, path, *, trigger: str = "manual", progress=None,
                   verified: BackupInfo | None = None, passphrase: str | None = None) -> RestoreResult:
    """Replace the archive's contents with a verified backup. A safety copy of the current database is
    kept in the archive folder first; files the archive lacks are added (none removed); the result is
    checked (integrity_check, counts as in the manifest)."""
    t0 = time.perf_counter()
    info = verified or check_restorable(path, passphrase)
    folder = Path(info.path)
    m = read_manifest(folder)
    key = backup_key(folder, passphrase)
    if progress:
        progress(1, 4)
    # 1. safety copy of what is there now
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    safety = session.folder / f"archive.before-restore-{stamp}.sqlite"
    n = 1
    while safety.exists():
        n += 1
        safety = session.folder / f"archive.before-restore-{stamp}-{n}.sqlite"
    try:
        _safety_copy(session, safety)
    except (OSError, sqlite3.Error) as e:
        safety.unlink(missing_ok=True)
        record(session, "restore", ok=False, path=folder, trigger=trigger, detail={"error": str(e)})
        raise refuse("safety_copy", tr("backup.safety_failed", file=safety, error=human_error(e))) from None
    if progress:
        progress(2, 4)
    # 2. files the archive lacks (content-addressed: adding never harms what is there)
    added = 0
    src_root = store_root(folder, key is not None)
    try:
        for f in m.get("files") or []:
            dst = session.folder / STORE / f["path"]
            if dst.is_file() and dst.stat().st_size == int(f["bytes"]):
                continue
            if key is not None:
                _decrypt_into(src_root / enc_name(f["path"]), dst, key, f["path"], f["sha256"])
            elif copy_verified(src_root / f["path"], dst, f["sha256"]) != f["sha256"]:
                raise refuse("hash_mismatch", tr("backup.hash_mismatch", file=dst))
            added += 1
        # 3. the database: one write transaction on the archive's own connection
        with PlainCopy(folder, m, key, session.folder) as plain:
            src = sqlite3.connect(ro_uri(plain), uri=True)
            try:
                with bl.page_cache(session.conn, RESTORE_CACHE_KIB):  # fewer, larger WAL writes
                    src.backup(session.conn)
            finally:
                src.close()
    except Refused as e:
        record(session, "restore", ok=False, path=folder, trigger=trigger,
               detail={"error": e.findings[0].message, "safety_copy": str(safety)})
        raise
    except (OSError, sqlite3.Error, ValueError) as e:
        record(session, "restore", ok=False, path=folder, trigger=trigger,
               detail={"error": str(e), "safety_copy": str(safety)})
        raise refuse("restore_failed", tr("backup.restore_failed", folder=folder, error=human_error(e),
                                          safety=safety)) from None
    if progress:
        progress(3, 4)
    # 4. check the result (the backup passed integrity_check before; quick_check and the counts show
    #    the copy arrived whole), then bring an older schema up to date
    result = bl.quick_check(session.conn)
    counts = bl.manifest_counts(session.conn)
    want = m.get("counts") or {}
    if result != "ok" or any(counts.get(k) != v for k, v in want.items()):
        record(session, "restore", ok=False, path=folder, trigger=trigger,
               detail={"error": result, "counts": counts, "safety_copy": str(safety)})
        raise refuse("restore_unverified", tr("backup.restore_unverified", folder=folder, result=result,
                                              safety=safety))
    migrate(session.conn, session.folder)
    session.reload()
    version = bl.schema_version(session.conn)
    seconds = time.perf_counter() - t0
    record(session, "restore", ok=True, path=folder, trigger=trigger,
           detail={"backup_created_at": info.created_at, "counts": counts, "safety_copy": str(safety),
                   "files_added": added, "seconds": round(seconds, 3)})
    if progress:
        progress(4, 4)
    return RestoreResult(info, str(safety), added, seconds, version)


def _safety_copy(session, safety: Path) -> None:
    """Keep the current database as it is, as a copy of its files taken while this connection holds
    the write lock (after a checkpoint, so the WAL is normally empty; a non-empty WAL is copied beside
    it). A file copy rather than the backup API: about five times faster on a 1 GB archive, and it
    works on an archive too damaged for SQLite to read — the usual reason to restore. Not checked:
    a damaged archive must not stop its own repair."""
    conn = session.conn
    db = session.archive.db_path
    bl.checkpoint(conn)
    with bl.write_lock(conn):  # nobody writes while the files are copied
        shutil.copyfile(db, safety)
        wal = Path(str(db) + "-wal")
        if wal.is_file() and wal.stat().st_size > 0:
            shutil.copyfile(wal, Path(str(safety) + "-wal"))
            fsync_file(Path(str(safety) + "-wal"))
    fsync_file(safety)


def restore_into(folder, path, *, user: str | None = None, trigger: str = "manual",
                 verified: BackupInfo | None = None, passphrase: str | None = None) -> RestoreResult:
    """Restore into an archive folder that may not exist yet (a new computer): verifies the backup
    before the folder is created or opened."""
    info = verified or check_restorable(path, passphrase)
    set_aside = None
    try:
        session = Session.open(folder, create=True, user=user)
    except sqlite3.DatabaseError:  # the archive there is damaged or foreign: keep it aside, restore anew
        set_aside = set_aside_damaged(Path(folder))
        session = Session.open(folder, create=True, user=user)
    with session:
        res = restore_backup(session, path, trigger=trigger, verified=info, passphrase=passphrase)
    res.set_aside = str(set_aside) if set_aside else ""
    return res


def damaged_archive_message(folder, error: BaseException) -> str:
    """Why ``folder``'s archive.sqlite cannot be opened, for the registrar: foreign or damaged/truncated."""
    db = Path(folder).expanduser() / DB_FILE
    if not head(db).startswith(SQLITE_MAGIC):
        return tr("backup.archive_foreign", file=db)
    return tr("backup.archive_damaged", file=db, error=error)


def set_aside_damaged(folder: Path) -> Path:
    """Rename a damaged archive.sqlite (and its -wal/-shm) to ``archive.damaged-<time>.sqlite`` under the
    archive's lock, so a restore can start from an empty archive; nothing is deleted."""
    folder = Path(folder).expanduser().resolve()
    lock = FileLock(folder / LOCK_NAME)
    lock.acquire()
    try:
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        dest = folder / f"archive.damaged-{stamp}.sqlite"
        for suffix in ("-wal", "-shm", ""):
            src = Path(str(folder / DB_FILE) + suffix)
            if src.exists():
                os.replace(src, Path(str(dest) + suffix))
    finally:
        lock.release()
    return dest


def _decrypt_into(src: Path, dst: Path, key: bytes, file_id: str, expect: str) -> None:
    """Decrypt a store file into the archive's store through a temporary file; Refused when the
    plaintext does not hash to ``expect``."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_beside(dst)
    with discard_on_error(tmp):
        if crypto.decrypt_file(src, key, file_id, tmp) != expect:
            raise refuse("hash_mismatch", tr("backup.hash_mismatch", file=src))
        os.replace(tmp, dst)
