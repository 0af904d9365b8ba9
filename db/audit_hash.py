"""The audit log's hash function (migration 0009): SHA-256 over the previous entry's hash and a canonical
serialisation of the entry's own fields. The SQLite triggers that write the log call it as
``xueji_audit_hash(...)``, so db/archive.connect registers it on every connection; app/audit/store.py and
``verify`` use the same Python function. Kept in db/ because the archive cannot be written without it.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3

HASH_FUNCTION = "xueji_audit_hash"
GENESIS_PREV = b""


def canonical(id_, at, actor, action, entity, entity_id, student_id, detail) -> bytes:
    """One entry's fields as bytes: a JSON array, UTF-8, no spaces — the same on every platform."""
    return json.dumps([id_, at, actor, action, entity, entity_id, student_id, detail],
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def entry_hash(prev_hash, id_, at, actor, action, entity, entity_id, student_id, detail) -> bytes:
    """SHA-256 (32 bytes, stored as a BLOB) over the previous entry's hash (bytes), a newline and ``canonical``."""
    h = hashlib.sha256(bytes(prev_hash or b""))
    h.update(b"\n")
    h.update(canonical(id_, at, actor, action, entity, entity_id, student_id, detail))
    return h.digest()


def register(conn: sqlite3.Connection) -> None:
    """Make ``xueji_audit_hash(prev, id, at, actor, action, entity, entity_id, student_id, detail)`` known."""
    conn.create_function(HASH_FUNCTION, 9, entry_hash, deterministic=True)
