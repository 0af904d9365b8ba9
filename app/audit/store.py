"""SQL for the audit log (migration 0009).

Each entry's ``hash`` is SHA-256 over the previous entry's hash and a canonical serialisation of the entry's
own fields: db/audit_hash.py, whose function SQLite's triggers call (registered on every connection by
db/archive.connect) and ``verify`` calls when it walks the chain; its names are re-exported here.
"""
from __future__ import annotations

import json
import sqlite3

from db.audit_hash import GENESIS_PREV, HASH_FUNCTION, entry_hash, register  # noqa: F401 (the chain's hash)


_INSERT = f"""
INSERT INTO audit_log(id, at, actor, action, entity, entity_id, student_id, detail, prev_hash, hash)
SELECT v.id, v.at, v.actor, v.action, v.entity, v.entity_id, v.student_id, v.detail, v.prev,
       {HASH_FUNCTION}(v.prev, v.id, v.at, v.actor, v.action, v.entity, v.entity_id, v.student_id, v.detail)
FROM (SELECT (SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log) AS id,
             COALESCE((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), X'') AS prev,
             :at AS at, :actor AS actor, :action AS action, :entity AS entity, :entity_id AS entity_id,
             :student_id AS student_id, :detail AS detail) v
"""


def insert_entry(conn: sqlite3.Connection, *, at: str, actor: str, action: str, entity: str = "",
                 entity_id: int | None = None, student_id: int | None = None, detail: dict | None = None) -> int:
    """Append one entry (the caller's transaction); returns its id."""
    conn.execute(_INSERT, {"at": at, "actor": actor, "action": action, "entity": entity, "entity_id": entity_id,
                           "student_id": student_id,
                           "detail": json.dumps(detail or {}, ensure_ascii=False, separators=(",", ":"))})
    return conn.execute("SELECT MAX(id) FROM audit_log").fetchone()[0]


def iter_chain(conn: sqlite3.Connection, batch: int = 20000):
    """Every entry in id order, streamed as plain tuples (id, at, actor, action, entity, entity_id,
    student_id, detail, prev_hash, hash)."""
    cur = conn.cursor()
    cur.row_factory = None
    cur.execute("SELECT id, at, actor, action, entity, entity_id, student_id, detail, prev_hash, hash "
                "FROM audit_log ORDER BY id")
    while True:
        rows = cur.fetchmany(batch)
        if not rows:
            return
        yield from rows


def count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]


