"""对外提供审批 in the window: a 校领导 records a written approval (the approver is that account), a revocation
needs a reason, and the export dialog then offers the approval for an external export."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog, QWidget

from app.accounts import service as accounts
from app.exchange import approvals as E
from app.core.session import Session
from ui.common.dialogs import DialogManager
from tests.helpers import new_class, new_school


class _Win(QWidget):
    def __init__(self, session):
        super().__init__()
        self.session = session
        self.dialogs = DialogManager(self)


@pytest.fixture
def folder(tmp_path):
    s = new_school(tmp_path, stages="primary")
    new_class(s, 3)
    accounts.setup_first_registrar(s, "admin", "registrar pw 1")
    accounts.add_account(s, "wang", "approver pw 1", "approver", display_name="王校长", must_change=False)
    f = s.folder
    s.close()
    return f


def test_approver_records_and_revokes_an_approval(qtbot, monkeypatch, folder):
    from ui.exchange import export_approvals_view as V

    s = Session.open(folder)
    accounts.sign_in(s, "wang", "approver pw 1")
    win = _Win(s)
    qtbot.addWidget(win)
    view = V.open_export_approvals(win)
    assert view.table.rowCount() == 0 and view.add_btn.isEnabled() and not view.revoke_btn.isEnabled()

    def fill(dlg):
        assert dlg.approved_by.text() == "" and not dlg.approved_by.isReadOnly()
        dlg.save()  # empty fields: refused, the dialog stays with the message
        assert dlg.result() != QDialog.DialogCode.Accepted and "审批单号" in dlg.error.text()
        dlg.reference.setText("川教学〔2026〕12号")
        dlg.recipient.setText("县疾控中心")
        dlg.purpose.setText("入学新生预防接种查验")
        dlg.save()  # no signer typed: the 校领导 signs for the school
        return QDialog.DialogCode.Accepted if dlg.saved else QDialog.DialogCode.Rejected

    monkeypatch.setattr(V.AddApprovalDialog, "exec", fill)
    view.add_btn.click()
    assert view.table.rowCount() == 1
    a = E.list_approvals(s)[0]
    assert a["approved_by"] == "王校长" and a["recorded_by"] == "wang" and not a["allow_full_id"]
    view.table.selectRow(0)
    assert view.revoke_btn.isEnabled()
    monkeypatch.setattr(V.QInputDialog, "getText", staticmethod(lambda *a, **k: ("", True)))
    errors = []
    monkeypatch.setattr(V.messages, "error", lambda parent, text, **k: errors.append(text))
    view.revoke_btn.click()
    assert errors and view.table.rowCount() == 1
    monkeypatch.setattr(V.QInputDialog, "getText", staticmethod(lambda *a, **k: ("对方改派他人", True)))
    view.revoke_btn.click()
    assert view.table.rowCount() == 0
    view.show_all.setChecked(True)
    assert view.table.rowCount() == 1 and "对方改派他人" in view.table.item(0, 8).text()
    view.close()
    s.close()


def test_registrar_names_the_approver_and_the_export_dialog_offers_it(qtbot, monkeypatch, folder):
    from ui.exchange import export_approvals_view as V
    from ui.exchange.export_dialog import ExportPurposeDialog

    s = Session.open(folder)
    accounts.sign_in(s, "admin", "registrar pw 1")
    win = _Win(s)
    qtbot.addWidget(win)
    view = V.open_export_approvals(win)

    def fill(dlg):
        dlg.reference.setText("校审〔2026〕3号")
        dlg.recipient.setText("县教育局")
        dlg.purpose.setText("学生资助核对")
        dlg.approved_by.setText("川汇区教育局 李局长")
        dlg.full_id.setChecked(True)
        dlg.save()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(V.AddApprovalDialog, "exec", fill)
    view.add_btn.click()
    assert view.table.rowCount() == 1 and view.table.item(0, 4).text() == "完整"
    dlg = ExportPurposeDialog(s, win)
    qtbot.addWidget(dlg)
    dlg.buttons["external"].setChecked(True)
    assert dlg.approval.count() == 1 and "校审〔2026〕3号" in dlg.approval.itemText(0)
    purpose, approval = dlg.result_value()
    assert purpose == "external" and approval["reference"] == "校审〔2026〕3号"
    view.close()
    s.close()
