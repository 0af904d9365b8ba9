"""Local accounts, roles and sign-in (threat model and roles: docs/security.md).

Passwords and recovery codes are kept only as scrypt hashes (memory-hard: N=2^15, r=8, p=1, 32 MiB, a
random 16-byte salt each). After ``lockout_attempts`` consecutive failures an account is locked for
``lockout_minutes``; the figures are data (resources/security/roles.toml [policy]) and can be changed per
archive (settings ``accounts.*``). The first registrar gets a recovery code, shown once: offline there is
no e-mail reset. Every account action, sign-in, sign-out and failed attempt is an audit_log entry written
in the same transaction as the change it describes.

An archive without accounts (made before this release, or whose first registrar has not been set up yet)
is open: code that opens a Session acts as the registrar. The entry points — the window and the ``xueji``
command — sign in whenever the archive has accounts.
"""
from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import secrets
import unicodedata

from app.core import permissions as perms
from app.core.errors import AuthError, Finding, Forbidden, NotFound, Refused
from app.core.i18n import Names, tr
from app.accounts import store as qa
from app.audit import store as aq
from app.school import store as school_store
from db.rows import now

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1
_MAXMEM = 64 * 1024 * 1024
MAX_USERNAME = 32
POLICY_KEYS = ("lockout_attempts", "lockout_minutes", "idle_lock_minutes", "min_password_length")
POLICY_NAMES = Names({"lockout_attempts": "account.policy.lockout_attempts",
                      "lockout_minutes": "account.policy.lockout_minutes",
                      "idle_lock_minutes": "account.policy.idle_lock_minutes",
                      "min_password_length": "account.policy.min_password_length"})
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: it is copied by hand


