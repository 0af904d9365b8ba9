"""SQL for the countersignatures of BLOCK* overrides: rule findings with the approver's decision on them
(override_decisions, migration 0013). Plain dicts in and out; writes assume the caller holds a transaction."""
from __future__ import annotations

from db.rows import all_rows, insert, now, one

_SELECT = ("SELECT f.id, f.student_id, s.name AS student_name, s.xueji_no, f.rule_id, f.article, f.message, "
           "f.decided_at, f.decided_by, f.override_reason, f.approved_by, f.evidence_ref, "
           "d.decision, d.decided_by AS countersigned_by, d.decided_by_name AS countersigned_name, "
           "d.decided_at AS countersigned_at, d.note "
           "FROM rule_findings f LEFT JOIN students s ON s.id = f.student_id "
           "LEFT JOIN override_decisions d ON d.finding_id = f.id WHERE f.outcome = ?")


def findings_with_decisions(conn, outcome: str, student_id: int | None = None) -> list[dict]:
    """Findings with ``outcome`` (of one student, or all), newest first, each with its decision (or None)."""
    sql, args = _SELECT, [outcome]
    if student_id is not None:
        sql += " AND f.student_id = ?"
        args.append(student_id)
    return all_rows(conn, sql + " ORDER BY f.id DESC", args)


def finding_with_decision(conn, outcome: str, finding_id: int) -> dict | None:
    return one(conn.execute(_SELECT + " AND f.id = ?", (outcome, finding_id)).fetchone())


def insert_decision(conn, finding_id: int, decision: str, user: str, user_name: str, note: str) -> None:
    insert(conn, "override_decisions", {"finding_id": finding_id, "decision": decision, "decided_by": user,
                                        "decided_by_name": user_name, "decided_at": now(), "note": note})
