"""First run: the archive folder has no archive (or no school yet). Either create the school
(app.school.service.init_school) and then its classes in one quick table (app.school.classes.add_class),
or build a demo archive (app.school.demo.build_demo, 300 students) next to it behind a progress dialog.

On success ``session`` holds the open Session the main window will use.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QPushButton, QSpinBox, QStackedWidget, QTableWidget, QVBoxLayout, QWidget)

from app.school.classes import add_class, grade_name, list_classes
from app.core.errors import Refused
from app.rules.engine import load_profile
from app.school.service import STAGE_NAMES, init_school
from app.core.session import Session
from ui.common import messages
from ui.school.class_dialog import entry_year_for, grade_range
from ui.common.i18n import tr
from ui.common.messages import findings_text
from ui.school.school_dialog import DEFAULT_PROFILE, SchoolForm
from ui.common.workers import run_with_progress

DEMO_STUDENTS = 300
COLS = ("stage", "grade", "count", "entry_year", "capacity", "code")
PAGE_WELCOME, PAGE_SCHOOL, PAGE_CLASSES = range(3)


def demo_folder(folder: Path) -> Path:
    return folder.parent / f"{folder.name}-demo"


class FirstRunDialog(QDialog):
    def __init__(self, folder, parent=None):
        super().__init__(parent)
        self.folder = Path(folder)
        self.session: Session | None = None
        self.job = None
        self.setWindowTitle(tr("first.title"))
        self.setMinimumSize(760, 560)
        lay = QVBoxLayout(self)
        self.pages = QStackedWidget()
        lay.addWidget(self.pages, 1)
        self.pages.addWidget(self._welcome_page())
        self.school_form = SchoolForm(self, new=True)
        self.pages.addWidget(self._titled(tr("first.school_heading"), self.school_form))
        self.pages.addWidget(self._classes_page())
        nav = QHBoxLayout()
        self.back_button = QPushButton(tr("first.back"))
        self.next_button = QPushButton(tr("first.next"))
        self.cancel_button = QPushButton(tr("common.cancel"))
        self.next_button.setDefault(True)
        nav.addStretch(1)
        for b in (self.back_button, self.next_button, self.cancel_button):
            nav.addWidget(b)
        lay.addLayout(nav)
        self.back_button.clicked.connect(self.back)
        self.next_button.clicked.connect(self.next)
        self.cancel_button.clicked.connect(self.reject)
        self._show_page(PAGE_WELCOME)

    # ------------------------------------------------------------------ pages
    def _titled(self, title: str, body: QWidget) -> QWidget:
        w = QWidget()
        v = QVBoxLayout(w)
        h = QLabel(title)
        h.setStyleSheet("font-size: 15pt; font-weight: bold;")
        v.addWidget(h)
        v.addWidget(body, 1)
        return w

    def _welcome_page(self) -> QWidget:
        body = QWidget()
        v = QVBoxLayout(body)
        intro = QLabel(tr("first.intro", folder=str(self.folder)))
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        v.addWidget(intro)
        self.create_button = QPushButton(tr("first.create"))
        self.create_button.setMinimumHeight(48)
        self.create_button.clicked.connect(lambda: self._show_page(PAGE_SCHOOL))
        self.demo_button = QPushButton(tr("first.demo", count=DEMO_STUDENTS))
        self.demo_button.setMinimumHeight(48)
        self.demo_button.clicked.connect(self.open_demo)
        v.addSpacing(12)
        v.addWidget(self.create_button)
        v.addWidget(QLabel(tr("first.create_hint")))
        v.addSpacing(12)
        v.addWidget(self.demo_button)
        demo_hint = QLabel(tr("first.demo_hint", folder=str(demo_folder(self.folder))))
        demo_hint.setWordWrap(True)
        v.addWidget(demo_hint)
        v.addStretch(1)
        return self._titled(tr("first.welcome_heading"), body)

    def _classes_page(self) -> QWidget:
        body = QWidget()
        v = QVBoxLayout(body)
        hint = QLabel(tr("first.classes_hint"))
        hint.setWordWrap(True)
        v.addWidget(hint)
        self.class_table = QTableWidget(0, len(COLS))
        self.class_table.setObjectName("class_table")
        self.class_table.setHorizontalHeaderLabels([tr(f"first.col.{c}") for c in COLS])
        self.class_table.verticalHeader().hide()
        self.class_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.class_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        v.addWidget(self.class_table, 1)
        row = QHBoxLayout()
        add = QPushButton(tr("first.add_row"))
        add.clicked.connect(lambda: self.add_class_row())
        remove = QPushButton(tr("first.remove_row"))
        remove.clicked.connect(self.remove_class_row)
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        v.addLayout(row)
        self.class_error = QLabel()
        self.class_error.setObjectName("class_error")
        self.class_error.setWordWrap(True)
        self.class_error.setStyleSheet("color: #c62828;")
        self.class_error.hide()
        v.addWidget(self.class_error)
        return self._titled(tr("first.classes_heading"), body)

    def _show_page(self, page: int) -> None:
        self.pages.setCurrentIndex(page)
        self.back_button.setVisible(page == PAGE_SCHOOL)
        self.next_button.setVisible(page != PAGE_WELCOME)
        self.next_button.setText(tr("first.finish") if page == PAGE_CLASSES else tr("first.next"))
        self.cancel_button.setText(tr("first.skip_classes") if page == PAGE_CLASSES else tr("common.cancel"))
        if page == PAGE_SCHOOL:
            self.school_form.name.setFocus()

    def back(self) -> None:
        if self.pages.currentIndex() == PAGE_SCHOOL:
            self._show_page(PAGE_WELCOME)

    def next(self) -> None:
        page = self.pages.currentIndex()
        if page == PAGE_SCHOOL:
            self.create_school()
        elif page == PAGE_CLASSES:
            self.create_classes()

    def reject(self) -> None:
        if self.pages.currentIndex() == PAGE_CLASSES and self.session is not None:
            self.accept()  # the school exists: classes can be added later from the menu
            return
        if self.job is not None and not self.job.delivered:
            return
        super().reject()

    # ------------------------------------------------------------------ school
    def create_school(self) -> bool:
        f = self.school_form
        values = f.values()
        extra = {k: v for k, v in values.items() if k not in ("name", "profile") and v}
        try:
            self.session = init_school(self.folder, name=values["name"], code=f.code.text().strip(),
                                       stages=f.stages(), profile=values["profile"] or DEFAULT_PROFILE, **extra)
        except Refused as e:
            f.show_refusal(e.findings)
            return False
        except Exception as e:  # ArchiveLocked and friends: their messages are for the registrar
            f.show_refusal([])
            messages.error(self, str(e))
            return False
        f.show_refusal([])
        self.profile = self.session.profile
        self.class_table.setRowCount(0)
        for stage in f.stages():
            low, high = grade_range(self.profile, stage)
            for g in range(low, high + 1):
                self.add_class_row(stage, g)
        self._show_page(PAGE_CLASSES)
        return True

    # ------------------------------------------------------------------ classes
    def add_class_row(self, stage: str | None = None, grade: int | None = None) -> int:
        t = self.class_table
        r = t.rowCount()
        t.insertRow(r)
        stages = self.school_form.stages() if self.session is None else \
            [s for s in self.session.school["stages"].split(",") if s]
        stage_combo = QComboBox()
        for s in stages:
            stage_combo.addItem(STAGE_NAMES[s], s)
        grade_combo = QComboBox()
        count, year, cap = QSpinBox(), QSpinBox(), QSpinBox()
        count.setRange(0, 30)
        count.setValue(1)
        year.setRange(1990, 2100)
        cap.setRange(0, 200)
        cap.setValue(45)
        cap.setSpecialValueText(tr("class.no_capacity"))
        code = QLineEdit()
        code.setPlaceholderText(tr("first.code_placeholder"))
        profile = getattr(self, "profile", None) or load_profile(DEFAULT_PROFILE)

        def fill_grades():
            grade_combo.clear()
            low, high = grade_range(profile, stage_combo.currentData())
            for g in range(low, high + 1):
                grade_combo.addItem(grade_name(g), g)

        def grade_changed():
            if grade_combo.currentData() is not None:
                year.setValue(entry_year_for(profile, stage_combo.currentData(), grade_combo.currentData()))

        stage_combo.currentIndexChanged.connect(fill_grades)
        grade_combo.currentIndexChanged.connect(grade_changed)
        if stage is not None:
            stage_combo.setCurrentIndex(max(0, stage_combo.findData(stage)))
        fill_grades()
        if grade is not None:
            grade_combo.setCurrentIndex(max(0, grade_combo.findData(grade)))
        grade_changed()
        for c, w in enumerate((stage_combo, grade_combo, count, year, cap, code)):
            t.setCellWidget(r, c, w)
        return r

    def remove_class_row(self) -> None:
        rows = sorted({i.row() for i in self.class_table.selectedIndexes()}, reverse=True) or \
            ([self.class_table.currentRow()] if self.class_table.currentRow() >= 0 else [])
        for r in rows:
            self.class_table.removeRow(r)

    def class_rows(self) -> list[dict]:
        t = self.class_table
        out = []
        for r in range(t.rowCount()):
            w = [t.cellWidget(r, c) for c in range(len(COLS))]
            out.append({"stage": w[0].currentData(), "grade": w[1].currentData(), "count": w[2].value(),
                        "entry_year": w[3].value(), "capacity": w[4].value() or None, "code": w[5].text().strip()})
        return out

    def create_classes(self) -> bool:
        """Create every class of the table; rows that worked leave it, refusals stay with their reasons."""
        errors, done_rows = [], []
        numbers: dict[tuple, int] = {}  # the next class number continues after existing classes
        for k in list_classes(self.session):
            slot = (k["stage"], int(k["grade"]), int(k["entry_year"]))
            numbers[slot] = max(numbers.get(slot, 0), int(k["number"]))
        for r, row in enumerate(self.class_rows()):
            ok = True
            for i in range(row["count"]):
                slot = (row["stage"], row["grade"], row["entry_year"])
                numbers[slot] = numbers.get(slot, 0) + 1
                code = _nth_code(row["code"], i)
                try:
                    add_class(self.session, stage=row["stage"], grade=row["grade"], number=numbers[slot],
                              entry_year=row["entry_year"], code=code, capacity=row["capacity"])
                except Refused as e:
                    ok = False
                    errors.append(tr("first.row_error", row=r + 1, text=findings_text(e.findings)))
                    break
            if ok:
                done_rows.append(r)
        for r in reversed(done_rows):
            self.class_table.removeRow(r)
        if errors:
            self.class_error.setText("\n".join(errors))
            self.class_error.show()
            return False
        self.accept()
        return True

    # ------------------------------------------------------------------ demo
    def open_demo(self) -> None:
        folder = demo_folder(self.folder)
        if (folder / "archive.sqlite").exists():
            try:
                s = Session.open(folder)
            except Exception as e:
                messages.error(self, str(e))
                return
            if s.school is not None:
                self.session = s
                self.accept()
                return
            s.close()
        from app.school import demo

        profile = self.school_form.profile.currentData() or DEFAULT_PROFILE

        def fn(progress, cancel):
            return demo.build_demo(folder, students=DEMO_STUDENTS, profile=profile, progress=progress, cancel=cancel)

        def done(result):
            try:
                self.session = result if isinstance(result, Session) else Session.open(folder)
            except Exception as e:
                messages.error(self, str(e))
                return
            self.accept()

        self.job = run_with_progress(self, tr("first.demo_progress", count=DEMO_STUDENTS), fn, on_done=done,
                                     on_error=lambda err: messages.job_error(self, err))


def _nth_code(code: str, i: int) -> str | None:
    """班号 for the i-th class of a row: "0101" → "0101", "0102", …; a non-numeric code only for the first."""
    if not code:
        return None
    if i == 0:
        return code
    if code.isdigit():
        return str(int(code) + i).zfill(len(code))
    return None
