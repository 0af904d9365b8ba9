"""Reconciliation with a roster exported from the national system: the fixture (one difference of each
kind) finds exactly those; lines are resolved append-only; the changes since the last run export in the
national template; the CLI's shapes and exit codes. Real archives in tmp_path, real .xls files."""
from __future__ import annotations

import json
import sqlite3

import pytest

from app.paper import reconcile as R
from app.cli import main
from app.core.errors import Refused
from app.exchange import sheet_writer as W
from app.exchange import template_io as T
from app.core.session import Session
from app.students.service import edit_student
from tests import reconcile_fixture as RF
from tests.helpers import new_school, refused


@pytest.fixture
def school(tmp_path):
    s = new_school(tmp_path)
    ids = RF.build_archive(s)
    yield s, ids
    s.close()


def _keys(rep):
    return {(ln.kind, ln.name, ln.field) for ln in rep.lines}


def test_committed_fixture_is_what_the_script_writes(tmp_path):
    fresh = RF.write(tmp_path / "fresh.xls")
    assert [s.rows for s in T.read_workbook(fresh)] == [s.rows for s in T.read_workbook(RF.FIXTURE)]
    sheet = T.read_workbook(RF.FIXTURE)[0]
    assert sheet.header_row == 3  # two title rows skipped


def test_fixture_finds_exactly_each_kind_of_difference(school):
    s, ids = school
    rep = R.reconcile(s, RF.FIXTURE)
    assert _keys(rep) == RF.EXPECTED
    assert rep.counts == {"only_xueji": 1, "only_national": 1, "field": 7}
    assert rep.national_rows == 10 and rep.matched == 9
    by = {(ln.name, ln.field): ln for ln in rep.lines}
    assert by[("王二", "name")].xueji_value == "王二" and by[("王二", "name")].national_value == "王贰"
    assert by[("钱五", "gender")].xueji_value == "男" and by[("钱五", "gender")].national_value == "女"
    assert by[("周七", "status")].national_value == "休学"
    assert by[("吴八", "xueji_no")].matched_by == "id_number"  # no 学籍号 in Xueji: found by ID number
    assert by[("王二", "name")].matched_by == "xueji_no"
    assert by[("郑九", "")].student_id == ids["only_xueji"]
    assert all(ln.suggestion_text and ln.action is None for ln in rep.lines)
    assert (rep.rule, rep.article) == ("REVIEW.EACH_SEMESTER", "国家 第二十四条")


def test_zhoukou_cites_its_headcount_article(tmp_path):
    s = new_school(tmp_path, profile="henan-zhoukou")
    with s:
        RF.build_archive(s)
        rep = R.reconcile(s, RF.FIXTURE)
        assert _keys(rep) == RF.EXPECTED and (rep.rule, rep.article) == ("GEN.HEADCOUNT_EQ_SYSTEM.ZK", "周口 第三条")


def test_name_and_birth_date_match_when_the_roster_has_no_numbers(school):
    s, ids = school
    rep = R.reconcile(s, RF.FIXTURE)
    # 陈十一's row has neither 学籍号 nor ID number: matched by name + birth date, hence no line for her
    assert not [ln for ln in rep.lines if ln.student_id == ids["name_birth"]]
    assert not [ln for ln in rep.lines if ln.name == "陈十一"]


def test_a_clean_roster_finds_nothing(school, tmp_path):
    s, _ = school
    # the archive's own export (the national template) read back as a roster: nothing differs
    from app.exchange.export_service import export_students

    export_students(s, tmp_path / "own.xls")
    rep = R.reconcile(s, tmp_path / "own.xls")
    assert rep.lines == [] and rep.matched == 10


def test_report_survives_reopening_and_resolutions_are_append_only(tmp_path):
    s = new_school(tmp_path)
    RF.build_archive(s)
    rep = R.reconcile(s, RF.FIXTURE)
    line = next(ln for ln in rep.lines if ln.field == "class_code")
    folder = s.folder
    s.close()
    with Session.open(folder) as s2:
        again = R.report(s2)
        assert again.run_id == rep.run_id and _keys(again) == RF.EXPECTED
        done = R.resolve_line(s2, rep.run_id, line.id, "fixed_national", "国家系统已调班")
        assert done.action == "fixed_national" and done.note == "国家系统已调班" and done.resolved_by
        R.resolve_line(s2, rep.run_id, line.id, "accepted", "分班以学校为准")
        assert R.report(s2).lines[[ln.id for ln in again.lines].index(line.id)].action == "accepted"
        assert [r["action"] for r in R.resolutions(s2, line.id)] == ["fixed_national", "accepted"]
        assert len(R.report(s2).open_lines) == len(RF.EXPECTED) - 1
        with pytest.raises(sqlite3.DatabaseError):
            s2.conn.execute("DELETE FROM reconcile_resolutions")
        with pytest.raises(sqlite3.DatabaseError):
            s2.conn.execute("UPDATE reconcile_lines SET national_value = ''")


