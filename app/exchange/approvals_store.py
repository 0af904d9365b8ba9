"""SQL for export approvals and their revocations (migration 0011). Plain dicts in and out; writes assume the
caller holds a transaction (``session.transaction()``)."""
from __future__ import annotations

from db.rows import all_rows, insert, now

_COLUMNS = ("id, reference, recipient, purpose, allow_full_id, approved_by, approved_on, valid_until, "
            "recorded_at, recorded_by")
_SELECT = (f"SELECT a.{_COLUMNS.replace(', ', ', a.')}, r.reason AS revoke_reason, r.revoked_at, r.revoked_by "
           "FROM export_approvals a LEFT JOIN export_approval_revocations r ON r.approval_id = a.id ")


def approvals(conn) -> list[dict]:
    """Every approval with its revocation (if any), newest first."""
    return all_rows(conn, _SELECT + "ORDER BY a.id DESC")


def approvals_with_id(conn, approval_id: int) -> list[dict]:
    return all_rows(conn, _SELECT + "WHERE a.id = ? ORDER BY a.id DESC", (approval_id,))


def approvals_with_reference(conn, reference: str) -> list[dict]:
    return all_rows(conn, _SELECT + "WHERE a.reference = ? ORDER BY a.id DESC", (reference,))


def insert_approval(conn, values: dict) -> int:
    """``values``: reference, recipient, purpose, allow_full_id, approved_by, approved_on, valid_until,
    recorded_by; recorded_at is now."""
    return insert(conn, "export_approvals", dict(values, recorded_at=now()))


def insert_revocation(conn, approval_id: int, reason: str, user: str) -> None:
    insert(conn, "export_approval_revocations",
           {"approval_id": approval_id, "reason": reason, "revoked_at": now(), "revoked_by": user})
