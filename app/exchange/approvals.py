"""Written approvals for giving student data outside the school, and the purpose of every export
(国家 第二十五条: "非经学籍主管部门书面批准，学籍信息一律不得向外提供").

An approval (db/migrations/0011) records the written approval's reference (审批单号 / 文号), the receiving
party, the use, whether full ID numbers may go out, who approved and when, and until when it is valid
(default: its date + resources/security/exports.toml ``valid_days``). It is never edited: it is revoked, with a
reason, as a row of its own. Both rows write their audit entry from a trigger in the same transaction.

Every export of student data names its purpose (resources/security/exports.toml):

- ``national``  上报 / 核对国家学籍系统: full ID numbers; needs ``export_national``;
- ``internal``  校内使用: ID numbers masked; needs ``export``;
- ``external``  提供给校外: needs ``export_external`` and a valid approval; ID numbers masked unless the
  approval has ``allow_full_id`` (and the role may see full ID numbers).

:func:`grant` turns (purpose, approval) into an :class:`ExportGrant` or refuses; the export services call it
before anything is written and put its ``audit()`` keywords into their audit entry.
"""
from __future__ import annotations

import datetime as _dt
import tomllib
from dataclasses import dataclass
from functools import lru_cache

from app.core.errors import INVALID, Finding, Refused
from app.core.i18n import Names, tr
from app.core.paths import resources_dir
from app.exchange import approvals_store as astore

PURPOSES = ("national", "internal", "external")
PURPOSE_NAMES = Names({"national": "export.purpose.national", "internal": "export.purpose.internal",
                       "external": "export.purpose.external"})
STATE_NAMES = Names({"valid": "export_approval.state.valid", "expired": "export_approval.state.expired",
                     "revoked": "export_approval.state.revoked", "pending": "export_approval.state.pending"})

@lru_cache(maxsize=1)
def config() -> dict:
    with open(resources_dir() / "security" / "exports.toml", "rb") as fh:
        return tomllib.load(fh)


def article(session=None) -> str:
    """The article that forbids giving student data out without written approval, in the school's profile
    (国家 第二十五条, 周口 第二十八条, 辽宁 第二十八条, 长治 第四十四条; 临夏 follows the national text)."""
    c = config()
    school = getattr(session, "school", None) if session is not None else None
    profile = (school or {}).get("profile") or "national"
    return c.get("articles", {}).get(profile, c["article"])


def _finding(code: str, message: str, field: str = "", session=None) -> Finding:
    c = config()
    return Finding(code, message, field=field, rule=c["rule"], article=article(session), outcome=INVALID)


def _refuse(code: str, message: str, field: str = "", session=None) -> Refused:
    return Refused([_finding(code, message, field, session)])


def _date(value, field: str, default: _dt.date | None = None) -> _dt.date:
    if value in (None, ""):
        if default is None:
            raise _refuse("approval_field_required", tr("export_approval.required", field=field), field)
        return default
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise _refuse("approval_bad_date", tr("export_approval.bad_date", field=field, value=value), field) from None


def _today() -> _dt.date:
    return _dt.date.today()


# ------------------------------------------------------------------ reading
def _state(a: dict, today: _dt.date | None = None) -> str:
    day = (today or _today()).isoformat()
    if a.get("revoked_at"):
        return "revoked"
    if a["approved_on"] > day:
        return "pending"
    if a["valid_until"] < day:
        return "expired"
    return "valid"


def _public(row, today=None) -> dict:
    a = dict(row)
    a["allow_full_id"] = bool(a["allow_full_id"])
    a.setdefault("revoked_at", None)
    a["state"] = _state(a, today)
    a["state_name"] = STATE_NAMES[a["state"]]
    return a


def get(session, approval_id: int) -> dict | None:
    rows = astore.approvals_with_id(session.conn, int(approval_id))
    return _public(rows[0]) if rows else None


