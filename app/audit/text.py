"""The audit log in the registrar's words: action names (登录失败, 学籍异动（休学）…), what an entry is about
(证书 12) and its detail as one line (键：值；…) — for the audit window, ``xueji audit list``, the CSV export and the
access register. Reads only leaf name tables of the features (no feature service), so any module may use it."""
from __future__ import annotations

import json
from pathlib import Path

from app.core.i18n import Names, tr

REGISTER_KIND = "access-register"  # the print entry of the access register itself

ACTION_FAMILIES = Names({
    "genesis": "audit.action.genesis", "change": "audit.action.change", "status": "audit.action.status",
    "cert": "audit.action.cert", "override": "audit.action.override", "finding": "audit.action.finding",
    "folder": "audit.action.folder", "backup": "audit.action.backup", "view": "audit.action.view",
    "print": "audit.action.print", "export": "audit.action.export", "signin": "audit.action.signin",
    "signout": "audit.action.signout", "lock": "audit.action.lock", "unlock": "audit.action.unlock",
    "account": "audit.action.account", "export-approval": "audit.action.export_approval",
})
# whole actions with a word of their own (the kind after the family's dot otherwise shows as it is)
ACTION_NAMES = Names({
    "signin.failed": "audit.action.signin_failed", "account.locked": "audit.action.account_locked",
    "account.create": "audit.action.account_create", "account.edit": "audit.action.account_edit",
    "account.password": "audit.action.account_password", "account.reset": "audit.action.account_reset",
    "account.recover": "audit.action.account_recover", "account.recovery_code": "audit.action.account_recovery_code",
    "account.enable": "audit.action.account_enable", "account.disable": "audit.action.account_disable",
    "account.unlock": "audit.action.account_unlock", "account.policy": "audit.action.account_policy",
    "change.create": "audit.action.change_create", "change.edit": "audit.action.change_edit",
    "change.import": "audit.action.change_import", "change.status": "audit.action.change_status",
    "folder.lend": "audit.action.folder_lend", "folder.return": "audit.action.folder_return",
    "backup.backup": "audit.action.backup_backup", "backup.restore": "audit.action.backup_restore",
    "backup.check": "audit.action.backup_check",
    "export-approval.add": "audit.action.export_approval_add",
    "export-approval.revoke": "audit.action.export_approval_revoke",
})


def action_name(action: str) -> str:
    """The registrar's word for an action (``status.transfer-out`` → its family's word + the kind's name)."""
    if action in ACTION_NAMES:
        return ACTION_NAMES[action]
    fam, _, rest = action.partition(".")
    if fam not in ACTION_FAMILIES:
        return action
    name = ACTION_FAMILIES[fam]
    if rest and fam == "status":
        from app.changes.kinds import label

        rest = label(rest)
    elif rest and fam == "cert":
        from app.certificates.names import ACTION_NAMES as cert_actions

        rest = cert_actions[rest] if rest in cert_actions else rest
    return tr("audit.action_kind", name=name, kind=rest) if rest else name


DETAIL_KEYS = Names({
    "field": "audit.key.field", "reason": "audit.key.reason", "evidence": "audit.key.evidence",
    "batch": "audit.key.batch", "effective": "audit.key.effective", "number": "audit.key.number",
    "approved_by": "audit.key.approved_by", "rule": "audit.key.rule", "article": "audit.key.article",
    "outcome": "audit.key.outcome", "item": "audit.key.item", "borrower": "audit.key.borrower",
    "purpose": "audit.key.purpose", "due": "audit.key.due", "returned_on": "audit.key.returned_on",
    "note": "audit.key.note", "trigger": "audit.key.trigger", "path": "audit.key.path", "ok": "audit.key.ok",
    "kind": "audit.key.kind", "file": "audit.key.file", "count": "audit.key.count", "class_id": "audit.key.class_id",
    "statuses": "audit.key.statuses", "via": "audit.key.via", "role": "audit.key.role",
    "username": "audit.key.username", "idle_minutes": "audit.key.idle_minutes", "by": "audit.key.by",
    "pages": "audit.key.pages", "error": "audit.key.error", "display_name": "audit.key.display_name",
    "class_ids": "audit.key.class_ids", "first": "audit.key.first", "attempts": "audit.key.attempts",
    "minutes": "audit.key.minutes", "active": "audit.key.active", "approval": "audit.key.approval",
    "recipient": "audit.key.recipient", "attempt": "audit.key.attempt", "until": "audit.key.until", "reference": "audit.key.reference", "allow_full_id": "audit.key.allow_full_id",
    "approved_on": "audit.key.approved_on", "valid_until": "audit.key.valid_until", "masked": "audit.key.masked",
    "approval_reference": "audit.key.reference", "filters": "audit.key.filters",
})
WHERE_NAMES = Names({"gui": "audit.where.gui", "cli": "audit.where.cli"})
# coded values some entries carry (a failed sign-in's reason, a backup's trigger)
VALUE_NAMES = Names({
    "wrong_password": "audit.value.wrong_password", "unknown_user": "audit.value.unknown_user",
    "wrong_recovery_code": "audit.value.wrong_recovery_code", "recovery_unknown": "audit.value.recovery_unknown",
    "disabled": "audit.value.disabled", "locked": "audit.value.locked", "manual": "audit.value.manual",
    "close": "audit.value.close", "daily": "audit.value.daily", "weekly": "audit.value.weekly",
    "idle": "audit.value.idle", "national": "audit.value.national", "internal": "audit.value.internal",
    "external": "audit.value.external",
})
_SKIP_KEYS = {"table", "row", "students", "where", "approval_id"}


