"""Verified backups, restore and integrity checks (issue 7, "Backups and integrity").

A backup destination (a folder the registrar chooses, e.g. on a USB stick) holds::

    DEST/xueji-backup-<school code>-<YYYYMMDD-HHMMSS>/   one backup
        archive.sqlite     the database, copied through SQLite's online backup API
        manifest.json      date, app and schema version, counts, who made it, SHA-256 of every part
    DEST/files/ab/<sha256>.<ext>                          the files/ store, shared by every backup
    DEST/.xueji-backup.lock                               one backup at a time into DEST

A backup is written into ``<name>.partial/``, verified (integrity_check on the copy, SHA-256 of the copy
and of every file copied), and only then renamed to its final name: a folder whose name ends in
``.partial`` or that has no readable manifest is never a good backup (a killed process leaves exactly
that). Store files are content-addressed, so only files the destination lacks are copied, each through
a temporary file and os.replace. Thinning deletes old backup folders only — never the store, never the
archive, never the newest verified backup.

Restore verifies the backup in full first, keeps a safety copy of the current database in the archive
folder, adds the files the archive lacks, replaces the database through the backup API (one write
transaction: a crash leaves the old database) and checks the result against the manifest.

:func:`record` is the one place that notes "backup made", "restore done", … (the ``backup_log`` table);
the audit log can later write into it as well. No Qt here.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
import shutil
import socket
import sqlite3
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app.backup import crypto
from app.core.errors import Finding, Refused
from app.core.i18n import Names, tr
from app.backup import store as bl

FORMAT = "xueji-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DB_FILE = "archive.sqlite"
STORE = "files"
ENC_STORE = "files-enc"  # the store of encrypted backups (each file AES-GCM encrypted, backup_crypto)
PREFIX = "xueji-backup-"
PARTIAL = ".partial"
DEST_LOCK = ".xueji-backup.lock"
SQLITE_MAGIC = b"SQLite format 3\x00"
CHUNK = 1 << 20

# settings (table ``settings``) and their defaults; docs/reliability.md lists them
SETTINGS = {
    "backup.folder": "",
    "backup.on_close": "1",
    "backup.daily": "1",
    "backup.keep_daily": "12",
    "backup.keep_weekly": "10",
    "backup.keep_monthly": "9",
    "backup.encrypt": "0",
    "backup.passphrase": "",  # kept in the archive on this computer: protects the stick, not the PC
}
SETTING_LABELS = Names({
    "backup.folder": "backup.setting.folder",
    "backup.on_close": "backup.setting.on_close",
    "backup.daily": "backup.setting.daily",
    "backup.keep_daily": "backup.setting.keep_daily",
    "backup.keep_weekly": "backup.setting.keep_weekly",
    "backup.keep_monthly": "backup.setting.keep_monthly",
    "backup.encrypt": "backup.setting.encrypt",
    "backup.passphrase": "backup.setting.passphrase",
})
MIN_PASSPHRASE = 8
RESTORE_CACHE_KIB = 256 * 1024  # page cache while a restore rewrites the database (1.5× faster on 1 GB)
_STORE_NAME = re.compile(r"^([0-9a-f]{64})\.[a-z0-9]{1,8}$")


class Cancelled(Exception):
    """The registrar cancelled a backup; nothing was kept."""


def _label():
    return tr("backup.field")


def _refuse(code: str, message: str, field_: str | None = None, **params) -> Refused:
    return Refused([Finding(code, message, field=field_ if field_ is not None else _label(), params=params)])


# ------------------------------------------------------------------ settings
def get_settings(session) -> dict:
    from app.students import store as q

    return {k: q.get_setting(session.conn, k, d) for k, d in SETTINGS.items()}


def save_settings(session, values: dict) -> dict:
    """Store backup settings (keys of SETTINGS); refuses a bad keep count and names the field."""
    from app.students import store as q

    clean = {}
    for k, v in values.items():
        if k not in SETTINGS:
            raise _refuse("bad_setting", tr("backup.bad_setting", key=k))
        v = "" if v is None else (str(v) if k == "backup.passphrase" else str(v).strip())
        if k.startswith("backup.keep_") and not (v.isdigit() and 0 <= int(v) <= 1000):
            raise _refuse("bad_setting", tr("backup.bad_keep", value=v), SETTING_LABELS[k])
        if k in ("backup.on_close", "backup.daily", "backup.encrypt"):
            v = "1" if v in ("1", "true", "True", "yes") else "0"
        clean[k] = v
    merged = {**get_settings(session), **clean}
    if merged["backup.encrypt"] == "1":
        if not crypto.available():
            raise _refuse("no_crypto", tr("backup.no_crypto"), SETTING_LABELS["backup.encrypt"])
        if len(merged["backup.passphrase"]) < MIN_PASSPHRASE:
            raise _refuse("passphrase_short", tr("backup.passphrase_short", n=MIN_PASSPHRASE),
                          SETTING_LABELS["backup.passphrase"])
    with session.transaction("backup"):
        for k, v in clean.items():
            q.set_setting(session.conn, k, v)
    return get_settings(session)


def stored_passphrase(session) -> str | None:
    """The passphrase automatic backups encrypt with, when encryption is switched on in the settings."""
    s = get_settings(session)
    return s["backup.passphrase"] if s["backup.encrypt"] == "1" and s["backup.passphrase"] else None


def configured_folder(session) -> Path | None:
    f = get_settings(session)["backup.folder"]
    return Path(f) if f else None


# ------------------------------------------------------------------ recording (the audit log's seam)
def record(session, kind: str, *, ok: bool, path="", trigger: str = "manual", detail: dict | None = None) -> int | None:
    """Note one backup / verify / restore / check / thin in the archive's append-only ``backup_log``.

    Never raises: a backup's result must not be lost because the note could not be written (e.g. the
    archive's own disk is full); returns the row id or None."""
    try:
        with session.archive.transaction():  # the automatic backup on close runs whoever is signed in
            return bl.insert_log(session.conn, kind, ok=ok, path=str(path), by=session.user, trigger=trigger,
                                 detail=detail)
    except sqlite3.Error:
        return None


