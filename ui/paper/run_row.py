"""In-window progress of a background job for the paper archive's windows (a label, a bar and 取消)."""
from __future__ import annotations

from ui.common.i18n import tr


class RunRow:
    """In-window progress of a background job (a label, a bar and 取消), instead of a nested modal dialog."""

    def __init__(self, layout):
        from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton

        row = QHBoxLayout()
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMinimumWidth(200)
        self.cancel_btn = QPushButton(tr("common.cancel"))
        self.cancel_btn.setAutoDefault(False)
        row.addWidget(self.label)
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel_btn)
        layout.addLayout(row)
        self.cancel_btn.clicked.connect(self.cancel)
        self.job = None
        self.show(False)

    def show(self, on: bool) -> None:
        for w in (self.label, self.bar, self.cancel_btn):
            w.setVisible(on)

    def run(self, label: str, fn, on_done, on_error):
        from ui.common.workers import run_job

        self.label.setText(label)
        self.bar.setRange(0, 0)
        self.show(True)

        def progress(done, total):
            if total > 0:
                self.bar.setRange(0, total)
                self.bar.setValue(min(done, total))

        def finished(ok, value):
            self.job = None
            self.show(False)
            (on_done if ok else on_error)(value)

        self.job = run_job(fn, on_done=lambda r: finished(True, r), on_error=lambda e: finished(False, e),
                           on_progress=progress)
        return self.job

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.label.setText(tr("progress.cancelling"))

    @property
    def busy(self) -> bool:
        return self.job is not None
