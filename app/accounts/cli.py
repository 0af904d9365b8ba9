"""``xueji account …`` and signing in on the command line (issue 7 "Accounts and roles").

Once an archive has accounts every command signs in first (except ``init``, ``demo``, ``account setup`` and
``account recover``): the user name comes from ``--user`` or ``XUEJI_USER``, the password from
``XUEJI_PASSWORD`` or, at a terminal, a prompt. New passwords come from ``XUEJI_NEW_PASSWORD`` or a prompt
(typed twice), a recovery code from ``XUEJI_RECOVERY_CODE`` or a prompt. Then the command's permission
(resources/security/commands.toml) is checked against the account's role.

    xueji account setup USER [--name N]          the first registrar (only while the archive has no accounts)
    xueji account add USER --role ROLE [--name N] [--classes 1,2]
    xueji account list | whoami
    xueji account edit USER [--role R] [--name N] [--classes 1,2]
    xueji account disable|enable|unlock|reset USER
    xueji account passwd                         change one's own password
    xueji account recover USER                   forgotten password: the recovery code sets a new one
    xueji account recovery-code                  a registrar replaces their recovery code
    xueji account policy [--lockout-attempts N] [--lockout-minutes M] [--idle-lock-minutes M] [--min-password-length L]
"""
from __future__ import annotations

import getpass
import os
import sys
import tomllib
import unicodedata
from functools import lru_cache

from app.core.errors import AuthError, Finding, Refused, UsageError
from app.core.i18n import tr
from app.core.paths import resources_dir

NESTED: set[str] = {"account"}
COMMANDS: dict = {}

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
def _interactive() -> bool:
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
    if not user and _interactive():
        user = input(tr("xcli.account.prompt_user"))
    if not user:
        raise AuthError([Finding("auth_required", tr("xcli.account.need_user", env=ENV_USER),
                                 field=tr("account.field.username"))])
    if password is None:
        if not _interactive():
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


def _new_password(confirm: bool = True) -> str:
    pw = os.environ.get(ENV_NEW_PASSWORD)
    if pw is not None:
        return pw
    if not _interactive():
        raise UsageError(tr("xcli.account.need_new_password", env=ENV_NEW_PASSWORD))
    pw = getpass.getpass(tr("xcli.account.prompt_new_password"))
    if confirm and getpass.getpass(tr("xcli.account.prompt_again")) != pw:
        raise Refused([Finding("password_mismatch", tr("xcli.account.mismatch"), field=tr("account.field.password"))])
    return pw


def _recovery_code() -> str:
    code = os.environ.get(ENV_RECOVERY)
    if code is not None:
        return code
    if not _interactive():
        raise UsageError(tr("xcli.account.need_recovery", env=ENV_RECOVERY))
    return getpass.getpass(tr("xcli.account.prompt_recovery"))


def _classes(text: str | None):
    if text is None:
        return None
    try:
        return [int(x) for x in unicodedata.normalize("NFKC", text).split(",") if x.strip()]
    except ValueError:
        raise UsageError(tr("xcli.account.bad_classes", value=text))


# ------------------------------------------------------------------ parser
def register(sub, add, parser_class, groups) -> None:
    from app.core.permissions import ROLES

    ac = add(sub, "account", tr("xcli.help.account"))
    acts = ac.add_subparsers(dest="action", metavar="ACTION", parser_class=parser_class)
    sp = add(acts, "setup", tr("xcli.help.account_setup"))
    sp.add_argument("username", metavar="USER")
    sp.add_argument("--name", default="", help=tr("xcli.help.account_name"))
    sp = add(acts, "add", tr("xcli.help.account_add"))
    sp.add_argument("username", metavar="USER")
    sp.add_argument("--role", required=True, choices=list(ROLES), help=tr("xcli.help.account_role"))
    sp.add_argument("--name", default="", help=tr("xcli.help.account_name"))
    sp.add_argument("--classes", default="", metavar="1,2", help=tr("xcli.help.account_classes"))
    add(acts, "list", tr("xcli.help.account_list"))
    add(acts, "whoami", tr("xcli.help.account_whoami"))
    sp = add(acts, "edit", tr("xcli.help.account_edit"))
    sp.add_argument("username", metavar="USER")
    sp.add_argument("--role", default=None, choices=list(ROLES), help=tr("xcli.help.account_role"))
    sp.add_argument("--name", default=None, help=tr("xcli.help.account_name"))
    sp.add_argument("--classes", default=None, metavar="1,2", help=tr("xcli.help.account_classes"))
    for name, help_ in (("disable", tr("xcli.help.account_disable")), ("enable", tr("xcli.help.account_enable")),
                        ("unlock", tr("xcli.help.account_unlock")), ("reset", tr("xcli.help.account_reset")),
                        ("recover", tr("xcli.help.account_recover"))):
        sp = add(acts, name, help_)
        sp.add_argument("username", metavar="USER")
    add(acts, "passwd", tr("xcli.help.account_passwd"))
    add(acts, "recovery-code", tr("xcli.help.account_recovery_code"))
    sp = add(acts, "policy", tr("xcli.help.account_policy"))
    from app.accounts.service import POLICY_NAMES

    for key in POLICY_NAMES:
        sp.add_argument("--" + key.replace("_", "-"), type=int, default=None, help=POLICY_NAMES[key])


