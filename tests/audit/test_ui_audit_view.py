"""The 审计日志 window (shows and filters the log, prints the access register): a real
archive with entries of every kind made through the services (accounts, edits, a status change, a print, an
export, views, a backup, a failed sign-in), the table with readable Chinese, each filter, paging on scroll,
校验 on an intact and on a tampered log, the access register's preview and its recorded print, the CSV
export, and the Forbidden message for a head teacher."""
from __future__ import annotations

import csv
import datetime as dt
import sqlite3

import pytest
from PySide6.QtWidgets import QWidget

from app.accounts import service as accounts
from app.audit import log as audit
from app.audit import text as audit_text
from app.students import service as ss
from app.changes import service as changes
from app.core.errors import AuthError
from tests.helpers import add, birth_for_grade, new_class, new_school, unique_id
from tests.ui_fixtures import shown  # noqa: F401  (fixture)
from ui.audit import access_register as ar
from ui.audit import audit_view as av
from PySide6.QtGui import QAction
from ui.common.dialogs import DialogManager

PW = "correct horse 7"


class FakeWindow(QWidget):
    """What the 账户 menu passes: a main window with ``session`` (and ``open_editor`` for double-clicks)."""

    def __init__(self, session, qtbot):
        super().__init__()
        qtbot.addWidget(self)
        self.session = session
        self.opened: list[int] = []
        self.dialogs = DialogManager(self)

    def open_editor(self, student_id):
        self.opened.append(student_id)

        class _Dlg:
            def open(self):
                pass

        return _Dlg()


def _rich(tmp_path):
    """A school whose log holds every kind of entry, made the way the registrar makes them."""
    from app.backup import service as B
    from app.printing import service as ps
    from app.exchange import export_service as ex

    s = new_school(tmp_path, stages="primary")
    accounts.setup_first_registrar(s, "admin", PW, "王老师")
    accounts.add_account(s, "li", "head teacher 1", "head_teacher", must_change=False)
    accounts.sign_in(s, "admin", PW)
    c1 = new_class(s, 3, 1)
    a = add(s, c1, "张三丰", unique_id(birth_for_grade(3))).id
    b = add(s, c1, "李四", unique_id(birth_for_grade(3, 1))).id
    ss.edit_student(s, a, {"phone": "13912345678"}, reason="家长来电更正")
    audit.record(s, "=cmd|' /C calc'!A0", detail={"note": "@SUM(1)"})  # what a spreadsheet would run
    req = changes.ChangeRequest("suspend", b, date=dt.date.today(), reason="因病休学",
                                evidence=["休学申请", "医院诊断证明"], acknowledge_warnings=True)
    req.evidence = [e["name"] for e in changes.plan_change(s, req).required_evidence]
    changes.apply_change(s, req)
    ss.view_student(s, a, where="gui")
    ps.print_document(s, "basic-info-form", tmp_path / "form.pdf", student_ids=[a])
    ex.export_students(s, tmp_path / "out.xlsx")
    B.make_backup(s, tmp_path / "backups")
    with pytest.raises(AuthError):
        accounts.sign_in(s, "li", "wrong password")
    accounts.sign_in(s, "admin", PW)
    s.ids = {"a": a, "b": b, "c1": c1}
    return s


@pytest.fixture
def rich(tmp_path):
    s = _rich(tmp_path)
    yield s
    s.close()


def _open(qtbot, session):
    win = FakeWindow(session, qtbot)
    view = av.open_audit_view(win)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: not view.model.loading and view.model.rowCount() > 0, timeout=10000)
    return win, view


def _wait(qtbot, view, fn):
    with qtbot.waitSignal(view.loaded, timeout=10000):
        fn()
    qtbot.waitUntil(lambda: not view.model.loading, timeout=10000)


def _texts(view, col):
    return [view.model.rows[r]["_cells"][col] for r in range(view.model.rowCount())]


