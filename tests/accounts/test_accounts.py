"""Accounts and roles (docs/security.md): passwords hashed with scrypt, lock-out, recovery code, roles enforced in app/
(not only in the window), head teachers limited to their classes with ID numbers masked, every step in the
hash-chained audit log. Real archives in tmp dirs."""
from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from app.accounts import service as accounts
from app.audit import log as audit
from app.changes import service as changes
from app.school.classes import list_classes
from app.core.errors import AuthError, Forbidden, Refused
from app.core.session import Session
from app.students.service import edit_student, search_ids, view_student
from tests.helpers import add, birth_for_grade, new_class, new_school, unique_id

PW = "correct horse 7"


@pytest.fixture
def school(tmp_path):
    s = new_school(tmp_path, stages="primary")
    c1 = new_class(s, 3, 1)
    c2 = new_class(s, 3, 2)
    a = add(s, c1, "甲一", unique_id(birth_for_grade(3))).id
    b = add(s, c2, "乙二", unique_id(birth_for_grade(3, 1))).id
    s.ids = {"c1": c1, "c2": c2, "a": a, "b": b}
    yield s
    s.close()


def reopen(session) -> Session:
    folder = session.folder
    session.close()
    return Session.open(folder)


def codes(exc) -> list[str]:
    return [f.code for f in exc.value.findings]


def actions(session) -> list[str]:
    return [e["action"] for e in audit.list_entries(session, limit=1000)]


# ------------------------------------------------------------------ set-up and hashing
def test_first_registrar_gets_a_recovery_code_and_only_hashes_are_stored(school):
    assert not accounts.has_accounts(school)
    assert school.role == "registrar" and school.account is None  # an archive without accounts is open
    acc, code = accounts.setup_first_registrar(school, "admin", PW, "王老师")
    assert acc["role"] == "registrar" and acc["has_recovery_code"] and school.account["username"] == "admin"
    assert len(code.replace("-", "")) == 20 and set(code.replace("-", "")) <= set(accounts._RECOVERY_ALPHABET)
    row = school.conn.execute("SELECT password_hash, recovery_hash FROM accounts").fetchone()
    assert row[0].startswith("scrypt$32768$8$1$") and PW not in row[0]
    assert code not in row[1] and accounts.check_secret(row[1], accounts._norm_code(code.lower()))
    school.close()
    raw = (school.folder / "archive.sqlite").read_bytes() + b"".join(
        p.read_bytes() for p in school.folder.glob("archive.sqlite-*"))
    assert PW.encode() not in raw and code.encode() not in raw
    s = Session.open(school.folder)
    with pytest.raises(Refused) as ei:
        accounts.setup_first_registrar(s, "other", PW)
    assert codes(ei) == ["accounts_exist"]
    s.close()


def test_hash_checks_are_exact():
    h = accounts.hash_secret("秘密password1")
    assert accounts.check_secret(h, "秘密password1")
    assert accounts.check_secret(h, "秘密ｐａｓｓｗｏｒｄ１")  # the same password typed full-width (NFKC)
    assert not accounts.check_secret(h, "秘密password2")
    assert not accounts.check_secret("garbage", "x") and not accounts.check_secret("plain$1$2$3$4$5", "x")
    assert accounts.hash_secret("a") != accounts.hash_secret("a")  # a salt each


@pytest.mark.parametrize("pw,code", [("short1", "weak_password"), ("admin", "weak_password"),
                                     ("aaaaaaaaaa", "weak_password")])
def test_weak_passwords_are_refused_with_the_field(school, pw, code):
    with pytest.raises(Refused) as ei:
        accounts.setup_first_registrar(school, "admin", pw)
    assert codes(ei) == [code] and ei.value.findings[0].field
    assert not accounts.has_accounts(school)


def test_bad_usernames(school):
    for name in ("", "a b", "x" * 40):
        with pytest.raises(Refused) as ei:
            accounts.setup_first_registrar(school, name, PW)
        assert codes(ei) == ["bad_username"]