def _open(args):
    from app.cli.commands import _open as open_

    return open_(args)


def _line(a: dict) -> str:
    state = tr("xcli.account.state_active") if a["active"] else tr("xcli.account.state_disabled")
    if a["locked_until"]:
        state += tr("xcli.account.state_locked", until=a["locked_until"].replace("T", " "))
    return tr("xcli.account.line", username=a["username"], name=a["display_name"] or "-", role=a["role_name"],
              state=state, classes=",".join(map(str, a.get("class_ids") or [])) or "-")


def cmd_setup(args, out) -> int:
    from app.accounts import service as accounts

    with _open(args) as session:
        pw = _new_password()
        acc, code = accounts.setup_first_registrar(session, args.username, pw, args.name)
    return out.ok({"account": acc, "recovery_code": code}, tr("xcli.account.setup_done", user=acc["username"], code=code))


def cmd_add(args, out) -> int:
    from app.accounts import service as accounts

    with _open(args) as session:
        if not accounts.has_accounts(session):
            raise Refused([Finding("no_accounts", tr("xcli.account.setup_first"))])
        pw = _new_password()
        acc, code = accounts.add_account(session, args.username, pw, args.role, display_name=args.name,
                                         class_ids=_classes(args.classes) or [])
    text = tr("xcli.account.added", user=acc["username"], role=acc["role_name"])
    if code:
        text += tr("xcli.account.recovery_line", code=code)
    return out.ok({"account": acc, "recovery_code": code}, text)


def cmd_list(args, out) -> int:
    from app.accounts import service as accounts

    with _open(args) as session:
        accs = accounts.list_accounts(session)
    return out.ok({"count": len(accs), "accounts": accs}, "\n".join(_line(a) for a in accs) or tr("xcli.account.none"))


def cmd_whoami(args, out) -> int:
    from app.accounts import service as accounts

    with _open(args) as session:
        acc = session.account
        if acc is None:
            return out.ok({"account": None, "role": session.role, "accounts": accounts.has_accounts(session)},
                          tr("xcli.account.open_archive", user=session.user))
        from app.core.permissions import permissions

        acc = dict(acc, permissions=sorted(permissions(acc["role"])))
    return out.ok({"account": acc, "role": acc["role"]}, _line(acc))


def cmd_edit(args, out) -> int:
    from app.accounts import service as accounts

    with _open(args) as session:
        acc = accounts.edit_account(session, args.username, role=args.role, display_name=args.name,
                                    class_ids=_classes(args.classes))
    return out.ok({"account": acc}, _line(acc))


def _simple(fn_name: str, **kw):
    def cmd(args, out) -> int:
        from app.accounts import service as accounts

        with _open(args) as session:
            acc = getattr(accounts, fn_name)(session, args.username, **kw)
        return out.ok({"account": acc}, _line(acc))
    return cmd


def cmd_reset(args, out) -> int:
    from app.accounts import service as accounts

    with _open(args) as session:
        pw = _new_password()
        acc = accounts.reset_password(session, args.username, pw)
    return out.ok({"account": acc}, tr("xcli.account.reset_done", user=acc["username"]))


def cmd_passwd(args, out) -> int:
    from app.accounts import service as accounts

    with _open(args) as session:
        if session.account is None:
            raise Refused([Finding("no_accounts", tr("xcli.account.setup_first"))])
        old = getattr(args, "_signin_password", "")
        acc = accounts.change_password(session, old, _new_password())
    return out.ok({"account": acc}, tr("xcli.account.password_changed", user=acc["username"]))


def cmd_recover(args, out) -> int:
    from app.accounts import service as accounts

    with _open(args) as session:
        code = _recovery_code()
        acc, new_code = accounts.recover(session, args.username, code, _new_password())
    return out.ok({"account": acc, "recovery_code": new_code},
                  tr("xcli.account.recovered", user=acc["username"], code=new_code))


def cmd_recovery_code(args, out) -> int:
    from app.accounts import service as accounts

    with _open(args) as session:
        if session.account is None:
            raise Refused([Finding("no_accounts", tr("xcli.account.setup_first"))])
        code = accounts.new_own_recovery_code(session, getattr(args, "_signin_password", ""))
    return out.ok({"recovery_code": code}, tr("xcli.account.new_code", code=code))


def cmd_policy(args, out) -> int:
    from app.accounts import service as accounts
    from app.accounts.service import POLICY_NAMES

    with _open(args) as session:
        values = {k: getattr(args, k) for k in accounts.POLICY_KEYS}
        pol = accounts.set_policy(session, **values) if any(v is not None for v in values.values()) \
            else (session.require("accounts") or accounts.policy(session))
    return out.ok({"policy": pol}, "\n".join(tr("xcli.account.policy_line", name=POLICY_NAMES[k], value=v)
                                             for k, v in pol.items()))


COMMANDS.update({
    "account_setup": cmd_setup,
    "account_add": cmd_add,
    "account_list": cmd_list,
    "account_whoami": cmd_whoami,
    "account_edit": cmd_edit,
    "account_disable": _simple("set_active", active=False),
    "account_enable": _simple("set_active", active=True),
    "account_unlock": _simple("unlock_account"),
    "account_reset": cmd_reset,
    "account_passwd": cmd_passwd,
    "account_recover": cmd_recover,
    "account_recovery-code": cmd_recovery_code,
    "account_policy": cmd_policy,
})
