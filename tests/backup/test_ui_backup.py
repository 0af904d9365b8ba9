"""The backup window and the automatic parts (ui/backup/backup_dialog.py, ui/backup/backup_menu.py) on real archives:
settings saved, a backup made and listed, restore after confirming what the backup holds, the backup
when the main window closes (and a failed one never keeps it open), the quick check on open."""
from __future__ import annotations


import pytest

from tests.ui_fixtures import capture_messages

from app.backup import journal, manifest, settings
from app.backup import service as B
from ui.backup import backup_menu
from ui.common import messages, workers
from ui.backup.backup_dialog import BackupDialog
from ui.main_window import MainWindow
from ui.backup.backup_menu import BackupWork


@pytest.fixture
def shown(monkeypatch):
    return capture_messages(monkeypatch)


def _wait(job):
    assert workers.wait(job, 60000), "the job did not finish"


def test_dialog_saves_settings_backs_up_and_lists(qtbot, archive_factory, tmp_path, shown):
    s = archive_factory(5)
    dlg = BackupDialog(s)
    qtbot.addWidget(dlg)
    assert dlg.table.rowCount() == 0
    dest = tmp_path / "usb"
    dlg.folder_edit.setText(str(dest))
    dlg.keep["backup.keep_daily"].setValue(4)
    dlg.on_close.setChecked(False)
    dlg.backup_btn.click()
    _wait(dlg.jobs[-1])
    st = settings.get_settings(s)
    assert st["backup.folder"] == str(dest) and st["backup.keep_daily"] == "4" and st["backup.on_close"] == "0"
    assert dlg.table.rowCount() == 1 and dlg.table.item(0, 2).text() == "5"
    assert shown and shown[-1][0] == "info" and str(dest) in shown[-1][1]
    dlg.verify_btn.click()
    _wait(dlg.jobs[-1])
    assert shown[-1][0] == "info"
    dlg.check_btn.click()
    _wait(dlg.jobs[-1])
    assert shown[-1][0] == "info"


def test_dialog_restore_shows_the_backup_first_and_restores(qtbot, archive_factory, tmp_path, shown, monkeypatch):
    s = archive_factory(4)
    res = B.make_backup(s, tmp_path / "usb")
    from tests.backup.test_backup import add_student

    add_student(s, 3)
    win = MainWindow(s)
    qtbot.addWidget(win)
    asked = []
    monkeypatch.setattr(messages, "confirm", lambda parent, text, **kw: asked.append(text) or False)
    dlg = BackupDialog(s, win, window=win)
    dlg.restore(res.info.path)
    assert asked and res.info.summary() in asked[0]  # what the backup holds, before anything changes
    assert s.conn.execute("SELECT COUNT(*) FROM students").fetchone()[0] == 5  # declined: nothing changed
    monkeypatch.setattr(messages, "confirm", lambda parent, text, **kw: True)
    dlg.restore(res.info.path)
    _wait(dlg.jobs[-1])
    assert s.conn.execute("SELECT COUNT(*) FROM students").fetchone()[0] == 4
    assert win.model.rowCount() >= 0 and shown[-1][0] == "info" and "archive.before-restore" in shown[-1][1]
    junk = tmp_path / "junk"
    junk.mkdir()
    dlg.restore(str(junk))
    assert shown[-1][0] == "error" and "manifest.json" in shown[-1][1]


def test_close_runs_the_backup_then_closes(qtbot, archive_factory, tmp_path, shown):
    s = archive_factory(3)
    settings.save_settings(s, {"backup.folder": str(tmp_path / "usb")})
    win = MainWindow(s)
    qtbot.addWidget(win)
    win.show()
    win.close()
    hook = BackupWork.of(win).hook
    assert hook.job is not None and win.isVisible()  # the close waits for the backup
    _wait(hook.job)
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=10000)
    backups = manifest.list_backups(tmp_path / "usb")
    assert len(backups) == 1 and backups[0].complete and backups[0].trigger == "close"


