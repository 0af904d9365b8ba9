"""学期复核 (国家 第二十四条): a guided review of a class or the whole school. Scan each folder's label (the
scanner works while this window is open: a scan marks the folder as seen instead of opening the student)
or tick it, confirm the checklist and the key data against the folder; record what was found and how it
was fixed; print the review report (who, when, found, fixed).

Every mark is saved at once through app.paper.review (one transaction each), so the review goes on where
it stopped after closing the window or the program."""
from __future__ import annotations

import os

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QFileDialog, QHBoxLayout, QInputDialog, QLabel,
                               QLineEdit, QPushButton, QSplitter, QVBoxLayout, QWidget)

from app.core.errors import NotFound, Refused
from ui.common import messages
from ui.common.i18n import tr
from ui.common.record_list import fill_table, make_table

DONE_BG, DONE_FG = "#e8f5e9", "#1b5e20"
ERROR_FG = "#b71c1c"


class ReviewDialog(QDialog):
    marked = Signal(int)  # a student's folder was marked seen (tests wait for it)

    def __init__(self, session, parent=None, *, class_id: int | None = None, window=None):
        super().__init__(parent)
        from app.paper import review as PR

        self.PR = PR
        self.session = session
        self.window_ = window
        self.status: dict | None = None
        self.students: list = []
        self.findings: list = []
        self.setWindowTitle(tr("reviewui.title"))
        self.setSizeGripEnabled(True)
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel(tr("reviewui.review")))
        self.review_combo = QComboBox()
        self.review_combo.setObjectName("review_combo")
        self.review_combo.setMinimumWidth(360)
        self.review_combo.currentIndexChanged.connect(lambda _i: self.show_review(self.review_combo.currentData()))
        top.addWidget(self.review_combo, 1)
        top.addWidget(QLabel(tr("reviewui.scope")))
        self.scope_combo = QComboBox()
        self.scope_combo.addItem(tr("reviewui.whole_school"), None)
        from app.school.classes import list_classes

        for k in list_classes(session):
            if k.get("status", "active") == "active":
                self.scope_combo.addItem(tr("reviewui.class_item", stage=k.get("stage_name", ""),
                                            name=k.get("display_name", "")), k["id"])
        if class_id is not None and self.scope_combo.findData(class_id) >= 0:
            self.scope_combo.setCurrentIndex(self.scope_combo.findData(class_id))
        top.addWidget(self.scope_combo)
        self.start_btn = QPushButton(tr("reviewui.start"))
        self.start_btn.clicked.connect(lambda: self.start(self.scope_combo.currentData()))
        top.addWidget(self.start_btn)
        lay.addLayout(top)

        self.summary = QLabel()
        self.summary.setObjectName("review_summary")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        scan_row = QHBoxLayout()
        scan_row.addWidget(QLabel(tr("reviewui.code")))
        self.code_edit = QLineEdit()
        self.code_edit.setPlaceholderText(tr("reviewui.code_placeholder"))
        self.code_edit.returnPressed.connect(lambda: self.mark_code(self.code_edit.text()))
        self.code_edit.setMinimumWidth(460)
        scan_row.addWidget(self.code_edit, 3)
        self.feedback = QLabel()
        self.feedback.setObjectName("review_feedback")
        scan_row.addWidget(self.feedback, 2)
        self.todo_only = QCheckBox(tr("reviewui.todo_only"))
        self.todo_only.toggled.connect(lambda _on: self._fill())
        scan_row.addWidget(self.todo_only)
        lay.addLayout(scan_row)

        split = QSplitter(Qt.Orientation.Vertical)
        upper = QWidget()
        ul = QVBoxLayout(upper)
        ul.setContentsMargins(0, 0, 0, 0)
        self.table = make_table([tr("reviewui.col_name"), tr("reviewui.col_class"), tr("reviewui.col_folder"),
                                 tr("reviewui.col_checklist"), tr("reviewui.col_key_data"),
                                 tr("reviewui.col_findings")], (100, 130, 175, 175, 175), name="review_table")
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.cellDoubleClicked.connect(lambda r, _c: self.open_row(r))
        ul.addWidget(self.table, 1)
        self.key_data = QLabel()
        self.key_data.setObjectName("review_key_data")
        self.key_data.setWordWrap(True)
        self.key_data.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key_data.setStyleSheet("background: #f5f5f5; padding: 4px;")
        ul.addWidget(self.key_data)
        srow = QHBoxLayout()
        self.tick_btn = QPushButton(tr("reviewui.tick_folder"))
        self.tick_btn.clicked.connect(lambda: self.mark_row(self.table.currentRow(), "folder"))
        self.checklist_btn = QPushButton(tr("reviewui.confirm_checklist"))
        self.checklist_btn.clicked.connect(lambda: self.mark_row(self.table.currentRow(), "checklist"))
        self.key_btn = QPushButton(tr("reviewui.confirm_key_data"))
        self.key_btn.clicked.connect(lambda: self.mark_row(self.table.currentRow(), "key_data"))
        self.open_btn = QPushButton(tr("reviewui.open_student"))
        self.open_btn.clicked.connect(lambda: self.open_row(self.table.currentRow()))
        self.finding_btn = QPushButton(tr("reviewui.add_finding"))
        self.finding_btn.clicked.connect(lambda: self.add_finding(self.table.currentRow()))
        for b in (self.tick_btn, self.checklist_btn, self.key_btn, self.open_btn, self.finding_btn):
            srow.addWidget(b)
        srow.addStretch(1)
        ul.addLayout(srow)
        split.addWidget(upper)
        lower = QWidget()
        ll = QVBoxLayout(lower)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(QLabel(tr("reviewui.findings")))
        self.finding_table = make_table([tr("reviewui.col_name"), tr("reviewui.col_what"), tr("reviewui.col_recorded"),
                                         tr("reviewui.col_fix")], (100, 330, 190), name="review_findings")
        self.finding_table.itemSelectionChanged.connect(self._selection_changed)
        ll.addWidget(self.finding_table, 1)
        frow = QHBoxLayout()
        self.fix_btn = QPushButton(tr("reviewui.fix"))
        self.fix_btn.clicked.connect(lambda: self.fix(self.finding_table.currentRow()))
        frow.addWidget(self.fix_btn)
        frow.addStretch(1)
        ll.addLayout(frow)
        split.addWidget(lower)
        split.setSizes([380, 160])
        lay.addWidget(split, 1)

        bottom = QHBoxLayout()
        hint = QLabel(tr("reviewui.hint"))
        hint.setStyleSheet("color: #616161;")
        hint.setWordWrap(True)
        bottom.addWidget(hint, 1)
        self.print_btn = QPushButton(tr("reviewui.print"))
        self.print_btn.clicked.connect(lambda: self.print_report())
        self.finish_btn = QPushButton(tr("reviewui.finish"))
        self.finish_btn.clicked.connect(lambda: self.finish())
        close = QPushButton(tr("common.close"))
        close.clicked.connect(self.reject)
        for b in (self.tick_btn, self.checklist_btn, self.key_btn, self.open_btn, self.finding_btn, self.fix_btn,
                  self.print_btn, self.finish_btn, close, self.start_btn):
            b.setAutoDefault(False)
        for b in (self.print_btn, self.finish_btn, close):
            bottom.addWidget(b)
        lay.addLayout(bottom)
        self.resize(1100, 720)

        from ui.paper.scan_input import ScanInput

        self.scan_input = window.findChild(ScanInput) if window is not None else None
        if self.scan_input is not None:
            self.scan_input.push_handler(self._scanned)
            self.finished.connect(lambda _r: self.scan_input.remove_handler(self._scanned))
        self.reload_reviews()

    # ------------------------------------------------------------------ reviews
    @property
    def review_id(self) -> int | None:
        return self.review_combo.currentData()

    def reload_reviews(self, select: int | None = None) -> None:
        revs = sorted(self.PR.reviews(self.session), key=lambda r: r["id"], reverse=True)
        self.review_combo.blockSignals(True)
        self.review_combo.clear()
        for r in revs:
            scope = self._scope_name(r.get("class_id"))
            state = tr("reviewui.finished", at=str(r["finished_at"])[:10]) if r.get("finished_at") \
                else tr("reviewui.open")
            self.review_combo.addItem(tr("reviewui.review_item", term=self.PR.term_name(r["term"]), scope=scope,
                                         started=str(r.get("started_at", ""))[:10], state=state), r["id"])
        self.review_combo.blockSignals(False)
        if revs:
            i = self.review_combo.findData(select) if select is not None else -1
            if i < 0:  # the latest open one, else the latest
                i = next((k for k, r in enumerate(revs) if not r.get("finished_at")), 0)
            self.review_combo.setCurrentIndex(i)
        self.show_review(self.review_id)

    def _scope_name(self, class_id) -> str:
        if class_id is None:
            return tr("reviewui.whole_school")
        i = self.scope_combo.findData(class_id)
        return self.scope_combo.itemText(i) if i >= 0 else str(class_id)

    def start(self, class_id=None):
        try:
            r = self.PR.start_review(self.session, class_id=class_id)
        except (Refused, NotFound) as e:
            self._error(e)
            return None
        self.reload_reviews(select=r["id"])
        return r

    def show_review(self, review_id) -> None:
        self.status = self.PR.review_status(self.session, review_id) if review_id is not None else None
        self._fill()

    def _fill(self) -> None:
        s = self.status
        r = self.table.currentRow()
        keep = self.students[r]["student_id"] if 0 <= r < len(self.students) else None
        if s is None:
            self.students, self.findings = [], []
            self.summary.setText(tr("reviewui.none"))
            fill_table(self.table, [])
            fill_table(self.finding_table, [])
            self._selection_changed()
            return
        self.students = [x for x in s["students"] if not (self.todo_only.isChecked() and x["done"])]
        self.findings = list(s["findings"])
        c, rv = s["counts"], s["review"]
        self.summary.setText(tr("reviewui.summary", scope=rv["scope"], term=rv["term_name"], students=c["students"],
                                done=c["done"], folder=c["folder"], checklist=c["checklist"], key_data=c["key_data"],
                                findings=c["findings"], fixed=c["fixed"]))
        per_student: dict = {}
        for f in self.findings:
            per_student.setdefault(f["student_id"], []).append(f)
        rows, colors = [], []
        for x in self.students:
            fs = per_student.get(x["student_id"], [])
            rows.append([x["name"], x["class"]] + [self._step_text(x[step]) for step in self.PR.STEPS]
                        + [tr("reviewui.findings_count", count=len(fs), open=sum(1 for f in fs if not f["fixed"]))
                           if fs else ""])
            colors.append((DONE_BG, DONE_FG) if x["done"] else None)
        fill_table(self.table, rows, colors=colors)
        fill_table(self.finding_table, [[f["name"] or tr("reviewui.whole_school"), f["what"],
                                         " ".join((str(f["recorded_at"])[:16].replace("T", " "), f["recorded_by"] or "")),
                                         f["fix"] or tr("reviewui.not_fixed")] for f in self.findings])
        ids = [x["student_id"] for x in self.students]
        if keep in ids:
            self.table.selectRow(ids.index(keep))
        elif ids:
            self.table.selectRow(0)
        self._selection_changed()

    def _step_text(self, m) -> str:
        if not m:
            return ""
        how = self.PR.HOW_NAMES[m["how"]] if m.get("how") in self.PR.HOW_NAMES else ""
        return tr("reviewui.step_done", how=how, at=str(m.get("at", ""))[5:16].replace("T", " "))

    def _open(self) -> bool:
        return self.status is not None and not self.status["review"].get("finished_at")

    def _selection_changed(self) -> None:
        r = self.table.currentRow()
        ok = 0 <= r < len(self.students)
        self.key_data.setText(key_data_text(self.session, self.students[r]["student_id"]) if ok else "")
        live = self._open()
        for b in (self.tick_btn, self.checklist_btn, self.key_btn, self.finding_btn):
            b.setEnabled(ok and live)
        self.open_btn.setEnabled(ok)
        fr = self.finding_table.currentRow()
        self.fix_btn.setEnabled(live and 0 <= fr < len(self.findings) and not self.findings[fr]["fixed"])
        self.finish_btn.setEnabled(live)
        self.print_btn.setEnabled(self.status is not None)
        self.code_edit.setEnabled(live)

    # ------------------------------------------------------------------ marking
    def _scanned(self, scan) -> bool:
        """The scanner's handler while this window is open: the folder is seen (not the student opened)."""
        if not self.isVisible():
            return False
        self.mark_student(scan.student_id, "folder", how="scan")
        return True

    def mark_code(self, text: str) -> bool:
        """A code typed or scanned into the code box."""
        text = (text or "").strip()
        if not text:
            return False
        sid = self.PR.resolve_label(self.session, text)
        self.code_edit.clear()
        if sid is None:
            self._say(tr("reviewui.unknown_code", code=text), error=True)
            return False
        return self.mark_student(sid, "folder", how="scan")

    def mark_row(self, r: int, step: str) -> bool:
        if not (0 <= r < len(self.students)):
            return False
        return self.mark_student(self.students[r]["student_id"], step)

    def mark_student(self, student_id: int, step: str = "folder", *, how: str = "tick") -> bool:
        if not self._open():
            self._say(tr("reviewui.no_open_review"), error=True)
            return False
        try:
            self.PR.mark(self.session, self.review_id, student_id, step, how)
        except (Refused, NotFound) as e:
            findings = getattr(e, "findings", None)
            self._say(findings[0].message if findings else str(e), error=True)
            return False
        self.show_review(self.review_id)
        ids = [x["student_id"] for x in self.students]
        name = ""
        if student_id in ids:
            self.table.selectRow(ids.index(student_id))
            self.table.scrollTo(self.table.model().index(ids.index(student_id), 0))
            name = self.students[ids.index(student_id)]["name"]
        self._say(tr("reviewui.marked", name=name, step=self.PR.STEP_NAMES[step]))
        self.marked.emit(int(student_id))
        return True

    def _say(self, text: str, *, error: bool = False) -> None:
        self.feedback.setText(text)
        self.feedback.setStyleSheet(f"color: {ERROR_FG}; font-weight: bold;" if error else "color: #1b5e20;")

    def open_row(self, r: int):
        if not (0 <= r < len(self.students)) or self.window_ is None:
            return None
        from ui.paper.navigate import open_student_folder

        return open_student_folder(self.window_, self.students[r]["student_id"])

    # ------------------------------------------------------------------ findings
    def add_finding(self, r: int, what: str | None = None):
        if not (0 <= r < len(self.students)):
            return None
        if what is None:
            what, ok = QInputDialog.getText(self, tr("reviewui.add_finding"),
                                            tr("reviewui.finding_prompt", name=self.students[r]["name"]))
            if not ok:
                return None
        try:
            fid = self.PR.add_finding(self.session, self.review_id, self.students[r]["student_id"], what)
        except (Refused, NotFound) as e:
            self._error(e)
            return None
        self.show_review(self.review_id)
        return fid

    def fix(self, r: int, note: str | None = None):
        if not (0 <= r < len(self.findings)):
            return None
        if note is None:
            note, ok = QInputDialog.getText(self, tr("reviewui.fix"), tr("reviewui.fix_prompt",
                                                                          what=self.findings[r]["what"]))
            if not ok:
                return None
        try:
            out = self.PR.fix_finding(self.session, self.findings[r]["id"], note)
        except (Refused, NotFound) as e:
            self._error(e)
            return None
        self.show_review(self.review_id)
        return out

    def finish(self, note: str | None = None) -> bool:
        if not self._open():
            return False
        c = self.status["counts"]
        if note is None:
            if c["done"] < c["students"] and not messages.confirm(
                    self, tr("reviewui.finish_incomplete", done=c["done"], students=c["students"])):
                return False
            note = ""
        try:
            self.PR.finish_review(self.session, self.review_id, note)
        except (Refused, NotFound) as e:
            self._error(e)
            return False
        self.reload_reviews(select=self.review_id)
        return True

    def print_report(self, path: str | None = None):
        """The review report as a PDF (asks where to save it; opened with the system viewer)."""
        if self.status is None:
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, tr("reviewui.print"), tr("reviewui.report_name"),
                                                  tr("reviewui.pdf_filter"))
            if not path:
                return None
        try:
            res = self.PR.print_review_report(self.session, self.review_id, path)
        except (Refused, NotFound) as e:
            self._error(e)
            return None
        if os.environ.get("QT_QPA_PLATFORM") != "offscreen":
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(res["path"])))
        return res

    def _error(self, e) -> None:
        findings = getattr(e, "findings", None)
        messages.error(self, messages.findings_text(findings) if findings else str(e))



KEY_FIELDS = ("name", "gender", "birth_date", "ethnicity", "id_number", "xueji_no")
CODED = {"gender": "gender", "ethnicity": "ethnicity"}


def key_data_text(session, student_id: int) -> str:
    """The key data to compare with the folder's papers: 姓名 性别 出生日期 民族 身份证件号 学籍号."""
    from app.students import codes
    from app.students import fields as F
    from app.students import service as ss

    try:
        s = ss.get_student(session, int(student_id))
    except Exception:
        return ""
    parts = []
    for k in KEY_FIELDS:
        v = s.get(k) or ""
        if k in CODED and v:
            v = codes.name_of(CODED[k], v) or v
        elif k == "birth_date" and len(v) == 8 and v.isdigit():
            v = f"{v[:4]}-{v[4:6]}-{v[6:]}"
        parts.append(tr("reviewui.key_item", field=F.by_key()[k].header, value=v or tr("reviewui.empty")))
    return tr("reviewui.key_data", items="   ".join(parts))
