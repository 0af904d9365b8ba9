"""备份与恢复: the backup settings (folder, on close, daily, how many to keep), the backups in the folder,
and the actions — back up now, verify, restore (after showing what the backup holds), check the archive.

All work runs through the app.backup modules on the archive's worker thread behind a progress dialog
(ui.common.workers); with a main window the roster is blocked while a restore rewrites the archive (ui.common.archive_jobs)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QGroupBox, QHBoxLayout, QHeaderView, QInputDialog, QLabel, QLineEdit, QProgressBar,
                               QPushButton, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout)

from app.backup import integrity, layout, manifest, restore, settings, verify
from app.backup import service as B
from app.core.errors import Refused
from ui.common import messages
from ui.common.i18n import tr
from ui.common.workers import run_job



def columns() -> list[str]:
    return [tr("backupui.col.time"), tr("backupui.col.by"), tr("backupui.col.students"), tr("backupui.col.classes"),
            tr("backupui.col.photos"), tr("backupui.col.files"), tr("backupui.col.state")]


class BackupDialog(QDialog):
    def __init__(self, session, parent=None, *, window=None):
        super().__init__(parent)
        self.session = session
        self.window_ = window
        self.jobs = []
        self.setWindowTitle(tr("backupui.title"))
        self.setMinimumSize(820, 560)
        lay = QVBoxLayout(self)

        box = QGroupBox(tr("backupui.settings"))
        form = QFormLayout(box)
        row = QHBoxLayout()
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText(tr("backupui.folder_placeholder"))
        pick = QPushButton(tr("backupui.choose"))
        pick.clicked.connect(self.choose_folder)
        row.addWidget(self.folder_edit, 1)
        row.addWidget(pick)
        form.addRow(settings.SETTING_LABELS["backup.folder"], row)
        self.on_close = QCheckBox(settings.SETTING_LABELS["backup.on_close"])
        self.daily = QCheckBox(settings.SETTING_LABELS["backup.daily"])
        checks = QHBoxLayout()
        checks.addWidget(self.on_close)
        checks.addWidget(self.daily)
        checks.addStretch(1)
        form.addRow("", checks)
        keeps = QHBoxLayout()
        self.keep = {}
        for k, label in (("backup.keep_daily", tr("backupui.keep_daily")),
                         ("backup.keep_weekly", tr("backupui.keep_weekly")),
                         ("backup.keep_monthly", tr("backupui.keep_monthly"))):
            sb = QSpinBox()
            sb.setRange(0, 1000)
            sb.setToolTip(settings.SETTING_LABELS[k])
            self.keep[k] = sb
            keeps.addWidget(QLabel(label))
            keeps.addWidget(sb)
        keeps.addStretch(1)
        form.addRow(tr("backupui.thinning"), keeps)
        enc = QHBoxLayout()
        self.encrypt = QCheckBox(settings.SETTING_LABELS["backup.encrypt"])
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText(tr("backupui.passphrase_placeholder"))
        self.passphrase.setToolTip(tr("backupui.passphrase_tip"))
        self.encrypt.toggled.connect(self.passphrase.setEnabled)
        enc.addWidget(self.encrypt)
        enc.addWidget(self.passphrase, 1)
        form.addRow("", enc)
        self.save_btn = QPushButton(tr("backupui.save_settings"))
        self.save_btn.clicked.connect(self.save_settings)
        form.addRow("", self.save_btn)
        lay.addWidget(box)

        self.list_label = QLabel()
        lay.addWidget(self.list_label)
        heads = columns()
        self.table = QTableWidget(0, len(heads))
        self.table.setHorizontalHeaderLabels(heads)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.table, 1)

        buttons = QHBoxLayout()
        self.backup_btn = QPushButton(tr("backupui.backup_now"))
        self.verify_btn = QPushButton(tr("backupui.verify"))
        self.restore_btn = QPushButton(tr("backupui.restore"))
        self.restore_other_btn = QPushButton(tr("backupui.restore_other"))
        self.check_btn = QPushButton(tr("backupui.check"))
        for b in (self.backup_btn, self.verify_btn, self.restore_btn, self.restore_other_btn, self.check_btn):
            buttons.addWidget(b)
        buttons.addStretch(1)
        lay.addLayout(buttons)
        self.backup_btn.clicked.connect(self.backup_now)
        self.verify_btn.clicked.connect(self.verify_selected)
        self.restore_btn.clicked.connect(lambda: self.restore(self.selected_path()))
        self.restore_other_btn.clicked.connect(self.restore_other)
        self.check_btn.clicked.connect(self.check_archive)
        # progress of the running action inside the window (no nested modal progress dialog)
        run_row = QHBoxLayout()
        self.run_label = QLabel()
        self.run_bar = QProgressBar()
        self.run_bar.setMinimumWidth(240)
        self.cancel_btn = QPushButton(tr("common.cancel"))
        self.cancel_btn.clicked.connect(self.cancel_running)
        run_row.addWidget(self.run_label)
        run_row.addWidget(self.run_bar, 1)
        run_row.addWidget(self.cancel_btn)
        lay.addLayout(run_row)
        self._set_running(None)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        lay.addWidget(close)
        self.load_settings()
        self.refresh()

    # ------------------------------------------------------------------ settings
    def load_settings(self) -> None:
        s = settings.get_settings(self.session)
        self.folder_edit.setText(s["backup.folder"])
        self.on_close.setChecked(s["backup.on_close"] == "1")
        self.daily.setChecked(s["backup.daily"] == "1")
        for k, sb in self.keep.items():
            sb.setValue(int(s[k]))
        self.encrypt.setChecked(s["backup.encrypt"] == "1")
        self.passphrase.setText(s["backup.passphrase"])
        self.passphrase.setEnabled(self.encrypt.isChecked())

    def settings_values(self) -> dict:
        v = {"backup.folder": self.folder_edit.text().strip(),
             "backup.on_close": "1" if self.on_close.isChecked() else "0",
             "backup.daily": "1" if self.daily.isChecked() else "0"}
        v.update({k: str(sb.value()) for k, sb in self.keep.items()})
        v["backup.encrypt"] = "1" if self.encrypt.isChecked() else "0"
        v["backup.passphrase"] = self.passphrase.text() if self.encrypt.isChecked() else ""
        return v

    def ask_passphrase(self, path: str) -> str | None:
        """The passphrase of an encrypted backup: the stored one if it opens it, else asked."""
        stored = settings.get_settings(self.session)["backup.passphrase"]
        if stored:
            try:
                manifest.backup_key(path, stored)
                return stored
            except Refused:
                pass
        text, ok = QInputDialog.getText(self, tr("backupui.passphrase_title"), tr("backupui.passphrase_ask"),
                                        QLineEdit.EchoMode.Password)
        return text if ok and text else None

    def save_settings(self) -> bool:
        try:
            settings.save_settings(self.session, self.settings_values())
        except Refused as e:
            messages.error(self, messages.findings_text(e.findings))
            return False
        self.refresh()
        return True

    def choose_folder(self) -> None:
        d = QFileDialog.getExistingDirectory(self, tr("backupui.choose_title"), self.folder_edit.text() or str(Path.home()))
        if d:
            self.folder_edit.setText(d)
            self.save_settings()

    # ------------------------------------------------------------------ list
    def folder(self) -> Path | None:
        t = self.folder_edit.text().strip()
        return Path(t) if t else None

    def refresh(self) -> None:
        folder = self.folder()
        self.items = manifest.list_backups(folder) if folder else []
        if folder is None:
            self.list_label.setText(tr("backupui.no_folder"))
        else:
            self.list_label.setText(tr("backupui.list_head", folder=str(folder), count=len(self.items)))
        self.table.setRowCount(len(self.items))
        for r, b in enumerate(self.items):
            c = b.counts or {}
            state = (tr("backupui.state_ok") if b.complete else tr("backupui.state_partial")
                     if b.name.endswith(layout.PARTIAL) else tr("backupui.state_bad"))
            if b.complete and b.encrypted:
                state = tr("backupui.state_encrypted")
            cells = (b.created_at.replace("T", " ") or b.name, b.made_by, c.get("students", ""),
                     c.get("classes", ""), c.get("photos", ""), b.files, state)
            for col, v in enumerate(cells):
                item = QTableWidgetItem(str(v))
                if 2 <= col <= 5:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if not b.complete:
                    item.setForeground(Qt.GlobalColor.darkRed)
                    item.setToolTip(b.problem)
                self.table.setItem(r, col, item)
        good = [r for r, b in enumerate(self.items) if b.complete]
        if good:
            self.table.selectRow(good[0])
        has = bool(self.items)
        self.verify_btn.setEnabled(has)
        self.restore_btn.setEnabled(has)

    def selected_path(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.items[rows[0].row()].path if rows else None

    # ------------------------------------------------------------------ actions
    def _set_running(self, label: str | None) -> None:
        busy = label is not None
        for w in (self.run_label, self.run_bar, self.cancel_btn):
            w.setVisible(busy)
        self.run_label.setText(label or "")
        self.run_bar.setRange(0, 0)
        self.cancel_btn.setEnabled(busy)
        for b in (self.backup_btn, self.verify_btn, self.restore_btn, self.restore_other_btn, self.check_btn,
                  self.save_btn):
            b.setEnabled(not busy)
        if not busy and not getattr(self, "items", None):
            self.verify_btn.setEnabled(False)
            self.restore_btn.setEnabled(False)

    def running(self) -> bool:
        return any(not j.delivered for j in self.jobs)

    def cancel_running(self) -> None:
        for j in self.jobs:
            if not j.delivered:
                j.cancel()
        self.cancel_btn.setEnabled(False)

    def reject(self) -> None:
        if self.running():  # the job reports into this window: it closes when the job has ended
            self.run_label.setText(tr("backupui.wait_running"))
            return
        super().reject()

    def _run(self, label: str, fn, done, *, blocks_window: bool = False) -> None:
        win = self.window_
        if blocks_window and win is not None:
            win.model.set_blocked(True)
        self._set_running(label)

        def progress(n, total):
            if total > 0:
                self.run_bar.setRange(0, total)
                self.run_bar.setValue(min(n, total))

        def finish(result):
            self._set_running(None)
            if blocks_window and win is not None:
                win.model.set_blocked(False)
            done(result)

        def failed(err):
            self._set_running(None)
            if blocks_window and win is not None:
                win.model.set_blocked(False)
                win.after_write()
            if isinstance(getattr(err, "error", None), layout.Cancelled):
                return
            messages.job_error(self, err)

        self.jobs.append(run_job(fn, on_done=finish, on_error=failed, on_progress=progress))

    def backup_now(self) -> None:
        if not self.save_settings():
            return
        if self.folder() is None:
            messages.error(self, tr("backup.no_folder"))
            return

        def fn(progress, cancel):
            return B.make_backup(self.session, trigger="manual", progress=progress, cancel=cancel)

        def done(res):
            self.refresh()
            extra = "\n".join(w.text() for w in res.warnings)
            messages.info(self, tr("backupui.done", path=res.info.path, summary=res.info.summary(),
                                   seconds=f"{res.seconds:.1f}"), detail=extra or None)

        self._run(tr("backupui.progress"), fn, done)

    def verify_selected(self) -> None:
        path = self.selected_path()
        if not path:
            return
        passphrase = None
        if manifest.describe(path).encrypted:
            passphrase = self.ask_passphrase(path)
            if passphrase is None:
                return

        def fn(progress, cancel):
            return verify.verify_backup(path, full=True, progress=progress, passphrase=passphrase)

        def done(result):
            info, problems = result
            if problems:
                messages.error(self, messages.findings_text(problems), title=tr("backupui.verify_bad_title"))
            else:
                messages.info(self, tr("backupui.verify_ok", summary=info.summary()))

        self._run(tr("backupui.verify_progress"), fn, done)

    def restore_other(self) -> None:
        d = QFileDialog.getExistingDirectory(self, tr("backupui.restore_choose"), str(self.folder() or Path.home()))
        if d:
            self.restore(d)

    def restore(self, path: str | None) -> None:
        """Show what the backup holds, ask, then restore (verified, with a safety copy first)."""
        if not path:
            return
        try:
            info = manifest.describe(path)
        except Refused as e:
            messages.error(self, messages.findings_text(e.findings))
            return
        if not info.complete:
            messages.error(self, info.problem)
            return
        passphrase = None
        if info.encrypted:
            passphrase = self.ask_passphrase(path)
            if passphrase is None:
                return
        if not messages.confirm(self, tr("backupui.restore_confirm", summary=info.summary(),
                                         folder=str(self.session.folder)), title=tr("backupui.restore_title")):
            return

        def fn(progress, cancel):
            return restore.restore_backup(self.session, path, progress=progress, passphrase=passphrase)

        def done(res):
            if self.window_ is not None:
                self.window_.archive_replaced()
            self.load_settings()
            self.refresh()
            messages.info(self, tr("backupui.restore_done", summary=res.info.summary(), safety=res.safety_copy))

        self._run(tr("backupui.restore_progress"), fn, done, blocks_window=True)

    def check_archive(self) -> None:
        def fn(progress, cancel):
            return integrity.check_integrity(self.session, full=True, progress=progress, cancel=cancel)

        def done(rep):
            if rep["problems"]:
                messages.error(self, messages.findings_text(rep["problems"]), title=tr("backupui.check_bad_title"))
            else:
                messages.info(self, tr("backupui.check_ok", files=rep["files"], seconds=rep["seconds"]))

        self._run(tr("backupui.check_progress"), fn, done)