# ------------------------------------------------------------------ signing in, lock-out
def test_sign_in_lockout_and_expiry(school):
    accounts.setup_first_registrar(school, "admin", PW)
    s = reopen(school)
    t0 = dt.datetime(2026, 12, 1, 8, 0, 0)
    with pytest.raises(AuthError) as ei:
        accounts.sign_in(s, "nobody", PW, now=t0)
    assert codes(ei) == ["auth_failed"]
    for i in range(4):
        with pytest.raises(AuthError) as ei:
            accounts.sign_in(s, "admin", "wrong password", now=t0)
        assert codes(ei) == ["auth_failed"]
    with pytest.raises(AuthError) as ei:  # the 5th failure locks
        accounts.sign_in(s, "admin", "wrong password", now=t0)
    assert codes(ei) == ["account_locked"]
    with pytest.raises(AuthError) as ei:  # the right password does not help while locked
        accounts.sign_in(s, "ADMIN", PW, now=t0 + dt.timedelta(minutes=14))
    assert codes(ei) == ["account_locked"]
    acc = accounts.sign_in(s, "admin", PW, now=t0 + dt.timedelta(minutes=15, seconds=1))
    assert acc["username"] == "admin" and s.user == "admin"
    acts = actions(s)
    assert acts.count("signin.failed") == 7 and acts.count("account.locked") == 1 and acts.count("signin") == 1
    assert audit.verify(s).ok
    s.close()


def test_policy_changes_the_lockout_and_is_checked(school):
    accounts.setup_first_registrar(school, "admin", PW)
    pol = accounts.set_policy(school, lockout_attempts=3, idle_lock_minutes=5)
    assert pol["lockout_attempts"] == 3 and pol["idle_lock_minutes"] == 5 and pol["lockout_minutes"] == 15
    with pytest.raises(Refused) as ei:
        accounts.set_policy(school, lockout_attempts=1)
    assert codes(ei) == ["bad_policy"]
    s = reopen(school)
    for _ in range(2):
        with pytest.raises(AuthError):
            accounts.sign_in(s, "admin", "nope nope 1")
    with pytest.raises(AuthError) as ei:
        accounts.sign_in(s, "admin", "nope nope 1")
    assert codes(ei) == ["account_locked"]
    s.close()


def test_disabled_accounts_cannot_sign_in_and_the_last_registrar_stays(school):
    accounts.setup_first_registrar(school, "admin", PW)
    for kw in ({"role": "approver"},):
        with pytest.raises(Refused) as ei:
            accounts.edit_account(school, "admin", **kw)
        assert codes(ei) == ["last_registrar"]
    with pytest.raises(Refused) as ei:
        accounts.set_active(school, "admin", False)
    assert codes(ei) == ["last_registrar"]
    accounts.add_account(school, "li", "teacher pw 1", "head_teacher", class_ids=[school.ids["c1"]])
    accounts.set_active(school, "li", False)
    s = reopen(school)
    with pytest.raises(AuthError) as ei:
        accounts.sign_in(s, "li", "teacher pw 1")
    assert codes(ei) == ["account_disabled"]
    s.close()


def test_password_change_reset_and_must_change(school):
    accounts.setup_first_registrar(school, "admin", PW)
    acc, code = accounts.add_account(school, "zhang", "approver pw 1", "approver")
    assert acc["must_change"] and code is None
    s = reopen(school)
    acc = accounts.sign_in(s, "zhang", "approver pw 1")
    assert acc["must_change"]
    with pytest.raises(AuthError):
        accounts.change_password(s, "not the old one", "brand new pw 2")
    with pytest.raises(Refused) as ei:
        accounts.change_password(s, "approver pw 1", "approver pw 1")
    assert codes(ei) == ["weak_password"]
    assert not accounts.change_password(s, "approver pw 1", "brand new pw 2")["must_change"]
    s.close()
    s = Session.open(school.folder)
    with pytest.raises(AuthError):
        accounts.sign_in(s, "zhang", "approver pw 1")
    accounts.sign_in(s, "zhang", "brand new pw 2")
    with pytest.raises(Forbidden):  # an approver cannot reset passwords
        accounts.reset_password(s, "admin", "whatever pw 9")
    s.close()
    s = Session.open(school.folder)
    accounts.sign_in(s, "admin", PW)
    assert accounts.reset_password(s, "zhang", "temporary pw 3")["must_change"]
    s.close()


