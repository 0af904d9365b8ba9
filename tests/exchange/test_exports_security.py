"""Exports and the confidentiality of student data (国家 第二十五条): written export approvals
(append-only, audited, revocable), the purpose of every export (national / internal / external) with ID
numbers masked by role and purpose, and formula neutralising in every spreadsheet Xueji writes (export →
import lossless). Real archives in tmp_path, real .xls/.xlsx files written and read back with openpyxl,
xlrd and calamine."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
import zipfile

import openpyxl
import pytest
import xlrd
from python_calamine import CalamineWorkbook

from app.accounts import service as accounts
from app.audit import log as audit
from app.exchange import approvals as E
from app.cli import main
from app.core.errors import Forbidden, Refused
from app.exchange.export_service import export_students
from app.exchange.import_service import import_students
from app.exchange import sheet_writer as W
from app.exchange import template_io as T
from app.exchange.neutralise import safe_cell, unneutralise
from app.core.masking import mask_id
from app.core.session import Session
from tests.helpers import add, birth_for_grade, make_id, new_class, new_school

PW = "correct horse 7"
TRICKY = ['=HYPERLINK("http://x","y")', "+86 138 0000 0000", "-", "@foo", "=1+1", "\t=cmd", "\r=x",
          "'=already quoted", "''", "'", "'plain", "plain", "", "-3", "中文=", "=SUM(A1:A2)"]
STUDENT_ID = make_id(birth_for_grade(3, 1), 21, "1")
FATHER_ID = make_id("19880101", 50)
ARTICLE = "国家 第二十五条"


@pytest.fixture
def school(tmp_path):
    s = new_school(tmp_path, stages="primary")
    k = new_class(s, 3, 1, code="3000001")
    sid = add(s, k, "张三", STUDENT_ID,
              members=[{"seq": 1, "name": "张父", "relation": "父亲", "id_number": FATHER_ID}],
              current_address='=HYPERLINK("http://x","y")', mailing_address="+86 138 0000 0000",
              home_address="-", specialty="@foo", homepage="'=already").id
    s.ids = {"k": k, "s": sid}
    yield s
    s.close()


def codes(exc) -> list[str]:
    return [f.code for f in exc.value.findings]


def exports(session) -> list[dict]:
    return [e for e in audit.list_entries(session, kind="export", limit=100)]


def sheet_dict(path) -> list[dict]:
    sheet = T.read_workbook(path)[0]
    return [dict(zip(sheet.headers, cells)) for _, cells in sheet.rows]


def as_role(session, role: str, user: str, display: str = "") -> Session:
    """``session``'s archive reopened and signed in as a new account of ``role`` (the first call sets up a
    registrar)."""
    if not accounts.has_accounts(session):
        accounts.setup_first_registrar(session, "admin", PW, "王校长助理")
    else:
        accounts.sign_in(session, "admin", PW)
    accounts.add_account(session, user, PW + user, role, display_name=display,
                         class_ids=[session.ids["k"]] if role == "head_teacher" else (), must_change=False)
    folder, ids = session.folder, session.ids
    session.close()
    s = Session.open(folder)
    accounts.sign_in(s, user, PW + user)
    s.ids = ids
    return s


# ------------------------------------------------------------------ formula neutralising
def test_safe_cell_and_its_inverse_are_lossless():
    for v in TRICKY:
        out = safe_cell(v)
        assert unneutralise(out) == v, v
        if v and v[0] in "=+-@\t\r":
            assert out == "'" + v
    assert safe_cell("plain") == "plain" and safe_cell("'plain") == "'plain" and safe_cell(None) is None
    assert safe_cell(5) == 5 and unneutralise("'x") == "'x" and unneutralise("'") == "'"


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_written_sheets_hold_no_formula_and_read_back_unchanged(tmp_path, suffix):
    from app.students import fields as F

    headers = F.template_columns()[:4]
    rows = [[v, "x", v, ""] for v in TRICKY]
    path = tmp_path / f"t{suffix}"
    assert W.write_workbook(path, headers, rows) == len(rows)
    expected = [safe_cell(v) for v in TRICKY]
    if suffix == ".xlsx":
        ws = openpyxl.load_workbook(path).active
        got = []
        for r in range(2, len(rows) + 2):
            c = ws.cell(r, 1)
            if c.value is not None:
                assert c.data_type == "s", (c.value, c.data_type)
            got.append(c.value or "")
        dangerous = [g for g in got if g and g[0] in "=+-@"]
        assert dangerous == []
        for v, g in zip(TRICKY, got):
            if v and v[0] in "=+-@":
                assert g.startswith("'") and g == "'" + v
        assert got == expected
        cal = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        assert [r[0] for r in cal[1:]] == expected
    else:
        sh = xlrd.open_workbook(str(path)).sheet_by_index(0)
        assert [sh.cell_value(r, 0) for r in range(1, sh.nrows)] == expected
        assert all(sh.cell_type(r, 0) in (xlrd.XL_CELL_TEXT, xlrd.XL_CELL_EMPTY) for r in range(1, sh.nrows))
    # our importer takes the mark off again: the exact texts come back
    sheet = T.read_workbook(path)[0]
    back = {r: cells for r, cells in sheet.rows}  # (a row whose cells are all blank is not a row)
    assert {r: (c[0], c[2]) for r, c in back.items()} == {i + 2: (v, v) for i, v in enumerate(TRICKY)}


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_student_export_then_import_is_lossless(school, tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    export_students(school, path)
    wb_rows = sheet_dict(path)
    assert wb_rows[0]["现住址"] == '=HYPERLINK("http://x","y")'  # read back through our importer
    if suffix == ".xlsx":
        ws = openpyxl.load_workbook(path).active
        col = [c.value for c in ws[1]].index("现住址") + 1
        cell = ws.cell(2, col)
        assert cell.data_type == "s" and cell.value == '\'=HYPERLINK("http://x","y")'
    other = new_school(tmp_path, stages="primary", sub="other")
    new_class(other, 3, 1, code="3000001")
    rep = import_students(other, path)
    assert rep.imported == 1, rep
    sql = "SELECT current_address, mailing_address, home_address, specialty, homepage FROM students"
    got = tuple(other.conn.execute(sql).fetchone())
    assert got == tuple(school.conn.execute(sql).fetchone())
    assert got[:4] == ('=HYPERLINK("http://x","y")', "+86 138 0000 0000", "-", "@foo")
    other.close()


# ------------------------------------------------------------------ approvals
def test_approvals_add_check_revoke_and_stay_append_only(school):
    a = E.add(school, reference="教学籍〔2026〕12号", recipient="区卫健委", purpose="疫苗接种核对",
              approved_by="李局长", approved_on="2026-03-01")
    assert a["valid_until"] == "2026-03-31" and a["recorded_by"] == "tester" and not a["allow_full_id"]
    today = dt.date(2026, 3, 15)
    assert E.check(school, "教学籍〔2026〕12号", today=today)["id"] == a["id"]
    assert E.check(school, str(a["id"]), today=today)["id"] == a["id"]
    with pytest.raises(Refused) as ei:
        E.check(school, "教学籍〔2026〕12号", today=dt.date(2026, 4, 1))
    assert codes(ei) == ["approval_expired"] and ei.value.findings[0].article == ARTICLE
    with pytest.raises(Refused) as ei:
        E.check(school, "no such", today=today)
    assert codes(ei) == ["approval_unknown"] and ei.value.findings[0].article == ARTICLE
    # an expired approval's reference may be recorded again (a renewed approval); a valid one may not
    again = E.add(school, reference="教学籍〔2026〕12号", recipient="区卫健委", purpose="疫苗接种核对",
                  approved_by="李局长", approved_on=dt.date.today() - dt.timedelta(days=40))
    assert again["state"] == "expired"
    b = E.add(school, reference="R-2", recipient="区教育局", purpose="核对", approved_by="李局长", allow_full_id=True)
    assert b["state"] == "valid" and b["allow_full_id"]
    with pytest.raises(Refused) as ei:
        E.add(school, reference="R-2", recipient="x", purpose="y", approved_by="z")
    assert codes(ei) == ["approval_duplicate"]
    r = E.revoke(school, b["id"], "用途已完成")
    assert r["state"] == "revoked" and r["revoke_reason"] == "用途已完成"
    with pytest.raises(Refused) as ei:
        E.check(school, "R-2")
    assert codes(ei) == ["approval_revoked"] and "用途已完成" in ei.value.findings[0].message
    with pytest.raises(Refused) as ei:
        E.revoke(school, b["id"], "again")
    assert codes(ei) == ["approval_revoked"]
    assert [x["id"] for x in E.list_approvals(school, include_all=True)] == [b["id"], again["id"], a["id"]]
    assert all(x["id"] != b["id"] for x in E.list_approvals(school))
    # required fields, dates
    for kw, code in ((dict(reference=" "), "approval_field_required"), (dict(recipient=""), "approval_field_required"),
                     (dict(approved_by=""), "approval_field_required"), (dict(approved_on="2026-13-01"), "approval_bad_date"),
                     (dict(approved_on="2099-01-01"), "approval_bad_date"),
                     (dict(approved_on="2026-03-01", valid_until="2026-02-01"), "approval_bad_range")):
        base = dict(reference="R-9", recipient="r", purpose="p", approved_by="b")
        with pytest.raises(Refused) as ei:
            E.add(school, **dict(base, **kw))
        assert codes(ei) == [code], kw
    # append-only in the database itself, and every row in the audit chain
    with pytest.raises(sqlite3.DatabaseError):
        school.conn.execute("UPDATE export_approvals SET valid_until = '2099-12-31'")
    with pytest.raises(sqlite3.DatabaseError):
        school.conn.execute("DELETE FROM export_approval_revocations")
    with pytest.raises(sqlite3.DatabaseError):
        school.conn.execute("DELETE FROM export_approvals")
    acts = [e["action"] for e in audit.list_entries(school, limit=100)]
    assert acts.count("export-approval.add") == 3 and acts.count("export-approval.revoke") == 1
    rev = next(e for e in audit.list_entries(school, limit=100) if e["action"] == "export-approval.revoke")
    assert rev["detail"]["reference"] == "R-2" and rev["entity_id"] == b["id"]
    assert audit.verify(school).ok


# ------------------------------------------------------------------ purposes and masking
def test_purposes_mask_ids_and_each_export_is_audited(school, tmp_path):
    masked_s, masked_f = mask_id(STUDENT_ID), mask_id(FATHER_ID)
    national = sheet_dict(export_students(school, tmp_path / "n.xlsx").path)[0]
    assert national["身份证件号"] == STUDENT_ID and FATHER_ID in national.values()
    internal = export_students(school, tmp_path / "i.xls", purpose="internal")
    assert internal.masked and internal.purpose == "internal"
    row = sheet_dict(tmp_path / "i.xls")[0]
    assert row["身份证件号"] == masked_s and masked_f in row.values() and FATHER_ID not in row.values()
    raw = b"".join(open(tmp_path / "i.xls", "rb").read().split(b"\x00"))
    assert STUDENT_ID.encode() not in raw and FATHER_ID.encode() not in raw
    with pytest.raises(Refused) as ei:
        export_students(school, tmp_path / "e.xlsx", purpose="external")
    assert codes(ei) == ["approval_required"] and ei.value.findings[0].article == ARTICLE
    assert not (tmp_path / "e.xlsx").exists()
    with pytest.raises(Refused) as ei:
        export_students(school, tmp_path / "e.xlsx", purpose="national", approval="R-1")
    assert codes(ei) == ["approval_not_for_purpose"]
    with pytest.raises(Refused) as ei:
        export_students(school, tmp_path / "e.xlsx", purpose="abroad")
    assert codes(ei) == ["bad_purpose"]
    a = E.add(school, reference="R-1", recipient="区卫健委", purpose="体检", approved_by="李局长")
    ext = export_students(school, tmp_path / "e.xlsx", purpose="external", approval="R-1")
    assert ext.masked and sheet_dict(tmp_path / "e.xlsx")[0]["身份证件号"] == masked_s
    full = E.add(school, reference="R-F", recipient="区教育局", purpose="核对", approved_by="李局长", allow_full_id=True)
    ext2 = export_students(school, tmp_path / "f.xlsx", purpose="external", approval=full["id"])
    assert not ext2.masked and sheet_dict(tmp_path / "f.xlsx")[0]["身份证件号"] == STUDENT_ID
    E.revoke(school, a["id"], "撤回")
    with pytest.raises(Refused) as ei:
        export_students(school, tmp_path / "g.xlsx", purpose="external", approval="R-1")
    assert codes(ei) == ["approval_revoked"] and not (tmp_path / "g.xlsx").exists()
    got = [(e["detail"]["purpose"], e["detail"]["approval_reference"], e["detail"]["masked"], e["detail"]["count"],
            e["detail"]["kind"]) for e in reversed(exports(school))]
    assert got == [("national", None, False, 1, "template"), ("internal", None, True, 1, "template"),
                   ("external", "R-1", True, 1, "template"), ("external", "R-F", False, 1, "template")]
    assert exports(school)[0]["detail"]["approval_id"] == full["id"]


def test_roles_decide_purposes_and_who_records_approvals(school, tmp_path):
    s = as_role(school, "approver", "zhang", "张校长")
    assert E.available_purposes(s) == ["internal"]
    with pytest.raises(Forbidden):
        export_students(s, tmp_path / "n.xlsx")  # the national template (full ID numbers) is not theirs
    with pytest.raises(Forbidden):
        export_students(s, tmp_path / "x.xlsx", purpose="external", approval="R")
    r = export_students(s, tmp_path / "i.xlsx", purpose="internal")
    assert r.masked and sheet_dict(tmp_path / "i.xlsx")[0]["身份证件号"] == mask_id(STUDENT_ID)
    a = E.add(s, reference="R-A", recipient="派出所", purpose="户籍核对", approved_by="区教育局 李局长")
    assert a["approved_by"] == "区教育局 李局长" and a["recorded_by"] == s.user  # who signed the paper
    b = E.add(s, reference="R-B", recipient="派出所", purpose="户籍核对")
    assert b["approved_by"] == "张校长"  # nobody named: the 校领导 signs for the school
    with pytest.raises(Forbidden):  # photo package and reconciliation export are national
        __import__("app.photos.service", fromlist=["x"]).export_photos(s, tmp_path / "photos")
    with pytest.raises(Forbidden):
        __import__("app.paper.reconcile", fromlist=["x"]).export_changes_since_last(s, tmp_path / "c.xlsx")
    s.close()
    s = Session.open(school.folder)
    accounts.sign_in(s, "admin", PW)
    s.ids = school.ids
    t = as_role(s, "head_teacher", "li")
    assert E.available_purposes(t) == []
    with pytest.raises(Forbidden):
        export_students(t, tmp_path / "t.xlsx", purpose="internal")
    with pytest.raises(Forbidden):
        E.add(t, reference="R-T", recipient="x", purpose="y", approved_by="z")
    with pytest.raises(Forbidden):
        E.list_approvals(t)
    t.close()


def test_national_side_exports_are_audited_and_discrepancies_carry_no_id(school, tmp_path):
    from app.paper import discrepancies as paper_discrepancies
    from app.photos import service as photo_service

    from tests.photos.test_photos_service import jpeg, portrait

    photo_service.set_photo(school, school.ids["s"], jpeg(portrait()))
    rep = photo_service.export_photos(school, tmp_path / "photos")
    assert rep.count == 1
    with zipfile.ZipFile(rep.zips[0]) as zf:
        assert zf.namelist() == [f"{STUDENT_ID}.jpg"]
    d = paper_discrepancies.export_discrepancies(school, tmp_path / "d.xlsx")
    cal = CalamineWorkbook.from_path(str(tmp_path / "d.xlsx")).get_sheet_by_index(0).to_python()
    assert all(STUDENT_ID not in str(v) for row in cal for v in row)
    kinds = [(e["detail"]["kind"], e["detail"]["purpose"], e["detail"]["masked"]) for e in reversed(exports(school))]
    assert kinds == [("photos", "national", False), ("discrepancies", "internal", True)]
    assert d["count"] == exports(school)[0]["detail"]["count"]


# ------------------------------------------------------------------ command line
def run(capsys, *argv):
    capsys.readouterr()
    rc = main([str(a) for a in argv])
    out = capsys.readouterr().out
    return rc, json.loads([x for x in out.splitlines() if x.strip()][-1])


def test_cli_export_approval_and_student_export_purposes(school, tmp_path, capsys):
    folder = school.folder
    school.close()
    A = ("--archive", folder, "--json")
    rc, obj = run(capsys, *A, "export-approval", "add", "--reference", "教学籍〔2026〕7号", "--recipient", "区卫健委",
                  "--purpose", "体检", "--approved-by", "李局长")
    assert rc == 0 and obj["approval"]["reference"] == "教学籍〔2026〕7号" and obj["approval"]["state"] == "valid"
    aid = obj["approval"]["id"]
    rc, obj = run(capsys, *A, "export-approval", "list")
    assert rc == 0 and obj["count"] == 1 and obj["approvals"][0]["id"] == aid
    rc, obj = run(capsys, *A, "student", "export", tmp_path / "x.xlsx", "--purpose", "external")
    assert rc == 1 and obj["errors"][0]["code"] == "approval_required" and obj["errors"][0]["article"] == ARTICLE
    rc, obj = run(capsys, *A, "student", "export", tmp_path / "x.xlsx", "--purpose", "external",
                  "--approval", "教学籍〔2026〕7号")
    assert rc == 0 and obj["purpose"] == "external" and obj["masked"] is True
    assert obj["approval"] == {"id": aid, "reference": "教学籍〔2026〕7号"} and obj["count"] == 1
    rc, obj = run(capsys, *A, "student", "export", tmp_path / "n.xls")  # unchanged: national, full IDs
    assert rc == 0 and obj["purpose"] == "national" and obj["masked"] is False and obj["approval"] is None
    assert sheet_dict(tmp_path / "n.xls")[0]["身份证件号"] == STUDENT_ID
    rc, obj = run(capsys, *A, "export-approval", "revoke", aid, "--reason", "已完成")
    assert rc == 0 and obj["approval"]["state"] == "revoked"
    rc, obj = run(capsys, *A, "export-approval", "list")
    assert obj["count"] == 0
    rc, obj = run(capsys, *A, "export-approval", "list", "--all")
    assert obj["count"] == 1 and obj["approvals"][0]["revoke_reason"] == "已完成"
    rc, obj = run(capsys, *A, "student", "export", tmp_path / "y.xlsx", "--purpose", "external", "--approval", aid)
    assert rc == 1 and obj["errors"][0]["code"] == "approval_revoked"
    rc, obj = run(capsys, *A, "export-approval", "add", "--reference", "R", "--recipient", "x", "--purpose", "y")
    assert rc == 1 and obj["errors"][0]["code"] == "approval_field_required"  # a registrar names the approver


# ------------------------------------------------------------------ the window's question
def test_export_dialog_offers_only_the_roles_purposes_and_valid_approvals(school, qtbot, monkeypatch):
    from ui.exchange import export_dialog as D
    from ui.common import messages

    a = E.add(school, reference="R-1", recipient="区卫健委", purpose="体检", approved_by="李局长", allow_full_id=True)
    old = E.add(school, reference="R-0", recipient="x", purpose="y", approved_by="z",
                approved_on=dt.date.today() - dt.timedelta(days=60))
    dlg = D.ExportPurposeDialog(school)
    qtbot.addWidget(dlg)
    assert list(dlg.buttons) == ["national", "internal", "external"]
    assert dlg.result_value() == ("national", None) and not dlg.approval.isEnabled()
    dlg.buttons["external"].setChecked(True)
    assert dlg.approval.isEnabled() and dlg.approval.count() == 1  # the expired one is not offered
    assert dlg.result_value() == ("external", dlg.approvals[0]) and dlg.approvals[0]["id"] == a["id"] != old["id"]
    assert "R-1" in dlg.approval.itemText(0)
    E.revoke(school, a["id"], "done")
    dlg2 = D.ExportPurposeDialog(school)
    qtbot.addWidget(dlg2)
    dlg2.buttons["external"].setChecked(True)
    assert dlg2.result_value() is None and not dlg2.box.button(dlg2.box.StandardButton.Ok).isEnabled()
    assert not dlg2.no_approval.isHidden()

    s = as_role(school, "approver", "zhang", "张校长")
    dlg3 = D.ExportPurposeDialog(s)
    qtbot.addWidget(dlg3)
    assert list(dlg3.buttons) == ["internal"] and dlg3.result_value() == ("internal", None)
    s.close()
    s = Session.open(school.folder)
    accounts.sign_in(s, "admin", PW)
    s.ids = school.ids
    t = as_role(s, "head_teacher", "li")
    shown = []
    monkeypatch.setattr(messages, "error", lambda parent, text, **kw: shown.append(text))
    assert D.ask_export_purpose(None, t) is None and len(shown) == 1
    t.close()


def test_refusals_cite_the_article_of_the_schools_profile(tmp_path):
    from tests.helpers import new_school

    for profile, art in (("henan-zhoukou", "周口 第二十八条"), ("shanxi-changzhi", "长治 第四十四条"),
                         ("liaoning", "辽宁 第二十八条"), ("national", "国家 第二十五条")):
        s = new_school(tmp_path, profile=profile, stages="primary", sub=profile)
        with pytest.raises(Refused) as ei:
            E.check(s, "no-such-approval")
        assert ei.value.findings[0].article == art and E.article(s) == art
        s.close()