def test_failed_close_backup_still_closes(qtbot, archive_factory, tmp_path, shown):
    s = archive_factory(3)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    settings.save_settings(s, {"backup.folder": str(blocker / "usb")})
    win = MainWindow(s)
    qtbot.addWidget(win)
    win.show()
    win.close()
    _wait(BackupWork.of(win).hook.job)
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=10000)
    assert shown and shown[-1][0] == "error" and str(blocker) in shown[-1][1]
    assert s.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_no_folder_no_backup_on_close(qtbot, archive_factory, shown):
    s = archive_factory(1)
    win = MainWindow(s)
    qtbot.addWidget(win)
    win.show()
    win.close()
    assert not win.isVisible() and BackupWork.of(win).hook.job is None


def test_quick_check_on_open_and_daily_backup(qtbot, archive_factory, tmp_path, shown):
    s = archive_factory(2)
    win = MainWindow(s)
    qtbot.addWidget(win)
    _wait(BackupWork.of(win).quick_check_job)
    assert BackupWork.of(win).quick_check_result == "ok"
    settings.save_settings(s, {"backup.folder": str(tmp_path / "usb"), "backup.on_close": "0"})
    backup_menu.automatic(win)  # the timer's look: due → a backup in the background
    _wait(BackupWork.of(win).job)
    assert [b.trigger for b in manifest.list_backups(tmp_path / "usb")] == ["daily"]
    backup_menu.automatic(win)  # not due: the weekly full check runs instead
    _wait(BackupWork.of(win).job)
    assert not settings.full_check_due(s)
    n = len(journal.history(s))
    backup_menu.automatic(win)  # nothing due
    assert len(journal.history(s)) == n


def test_encrypted_backup_from_the_dialog_and_restore_asking_the_passphrase(qtbot, archive_factory, tmp_path,
                                                                             shown, monkeypatch):
    pytest.importorskip("cryptography")
    s = archive_factory(3)
    dlg = BackupDialog(s)
    qtbot.addWidget(dlg)
    dlg.folder_edit.setText(str(tmp_path / "usb"))
    dlg.encrypt.setChecked(True)
    dlg.passphrase.setText("short")
    assert not dlg.save_settings() and shown[-1][0] == "error"  # too short: the field is named
    dlg.passphrase.setText("一个足够长的口令")
    dlg.backup_btn.click()
    _wait(dlg.jobs[-1])
    assert dlg.table.rowCount() == 1 and manifest.list_backups(tmp_path / "usb")[0].encrypted
    path = manifest.list_backups(tmp_path / "usb")[0].path
    # the stored passphrase is cleared: the dialog asks for it
    settings.save_settings(s, {"backup.encrypt": "0", "backup.passphrase": ""})
    dlg.load_settings()
    from PySide6.QtWidgets import QInputDialog

    asked = []
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: asked.append(a) or ("一个足够长的口令", True))
    monkeypatch.setattr(messages, "confirm", lambda parent, text, **kw: True)
    from tests.backup.test_backup import add_student

    add_student(s, 4)
    dlg.restore(path)
    _wait(dlg.jobs[-1])
    assert asked and s.conn.execute("SELECT COUNT(*) FROM students").fetchone()[0] == 3
    assert shown[-1][0] == "info"


def test_close_waits_for_a_running_daily_backup(qtbot, archive_factory, tmp_path, shown):
    s = archive_factory(2)
    settings.save_settings(s, {"backup.folder": str(tmp_path / "usb"), "backup.on_close": "0"})
    win = MainWindow(s)
    qtbot.addWidget(win)
    win.show()
    backup_menu.automatic(win)
    assert BackupWork.of(win).busy
    win.close()
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=20000)
    assert not BackupWork.of(win).busy and len(manifest.list_backups(tmp_path / "usb")) == 1