def list_approvals(session, *, include_all: bool = False, today: _dt.date | None = None) -> list[dict]:
    """Approvals newest first; without ``include_all`` only those valid today (or dated later)."""
    if not (session.can("approve") or session.can("export_external")):
        session.require("approve")
    out = [_public(r, today) for r in astore.approvals(session.conn)]
    return out if include_all else [a for a in out if a["state"] in ("valid", "pending")]


def find(session, ref) -> list[dict]:
    """Approvals with reference ``ref`` (newest first), else the one with id ``ref`` when it is a number
    (an ``int`` is always an id)."""
    if isinstance(ref, int):
        return [_public(r) for r in astore.approvals_with_id(session.conn, ref)]
    ref = str(ref).strip()
    rows = astore.approvals_with_reference(session.conn, ref) if ref else []
    if not rows and ref.isdigit():
        rows = astore.approvals_with_id(session.conn, int(ref))
    return [_public(r) for r in rows]


def check(session, ref, *, today: _dt.date | None = None) -> dict:
    """The approval ``ref`` (a reference or an id) if it is valid ``today``; else Refused naming why:
    ``approval_unknown``, ``approval_revoked``, ``approval_expired``, ``approval_not_yet`` (rule article
    国家 第二十五条)."""
    if ref in (None, ""):
        raise _refuse("approval_required", tr("export_approval.required_for_external"), tr("export_approval.field.reference"),
                      session=session)
    found = [dict(a, state=_state(a, today)) for a in find(session, ref)]
    if not found:
        raise _refuse("approval_unknown", tr("export_approval.unknown", ref=ref), tr("export_approval.field.reference"),
                      session=session)
    for a in found:
        if a["state"] == "valid":
            a["state_name"] = STATE_NAMES["valid"]
            return a
    a = found[0]
    if a["state"] == "revoked":
        raise _refuse("approval_revoked", tr("export_approval.revoked", ref=a["reference"], at=a["revoked_at"][:10],
                                             reason=a["revoke_reason"]), tr("export_approval.field.reference"),
                                                 session=session)
    if a["state"] == "pending":
        raise _refuse("approval_not_yet", tr("export_approval.not_yet", ref=a["reference"], on=a["approved_on"]),
                      tr("export_approval.field.approved_on"), session=session)
    raise _refuse("approval_expired", tr("export_approval.expired", ref=a["reference"], until=a["valid_until"]),
                  tr("export_approval.field.valid_until"), session=session)


# ------------------------------------------------------------------ recording
def add(session, *, reference: str, recipient: str, purpose: str, allow_full_id: bool = False,
        approved_by: str | None = None, approved_on=None, valid_until=None) -> dict:
    """Record a written approval (needs ``approve``). Recorded by an approver account, ``approved_by`` is that
    account (its display name, else its user name); a registrar names the approver."""
    session.require("approve")
    fields = {"reference": (reference, tr("export_approval.field.reference")),
              "recipient": (recipient, tr("export_approval.field.recipient")),
              "purpose": (purpose, tr("export_approval.field.purpose"))}
    clean = {}
    for key, (value, label) in fields.items():
        value = (value or "").strip()
        if not value:
            raise _refuse("approval_field_required", tr("export_approval.required", field=label), label,
                          session=session)
        clean[key] = value
    # approved_by: who signed the written approval (the article asks for the 学籍主管部门's); an approver
    # account that leaves it empty is taken to be signing for the school itself
    acc = session.account
    if not (approved_by or "").strip() and acc is not None and session.role == "approver":
        approved_by = acc.get("display_name") or acc.get("username") or session.user
    approved_by = (approved_by or "").strip()
    if not approved_by:
        label = tr("export_approval.field.approved_by")
        raise _refuse("approval_field_required", tr("export_approval.required", field=label), label, session=session)
    on = _date(approved_on, tr("export_approval.field.approved_on"), _today())
    if on > _today():
        raise _refuse("approval_bad_date", tr("export_approval.future", value=on.isoformat()),
                      tr("export_approval.field.approved_on"), session=session)
    until = _date(valid_until, tr("export_approval.field.valid_until"),
                  on + _dt.timedelta(days=int(config()["valid_days"])))
    if until < on:
        raise _refuse("approval_bad_range", tr("export_approval.bad_range", on=on.isoformat(), until=until.isoformat()),
                      tr("export_approval.field.valid_until"), session=session)
    for a in find(session, clean["reference"]):
        if a["reference"] == clean["reference"] and a["state"] in ("valid", "pending"):
            raise _refuse("approval_duplicate", tr("export_approval.duplicate", ref=clean["reference"], id=a["id"]),
                          tr("export_approval.field.reference"), session=session)
    with session.transaction(permission="approve") as conn:
        new_id = astore.insert_approval(conn, {
            "reference": clean["reference"], "recipient": clean["recipient"], "purpose": clean["purpose"],
            "allow_full_id": 1 if allow_full_id else 0, "approved_by": approved_by, "approved_on": on.isoformat(),
            "valid_until": until.isoformat(), "recorded_by": session.user})
    return get(session, new_id)


