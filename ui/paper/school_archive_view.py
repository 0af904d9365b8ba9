"""学校学籍档案 (长治 第六条 / 辽宁 第九条): the school's own register — each year's 新生花名册, 在校生分班名册,
学生增加/减少情况登记表, 毕业生花名册 and the certificate stubs — filed as frozen PDF snapshots with checksums
(app.paper.school_archive), listed by school year; open, save a verified copy, print; file a new snapshot (a new
version: nothing filed is ever changed); re-check every file's checksum.

Filing renders on the archive's worker thread with progress inside the window."""
from __future__ import annotations

import datetime as dt
import os
import tempfile

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QSpinBox, QVBoxLayout)

from app.core.errors import NotFound, Refused
from ui.common import messages
from ui.common.i18n import tr
from ui.paper.run_row import RunRow
from ui.common.record_list import fill_table, make_table

BAD_BG, BAD_FG = "#ffebee", "#b71c1c"


def current_school_year(today: dt.date | None = None) -> int:
    today = today or dt.date.today()
    return today.year if today.month >= 8 else today.year - 1


class FileDialog(QDialog):
    """Which register and which school year to file."""

    def __init__(self, year: int, parent=None):
        super().__init__(parent)
        from app.paper import school_archive as SA

        self.setWindowTitle(tr("snapui.file_title"))
        form = QFormLayout(self)
        self.kind = QComboBox()
        for k in SA.KINDS:
            self.kind.addItem(SA.KIND_NAMES[k], k)
        form.addRow(tr("snapui.kind"), self.kind)
        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        self.year.setValue(year)
        self.year.setSuffix(tr("snapui.year_suffix"))
        form.addRow(tr("snapui.year"), self.year)
        self.note = QLineEdit()
        form.addRow(tr("snapui.note"), self.note)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        bb.accepted.connect(self.accept)
        bb.rejected.connect(self.reject)
        form.addRow(bb)
        self.setMinimumWidth(440)


