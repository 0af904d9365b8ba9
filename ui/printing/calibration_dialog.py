"""Printer calibration: print the calibration sheet (mm rulers, crosshairs) on plain paper, read on it how
far the centre crosshair landed from where it should be and how long the 100 mm ruler came out, enter
those here and see the correction applied live on the sheet's preview; save it under a name (per printer).

Correction from what was read (the sheet is printed without calibration): the centre crosshair landed
``e`` mm right/down and 100 mm came out as ``m`` mm, so the printer maps x to e' + p·x with p = m/100;
Calibration.from_marks gives scale = 100/m and the offset that puts the centre back (with m = 100:
dx = -e, dy likewise).
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QScrollArea, QVBoxLayout)

from ui.common import messages
from ui.printing import print_jobs as pj
from ui.common.i18n import tr
from ui.common.workers import run_job

RULER_MM = 100.0
PREVIEW_DPI = 48.0
DEBOUNCE_MS = 150


class CalibrationDialog(QDialog):
    rendered = Signal()

    def __init__(self, session, parent=None, *, name: str = "", printer: str = ""):
        super().__init__(parent)
        from app.printing import service as ps

        self.session = session
        self.saved_name: str | None = None
        self.job = None
        self._pending = False
        self._temps: list[str] = []
        self.pages = None
        self._centre = None
        self.setWindowTitle(tr("calui.title"))
        self.resize(900, 760)

        self.name_edit = QLineEdit(name or printer)
        self.name_edit.setPlaceholderText(tr("calui.name_hint"))
        self.printer = printer
        self.right = self._spin(-50, 50, 0.1)
        self.down = self._spin(-50, 50, 0.1)
        self.ruler = self._spin(80, 120, 0.1)
        self.ruler.setValue(RULER_MM)
        if name and name in ps.list_calibrations(session):
            c = ps.list_calibrations(session)[name]
            s_, (cx, cy) = float(c.get("scale", 1.0)), self.centre_mm()
            # inverse of correction(): measured centre = (centre - d) / s
            self.right.setValue((cx - float(c["dx_mm"])) / s_ - cx)
            self.down.setValue((cy - float(c["dy_mm"])) / s_ - cy)
            self.ruler.setValue(RULER_MM / s_)
            self.printer = c.get("printer", "") or printer
        form = QFormLayout()
        form.addRow(tr("calui.name"), self.name_edit)
        form.addRow(tr("calui.right"), self.right)
        form.addRow(tr("calui.down"), self.down)
        form.addRow(tr("calui.ruler"), self.ruler)
        self.result_label = QLabel()
        form.addRow(tr("calui.correction"), self.result_label)
        help_label = QLabel(tr("calui.help"))
        help_label.setWordWrap(True)

        self.print_sheet_button = QPushButton(tr("calui.print_sheet"))
        self.print_sheet_button.clicked.connect(self.print_sheet)
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        scroll = QScrollArea()
        scroll.setWidget(self.image)
        scroll.setWidgetResizable(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(tr("calui.save"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("common.cancel"))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)

        left = QVBoxLayout()
        left.addWidget(help_label)
        left.addLayout(form)
        left.addWidget(self.print_sheet_button)
        left.addStretch(1)
        row = QHBoxLayout()
        row.addLayout(left, 2)
        row.addWidget(scroll, 3)
        lay = QVBoxLayout(self)
        lay.addLayout(row, 1)
        lay.addWidget(buttons)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh)
        for s in (self.right, self.down, self.ruler):
            s.valueChanged.connect(self._changed)
        self._changed()
        self.refresh()

    def _spin(self, lo, hi, step) -> QDoubleSpinBox:
        s = QDoubleSpinBox()
        s.setRange(lo, hi)
        s.setDecimals(2)
        s.setSingleStep(step)
        s.setSuffix(tr("calui.mm"))
        s.setMinimumWidth(120)
        return s

    # ------------------------------------------------------------------ the correction
    def centre_mm(self) -> tuple[float, float]:
        """Where the sheet's centre crosshair belongs (from the calibration sheet's template)."""
        if self._centre is None:
            from app.printing.renderer import calibration_template

            w, h = calibration_template().page_size_mm
            self._centre = (w / 2, h / 2)
        return self._centre

    def correction(self):
        """The printer moved the centre crosshair by (right, down) and drew 100 mm as ``ruler`` mm:
        Calibration.from_marks gives the correction that undoes both."""
        from app.printing.service import calibration_class

        cx, cy = self.centre_mm()
        mx, my = cx + self.right.value(), cy + self.down.value()
        m = self.ruler.value() or RULER_MM
        c = calibration_class().from_marks((cx, cy), (mx, my), (cx + RULER_MM, cy), (mx + m, my))
        return calibration_class()(dx_mm=round(c.dx_mm, 3), dy_mm=round(c.dy_mm, 3), scale=round(c.scale, 5))

    def _changed(self) -> None:
        c = self.correction()
        self.result_label.setText(tr("calui.result", dx=f"{c.dx_mm:+.2f}", dy=f"{c.dy_mm:+.2f}",
                                     scale=f"{c.scale:.4f}"))
        self._timer.start()

    # ------------------------------------------------------------------ live preview
    def refresh(self) -> None:
        if self.job is not None and not self.job.delivered:
            self._pending = True
            return
        path = pj.temp_pdf("xueji-cal-")
        self._temps.append(path)
        cal = self.correction()

        def fn(progress, cancel):
            from app.printing import renderer as printing

            return printing.render(self.session, "calibration-sheet", path, calibration=cal)

        self.job = run_job(fn, on_done=lambda res: self._show(path, cal), on_error=self._failed)

    def _failed(self, err) -> None:
        findings = getattr(err.error, "findings", None)
        self.image.setText(messages.findings_text(findings) if findings else str(err.error))

    def _show(self, path: str, cal) -> None:
        if self._pending:
            self._pending = False
            self.refresh()
            return
        if self.pages is not None:
            self.pages.close()
        self.pages = pj.PdfPages(path)
        img = self.pages.image(0, PREVIEW_DPI)
        pm = QPixmap.fromImage(img)
        # where the centre crosshair belongs on the blank (nominal, uncorrected): a red cross
        w_mm, h_mm = self.pages.size_mm(0)
        px = PREVIEW_DPI / 25.4
        p = QPainter(pm)
        p.setPen(QPen(QColor(220, 0, 0), 1.5))
        c = QPointF(w_mm / 2 * px, h_mm / 2 * px)
        p.drawLine(c - QPointF(12, 0), c + QPointF(12, 0))
        p.drawLine(c - QPointF(0, 12), c + QPointF(0, 12))
        p.end()
        self.image.setPixmap(pm)
        self.shown_calibration = cal
        self.rendered.emit()

    # ------------------------------------------------------------------ actions
    def print_sheet(self) -> None:
        """Print the sheet without any calibration (what the registrar measures)."""
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dlg = QPrintDialog(printer, self)
        dlg.setOption(QPrintDialog.PrintDialogOption.PrintToFile, True)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return
        self.printer = printer.printerName()
        if not self.name_edit.text().strip():
            self.name_edit.setText(self.printer)
        self.send_sheet(printer)

    def send_sheet(self, printer) -> None:
        from app.printing import renderer as printing

        path = pj.temp_pdf("xueji-calsheet-")
        self._temps.append(path)

        def fn(progress, cancel):
            printing.render(self.session, "calibration-sheet", path)
            return pj.print_pdf(printer, path, progress=progress, cancel=cancel)

        self.job = run_job(fn, on_error=lambda err: messages.job_error(self, err))

    def save(self) -> None:
        from app.printing import service as ps
        from app.core.errors import Refused

        c = self.correction()
        try:
            entry = ps.save_calibration(self.session, self.name_edit.text(), dx_mm=c.dx_mm, dy_mm=c.dy_mm,
                                        scale=c.scale, printer=self.printer)
        except Refused as e:
            messages.error(self, messages.findings_text(e.findings))
            return
        self.saved_name = entry["name"]
        self.accept()

    def done(self, r: int) -> None:  # noqa: A003
        import os

        if self.pages is not None:
            self.pages.close()
            self.pages = None
        for p in self._temps:
            try:
                os.unlink(p)
            except OSError:
                pass
        super().done(r)
