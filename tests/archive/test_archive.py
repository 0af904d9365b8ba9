"""db/archive.py: PRAGMAs, the single-writer lock, migrations, refusing newer archives, no deletes."""
import sqlite3
import subprocess
import sys
import textwrap

import pytest

import app.core.session  # noqa: F401  (words the archive's messages, as the app does)
from db import archive as A


def test_new_archive_has_pragmas_and_latest_schema(tmp_path):
    with A.open_archive(tmp_path / "a", create=True) as arc:
        c = arc.conn
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert c.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert c.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert c.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
        assert A.schema_version(c) == A.latest_version()
        assert (tmp_path / "a" / "archive.sqlite").exists()


def test_missing_archive_is_refused_without_create(tmp_path):
    with pytest.raises(A.ArchiveMissing) as e:
        A.open_archive(tmp_path / "nothing")
    assert "xueji init" in str(e.value)
    assert not (tmp_path / "nothing").exists()


def test_second_open_in_same_process_is_refused(tmp_path):
    arc = A.open_archive(tmp_path, create=True)
    try:
        with pytest.raises(A.ArchiveLocked) as e:
            A.open_archive(tmp_path)
        assert "另一个正在运行的 Xueji" in str(e.value)
    finally:
        arc.close()
    A.open_archive(tmp_path).close()  # released on close


def test_other_process_holding_the_archive_is_refused(tmp_path):
    A.open_archive(tmp_path, create=True).close()
    code = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(A.Path(A.__file__).parent.parent)!r})
        from app.core.session import open_archive
        a = open_archive({str(tmp_path)!r})
        print("held", flush=True)
        time.sleep(30)
    """)
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "held"
        with pytest.raises(A.ArchiveLocked) as e:
            A.open_archive(tmp_path)
        assert f"进程 {p.pid}" in str(e.value)
    finally:
        p.kill()
        p.wait()
    A.open_archive(tmp_path).close()  # the OS released the lock when the holder died


def test_archive_from_newer_version_is_refused(tmp_path):
    A.open_archive(tmp_path, create=True).close()
    c = sqlite3.connect(tmp_path / "archive.sqlite")
    c.execute(f"PRAGMA user_version = {A.latest_version() + 5}")
    c.close()
    with pytest.raises(A.ArchiveTooNew) as e:
        A.open_archive(tmp_path)
    assert "更新版本" in str(e.value)
    # refused without touching it
    c = sqlite3.connect(tmp_path / "archive.sqlite")
    assert c.execute("PRAGMA user_version").fetchone()[0] == A.latest_version() + 5
    c.close()


def test_migration_backs_up_first_and_is_forward_only(tmp_path, monkeypatch):
    A.open_archive(tmp_path, create=True).close()
    c = sqlite3.connect(tmp_path / "archive.sqlite")
    c.execute("INSERT INTO settings(key, value) VALUES ('k', 'before')")
    c.commit()
    c.close()
    extra = tmp_path / "migs"
    extra.mkdir()
    for m in A.migrations():
        (extra / f"{m.version:04d}_{m.name}.sql").write_text(m.sql, encoding="utf-8")
    nxt = A.latest_version() + 1
    (extra / f"{nxt:04d}_test.sql").write_text("CREATE TABLE added_later (x TEXT);", encoding="utf-8")
    monkeypatch.setattr(A, "MIGRATIONS_DIR", extra)
    with A.open_archive(tmp_path) as arc:
        assert A.schema_version(arc.conn) == nxt
        arc.conn.execute("INSERT INTO added_later VALUES ('ok')")
    backups = list(tmp_path.glob("archive.before-v*-from-v*.sqlite"))
    assert len(backups) == 1
    b = sqlite3.connect(backups[0])
    assert b.execute("SELECT value FROM settings WHERE key='k'").fetchone()[0] == "before"
    assert b.execute("PRAGMA user_version").fetchone()[0] == nxt - 1
    b.close()


def test_failed_migration_leaves_archive_unchanged(tmp_path, monkeypatch):
    A.open_archive(tmp_path, create=True).close()
    extra = tmp_path / "migs"
    extra.mkdir()
    for m in A.migrations():
        (extra / f"{m.version:04d}_{m.name}.sql").write_text(m.sql, encoding="utf-8")
    nxt = A.latest_version() + 1
    (extra / f"{nxt:04d}_broken.sql").write_text("CREATE TABLE t1 (x);\nTHIS IS NOT SQL;", encoding="utf-8")
    monkeypatch.setattr(A, "MIGRATIONS_DIR", extra)
    with pytest.raises(sqlite3.Error):
        A.open_archive(tmp_path)
    monkeypatch.undo()
    with A.open_archive(tmp_path) as arc:
        assert A.schema_version(arc.conn) == nxt - 1
        assert arc.conn.execute("SELECT name FROM sqlite_master WHERE name='t1'").fetchone() is None


def test_records_are_never_physically_deleted(tmp_path):
    with A.open_archive(tmp_path, create=True) as arc:
        c = arc.conn
        c.execute("INSERT INTO classes(stage, grade, number, entry_year, created_at, updated_at) "
                  "VALUES ('primary', 1, 1, 2025, 'x', 'x')")
        c.execute("INSERT INTO students(class_id, name, created_at, updated_at) VALUES (1, '张三', 'x', 'x')")
        c.execute("INSERT INTO change_history(student_id, entity, action, changed_at) VALUES (1, 'student', 'create', 'x')")
        for sql in ("DELETE FROM students", "DELETE FROM classes", "DELETE FROM change_history",
                    "UPDATE change_history SET new_value = 'forged'"):
            with pytest.raises(sqlite3.IntegrityError):
                c.execute(sql)
        assert c.execute("SELECT COUNT(*) FROM students").fetchone()[0] == 1


def test_transaction_rolls_back_on_error(tmp_path):
    with A.open_archive(tmp_path, create=True) as arc:
        with pytest.raises(RuntimeError):
            with arc.transaction() as c:
                c.execute("INSERT INTO settings(key, value) VALUES ('a', 'b')")
                raise RuntimeError("boom")
        assert arc.conn.execute("SELECT COUNT(*) FROM settings").fetchone()[0] == 0


def test_a_foreign_or_truncated_file_is_refused_in_the_registrars_terms(tmp_path):
    from db.archive import ArchiveDamaged, ArchiveError

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "archive.sqlite").write_bytes("这不是数据库，是一份表格导出的文本\n".encode() * 200)
    with pytest.raises(ArchiveDamaged) as e:
        A.open_archive(foreign)
    assert isinstance(e.value, ArchiveError) and "不是 SQLite 数据库文件" in str(e.value)

    cut = tmp_path / "cut"
    A.open_archive(cut, create=True).close()
    db = cut / "archive.sqlite"
    db.write_bytes(db.read_bytes()[:100])  # the header survives, the pages do not
    with pytest.raises(ArchiveDamaged) as e:
        A.open_archive(cut)
    assert "已损坏或被截断" in str(e.value)
    # the lock was released: a second try gives the same answer, not "in use"
    with pytest.raises(ArchiveDamaged):
        A.open_archive(cut)


def test_the_cli_answers_a_damaged_archive_with_its_code(tmp_path, capsys):
    import json

    from app.cli import main

    (tmp_path / "archive.sqlite").write_bytes(b"PK\x03\x04 not a database" * 50)
    assert main(["--archive", str(tmp_path), "--json", "class", "list"]) == 1
    err = json.loads(capsys.readouterr().out)["errors"][0]
    assert err["code"] == "archive_damaged" and "不是 SQLite" in err["message"]