class SchoolArchiveView(QDialog):
    filed = Signal()  # a filing ended (tests wait for it)

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.snaps: list = []
        self.states: dict = {}
        self._temps: list[str] = []
        self.setWindowTitle(tr("snapui.title"))
        self.setSizeGripEnabled(True)
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel(tr("snapui.year")))
        self.year_combo = QComboBox()
        self.year_combo.setObjectName("snapshot_year")
        self.year_combo.setMinimumWidth(180)
        self.year_combo.currentIndexChanged.connect(lambda _i: self._fill())
        top.addWidget(self.year_combo)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        top.addWidget(self.summary, 1)
        lay.addLayout(top)
        self.required = QLabel()
        self.required.setObjectName("snapshot_required")
        self.required.setWordWrap(True)
        lay.addWidget(self.required)
        self.table = make_table([tr("snapui.col_year"), tr("snapui.col_kind"), tr("snapui.col_version"),
                                 tr("snapui.col_pages"), tr("snapui.col_filed"), tr("snapui.col_by"),
                                 tr("snapui.col_sha"), tr("snapui.col_state"), tr("snapui.col_note")],
                                (130, 170, 50, 50, 140, 80, 150, 90), name="snapshots_table")
        self.table.cellDoubleClicked.connect(lambda r, _c: self.open_row(r))
        self.table.itemSelectionChanged.connect(self._selection_changed)
        lay.addWidget(self.table, 1)
        self.run = RunRow(lay)
        bottom = QHBoxLayout()
        self.file_btn = QPushButton(tr("snapui.file"))
        self.file_btn.clicked.connect(lambda: self.file_new())
        self.verify_btn = QPushButton(tr("snapui.verify"))
        self.verify_btn.clicked.connect(lambda: self.verify())
        bottom.addWidget(self.file_btn)
        bottom.addWidget(self.verify_btn)
        bottom.addStretch(1)
        self.open_btn = QPushButton(tr("snapui.open"))
        self.open_btn.clicked.connect(lambda: self.open_row(self.table.currentRow()))
        self.save_btn = QPushButton(tr("snapui.save"))
        self.save_btn.clicked.connect(lambda: self.save_row(self.table.currentRow()))
        self.print_btn = QPushButton(tr("snapui.print"))
        self.print_btn.clicked.connect(lambda: self.print_row(self.table.currentRow()))
        close = QPushButton(tr("common.close"))
        close.clicked.connect(self.reject)
        for b in (self.file_btn, self.verify_btn, self.open_btn, self.save_btn, self.print_btn, close):
            b.setAutoDefault(False)
        for b in (self.open_btn, self.save_btn, self.print_btn, close):
            bottom.addWidget(b)
        lay.addLayout(bottom)
        self.resize(1100, 520)
        self.reload()

    # ------------------------------------------------------------------ listing
    def reload(self, year: int | None = None) -> None:
        from app.paper import school_archive as SA

        keep = year if year is not None else self.year_combo.currentData()
        self.all_snaps = list(SA.list_snapshots(self.session))
        years = sorted({int(s["school_year"]) for s in self.all_snaps} | {current_school_year()}, reverse=True)
        self.year_combo.blockSignals(True)
        self.year_combo.clear()
        self.year_combo.addItem(tr("snapui.all_years"), None)
        for y in years:
            self.year_combo.addItem(tr("snapui.year_item", year=y, next=y + 1), y)
        i = self.year_combo.findData(keep) if keep is not None else 0
        self.year_combo.setCurrentIndex(max(i, 0))
        self.year_combo.blockSignals(False)
        self._fill()

    def _fill(self) -> None:
        y = self.year_combo.currentData()
        self.snaps = sorted([s for s in self.all_snaps if y is None or int(s["school_year"]) == y],
                            key=lambda s: (-int(s["school_year"]), s["kind"], -int(s["version"])))
        rows, colors = [], []
        for s in self.snaps:
            state = self.states.get(s["id"])
            rows.append([tr("snapui.year_item", year=s["school_year"], next=int(s["school_year"]) + 1), s["kind_name"],
                         s["version"], s["pages"], str(s["filed_at"])[:16].replace("T", " "), s["filed_by"],
                         s["file_sha256"][:16],
                         state["state_name"] if state else "", s.get("note") or ""])
            colors.append((BAD_BG, BAD_FG) if state and state["state"] != "ok" else None)
        fill_table(self.table, rows, colors=colors)
        self.summary.setText(tr("snapui.summary", count=len(self.snaps)) if self.snaps else tr("snapui.none"))
        self._show_required(y)
        if self.snaps:
            self.table.selectRow(0)
        self._selection_changed()

    def _show_required(self, year) -> None:
        """For one school year: which registers the profile requires and whether each is filed."""
        from app.paper import school_archive as SA

        lines = SA.year_overview(self.session, int(year)) if year is not None and hasattr(SA, "year_overview") else []
        need = [x for x in lines if x["required"]]
        if not need:
            self.required.setText(tr("snapui.required_none") if year is not None else "")
            self.required.setStyleSheet("color: #616161;")
            return
        missing = [x for x in need if not x["versions"]]
        parts = [tr("snapui.required_item", kind=x["kind_name"],
                    state=tr("snapui.filed", count=x["versions"]) if x["versions"] else tr("snapui.not_filed"))
                 for x in need]
        self.required.setText(tr("snapui.required", article=need[0]["article"], items=tr("common.list_sep").join(parts)))
        self.required.setStyleSheet(f"color: {BAD_FG};" if missing else "color: #1b5e20;")

    def _selection_changed(self) -> None:
        r = self.table.currentRow()
        ok = 0 <= r < len(self.snaps)
        for b in (self.open_btn, self.save_btn, self.print_btn):
            b.setEnabled(ok)
        self.file_btn.setEnabled(not self.run.busy)

    # ------------------------------------------------------------------ filing, checking
    def file_new(self, kind: str | None = None, year: int | None = None, note: str = ""):
        """File a snapshot in the background; returns the Job (None when cancelled or busy)."""
        from app.paper import school_archive as SA

        if self.run.busy:
            return None
        if kind is None:
            dlg = FileDialog(self.year_combo.currentData() or current_school_year(), self)
            if not dlg.exec():
                return None
            kind, year, note = dlg.kind.currentData(), dlg.year.value(), dlg.note.text()
        self.file_btn.setEnabled(False)

        def done(snap):
            self.reload(year=int(snap["school_year"]))
            self.filed.emit()

        def failed(err):
            self._selection_changed()
            messages.job_error(self, err, title=tr("snapui.file_failed"))
            self.filed.emit()

        return self.run.run(tr("snapui.filing", kind=SA.KIND_NAMES[kind], year=year),
                            lambda progress, cancel: SA.file_snapshot(self.session, kind, int(year), note),
                            done, failed)

    def verify(self) -> list:
        from app.paper import school_archive as SA

        res = SA.verify_snapshots(self.session)
        self.states = {r["id"]: r for r in res}
        self._fill()
        bad = [r for r in res if r["state"] != "ok"]
        if bad:
            messages.error(self, tr("snapui.verify_bad", count=len(bad), total=len(res)),
                           detail="\n".join(tr("snapui.verify_line", year=r["school_year"], kind=r["kind_name"],
                                               version=r["version"], state=r["state_name"]) for r in bad))
        else:
            messages.info(self, tr("snapui.verify_ok", total=len(res)))
        return res

    # ------------------------------------------------------------------ using a snapshot
    def _export(self, r: int, out: str):
        from app.paper import school_archive as SA

        try:
            return SA.export_snapshot(self.session, self.snaps[r]["id"], out)
        except (Refused, NotFound) as e:
            findings = getattr(e, "findings", None)
            messages.error(self, messages.findings_text(findings) if findings else str(e))
            return None

    def _temp_copy(self, r: int) -> str | None:
        fd, path = tempfile.mkstemp(prefix="xueji-archive-", suffix=".pdf")
        os.close(fd)
        self._temps.append(path)
        return path if self._export(r, path) is not None else None

    def open_row(self, r: int):
        """A verified copy opened with the system PDF viewer; returns its path."""
        if not (0 <= r < len(self.snaps)):
            return None
        path = self._temp_copy(r)
        if path and os.environ.get("QT_QPA_PLATFORM") != "offscreen":
            QDesktopServices.openUrl(QUrl.fromLocalFile(path))
        return path

    def save_row(self, r: int, path: str | None = None):
        if not (0 <= r < len(self.snaps)):
            return None
        if path is None:
            s = self.snaps[r]
            name = tr("snapui.save_name", kind=s["kind_name"], year=s["school_year"], version=s["version"])
            path, _ = QFileDialog.getSaveFileName(self, tr("snapui.save"), name, tr("reviewui.pdf_filter"))
            if not path:
                return None
        return self._export(r, path)

    def print_row(self, r: int, printer=None) -> int:
        """Print a verified copy through the system print dialog; returns the pages sent."""
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        from ui.printing import print_jobs as pj

        if not (0 <= r < len(self.snaps)):
            return 0
        if printer is None:
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            dlg = QPrintDialog(printer, self)
            if dlg.exec() != QDialog.DialogCode.Accepted:
                return 0
        path = self._temp_copy(r)
        if not path:
            return 0
        try:
            return pj.print_pdf(printer, path)
        except pj.PdfError as e:
            messages.error(self, str(e))
            return 0

    def done(self, r: int) -> None:  # noqa: A003  (QDialog.done)
        for p in self._temps:
            try:
                os.remove(p)
            except OSError:
                pass
        self._temps = []
        super().done(r)
