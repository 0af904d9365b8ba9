"""Signing in on the command line (docs/cli.md "Accounts and signing in"): the same accounts and roles as the window, credentials from
--user / XUEJI_USER and XUEJI_PASSWORD, the error codes of the contract (docs/cli.md), and every command's
permission written down in resources/security/commands.toml."""
from __future__ import annotations

import json
import tomllib

import pytest

from app.accounts.cli_signin import command_permission
from app.cli import build, main
from app.core.paths import resources_dir
from app.core.permissions import all_permissions
from tests.helpers import SCHOOL_CODE, birth_for_grade, make_id

PW = "registrar pw 1"


def run(capsys, monkeypatch, *argv, user=None, password=None, new_password=None, code=None):
    for var, value in (("XUEJI_USER", user), ("XUEJI_PASSWORD", password), ("XUEJI_NEW_PASSWORD", new_password),
                       ("XUEJI_RECOVERY_CODE", code)):
        if value is None:
            monkeypatch.delenv(var, raising=False)
        else:
            monkeypatch.setenv(var, value)
    capsys.readouterr()
    rc = main([str(a) for a in argv])
    out, _ = capsys.readouterr()
    lines = [x for x in out.splitlines() if x.strip()]
    assert len(lines) == 1, out
    return rc, json.loads(lines[0])


def err(obj) -> str:
    return obj["errors"][0]["code"]


@pytest.fixture
def arch(tmp_path, capsys, monkeypatch):
    a = tmp_path / "archive"
    rc, obj = run(capsys, monkeypatch, "--archive", a, "--json", "init", "--school-name", "测试小学", "--school-code",
                  SCHOOL_CODE, "--stages", "primary", "--registrar-user", "admin", new_password=PW)
    assert rc == 0 and obj["account"]["role"] == "registrar" and obj["recovery_code"]
    (tmp_path / "recovery.txt").write_text(obj["recovery_code"], encoding="utf-8")
    for n in (1, 2):
        rc, obj = run(capsys, monkeypatch, "--archive", a, "--json", "class", "add", "--stage", "primary", "--grade", 3,
                      "--number", n, "--entry-year", 2023, user="admin", password=PW)
        assert rc == 0, obj
    for n, cls in ((1, 1), (2, 2)):
        f = tmp_path / f"s{n}.json"
        idn = make_id(birth_for_grade(3, n).strftime("%Y%m%d"), n, "1")
        f.write_text(json.dumps({"姓名": f"学生{'一二'[n - 1]}", "身份证件号": idn, "民族": "汉族"},
                                ensure_ascii=False), encoding="utf-8")
        rc, obj = run(capsys, monkeypatch, "--archive", a, "--json", "student", "add", "--from-json", f,
                      "--class-id", cls, user="admin", password=PW)
        assert rc == 0, obj
    return a


def test_commands_need_a_sign_in_once_the_archive_has_accounts(capsys, monkeypatch, arch):
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "class", "list")
    assert rc == 1 and err(obj) == "auth_required"
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "class", "list", user="admin")
    assert rc == 1 and err(obj) == "auth_required"
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "class", "list", user="admin", password="wrong!")
    assert rc == 1 and err(obj) == "auth_failed"
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "--user", "admin", "class", "list", password=PW)
    assert rc == 0 and len(obj["classes"]) == 2
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "class", "list", "--json", "--user", "admin", password=PW)
    assert rc == 0
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "account", "whoami", user="admin", password=PW)
    assert obj["account"]["username"] == "admin" and "accounts" in obj["account"]["permissions"]


