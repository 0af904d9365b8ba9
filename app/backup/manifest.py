"""What a backup holds, read from its ``manifest.json`` without hashing anything: :class:`BackupInfo`,
:func:`describe`, :func:`list_backups`, the key of an encrypted backup, and :class:`PlainCopy` (the
backup's database as a plain SQLite file for checking or restoring).

A folder whose name ends in ``.partial`` or that has no readable manifest is never a good backup (a killed
process leaves exactly that): it is listed with ``complete=False`` and the reason."""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app.backup import crypto
from app.backup.layout import DB_FILE, FORMAT, FORMAT_VERSION, MANIFEST, PARTIAL, PREFIX, SQLITE_MAGIC, head, refuse
from app.core.errors import Refused
from app.core.fsutil import discard_on_error
from app.core.i18n import tr


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


def read_manifest(folder: Path) -> dict:
    """The manifest, or Refused naming the file and what is wrong with it."""
    mp = folder / MANIFEST
    if not mp.is_file():
        raise refuse("not_a_backup", tr("backup.no_manifest", folder=folder, file=MANIFEST))
    try:
        m = json.loads(mp.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise refuse("bad_manifest", tr("backup.bad_manifest", file=mp, error=e)) from None
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise refuse("not_a_backup", tr("backup.foreign_manifest", file=mp))
    if int(m.get("format_version", 0)) > FORMAT_VERSION:
        raise refuse("backup_too_new", tr("backup.format_too_new", file=mp, version=m.get("format_version")))
    return m


def info_of(folder: Path, m: dict | None, problem: str = "") -> BackupInfo:
    """The BackupInfo of ``folder`` from its manifest ``m`` (None: unreadable) and the first problem found."""
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
    folder = backup_folder(Path(path))
    if folder.name.endswith(PARTIAL):
        try:
            m = read_manifest(folder)
        except Refused:
            m = None
        return info_of(folder, m, tr("backup.partial", folder=folder))
    return info_of(folder, read_manifest(folder))


def backup_folder(p: Path) -> Path:
    """The backup folder ``p`` names (the folder itself or its manifest); Refused for a bare database,
    a foreign file or a path that does not exist."""
    p = Path(p).expanduser()
    if p.is_file() and p.name == MANIFEST:
        return p.parent
    if p.is_file():
        if head(p).startswith(SQLITE_MAGIC):
            raise refuse("not_a_backup", tr("backup.bare_database", file=p, manifest=MANIFEST))
        raise refuse("not_a_backup", tr("backup.foreign_file", file=p))
    if not p.exists():
        raise refuse("not_found", tr("backup.not_found", path=p))
    return p


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
            out.append(info_of(p, None, e.findings[0].message))
    out.sort(key=lambda b: (b.created_at, b.name), reverse=True)
    return out


def backup_key(path, passphrase: str | None) -> bytes | None:
    """The key of an encrypted backup (None for a plain one); Refused without or with a wrong passphrase."""
    m = read_manifest(backup_folder(Path(path)))
    if not m.get("encrypted"):
        return None
    return crypto.key_from_meta(m.get("encryption") or {}, passphrase or "")


class PlainCopy:
    """The backup's database as a plain SQLite file: the file itself, or (encrypted) a decrypted
    temporary copy in ``tmpdir`` (a local folder, never the backup medium), removed afterwards."""

    def __init__(self, folder: Path, m: dict, key: bytes | None, tmpdir: Path | None = None):
        self.folder, self.m, self.key, self.tmpdir = folder, m, key, tmpdir
        self._tmp: Path | None = None

    def __enter__(self) -> Path:
        db = self.m.get("database") or {}
        src = self.folder / db.get("path", DB_FILE)
        if not self.m.get("encrypted"):
            return src
        import tempfile

        fd, name = tempfile.mkstemp(prefix=".xueji-restore-", suffix=".sqlite",
                                    dir=str(self.tmpdir) if self.tmpdir else None)
        os.close(fd)
        self._tmp = Path(name)
        with discard_on_error(self._tmp):
            crypto.decrypt_file(src, self.key, DB_FILE, self._tmp)
        return self._tmp

    def __exit__(self, *exc):
        if self._tmp is not None:
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(str(self._tmp) + suffix).unlink(missing_ok=True)
        return False
