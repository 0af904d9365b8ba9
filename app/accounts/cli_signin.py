"""Signing in on the command line: once an archive has accounts every command signs in first (except those
resources/security/commands.toml lists under ``no_sign_in``: ``init``, ``demo``, ``account setup`` and
``account recover``). The user name comes from ``--user`` or ``XUEJI_USER``, the password from
``XUEJI_PASSWORD`` or, at a terminal, a prompt; then the command's permission (commands.toml) is checked
against the account's role. New passwords come from ``XUEJI_NEW_PASSWORD`` or a prompt (typed twice), a
recovery code from ``XUEJI_RECOVERY_CODE`` or a prompt."""
from __future__ import annotations

import getpass
import os
import sys
import tomllib
from functools import lru_cache

from app.core.errors import AuthError, Finding, Refused, UsageError
from app.core.i18n import tr
from app.core.paths import resources_dir

ENV_USER, ENV_PASSWORD = "XUEJI_USER", "XUEJI_PASSWORD"
ENV_NEW_PASSWORD, ENV_RECOVERY = "XUEJI_NEW_PASSWORD", "XUEJI_RECOVERY_CODE"


# ------------------------------------------------------------------ which permission each command needs
@lru_cache(maxsize=1)
def _table() -> dict:
    with open(resources_dir() / "security" / "commands.toml", "rb") as fh:
        return tomllib.load(fh)


def command_permission(key: str) -> str | None:
    """The permission ``key`` ("verb" or "verb_action") needs; None = no sign-in at all."""
    t = _table()
    if key in t["no_sign_in"]["commands"]:
        return None
    return t["commands"].get(key, "write")


# ------------------------------------------------------------------ signing in
def interactive() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def authenticate(session, args) -> None:
    """Sign ``session`` in for the command in ``args`` when the archive has accounts, and check its role."""
    from app.accounts import service as accounts

    key = getattr(args, "_command_key", None) or args.verb
    permission = command_permission(key)
    if permission is None or not accounts.has_accounts(session):
        return
    user = getattr(args, "user", None) or os.environ.get(ENV_USER, "")
    password = os.environ.get(ENV_PASSWORD)
    if not user and interactive():
        user = input(tr("xcli.account.prompt_user"))
    if not user:
        raise AuthError([Finding("auth_required", tr("xcli.account.need_user", env=ENV_USER),
                                 field=tr("account.field.username"))])
    if password is None:
        if not interactive():
            raise AuthError([Finding("auth_required", tr("xcli.account.need_password", env=ENV_PASSWORD),
                                     field=tr("account.field.password"))])
        password = getpass.getpass(tr("xcli.account.prompt_password", user=user))
    accounts.sign_in(session, user, password, via="cli")
    args._signin_password = password  # ``account passwd`` / ``recovery-code`` confirm with it
    if session.account["must_change"] and key != "account_passwd":
        raise AuthError([Finding("password_change_required", tr("xcli.account.must_change"),
                                 field=tr("account.field.password"))])
    if permission:
        session.require(permission)


def new_password() -> str:
    """A new password: $XUEJI_NEW_PASSWORD, else typed twice at a terminal."""
    pw = os.environ.get(ENV_NEW_PASSWORD)
    if pw is not None:
        return pw
    if not interactive():
        raise UsageError(tr("xcli.account.need_new_password", env=ENV_NEW_PASSWORD))
    pw = getpass.getpass(tr("xcli.account.prompt_new_password"))
    if getpass.getpass(tr("xcli.account.prompt_again")) != pw:
        raise Refused([Finding("password_mismatch", tr("xcli.account.mismatch"), field=tr("account.field.password"))])
    return pw


def recovery_code() -> str:
    """A recovery code: $XUEJI_RECOVERY_CODE, else asked at a terminal."""
    code = os.environ.get(ENV_RECOVERY)
    if code is not None:
        return code
    if not interactive():
        raise UsageError(tr("xcli.account.need_recovery", env=ENV_RECOVERY))
    return getpass.getpass(tr("xcli.account.prompt_recovery"))