def history(session, limit: int = 50) -> list[dict]:
    return bl.list_log(session.conn, limit)


# ------------------------------------------------------------------ helpers
def app_version() -> str:
    try:
        from importlib.metadata import version

        return version("xueji")
    except Exception:
        return "0"


def _sha256_file(p: Path, cancel=None) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        while True:
            b = fh.read(CHUNK)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def _in_background(fn, *args):
    """Run ``fn(*args)`` on a short-lived thread; ``.result()`` waits (hashlib and SQLite release the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    ex = ThreadPoolExecutor(max_workers=1)
    fut = ex.submit(fn, *args)
    ex.shutdown(wait=False)
    return fut


def _fsync_dir(p: Path) -> None:
    if sys.platform == "win32":
        return
    try:
        fd = os.open(str(p), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_file(p: Path) -> None:
    with open(p, "rb+") as fh:
        os.fsync(fh.fileno())


def _copy_verified(src: Path, dest: Path, expect: str) -> str:
    """Copy ``src`` to ``dest`` through a temporary file; returns the SHA-256 read back from ``dest``.
    Raises ValueError when the source's content does not match ``expect`` (a damaged store file)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".tmp-{os.getpid()}-{dest.name}")
    h = hashlib.sha256()
    try:
        with open(src, "rb") as fi, open(tmp, "wb") as fo:
            while True:
                b = fi.read(CHUNK)
                if not b:
                    break
                h.update(b)
                fo.write(b)
            fo.flush()
            os.fsync(fo.fileno())
        if h.hexdigest() != expect:
            raise ValueError(expect)
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return _sha256_file(dest)