def test_lockout_on_the_command_line_and_unlock_by_a_registrar(capsys, monkeypatch, arch):
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "account", "add", "zhang", "--role", "approver",
                  user="admin", password=PW, new_password="approver pw 1")
    assert rc == 0 and obj["account"]["must_change"]
    for _ in range(4):
        rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "class", "list", user="zhang", password="bad")
        assert err(obj) == "auth_failed"
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "class", "list", user="zhang", password="bad")
    assert err(obj) == "account_locked"
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "class", "list", user="zhang",
                  password="approver pw 1")
    assert rc == 1 and err(obj) == "account_locked"
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "account", "unlock", "zhang", user="admin", password=PW)
    assert rc == 0 and obj["account"]["locked_until"] == ""
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "class", "list", user="zhang",
                  password="approver pw 1")
    assert rc == 1 and err(obj) == "password_change_required"
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "account", "passwd", user="zhang",
                  password="approver pw 1", new_password="approver pw 2")
    assert rc == 0
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "class", "list", user="zhang",
                  password="approver pw 2")
    assert rc == 0
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "audit", "list", "--kind", "signin",
                  user="admin", password=PW)
    assert rc == 0


def test_roles_on_the_command_line(capsys, monkeypatch, arch):
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "account", "add", "li", "--role", "head_teacher",
                  "--classes", "1", "--name", "李老师", user="admin", password=PW, new_password="teacher pw 1")
    assert rc == 0 and obj["account"]["class_ids"] == [1] and obj["recovery_code"] is None
    run(capsys, monkeypatch, "--archive", arch, "--json", "account", "passwd", user="li", password="teacher pw 1",
        new_password="teacher pw 2")
    li = dict(user="li", password="teacher pw 2")
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "student", "list", **li)
    assert rc == 0 and obj["count"] == 1
    idn = obj["students"][0]["身份证件号"]
    assert "*" in idn
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "student", "list", user="admin", password=PW)
    assert obj["count"] == 2 and all("*" not in v for s in obj["students"] for k, v in s.items()
                                     if k.endswith("身份证件号") and isinstance(v, str))
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "student", "show", "2", **li)
    assert rc == 1 and err(obj) == "forbidden"
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "student", "edit", "1", "--set", "姓名=改名", **li)
    assert rc == 1 and err(obj) == "forbidden"
    for argv in (("backup",), ("audit", "verify"), ("account", "list"), ("deadlines",)):
        rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", *argv, **li)
        assert rc == 1 and err(obj) == "forbidden", argv
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "account", "disable", "li", user="admin", password=PW)
    assert rc == 0 and not obj["account"]["active"]
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "student", "list", **li)
    assert err(obj) == "account_disabled"


def test_recovery_on_the_command_line(capsys, monkeypatch, arch):
    old = (arch.parent / "recovery.txt").read_text(encoding="utf-8")
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "account", "recover", "admin",
                  code="WRONG-CODE0-00000-00000", new_password="fresh pw 99")
    assert rc == 1 and err(obj) == "auth_failed"
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "account", "recover", "admin",
                  code=old, new_password="fresh pw 99")
    assert rc == 0 and obj["recovery_code"] != old
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "class", "list", user="admin", password="fresh pw 99")
    assert rc == 0


def test_setup_needs_a_new_password_and_refuses_twice(capsys, monkeypatch, tmp_path, arch):
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "account", "setup", "again", new_password="other pw 1")
    assert rc == 1 and err(obj) == "accounts_exist"
    b = tmp_path / "b"
    run(capsys, monkeypatch, "--archive", b, "--json", "init", "--school-name", "乙校", "--school-code", SCHOOL_CODE,
        "--stages", "primary")
    rc, obj = run(capsys, monkeypatch, "--archive", b, "--json", "account", "whoami")
    assert rc == 0 and obj["account"] is None and obj["accounts"] is False and obj["role"] == "registrar"
    rc, obj = run(capsys, monkeypatch, "--archive", b, "--json", "account", "add", "x", "--role", "approver",
                  new_password="approver pw 1")
    assert rc == 1 and err(obj) == "no_accounts"
    monkeypatch.setattr("sys.stdin", open("/dev/null"))
    rc, obj = run(capsys, monkeypatch, "--archive", b, "--json", "account", "setup", "admin")
    assert rc == 2 and err(obj) == "usage"
    rc, obj = run(capsys, monkeypatch, "--archive", b, "--json", "account", "setup", "admin", new_password="short")
    assert rc == 1 and err(obj) == "weak_password"
    rc, obj = run(capsys, monkeypatch, "--archive", b, "--json", "account", "setup", "admin", new_password="good pw 12")
    assert rc == 0 and obj["recovery_code"]


