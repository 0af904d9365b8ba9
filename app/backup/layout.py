"""The lower layer every backup module builds on (no other backup module is imported here).

It owns the on-disk layout of a backup destination (docs/reliability.md)::

    DEST/xueji-backup-<school code>-<YYYYMMDD-HHMMSS>/   one backup
        archive.sqlite     the database, copied through SQLite's online backup API
        manifest.json      date, app and schema version, counts, who made it, SHA-256 of every part
    DEST/files/ab/<sha256>.<ext>                          the files/ store, shared by every backup
    DEST/files-enc/ab/<sha256>.<ext>.xjenc                the same for encrypted backups (app/backup/crypto.py)
    DEST/.xueji-backup.lock                               one backup at a time into DEST

the careful file primitives (SHA-256 of a file, a copy verified against its expected hash, a read-only
SQLite URI) and how a failure is told to the registrar (:func:`refuse`, :func:`human_error`,
:class:`Cancelled`). No Qt here.
"""
from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from pathlib import Path

from app.backup import crypto
from app.core.errors import Finding, Refused
from app.core.fsutil import discard_on_error, temp_beside
from app.core.i18n import tr

FORMAT = "xueji-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DB_FILE = "archive.sqlite"
STORE = "files"
ENC_STORE = "files-enc"  # the store of encrypted backups (each file AES-GCM encrypted, app/backup/crypto.py)
PREFIX = "xueji-backup-"
PARTIAL = ".partial"
DEST_LOCK = ".xueji-backup.lock"
SQLITE_MAGIC = b"SQLite format 3\x00"
CHUNK = 1 << 20
_STORE_NAME = re.compile(r"^([0-9a-f]{64})\.[a-z0-9]{1,8}$")


class Cancelled(Exception):
    """The registrar cancelled a backup; nothing was kept."""


def field_label() -> str:
    return tr("backup.field")


def refuse(code: str, message: str, field_: str | None = None, **params) -> Refused:
    """Refused with one finding, in the field "backup" unless ``field_`` names another."""
    return Refused([Finding(code, message, field=field_ if field_ is not None else field_label(), params=params)])


def human_error(e: BaseException) -> str:
    """An OS or SQLite error as the registrar should read it (a full disk, a stick pulled out …)."""
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


def app_version() -> str:
    try:
        from importlib.metadata import version

        return version("xueji")
    except Exception:
        return "0"


# ------------------------------------------------------------------ the content-addressed store
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


def store_root(backup_folder: Path, encrypted: bool = False) -> Path:
    """The shared store beside a backup folder (plain or encrypted)."""
    return Path(backup_folder).parent / (ENC_STORE if encrypted else STORE)


def enc_name(rel: str) -> str:
    """A store file's name in the encrypted store."""
    return rel + crypto.SUFFIX


# ------------------------------------------------------------------ file primitives
def sha256_file(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        while True:
            b = fh.read(CHUNK)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def in_background(fn, *args):
    """Run ``fn(*args)`` on a short-lived thread; ``.result()`` waits (hashlib and SQLite release the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    ex = ThreadPoolExecutor(max_workers=1)
    fut = ex.submit(fn, *args)
    ex.shutdown(wait=False)
    return fut


def copy_verified(src: Path, dest: Path, expect: str) -> str:
    """Copy ``src`` to ``dest`` through a temporary file; returns the SHA-256 read back from ``dest``.
    Raises ValueError when the source's content does not match ``expect`` (a damaged store file)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_beside(dest)
    h = hashlib.sha256()
    with discard_on_error(tmp):
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
    return sha256_file(dest)


def head(p: Path, n: int = 100) -> bytes:
    """The first ``n`` bytes of a file (empty when it cannot be read)."""
    try:
        with open(p, "rb") as fh:
            return fh.read(n)
    except OSError:
        return b""


def ro_uri(p: Path) -> str:
    """A ``file:`` URI that opens ``p`` read-only with sqlite3.connect(..., uri=True)."""
    from urllib.parse import quote

    path = Path(p).as_posix()
    if not path.startswith("/"):  # Windows: file:/C:/… (SQLite drops the slash before a drive letter)
        path = "/" + path
    return "file:" + quote(path, safe="/:") + "?mode=ro"