def store_files(archive_folder: Path) -> list[tuple[str, Path]]:
    """Every stored file as (relative path 'ab/<sha>.<ext>', absolute path); temporary files skipped."""
    root = Path(archive_folder) / STORE
    out = []
    if not root.is_dir():
        return out
    for sub in sorted(root.iterdir()):
        if not sub.is_dir() or len(sub.name) != 2:
            continue
        for f in sorted(sub.iterdir()):
            if f.is_file() and _STORE_NAME.match(f.name) and f.name.startswith(sub.name):
                out.append((f"{sub.name}/{f.name}", f))
    return out


def _human_error(e: BaseException) -> str:
    text = str(e)
    code = getattr(e, "sqlite_errorcode", None)
    if code is not None:
        if code & 0xFF == sqlite3.SQLITE_FULL:
            return tr("backup.disk_full", error=text)
        if code & 0xFF == sqlite3.SQLITE_IOERR:
            return tr("backup.io_error", error=text)
    if isinstance(e, OSError) and e.errno in (28, 27, 122):  # ENOSPC, EFBIG, EDQUOT
        return tr("backup.disk_full", error=text)
    if isinstance(e, OSError) and e.errno in (5, 19, 6):  # EIO, ENODEV, ENXIO: a stick pulled out or failing
        return tr("backup.io_error", error=text)
    return text or type(e).__name__


