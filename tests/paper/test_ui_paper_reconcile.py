"""与国家系统核对 (ui/paper/reconcile_dialog.py) on a real archive and a generated .xlsx roster with a title row:
one student missing from the roster, one extra roster row, one name differing — the report lists exactly
those, a line resolved in the dialog is recorded (and leaves the 只看未处理 list), and the comparison
survives reopening the dialog."""
from __future__ import annotations

import openpyxl
import pytest

from app.students import service as ss
from ui.common import messages
from ui.paper.reconcile_dialog import ReconcileDialog
from ui.common.workers import wait
from tests.ui_fixtures import archive, shown  # noqa: F401  (pytest fixtures)


def roster(s, path, ids, *, rename: dict | None = None, extra=()):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["全国中小学生学籍信息管理系统 学生花名册"])          # a title row, skipped
    ws.append(["姓名", "身份证件号", "出生日期", "性别"])
    for sid in ids:
        st = ss.get_student(s, sid)
        name = (rename or {}).get(sid, st["name"])
        ws.append([name, st["id_number"], st["birth_date"], {"1": "男", "2": "女"}.get(st["gender"], "")])
    for row in extra:
        ws.append(list(row))
    wb.save(path)
    return path


def test_reconcile_dialog_runs_on_a_generated_xlsx(archive, qtbot, tmp_path, shown):
    s = archive
    a, b, c, d = s.test_ids
    path = roster(s, tmp_path / "国家系统花名册.xlsx", [a, b, c], rename={b: "改名字"},
                  extra=[("外校生", "110105201801010011", "20180101", "男")])
    dlg = ReconcileDialog(s)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.report is None and dlg.table.rowCount() == 0
    job = dlg.run_file(path)
    assert wait(job, 30000)
    qtbot.waitUntil(lambda: dlg.report is not None, timeout=5000)
    kinds = sorted((ln.kind, ln.student_id, ln.field) for ln in dlg.lines)
    assert kinds == sorted([("field", b, "name"), ("only_national", None, ""), ("only_xueji", d, "")])
    assert dlg.table.rowCount() == 3
    texts = [dlg.table.item(r, 1).text() for r in range(3)]
    assert "外校生" in texts
    assert not shown
    # resolve the name line: recorded, and 只看未处理 no longer lists it
    r = next(i for i, ln in enumerate(dlg.lines) if ln.kind == "field")
    assert dlg.resolve_row(r, "fixed_national", "已在国家系统改正姓名")
    dlg.open_only.setChecked(True)
    assert dlg.table.rowCount() == 2
    assert all(ln.kind != "field" for ln in dlg.lines)
    # a refused resolution (暂缓 needs a note) says so and records nothing
    assert not dlg.resolve_row(0, "deferred", "")
    assert shown and shown[-1][0] == "error"
    assert dlg.table.rowCount() == 2
    dlg.close()
    again = ReconcileDialog(s)
    qtbot.addWidget(again)
    assert again.report is not None and again.report.run_id == dlg.report.run_id
    line = next(ln for ln in again.report.lines if ln.kind == "field")
    assert line.action == "fixed_national" and line.note == "已在国家系统改正姓名"
    # changes since this reconciliation: one edited student, in the national template
    ss.edit_student(s, a, {"current_address": "河南省周口市某路1号"})
    res = again.export_changes(str(tmp_path / "变更.xlsx"))
    assert res.count == 1 and res.student_ids == [a]
    ws = openpyxl.load_workbook(tmp_path / "变更.xlsx").active
    assert ws.max_row >= 2


def test_an_unreadable_file_is_refused_in_the_dialog(archive, qtbot, tmp_path, shown, monkeypatch):
    bad = tmp_path / "不是花名册.xlsx"
    bad.write_bytes(b"not a workbook")
    errors = []
    monkeypatch.setattr(messages, "job_error", lambda parent, err, **kw: errors.append(err))
    dlg = ReconcileDialog(archive)
    qtbot.addWidget(dlg)
    job = dlg.run_file(bad)
    assert wait(job, 30000)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert dlg.report is None and dlg.import_btn.isEnabled()