def test_recovery_code_sets_a_new_password_once(school):
    _, code = accounts.setup_first_registrar(school, "admin", PW)
    s = reopen(school)
    with pytest.raises(AuthError) as ei:
        accounts.recover(s, "admin", "AAAAA-BBBBB-CCCCC-DDDDD", "new password 9")
    assert codes(ei) == ["auth_failed"]
    acc, new_code = accounts.recover(s, "admin", code.lower().replace("-", " "), "new password 9")
    assert new_code != code and not acc["must_change"]
    with pytest.raises(AuthError):  # the old code is spent
        accounts.recover(s, "admin", code, "another password 8")
    accounts.sign_in(s, "admin", "new password 9")
    assert "account.recover" in actions(s)
    s.close()


# ------------------------------------------------------------------ roles in app/
def test_head_teacher_reads_only_own_classes_with_ids_masked(school):
    ids = school.ids
    accounts.setup_first_registrar(school, "admin", PW)
    accounts.add_account(school, "li", "teacher pw 1", "head_teacher", class_ids=[ids["c1"]], must_change=False)
    full = view_student(school, ids["a"], where="cli")["id_number"]
    s = reopen(school)
    accounts.sign_in(s, "li", "teacher pw 1")
    assert s.class_scope == {ids["c1"]}
    assert [k["id"] for k in list_classes(s)] == [ids["c1"]]
    assert search_ids(s, "") == [ids["a"]] and search_ids(s, "", class_id=ids["c2"]) == []
    rec = view_student(s, ids["a"], where="gui")
    assert rec["id_number"] != full and "*" in rec["id_number"] and rec["id_number"][-4:] == full[-4:]
    with pytest.raises(Forbidden):
        view_student(s, ids["b"], where="gui")
    with pytest.raises(Forbidden) as ei:
        edit_student(s, ids["a"], {"name": "甲改"})
    assert codes(ei) == ["forbidden"]
    views = [e for e in audit.list_entries(s, kind="view", limit=50) if e["actor"] == "li"]
    assert len(views) == 1 and views[0]["student_id"] == ids["a"]
    s.close()


def test_approver_approves_but_does_not_edit(school):
    ids = school.ids
    accounts.setup_first_registrar(school, "admin", PW)
    accounts.add_account(school, "zhang", "approver pw 1", "approver", must_change=False)
    event_id = school.conn.execute("SELECT max(id) FROM status_events WHERE student_id = ?", (ids["a"],)).fetchone()[0]
    s = reopen(school)
    accounts.sign_in(s, "zhang", "approver pw 1")
    assert s.class_scope is None and view_student(s, ids["b"], where="gui")["id_number"].count("*") == 0
    changes.record_approval(s, event_id, {"party": "教育局", "decision": "approved", "by": "张局长"})
    with pytest.raises(Forbidden):
        edit_student(s, ids["a"], {"name": "甲改"})
    s.close()


def test_signed_out_session_can_do_nothing(school):
    accounts.setup_first_registrar(school, "admin", PW)
    accounts.sign_out(school)
    assert school.role == "" and not school.can("read")
    with pytest.raises(Forbidden) as ei:
        edit_student(school, school.ids["a"], {"name": "甲改"})
    assert codes(ei) == ["auth_required"]
    assert actions(school)[:1] == ["signout"]


def test_raw_edits_of_accounts_are_refused_or_detected(school):
    accounts.setup_first_registrar(school, "admin", PW)
    school.close()
    raw = sqlite3.connect(school.folder / "archive.sqlite")
    with pytest.raises(sqlite3.IntegrityError):
        raw.execute("DELETE FROM accounts")
    raw.close()
    s = Session.open(school.folder)
    assert audit.verify(s).ok
    s.close()
