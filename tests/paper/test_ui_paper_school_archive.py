"""学校学籍档案 (ui/paper/school_archive_view.py) on a real archive: filing a class roster renders it in the background
and lists it under its school year; filing again adds version 2 and keeps version 1; open gives the filed bytes;
printing sends its pages to a (PDF) printer; a tampered file is shown in red by 校验全部 and refused on open."""
from __future__ import annotations

import pytest

from tests.ui_fixtures import capture_messages
from PySide6.QtPrintSupport import QPrinter

from tests.helpers import fill_class, new_class, new_school
from ui.common import messages
from ui.paper.school_archive_view import SchoolArchiveView, current_school_year
from ui.common.workers import wait


@pytest.fixture
def shown(monkeypatch):
    out = capture_messages(monkeypatch)
    monkeypatch.setattr(messages, "job_error", lambda parent, err, **kw: out.append(("job", str(err))))
    return out


def test_file_list_open_print_and_tamper(tmp_path, qtbot, shown):
    s = new_school(tmp_path, stages="primary")
    try:
        cid = new_class(s, 3)
        fill_class(s, cid, 3, 3)
        year = current_school_year()
        view = SchoolArchiveView(s)
        qtbot.addWidget(view)
        assert view.table.rowCount() == 0
        job = view.file_new("class-roster", year, "期初")
        assert job is not None and wait(job, 60000)
        qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=5000)
        assert not [m for m in shown if m[0] in ("error", "job")], shown
        assert view.year_combo.currentData() == year
        job = view.file_new("class-roster", year)
        assert wait(job, 60000)
        qtbot.waitUntil(lambda: view.table.rowCount() == 2, timeout=5000)
        assert sorted(int(x["version"]) for x in view.snaps) == [1, 2]
        path = view.open_row(0)
        data = open(path, "rb").read()
        assert data[:5] == b"%PDF-"
        import hashlib

        assert hashlib.sha256(data).hexdigest() == view.snaps[0]["file_sha256"]
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(tmp_path / "printed.pdf"))
        assert view.print_row(0, printer) >= 1
        # tamper with the stored file of version 2
        sha = view.snaps[0]["file_sha256"]
        stored = next(s.folder.joinpath("files").rglob(f"{sha}*"))
        stored.chmod(0o644)
        stored.write_bytes(b"%PDF-1.4 changed")
        res = view.verify()
        assert [r["state"] for r in res if r["file_sha256"] == sha] == ["changed"]
        assert shown[-1][0] == "error"
        row = [x["file_sha256"] for x in view.snaps].index(sha)
        assert view.table.item(row, 7).text() and view.table.item(row, 0).background().color().name() == "#ffebee"
        n = len(shown)
        assert view.open_row(row) is None and shown[n][0] == "error"
    finally:
        s.close()


def test_the_years_required_registers_are_shown_filed_or_not(tmp_path, qtbot, shown):
    s = new_school(tmp_path, profile="shanxi-changzhi", stages="primary")
    try:
        cid = new_class(s, 3)
        fill_class(s, cid, 2, 3)
        year = current_school_year()
        view = SchoolArchiveView(s)
        qtbot.addWidget(view)
        view.year_combo.setCurrentIndex(view.year_combo.findData(year))
        text = view.required.text()
        assert "长治 第六条" in text and "在校生分班名册（未归档）" in text
        assert wait(view.file_new("class-roster", year), 60000)
        qtbot.waitUntil(lambda: "在校生分班名册（已归档 1 版）" in view.required.text(), timeout=5000)
        assert "新生花名册（未归档）" in view.required.text()
    finally:
        s.close()
