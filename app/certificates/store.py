"""SQL for certificates, serial counters and the issuance register (migration 0003).

Every function takes the connection; callers hold the transaction (``with session.transaction()``,
BEGIN IMMEDIATE), so a serial is taken and the certificate written under one write lock.
"""
from __future__ import annotations

import json

from db.rows import now

_CERT_COLS = ("number", "kind", "student_id", "year", "seq", "issue_date", "issued_at", "issued_by",
              "replaces_id", "original_number", "override_reason", "approved_by", "snapshot")

# A certificate with what its events say about it.
_CERT_SELECT = """
SELECT c.*,
  (SELECT e.at FROM cert_events e WHERE e.certificate_id = c.id AND e.action = 'void' LIMIT 1) AS voided_at,
  (SELECT e.reason FROM cert_events e WHERE e.certificate_id = c.id AND e.action = 'void' LIMIT 1) AS void_reason,
  (SELECT MAX(e.at) FROM cert_events e WHERE e.certificate_id = c.id AND e.action = 'verify') AS verified_at,
  (SELECT COUNT(*) FROM cert_events e WHERE e.certificate_id = c.id AND e.action = 'reprint') AS reprints,
  (SELECT COUNT(*) FROM cert_events e WHERE e.certificate_id = c.id AND e.action IN ('print', 'reprint')) AS prints,
  (SELECT json_extract(e.details, '$.needs_stamp') FROM cert_events e
     WHERE e.certificate_id = c.id AND e.action = 'issue' LIMIT 1) AS needs_stamp,
  s.name AS student_name, s.xueji_no AS student_xueji_no, s.id_number AS student_id_number
FROM certificates c JOIN students s ON s.id = c.student_id
"""


def take_serial(conn, kind: str, year: int) -> int:
    """The next serial of (kind, year); the counter moves on in the caller's transaction."""
    conn.execute("INSERT OR IGNORE INTO cert_counters(kind, year, next_seq) VALUES (?, ?, 1)", (kind, year))
    seq = conn.execute("SELECT next_seq FROM cert_counters WHERE kind = ? AND year = ?", (kind, year)).fetchone()[0]
    conn.execute("UPDATE cert_counters SET next_seq = next_seq + 1 WHERE kind = ? AND year = ?", (kind, year))
    return int(seq)


def number_exists(conn, number: str) -> bool:
    return conn.execute("SELECT 1 FROM certificates WHERE number = ?", (number,)).fetchone() is not None


def insert_certificate(conn, values: dict) -> int:
    v = dict(values)
    v.setdefault("issued_at", now())
    v["snapshot"] = json.dumps(v.get("snapshot") or {}, ensure_ascii=False)
    cur = conn.execute(f"INSERT INTO certificates ({', '.join(_CERT_COLS)}) VALUES ({', '.join('?' * len(_CERT_COLS))})",
                       [v.get(c, "" if c in ("original_number", "override_reason", "approved_by", "issued_by") else None)
                        for c in _CERT_COLS])
    return cur.lastrowid


def insert_event(conn, certificate_id: int, action: str, by: str, *, reason: str = "", approved_by: str = "",
                 details: dict | None = None) -> int:
    cur = conn.execute(
        "INSERT INTO cert_events(certificate_id, action, at, by, reason, approved_by, details) VALUES (?,?,?,?,?,?,?)",
        (certificate_id, action, now(), by, reason, approved_by, json.dumps(details or {}, ensure_ascii=False)))
    return cur.lastrowid


def insert_events(conn, rows: list[tuple[int, str, str, dict]]) -> None:
    """Many events at once: (certificate_id, action, by, details)."""
    ts = now()
    conn.executemany("INSERT INTO cert_events(certificate_id, action, at, by, details) VALUES (?,?,?,?,?)",
                     ((cid, action, ts, by, json.dumps(d or {}, ensure_ascii=False)) for cid, action, by, d in rows))


def _dress(row) -> dict:
    d = dict(row)
    d["snapshot"] = json.loads(d.get("snapshot") or "{}")
    return d


def get_by_number(conn, number: str) -> dict | None:
    r = conn.execute(_CERT_SELECT + " WHERE c.number = ?", (number,)).fetchone()
    return _dress(r) if r else None



def certificates(conn, *, student_id: int | None = None, kind: str | None = None,
                 issued_from: str | None = None, issued_to: str | None = None) -> list[dict]:
    where, args = [], []
    if student_id is not None:
        where.append("c.student_id = ?")
        args.append(student_id)
    if kind:
        where.append("c.kind = ?")
        args.append(kind)
    if issued_from:
        where.append("c.issue_date >= ?")
        args.append(issued_from)
    if issued_to:
        where.append("c.issue_date <= ?")
        args.append(issued_to)
    sql = _CERT_SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY c.id"
    return [_dress(r) for r in conn.execute(sql, args)]


def events(conn, *, certificate_id: int | None = None, since: str | None = None,
           until: str | None = None) -> list[dict]:
    """The register: every event with its certificate and student, oldest first."""
    where, args = [], []
    if certificate_id is not None:
        where.append("e.certificate_id = ?")
        args.append(certificate_id)
    if since:
        where.append("e.at >= ?")
        args.append(since)
    if until:
        where.append("e.at < ?")
        args.append(until)
    sql = ("SELECT e.*, c.number, c.kind, c.student_id, c.issue_date, c.original_number, "
           "s.name AS student_name, s.xueji_no AS student_xueji_no, s.id_number AS student_id_number "
           "FROM cert_events e JOIN certificates c ON c.id = e.certificate_id JOIN students s ON s.id = c.student_id"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY e.id")
    out = []
    for r in conn.execute(sql, args):
        d = dict(r)
        d["details"] = json.loads(d.get("details") or "{}")
        out.append(d)
    return out


def ids_by_numbers(conn, numbers: list[str]) -> dict[str, int]:
    out = {}
    for i in range(0, len(numbers), 500):
        chunk = numbers[i:i + 500]
        out.update({r[1]: r[0] for r in conn.execute(
            f"SELECT id, number FROM certificates WHERE number IN ({','.join('?' * len(chunk))})", chunk)})
    return out


def counter(conn, kind: str, year: int) -> int | None:
    r = conn.execute("SELECT next_seq FROM cert_counters WHERE kind = ? AND year = ?", (kind, year)).fetchone()
    return r[0] if r else None
