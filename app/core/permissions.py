"""Roles and permissions as data (resources/security/roles.toml): which role may do what."""
from __future__ import annotations

import tomllib
from functools import lru_cache

from app.core.i18n import Names
from app.core.paths import resources_dir

ROLES = ("registrar", "approver", "head_teacher")

PERMISSION_NAMES = Names({
    "read": "permission.read", "read_all": "permission.read_all", "view_full_id": "permission.view_full_id",
    "write": "permission.write", "approve": "permission.approve", "export": "permission.export",
    "export_national": "permission.export_national", "export_external": "permission.export_external",
    "print": "permission.print", "audit": "permission.audit", "backup": "permission.backup",
    "accounts": "permission.accounts", "settings": "permission.settings"})
ROLE_NAMES = Names({"registrar": "role.registrar", "approver": "role.approver", "head_teacher": "role.head_teacher"})


@lru_cache(maxsize=1)
def _data() -> dict:
    with open(resources_dir() / "security" / "roles.toml", "rb") as fh:
        return tomllib.load(fh)


def permissions(role: str) -> frozenset[str]:
    r = _data()["roles"].get(role)
    return frozenset(r["permissions"]) if r else frozenset()


def allowed(role: str, permission: str) -> bool:
    return permission in permissions(role)


def role_name(role: str) -> str:
    return ROLE_NAMES[role] if role in ROLE_NAMES else role


def permission_name(permission: str) -> str:
    return PERMISSION_NAMES[permission] if permission in PERMISSION_NAMES else permission


def all_permissions() -> frozenset[str]:
    out: set[str] = set()
    for r in _data()["roles"].values():
        out |= set(r["permissions"])
    return frozenset(out)


def policy_defaults() -> dict:
    return dict(_data()["policy"])
