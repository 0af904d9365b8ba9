"""The 查阅登记簿 (access register) from the GUI: ``print_access_register(window)`` asks for the period (default:
this semester) and opens the register's PDF in the print preview; printing or saving it writes the final PDF and
records the print. Also the audit permission check the 审计日志 window (ui.audit.audit_view) shares: both need
``session.can("audit")`` (registrar, approver); otherwise the Forbidden message is shown.
"""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QLabel

from app.core.errors import Forbidden
from ui.common import messages
from ui.common.i18n import tr


# ---------------------------------------------------------------------- permission
def allowed(window) -> bool:
    """The role may read the audit log; otherwise the Forbidden message is shown."""
    session = window.session
    try:
        session.require("audit")
    except Forbidden as e:
        messages.error(window, messages.findings_text(e.findings))
        return False
    return True


# ---------------------------------------------------------------------- the access register
def semester_start(today: dt.date | None = None) -> dt.date:
    """The first day of this semester: 1 September or 1 February (before February: last September)."""
    today = today or dt.date.today()
    if today.month >= 9:
        return dt.date(today.year, 9, 1)
    if today.month >= 2:
        return dt.date(today.year, 2, 1)
    return dt.date(today.year - 1, 9, 1)


class RegisterRangeDialog(QDialog):
    """The period of the access register: 从 … 至 … (default: this semester up to today)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle(tr("auditui.register_title"))
        form = QFormLayout(self)
        form.addRow(QLabel(tr("auditui.register_hint")))
        self.since_edit = QDateEdit(QDate(semester_start()))
        self.until_edit = QDateEdit(QDate.currentDate())
        for d in (self.since_edit, self.until_edit):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        form.addRow(tr("auditui.since"), self.since_edit)
        form.addRow(tr("auditui.until"), self.until_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def period(self) -> tuple[str, str]:
        """(since, until) as app.audit.log wants them: ``until`` exclusive (the day after the last one)."""
        since = self.since_edit.date().toString("yyyy-MM-dd")
        until = self.until_edit.date().addDays(1).toString("yyyy-MM-dd")
        return since, until


def print_access_register(window, *, since: str | None = None, until: str | None = None):
    """打印查阅登记簿…: ask for the period (unless given; ``until`` exclusive), then the register's preview;
    its 打印 / 存为 PDF write the final register and record the print. Returns the preview (or None)."""
    if not allowed(window):
        return None
    if since is None or until is None:
        dlg = RegisterRangeDialog(window)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return None
        since, until = dlg.period()
    from ui.printing.print_preview_dialog import PrintPreviewDialog

    session = window.session
    main = getattr(window, "main_window", None) or window

    class RegisterPreview(PrintPreviewDialog):
        """The print preview for the access register: its PDF comes from app.audit.register.write_access_register
        (the preview writes nothing to the log; the final print or save records one ``print`` entry)."""

        def _build(self) -> None:
            super()._build()
            # plain A4: no overlay, no calibration, nothing to mask (the register names who read whom)
            for w in (self.overlay_box, self.cal_combo, self.cal_button, self.mask_box):
                w.hide()
            for lbl in self.findChildren(QLabel):
                if lbl.text() == tr("printui.calibration"):
                    lbl.hide()

        TEMP_PREFIX = "xueji-register-"

        def _render_preview(self, path, progress, cancel, **kw):
            from app.audit.register import write_access_register

            return _Result(write_access_register(session, path, since=since, until=until))

        def _render_final(self, out, printer, progress, cancel, **kw):
            from app.audit.register import write_access_register
            from ui.printing import print_jobs as pj

            res = _Result(write_access_register(session, out, since=since, until=until, record=True))
            if printer is not None:
                res.sent = pj.print_pdf(printer, res.path, cancel=cancel)
            return res

        def _show(self, path: str, res, *, final: bool) -> None:
            super()._show(path, res, final=final)
            if self.pdf_path == path and isinstance(res, _Result):
                text = tr("auditui.register_rendered", pages=res.pages, count=res.students)
                if final:
                    text = tr("printui.final_shown", path=path) + "\n" + text
                if res.warnings:
                    text += "\n" + res.warnings[0]
                self.status.setText(text)

    preview = RegisterPreview(session, "access-register", parent=main)
    last = until
    if len(str(until)) == 10:  # until is exclusive: the title names the last day included
        last = (dt.date.fromisoformat(str(until)) - dt.timedelta(days=1)).isoformat()
    preview.setWindowTitle(tr("auditui.register_preview", since=since, until=last))
    preview.show()
    return preview


class _Result:
    """write_access_register's dict with the attributes the preview reads (path, students, warnings)."""

    def __init__(self, d: dict):
        self.info = d
        self.path = d["file"]
        self.students = d["entries"]
        self.pages = d["pages"]
        self.warnings = [] if d["chain_ok"] else [tr("auditui.register_chain_broken")]
        self.sent = 0