# ------------------------------------------------------------------ hashing
def hash_secret(secret: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    salt = secrets.token_bytes(16)
    dk = hashlib.scrypt(_norm(secret).encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)
    return "scrypt${}${}${}${}${}".format(n, r, p, base64.b64encode(salt).decode(), base64.b64encode(dk).decode())


def check_secret(stored: str, secret: str) -> bool:
    try:
        kind, n, r, p, salt, want = stored.split("$")
        if kind != "scrypt":
            return False
        dk = hashlib.scrypt(_norm(secret).encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                            p=int(p), maxmem=_MAXMEM, dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(dk, base64.b64decode(want))


def _norm(secret: str) -> str:
    # the same password typed through another input method (full-width digits, composed characters) matches
    return unicodedata.normalize("NFKC", secret or "")


_DUMMY = None


def _dummy_check(secret: str) -> None:
    """Spend the time of one real check, so an unknown user name is not told apart by timing."""
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = hash_secret("-")
    check_secret(_DUMMY, secret)


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(20))
    return "-".join(raw[i:i + 5] for i in range(0, 20, 5))


def _norm_code(code: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", code or "").upper() if ch.isalnum())


# ------------------------------------------------------------------ policy
def policy(session) -> dict:
    d = perms.policy_defaults()
    for k in POLICY_KEYS:
        v = school_store.get_setting(session.conn, f"accounts.{k}")
        if v is not None:
            d[k] = int(v)
    return d


def set_policy(session, **values) -> dict:
    session.require("accounts")
    bad = []
    clean = {}
    for k, v in values.items():
        if v is None:
            continue
        lo, hi = {"lockout_attempts": (3, 20), "lockout_minutes": (1, 1440), "idle_lock_minutes": (1, 240),
                  "min_password_length": (6, 64)}[k]
        if not (lo <= int(v) <= hi):
            bad.append(Finding("bad_policy", tr("account.bad_policy", name=POLICY_NAMES[k], lo=lo, hi=hi),
                               field=POLICY_NAMES[k]))
        clean[k] = int(v)
    if bad:
        raise Refused(bad)
    with session.archive.transaction() as conn:
        for k, v in clean.items():
            school_store.set_setting(conn, f"accounts.{k}", str(v))
        if clean:
            _audit(conn, session.user, "account.policy", detail=clean)
    return policy(session)


def password_findings(session, password: str, username: str = "") -> list[Finding]:
    """What is wrong with a new password (``session`` None: a new archive, the default policy)."""
    out = []
    n = (policy(session) if session is not None else perms.policy_defaults())["min_password_length"]
    pw = _norm(password)
    if len(pw) < n:
        out.append(Finding("weak_password", tr("account.password_short", n=n), field=tr("account.field.password")))
    elif username and pw.casefold() == username.casefold():
        out.append(Finding("weak_password", tr("account.password_is_name"), field=tr("account.field.password")))
    elif len(set(pw)) < 3:
        out.append(Finding("weak_password", tr("account.password_repetitive"), field=tr("account.field.password")))
    return out


# ------------------------------------------------------------------ reading
def has_accounts(session_or_conn) -> bool:
    conn = getattr(session_or_conn, "conn", session_or_conn)
    return qa.count_all(conn) > 0


def public(a: dict, conn=None) -> dict:
    """An account as shown to people and scripts: never its hashes."""
    d = {k: a[k] for k in ("id", "username", "display_name", "role", "created_at", "created_by",
                           "password_changed_at", "last_signin_at", "locked_until")}
    d["active"] = bool(a["active"])
    d["must_change"] = bool(a["must_change"])
    d["has_recovery_code"] = bool(a["recovery_hash"])
    d["role_name"] = perms.role_name(a["role"])
    if conn is not None:
        d["class_ids"] = qa.class_ids(conn, a["id"])
    return d


def list_accounts(session) -> list[dict]:
    session.require("accounts")
    return [public(a, session.conn) for a in qa.all_accounts(session.conn)]


def _get(conn, username: str) -> dict:
    a = qa.by_username(conn, (username or "").strip())
    if a is None:
        raise NotFound(tr("account.not_found", user=username))
    return a


# ------------------------------------------------------------------ creating
def _check_new(conn, session, username: str, password: str, role: str) -> str:
    username = unicodedata.normalize("NFKC", (username or "").strip())
    fs = []
    if not username or len(username) > MAX_USERNAME or any(ch.isspace() or not ch.isprintable() for ch in username):
        fs.append(Finding("bad_username", tr("account.bad_username", n=MAX_USERNAME), field=tr("account.field.username")))
    elif qa.by_username(conn, username) is not None:
        fs.append(Finding("account_exists", tr("account.exists", user=username), field=tr("account.field.username")))
    if role not in perms.ROLES:
        fs.append(Finding("bad_role", tr("account.bad_role", role=role, roles=tr("common.list_sep").join(perms.ROLES)),
                          field=tr("account.field.role")))
    fs += password_findings(session, password, username)
    if fs:
        raise Refused(fs)
    return username


def _now() -> _dt.datetime:
    return _dt.datetime.now().replace(microsecond=0)


def setup_first_registrar(session, username: str, password: str, display_name: str = "") -> tuple[dict, str]:
    """The first run: the archive's first account, a registrar, and its recovery code (shown once)."""
    with session.archive.transaction() as conn:
        if qa.count_all(conn) > 0:
            raise Refused([Finding("accounts_exist", tr("account.already_set_up"))])
        username = _check_new(conn, session, username, password, "registrar")
        code = new_recovery_code()
        at = _now().isoformat()
        aid = qa.insert(conn, {"username": username, "display_name": display_name.strip(), "role": "registrar",
                               "password_hash": hash_secret(password), "recovery_hash": hash_secret(_norm_code(code)),
                               "created_at": at, "created_by": session.user, "password_changed_at": at})
        _audit(conn, username, "account.create", aid, {"username": username, "role": "registrar", "first": True})
        a = qa.by_id(conn, aid)
    _attach(session, a)
    return public(a, session.conn), code


def add_account(session, username: str, password: str, role: str, *, display_name: str = "",
                class_ids=(), must_change: bool = True) -> tuple[dict, str | None]:
    """A registrar adds an account; a registrar account also gets its own recovery code (returned once).
    The person changes the password the registrar gave at the first sign-in (``must_change``)."""
    session.require("accounts")
    with session.archive.transaction() as conn:
        username = _check_new(conn, session, username, password, role)
        _check_classes(conn, class_ids)
        code = new_recovery_code() if role == "registrar" else None
        at = _now().isoformat()
        aid = qa.insert(conn, {"username": username, "display_name": display_name.strip(), "role": role,
                               "password_hash": hash_secret(password),
                               "recovery_hash": hash_secret(_norm_code(code)) if code else "",
                               "must_change": int(bool(must_change)), "created_at": at, "created_by": session.user,
                               "password_changed_at": at})
        qa.set_class_ids(conn, aid, class_ids)
        _audit(conn, session.user, "account.create", aid,
               {"username": username, "role": role, "class_ids": sorted(set(int(i) for i in class_ids))})
        return public(qa.by_id(conn, aid), conn), code


def _check_classes(conn, class_ids) -> None:
    missing = [int(i) for i in class_ids if not school_store.get_class(conn, int(i))]
    if missing:
        raise Refused([Finding("not_found", tr("account.no_such_class", ids=tr("common.list_sep").join(map(str, missing))),
                               field=tr("account.field.classes"))])


# ------------------------------------------------------------------ signing in
def _audit(conn, actor: str, action: str, account_id: int | None = None, detail: dict | None = None) -> int:
    return aq.insert_entry(conn, at=now(), actor=(actor or "")[:64], action=action, entity="account",
                           entity_id=account_id, detail=detail)


def _locked(a: dict, now: _dt.datetime) -> bool:
    return bool(a["locked_until"]) and _dt.datetime.fromisoformat(a["locked_until"]) > now


def _fail(session, a: dict | None, username: str, reason: str, via: str, now: _dt.datetime) -> Finding:
    """Count one failed attempt (in its own transaction: a refused sign-in still leaves its trace)."""
    pol = policy(session)
    locked_now = False
    with session.archive.transaction() as conn:
        detail = {"reason": reason, "via": via}
        if a is not None:
            n = a["failed_count"] + 1
            values = {"failed_count": n}
            if n >= pol["lockout_attempts"]:
                values = {"failed_count": 0,
                          "locked_until": (now + _dt.timedelta(minutes=pol["lockout_minutes"])).isoformat()}
                locked_now = True
            qa.update(conn, a["id"], values)
            detail["attempt"] = n
        _audit(conn, username, "signin.failed", a["id"] if a else None, detail)
        if locked_now:
            _audit(conn, username, "account.locked", a["id"],
                   {"until": values["locked_until"], "attempts": pol["lockout_attempts"], "via": via})
    if locked_now:
        return Finding("account_locked", tr("account.locked_now", n=pol["lockout_attempts"],
                                            minutes=pol["lockout_minutes"]), field=tr("account.field.password"))
    left = pol["lockout_attempts"] - (a["failed_count"] + 1) if a is not None else None
    text = tr("account.auth_failed") + (tr("account.attempts_left", n=left) if left is not None and left <= 2 else "")
    return Finding("auth_failed", text, field=tr("account.field.password"))


def sign_in(session, username: str, password: str, *, via: str = "gui", now: _dt.datetime | None = None) -> dict:
    """Check the password and make the account the session's actor; refusals raise ``AuthError``."""
    now = now or _now()
    username = unicodedata.normalize("NFKC", (username or "").strip())
    a = qa.by_username(session.conn, username) if username else None
    if a is None:
        _dummy_check(password)
        raise AuthError([_fail(session, None, username or "?", "unknown_user", via, now)])
    if not a["active"]:
        _dummy_check(password)
        with session.archive.transaction() as conn:
            _audit(conn, username, "signin.failed", a["id"], {"reason": "disabled", "via": via})
        raise AuthError([Finding("account_disabled", tr("account.disabled", user=a["username"]))])
    if _locked(a, now):
        with session.archive.transaction() as conn:
            _audit(conn, username, "signin.failed", a["id"], {"reason": "locked", "via": via})
        raise AuthError([Finding("account_locked", tr("account.locked_until", until=a["locked_until"].replace("T", " ")))])
    if not check_secret(a["password_hash"], password):
        raise AuthError([_fail(session, a, a["username"], "wrong_password", via, now)])
    with session.archive.transaction() as conn:
        qa.update(conn, a["id"], {"failed_count": 0, "locked_until": "", "last_signin_at": now.isoformat()})
        _audit(conn, a["username"], "signin", a["id"], {"via": via, "role": a["role"]})
        a = qa.by_id(conn, a["id"])
    _attach(session, a)
    return public(a, session.conn)


def _attach(session, a: dict) -> None:
    session.account = public(a, session.conn)
    session.user = a["username"]


def sign_out(session, *, reason: str = "user") -> None:
    """Record the sign-out; the session then has no rights at all until someone signs in again."""
    acc = session.account
    if not acc:
        return
    with session.archive.transaction() as conn:
        _audit(conn, acc["username"], "signout", acc["id"], {"reason": reason})
    session.account = dict(acc, role="", signed_out=True)


def unlock_screen(session, password: str, *, now: _dt.datetime | None = None) -> None:
    """The idle screen lock: the signed-in person types their password again. Failures count towards the
    lock-out like a sign-in; a locked-out account can only sign out."""
    now = now or _now()
    acc = session.account
    a = qa.by_id(session.conn, acc["id"])
    if not a["active"]:
        raise AuthError([Finding("account_disabled", tr("account.disabled", user=a["username"]))])
    if _locked(a, now):
        raise AuthError([Finding("account_locked", tr("account.locked_until", until=a["locked_until"].replace("T", " ")))])
    if not check_secret(a["password_hash"], password):
        raise AuthError([_fail(session, a, a["username"], "wrong_password", "unlock", now)])
    with session.archive.transaction() as conn:
        qa.update(conn, a["id"], {"failed_count": 0})
        _audit(conn, a["username"], "unlock", a["id"], {})


def record_screen_lock(session, idle_minutes: int) -> None:
    acc = session.account
    if acc:
        with session.archive.transaction() as conn:
            _audit(conn, acc["username"], "lock", acc["id"], {"idle_minutes": idle_minutes})


# ------------------------------------------------------------------ passwords
def change_password(session, old_password: str, new_password: str) -> dict:
    acc = session.account
    if not acc or acc.get("signed_out"):
        raise Forbidden([Finding("auth_required", tr("account.sign_in_first"))])
    a = qa.by_id(session.conn, acc["id"])
    if not check_secret(a["password_hash"], old_password):
        raise AuthError([_fail(session, a, a["username"], "wrong_password", "password_change", _now())])
    fs = password_findings(session, new_password, a["username"])
    if not fs and check_secret(a["password_hash"], new_password):
        fs = [Finding("weak_password", tr("account.password_unchanged"), field=tr("account.field.password"))]
    if fs:
        raise Refused(fs)
    with session.archive.transaction() as conn:
        qa.update(conn, a["id"], {"password_hash": hash_secret(new_password), "must_change": 0, "failed_count": 0,
                                  "password_changed_at": _now().isoformat()})
        _audit(conn, a["username"], "account.password", a["id"], {"by": "self"})
        a = qa.by_id(conn, a["id"])
    _attach(session, a)
    return session.account


def reset_password(session, username: str, new_password: str) -> dict:
    """A registrar sets a temporary password for someone who forgot theirs; it must be changed at the next
    sign-in. The account is unlocked."""
    session.require("accounts")
    with session.archive.transaction() as conn:
        a = _get(conn, username)
        fs = password_findings(session, new_password, a["username"])
        if fs:
            raise Refused(fs)
        qa.update(conn, a["id"], {"password_hash": hash_secret(new_password), "must_change": 1, "failed_count": 0,
                                  "locked_until": "", "password_changed_at": _now().isoformat()})
        _audit(conn, session.user, "account.reset", a["id"], {"username": a["username"]})
        return public(qa.by_id(conn, a["id"]), conn)


def recover(session, username: str, code: str, new_password: str, *, now: _dt.datetime | None = None) -> tuple[dict, str]:
    """Forgotten password, no registrar to reset it: the recovery code written down at set-up sets a new
    password, unlocks the account, and is replaced by a new code (returned, shown once)."""
    now = now or _now()
    a = qa.by_username(session.conn, (username or "").strip())
    if a is None or not a["recovery_hash"]:
        _dummy_check(code)
        raise AuthError([_fail(session, a, username or "?", "recovery_unknown", "recover", now)])
    if not a["active"]:
        raise AuthError([Finding("account_disabled", tr("account.disabled", user=a["username"]))])
    if _locked(a, now):
        raise AuthError([Finding("account_locked", tr("account.locked_until", until=a["locked_until"].replace("T", " ")))])
    if not check_secret(a["recovery_hash"], _norm_code(code)):
        raise AuthError([_fail(session, a, a["username"], "wrong_recovery_code", "recover", now)])
    fs = password_findings(session, new_password, a["username"])
    if fs:
        raise Refused(fs)
    new_code = new_recovery_code()
    with session.archive.transaction() as conn:
        qa.update(conn, a["id"], {"password_hash": hash_secret(new_password), "recovery_hash": hash_secret(_norm_code(new_code)),
                                  "must_change": 0, "failed_count": 0, "locked_until": "",
                                  "password_changed_at": now.isoformat()})
        _audit(conn, a["username"], "account.recover", a["id"], {})
        return public(qa.by_id(conn, a["id"]), conn), new_code


def new_own_recovery_code(session, password: str) -> str:
    """A registrar replaces their recovery code (the old one stops working)."""
    acc = session.account
    a = qa.by_id(session.conn, acc["id"]) if acc and not acc.get("signed_out") else None
    if a is None or a["role"] != "registrar":
        raise Forbidden([Finding("forbidden", tr("account.recovery_registrar_only"))])
    if not check_secret(a["password_hash"], password):
        raise AuthError([_fail(session, a, a["username"], "wrong_password", "recovery_code", _now())])
    code = new_recovery_code()
    with session.archive.transaction() as conn:
        qa.update(conn, a["id"], {"recovery_hash": hash_secret(_norm_code(code))})
        _audit(conn, a["username"], "account.recovery_code", a["id"], {})
    return code


# ------------------------------------------------------------------ administering
def _keep_a_registrar(conn, a: dict, *, new_role: str | None = None, deactivate: bool = False) -> None:
    if a["role"] != "registrar" or not a["active"]:
        return
    if (deactivate or (new_role and new_role != "registrar")) and qa.count_active(conn, "registrar") <= 1:
        raise Refused([Finding("last_registrar", tr("account.last_registrar", user=a["username"]))])


def edit_account(session, username: str, *, role: str | None = None, display_name: str | None = None,
                 class_ids=None) -> dict:
    session.require("accounts")
    with session.archive.transaction() as conn:
        a = _get(conn, username)
        values, detail = {}, {"username": a["username"]}
        if role is not None and role != a["role"]:
            if role not in perms.ROLES:
                raise Refused([Finding("bad_role", tr("account.bad_role", role=role, roles=tr("common.list_sep").join(perms.ROLES)),
                                       field=tr("account.field.role"))])
            _keep_a_registrar(conn, a, new_role=role)
            values["role"] = role
            detail["role"] = [a["role"], role]
        if display_name is not None and display_name.strip() != a["display_name"]:
            values["display_name"] = display_name.strip()
            detail["display_name"] = [a["display_name"], values["display_name"]]
        if values:
            qa.update(conn, a["id"], values)
        if class_ids is not None:
            _check_classes(conn, class_ids)
            old = qa.class_ids(conn, a["id"])
            new = sorted(set(int(i) for i in class_ids))
            if old != new:
                qa.set_class_ids(conn, a["id"], new)
                detail["class_ids"] = [old, new]
        if len(detail) > 1:
            _audit(conn, session.user, "account.edit", a["id"], detail)
        return public(qa.by_id(conn, a["id"]), conn)


def set_active(session, username: str, active: bool) -> dict:
    session.require("accounts")
    with session.archive.transaction() as conn:
        a = _get(conn, username)
        if bool(a["active"]) != bool(active):
            if not active:
                _keep_a_registrar(conn, a, deactivate=True)
            qa.update(conn, a["id"], {"active": int(bool(active))})
            _audit(conn, session.user, "account.enable" if active else "account.disable", a["id"],
                   {"username": a["username"]})
        return public(qa.by_id(conn, a["id"]), conn)


def unlock_account(session, username: str) -> dict:
    session.require("accounts")
    with session.archive.transaction() as conn:
        a = _get(conn, username)
        qa.update(conn, a["id"], {"failed_count": 0, "locked_until": ""})
        _audit(conn, session.user, "account.unlock", a["id"], {"username": a["username"]})
        return public(qa.by_id(conn, a["id"]), conn)
