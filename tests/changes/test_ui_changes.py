"""GUI tests of the guided status-change dialog (ui/changes/change_dialog.py) on real archives: every finding
is shown before saving — a BLOCK with its rule and article keeps Save disabled, a BLOCK* needs the
override fields, a WARN needs the acknowledgement tick, each listed document must be attached or
ticked as in the paper folder — and a saved transfer-out changes the roster row's state; the
student editor's 学籍状态 tab lists the events."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.ui_fixtures import capture_messages
from PySide6.QtCore import Qt

from app.changes import kinds as K
from app.changes import service as changes
from app.students import service as ss
from app.core.errors import BLOCK, BLOCK_STAR, WARN
from tests.helpers import fill_class, new_class, new_school, stored_findings
from ui.changes import changes_menu
from ui.changes.change_dialog import ChangeDialog
from ui.main_window import MainWindow
from ui.students.roster_model import COLUMNS
from PySide6.QtWidgets import QMenu

STATUS_COL = COLUMNS.index("status")


@pytest.fixture
def shown(monkeypatch):
    """Message boxes are modal: record them instead of blocking the test."""
    return capture_messages(monkeypatch, confirm="record")


@pytest.fixture
def school(tmp_path):
    sessions = []

    def make(profile="national", grade=3, n=3, stages="primary,junior,senior"):
        s = new_school(tmp_path, profile=profile, stages=stages, sub=f"a{len(sessions)}")
        sessions.append(s)
        cid = new_class(s, grade)
        s.test_class = cid
        s.test_ids = [r.id for r in fill_class(s, cid, n, grade)]
        return s

    yield make
    for s in sessions:
        s.close()


def _dialog(qtbot, session, sid, kind) -> ChangeDialog:
    dlg = ChangeDialog(session, sid, kind)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def _outcomes(dlg) -> set[str]:
    return {f.outcome for f in dlg.findings()}


def test_block_shows_rule_and_article_and_save_stays_disabled(school, qtbot):
    s = school()
    sid = s.test_ids[0]
    dlg = _dialog(qtbot, s, sid, "resume")   # 在读 → 复学: not a state resume starts from
    assert dlg.kind() == "resume"
    blocks = [f for f in dlg.findings() if f.outcome == BLOCK]
    assert blocks, dlg.shown_texts()
    f = blocks[0]
    assert f.rule and f.article
    line = next(t for t in dlg.shown_texts() if f.rule in t)
    assert f.article in line and line.startswith("【不允许】")
    assert not dlg.save_button.isEnabled()
    assert dlg.status_label.text() == "按规定不能办理，请看上面的检查结果。"
    # nothing is written by Ctrl+S either
    before = len(changes.events_for(s, sid))
    assert dlg.save() is False
    assert len(changes.events_for(s, sid)) == before


def test_transfer_out_from_the_menu_changes_the_roster_row(school, qtbot, shown):
    s = school()
    win = MainWindow(s)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    sid = s.test_ids[1]
    assert win.select_student(sid)
    row = win.model.row_of(sid)
    assert win.model.display_row(row)[STATUS_COL] == "在读"

    dlg = changes_menu.open_change(win, "transfer-out")
    assert isinstance(dlg, ChangeDialog) and dlg.student_id == sid
    assert "input_to_school" in {w.objectName() for w in dlg.inputs.values()}
    assert dlg.windowTitle() == "学籍异动：" + changes.kind_info("transfer-out", s)["label"]
    dlg.reason_edit.setText("随父母工作调动迁居外地")
    dlg.set_input("to_school", "北京市朝阳区实验小学")
    dlg.date_edit.setDate(dlg.date_edit.date().addDays(-1))
    qtbot.waitUntil(lambda: dlg.plan is not None and dlg.plan.ok, timeout=3000)
    for name in dlg.evidence_table.missing():
        dlg.evidence_table.tick(name)
    # every party's response is due within 10 working days: shown before saving
    assert dlg.approval_table.parties and dlg.deadline_box.isVisibleTo(dlg)
    assert all(p in dlg.deadline_label.text() for p in dlg.approval_table.parties)
    # the first party has answered 同意; the others have not yet
    dlg.approval_table.fill(dlg.approval_table.parties[0], "王校长", dt.date.today().isoformat(), "教学〔2026〕1号")
    qtbot.waitUntil(lambda: dlg.save_button.isEnabled(), timeout=3000)
    assert not any(t.startswith("【不允许】") for t in dlg.shown_texts())

    with qtbot.waitSignal(dlg.saved, timeout=3000):
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    assert dlg.result is not None and dlg.result.student_id == sid
    assert ss.get_student(s, sid)["status"] in ("transferred", "transferring")
    row = win.model.row_of(sid)
    assert win.model.display_row(row)[STATUS_COL] in ("转出", "转学办理中")
    assert "学籍异动已保存" in win.statusBar().currentMessage()
    ev = changes.events_for(s, sid)[-1]
    assert ev["kind"] == "transfer-out" and ev["details"].get("to_school") == "北京市朝阳区实验小学"
    assert ev["reason"] == "随父母工作调动迁居外地"
    first = ev["approvals"][0]
    assert (first["decision"], first["decided_by"], first["doc_number"]) == ("approved", "王校长", "教学〔2026〕1号")
    assert {a["decision"] for a in ev["approvals"][1:]} <= {"pending"}
    # the profile's form for the change opens in the print preview for signatures
    from ui.printing.print_preview_dialog import PrintPreviewDialog

    assert dlg.print_form.isVisibleTo(dlg) and "》" in dlg.print_form.text()
    previews = [w for w in win.findChildren(PrintPreviewDialog)]
    assert len(previews) == 1


def test_warn_needs_acknowledgement_and_evidence_needs_each_document(school, qtbot, tmp_path):
    s = school()
    sid = s.test_ids[0]
    dlg = _dialog(qtbot, s, sid, "death")
    today = dt.date.today()
    dlg.date_edit.setDate(dlg.date_edit.date().addDays(-40))
    dlg.set_input("learned_on", (today - dt.timedelta(days=40)).isoformat())  # learned 40 days ago: late
    dlg.replan()
    assert WARN in _outcomes(dlg), dlg.shown_texts()
    assert any(t.startswith("【提醒】") and "DEATH.CANCEL_10WD.LATE" in t for t in dlg.shown_texts())
    assert dlg.ack_box.isVisibleTo(dlg)
    # the death certificate is listed: neither attached nor ticked → refused
    assert dlg.evidence_table.names and dlg.evidence_table.missing() == dlg.evidence_table.names
    assert not dlg.save_button.isEnabled()
    scan = tmp_path / "death.pdf"
    scan.write_bytes(b"%PDF-1.4 test scan\n")
    dlg.evidence_table.attach(dlg.evidence_table.names[0], str(scan))
    dlg.replan()
    assert dlg.evidence_table.missing() == []
    assert dlg.evidence_table.value()[0].startswith(dlg.evidence_table.names[0] + "@attached:")
    assert dlg.plan.ok                      # the plan allows it …
    with pytest.raises(Exception):          # … but the service refuses unacknowledged warnings
        changes.apply_change(s, dlg.request())
    dlg.ack_box.setChecked(True)
    dlg.replan()
    assert dlg.save_button.isEnabled()
    assert dlg.save() is True
    assert ss.get_student(s, sid)["status"] == "deceased"
    ev = changes.events_for(s, sid)[-1]
    assert [e["how"] for e in ev["evidence"]] == ["attached"]
    assert (s.folder / "files").is_dir()
    assert [d["kind"] for d in ev["deadlines"]] == ["death_cancel"]


def _block_star_case(session_factory):
    """A change some profile makes BLOCK* (found from the rules, not hard-coded)."""
    for profile in ("henan-zhoukou", "shanxi-changzhi", "liaoning", "gansu-linxia", "national"):
        s = session_factory(profile=profile)
        for kind in K.KINDS:
            if not changes.kind_info(kind, s).get("available", True):
                continue
            if any(r.outcome == BLOCK_STAR for r in s.profile.rules_for(f"change.{kind}")):
                return s, kind
    return None, None


def test_block_star_needs_override_reason_approver_and_evidence(school, qtbot):
    s, kind = _block_star_case(school)
    if kind is None:
        pytest.skip("no profile has a BLOCK* change rule")
    sid = s.test_ids[0]
    dlg = _dialog(qtbot, s, sid, kind)
    dlg.reason_edit.setText("因病需要长期治疗")
    dlg.replan()
    if BLOCK_STAR not in _outcomes(dlg):
        pytest.skip(f"{kind}: its BLOCK* rule does not apply to a plain grade-3 student")
    assert dlg.override_box.isVisibleTo(dlg)
    assert not dlg.save_button.isEnabled()
    assert "特批理由、批准人和证明材料" in dlg.status_label.text()
    dlg.override_reason.setText("家庭特殊情况")
    dlg.override_approver.setText("县教育局 李科长")
    dlg.override_evidence.setPlainText("\n".join(f"材料{i}" for i in range(1, 6)))
    dlg.replan()
    assert BLOCK_STAR not in {f.outcome for f in dlg.plan.refusing}
    # with the rest of what the plan asks for, the override is saved and logged with who approved it
    for name, w in dlg.inputs.items():
        if name in ("to_school", "from_school") and not dlg._value(name):
            dlg.set_input(name, "某某学校")
    for name in dlg.evidence_table.missing():
        dlg.evidence_table.tick(name)
    dlg.ack_box.setChecked(True)
    dlg.replan()
    if not dlg.save_button.isEnabled():
        pytest.skip(f"{kind}: needs more than this test fills in: {dlg.shown_texts()}")
    assert dlg.save()
    logged = stored_findings(s, sid)
    assert any(r["outcome"] == BLOCK_STAR and r["approved_by"] == "县教育局 李科长"
               and r["override_reason"] == "家庭特殊情况" for r in logged), logged


def test_state_tab_in_the_student_editor_lists_events(school, qtbot, shown):
    from ui.students.student_editor_dialog import StudentEditorDialog

    s = school()
    sid = s.test_ids[2]
    req = changes.ChangeRequest("suspend", sid, date=dt.date.today(), reason="因病休学",
                                evidence=["休学申请", "医院诊断证明"], acknowledge_warnings=True)
    plan = changes.plan_change(s, req)
    req.evidence = [e["name"] for e in plan.required_evidence]
    changes.apply_change(s, req)
    dlg = StudentEditorDialog(s, student_id=sid)
    qtbot.addWidget(dlg)
    tab = dlg.state_history
    assert dlg.tabs.tabText(dlg.tabs.indexOf(tab)) == "学籍状态"
    texts = [tab.table.item(0, c).text() for c in range(tab.table.columnCount())]
    assert texts[0] == dt.date.today().isoformat()
    assert "休学" in texts[2] and texts[3] == "因病休学"
    assert tab.state_label.text() == "当前学籍状态：休学"
    assert tab.table.rowCount() == len(changes.events_for(s, sid))
    # the state on any date
    from PySide6.QtCore import QDate

    tab.on_date.setDate(QDate.currentDate().addDays(-1))
    assert tab.on_label.text() == "在读"
    tab.on_date.setDate(QDate.currentDate())
    assert tab.on_label.text() == "休学"
    tab.on_date.setDate(QDate(1990, 1, 1))
    assert tab.on_label.text() in ("在读", "（尚未建立学籍）")
    papers = tab.table.item(0, 5).text()
    assert "（纸质档案）" in papers and "休学期满" in papers
    # a change made from the tab: the table and the editor's status line follow, the window is told
    rows = tab.table.rowCount()
    change = tab.open_change()
    change.kind_combo.setCurrentIndex(change.kind_combo.findData("resume"))
    change.reason_edit.setText("病愈复学")
    for name in change.evidence_table.missing():
        change.evidence_table.tick(name)
    change.replan()
    if change.ack_box.isVisibleTo(change):
        change.ack_box.setChecked(True)
        change.replan()
    assert change.save_button.isEnabled(), change.shown_texts()
    with qtbot.waitSignal(dlg.saved, timeout=3000):
        assert change.save()
    assert tab.table.rowCount() == rows + 1
    assert tab.table.item(0, 1).text() == changes.kind_info("resume")["label"]
    assert "在读" in dlg.status_label.text()


def test_menu_lists_the_profiles_kinds_and_asks_for_a_student(school, qtbot, shown):
    s = school(profile="shanxi-changzhi")
    win = MainWindow(s)
    qtbot.addWidget(win)
    win.findChild(QMenu, "changes_by_kind").aboutToShow.emit()
    menu = win.findChild(QMenu, "changes_by_kind")
    labels = [a.text() for a in menu.actions()]
    assert labels and all(labels)
    assert changes.kind_info("jiedu-out", s)["label"] in labels          # Shanxi only
    nat = school(profile="national")
    other = MainWindow(nat)
    qtbot.addWidget(other)
    other.findChild(QMenu, "changes_by_kind").aboutToShow.emit()
    nat_labels = [a.text() for a in other.findChild(QMenu, "changes_by_kind").actions()]
    assert changes.kind_info("jiedu-out", nat)["label"] not in nat_labels and len(nat_labels) < len(labels)
    assert win.findChild(QMenu, "changes_menu").title().startswith("学籍异动")
    win.table.clearSelection()
    win.table.setCurrentIndex(win.model.index(-1, 0))
    assert changes_menu.open_change(win, "suspend") is None
    assert shown[-1] == ("info", "请先在花名册中选择一名学生。")


def test_transfer_in_from_the_menu_adds_the_student_to_the_roster(school, qtbot, shown):
    from tests.helpers import birth_for_grade, make_id

    s = school()
    win = MainWindow(s)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    rows = win.model.rowCount()
    dlg = changes_menu.open_change(win, "transfer-in")       # no roster selection needed
    assert dlg.student_id is None and dlg.student_label.text().startswith("新学生")
    assert not dlg.save_button.isEnabled()                    # no identity yet: refused, each field named
    assert any("姓名" in t for t in dlg.shown_texts())
    number = make_id(birth_for_grade(3, 7), 377, "2")
    dlg.set_input("name", "转入生")
    dlg.set_input("id_number", number)
    dlg.set_input("ethnicity", "汉族")
    dlg.set_input("from_school", "河北省某小学")
    dlg.set_input("grade", 3)
    dlg.set_input("class_id", s.test_class)
    dlg.reason_edit.setText("随父母迁入")
    dlg.replan()
    for name in dlg.evidence_table.missing():
        dlg.evidence_table.tick(name)
    dlg.replan()
    assert dlg.save_button.isEnabled(), dlg.shown_texts()
    assert dlg.save()
    sid = dlg.result.student_id
    new = ss.get_student(s, sid)
    assert (new["name"], new["id_number"], new["gender"], new["class_id"], new["status"]) == (
        "转入生", number, "2", s.test_class, "enrolled")
    assert win.model.rowCount() == rows + 1 and win.selected_student_id() == sid
    ev = changes.events_for(s, sid)
    assert [e["kind"] for e in ev][-1] == "transfer-in" and ev[-1]["details"]["from_school"] == "河北省某小学"


def test_roster_state_filter_lists_every_state_a_change_leads_to(school, qtbot):
    import json

    from app.core.paths import resource
    from app.students.status import name

    s = school()
    win = MainWindow(s)
    qtbot.addWidget(win)
    offered = {tuple(win.status_combo.itemData(i) or ()) for i in range(win.status_combo.count())}
    spec = json.loads(resource("changes.json").read_text(encoding="utf-8"))["kinds"]
    targets = set()
    for k in spec.values():
        targets |= {k["to"], k.get("to_auto"), k.get("to_in_progress"), *k.get("to_by_level", {}).values(),
                    *k.get("to_by_profile", {}).values(), *[f for f in k["from"] if f]}
    targets |= {"graduated", "completed", "left_incomplete", "xiuye"}          # graduation outcomes
    targets -= {None, "="}
    missing = [t for t in targets if (t,) not in offered]
    assert not missing, missing
    # choosing one shows exactly the students in that state
    sid = s.test_ids[0]
    req = changes.ChangeRequest("dropout", sid, reason="长期不到校", acknowledge_warnings=True)
    req.evidence = [e["name"] for e in changes.plan_change(s, req).required_evidence]
    changes.apply_change(s, req)
    win.after_write([sid])
    win.status_combo.setCurrentIndex(win.status_combo.findText(name("dropout")))
    assert win.model.ids() == [sid]


def test_kinds_that_fit_the_students_state_come_first(school, qtbot):
    s = school()
    sid = s.test_ids[0]
    req = changes.ChangeRequest("suspend", sid, reason="因病休学", acknowledge_warnings=True)
    req.evidence = [e["name"] for e in changes.plan_change(s, req).required_evidence]
    changes.apply_change(s, req)
    dlg = _dialog(qtbot, s, sid, None)
    kinds = [dlg.kind_combo.itemData(i) for i in range(dlg.kind_combo.count())]
    cut = kinds.index(None)                                      # the separator
    fits = kinds[:cut]
    assert fits and all("suspended" in changes.kind_info(k, s)["from"] for k in fits)
    assert "resume" in fits and "extend-suspension" in fits
    assert "transfer-out" in kinds[cut + 1:]                     # offered, but after the line
    assert dlg.kind() == fits[0]


def test_discipline_levels_come_from_the_profile_for_the_stage(school, qtbot):
    s = school(profile="shanxi-changzhi")                      # a grade-3 (compulsory) class
    sid = s.test_ids[0]
    dlg = _dialog(qtbot, s, sid, "discipline")
    combo = dlg.inputs["level"]
    levels = [combo.itemText(i) for i in range(combo.count()) if combo.itemText(i)]
    assert levels == s.profile.rule("DISC.LEVELS.CZ").params["compulsory"]
    combo.setEditText("开除学籍")                               # typed anyway: refused with the article
    dlg.replan()
    assert not dlg.save_button.isEnabled()
    assert any("长治 第四十条" in t and t.startswith("【不允许】") for t in dlg.shown_texts())
    combo.setCurrentIndex(combo.findText("警告"))
    dlg.reason_edit.setText("多次违反校规")
    dlg.replan()
    if dlg.ack_box.isVisibleTo(dlg):
        dlg.ack_box.setChecked(True)
    for name in dlg.evidence_table.missing():
        dlg.evidence_table.tick(name)
    dlg.replan()
    assert dlg.save(), dlg.shown_texts()
    assert changes.events_for(s, sid)[-1]["details"]["level"] == "警告"


def test_a_partys_later_decision_is_recorded_from_the_state_tab(school, qtbot, shown):
    from app.changes import deadlines
    from ui.students.student_editor_dialog import StudentEditorDialog

    s = school()
    sid = s.test_ids[1]
    req = changes.ChangeRequest("transfer-out", sid, reason="随父母迁居", to_school="外地某小学",
                                details={"in_progress": True}, acknowledge_warnings=True)
    plan = changes.plan_change(s, req)
    req.evidence = [e["name"] for e in plan.required_evidence]
    changes.apply_change(s, req)
    parties = [a["party"] for a in plan.required_approvals]
    assert parties
    open_before = [d for d in deadlines.list_deadlines(s, student_id=sid) if d.kind == "party_response"]
    dlg = StudentEditorDialog(s, student_id=sid)
    qtbot.addWidget(dlg)
    tab = dlg.state_history
    tab.table.selectRow(0)
    assert tab.approval_button.isEnabled()
    ap = tab.open_approval(exec_=False)
    assert [ap.party.itemText(i) for i in range(ap.party.count())] == parties
    ap.party.setCurrentIndex(0)
    ap.by.setText("接收学校 李校长")
    ap.doc.setText("外教〔2026〕8号")
    with qtbot.waitSignal(dlg.saved, timeout=3000):
        assert ap.save()
    open_after = [d for d in deadlines.list_deadlines(s, student_id=sid) if d.kind == "party_response"]
    assert len(open_after) == len(open_before) - 1
    assert parties[0] not in {d.title for d in open_after}
    tab.table.selectRow(0)
    assert "接收学校 李校长" in tab.table.item(0, 5).text()
    ap2 = tab.open_approval(exec_=False)
    assert parties[0] not in [ap2.party.itemText(i) for i in range(ap2.party.count())]


def test_the_cause_decides_a_compulsory_withdrawal_in_changzhi(school, qtbot):
    s = school(profile="shanxi-changzhi")
    sid = s.test_ids[0]
    dlg = _dialog(qtbot, s, sid, "withdraw")
    combo = dlg.inputs["cause"]
    assert combo.itemData(0) == "" and combo.count() > 3          # the causes of resources/changes.json
    dlg.reason_edit.setText("家长要求")
    combo.setCurrentIndex(combo.findData("illness"))
    dlg.replan()
    rule = s.profile.rule("WITHDRAW.COMPULSORY_ONLY_TWO_CASES.CZ")
    assert any(rule.id in t and rule.article in t for t in dlg.shown_texts()), dlg.shown_texts()
    assert not dlg.save_button.isEnabled()
    combo.setCurrentIndex(combo.findData("emigration"))
    dlg.replan()
    assert not any(rule.id in t for t in dlg.shown_texts()), dlg.shown_texts()
    assert dlg.request().details["cause"] == "emigration"


def test_any_one_of_the_listed_documents_is_enough_for_going_abroad(school, qtbot):
    s = school()
    sid = s.test_ids[0]
    dlg = _dialog(qtbot, s, sid, "abroad")
    dlg.reason_edit.setText("随父母出国就读")
    dlg.replan()
    names = dlg.evidence_table.names
    assert len(names) >= 2 and dlg.evidence_table.missing() == names
    assert all("任选其一" in dlg.evidence_table.item(r, 0).text() for r in range(len(names)))
    assert not dlg.save_button.isEnabled()
    dlg.evidence_table.tick(names[-1])
    dlg.replan()
    assert dlg.evidence_table.missing() == []
    assert dlg.save_button.isEnabled(), dlg.shown_texts()
