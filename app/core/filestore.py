"""The archive's content-addressed file store: ``files/ab/<sha256>.<ext>`` (architecture.md "Storage").

A file's name is its SHA-256, so writing is idempotent and a write that no transaction ended up using
is harmless. Writes are atomic: a temporary file in the same folder, fsync, then os.replace."""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from app.core.fsutil import discard_on_error

_EXT = re.compile(r"^[a-z0-9]{1,8}$")
_SHA = re.compile(r"^[0-9a-f]{64}$")


def _ext(ext: str) -> str:
    e = (ext or "bin").lower().lstrip(".")
    return e if _EXT.match(e) else "bin"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def path(archive_folder, digest: str, ext: str | None = None) -> Path:
    """Where ``digest`` lives; without ``ext``, the stored file whatever its extension (or the .bin path)."""
    if not _SHA.match(digest or ""):
        raise ValueError(f"not a SHA-256 hex digest: {digest!r}")
    folder = Path(archive_folder) / "files" / digest[:2]
    if ext is not None:
        return folder / f"{digest}.{_ext(ext)}"
    found = sorted(folder.glob(f"{digest}.*")) if folder.is_dir() else []
    return found[0] if found else folder / f"{digest}.bin"


def put(archive_folder, data: bytes, ext: str) -> str:
    digest = sha256(data)
    dest = path(archive_folder, digest, ext)
    if dest.exists() and dest.stat().st_size == len(data):
        return digest
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=dest.parent)
    with discard_on_error(tmp):
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    return digest


def get(archive_folder, digest: str, ext: str | None = None) -> bytes:
    """The stored bytes; raises FileNotFoundError if missing, ValueError if the content does not match."""
    data = path(archive_folder, digest, ext).read_bytes()
    if sha256(data) != digest:
        raise ValueError(f"files/ store: content of {digest} does not match its name")
    return data


def exists(archive_folder, digest: str, ext: str | None = None) -> bool:
    return path(archive_folder, digest, ext).exists()
