"""Photo intake for a class: the capture dialog walks the class list student by student — capture,
accept, and the next student comes up with the camera still running — so a registrar can
photograph a whole class in one sitting. A list on the left shows who already has a photo (✓)
and lets the registrar jump to anyone; 跳过 moves on without a photo."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton

from app.students import status as st
from app.students import service as student_service
from ui.common import messages
from ui.common.i18n import tr
from ui.photos.photo_capture_dialog import PhotoCaptureDialog

DONE_MARK = "\u2713"


def class_students(session, class_id: int) -> list[tuple[int, str]]:
    """(id, name) of the class's in-class students, in roster order."""
    ids = student_service.search_ids(session, "", class_id=class_id, statuses=list(st.in_class_codes()))
    rows = student_service.rows(session, ids)
    return [(i, (rows.get(i) or {}).get("name") or "") for i in ids]


class PhotoIntakeDialog(PhotoCaptureDialog):
    def __init__(self, session, students: list[tuple[int, str]], parent=None, *, class_name: str = "",
                 frame_input=None, has_photo: set[int] | None = None):
        self.students = list(students)
        self.has_photo = set(has_photo or ())
        self.index = 0
        self.saved_ids: list[int] = []
        super().__init__(session, self.students[0][0] if self.students else None, parent, frame_input=frame_input,
                         title=tr("intake.title", klass=class_name))
        self.student_label = QLabel()
        f = self.student_label.font()
        f.setPointSizeF(f.pointSizeF() * 1.3)
        f.setBold(True)
        self.student_label.setFont(f)
        self.extra_top.addWidget(self.student_label, 1)
        self.skip_button = QPushButton(tr("intake.skip"))
        self.skip_button.setAutoDefault(False)
        self.skip_button.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.skip_button.clicked.connect(self.next_student)
        self.extra_buttons.addWidget(self.skip_button)
        self.list = QListWidget()
        self.list.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.list.setMaximumWidth(180)
        for sid, name in self.students:
            self.list.addItem(QListWidgetItem(name))
        self.list.currentRowChanged.connect(self._row_chosen)
        # the student list goes left of the preview
        lay = self.layout()
        i = lay.indexOf(self.preview)
        lay.removeWidget(self.preview)
        row = QHBoxLayout()
        row.addWidget(self.list)
        row.addWidget(self.preview, 1)
        lay.insertLayout(i, row, 1)
        self._refresh_list()
        self._go(0)
        self.resize(920, 660)

    def _refresh_list(self) -> None:
        for n, (sid, name) in enumerate(self.students):
            mark = DONE_MARK + " " if sid in self.has_photo else "\u2003 "
            self.list.item(n).setText(mark + name)

    def _go(self, index: int) -> None:
        self.index = index
        if not self.students:
            return
        sid, name = self.students[index]
        self.student_id = sid
        self.student_label.setText(tr("intake.progress", n=index + 1, total=len(self.students), name=name)
                                   + (tr("intake.already") if sid in self.has_photo else ""))
        self.list.blockSignals(True)
        self.list.setCurrentRow(index)
        self.list.blockSignals(False)
        self.skip_button.setEnabled(index + 1 < len(self.students))
        if self.state == "still":
            self.retake()

    def _row_chosen(self, row: int) -> None:
        if 0 <= row < len(self.students):
            self._go(row)

    def next_student(self) -> None:
        if self.index + 1 < len(self.students):
            self._go(self.index + 1)

    def _photo_done(self) -> None:
        sid = self.student_id
        self.has_photo.add(sid)
        self.saved_ids.append(sid)
        self._refresh_list()
        if self.index + 1 >= len(self.students):
            self._stop_camera()
            messages.info(self, tr("intake.done", count=len(self.saved_ids)))
            self.accept()
            return
        self._go(self.index + 1)
        self._show(tr("intake.saved_next", name=dict(self.students).get(sid, "")), ok=True)


def open_intake(win, class_id: int | None, *, frame_input=None) -> PhotoIntakeDialog | None:
    """The main window's 拍照采集（按班级）: the dialog for the selected class (not yet shown)."""
    from app.photos import service as ps

    if class_id is None:
        messages.info(win, tr("intake.choose_class"))
        return None
    students = class_students(win.session, class_id)
    if not students:
        messages.info(win, tr("intake.no_students"))
        return None
    name = win.class_name(class_id) or ""
    dlg = PhotoIntakeDialog(win.session, students, win, class_name=name, frame_input=frame_input,
                            has_photo=ps.has_photo_ids(win.session))
    return dlg


# ---------------------------------------------------------------------- batch import / export (数据 menu)
def _items(value) -> list:
    return list(value) if isinstance(value, (list, tuple, set)) else []