# ------------------------------------------------------------------ the table
def test_window_lists_every_kind_newest_first_in_chinese(rich, qtbot):
    win, view = _open(qtbot, rich)
    assert view.windowTitle() == "审计日志" and not view.isModal()
    ids = [e["id"] for e in view.model.rows]
    assert ids == sorted(ids, reverse=True) and ids[0] == audit.total(rich)
    actions = _texts(view, 2)
    for word in ("登录", "登录失败", "查阅完整学籍", "打印", "导出", "备份", "新建账户", "修改记录"):
        assert word in actions, word
    assert any(a.startswith("学籍异动") and "休学" in a for a in actions)
    details = _texts(view, 5)
    assert not any(d.lstrip().startswith("{") for d in details)  # readable text, not JSON
    edit = next(e for e in view.model.rows if e["action"] == "change.edit" and e["detail"].get("field") == "phone")
    assert "家长来电更正" in edit["_cells"][5] and "phone" not in edit["_cells"][5]
    status = next(e for e in view.model.rows if e["action"] == "status.suspend")
    assert "→" in status["_cells"][5] and "休学" in status["_cells"][5]
    assert status["_cells"][4].startswith("李四")
    view_row = next(e for e in view.model.rows if e["action"] == "view")
    assert "学籍编辑窗口" in view_row["_cells"][5]
    # one window per main window: opening again raises the same one
    assert av.open_audit_view(win) is view


def test_filters_category_actor_student_text_and_dates(rich, qtbot):
    win, view = _open(qtbot, rich)
    _wait(qtbot, view, lambda: view.set_filters(category="sign"))
    assert {e["action"] for e in view.model.rows} <= {"signin", "signin.failed", "signout", "lock", "unlock",
                                                      "account.locked"}
    assert "signin.failed" in {e["action"] for e in view.model.rows}
    _wait(qtbot, view, lambda: view.set_filters(category="view"))
    assert [e["action"] for e in view.model.rows] == ["view"]
    _wait(qtbot, view, lambda: view.set_filters(category=None, actor="li"))
    assert view.model.rows and {e["actor"] for e in view.model.rows} == {"li"}
    _wait(qtbot, view, lambda: view.set_filters(actor=None, student="张三"))
    assert view.model.rows and {e["student_id"] for e in view.model.rows} == {rich.ids["a"]}
    _wait(qtbot, view, lambda: view.set_filters(student="", text="因病"))
    assert {e["action"] for e in view.model.rows} == {"status.suspend", "change.status"}  # the event and its row
    _wait(qtbot, view, lambda: view.set_filters(text="登录失败"))  # the word on screen finds the action
    assert {e["action"] for e in view.model.rows} == {"signin.failed"}
    _wait(qtbot, view, lambda: view.set_filters(text="联系电话"))  # a field's header finds its changes
    assert view.model.rows and all(e["detail"].get("field") == "phone" for e in view.model.rows)
    _wait(qtbot, view, lambda: view.set_filters(text="no such thing 42"))
    assert view.model.rowCount() == 0 and view.status.text() == "没有符合筛选的条目"
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    _wait(qtbot, view, lambda: view.set_filters(text="", since=tomorrow))
    assert view.model.rowCount() == 0
    today = dt.date.today().isoformat()
    _wait(qtbot, view, lambda: view.set_filters(since=today, until=today))  # until is inclusive
    assert view.model.rowCount() == audit.total(rich)  # everything happened today, the genesis too
    _wait(qtbot, view, view.clear_filters)
    assert view.model.rowCount() == audit.total(rich)
    _wait(qtbot, view, lambda: view.set_filters(student="不存在的人"))
    assert view.model.rowCount() == 0 and view.status.text() == "没有找到符合的学生"


def test_actor_combo_lists_who_is_in_the_log(rich, qtbot):
    win, view = _open(qtbot, rich)
    qtbot.waitUntil(lambda: view.actor_combo.count() > 2, timeout=5000)
    data = [view.actor_combo.itemData(i) for i in range(view.actor_combo.count())]
    assert data[0] is None and "admin" in data and "li" in data


