"""Making a verified backup (docs/reliability.md; the destination's layout is in app/backup/layout.py).

A backup is written into ``<name>.partial/``, verified (integrity_check on the copy, SHA-256 of the copy
and of every file copied), and only then renamed to its final name. Store files are content-addressed,
so only files the destination lacks are copied, each through a temporary file and os.replace. With a
passphrase every part is encrypted (app/backup/crypto.py); the plain database copy is made and checked in
the archive folder, never on the backup medium. Afterwards the destination may be thinned
(app/backup/thinning.py). Restore is app/backup/restore.py. No Qt here.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
import shutil
import socket
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from app.backup import crypto
from app.backup import store as bl
from app.backup.journal import record
from app.backup.layout import (DB_FILE, DEST_LOCK, ENC_STORE, FORMAT, FORMAT_VERSION, MANIFEST, PARTIAL, PREFIX, STORE,
                               Cancelled, app_version, copy_verified, enc_name, field_label, human_error,
                               in_background, refuse, ro_uri, sha256_file, store_files)
from app.backup.manifest import BackupInfo, describe
from app.backup.settings import SETTING_LABELS, configured_folder, stored_passphrase
from app.backup.thinning import thin_backups
from app.backup.verify import verify_backup
from app.core.errors import Finding, Refused
from app.core.fsutil import fsync_dir, fsync_file, write_json_durably
from app.core.i18n import tr
from db.archive import lock_open_file, unlock_open_file


@dataclass
class BackupResult:
    info: BackupInfo
    seconds: float
    db_seconds: float
    files_copied: int
    files_skipped: int
    bytes_copied: int
    warnings: list[Finding]
    thinned: list[str]

    def as_json(self) -> dict:
        return {"backup": self.info.as_json(), "seconds": round(self.seconds, 3),
                "db_seconds": round(self.db_seconds, 3), "files_copied": self.files_copied,
                "files_skipped": self.files_skipped, "bytes_copied": self.bytes_copied,
                "warnings": [w.as_json() for w in self.warnings], "thinned": self.thinned}


class _DestLock:
    """An exclusive lock on DEST/.xueji-backup.lock: one backup at a time into a destination."""

    def __init__(self, dest: Path):
        self.path = dest / DEST_LOCK
        self.fh = None

    def __enter__(self):
        fh = open(self.path, "a+", encoding="utf-8")
        try:
            lock_open_file(fh)
        except OSError:
            fh.close()
            raise refuse("dest_busy", tr("backup.dest_busy", folder=self.path.parent)) from None
        self.fh = fh
        return self

    def __exit__(self, *exc):
        try:
            unlock_open_file(self.fh)
        finally:
            self.fh.close()
        return False


def _remove_stale_partials(dest: Path) -> list[str]:
    """Under the destination lock no backup is being written: ``*.partial`` folders are leftovers of a
    killed or failed backup (never archive data) and are removed, with stray temporary store files."""
    gone = []
    for p in dest.iterdir():
        if p.is_dir() and p.name.startswith(PREFIX) and p.name.endswith(PARTIAL):
            shutil.rmtree(p, ignore_errors=True)
            gone.append(p.name)
    for root in (dest / STORE, dest / ENC_STORE):
        if root.is_dir():
            for sub in root.iterdir():
                if sub.is_dir():
                    for t in sub.glob(".tmp-*"):
                        try:
                            t.unlink()
                        except OSError:
                            pass
    return gone


def _remove_local_leftovers(archive_folder: Path) -> None:
    """Plain database copies a killed encrypted backup or restore left in the archive folder (this
    process holds the archive's lock, so none of them is in use)."""
    for pattern in (f".backup-{PREFIX}*.sqlite*", ".xueji-restore-*.sqlite*"):
        for p in Path(archive_folder).glob(pattern):
            try:
                p.unlink()
            except OSError:
                pass


def make_backup(session, dest=None, *, trigger: str = "manual", thin: bool | None = None,
                progress=None, cancel=None, now: _dt.datetime | None = None,
                passphrase: str | None = None) -> BackupResult:
    """Back the archive up into ``dest`` (default: the configured folder) and verify it.

    Refused (with nothing kept as a backup) when the folder is missing or unwritable, the disk is full,
    or the written copy does not verify; Cancelled when ``cancel()`` turns true. ``thin`` (default: when
    ``dest`` is the configured folder) then applies the keep-daily/weekly/monthly settings."""
    t0 = time.perf_counter()
    configured = configured_folder(session)
    if dest is None:
        if configured is None:
            raise refuse("no_folder", tr("backup.no_folder"), SETTING_LABELS["backup.folder"])
        dest = configured
    dest = Path(dest).expanduser()
    if thin is None:
        thin = configured is not None and _same(dest, configured)
    try:
        dest.mkdir(parents=True, exist_ok=True)
        probe = dest / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        record(session, "backup", ok=False, path=dest, trigger=trigger, detail={"error": str(e)})
        raise refuse("dest_unwritable", tr("backup.dest_unwritable", folder=dest, error=human_error(e))) from None
    try:
        with _DestLock(dest):
            _remove_stale_partials(dest)
            _remove_local_leftovers(session.folder)
            result = _write_backup(session, dest, trigger, progress, cancel, now or _dt.datetime.now(), t0,
                                   passphrase if passphrase is not None else stored_passphrase(session))
            if thin:
                result.thinned = thin_backups(session, dest)
    except Cancelled:
        raise
    except Refused as e:
        record(session, "backup", ok=False, path=dest, trigger=trigger,
               detail={"error": e.findings[0].message if e.findings else ""})
        raise
    result.seconds = time.perf_counter() - t0
    record(session, "backup", ok=True, path=result.info.path, trigger=trigger,
           detail={"counts": result.info.counts, "seconds": round(result.seconds, 3),
                   "files_copied": result.files_copied, "bytes_copied": result.bytes_copied,
                   "warnings": [w.message for w in result.warnings], "thinned": result.thinned})
    return result


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _write_backup(session, dest: Path, trigger: str, progress, cancel, now: _dt.datetime, t0: float,
                  passphrase: str | None = None) -> BackupResult:
    school = session.school or {}
    code = re.sub(r"[^0-9A-Za-z]", "", school.get("code", "")) or "archive"
    base = f"{PREFIX}{code}-{now:%Y%m%d-%H%M%S}"
    name, n = base, 1
    while (dest / name).exists() or (dest / (name + PARTIAL)).exists():
        n += 1
        name = f"{base}-{n}"
    work = dest / (name + PARTIAL)
    final = dest / name
    warnings: list[Finding] = []
    key = enc_meta = None
    if passphrase:
        if not (dest / crypto.KEYFILE).is_file() and any((dest / ENC_STORE).glob("*/*")):
            raise refuse("bad_keyfile", tr("backup.keyfile_missing", folder=dest, file=crypto.KEYFILE))
        key, enc_meta = crypto.dest_key(dest, passphrase)
    local = None
    try:
        work.mkdir()
        # 1. the database, through the online backup API from a connection of its own: a consistent
        #    snapshot even while the window's connection (or another process) writes. Encrypted: the
        #    plain copy is made and checked in the archive folder (never on the backup medium).
        if key is not None:
            local = session.folder / f".backup-{name}.sqlite"
            copy = local
        else:
            copy = work / DB_FILE
        src = sqlite3.connect(ro_uri(session.archive.db_path), uri=True,
                              check_same_thread=False)
        try:
            target = sqlite3.connect(str(copy))
            try:
                src.backup(target)
                bl.use_rollback_journal(target)
            finally:
                target.close()
        finally:
            src.close()
        fsync_file(copy)
        # verify what is on the destination: its SHA-256 (for the manifest) and integrity_check,
        # read back through a fresh read-only connection; the counts are the snapshot's
        hashing = in_background(sha256_file, copy)  # hashing and integrity_check side by side
        db_bytes = copy.stat().st_size
        check = sqlite3.connect(ro_uri(copy), uri=True)
        try:
            integrity = bl.integrity_check(check)
            counts = bl.manifest_counts(check)
            version = bl.schema_version(check)
            snap_school = bl.school_of(check)
            referenced = bl.referenced_files(check)
        finally:
            check.close()
        db_sha = hashing.result()
        if integrity != "ok":
            raise refuse("integrity", tr("backup.copy_integrity", file=copy, result=integrity))
        db_entry = {"path": DB_FILE, "sha256": db_sha, "bytes": db_bytes}
        if key is not None:
            enc = work / (DB_FILE + crypto.SUFFIX)
            crypto.encrypt_file(copy, enc, key, DB_FILE)
            db_entry.update(path=enc.name, enc_bytes=enc.stat().st_size)
            local.unlink()
        db_seconds = time.perf_counter() - t0
        # 2. the files/ store: only what the destination lacks (names are SHA-256, so equal name = equal file)
        files = store_files(session.folder)
        total = len(files) + 2
        if progress:
            progress(1, total)
        root = dest / (ENC_STORE if key is not None else STORE)
        entries, copied, skipped, nbytes, new = [], 0, 0, 0, set()
        for i, (rel, p) in enumerate(files, 2):
            if cancel and cancel():
                raise Cancelled()
            sha = p.name.split(".")[0]
            size = p.stat().st_size
            target_p = root / (enc_name(rel) if key is not None else rel)
            if target_p.is_file() and (key is not None or target_p.stat().st_size == size):
                skipped += 1
            elif key is not None:
                got, _ = crypto.encrypt_file(p, target_p, key, rel)
                if got != sha:
                    target_p.unlink()
                    warnings.append(Finding("damaged_file", tr("backup.source_damaged", file=p), field=field_label(),
                                            outcome="WARN"))
                    continue
                copied += 1
                nbytes += size
                new.add(rel)
            else:
                try:
                    got = copy_verified(p, target_p, sha)
                except ValueError:
                    warnings.append(Finding("damaged_file", tr("backup.source_damaged", file=p), field=field_label(),
                                            outcome="WARN"))
                    continue
                if got != sha:
                    raise refuse("hash_mismatch", tr("backup.hash_mismatch", file=target_p))
                copied += 1
                nbytes += size
                new.add(rel)
            entry = {"path": rel, "sha256": sha, "bytes": size}
            if key is not None:
                entry["enc_bytes"] = target_p.stat().st_size
            entries.append(entry)
            if progress:
                progress(i, total)
        have = {e["sha256"] for e in entries}
        for sha, where in sorted(referenced.items()):
            if sha not in have:
                warnings.append(Finding("missing_file", tr("backup.source_missing", sha=sha, where=where),
                                        field=field_label(), outcome="WARN"))
        if root.is_dir():
            fsync_dir(root)
        if cancel and cancel():
            raise Cancelled()
        # 3. the manifest, written last
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "created_at": now.isoformat(timespec="seconds"), "app_version": app_version(),
            "schema_version": version, "school": snap_school, "made_by": session.user,
            "host": socket.gethostname(), "trigger": trigger, "counts": counts,
            "database": db_entry, "store": f"../{root.name}", "files": entries, "encrypted": key is not None,
        }
        if enc_meta is not None:
            manifest["encryption"] = enc_meta
        write_json_durably(work / MANIFEST, manifest, ensure_ascii=False, indent=1)
        fsync_dir(work)
        # 4. verify what is on the destination, then give the backup its final name
        _, problems = verify_backup(work, full=False, only_new=new, db_checked=db_sha, key=key)
        problems = [p for p in problems if p.code != "incomplete"]
        if problems:
            raise Refused(problems)
        os.rename(work, final)
        fsync_dir(dest)
        if progress:
            progress(total, total)
    except BaseException as e:
        shutil.rmtree(work, ignore_errors=True)
        if local is not None:
            local.unlink(missing_ok=True)
        if isinstance(e, (Refused, Cancelled)):
            raise
        if isinstance(e, (OSError, sqlite3.Error)):
            raise refuse("backup_failed", tr("backup.failed", folder=dest, error=human_error(e))) from None
        raise
    info = describe(final)
    return BackupResult(info, 0.0, db_seconds, copied, skipped, nbytes, warnings, [])