def _count(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else len(_items(value))


def _describe(item) -> str:
    """One report entry as a line: a file name and its reason, whatever shape the entry has."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        get = item.get
    else:
        def get(k, default=None):
            return getattr(item, k, default)
    if isinstance(item, (tuple, list)):
        return tr("photo_io.item", name=str(item[0]), reason=tr("common.item_sep").join(str(x) for x in item[1:] if x)) \
            if len(item) > 1 else str(item[0] if item else "")
    name = get("name") or get("file") or get("path") or get("student") or ""
    reason = get("reason") or get("message") or ""
    if not reason and get("candidates"):
        reason = tr("common.list_sep").join(str(c) for c in get("candidates"))
    return tr("photo_io.item", name=str(name), reason=str(reason)) if reason else str(name or item)


def _section(title, value, limit: int = 200) -> str:
    items = _items(value)
    if not items:
        return ""
    lines = [f"• {_describe(x)}" for x in items[:limit]]
    if len(items) > limit:
        lines.append(tr("msg.more_findings", count=len(items) - limit))
    return title(len(items)) + "\n" + "\n".join(lines)


def import_report_text(report) -> tuple[str, str]:
    """(summary, detail) for an import_photos report."""
    g = lambda k: getattr(report, k, None)  # noqa: E731
    text = tr("photo_io.import_summary", total=_count(g("total")) if g("total") is not None else 0,
              matched=_count(g("matched")), unmatched=_count(g("unmatched")), ambiguous=_count(g("ambiguous")),
              rejected=_count(g("rejected")))
    if g("cancelled"):
        text += "\n" + tr("photo_io.import_cancelled")
    detail = "\n\n".join(x for x in (_section(lambda n: tr("photo_io.rejected", count=n), g("rejected")),
                                     _section(lambda n: tr("photo_io.ambiguous", count=n), g("ambiguous")),
                                     _section(lambda n: tr("photo_io.unmatched", count=n), g("unmatched"))) if x)
    return text, detail


def export_report_text(report, folder: str) -> tuple[str, str]:
    g = lambda k: getattr(report, k, None)  # noqa: E731
    text = tr("photo_io.export_done", count=_count(g("count")), zips=_count(g("zips")), folder=folder)
    missing = _count(g("missing"))
    if missing:
        text += "\n\n" + tr("photo_io.export_missing", count=missing)
    detail = "\n\n".join(x for x in (_section(lambda n: tr("photo_io.missing", count=n), g("missing")),
                                     _section(lambda n: tr("photo_io.zips", count=n), g("zips"))) if x)
    return text, detail


def _call(fn, *args, progress, cancel, **kw):
    """Pass progress/cancel only if the service takes them."""
    import inspect

    params = inspect.signature(fn).parameters
    if "progress" in params:
        kw["progress"] = progress
    if "cancel" in params:
        kw["cancel"] = cancel
    return fn(*args, **kw)


def choose_import_source(win) -> str | None:
    from pathlib import Path

    from PySide6.QtWidgets import QFileDialog, QMessageBox

    box = QMessageBox(QMessageBox.Icon.Question, tr("action.photo_import"), tr("photo_io.choose_kind"),
                      QMessageBox.StandardButton.NoButton, win)
    folder = box.addButton(tr("photo_io.folder"), QMessageBox.ButtonRole.AcceptRole)
    zipped = box.addButton(tr("photo_io.zip"), QMessageBox.ButtonRole.AcceptRole)
    box.addButton(tr("common.cancel"), QMessageBox.ButtonRole.RejectRole)
    box.exec()
    if box.clickedButton() is folder:
        return QFileDialog.getExistingDirectory(win, tr("photo_io.folder_title"), str(Path.home())) or None
    if box.clickedButton() is zipped:
        path, _ = QFileDialog.getOpenFileName(win, tr("photo_io.zip_title"), str(Path.home()), tr("photo_io.zip_filter"))
        return path or None
    return None


def import_photos(win, source: str | None = None) -> None:
    from ui.common.archive_jobs import run_archive_job

    from app.photos import service as ps

    source = source or choose_import_source(win)
    if not source:
        return

    def fn(progress, cancel):
        return _call(ps.import_photos, win.session, source, progress=progress, cancel=cancel)

    def done(report):
        win.after_write()
        text, detail = import_report_text(report)
        messages.info(win, text, title=tr("photo_io.import_title"), detail=detail or None)

    run_archive_job(win, tr("photo_io.import_progress"), fn, done)


def export_photos(win, folder: str | None = None) -> None:
    from pathlib import Path

    from PySide6.QtWidgets import QFileDialog

    from ui.common.archive_jobs import run_archive_job

    from app.photos import service as ps

    if folder is None:
        folder = QFileDialog.getExistingDirectory(win, tr("photo_io.export_folder_title"), str(Path.home()))
    if not folder:
        return
    class_id = win.current_class_id()

    def fn(progress, cancel):
        return _call(ps.export_photos, win.session, folder, class_id=class_id, progress=progress, cancel=cancel)

    def done(report):
        text, detail = export_report_text(report, folder)
        messages.info(win, text, title=tr("photo_io.export_title"), detail=detail or None)

    run_archive_job(win, tr("photo_io.export_progress"), fn, done)
