"""GUI tests of year-end promotion, graduation, the working-day calendar and the HS graduation
record on real archives: the promotion dialog previews, runs on the worker and the classes' grades
move (a second run for the same year is refused in the preview); a graduating class gets each
student's outcome and is closed; calendar entries show in the table; a HS record is saved and judged."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.ui_fixtures import capture_messages

from app.promotion import hs_records as hs_graduation
from app.core import workdays
from app.students import service as ss
from app.school.classes import list_classes
from tests.helpers import fill_class, new_class, new_school
from ui.changes.calendar_dialog import CalendarDialog
from ui.promotion.graduation_dialog import GraduationDialog
from ui.promotion.hs_record_dialog import HsRecordDialog
from ui.promotion.promotion_dialog import PromotionDialog, default_school_year
from ui.common.workers import wait


@pytest.fixture
def shown(monkeypatch):
    return capture_messages(monkeypatch, confirm="record")


@pytest.fixture
def school(tmp_path):
    made = []

    def make(profile="national", stages="primary", grades=(1, 2, 6), n=3):
        s = new_school(tmp_path, profile=profile, stages=stages, sub=f"a{len(made)}")
        made.append(s)
        s.classes, s.ids = {}, []
        for i, g in enumerate(grades):
            cid = new_class(s, g)
            s.classes[g] = cid
            s.ids += [r.id for r in fill_class(s, cid, n, g, start=i * n)]
        return s

    yield make
    for s in made:
        s.close()


def _grades(s) -> dict[int, int]:
    return {k["id"]: k["grade"] for k in list_classes(s) if k.get("status", "active") == "active"}


def test_promotion_previews_runs_and_grades_move(school, qtbot, shown):
    s = school()
    before = _grades(s)
    dlg = PromotionDialog(s, school_year=2026)
    qtbot.addWidget(dlg)
    assert dlg.table.rowCount() == 3
    texts = {dlg.table.item(r, 0).text(): dlg.table.item(r, 2).text() for r in range(3)}
    assert list(texts.values()).count("毕业年级（不升级）") == 1          # grade 6 is left for 毕业
    assert "2 个班，6 名学生" in dlg.summary.text()
    assert _grades(s) == before                                          # the preview wrote nothing
    assert dlg.run_button.isEnabled()
    job = dlg.confirm_and_run()
    assert job is not None and wait(job)
    assert shown and shown[0][0] == "confirm" and "2026—2027" in shown[0][1]
    after = _grades(s)
    assert after[s.classes[1]] == 2 and after[s.classes[2]] == 3 and after[s.classes[6]] == 6
    assert dlg.result is not None and dlg.result.students == 6

    again = PromotionDialog(s, school_year=2026)
    qtbot.addWidget(again)
    assert not again.run_button.isEnabled()
    assert again.findings_list.count() >= 1 and "不能升级" in again.summary.text()


def test_default_school_year():
    assert default_school_year(dt.date(2026, 7, 1)) == 2026
    assert default_school_year(dt.date(2026, 12, 3)) == 2027
    assert default_school_year(dt.date(2027, 3, 1)) == 2027


def test_graduation_lists_each_outcome_then_closes_the_class(school, qtbot, shown):
    s = school()
    cid = s.classes[6]
    first = GraduationDialog(s)                              # the final-grade class is offered first
    qtbot.addWidget(first)
    assert first.class_id() == cid and first.class_combo.itemData(1) is None   # then a line, then the others
    dlg = GraduationDialog(s, class_id=cid)
    qtbot.addWidget(dlg)
    assert dlg.table.rowCount() == 3
    assert {dlg.table.item(r, 1).text() for r in range(3)} == {"毕业"}
    assert "毕业 3 人" in dlg.summary.text()
    assert dlg.confirm_and_run()
    ids = [r["student_id"] for r in dlg.result.per_student]
    assert {ss.get_student(s, i)["status"] for i in ids} == {"graduated"}
    assert cid not in _grades(s)

    # a class that is not a final grade is refused with its reason, nothing to confirm
    other = GraduationDialog(s, class_id=s.classes[1])
    qtbot.addWidget(other)
    assert not other.run_button.isEnabled() and other.findings_list.count() >= 1


def test_hs_record_dialog_saves_and_judges(school, qtbot, shown):
    s = school(profile="shanxi-changzhi", stages="senior", grades=(12,), n=1)
    sid = s.ids[0]
    dlg = HsRecordDialog(s, sid)
    qtbot.addWidget(dlg)
    first = dlg.verdict.text()                          # nothing entered: every condition is listed
    assert first.startswith("按本省规定：结业") and "总学分" in first and "GRAD.HS.CZ" in first
    dlg.credit_inputs["credits_total"].setValue(100)
    dlg.set_exam("语文", "a")
    dlg.show_verdict()
    assert "100" in dlg.verdict.text() and "144" in dlg.verdict.text()
    assert dlg.save()
    rec = hs_graduation.get_hs_record(s, sid)
    assert rec["credits_total"] == 100 and rec["exams"] == {"语文": "A"}
    # everything the profile asks for → 毕业, judged as typed (before saving)
    again = HsRecordDialog(s, sid)
    qtbot.addWidget(again)
    assert again.credit_inputs["credits_total"].value() == 100          # the saved record is loaded
    for k, v in (("credits_total", 150), ("credits_required", 120), ("credits_elective", 24), ("credits_school", 6)):
        again.credit_inputs[k].setValue(v)
    for k in ("evaluation", "pe_standard"):
        again.choice_inputs[k].setCurrentIndex(again.choice_inputs[k].findData("pass"))
    again.choice_inputs["labour_practice"].setCurrentIndex(again.choice_inputs["labour_practice"].findData("done"))
    again.show_verdict()
    assert again.verdict.text() == "按本省规定：毕业", again.verdict.text()


def test_calendar_dialog_adds_a_day_for_an_unknown_year(school, qtbot, shown):
    s = school(grades=(1,), n=1)
    dlg = CalendarDialog(s, year=2031)
    qtbot.addWidget(dlg)
    assert dlg.table.rowCount() == 0 and "尚未录入" in dlg.source_label.text()
    from PySide6.QtCore import QDate

    dlg.date_edit.setDate(QDate(2031, 10, 1))
    dlg.kind_combo.setCurrentIndex(dlg.kind_combo.findData("holiday"))
    dlg.name_edit.setText("国庆节")
    assert dlg.add_day()
    assert dlg.table.rowCount() == 1
    assert [dlg.table.item(0, c).text() for c in (0, 2, 3)] == ["2031-10-01", "放假", "国庆节"]
    assert not workdays.is_working_day(s.conn, dt.date(2031, 10, 1))
    assert "本档案" in dlg.source_label.text()


def test_holding_back_is_refused_where_the_profile_bans_it(school, qtbot, shown):
    zk = school(profile="henan-zhoukou", grades=(1, 2, 6), n=2)
    number = ss.get_student(zk, zk.ids[2])["id_number"]          # a grade-2 student
    dlg = PromotionDialog(zk, school_year=2026)
    qtbot.addWidget(dlg)
    dlg.checked_box.setChecked(True)
    assert dlg.run_button.isEnabled()
    dlg.hold_edit.setText(number)
    dlg.run_preview()
    assert ss.get_student(zk, zk.ids[2])["name"] in dlg.hold_label.text()
    lines = [dlg.findings_list.item(i).text() for i in range(dlg.findings_list.count())]
    rule = zk.profile.rule("GRADE.NO_REPEAT.ZK")
    assert any(rule.id in t and rule.article in t for t in lines), lines
    assert not dlg.run_button.isEnabled()
    assert dlg.confirm_and_run() is None
    assert _grades(zk)[zk.classes[2]] == 2                      # nothing moved

    nat = school(profile="national", grades=(1, 2, 6), n=2)
    held = nat.ids[2]
    dlg = PromotionDialog(nat, school_year=2026)
    qtbot.addWidget(dlg)
    dlg.hold_edit.setText(ss.get_student(nat, held)["id_number"] + "，123456789012345678")
    dlg.run_preview()
    assert not dlg.run_button.isEnabled()                      # the unknown number is named, nothing previewed
    dlg.hold_edit.setText(ss.get_student(nat, held)["id_number"])
    dlg.run_preview()
    assert dlg.run_button.isEnabled(), [dlg.findings_list.item(i).text() for i in range(dlg.findings_list.count())]
    assert wait(dlg.confirm_and_run())
    s = ss.get_student(nat, held)
    assert s["class_id"] == nat.classes[1] and _grades(nat)[nat.classes[1]] == 2   # kept in grade 2


def test_hs_records_import_from_a_class_spreadsheet_then_graduation_uses_them(school, qtbot, tmp_path, shown):
    import openpyxl

    from ui.promotion.hs_record_dialog import import_records

    s = school(profile="shanxi-changzhi", stages="senior", grades=(12,), n=2)
    good, short = (ss.get_student(s, i) for i in s.ids)
    # every record column by its header, and one column per exam subject
    headers = {h: k for h, k in hs_graduation.column_headers().items() if k != "exams"}
    cols = ["身份证件号", *headers, "语文", "物理"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(cols)
    full = {"credits_total": 150, "credits_required": 120, "credits_elective": 24, "credits_school": 6,
            "evaluation": "合格", "pe_standard": "合格", "labour_practice": "合格"}
    for s_, credits in ((good, 150), (short, 90)):
        row = {**full, "credits_total": credits}
        ws.append([s_["id_number"], *[row.get(headers[h], "") for h in headers], "A", "B"])
    path = tmp_path / "高三1班毕业审核.xlsx"
    wb.save(path)

    class Win:  # what import_records uses of the main window
        session = s

    result = import_records(Win(), s.classes[12], str(path))
    assert result is not None and shown[-1][0] == "info" and "2 名学生" in shown[-1][1]
    assert hs_graduation.get_hs_record(s, good["id"])["exams"] == {"语文": "A", "物理": "B"}

    dlg = GraduationDialog(s, class_id=s.classes[12])
    qtbot.addWidget(dlg)
    outcome = {dlg.table.item(r, 0).text(): dlg.table.item(r, 1).text() for r in range(dlg.table.rowCount())}
    assert outcome == {good["name"]: "毕业", short["name"]: "结业"}
    r = next(r for r in range(2) if dlg.table.item(r, 0).text() == short["name"])
    assert "144" in dlg.table.item(r, 2).text()

    # a bad cell: nothing imported, the row and column named
    ws.append(["110105201001010000", "很多"])
    wb.save(path)
    before = hs_graduation.get_hs_record(s, short["id"])
    assert import_records(Win(), s.classes[12], str(path)) is None
    assert shown[-1][0] == "error" and "一行也没有写入" in shown[-1][1]
    assert hs_graduation.get_hs_record(s, short["id"]) == before


def test_calendar_imports_a_notice_file(school, qtbot, tmp_path, shown):
    s = school(grades=(1,), n=1)
    f = tmp_path / "2032放假安排.csv"
    f.write_text("日期,类型,名称\n2032-10-01,放假,国庆节\n2032-10-09,上班,国庆节调休\n", encoding="utf-8")
    dlg = CalendarDialog(s, year=2031)
    qtbot.addWidget(dlg)
    assert dlg.import_file(str(f))
    assert dlg.year() == 2032 and dlg.table.rowCount() == 2
    assert workdays.is_working_day(s.conn, dt.date(2032, 10, 9))       # a Saturday made a working day
    assert shown[-1] == ("info", "已导入 2 个日期")


def test_graduation_with_open_business_needs_an_override(school, qtbot, shown):
    from app.changes import service as changes
    from app.students.service import Override

    s = school(profile="henan-zhoukou", stages="junior", grades=(9,), n=3)
    away = s.ids[0]
    req = changes.ChangeRequest("transfer-out", away, date=dt.date.today() - dt.timedelta(days=30),
                                reason="随父母迁居", to_school="外省某中学", details={"in_progress": True},
                                acknowledge_warnings=True)
    req.evidence = [e["name"] for e in changes.plan_change(s, req).required_evidence]
    req.override = Override("病情严重", "县教育局", [f"材料{i}" for i in range(6)])
    changes.apply_change(s, req)
    dlg = GraduationDialog(s, class_id=s.classes[9])
    qtbot.addWidget(dlg)
    rule = s.profile.rule("GRAD.PENDING_CLEARED.ZK")
    lines = [dlg.findings_list.item(i).text() for i in range(dlg.findings_list.count())]
    assert any(rule.id in t and rule.article in t for t in lines), lines
    assert not dlg.run_button.isEnabled() and dlg.override_button.isVisibleTo(dlg)
    # what the override dialog returns (ui.students.key_change_dialog.OverrideDialog.overrides)
    dlg.overrides = {rule.id: Override("该生休学，按规定清理业务", "县教育局 王科长", ["休学审批表"])}
    dlg.run_preview()
    assert dlg.run_button.isEnabled()
    assert away not in {r["student_id"] for r in dlg.rows} and dlg.table.rowCount() == 2
    assert dlg.confirm_and_run()
    assert ss.get_student(s, away)["status"] == "transferring"
    assert {ss.get_student(s, i)["status"] for i in s.ids[1:]} == {"graduated"}
