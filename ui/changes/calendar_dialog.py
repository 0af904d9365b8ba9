"""工作日日历: the holidays and make-up working days (调休) of one year, as the deadlines count them
(app.core.workdays). The built-in library knows the years up to its release; for a later year the
registrar enters the State Council's notice here, one date at a time or from a CSV / Excel file.
Entries are never deleted: a correction is the same date entered again (the latest entry wins)."""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFileDialog,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout)

from app.core import workdays
from app.core.errors import Refused
from ui.common import messages
from ui.common.i18n import tr


def weekday_name(i: int) -> str:
    return (tr("calendar_ui.mon"), tr("calendar_ui.tue"), tr("calendar_ui.wed"), tr("calendar_ui.thu"),
            tr("calendar_ui.fri"), tr("calendar_ui.sat"), tr("calendar_ui.sun"))[i]


def kind_name(kind: str) -> str:
    return tr("calendar.kind.holiday") if kind == "holiday" else tr("calendar.kind.workday")


class CalendarDialog(QDialog):
    def __init__(self, session, parent=None, *, year: int | None = None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle(tr("calendar_ui.title"))
        self.setSizeGripEnabled(True)
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel(tr("calendar_ui.year")))
        self.year_spin = QSpinBox()
        self.year_spin.setRange(2000, 2100)
        self.year_spin.setValue(year or _dt.date.today().year)
        self.year_spin.valueChanged.connect(lambda _v: self.reload())
        top.addWidget(self.year_spin)
        self.source_label = QLabel()
        self.source_label.setObjectName("source_label")
        self.source_label.setWordWrap(True)
        top.addWidget(self.source_label, 1)
        lay.addLayout(top)

        self.table = QTableWidget(0, 5)
        self.table.setObjectName("calendar_table")
        self.table.setHorizontalHeaderLabels([tr("calendar.col_date"), tr("calendar_ui.col_weekday"),
                                              tr("calendar.col_kind"), tr("calendar_ui.col_name"),
                                              tr("calendar_ui.col_source")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        hh = self.table.horizontalHeader()
        hh.setStretchLastSection(True)
        for c, w in enumerate((110, 60, 70, 200)):
            self.table.setColumnWidth(c, w)
        self.table.itemSelectionChanged.connect(self._row_selected)
        lay.addWidget(self.table, 1)

        add = QHBoxLayout()
        self.date_edit = QDateEdit(QDate.currentDate())
        self.date_edit.setObjectName("calendar_date")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.kind_combo = QComboBox()
        self.kind_combo.addItem(tr("calendar.kind.holiday"), "holiday")
        self.kind_combo.addItem(tr("calendar.kind.workday"), "workday")
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(tr("calendar_ui.name_placeholder"))
        self.add_button = QPushButton(tr("calendar_ui.add"))
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self.add_day)
        self.import_button = QPushButton(tr("calendar_ui.import"))
        self.import_button.setAutoDefault(False)
        self.import_button.clicked.connect(self.import_file)
        for w in (QLabel(tr("calendar.col_date")), self.date_edit, self.kind_combo, self.name_edit):
            add.addWidget(w)
        add.addWidget(self.add_button)
        add.addWidget(self.import_button)
        lay.addLayout(add)
        hint = QLabel(tr("calendar_ui.hint"))
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #616161;")
        lay.addWidget(hint)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(tr("common.close"))
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.resize(720, 600)
        self.reload()

    def year(self) -> int:
        return self.year_spin.value()

    def reload(self) -> None:
        y = self.year()
        rows = workdays.calendar_days(self.session, y)
        self.rows = rows
        self.table.setRowCount(len(rows))
        for r, d in enumerate(rows):
            vals = (d["date"], weekday_name(d["weekday"]), kind_name(d["kind"]), d.get("name") or "",
                    tr("calendar_ui.source_archive") if d.get("source") == "archive" else tr("calendar_ui.source_library"))
            for c, v in enumerate(vals):
                it = QTableWidgetItem(v)
                if c == 2:
                    it.setForeground(QColor("#c62828" if d["kind"] == "holiday" else "#1565c0"))
                self.table.setItem(r, c, it)
        source = workdays.calendar_source(self.session.conn, y)
        text = {"archive": tr("calendar_ui.known_archive", year=y), "library": tr("calendar_ui.known_library", year=y),
                "weekdays": tr("calendar_ui.unknown", year=y)}[source]
        self.source_label.setText(text)
        self.source_label.setStyleSheet("color: #b71c1c;" if source == "weekdays" else "color: #2e7d32;")
        if self.date_edit.date().year() != y:
            self.date_edit.setDate(QDate(y, 1, 1))

    def _row_selected(self) -> None:
        r = self.table.currentRow()
        if 0 <= r < len(self.rows):
            d = self.rows[r]
            self.date_edit.setDate(QDate.fromString(d["date"], "yyyy-MM-dd"))
            self.kind_combo.setCurrentIndex(self.kind_combo.findData(d["kind"]))
            self.name_edit.setText(d.get("name") or "")

    def add_day(self) -> bool:
        d = self.date_edit.date().toString("yyyy-MM-dd")
        try:
            workdays.set_calendar_day(self.session, d, self.kind_combo.currentData(), self.name_edit.text().strip())
        except Refused as e:
            messages.error(self, messages.findings_text(e.findings))
            return False
        if int(d[:4]) != self.year():
            self.year_spin.setValue(int(d[:4]))
        else:
            self.reload()
        self._select_date(d)
        return True

    def _select_date(self, d: str) -> None:
        for r, row in enumerate(self.rows):
            if row["date"] == d:
                self.table.selectRow(r)
                self.table.scrollToItem(self.table.item(r, 0))
                return

    def import_file(self, path: str | None = None) -> bool:
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, tr("calendar_ui.import"), str(Path.home()),
                                                  tr("calendar_ui.filter"))
        if not path:
            return False
        try:
            result = workdays.import_calendar(self.session, path)
        except Refused as e:
            messages.error(self, tr("calendar_ui.import_refused", text=messages.findings_text(e.findings)))
            return False
        years = result.get("years") or []
        if years and self.year() not in years:
            self.year_spin.setValue(years[0])
        else:
            self.reload()
        messages.info(self, tr("calendar_ui.imported", rows=result.get("rows", 0)))
        return True


def show_calendar(win) -> CalendarDialog:
    dlg = CalendarDialog(win.session, win)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dlg.open()
    return dlg
