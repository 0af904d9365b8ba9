"""The lower half the promotion and graduation dialogs share: the table of what would happen, the findings list,
the summary line and the 执行/关闭 buttons, built the same way for both."""
from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox, QLabel, QListWidget, QTableWidget, QVBoxLayout

from ui.common.record_list import make_table


def result_table(name: str, headers: list[str], widths: tuple[int, ...]) -> QTableWidget:
    """The table of what would happen: the house's read-only, row-selecting table (ui/common/record_list.py)."""
    return make_table(headers, widths, name=name)


def findings_and_summary(lay: QVBoxLayout, summary_name: str, max_height: int) -> tuple[QListWidget, QLabel]:
    """The findings list and the summary label under the table, added to ``lay``."""
    findings = QListWidget()
    findings.setObjectName("findings_list")
    findings.setWordWrap(True)
    findings.setMaximumHeight(max_height)
    lay.addWidget(findings)
    summary = QLabel()
    summary.setObjectName(summary_name)
    summary.setWordWrap(True)
    lay.addWidget(summary)
    return findings, summary


def run_and_close(lay: QVBoxLayout, run_text: str, on_run, on_close, close_text: str):
    """The dialog's button row: the run button (not the default, so Enter in a field does not run it) and 关闭."""
    buttons = QDialogButtonBox()
    run = buttons.addButton(run_text, QDialogButtonBox.ButtonRole.AcceptRole)
    close = buttons.addButton(close_text, QDialogButtonBox.ButtonRole.RejectRole)
    run.setAutoDefault(False)
    run.clicked.connect(on_run)
    close.clicked.connect(on_close)
    lay.addWidget(buttons)
    return run, close