def test_resolving_refuses_bad_actions_and_missing_notes(school):
    s, _ = school
    rep = R.reconcile(s, RF.FIXTURE)
    ln = rep.lines[0]
    f = refused(R.resolve_line, s, rep.run_id, ln.id, "shrug", "")
    assert f[0].code == "reconcile_bad_action"
    f = refused(R.resolve_line, s, rep.run_id, ln.id, "accepted", "  ")
    assert f[0].code == "reconcile_note_required"
    assert R.resolutions(s, ln.id) == []


def test_export_changes_since_last_reconciliation(school, tmp_path):
    s, ids = school
    assert refused(R.export_changes_since_last, s, tmp_path / "none.xls")[0].code == "reconcile_none_yet"
    R.reconcile(s, RF.FIXTURE)
    edit_student(s, ids["same"], {"phone": "13800000000"})
    edit_student(s, ids["class"], {"phone": "13900000000"})
    ex = R.export_changes_since_last(s, tmp_path / "changes.xls")
    assert ex.count == 2 and sorted(ex.student_ids) == sorted([ids["same"], ids["class"]])
    rows = T.read_workbook(tmp_path / "changes.xls")[0]
    names = [r[rows.headers.index("姓名")] for _, r in rows.rows]
    assert sorted(names) == sorted(["张一", "孙六"])
    assert rows.headers == __import__("app.exchange.export_service", fromlist=["x"]).export_columns()
    # after the next reconciliation nothing has changed since
    R.reconcile(s, RF.FIXTURE)
    assert R.export_changes_since_last(s, tmp_path / "empty.xlsx").count == 0


def test_unreadable_file_is_refused_and_nothing_saved(school, tmp_path):
    s, _ = school
    bad = tmp_path / "roster.xls"
    bad.write_bytes(b"\x00\x01 not a workbook")
    with pytest.raises(Refused):
        R.reconcile(s, bad)
    assert R.runs(s) == []


def _cli(*argv, capsys):
    code = main(list(argv))
    return code, json.loads(capsys.readouterr().out)


def test_cli_shapes_and_exit_codes(school, tmp_path, capsys):
    s, _ = school
    folder = str(s.folder)
    s.close()
    code, out = _cli("--archive", folder, "--json", "reconcile", "show", capsys=capsys)
    assert code == 1 and out["errors"][0]["code"] == "not_found" and "比对" in out["errors"][0]["message"]
    code, out = _cli("--archive", folder, "--json", "reconcile", str(RF.FIXTURE), capsys=capsys)
    assert code == 0 and out["ok"] and out["counts"] == {"only_xueji": 1, "only_national": 1, "field": 7}
    run, line = out["run_id"], out["lines"][0]["id"]
    assert {"id", "kind", "kind_name", "student_id", "national_row", "field", "field_name", "xueji_value",
            "national_value", "matched_by", "suggestion", "suggestion_text", "action"} <= set(out["lines"][0])
    code, out = _cli("--archive", folder, "--json", "reconcile", "resolve", str(run), str(line), "nope", capsys=capsys)
    assert code == 1 and not out["ok"] and out["errors"][0]["code"] == "reconcile_bad_action"
    code, out = _cli("--archive", folder, "--json", "reconcile", "resolve", str(run), str(line), "fixed_xueji",
                     "--note", "已改", capsys=capsys)
    assert code == 0 and out["line"]["action"] == "fixed_xueji"
    code, out = _cli("--archive", folder, "--json", "reconcile", "show", capsys=capsys)
    assert code == 0 and out["run_id"] == run and out["open"] == 8
    code, out = _cli("--archive", folder, "--json", "reconcile", "export", str(tmp_path / "c.xls"), capsys=capsys)
    assert code == 0 and out["count"] == 0 and out["since_run_id"] == run
    code, out = _cli("--archive", folder, "--json", "reconcile", "resolve", "x", capsys=capsys)
    assert code == 2 and out["errors"][0]["code"] == "usage"
    code, out = _cli("--archive", folder, "--json", "reconcile", str(tmp_path / "missing.xls"), capsys=capsys)
    assert code == 1 and out["errors"][0]["code"] == "bad_file"


def test_the_same_roster_as_xlsx_and_with_class_names_finds_the_same(school, tmp_path):
    s, _ = school
    sheet = T.read_workbook(RF.FIXTURE)[0]
    cls = sheet.headers.index("班号")
    rows = []
    for _, cells in sheet.rows:
        cells = list(cells)
        # the other spelling a roster may use for the class: its name, half-width brackets
        cells[cls] = {"2025101": "一年级(1)班", "2025102": "一年级(2)班"}[cells[cls]]
        rows.append(cells)
    headers = list(sheet.headers)
    headers[cls] = "班级"
    W.write_workbook(tmp_path / "roster.xlsx", headers, rows)
    rep = R.reconcile(s, tmp_path / "roster.xlsx")
    assert _keys(rep) == RF.EXPECTED
    (ln,) = [ln for ln in rep.lines if ln.field == "class_code"]
    assert ln.national_value == "一年级(2)班"
