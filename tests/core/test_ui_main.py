"""Start-up and background work end to end: ``ui.main.main`` on a real archive (screenshot, locked
archive message), the first-run demo archive, and the main window's jobs (demo data, export, import)
running on the worker thread with their results back on the GUI thread."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui_fixtures import capture_messages
from PySide6.QtWidgets import QDialog

from app.students import service as student_service
from ui.common import workers
from ui.main_window import MainWindow


@pytest.fixture
def shown(monkeypatch):
    """Record message boxes instead of blocking on them."""
    return capture_messages(monkeypatch)


def _signed_in_by_env(session, monkeypatch) -> dict:
    """The archive gets its first registrar; the start-up signs in from the environment (no dialog)."""
    from app.accounts import service as accounts

    accounts.setup_first_registrar(session, "wang", "Registrar-2026")
    monkeypatch.setenv("XUEJI_USER", "wang")
    monkeypatch.setenv("XUEJI_PASSWORD", "Registrar-2026")
    return {"XUEJI_USER": "wang", "XUEJI_PASSWORD": "Registrar-2026"}


def _last_job(win):
    job = win.jobs[-1]
    assert workers.wait(job, 120000), "the job did not finish"
    return job


def test_main_opens_archive_and_saves_a_screenshot(qapp, tmp_path, archive_factory, capsys, monkeypatch):
    from ui.main import main

    session = archive_factory(students=12)
    _signed_in_by_env(session, monkeypatch)
    folder = session.folder
    session.close()
    png = tmp_path / "shot.png"
    rc = main(["--archive", str(folder), "--screenshot", str(png), "--report-startup"])
    assert rc == 0
    assert png.stat().st_size > 10_000
    out = capsys.readouterr().out
    assert "startup_ms=" in out and "screenshot saved" in out


def test_main_reports_a_locked_archive(qapp, archive_factory, shown):
    from ui.main import main

    session = archive_factory(students=1)  # still open: this process holds the archive's lock
    rc = main(["--archive", str(session.folder), "--quit-after-ms", "2000"])
    assert rc == 1
    assert shown and shown[0][0] == "error" and "另一个" in shown[0][1]


def test_first_run_demo_builds_and_opens_a_demo_archive(qtbot, tmp_path, shown):
    from ui.school.first_run_dialog import FirstRunDialog, demo_folder

    dlg = FirstRunDialog(tmp_path / "archive")
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.demo_button.isEnabled()
    dlg.demo_button.click()
    assert workers.wait(dlg.job, 120000)
    assert dlg.result() == QDialog.DialogCode.Accepted, shown
    assert dlg.session.folder == demo_folder(tmp_path / "archive").resolve()
    assert len(student_service.search_ids(dlg.session, "")) == 300
    dlg.session.close()


def test_demo_data_job_from_the_menu(qtbot, monkeypatch, tmp_path, shown):
    import ui.common.archive_jobs as mw
    from app.school.demo import build_demo
    from app.core.session import Session

    build_demo(tmp_path / "demo", students=3)
    win = MainWindow(Session.open(tmp_path / "demo"))
    qtbot.addWidget(win)
    monkeypatch.setattr(mw.QInputDialog, "getInt", staticmethod(lambda *a, **k: (40, True)))
    win.act_demo.trigger()
    _last_job(win)
    assert not shown, shown
    assert win.model.rowCount() == 43
    root = win.tree_model.index(0, 0)
    assert "43人" in root.data()
    win.close()


def test_demo_data_is_refused_in_a_real_archive(qtbot, monkeypatch, archive_factory, shown):
    import ui.common.archive_jobs as mw

    win = MainWindow(archive_factory(students=3))
    qtbot.addWidget(win)
    monkeypatch.setattr(mw.QInputDialog, "getInt", staticmethod(lambda *a, **k: (40, True)))
    win.act_demo.trigger()
    _last_job(win)
    assert shown and "正式档案库" in shown[-1][1]
    assert win.model.rowCount() == 3


def test_export_then_import_round_trip(qtbot, monkeypatch, tmp_path, archive_factory, shown):
    import ui.exchange.import_dialog as imp
    import ui.common.archive_jobs as mw

    source = MainWindow(archive_factory(students=15))
    qtbot.addWidget(source)
    path = tmp_path / "export.xlsx"
    monkeypatch.setattr("ui.exchange.export_dialog.ask_export_purpose", lambda *a, **k: ("national", None))
    monkeypatch.setattr(mw.QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(path), "")))
    source.act_export.trigger()
    _last_job(source)
    assert path.exists()
    assert shown[-1][0] == "info" and "15" in shown[-1][1]

    target = MainWindow(archive_factory(students=0))
    qtbot.addWidget(target)
    reports = []
    monkeypatch.setattr(mw.QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), "")))
    monkeypatch.setattr(imp.ImportResultDialog, "exec", lambda self: reports.append(self.report) or 1)
    target.act_import.trigger()
    _last_job(target)
    assert reports and reports[0].imported == 15, reports and reports[0].errors
    assert target.model.rowCount() == 15

    # importing the same file again: every row is refused as a duplicate, with rule and article
    target.act_import.trigger()
    _last_job(target)
    report = reports[-1]
    assert report.imported == 0 and report.errors
    dlg = imp.ImportResultDialog(report, str(path), target, can_skip_invalid=True)
    qtbot.addWidget(dlg)
    texts = [dlg.error_table.item(r, 3).text() for r in range(dlg.error_table.rowCount())]
    assert any("DUP.ONE_PERSON_ONE_XJ" in t for t in texts), texts
    text = imp.report_text(report, str(path))
    assert "DUP.ONE_PERSON_ONE_XJ" in text
    monkeypatch.setattr(imp.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(tmp_path / "result.txt"), "")))
    saved = dlg.save_text()
    assert Path(saved).read_text(encoding="utf-8-sig").startswith("导入结果")


def test_start_up_does_not_import_heavy_modules(tmp_path, archive_factory, monkeypatch):
    import subprocess
    import sys

    session = archive_factory(students=3)
    _signed_in_by_env(session, monkeypatch)
    folder = session.folder
    session.close()
    probe = (
        "import os, sys\n"
        "os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from ui.main import open_session\n"
        "from ui.main_window import MainWindow\n"
        f"s = open_session({str(folder)!r})\n"
        "w = MainWindow(s); w.show(); app.processEvents()\n"
        "heavy = [m for m in ('openpyxl', 'xlrd', 'xlwt', 'pypinyin', 'reportlab', 'python_calamine', 'PIL')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy, flush=True)\n"  # os._exit skips flushing a piped stdout
        "os._exit(0)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr[-2000:]


def test_export_for_use_in_the_school_masks_id_numbers(qtbot, monkeypatch, tmp_path, archive_factory, shown):
    """The purpose asked before an export decides the masking (国家 第二十五条); cancelling it exports nothing."""
    import openpyxl

    import ui.common.archive_jobs as mw

    win = MainWindow(archive_factory(students=3))
    qtbot.addWidget(win)
    path = tmp_path / "internal.xlsx"
    monkeypatch.setattr(mw.QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(path), "")))
    monkeypatch.setattr("ui.exchange.export_dialog.ask_export_purpose", lambda *a, **k: None)
    win.act_export.trigger()
    assert not path.exists()
    monkeypatch.setattr("ui.exchange.export_dialog.ask_export_purpose", lambda *a, **k: ("internal", None))
    win.act_export.trigger()
    _last_job(win)
    ws = openpyxl.load_workbook(path, read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    col = rows[0].index("身份证件号")
    ids = [r[col] for r in rows[1:] if r[col]]
    assert len(ids) == 3 and all("*" in v for v in ids)
    assert shown[-1][0] == "info" and "3" in shown[-1][1]