def revoke(session, approval_id: int, reason: str) -> dict:
    """Revoke an approval (needs ``approve``): it stops being valid now; the approval row stays as it was."""
    session.require("approve")
    reason = (reason or "").strip()
    if not reason:
        label = tr("export_approval.field.reason")
        raise _refuse("approval_field_required", tr("export_approval.required", field=label), label, session=session)
    a = get(session, int(approval_id))
    if a is None:
        raise _refuse("approval_unknown", tr("export_approval.unknown", ref=approval_id),
                      tr("export_approval.field.reference"), session=session)
    if a["revoked_at"]:
        raise _refuse("approval_revoked", tr("export_approval.revoked", ref=a["reference"], at=a["revoked_at"][:10],
                                             reason=a["revoke_reason"]), tr("export_approval.field.reference"),
                                                 session=session)
    with session.transaction(permission="approve") as conn:
        astore.insert_revocation(conn, a["id"], reason, session.user)
    return get(session, a["id"])


# ------------------------------------------------------------------ the purpose of an export
@dataclass(frozen=True)
class ExportGrant:
    purpose: str
    masked: bool
    approval: dict | None = None

    def audit(self) -> dict:
        """Keywords for app.audit.log.record_export."""
        a = self.approval
        return {"purpose": self.purpose, "masked": self.masked,
                "approval_id": a["id"] if a else None, "approval_reference": a["reference"] if a else None}


def available_purposes(session) -> list[str]:
    """The purposes the signed-in role may export for, in PURPOSES order."""
    conf = config()["purposes"]
    return [p for p in PURPOSES if session.can(conf[p]["permission"])]


def grant(session, purpose: str | None = "national", approval=None, *, today: _dt.date | None = None) -> ExportGrant:
    """May this session export for ``purpose`` (with ``approval``: a reference, an id or an approval dict)?
    Refused (``forbidden`` for the role, ``bad_purpose``, ``approval_*``) before anything is written."""
    purpose = (purpose or "national").strip()
    conf = config()["purposes"].get(purpose)
    if conf is None:
        raise Refused([Finding("bad_purpose", tr("export.bad_purpose", purpose=purpose,
                                                 purposes=tr("common.list_sep").join(PURPOSES)),
                               field=tr("export.field.purpose"), outcome=INVALID)])
    session.require(conf["permission"])
    if not conf.get("approval"):
        if approval not in (None, ""):
            raise _refuse("approval_not_for_purpose", tr("export.approval_not_for_purpose",
                                                         purpose=PURPOSE_NAMES[purpose]),
                          tr("export_approval.field.reference"), session=session)
        return ExportGrant(purpose, bool(conf.get("masked")))
    if isinstance(approval, dict):
        approval = int(approval["id"])
    a = check(session, approval, today=today)
    masked = not (a["allow_full_id"] and session.can("view_full_id"))
    return ExportGrant(purpose, masked, a)
