"""The archive on disk: one folder holding ``archive.sqlite`` (and later ``files/``).

Owns opening (PRAGMAs, the single-instance lock), numbered forward-only migrations with a
backup copy taken before migrating, and refusing archives written by a newer Xueji.
No Qt here: the GUI and the CLI both reach the archive through app/.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
import socket
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

from db import audit_hash

DB_NAME = "archive.sqlite"
LOCK_NAME = "archive.lock"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 5000


# The registrar's words for the errors below and for the lock file's holder line are in the app's message
# catalogue (resources/i18n); db/ imports nothing from app/, so the app hands its ``tr`` in once
# (app/core/session.py). Used on its own, db/ shows the message key and its params instead.
_wording = None


def set_wording(tr) -> None:
    """``tr(key, **params) -> str``: how messages of db/ are worded from now on."""
    global _wording
    _wording = tr


def words(key: str, **params) -> str:
    """The text of message ``key`` with ``params``, in the app's words once it has handed them in."""
    if _wording is not None:
        return _wording(key, **params)
    return " ".join([key, *(f"{k}={v}" for k, v in params.items())])


class ArchiveError(Exception):
    """A problem with the archive itself, worded for the registrar: ``key`` and ``params`` of the message,
    ``str(e)`` its text."""

    def __init__(self, key: str, **params):
        super().__init__(words(key, **params))
        self.key = key
        self.params = params


class ArchiveLocked(ArchiveError):
    pass


class ArchiveTooNew(ArchiveError):
    pass


class ArchiveMissing(ArchiveError):
    pass


class ArchiveDamaged(ArchiveError, sqlite3.DatabaseError):
    """archive.sqlite is not a SQLite file (foreign) or is damaged/truncated. Also a sqlite3.DatabaseError,
    so code that restores over a damaged archive can keep catching that."""


def _damaged(db_path: Path, error: BaseException) -> ArchiveDamaged:
    try:
        with open(db_path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        head = b""
    if head and not head.startswith(b"SQLite format 3\x00"):
        return ArchiveDamaged("backup.archive_foreign", file=db_path)
    return ArchiveDamaged("backup.archive_damaged", file=db_path, error=error)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    found = []
    for p in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql")):
        m = re.match(r"(\d{4})_(.+)\.sql$", p.name)
        found.append(Migration(int(m.group(1)), m.group(2), p.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migration numbers must be 1..N without gaps: {versions}")
    return found


def latest_version() -> int:
    return len(migrations())


def lock_open_file(fh) -> None:
    """Take an exclusive, non-blocking OS lock on an open file (the OS drops it if the process dies);
    OSError when someone else holds it."""
    if sys.platform == "win32":
        import msvcrt

        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def unlock_open_file(fh) -> None:
    """Release the lock :func:`lock_open_file` took (the file stays open)."""
    if sys.platform == "win32":
        import msvcrt

        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


class FileLock:
    """An OS-level exclusive lock on ``archive.lock``; released by the OS if the process dies."""

    def __init__(self, path: Path):
        self.path = path
        self._fh = None

    def acquire(self) -> None:
        fh = open(self.path, "a+", encoding="utf-8")
        try:
            lock_open_file(fh)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip()
            fh.close()
            raise ArchiveLocked("archive.locked", folder=self.path.parent,
                                holder=holder or words("archive.unknown_holder")) from None
        fh.seek(0)
        fh.truncate()
        fh.write(words("archive.lock_holder", pid=os.getpid(), host=socket.gethostname(),
                       since=f"{_dt.datetime.now():%Y-%m-%d %H:%M}"))
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is None:
            return
        try:
            unlock_open_file(self._fh)
        finally:
            self._fh.close()
            self._fh = None


def connect(db_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(db_path), isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    audit_hash.register(conn)  # the audit log's hash function: its triggers need it on every connection
    return conn


class Archive:
    """An open archive: the folder, its SQLite connection and the lock that makes us its only writer."""

    def __init__(self, folder: Path, conn: sqlite3.Connection, lock: FileLock):
        self.folder = folder
        self.conn = conn
        self._lock = lock

    @property
    def db_path(self) -> Path:
        return self.folder / DB_NAME

    @property
    def files_dir(self) -> Path:
        return self.folder / "files"

    def transaction(self):
        return _Transaction(self.conn)

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.execute("PRAGMA optimize")
            except sqlite3.Error:
                pass
            self.conn.close()
            self.conn = None
        self._lock.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Transaction:
    """``with archive.transaction():`` — BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.conn.execute("COMMIT")
        elif self.conn.in_transaction:  # SQLite may already have rolled back itself (disk full, I/O error)
            self.conn.execute("ROLLBACK")
        return False


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def _backup_before_migrating(conn: sqlite3.Connection, folder: Path, from_version: int) -> Path:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    dest = folder / f"archive.before-v{latest_version()}-from-v{from_version}-{stamp}.sqlite"
    target = sqlite3.connect(str(dest))
    try:
        conn.backup(target)
        ok = target.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        target.close()
    if ok != "ok":
        raise ArchiveError("archive.backup_failed", path=dest, result=ok)
    return dest


def migrate(conn: sqlite3.Connection, folder: Path) -> list[int]:
    """Apply every migration newer than the archive's version; returns the versions applied."""
    current = schema_version(conn)
    latest = latest_version()
    if current > latest:
        raise ArchiveTooNew("archive.too_new", folder=folder, version=current, latest=latest)
    if current == latest:
        return []
    if current > 0:
        _backup_before_migrating(conn, folder, current)
    applied = []
    for m in migrations():
        if m.version <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            # executescript would COMMIT our transaction; run statement by statement instead.
            for stmt in _split_sql(m.sql):
                conn.execute(stmt)
            conn.execute(f"PRAGMA user_version = {m.version}")
            conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", (str(m.version),)
            )
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise
        applied.append(m.version)
    return applied


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping CREATE TRIGGER … END blocks whole."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--") and not buf.strip():
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


def open_archive(folder: str | os.PathLike, *, create: bool = False) -> Archive:
    """Open (and with ``create`` make) the archive in ``folder``, migrated to the latest schema."""
    folder = Path(folder).expanduser().resolve()
    db_path = folder / DB_NAME
    if not db_path.exists():
        if not create:
            raise ArchiveMissing("archive.missing", folder=folder, file=DB_NAME)
        folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / LOCK_NAME)
    lock.acquire()
    try:
        try:
            conn = connect(db_path)
        except sqlite3.DatabaseError as e:
            if isinstance(e, sqlite3.OperationalError) and "not a database" not in str(e):
                raise
            raise _damaged(db_path, e) from e
        try:
            migrate(conn, folder)
        except sqlite3.DatabaseError as e:
            conn.close()
            if isinstance(e, sqlite3.OperationalError) and "malformed" not in str(e) and "not a database" not in str(e):
                raise
            raise _damaged(db_path, e) from e
        except Exception:
            conn.close()
            raise
    except Exception:
        lock.release()
        raise
    return Archive(folder, conn, lock)