def test_every_command_has_a_known_permission():
    table = build().handlers
    with open(resources_dir() / "security" / "commands.toml", "rb") as fh:
        data = tomllib.load(fh)
    listed = set(data["commands"]) | set(data["no_sign_in"]["commands"])
    assert listed <= set(table), listed - set(table)  # no stale names
    perms = all_permissions() | {""}
    assert set(data["commands"].values()) <= perms
    for key in table:
        p = command_permission(key)
        assert p is None or p in perms, key
    # a command that is not listed needs "write": nothing new slips through unguarded
    assert command_permission("student_edit") == "write"


def test_restore_over_an_archive_with_accounts_needs_a_registrar(capsys, monkeypatch, tmp_path, arch):
    bdir = tmp_path / "backups"
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "backup", "--to", bdir, user="admin", password=PW)
    assert rc == 0, obj
    path = obj.get("path") or obj.get("backup", {}).get("path")
    assert path
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "restore", path, "--yes")
    assert rc == 1 and err(obj) == "auth_required"
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "account", "add", "zhang", "--role", "approver",
                  user="admin", password=PW, new_password="approver pw 1")
    run(capsys, monkeypatch, "--archive", arch, "--json", "account", "passwd", user="zhang", password="approver pw 1",
        new_password="approver pw 2")
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "restore", path, "--yes", user="zhang",
                  password="approver pw 2")
    assert rc == 1 and err(obj) == "forbidden"
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "restore", path, "--yes", user="admin", password=PW)
    assert rc == 0, obj
    fresh = tmp_path / "fresh"  # restoring into an empty folder asks no one (there is no one to ask)
    rc, obj = run(capsys, monkeypatch, "--archive", fresh, "--json", "restore", path, "--yes")
    assert rc == 0, obj


def test_audit_list_filters_by_actor_category_and_text(capsys, monkeypatch, arch):
    reg = dict(user="admin", password=PW)
    run(capsys, monkeypatch, "--archive", arch, "--json", "class", "list", user="admin", password="wrong!")
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "audit", "list", "--category", "sign", **reg)
    assert rc == 0 and obj["count"] >= 3
    assert {e["action"] for e in obj["entries"]} <= {"signin", "signin.failed", "signout", "lock", "unlock",
                                                    "account.locked"}
    assert any(e["action"] == "signin.failed" for e in obj["entries"])
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "audit", "list", "--actor", "admin",
                  "--category", "sign", "--limit", "2", **reg)
    assert rc == 0 and obj["count"] == 2 and all(e["actor"] == "admin" for e in obj["entries"])
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "audit", "list", "--text", "学生一", **reg)
    assert rc == 0 and obj["count"] >= 1
    rc, obj = run(capsys, monkeypatch, "--archive", arch, "--json", "audit", "list", "--kind", "view",
                  "--category", "sign", **reg)
    assert rc == 2 and err(obj) == "usage"


def test_init_with_a_weak_registrar_password_creates_nothing(capsys, monkeypatch, tmp_path):
    a = tmp_path / "weak"
    rc, obj = run(capsys, monkeypatch, "--archive", a, "--json", "init", "--school-name", "丙校", "--school-code",
                  SCHOOL_CODE, "--stages", "primary", "--registrar-user", "admin", new_password="123")
    assert rc == 1 and err(obj) == "weak_password"
    assert not (a / "archive.sqlite").exists()
