"""``xueji account …``: the accounts and roles of an archive (signing in itself: app/accounts/cli_signin.py).

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

import unicodedata

from app.accounts.cli_signin import new_password, recovery_code
from app.cli.common import open_session
from app.core.errors import Finding, Refused, UsageError
from app.core.i18n import tr


def _classes(text: str | None):
    if text is None:
        return None
    try:
        return [int(x) for x in unicodedata.normalize("NFKC", text).split(",") if x.strip()]
    except ValueError:
        raise UsageError(tr("xcli.account.bad_classes", value=text))


# ------------------------------------------------------------------ parser
def register(reg) -> None:
    from app.accounts.service import POLICY_NAMES
    from app.core.permissions import ROLES

    reg.verb("account")
    sp = reg.action("account", "setup", tr("xcli.help.account_setup"), cmd_setup)
    sp.add_argument("username", metavar="USER")
    sp.add_argument("--name", default="", help=tr("xcli.help.account_name"))
    sp = reg.action("account", "add", tr("xcli.help.account_add"), cmd_add)
    sp.add_argument("username", metavar="USER")
    sp.add_argument("--role", required=True, choices=list(ROLES), help=tr("xcli.help.account_role"))
    sp.add_argument("--name", default="", help=tr("xcli.help.account_name"))
    sp.add_argument("--classes", default="", metavar="1,2", help=tr("xcli.help.account_classes"))
    reg.action("account", "list", tr("xcli.help.account_list"), cmd_list)
    reg.action("account", "whoami", tr("xcli.help.account_whoami"), cmd_whoami)
    sp = reg.action("account", "edit", tr("xcli.help.account_edit"), cmd_edit)
    sp.add_argument("username", metavar="USER")
    sp.add_argument("--role", default=None, choices=list(ROLES), help=tr("xcli.help.account_role"))
    sp.add_argument("--name", default=None, help=tr("xcli.help.account_name"))
    sp.add_argument("--classes", default=None, metavar="1,2", help=tr("xcli.help.account_classes"))
    for name, help_, handler in (
            ("disable", tr("xcli.help.account_disable"), _simple("set_active", active=False)),
            ("enable", tr("xcli.help.account_enable"), _simple("set_active", active=True)),
            ("unlock", tr("xcli.help.account_unlock"), _simple("unlock_account")),
            ("reset", tr("xcli.help.account_reset"), cmd_reset),
            ("recover", tr("xcli.help.account_recover"), cmd_recover)):
        sp = reg.action("account", name, help_, handler)
        sp.add_argument("username", metavar="USER")
    reg.action("account", "passwd", tr("xcli.help.account_passwd"), cmd_passwd)
    reg.action("account", "recovery-code", tr("xcli.help.account_recovery_code"), cmd_recovery_code)
    sp = reg.action("account", "policy", tr("xcli.help.account_policy"), cmd_policy)
    for key in POLICY_NAMES:
        sp.add_argument("--" + key.replace("_", "-"), type=int, default=None, help=POLICY_NAMES[key])


def _line(a: dict) -> str:
    state = tr("xcli.account.state_active") if a["active"] else tr("xcli.account.state_disabled")
    if a["locked_until"]:
        state += tr("xcli.account.state_locked", until=a["locked_until"].replace("T", " "))
    return tr("xcli.account.line", username=a["username"], name=a["display_name"] or "-", role=a["role_name"],
              state=state, classes=",".join(map(str, a.get("class_ids") or [])) or "-")


def cmd_setup(args, out) -> int:
    from app.accounts import service as accounts

    with open_session(args) as session:
        pw = new_password()
        acc, code = accounts.setup_first_registrar(session, args.username, pw, args.name)
    return out.ok({"account": acc, "recovery_code": code}, tr("xcli.account.setup_done", user=acc["username"], code=code))


def cmd_add(args, out) -> int:
    from app.accounts import service as accounts

    with open_session(args) as session:
        if not accounts.has_accounts(session):
            raise Refused([Finding("no_accounts", tr("xcli.account.setup_first"))])
        pw = new_password()
        acc, code = accounts.add_account(session, args.username, pw, args.role, display_name=args.name,
                                         class_ids=_classes(args.classes) or [])
    text = tr("xcli.account.added", user=acc["username"], role=acc["role_name"])
    if code:
        text += tr("xcli.account.recovery_line", code=code)
    return out.ok({"account": acc, "recovery_code": code}, text)


def cmd_list(args, out) -> int:
    from app.accounts import service as accounts

    with open_session(args) as session:
        accs = accounts.list_accounts(session)
    return out.ok({"count": len(accs), "accounts": accs}, "\n".join(_line(a) for a in accs) or tr("xcli.account.none"))


def cmd_whoami(args, out) -> int:
    from app.accounts import service as accounts

    with open_session(args) as session:
        acc = session.account
        if acc is None:
            return out.ok({"account": None, "role": session.role, "accounts": accounts.has_accounts(session)},
                          tr("xcli.account.open_archive", user=session.user))
        from app.core.permissions import permissions

        acc = dict(acc, permissions=sorted(permissions(acc["role"])))
    return out.ok({"account": acc, "role": acc["role"]}, _line(acc))


def cmd_edit(args, out) -> int:
    from app.accounts import service as accounts

    with open_session(args) as session:
        acc = accounts.edit_account(session, args.username, role=args.role, display_name=args.name,
                                    class_ids=_classes(args.classes))
    return out.ok({"account": acc}, _line(acc))


def _simple(fn_name: str, **kw):
    def cmd(args, out) -> int:
        from app.accounts import service as accounts

        with open_session(args) as session:
            acc = getattr(accounts, fn_name)(session, args.username, **kw)
        return out.ok({"account": acc}, _line(acc))
    return cmd


def cmd_reset(args, out) -> int:
    from app.accounts import service as accounts

    with open_session(args) as session:
        pw = new_password()
        acc = accounts.reset_password(session, args.username, pw)
    return out.ok({"account": acc}, tr("xcli.account.reset_done", user=acc["username"]))


def cmd_passwd(args, out) -> int:
    from app.accounts import service as accounts

    with open_session(args) as session:
        if session.account is None:
            raise Refused([Finding("no_accounts", tr("xcli.account.setup_first"))])
        old = getattr(args, "_signin_password", "")
        acc = accounts.change_password(session, old, new_password())
    return out.ok({"account": acc}, tr("xcli.account.password_changed", user=acc["username"]))


def cmd_recover(args, out) -> int:
    from app.accounts import service as accounts

    with open_session(args) as session:
        code = recovery_code()
        acc, new_code = accounts.recover(session, args.username, code, new_password())
    return out.ok({"account": acc, "recovery_code": new_code},
                  tr("xcli.account.recovered", user=acc["username"], code=new_code))


def cmd_recovery_code(args, out) -> int:
    from app.accounts import service as accounts

    with open_session(args) as session:
        if session.account is None:
            raise Refused([Finding("no_accounts", tr("xcli.account.setup_first"))])
        code = accounts.new_own_recovery_code(session, getattr(args, "_signin_password", ""))
    return out.ok({"recovery_code": code}, tr("xcli.account.new_code", code=code))


def cmd_policy(args, out) -> int:
    from app.accounts import service as accounts
    from app.accounts.service import POLICY_NAMES

    with open_session(args) as session:
        values = {k: getattr(args, k) for k in accounts.POLICY_KEYS}
        pol = accounts.set_policy(session, **values) if any(v is not None for v in values.values()) \
            else (session.require("accounts") or accounts.policy(session))
    return out.ok({"policy": pol}, "\n".join(tr("xcli.account.policy_line", name=POLICY_NAMES[k], value=v)
                                             for k, v in pol.items()))
