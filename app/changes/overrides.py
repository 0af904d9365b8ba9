"""A 校领导 countersigns the registrar's BLOCK* overrides in their own account (docs/security.md, "Accounts
and roles": the approver role approves overrides; 国家 第二十五条 / the provinces' 审批 articles the
overridden rules cite).

A BLOCK* override is saved with the approver's name as the registrar typed it (rule_findings.approved_by).
Once the archive has accounts, that name is only a claim until a person with the ``approve`` permission
decides on it in their own session: approved or rejected, with a note, once, never by the registrar who made
the override. A rejected override stays in the record (nothing is undone behind the registrar's back): it is
listed as 需纠正 until the registrar corrects the record through the ordinary services.
"""
from __future__ import annotations

from app.changes import overrides_store as ostore
from app.core.errors import BLOCK_STAR, Finding, NotFound, Refused
from app.core.i18n import Names, tr

DECISIONS = ("approved", "rejected")
STATE_NAMES = Names({"pending": "override.state.pending", "approved": "override.state.approved",
                     "rejected": "override.state.rejected"})


def _row(d: dict) -> dict:
    d["state"] = d["decision"] or "pending"
    d["state_name"] = STATE_NAMES[d["state"]]
    return d


def list_overrides(session, *, state: str | None = None, student_id: int | None = None) -> list[dict]:
    """Every BLOCK* override, newest first, with its countersignature state (pending / approved / rejected)."""
    session.require("read_all")
    rows = ostore.findings_with_decisions(session.conn, BLOCK_STAR,
                                          int(student_id) if student_id is not None else None)
    out = [_row(r) for r in rows]
    return [o for o in out if state is None or o["state"] == state]


def get(session, finding_id: int) -> dict:
    r = ostore.finding_with_decision(session.conn, BLOCK_STAR, int(finding_id))
    if r is None:
        raise NotFound(tr("override.not_found", id=finding_id))
    return _row(r)


def decide(session, finding_id: int, decision: str, note: str = "") -> dict:
    """The signed-in approver's decision on one override (once; a rejection needs a note saying why)."""
    if decision not in DECISIONS:
        raise Refused([Finding("bad_decision", tr("override.bad_decision", decisions="|".join(DECISIONS)),
                               field=tr("override.field.decision"))])
    note = (note or "").strip()
    with session.transaction("approve") as conn:
        o = get(session, finding_id)
        if o["decision"]:
            raise Refused([Finding("already_decided", tr("override.already_decided", id=finding_id,
                                                          state=o["state_name"], by=o["countersigned_by"],
                                                          at=o["countersigned_at"].replace("T", " ")))])
        if session.account is not None and o["decided_by"].casefold() == session.user.casefold():
            raise Refused([Finding("own_override", tr("override.own_override"), field=tr("override.field.decision"))])
        if decision == "rejected" and not note:
            raise Refused([Finding("note_required", tr("override.note_required"), field=tr("override.field.note"))])
        acc = session.account or {}
        ostore.insert_decision(conn, int(finding_id), decision, session.user, acc.get("display_name", ""), note)
    return get(session, finding_id)