# ------------------------------------------------------------------ what a backup holds
@dataclass
class BackupInfo:
    path: str
    name: str
    complete: bool
    created_at: str = ""
    made_by: str = ""
    host: str = ""
    trigger: str = ""
    app_version: str = ""
    schema_version: int = 0
    school: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    db_bytes: int = 0
    files: int = 0
    files_bytes: int = 0
    encrypted: bool = False
    problem: str = ""

    def as_json(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        c = self.counts or {}
        return tr("backup.summary", at=self.created_at.replace("T", " "), by=self.made_by or "-",
                  school=(self.school or {}).get("name", ""), students=c.get("students", 0),
                  classes=c.get("classes", 0), photos=c.get("photos", 0), events=c.get("events", 0),
                  files=self.files, version=self.schema_version)


def _read_manifest(folder: Path) -> dict:
    """The manifest, or Refused naming the file and what is wrong with it."""
    mp = folder / MANIFEST
    if not mp.is_file():
        raise _refuse("not_a_backup", tr("backup.no_manifest", folder=folder, file=MANIFEST))
    try:
        m = json.loads(mp.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _refuse("bad_manifest", tr("backup.bad_manifest", file=mp, error=e)) from None
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise _refuse("not_a_backup", tr("backup.foreign_manifest", file=mp))
    if int(m.get("format_version", 0)) > FORMAT_VERSION:
        raise _refuse("backup_too_new", tr("backup.format_too_new", file=mp, version=m.get("format_version")))
    return m


def _info(folder: Path, m: dict | None, problem: str = "") -> BackupInfo:
    complete = m is not None and not folder.name.endswith(PARTIAL) and not problem
    if m is None:
        return BackupInfo(str(folder), folder.name, False, problem=problem)
    files = m.get("files") or []
    return BackupInfo(str(folder), folder.name, complete, created_at=m.get("created_at", ""),
                      made_by=m.get("made_by", ""), host=m.get("host", ""), trigger=m.get("trigger", ""),
                      app_version=m.get("app_version", ""), schema_version=int(m.get("schema_version", 0)),
                      school=m.get("school") or {}, counts=m.get("counts") or {},
                      db_bytes=int((m.get("database") or {}).get("bytes", 0)), files=len(files),
                      files_bytes=sum(int(f.get("bytes", 0)) for f in files), encrypted=bool(m.get("encrypted")),
                      problem=problem)


def describe(path) -> BackupInfo:
    """What a backup holds (date, counts, who made it), read from its manifest; no hashing."""
    folder = _backup_folder(Path(path))
    if folder.name.endswith(PARTIAL):
        try:
            m = _read_manifest(folder)
        except Refused:
            m = None
        return _info(folder, m, tr("backup.partial", folder=folder))
    return _info(folder, _read_manifest(folder))


def _backup_folder(p: Path) -> Path:
    p = Path(p).expanduser()
    if p.is_file() and p.name == MANIFEST:
        return p.parent
    if p.is_file():
        head = _head(p)
        if head.startswith(SQLITE_MAGIC):
            raise _refuse("not_a_backup", tr("backup.bare_database", file=p, manifest=MANIFEST))
        raise _refuse("not_a_backup", tr("backup.foreign_file", file=p))
    if not p.exists():
        raise _refuse("not_found", tr("backup.not_found", path=p))
    return p


def _ro_uri(p: Path) -> str:
    from urllib.parse import quote

    path = Path(p).as_posix()
    if not path.startswith("/"):  # Windows: file:/C:/… (SQLite drops the slash before a drive letter)
        path = "/" + path
    return "file:" + quote(path, safe="/:") + "?mode=ro"


def _head(p: Path, n: int = 100) -> bytes:
    try:
        with open(p, "rb") as fh:
            return fh.read(n)
    except OSError:
        return b""


def list_backups(dest) -> list[BackupInfo]:
    """The backups in ``dest``, newest first: complete ones and partial or damaged ones (complete=False)."""
    dest = Path(dest)
    if not dest.is_dir():
        return []
    out = []
    for p in dest.iterdir():
        if not (p.is_dir() and p.name.startswith(PREFIX)):
            continue
        try:
            out.append(describe(p))
        except Refused as e:
            out.append(_info(p, None, e.findings[0].message))
    out.sort(key=lambda b: (b.created_at, b.name), reverse=True)
    return out


def store_root(backup_folder: Path, encrypted: bool = False) -> Path:
    return Path(backup_folder).parent / (ENC_STORE if encrypted else STORE)


def _enc_name(rel: str) -> str:
    return rel + crypto.SUFFIX


def backup_key(path, passphrase: str | None) -> bytes | None:
    """The key of an encrypted backup (None for a plain one); Refused without or with a wrong passphrase."""
    m = _read_manifest(_backup_folder(Path(path)))
    if not m.get("encrypted"):
        return None
    return crypto.key_from_meta(m.get("encryption") or {}, passphrase or "")


class _PlainCopy:
    """The backup's database as a plain SQLite file: the file itself, or (encrypted) a decrypted
    temporary copy in ``tmpdir`` (a local folder, never the backup medium), removed afterwards."""

    def __init__(self, folder: Path, m: dict, key: bytes | None, tmpdir: Path | None = None):
        self.folder, self.m, self.key, self.tmpdir = folder, m, key, tmpdir
        self.path: Path | None = None
        self._tmp: Path | None = None

    def __enter__(self) -> Path:
        db = self.m.get("database") or {}
        src = self.folder / db.get("path", DB_FILE)
        if not self.m.get("encrypted"):
            self.path = src
            return src
        import tempfile

        fd, name = tempfile.mkstemp(prefix=".xueji-restore-", suffix=".sqlite",
                                    dir=str(self.tmpdir) if self.tmpdir else None)
        os.close(fd)
        self._tmp = Path(name)
        try:
            crypto.decrypt_file(src, self.key, DB_FILE, self._tmp)
        except BaseException:
            self._tmp.unlink(missing_ok=True)
            raise
        self.path = self._tmp
        return self._tmp

    def __exit__(self, *exc):
        if self._tmp is not None:
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(str(self._tmp) + suffix).unlink(missing_ok=True)
        return False


# ------------------------------------------------------------------ verify
def verify_backup(path, *, full: bool = True, progress=None, only_new: set[str] | None = None,
                  db_checked: str | None = None, passphrase: str | None = None, key: bytes | None = None
                  ) -> tuple[BackupInfo, list[Finding]]:
    """Check a backup against its manifest: the database copy's size, SHA-256, SQLite header,
    integrity_check and counts; every store file's presence, size and (``full``) SHA-256.

    Returns (what it holds, problems); problems name the file and what is wrong. Raises Refused when
    the path is no backup at all (no manifest, foreign file). ``only_new``: hash only these store files
    (the rest by size) — the check right after writing, where the others were verified when copied;
    ``db_checked``: the database copy's SHA-256 as just computed with its integrity_check passed (then
    only its size and that hash against the manifest are compared).

    An encrypted backup is checked in full with its passphrase (or ``key``): every part decrypted
    (AES-GCM authenticates it) and hashed, the database decrypted to a temporary local file for
    integrity_check; without it only the presence and sizes of the encrypted parts."""
    folder = _backup_folder(Path(path))
    m = _read_manifest(folder)
    problems: list[Finding] = []
    if m.get("encrypted"):
        if key is None and passphrase is not None:
            key = crypto.key_from_meta(m.get("encryption") or {}, passphrase)
        return _verify_encrypted(folder, m, full, progress, only_new, db_checked, key)

    def bad(code, msg, fld=None):
        problems.append(Finding(code, msg, field=fld or _label()))

    if folder.name.endswith(PARTIAL):
        bad("incomplete", tr("backup.partial", folder=folder))
    files = m.get("files") or []
    total = len(files) + 1
    db = m.get("database") or {}
    dbp = folder / db.get("path", DB_FILE)
    if not dbp.is_file():
        bad("missing_part", tr("backup.part_missing", file=dbp))
    else:
        size = dbp.stat().st_size
        if size != int(db.get("bytes", -1)):
            bad("truncated", tr("backup.size_mismatch", file=dbp, size=size, expected=db.get("bytes")))
        elif not _head(dbp).startswith(SQLITE_MAGIC):
            bad("foreign_file", tr("backup.not_sqlite", file=dbp))
        elif db_checked is not None:
            if db_checked != db.get("sha256"):
                bad("hash_mismatch", tr("backup.hash_mismatch", file=dbp))
        else:
            hashing = _in_background(_sha256_file, dbp)  # both read the file: use the second core
            checked = _check_copy(dbp, m)
            if hashing.result() != db.get("sha256"):
                bad("hash_mismatch", tr("backup.hash_mismatch", file=dbp))
            else:
                problems.extend(checked)
    if progress:
        progress(1, total)
    root = store_root(folder)
    for i, f in enumerate(files, 2):
        rel = f.get("path", "")
        fp = root / rel
        if not fp.is_file():
            bad("missing_file", tr("backup.file_missing", file=fp))
        elif fp.stat().st_size != int(f.get("bytes", -1)):
            bad("truncated", tr("backup.size_mismatch", file=fp, size=fp.stat().st_size, expected=f.get("bytes")))
        elif (full or (only_new is not None and rel in only_new)) and _sha256_file(fp) != f.get("sha256"):
            bad("hash_mismatch", tr("backup.hash_mismatch", file=fp))
        if progress and i % 50 == 0:
            progress(i, total)
    if progress:
        progress(total, total)
    return _info(folder, m, problems[0].message if problems else ""), problems


def _verify_encrypted(folder: Path, m: dict, full: bool, progress, only_new, db_checked, key):
    problems: list[Finding] = []

    def bad(code, msg):
        problems.append(Finding(code, msg, field=_label()))

    def refused(e: Refused):
        problems.extend(e.findings)

    if folder.name.endswith(PARTIAL):
        bad("incomplete", tr("backup.partial", folder=folder))
    files = m.get("files") or []
    total = len(files) + 1
    db = m.get("database") or {}
    dbp = folder / db.get("path", DB_FILE + crypto.SUFFIX)
    if not dbp.is_file():
        bad("missing_part", tr("backup.part_missing", file=dbp))
    elif dbp.stat().st_size != int(db.get("enc_bytes", -1)):
        bad("truncated", tr("backup.size_mismatch", file=dbp, size=dbp.stat().st_size, expected=db.get("enc_bytes")))
    elif db_checked is not None:
        if db_checked != db.get("sha256"):
            bad("hash_mismatch", tr("backup.hash_mismatch", file=dbp))
    elif key is not None:
        try:
            with _PlainCopy(folder, m, key) as plain:
                if _sha256_file(plain) != db.get("sha256"):
                    bad("hash_mismatch", tr("backup.hash_mismatch", file=dbp))
                else:
                    problems.extend(_check_copy(plain, m))
        except Refused as e:
            refused(e)
    if progress:
        progress(1, total)
    root = store_root(folder, True)
    for i, f in enumerate(files, 2):
        rel = f.get("path", "")
        fp = root / _enc_name(rel)
        if not fp.is_file():
            bad("missing_file", tr("backup.file_missing", file=fp))
        elif fp.stat().st_size != int(f.get("enc_bytes", -1)):
            bad("truncated", tr("backup.size_mismatch", file=fp, size=fp.stat().st_size, expected=f.get("enc_bytes")))
        elif key is not None and (full or (only_new is not None and rel in only_new)):
            try:
                if crypto.decrypt_file(fp, key, rel) != f.get("sha256"):
                    bad("hash_mismatch", tr("backup.hash_mismatch", file=fp))
            except Refused as e:
                refused(e)
        if progress and i % 50 == 0:
            progress(i, total)
    if progress:
        progress(total, total)
    return _info(folder, m, problems[0].message if problems else ""), problems


def _check_copy(dbp: Path, m: dict) -> list[Finding]:
    out = []
    try:
        c = sqlite3.connect(_ro_uri(dbp), uri=True)
        try:
            result = bl.integrity_check(c)
            counts = bl.manifest_counts(c)
            version = bl.schema_version(c)
        finally:
            c.close()
    except sqlite3.Error as e:
        return [Finding("damaged", tr("backup.copy_unreadable", file=dbp, error=e), field=_label())]
    if result != "ok":
        out.append(Finding("integrity", tr("backup.copy_integrity", file=dbp, result=result), field=_label()))
    want = m.get("counts") or {}
    diff = {k: (counts.get(k), v) for k, v in want.items() if counts.get(k) != v}
    if diff:
        out.append(Finding("counts", tr("backup.counts_mismatch", file=dbp, diff=diff), field=_label()))
    if version != int(m.get("schema_version", -1)):
        out.append(Finding("schema", tr("backup.schema_mismatch", file=dbp, version=version,
                                        expected=m.get("schema_version")), field=_label()))
    return out


# ------------------------------------------------------------------ backup
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
        from db.archive import lock_open_file

        fh = open(self.path, "a+", encoding="utf-8")
        try:
            lock_open_file(fh)
        except OSError:
            fh.close()
            raise _refuse("dest_busy", tr("backup.dest_busy", folder=self.path.parent)) from None
        self.fh = fh
        return self

    def __exit__(self, *exc):
        try:
            if sys.platform == "win32":
                import msvcrt

                self.fh.seek(0)
                msvcrt.locking(self.fh.fileno(), msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(self.fh.fileno(), fcntl.LOCK_UN)
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
            raise _refuse("no_folder", tr("backup.no_folder"), SETTING_LABELS["backup.folder"])
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
        raise _refuse("dest_unwritable", tr("backup.dest_unwritable", folder=dest, error=_human_error(e))) from None
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
            raise _refuse("bad_keyfile", tr("backup.keyfile_missing", folder=dest, file=crypto.KEYFILE))
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
        src = sqlite3.connect(_ro_uri(session.archive.db_path), uri=True,
                              check_same_thread=False)
        try:
            target = sqlite3.connect(str(copy))
            try:
                src.backup(target)
                target.execute("PRAGMA journal_mode = DELETE")
            finally:
                target.close()
        finally:
            src.close()
        _fsync_file(copy)
        # verify what is on the destination: its SHA-256 (for the manifest) and integrity_check,
        # read back through a fresh read-only connection; the counts are the snapshot's
        hashing = _in_background(_sha256_file, copy)  # hashing and integrity_check side by side
        db_bytes = copy.stat().st_size
        check = sqlite3.connect(_ro_uri(copy), uri=True)
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
            raise _refuse("integrity", tr("backup.copy_integrity", file=copy, result=integrity))
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
            target_p = root / (_enc_name(rel) if key is not None else rel)
            if target_p.is_file() and (key is not None or target_p.stat().st_size == size):
                skipped += 1
            elif key is not None:
                got, _ = crypto.encrypt_file(p, target_p, key, rel)
                if got != sha:
                    target_p.unlink()
                    warnings.append(Finding("damaged_file", tr("backup.source_damaged", file=p), field=_label(),
                                            outcome="WARN"))
                    continue
                copied += 1
                nbytes += size
                new.add(rel)
            else:
                try:
                    got = _copy_verified(p, target_p, sha)
                except ValueError:
                    warnings.append(Finding("damaged_file", tr("backup.source_damaged", file=p), field=_label(),
                                            outcome="WARN"))
                    continue
                if got != sha:
                    raise _refuse("hash_mismatch", tr("backup.hash_mismatch", file=target_p))
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
                                        field=_label(), outcome="WARN"))
        _fsync_dir(root) if root.is_dir() else None
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
        mtmp = work / (MANIFEST + ".tmp")
        with open(mtmp, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(mtmp, work / MANIFEST)
        _fsync_dir(work)
        # 4. verify what is on the destination, then give the backup its final name
        _, problems = verify_backup(work, full=False, only_new=new, db_checked=db_sha, key=key)
        problems = [p for p in problems if p.code != "incomplete"]
        if problems:
            raise Refused(problems)
        os.rename(work, final)
        _fsync_dir(dest)
        if progress:
            progress(total, total)
    except BaseException as e:
        shutil.rmtree(work, ignore_errors=True)
        if local is not None:
            local.unlink(missing_ok=True)
        if isinstance(e, (Refused, Cancelled)):
            raise
        if isinstance(e, (OSError, sqlite3.Error)):
            raise _refuse("backup_failed", tr("backup.failed", folder=dest, error=_human_error(e))) from None
        raise
    info = describe(final)
    return BackupResult(info, 0.0, db_seconds, copied, skipped, nbytes, warnings, [])


# ------------------------------------------------------------------ thinning
def plan_thinning(backups: list[BackupInfo], keep_daily: int, keep_weekly: int, keep_monthly: int
                  ) -> tuple[list[BackupInfo], list[BackupInfo]]:
    """(keep, delete) among complete backups: the newest of each of the last ``keep_daily`` days that
    have one, of the last ``keep_weekly`` ISO weeks and of the last ``keep_monthly`` months; the newest
    backup is always kept. Incomplete ones are not considered here."""
    good = sorted([b for b in backups if b.complete and b.created_at],
                  key=lambda b: (b.created_at, b.name), reverse=True)
    keep = {good[0].path} if good else set()
    periods = ((lambda d: d.date(), keep_daily), (lambda d: d.isocalendar()[:2], keep_weekly),
               (lambda d: (d.year, d.month), keep_monthly))
    for key, n in periods:
        seen = set()
        for b in good:
            k = key(_dt.datetime.fromisoformat(b.created_at))
            if k in seen:
                continue
            if len(seen) >= n:
                break
            seen.add(k)
            keep.add(b.path)
    return [b for b in good if b.path in keep], [b for b in good if b.path not in keep]


def thin_backups(session, dest) -> list[str]:
    """Delete the backups of this school in ``dest`` that the keep settings no longer cover (backup
    folders only: the shared store, the archive and the newest backup are never touched)."""
    s = get_settings(session)
    code = (session.school or {}).get("code", "")
    mine = [b for b in list_backups(dest) if (b.school or {}).get("code", "") == code]
    _, delete = plan_thinning(mine, int(s["backup.keep_daily"]), int(s["backup.keep_weekly"]),
                              int(s["backup.keep_monthly"]))
    gone = []
    for b in delete:
        p = Path(b.path)
        if p.parent.resolve() == Path(dest).resolve() and p.name.startswith(PREFIX):
            shutil.rmtree(p, ignore_errors=True)
            gone.append(p.name)
    return gone


# ------------------------------------------------------------------ automatic backups
def backup_due(session, now: _dt.datetime | None = None, every_hours: float = 24.0) -> bool:
    """A daily backup is due: one is configured and the last good one is older than ``every_hours``."""
    s = get_settings(session)
    if not s["backup.folder"] or s["backup.daily"] != "1":
        return False
    last = bl.last_log(session.conn, "backup", ok=True)
    if last is None:
        return True
    at = _dt.datetime.fromisoformat(last["at"])
    return (now or _dt.datetime.now()) - at >= _dt.timedelta(hours=every_hours)


def full_check_due(session, now: _dt.datetime | None = None, every_days: float = 7.0) -> bool:
    """The weekly full integrity check + files sweep is due (none recorded, or the last is older)."""
    at = bl.last_full_check_at(session.conn)
    if at is None:
        return True
    return (now or _dt.datetime.now()) - _dt.datetime.fromisoformat(at) >= _dt.timedelta(days=every_days)


def backup_on_close_wanted(session) -> bool:
    s = get_settings(session)
    return bool(s["backup.folder"]) and s["backup.on_close"] == "1"


# ------------------------------------------------------------------ integrity of the archive itself
def quick_check_file(db_path) -> str:
    """PRAGMA quick_check on a read-only connection of its own ("ok" or the problems)."""
    c = sqlite3.connect(_ro_uri(Path(db_path)), uri=True)
    try:
        return bl.quick_check(c)
    finally:
        c.close()


def check_integrity(session, *, full: bool = True, progress=None, cancel=None, trigger: str = "manual") -> dict:
    """integrity_check (or quick_check), foreign keys, and a sweep of the files/ store: every stored
    file's content against its name, every referenced file present. Reports; deletes nothing."""
    t0 = time.perf_counter()
    conn = session.conn
    problems: list[Finding] = []
    arch = tr("label.archive")
    result = bl.integrity_check(conn) if full else bl.quick_check(conn)
    if result != "ok":
        problems.append(Finding("integrity", tr("check.integrity", result=result), field=arch))
    for r in bl.foreign_key_problems(conn):
        problems.append(Finding("foreign_key", tr("check.foreign_key", table=r[0], rowid=r[1], parent=r[2]),
                                field=arch))
    files = store_files(session.folder)
    have = set()
    for i, (rel, p) in enumerate(files, 1):
        if cancel and cancel():
            raise Cancelled()
        sha = p.name.split(".")[0]
        have.add(sha)
        if full and _sha256_file(p) != sha:
            problems.append(Finding("file_damaged", tr("backup.store_damaged", file=p), field=arch))
        if progress and i % 50 == 0:
            progress(i, len(files))
    for sha, where in sorted(bl.referenced_files(conn).items()):
        if sha not in have:
            problems.append(Finding("file_missing", tr("backup.store_missing", sha=sha, where=where), field=arch))
    stray = [str(t) for t in (session.folder / STORE).glob("*/.tmp-*")] if (session.folder / STORE).is_dir() else []
    rep = {"integrity": result, "full": full, "files": len(files), "stray_temporary_files": stray,
           "seconds": round(time.perf_counter() - t0, 3), "problems": problems}
    record(session, "check", ok=not problems, path=session.folder, trigger=trigger,
           detail={"integrity": result, "full": full, "files": len(files),
                   "problems": [p.message for p in problems[:20]]})
    return rep


# The restore half lives in app/backup/restore.py; its names stay reachable here for callers of app.backup.service.
_RESTORE_NAMES = {"RestoreResult", "check_restorable", "damaged_archive_message", "restore_backup", "restore_into",
                  "set_aside_damaged"}


def __getattr__(name):
    if name in _RESTORE_NAMES:
        from app.backup import restore

        return getattr(restore, name)
    raise AttributeError(name)
