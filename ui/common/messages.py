"""Message boxes and finding texts shared by the windows: errors in the registrar's language, each
refusal with its rule and article (app.core.errors.Finding.text())."""
from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from ui.common.i18n import tr


def finding_line(f) -> str:
    """One finding as a line: 「字段」：message（RULE，article）."""
    return f.text() if hasattr(f, "text") else str(f)


def findings_text(findings, limit: int = 30) -> str:
    lines = [f"• {finding_line(f)}" for f in findings[:limit]]
    if len(findings) > limit:
        lines.append(tr("msg.more_findings", count=len(findings) - limit))
    return "\n".join(lines)


def error(parent: QWidget | None, text: str, *, title: str | None = None, detail: str | None = None) -> None:
    box = QMessageBox(QMessageBox.Icon.Critical, title or tr("msg.error_title"), text,
                      QMessageBox.StandardButton.Ok, parent)
    if detail:
        box.setDetailedText(detail)
    box.exec()


def info(parent: QWidget | None, text: str, *, title: str | None = None, detail: str | None = None) -> None:
    box = QMessageBox(QMessageBox.Icon.Information, title or tr("msg.info_title"), text,
                      QMessageBox.StandardButton.Ok, parent)
    if detail:
        box.setDetailedText(detail)
    box.exec()


def job_error(parent: QWidget | None, failed, *, title: str | None = None) -> None:
    """A background job failed: its own (Chinese) message, the traceback under 显示详细信息."""
    err = getattr(failed, "error", failed)
    findings = getattr(err, "findings", None)
    text = findings_text(findings) if findings else (str(err) or type(err).__name__)
    error(parent, text, title=title, detail=getattr(failed, "trace", None))


def confirm(parent: QWidget | None, text: str, *, title: str | None = None) -> bool:
    r = QMessageBox.question(parent, title or tr("msg.confirm_title"), text,
                             QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                             QMessageBox.StandardButton.Yes)
    return r == QMessageBox.StandardButton.Yes
