"""档案袋: a student's paper folder as a tab of the student editor — where the folder is (cabinet → shelf →
box → position, any depth) and moving it, the document checklist (paper state, scan attached, checked
when and by whom; mark, attach and view scans), and the folder's loans (lend, return).

Everything goes through app.paper; the panel only shows and asks. Each action is one service call
(one transaction); a refusal is shown with its field and article and nothing changes."""
from __future__ import annotations

import datetime as dt
import os
import tempfile

from PySide6.QtCore import QDate, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QGroupBox,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QSplitter, QVBoxLayout, QWidget)

from app.core.errors import Refused
from ui.common import messages
from ui.common.i18n import tr
from ui.common.record_list import fill_table, make_table

MISSING_BG, MISSING_FG = "#ffebee", "#b71c1c"
LENT_BG, LENT_FG = "#fff8e1", "#8d4e00"


def paper_names() -> dict:
    return {"present": tr("paperui.state_present"), "missing": tr("paperui.state_missing"),
            "lent": tr("paperui.state_lent"), "handed_over": tr("paperui.state_handed_over"),
            "unknown": tr("paperui.state_unknown")}




class MoveDialog(QDialog):
    def __init__(self, current: list[str], parent=None):
        super().__init__(parent)
        self.setWindowTitle(tr("paperui.move_title"))
        form = QFormLayout(self)
        self.location = QLineEdit(" / ".join(current))
        self.location.setPlaceholderText(tr("paperui.location_placeholder"))
        form.addRow(tr("paperui.location"), self.location)
        self.reason = QLineEdit()
        form.addRow(tr("paperui.reason"), self.reason)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        bb.accepted.connect(self.accept)
        bb.rejected.connect(self.reject)
        form.addRow(bb)
        self.setMinimumWidth(480)

    def parts(self) -> list[str]:
        return [p.strip() for p in self.location.text().replace("\\", "/").replace("／", "/").split("/") if p.strip()]


class LendDialog(QDialog):
    def __init__(self, items: list, parent=None):
        super().__init__(parent)
        self.setWindowTitle(tr("paperui.lend_title"))
        form = QFormLayout(self)
        self.item = QComboBox()
        self.item.addItem(tr("paperui.whole_folder"), "")
        for it in items:
            self.item.addItem(it.name, it.key)
        form.addRow(tr("paperui.lend_what"), self.item)
        self.borrower = QLineEdit()
        form.addRow(tr("paperui.borrower"), self.borrower)
        self.purpose = QLineEdit()
        form.addRow(tr("paperui.purpose"), self.purpose)
        self.approved_by = QLineEdit()
        form.addRow(tr("paperui.approved_by"), self.approved_by)
        self.due = QDateEdit(QDate.currentDate().addDays(14))
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("yyyy-MM-dd")
        form.addRow(tr("paperui.due_on"), self.due)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        bb.accepted.connect(self.accept)
        bb.rejected.connect(self.reject)
        form.addRow(bb)
        self.setMinimumWidth(480)

    def values(self) -> dict:
        return {"item_key": self.item.currentData() or "", "borrower": self.borrower.text(),
                "purpose": self.purpose.text(), "approved_by": self.approved_by.text(),
                "due_on": self.due.date().toString("yyyy-MM-dd")}