def test_pages_load_on_scroll_and_never_all(rich, qtbot):
    from app.audit import store as aq

    conn = rich.conn
    last = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    next_id, prev, rows = last[0] + 1, last[1], []
    detail = '{"where":"gui"}'
    for i in range(next_id, next_id + 1500):
        at = f"2026-01-01T08:{i % 60:02d}:00"
        h = aq.entry_hash(prev, i, at, "admin", "view", "student", rich.ids["a"], rich.ids["a"], detail)
        rows.append((i, at, "admin", "view", "student", rich.ids["a"], rich.ids["a"], detail, prev, h))
        prev = h
    with rich.archive.transaction() as c:
        c.executemany("INSERT INTO audit_log(id, at, actor, action, entity, entity_id, student_id, detail,"
                      " prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    win, view = _open(qtbot, rich)
    qtbot.wait(200)
    first = view.model.rowCount()
    assert first % audit.PAGE_SIZE == 0 and first < audit.total(rich) and view.model.canFetchMore()
    assert "向下滚动" in view.status.text()
    view.table.scrollToBottom()
    qtbot.waitUntil(lambda: view.model.rowCount() > first, timeout=5000)
    assert view.model.rowCount() < audit.total(rich)
    ids = [e["id"] for e in view.model.rows]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    assert audit.verify(rich).ok


def test_double_click_opens_the_student_for_a_role_that_may(rich, qtbot):
    win, view = _open(qtbot, rich)
    row = next(i for i, e in enumerate(view.model.rows) if e["student_id"] == rich.ids["b"])
    view.open_row(row)
    assert win.opened == [rich.ids["b"]]
    no_student = next(i for i, e in enumerate(view.model.rows) if e["student_id"] is None)
    assert view.open_row(no_student) is None and win.opened == [rich.ids["b"]]


# ------------------------------------------------------------------ verify
def test_verify_intact_then_tampered(rich, qtbot, shown):
    win, view = _open(qtbot, rich)
    with qtbot.waitSignal(view.verified, timeout=20000) as sig:
        view.verify()
    rep = sig.args[0]
    assert rep.ok and view.verify_label.isVisible() or view.verify_label.text()
    assert "审计日志完好" in view.verify_label.text() and rep.head in view.verify_label.text()
    assert shown and shown[-1][0] == "info" and str(rep.count) in shown[-1][1]
    c = sqlite3.connect(rich.archive.db_path, isolation_level=None)
    c.execute("DROP TRIGGER audit_log_no_update")
    c.execute("UPDATE audit_log SET actor = 'x' WHERE id = 3")
    c.close()
    with qtbot.waitSignal(view.verified, timeout=20000) as sig:
        view.verify()
    assert not sig.args[0].ok
    assert shown[-1][0] == "error" and "第 3 条被改动" in shown[-1][1]
    assert "第 3 条被改动" in view.verify_label.text()


# ------------------------------------------------------------------ the access register
def test_access_register_preview_then_saved_print_is_recorded(rich, qtbot, tmp_path):
    import pdfplumber

    win = FakeWindow(rich, qtbot)
    today = dt.date.today()
    since, until = ar.semester_start(today).isoformat(), (today + dt.timedelta(days=1)).isoformat()
    before = audit.total(rich)
    prev = av.print_access_register(win, since=since, until=until)  # a child of win: closed with it
    qtbot.waitUntil(lambda: prev.pages is not None, timeout=20000)
    assert prev.pages.count >= 1 and "条登记" in prev.status.text()
    assert audit.total(rich) == before  # the preview writes nothing
    assert today.isoformat() in prev.windowTitle()
    out = tmp_path / "register.pdf"
    prev.save_pdf(str(out))
    qtbot.waitUntil(lambda: prev.final, timeout=20000)
    with pdfplumber.open(out) as pdf:
        text = "".join(p.extract_text() or "" for p in pdf.pages)
    assert "学籍档案查阅登记簿" in text and "张三丰" in text and f"至 {today.isoformat()}" in text
    last = audit.list_entries(rich, limit=1)[0]
    assert last["action"] == "print" and last["detail"]["kind"] == "access-register"
    assert last["detail"]["file"] == str(out) and audit.verify(rich).ok
    assert "查阅登记簿" in audit_text.detail_text(last)
    prev.close()


def test_register_range_dialog_defaults_to_this_semester(qtbot):
    dlg = ar.RegisterRangeDialog()
    qtbot.addWidget(dlg)
    since, until = dlg.period()
    assert since == ar.semester_start().isoformat()
    assert until == (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert ar.semester_start(dt.date(2026, 12, 3)) == dt.date(2026, 9, 1)
    assert ar.semester_start(dt.date(2027, 1, 10)) == dt.date(2026, 9, 1)
    assert ar.semester_start(dt.date(2027, 3, 10)) == dt.date(2027, 2, 1)


# ------------------------------------------------------------------ export
def test_export_csv_of_the_filtered_list_neutralised_and_recorded(rich, qtbot, tmp_path, shown):
    win, view = _open(qtbot, rich)
    out = tmp_path / "log.csv"
    n = audit.total(rich)
    job = view.export_csv(str(out))
    qtbot.waitUntil(lambda: job.delivered, timeout=20000)
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:4] == ["序号", "时间", "操作人", "操作"] and len(rows) == n + 1
    assert not any(cell[:1] in "=+-@" for row in rows[1:] for cell in row if cell)
    assert "'=cmd|' /C calc'!A0" in [r[3] for r in rows]
    _wait(qtbot, view, lambda: view.set_filters(category="change"))
    n = view.model.rowCount()
    job = view.export_csv(str(out))
    qtbot.waitUntil(lambda: job.delivered, timeout=20000)
    with open(out, encoding="utf-8-sig", newline="") as fh:
        assert len(list(csv.reader(fh))) == n + 1
    last = audit.list_entries(rich, limit=1)[0]
    assert last["action"] == "export" and last["detail"]["kind"] == "audit-log" and last["detail"]["count"] == n
    assert shown[-1][0] == "info"


# ------------------------------------------------------------------ permission
def test_head_teacher_gets_the_forbidden_message(rich, qtbot, shown):
    accounts.sign_in(rich, "li", "head teacher 1")
    win = FakeWindow(rich, qtbot)
    assert av.open_audit_view(win) is None
    assert av.print_access_register(win, since="2026-01-01", until="2027-01-01") is None
    assert len(shown) == 2 and all(k == "error" and "审计" in t for k, t in shown)


def test_approver_may_read_the_log(rich, qtbot):
    accounts.add_account(rich, "zhang", "approver pw 1", "approver", must_change=False)
    accounts.sign_in(rich, "zhang", "approver pw 1")
    win, view = _open(qtbot, rich)
    assert view.model.rows[0]["action"] == "signin" and view.model.rows[0]["actor"] == "zhang"


def test_from_the_real_main_window_menu_and_double_click_opens_the_editor(rich, qtbot):
    from ui.main_window import MainWindow

    win = MainWindow(rich)
    qtbot.addWidget(win)
    assert win.findChild(QAction, "act_audit_log") is not None  # the 账户 menu's 审计日志…
    win.findChild(QAction, "act_audit_log").trigger()
    view = win.dialogs.get("audit")
    qtbot.waitUntil(lambda: view.model.rowCount() > 0 and not view.model.loading, timeout=10000)
    _wait(qtbot, view, lambda: view.set_filters(category="view"))
    before = audit.total(rich)
    dlg = view.open_row(0)
    assert dlg is not None and dlg.student_id == rich.ids["a"]
    assert audit.total(rich) == before + 1 and audit.list_entries(rich, limit=1)[0]["action"] == "view"
    dlg.reject()
    view.close()
    qtbot.waitUntil(lambda: win.dialogs.get("audit") is None, timeout=5000)
    again = av.open_audit_view(win)
    assert again is not None and again is not view
    again.close()