VIA_NAMES = Names({"cli": "audit.via.cli", "gui": "audit.via.gui", "unlock": "audit.via.unlock",
                   "recover": "audit.via.recover", "password_change": "audit.via.password_change",
                   "recovery_code": "audit.via.recovery_code"})


def value_text(key: str, v) -> str:
    """One detail value as the registrar reads it (a field's header, a kind's title, yes/no, a file's name …)."""
    if isinstance(v, bool) or key in ("ok", "first", "active", "allow_full_id", "masked"):
        return tr("audit.yes") if v else tr("audit.no")
    if key == "field":
        from app.students.fields import by_key

        f = by_key().get(str(v))
        return f.header if f else str(v)
    if key == "kind":
        from app.printing.kinds import KIND_TITLES

        if v == REGISTER_KIND:
            return tr("audit.register.title")
        return KIND_TITLES[v] if v in KIND_TITLES else str(v)
    if key == "role":
        from app.core.permissions import role_name

        return role_name(str(v))
    if key == "via":
        return VIA_NAMES[v] if v in VIA_NAMES else str(v)
    if key == "by" and v == "self":
        return tr("audit.by.self")
    if key in ("file", "path"):
        return Path(str(v)).name or str(v)
    if key == "statuses":
        from app.students import status

        return tr("audit.detail.list_sep").join(status.name(x) for x in v) if isinstance(v, list) else str(v)
    if key in ("reason", "trigger", "purpose") and isinstance(v, str) and v in VALUE_NAMES:
        return VALUE_NAMES[v]
    if key in ("until", "due", "valid_until") and isinstance(v, str):
        return v.replace("T", " ")
    if isinstance(v, (list, tuple)):
        return tr("audit.detail.list_sep").join(str(x) for x in v)
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


ENTITY_NAMES = Names({
    "student": "audit.entity.student", "member1": "audit.entity.member1", "member2": "audit.entity.member2",
    "class": "audit.entity.class", "school": "audit.entity.school", "status_event": "audit.entity.status_event",
    "certificate": "audit.entity.certificate", "rule_finding": "audit.entity.rule_finding",
    "folder_loan": "audit.entity.folder_loan", "backup_log": "audit.entity.backup_log",
    "account": "audit.entity.account", "document": "audit.entity.document", "students": "audit.entity.students",
    "archive": "audit.entity.archive", "export_approval": "audit.entity.export_approval",
})


def entity_text(entry: dict) -> str:
    """对象: what the entry is about (学生, 证书 12, 账户 3 …)."""
    e = entry.get("entity") or ""
    if not e:
        return ""
    name = ENTITY_NAMES[e] if e in ENTITY_NAMES else e
    return tr("audit.entity.with_id", name=name, id=entry["entity_id"]) if entry.get("entity_id") is not None and \
        e not in ("student", "member1", "member2") else name


def detail_text(entry: dict) -> str:
    """An entry's detail as one line the registrar reads (键：值；…), not JSON: field keys become the
    template's headers, states and kinds their names, files their names."""
    d = entry.get("detail")
    if not isinstance(d, dict):
        return str(d or "")
    parts = []
    action = entry.get("action", "")
    if action == "view":
        w = d.get("where")
        parts.append(tr("audit.register.what_view", where=WHERE_NAMES[w] if w in WHERE_NAMES else str(w or "")))
    if "from" in d or "to" in d:
        from app.students import status

        parts.append(tr("audit.detail.states", old=status.name(d.get("from") or "") if d.get("from") else "—",
                        new=status.name(d.get("to") or "") if d.get("to") else "—"))
    if action == "print" and d.get("students") and d.get("count") is None:
        parts.append(tr("audit.detail.students", count=len(d["students"])))
    for k, v in d.items():
        if k in _SKIP_KEYS or k in ("from", "to") or v in (None, "", [], {}):
            continue
        if action == "genesis":
            parts.append(f"{k} {v}")
            continue
        label = DETAIL_KEYS[k] if k in DETAIL_KEYS else k
        parts.append(tr("audit.detail.pair", key=label, value=value_text(k, v)))
    return tr("audit.detail.sep").join(parts)