class FolderPanel(QWidget):
    """``changed()`` after anything was recorded (the editor's history and the main window re-read)."""

    changed = Signal()

    def __init__(self, session, student_id: int, parent=None):
        super().__init__(parent)
        self.session = session
        self.student_id = student_id
        self.items: list = []
        self.loans: list = []
        self._temps: list[str] = []
        lay = QVBoxLayout(self)
        where = QHBoxLayout()
        where.addWidget(QLabel(tr("paperui.location")))
        self.location_label = QLabel()
        self.location_label.setObjectName("folder_location")
        self.location_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        where.addWidget(self.location_label, 1)
        self.move_btn = QPushButton(tr("paperui.move"))
        self.move_btn.clicked.connect(lambda: self.move())
        where.addWidget(self.move_btn)
        self.label_btn = QPushButton(tr("paperui.print_label"))
        self.label_btn.clicked.connect(lambda: self.print_label())
        where.addWidget(self.label_btn)
        self.sign_btn = QPushButton(tr("paperui.signed"))
        self.sign_btn.setToolTip(tr("paperui.signed_tip"))
        self.sign_btn.clicked.connect(lambda: self.record_signature())
        where.addWidget(self.sign_btn)
        self.handover_btn = QPushButton(tr("paperui.handover"))
        self.handover_btn.clicked.connect(lambda: self.hand_over())
        where.addWidget(self.handover_btn)
        lay.addLayout(where)
        self.key_label = QLabel()
        self.key_label.setStyleSheet("color: #616161;")
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.key_label)

        split = QSplitter(Qt.Orientation.Vertical)
        box = QGroupBox(tr("paperui.checklist"))
        bl = QVBoxLayout(box)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        bl.addWidget(self.summary)
        self.table = make_table([tr("paperui.col_item"), tr("paperui.col_paper"), tr("paperui.col_scan"),
                                 tr("paperui.col_checked"), tr("paperui.col_article"), tr("paperui.col_note")],
                                (300, 130, 80, 130, 140), name="checklist_table")
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.cellDoubleClicked.connect(lambda r, _c: self.view_scan(r))
        bl.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel(tr("paperui.mark_as")))
        self.state_combo = QComboBox()
        from app.paper.checklist import MARKABLE

        for s in MARKABLE:
            self.state_combo.addItem(paper_names()[s], s)
        row.addWidget(self.state_combo)
        self.mark_btn = QPushButton(tr("paperui.mark"))
        self.mark_btn.clicked.connect(lambda: self.mark(self.table.currentRow(), self.state_combo.currentData()))
        row.addWidget(self.mark_btn)
        row.addStretch(1)
        self.attach_btn = QPushButton(tr("paperui.attach"))
        self.attach_btn.clicked.connect(lambda: self.attach(self.table.currentRow()))
        self.view_btn = QPushButton(tr("paperui.view_scan"))
        self.view_btn.clicked.connect(lambda: self.view_scan(self.table.currentRow()))
        row.addWidget(self.attach_btn)
        row.addWidget(self.view_btn)
        bl.addLayout(row)
        split.addWidget(box)

        lbox = QGroupBox(tr("paperui.loans_box"))
        ll = QVBoxLayout(lbox)
        self.loan_table = make_table([tr("paperui.col_what"), tr("paperui.col_borrower"), tr("paperui.col_purpose"),
                                      tr("paperui.col_approved"), tr("paperui.col_lent"), tr("paperui.col_due"),
                                      tr("paperui.col_returned")], (150, 90, 160, 90, 90, 90), name="folder_loans")
        self.loan_table.itemSelectionChanged.connect(self._selection_changed)
        ll.addWidget(self.loan_table, 1)
        lrow = QHBoxLayout()
        lrow.addStretch(1)
        self.lend_btn = QPushButton(tr("paperui.lend"))
        self.lend_btn.clicked.connect(lambda: self.lend())
        self.return_btn = QPushButton(tr("paperui.return"))
        self.return_btn.clicked.connect(lambda: self.return_(self.loan_table.currentRow()))
        lrow.addWidget(self.lend_btn)
        lrow.addWidget(self.return_btn)
        ll.addLayout(lrow)
        split.addWidget(lbox)
        split.setSizes([420, 180])
        lay.addWidget(split, 1)
        for b in (self.move_btn, self.label_btn, self.sign_btn, self.handover_btn, self.mark_btn, self.attach_btn,
                  self.view_btn, self.lend_btn, self.return_btn):
            b.setAutoDefault(False)
        self.reload()

    # ------------------------------------------------------------------ reading
    def reload(self) -> None:
        from app.paper import checklist as paper_checklist, loans as paper_loans, locations as paper_locations

        sid = self.student_id
        f = paper_locations.locate(self.session, sid)
        self.location_label.setText(f.path_text if f is not None and f.location else tr("paperui.no_location"))
        self.location_label.setStyleSheet("" if f is not None and f.location else f"color: {MISSING_FG};")
        moves = list(f.moves) if f is not None else []
        self.location_label.setToolTip("\n".join(
            tr("paperui.move_line", at=str(m.get("moved_at", ""))[:16].replace("T", " "), by=m.get("moved_by", ""),
               old=" / ".join(m.get("from_location") or []) or tr("paperui.nowhere"),
               new=" / ".join(m.get("to_location") or []), reason=m.get("reason") or "")
            for m in reversed(moves)) or tr("paperui.no_moves"))
        self.key_label.setText(tr("paperui.label_key", key=paper_locations.label_key(self.session, sid)))
        r = self.table.currentRow()
        keep = self.items[r].key if 0 <= r < len(self.items) else None
        self.items = list(paper_checklist.checklist(self.session, sid))
        names = paper_names()
        rows, colors = [], []
        for it in self.items:
            name = it.name  # per-year items carry their school year in the name
            scan = tr("paperui.scan_count", count=len(it.scans), pages=sum(int(s.get("pages") or 1) for s in it.scans)) \
                if it.scans else tr("paperui.no_scan")
            paper_text = names.get(it.paper, it.paper)
            if it.paper == "lent" and it.due_back:
                paper_text = tr("paperui.lent_until", due=it.due_back)
            checked = " ".join(x for x in (str(it.checked_at or "")[:10], it.checked_by or "") if x)
            rows.append([name, paper_text, scan, checked, it.article, it.note])
            colors.append((MISSING_BG, MISSING_FG) if it.paper == "missing" and it.required
                          else (LENT_BG, LENT_FG) if it.paper == "lent" else None)
        fill_table(self.table, rows, colors=colors)
        present = sum(1 for it in self.items if it.paper in ("present", "lent", "handed_over"))
        scanned = sum(1 for it in self.items if it.scans)
        missing = sum(1 for it in self.items if it.paper == "missing")
        self.summary.setText(tr("paperui.checklist_summary", count=len(self.items), present=present, scanned=scanned,
                                missing=missing))
        keys = [it.key for it in self.items]
        if keep in keys:
            self.table.selectRow(keys.index(keep))
        elif self.items:
            self.table.selectRow(0)
        self.loans = list(paper_loans.loans(self.session, open_only=False, student_id=sid))
        by_key = {it.key: it.name for it in self.items}
        lrows, lcolors = [], []
        for ln in self.loans:
            what = by_key.get(ln.item_key, ln.item_key) if ln.item_key else tr("paperui.whole_folder")
            lrows.append([what, ln.borrower, ln.purpose, ln.approved_by, ln.lent_on, ln.due_on,
                          ln.returned_on or (tr("paperui.overdue_days", days=ln.days_overdue) if ln.overdue else "")])
            lcolors.append((MISSING_BG, MISSING_FG) if ln.overdue else None)
        fill_table(self.loan_table, lrows, colors=lcolors)
        self._selection_changed()

    def _selection_changed(self) -> None:
        r = self.table.currentRow()
        ok = 0 <= r < len(self.items)
        self.mark_btn.setEnabled(ok)
        self.attach_btn.setEnabled(ok)
        self.view_btn.setEnabled(ok and bool(self.items[r].scans))
        lr = self.loan_table.currentRow()
        self.return_btn.setEnabled(0 <= lr < len(self.loans) and not self.loans[lr].returned_on)

    # ------------------------------------------------------------------ actions
    def _call(self, fn, *a, **kw):
        try:
            out = fn(*a, **kw)
        except Refused as e:
            messages.error(self, messages.findings_text(e.findings))
            return None
        self.reload()
        self.changed.emit()
        return out if out is not None else True

    def move(self, location: list[str] | None = None, reason: str = ""):
        from app.paper import locations as paper_locations

        if location is None:
            f = paper_locations.locate(self.session, self.student_id)
            dlg = MoveDialog(list(f.location) if f else [], self)
            if not dlg.exec():
                return None
            location, reason = dlg.parts(), dlg.reason.text()
        return self._call(paper_locations.move, self.session, self.student_id, location, reason=reason)

    def mark(self, r: int, state: str, note: str = ""):
        from app.paper import checklist as paper_checklist

        if not (0 <= r < len(self.items)):
            return None
        return self._call(paper_checklist.mark_item, self.session, self.student_id, self.items[r].key, paper=state, note=note)

    def attach(self, r: int, path: str | None = None):
        from app.paper import scans as paper_scans

        if not (0 <= r < len(self.items)):
            return None
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, tr("paperui.attach"), "", tr("paperui.scan_filter"))
            if not path:
                return None
        res = self._call(paper_scans.attach_scan, self.session, self.student_id, self.items[r].key, path)
        if res is not None and getattr(res, "already_linked", False):
            messages.info(self, tr("paperui.already_attached"))
        return res

    def view_scan(self, r: int):
        """Open the item's latest scan with the system viewer (a copy in a temporary file)."""
        from app.paper import scans as paper_scans

        if not (0 <= r < len(self.items)) or not self.items[r].scans:
            return None
        sc = self.items[r].scans[-1]
        try:
            data = paper_scans.scan_bytes(self.session, sc["id"])
        except Refused as e:
            messages.error(self, messages.findings_text(e.findings))
            return None
        except OSError as e:
            messages.error(self, tr("paperui.scan_unreadable", error=str(e)))
            return None
        fd, path = tempfile.mkstemp(prefix="xueji-scan-", suffix="." + sc.get("ext", "pdf"))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        self._temps.append(path)
        if os.environ.get("QT_QPA_PLATFORM") != "offscreen":
            QDesktopServices.openUrl(QUrl.fromLocalFile(path))
        return path

    def lend(self, **values):
        from app.paper import loans as paper_loans

        if not values:
            dlg = LendDialog(self.items, self)
            if not dlg.exec():
                return None
            values = dlg.values()
        return self._call(paper_loans.lend, self.session, self.student_id, **values)

    def return_(self, r: int, note: str = ""):
        from app.paper import loans as paper_loans

        if not (0 <= r < len(self.loans)):
            return None
        return self._call(paper_loans.return_loan, self.session, self.loans[r].id, returned_on=dt.date.today(), note=note)


    def print_label(self):
        """The folder's label (QR code with the student's key) in the print preview."""
        from ui.printing.print_preview_dialog import PrintPreviewDialog

        owner = self.window().parentWidget() or self.window()   # the main window: outlives the editor
        dlg = PrintPreviewDialog(self.session, "folder-label", student_ids=[self.student_id], parent=owner)
        dlg.show()  # as the 打印 menu does: kept (not deleted) while a render may still deliver
        return dlg

    def record_signature(self, signed_on: str | None = None, guardian: str | None = None):
        """The guardian signed the printed 学生基本信息表 (later edits make it out of date again)."""
        from app.paper import discrepancies as PR

        if signed_on is None:
            dlg = FormDialog(tr("paperui.signed_title"), [("date", tr("paperui.signed_on")),
                                                          ("text", tr("paperui.guardian"))], self)
            if not dlg.exec():
                return None
            signed_on, guardian = dlg.values()
        return self._call(PR.record_signature, self.session, self.student_id, signed_on, guardian or "")

    def hand_over(self, **values):
        """The folder left the school (转出 to the receiving school, or sealed and carried by the guardian)."""
        from app.paper import loans as paper_loans

        if not values:
            dlg = FormDialog(tr("paperui.handover_title"), [("text", tr("paperui.handed_to")),
                                                            ("text", tr("paperui.carried_by")),
                                                            ("date", tr("paperui.handed_on")),
                                                            ("text", tr("paperui.reason"))], self)
            if not dlg.exec():
                return None
            to, carried, on, note = dlg.values()
            values = {"handed_to": to, "carried_by": carried, "handed_on": on, "note": note}
        return self._call(paper_loans.hand_over, self.session, self.student_id, **values)


class FormDialog(QDialog):
    """A few labelled fields (``("text"|"date", label)``) with OK / Cancel; ``values()`` in order."""

    def __init__(self, title: str, fields: list, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        form = QFormLayout(self)
        self.widgets = []
        for kind, label in fields:
            if kind == "date":
                w = QDateEdit(QDate.currentDate())
                w.setCalendarPopup(True)
                w.setDisplayFormat("yyyy-MM-dd")
            else:
                w = QLineEdit()
            self.widgets.append(w)
            form.addRow(label, w)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        bb.accepted.connect(self.accept)
        bb.rejected.connect(self.reject)
        form.addRow(bb)
        self.setMinimumWidth(460)

    def values(self) -> list[str]:
        return [w.date().toString("yyyy-MM-dd") if isinstance(w, QDateEdit) else w.text() for w in self.widgets]


def add_folder_tab(editor) -> QWidget:
    """The 档案袋 tab of the student editor (ui.students.student_editor_dialog)."""
    w = FolderPanel(editor.session, editor.student_id, editor)
    editor.tabs.addTab(w, tr("paperui.tab"))
    w.changed.connect(lambda: (editor._fill_history(), editor.saved.emit(editor.student_id)))
    return w
