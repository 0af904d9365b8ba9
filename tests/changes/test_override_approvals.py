"""A 校领导 countersigns BLOCK* overrides in their own account (the 校领导 role approves overrides, resources/security/roles.toml):
once, never their own, a rejection with a reason, each decision in the audit log."""
from __future__ import annotations

import sqlite3

import pytest

from app.accounts import service as accounts
from app.audit import log as audit
from app.changes import overrides as O
from app.core.errors import Forbidden, Refused
from app.core.session import Session
from app.students.service import Override
from tests.helpers import add, make_id, new_class, new_school

GUARDIAN = {"seq": 1, "name": "李父", "relation": "父亲", "id_number": make_id("19880101", 50)}
NO_ID = dict(id_type="其他", gender="男", birth_date="20180505")


def no_id_student(s, c, name):
    ov = Override("户口未落，先行入学", "王校长", ["派出所无户籍说明", "父亲户口本"])
    res = add(s, c, name, members=[GUARDIAN], overrides={"NOID.REGISTRATION.ZK": ov}, **NO_ID)
    assert res.overridden
    return res


@pytest.fixture
def arch(tmp_path):
    """A 周口 school with one student saved without an ID number under a BLOCK* override."""
    s = new_school(tmp_path, profile="henan-zhoukou", stages="primary")
    c = new_class(s, 1, 1)
    no_id_student(s, c, "无证一")
    accounts.setup_first_registrar(s, "admin", "registrar pw 1")
    accounts.add_account(s, "wang", "approver pw 1", "approver", display_name="王校长", must_change=False)
    accounts.add_account(s, "li", "teacher pw 1", "head_teacher", class_ids=[c], must_change=False)
    folder = s.folder
    s.close()
    return folder


def signed(folder, user, pw) -> Session:
    s = Session.open(folder)
    accounts.sign_in(s, user, pw)
    return s


def test_the_approver_countersigns_once(arch):
    with signed(arch, "wang", "approver pw 1") as s:
        pending = O.list_overrides(s, state="pending")
        assert pending and all(o["approved_by"] == "王校长" for o in pending)
        fid = pending[0]["id"]
        with pytest.raises(Refused) as ei:
            O.decide(s, fid, "rejected")
        assert ei.value.findings[0].code == "note_required"
        o = O.decide(s, fid, "approved", "同意，补齐户籍证明后归档")
        assert o["state"] == "approved" and o["countersigned_by"] == "wang" and o["countersigned_name"] == "王校长"
        with pytest.raises(Refused) as ei:
            O.decide(s, fid, "rejected", "改主意")
        assert ei.value.findings[0].code == "already_decided"
        e = [x for x in audit.list_entries(s, limit=20) if x["action"] == "override.approved"]
        assert len(e) == 1 and e[0]["actor"] == "wang" and e[0]["student_id"] == o["student_id"]
        assert audit.verify(s).ok


def test_nobody_countersigns_their_own_override_and_head_teachers_cannot(arch):
    with signed(arch, "admin", "registrar pw 1") as s:
        fid = O.list_overrides(s)[0]["id"]
        # the override was made before accounts, by the OS user "tester": the registrar may countersign it
        assert O.decide(s, fid, "rejected", "缺派出所证明，请补办")["state"] == "rejected"
    with signed(arch, "li", "teacher pw 1") as s:
        with pytest.raises(Forbidden):
            O.list_overrides(s)
    with signed(arch, "admin", "registrar pw 1") as s:
        # a new override made by admin: admin may not approve it
        c = s.conn.execute("SELECT id FROM classes").fetchone()[0]
        no_id_student(s, c, "无证二")
        mine = [o for o in O.list_overrides(s, state="pending") if o["decided_by"] == "admin"]
        assert mine
        with pytest.raises(Refused) as ei:
            O.decide(s, mine[0]["id"], "approved")
        assert ei.value.findings[0].code == "own_override"


def test_decisions_cannot_be_edited_outside(arch):
    with signed(arch, "wang", "approver pw 1") as s:
        O.decide(s, O.list_overrides(s)[0]["id"], "approved")
    raw = sqlite3.connect(arch / "archive.sqlite")
    with pytest.raises(sqlite3.IntegrityError):
        raw.execute("UPDATE override_decisions SET decision = 'rejected'")
    raw.close()


def test_cli_override_list_and_approve(arch, capsys, monkeypatch):
    import json

    from app.cli import main

    monkeypatch.setenv("XUEJI_USER", "wang")
    monkeypatch.setenv("XUEJI_PASSWORD", "approver pw 1")
    capsys.readouterr()
    assert main(["--archive", str(arch), "--json", "override", "list", "--state", "pending"]) == 0
    obj = json.loads(capsys.readouterr().out)
    fid = obj["overrides"][0]["id"]
    assert main(["--archive", str(arch), "--json", "override", "approve", str(fid), "--note", "同意"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["override"]["state"] == "approved"
    assert main(["--archive", str(arch), "--json", "override", "reject", str(fid)]) == 2
    capsys.readouterr()
    monkeypatch.setenv("XUEJI_USER", "li")
    monkeypatch.setenv("XUEJI_PASSWORD", "teacher pw 1")
    assert main(["--archive", str(arch), "--json", "override", "approve", str(fid)]) == 1
    assert json.loads(capsys.readouterr().out)["errors"][0]["code"] == "forbidden"
