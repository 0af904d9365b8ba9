"""Checking a backup against its manifest: the database copy's size, SHA-256, SQLite header,
integrity_check, counts and schema version; every store file's presence, size and (in full) SHA-256.
An encrypted backup is checked through its key: every part decrypted (AES-GCM authenticates it) and hashed."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from app.backup import crypto
from app.backup import store as bl
from app.backup.layout import (DB_FILE, PARTIAL, SQLITE_MAGIC, enc_name, field_label, head, in_background, ro_uri,
                               sha256_file, store_root)
from app.backup.manifest import BackupInfo, PlainCopy, backup_folder, info_of, read_manifest
from app.core.errors import Finding, Refused
from app.core.i18n import tr


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
    folder = backup_folder(Path(path))
    m = read_manifest(folder)
    problems: list[Finding] = []
    if m.get("encrypted"):
        if key is None and passphrase is not None:
            key = crypto.key_from_meta(m.get("encryption") or {}, passphrase)
        return _verify_encrypted(folder, m, full, progress, only_new, db_checked, key)

    def bad(code, msg, fld=None):
        problems.append(Finding(code, msg, field=fld or field_label()))

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
        elif not head(dbp).startswith(SQLITE_MAGIC):
            bad("foreign_file", tr("backup.not_sqlite", file=dbp))
        elif db_checked is not None:
            if db_checked != db.get("sha256"):
                bad("hash_mismatch", tr("backup.hash_mismatch", file=dbp))
        else:
            hashing = in_background(sha256_file, dbp)  # both read the file: use the second core
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
        elif (full or (only_new is not None and rel in only_new)) and sha256_file(fp) != f.get("sha256"):
            bad("hash_mismatch", tr("backup.hash_mismatch", file=fp))
        if progress and i % 50 == 0:
            progress(i, total)
    if progress:
        progress(total, total)
    return info_of(folder, m, problems[0].message if problems else ""), problems


def _verify_encrypted(folder: Path, m: dict, full: bool, progress, only_new, db_checked, key):
    problems: list[Finding] = []

    def bad(code, msg):
        problems.append(Finding(code, msg, field=field_label()))

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
            with PlainCopy(folder, m, key) as plain:
                if sha256_file(plain) != db.get("sha256"):
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
        fp = root / enc_name(rel)
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
    return info_of(folder, m, problems[0].message if problems else ""), problems


def _check_copy(dbp: Path, m: dict) -> list[Finding]:
    """integrity_check, counts and schema version of a plain database copy against the manifest."""
    out = []
    try:
        c = sqlite3.connect(ro_uri(dbp), uri=True)
        try:
            result = bl.integrity_check(c)
            counts = bl.manifest_counts(c)
            version = bl.schema_version(c)
        finally:
            c.close()
    except sqlite3.Error as e:
        return [Finding("damaged", tr("backup.copy_unreadable", file=dbp, error=e), field=field_label())]
    if result != "ok":
        out.append(Finding("integrity", tr("backup.copy_integrity", file=dbp, result=result), field=field_label()))
    want = m.get("counts") or {}
    diff = {k: (counts.get(k), v) for k, v in want.items() if counts.get(k) != v}
    if diff:
        out.append(Finding("counts", tr("backup.counts_mismatch", file=dbp, diff=diff), field=field_label()))
    if version != int(m.get("schema_version", -1)):
        out.append(Finding("schema", tr("backup.schema_mismatch", file=dbp, version=version,
                                        expected=m.get("schema_version")), field=field_label()))
    return out