def list_entries(conn: sqlite3.Connection, *, student_id: int | None = None, action: str | None = None,
                 since: str | None = None, until: str | None = None, limit: int | None = None) -> list[dict]:
    """Entries newest first; ``action`` matches the whole action or its prefix before a dot
    (``status`` finds ``status.transfer-out``)."""
    where, params = [], []
    if student_id is not None:
        where.append("student_id = ?")
        params.append(int(student_id))
    if action:
        where.append("(action = ? OR action LIKE ? ESCAPE '\\')")
        params += [action, action.replace("%", "\\%").replace("_", "\\_") + ".%"]
    if since:
        where.append("at >= ?")
        params.append(since)
    if until:
        where.append("at < ?")
        params.append(until)
    sql = ("SELECT id, at, actor, action, entity, entity_id, student_id, detail, prev_hash, hash FROM audit_log"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC")
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [_hex(dict(r)) for r in conn.execute(sql, params)]


def _hex(e: dict) -> dict:
    for k in ("prev_hash", "hash"):
        if isinstance(e.get(k), (bytes, memoryview)):
            e[k] = bytes(e[k]).hex()
    return e


def access_rows(conn: sqlite3.Connection, *, since: str | None = None, until: str | None = None) -> list[dict]:
    """The access register: every view of a full record, print and export, oldest first, with the student's
    name and 学籍号 where the entry names one student."""
    where, params = ["a.action IN ('view', 'print', 'export')"], []
    if since:
        where.append("a.at >= ?")
        params.append(since)
    if until:
        where.append("a.at < ?")
        params.append(until)
    sql = ("SELECT a.id, a.at, a.actor, a.action, a.student_id, a.detail, s.name AS student_name, "
           "s.xueji_no AS xueji_no FROM audit_log a LEFT JOIN students s ON s.id = a.student_id WHERE "
           + " AND ".join(where) + " ORDER BY a.id")
    return [dict(r) for r in conn.execute(sql, params)]


# which table's trigger writes an action (an action family ends with "."); folder.return is an UPDATE
_TABLE_OF = {"change.": "change_history", "status.": "status_events", "cert.": "cert_events",
             "override": "rule_findings", "finding": "rule_findings", "folder.lend": "folder_loans",
             "backup.": "backup_log", "export-approval.add": "export_approvals",
             "export-approval.revoke": "export_approval_revocations",
             "override.approved": "override_decisions", "override.rejected": "override_decisions"}
AUDITED_TABLES = ("change_history", "status_events", "cert_events", "rule_findings", "folder_loans", "backup_log",
                  "export_approvals", "export_approval_revocations", "override_decisions")


def unlogged_rows(conn: sqlite3.Connection) -> list[tuple[str, int, int]]:
    """History rows written since the genesis entry that have no audit entry: ``[(table, missing, first id)]``.
    These tables are append-only (ids 1..n), so the rows since genesis are those above its count."""
    g = conn.execute("SELECT detail FROM audit_log WHERE action = 'genesis' ORDER BY id LIMIT 1").fetchone()
    try:
        base = json.loads(g[0]) if g else {}
    except ValueError:
        base = {}
    logged: dict[str, int] = {}
    for action, n in conn.execute("SELECT action, count(*) FROM audit_log GROUP BY action"):  # the action index
        t = _TABLE_OF.get(action) or _TABLE_OF.get(action.partition(".")[0] + ".")
        if t:
            logged[t] = logged.get(t, 0) + n
    out = []
    for t in AUDITED_TABLES:
        since = int(base.get(t, 0) or 0)
        n = conn.execute(f"SELECT count(*) FROM {t} WHERE id > ?", (since,)).fetchone()[0]
        if n > logged.get(t, 0):
            first = conn.execute(
                f"SELECT min(id) FROM {t} WHERE id > ? AND id NOT IN (SELECT json_extract(detail, '$.row') "
                "FROM audit_log WHERE json_extract(detail, '$.table') = ?)", (since, t)).fetchone()[0]
            out.append((t, n - logged.get(t, 0), first))
    return out


# ------------------------------------------------------------------ paging (the audit window)
# Action families by their first word: ``family.`` matches every ``family.kind`` (as an index range, so the
# (action, id) index serves it), a plain word matches that action exactly.
def action_condition(actions=(), prefixes=(), exclude=(), col: str = "a.action") -> tuple[str, list]:
    """SQL for "action is one of ``actions`` or starts with one of ``prefixes`` (``status.``), but not one
    of ``exclude``"; ranges instead of LIKE so the action index can serve it."""
    parts, params = [], []
    if actions:
        parts.append(f"{col} IN ({', '.join('?' * len(actions))})")
        params += list(actions)
    for p in prefixes:
        parts.append(f"({col} >= ? AND {col} < ?)")
        params += [p, p[:-1] + chr(ord(p[-1]) + 1)]
    sql = "(" + " OR ".join(parts or ["0"]) + ")"
    if exclude:
        sql = f"({sql} AND {col} NOT IN ({', '.join('?' * len(exclude))}))"
        params += list(exclude)
    return sql, params


def max_id(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COALESCE(MAX(id), 0) FROM audit_log").fetchone()[0]


def page(conn: sqlite3.Connection, *, before: int, floor: int, limit: int, where: list[str], params: list,
         index: str | None = None) -> list[dict]:
    """At most ``limit`` entries with ``floor <= id < before`` matching every condition of ``where``, newest
    first, with the student's name and 学籍号 (keyset paging on id: no OFFSET, the cost is the id window).
    ``index``: ``audit_log_action`` when the conditions name actions (seeks per action instead of reading
    every entry of the window: a rare action is found without scanning the log)."""
    cond = ["a.id < ?", "a.id >= ?"] + list(where)  # conditions name the log's columns as a.COLUMN
    hint = f" INDEXED BY {index}" if index in ("audit_log_action",) else ""
    sql = ("SELECT a.id, a.at, a.actor, a.action, a.entity, a.entity_id, a.student_id, a.detail, "
           "s.name AS student_name, s.xueji_no AS xueji_no FROM audit_log a" + hint + " "
           "LEFT JOIN students s ON s.id = a.student_id WHERE " + " AND ".join(cond)
           + f" ORDER BY a.id DESC LIMIT {int(limit)}")
    return [dict(r) for r in conn.execute(sql, [int(before), int(floor)] + list(params))]


def actors(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """Every actor in the log with its number of entries, most entries first."""
    return [(r[0], r[1]) for r in conn.execute(
        "SELECT actor, count(*) AS n FROM audit_log GROUP BY actor ORDER BY n DESC, actor")]


def distinct_actions(conn: sqlite3.Connection) -> list[str]:
    """Every distinct action, by skipping through the (action, id) index (fast on millions of entries)."""
    return [r[0] for r in conn.execute(
        "WITH RECURSIVE a(x) AS (SELECT MIN(action) FROM audit_log UNION ALL "
        "SELECT (SELECT MIN(action) FROM audit_log WHERE action > a.x) FROM a WHERE a.x IS NOT NULL) "
        "SELECT x FROM a WHERE x IS NOT NULL")]


def students_matching(conn: sqlite3.Connection, like: str, limit: int = 500) -> list[int]:
    """Ids of the students whose name or 学籍号 matches the LIKE pattern (escape character ``\\``)."""
    return [r[0] for r in conn.execute(
        "SELECT id FROM students WHERE name LIKE ? ESCAPE '\\' OR xueji_no LIKE ? ESCAPE '\\' LIMIT ?",
        (like, like, int(limit)))]
