"""Every archive a released Xueji wrote still opens: migrated (with its backup) and complete."""
import shutil
import sqlite3
from pathlib import Path

import pytest

from app.students import service as ss
from app.students.check import check_archive
from app.core.session import Session
from db.archive import latest_version

FIXTURES = sorted((Path(__file__).resolve().parents[1] / "fixtures").glob("archive-schema-v*.sqlite"))


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_released_archive_opens_migrates_and_keeps_everything(tmp_path, fixture):
    folder = tmp_path / "a"
    folder.mkdir()
    shutil.copy(fixture, folder / "archive.sqlite")
    c = sqlite3.connect(folder / "archive.sqlite")
    before = {t: c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("students", "family_members", "classes", "change_history")}
    old_version = c.execute("PRAGMA user_version").fetchone()[0]
    c.close()
    with Session.open(folder) as s:
        rep = check_archive(s)
        assert rep["problems"] == [] and rep["schema_version"] == latest_version()
        for table, n in before.items():
            assert s.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == n, table
        assert len(ss.search_ids(s, "")) == before["students"]
        # every student got a starting status event (state on today = the stored status), and the audit
        # chain the migration started verifies
        import datetime as dt

        from app.audit import log as audit
        from app.changes.service import state_on

        for sid, status in s.conn.execute("SELECT id, status FROM students"):
            assert state_on(s, sid, dt.date.today()) == status
        assert audit.verify(s).ok
        # made before accounts: open (acting as the registrar) until its first registrar is set up
        from app.accounts import service as accounts

        assert not accounts.has_accounts(s) and s.role == "registrar" and s.can("write")
        accounts.setup_first_registrar(s, "admin", "fixture pw 1")
        assert s.account["role"] == "registrar" and audit.verify(s).ok
    backups = list(folder.glob("archive.before-v*.sqlite"))
    assert len(backups) == (0 if old_version == latest_version() else 1)
