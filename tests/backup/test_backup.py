"""Verified backups, restore, thinning and integrity checks (app/backup/, `xueji backup`/`restore`).

Real archives in tmp_path, real backup folders written and read back; damage is done to the files on
disk (truncate, flip a byte, delete), never by mocking our storage."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from app.backup import integrity, journal, layout, manifest, restore, settings, thinning, verify
from app.backup import service as B
from app.cli import main
from app.core.errors import Refused
from app.core import filestore as store
from app.core.session import Session


def photo_bytes(i: int, n: int = 40_000) -> bytes:
    return hashlib.sha256(str(i).encode()).digest() * (n // 32)


@pytest.fixture
def arch(archive_factory):
    """An archive with 12 students and 3 files in its store."""
    s = archive_factory(12)
    for i in range(3):
        store.put(s.folder, photo_bytes(i), "jpg")
    return s


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def n_students(conn) -> int:
    return conn.execute("SELECT COUNT(*) FROM students").fetchone()[0]


def add_student(session, n: int):
    from tests.helpers import make_id_number
    from app.students import service as student_service

    student_service.create_student(session, {"name": "新生" + "甲乙丙丁戊己庚辛壬癸"[n % 10], "ethnicity": "01",
                                             "id_number": make_id_number("20170505", 900 + n)},
                                   [{"seq": 1, "name": "家长", "relation": "1"}], class_id=session.class_ids[0])


def run_cli(capsys, *argv):
    capsys.readouterr()
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    lines = [x for x in out.splitlines() if x.strip()]
    assert len(lines) == 1, out
    obj = json.loads(lines[0])
    if not obj["ok"]:
        for e in obj["errors"]:
            assert {"code", "field", "row", "message", "rule", "article", "outcome"} <= set(e)
    return rc, obj


# ------------------------------------------------------------------ backup
def test_backup_writes_db_copy_manifest_and_store_verified(arch, tmp_path):
    dest = tmp_path / "usb"
    res = B.make_backup(arch, dest)
    folder = Path(res.info.path)
    assert folder.parent == dest and folder.name.startswith(layout.PREFIX) and not folder.name.endswith(layout.PARTIAL)
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert m["format"] == "xueji-backup" and m["schema_version"] == arch.conn.execute("PRAGMA user_version").fetchone()[0]
    assert m["counts"]["students"] == 12 and m["counts"]["classes"] == 2 and m["made_by"] == arch.user
    assert m["database"]["sha256"] == sha(folder / "archive.sqlite")
    assert m["database"]["bytes"] == (folder / "archive.sqlite").stat().st_size
    # every file of the archive's store is in the destination store, and its manifest hash is its content's
    src = {rel: p for rel, p in layout.store_files(arch.folder)}
    assert {f["path"] for f in m["files"]} == set(src) and len(src) == 3
    for f in m["files"]:
        assert sha(dest / "files" / f["path"]) == f["sha256"] == sha(src[f["path"]])
    # the copy is a consistent SQLite database, not in WAL mode, with the same rows
    c = sqlite3.connect(folder / "archive.sqlite")
    assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert n_students(c) == 12
    c.close()
    assert res.files_copied == 3 and res.files_skipped == 0
    # the archive notes it (the audit log's seam)
    log = journal.history(arch)
    assert log[0]["kind"] == "backup" and log[0]["ok"] == 1 and log[0]["path"] == str(folder)


def test_second_backup_copies_only_new_files(arch, tmp_path):
    dest = tmp_path / "usb"
    B.make_backup(arch, dest)
    store.put(arch.folder, photo_bytes(99), "png")
    res = B.make_backup(arch, dest, now=dt.datetime.now() + dt.timedelta(seconds=5))
    assert res.files_copied == 1 and res.files_skipped == 3
    assert len([b for b in manifest.list_backups(dest) if b.complete]) == 2
    info, problems = verify.verify_backup(res.info.path)
    assert problems == [] and info.files == 4


def test_no_folder_and_unwritable_folder_are_refused(arch, tmp_path):
    with pytest.raises(Refused) as e:
        B.make_backup(arch)
    assert e.value.findings[0].code == "no_folder"
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(Refused) as e:
        B.make_backup(arch, blocker / "sub")
    assert e.value.findings[0].code == "dest_unwritable" and str(blocker) in e.value.findings[0].message
    assert journal.history(arch)[0]["ok"] == 0


# ------------------------------------------------------------------ verify: damaged, truncated, foreign
def test_verify_names_the_damaged_file(arch, tmp_path):
    dest = tmp_path / "usb"
    folder = Path(B.make_backup(arch, dest).info.path)
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    victim = dest / "files" / m["files"][0]["path"]
    data = bytearray(victim.read_bytes())
    data[100] ^= 0xFF
    victim.write_bytes(bytes(data))
    _, quick = verify.verify_backup(folder, full=False)
    assert quick == []  # same size: only the hash tells
    _, problems = verify.verify_backup(folder)
    assert [p.code for p in problems] == ["hash_mismatch"] and str(victim) in problems[0].message
    victim.unlink()
    _, problems = verify.verify_backup(folder, full=False)
    assert [p.code for p in problems] == ["missing_file"] and str(victim) in problems[0].message


def test_truncated_database_copy_is_refused(arch, tmp_path):
    folder = Path(B.make_backup(arch, tmp_path / "usb").info.path)
    db = folder / "archive.sqlite"
    size = db.stat().st_size
    with open(db, "r+b") as fh:
        fh.truncate(size // 2)
    _, problems = verify.verify_backup(folder)
    assert problems[0].code == "truncated"
    assert str(db) in problems[0].message and str(size) in problems[0].message
    with pytest.raises(Refused):
        restore.restore_backup(arch, folder)
    assert n_students(arch.conn) == 12
    assert not list(arch.folder.glob("archive.before-restore-*"))  # refused before anything changed


def test_foreign_files_get_a_clear_message(arch, tmp_path):
    junk = tmp_path / "photo.jpg"
    junk.write_bytes(b"\xff\xd8\xff" + os.urandom(500))
    with pytest.raises(Refused) as e:
        verify.verify_backup(junk)
    assert e.value.findings[0].code == "not_a_backup" and str(junk) in e.value.findings[0].message
    with pytest.raises(Refused) as e:
        verify.verify_backup(arch.archive.db_path)  # a bare database is no backup
    assert e.value.findings[0].code == "not_a_backup" and "manifest.json" in e.value.findings[0].message
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(Refused) as e:
        manifest.describe(empty)
    assert e.value.findings[0].code == "not_a_backup"
    other = tmp_path / "other"
    other.mkdir()
    (other / "manifest.json").write_text('{"format": "something-else"}', encoding="utf-8")
    with pytest.raises(Refused) as e:
        verify.verify_backup(other)
    assert e.value.findings[0].code == "not_a_backup"
    folder = Path(B.make_backup(arch, tmp_path / "usb").info.path)
    mp = folder / "manifest.json"
    mp.write_bytes(mp.read_bytes()[:200])  # truncated manifest
    with pytest.raises(Refused) as e:
        verify.verify_backup(folder)
    assert e.value.findings[0].code == "bad_manifest" and str(mp) in e.value.findings[0].message
    db = folder / "archive.sqlite"  # a foreign file in the database's place, same size
    mp.unlink()
    folder2 = Path(B.make_backup(arch, tmp_path / "usb2").info.path)
    db = folder2 / "archive.sqlite"
    db.write_bytes(os.urandom(db.stat().st_size))
    _, problems = verify.verify_backup(folder2)
    assert problems[0].code == "foreign_file" and str(db) in problems[0].message


# ------------------------------------------------------------------ restore
def test_restore_brings_back_the_backup_keeps_a_safety_copy_and_verifies(arch, tmp_path):
    dest = tmp_path / "usb"
    folder = Path(B.make_backup(arch, dest).info.path)
    add_student(arch, 1)
    lost = layout.store_files(arch.folder)[0][1]
    lost.unlink()  # a file lost from the archive's store comes back from the backup
    assert n_students(arch.conn) == 13
    res = restore.restore_backup(arch, folder)
    assert n_students(arch.conn) == 12 and lost.is_file() and res.files_added == 1
    assert arch.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert arch.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    safety = Path(res.safety_copy)
    assert safety.parent == arch.folder
    c = sqlite3.connect(safety)
    assert n_students(c) == 13  # what was there before the restore
    c.close()
    log = journal.history(arch)
    assert log[0]["kind"] == "restore" and log[0]["ok"] == 1 and log[0]["detail"]["safety_copy"] == str(safety)
    # the archive works on after the restore
    add_student(arch, 2)
    assert n_students(arch.conn) == 13
    arch.close()
    with Session.open(arch.folder) as s2:
        assert n_students(s2.conn) == 13


def test_restore_of_a_partial_backup_is_refused(arch, tmp_path):
    dest = tmp_path / "usb"
    folder = Path(B.make_backup(arch, dest).info.path)
    partial = folder.with_name(folder.name + "-2" + layout.PARTIAL)
    folder.rename(partial)
    with pytest.raises(Refused) as e:
        restore.restore_backup(arch, partial)
    assert "incomplete" in {f.code for f in e.value.findings}
    (b,) = manifest.list_backups(dest)
    assert not b.complete and b.problem


# ------------------------------------------------------------------ thinning
def _fake(day: dt.datetime, i: int) -> manifest.BackupInfo:
    return manifest.BackupInfo(path=f"/x/{i}", name=f"b{i}", complete=True, created_at=day.isoformat(timespec="seconds"))


def test_thinning_plan_keeps_daily_weekly_monthly_and_the_newest():
    start = dt.datetime(2025, 1, 1, 17, 0)
    backups = [_fake(start + dt.timedelta(days=d, hours=h), d * 10 + h) for d in range(400) for h in (0, 2)]
    backups.append(manifest.BackupInfo(path="/x/partial", name="p", complete=False))
    keep, delete = thinning.plan_thinning(backups, 12, 10, 9)
    newest = max(backups[:-1], key=lambda b: b.created_at)
    assert newest in keep and "/x/partial" not in {b.path for b in keep + delete}
    days = {b.created_at[:10] for b in keep}
    last12 = {(start + dt.timedelta(days=d)).date().isoformat() for d in range(388, 400)}
    assert last12 <= days
    months = {b.created_at[:7] for b in keep}
    assert len(months) >= 9
    assert len(keep) <= 12 + 10 + 9 and len(keep) + len(delete) == 800
    keep0, _ = thinning.plan_thinning(backups, 0, 0, 0)
    assert [b.path for b in keep0] == [newest.path]  # never the newest verified one


def test_thinning_deletes_only_old_backup_folders(arch, tmp_path):
    dest = tmp_path / "usb"
    settings.save_settings(arch, {"backup.folder": str(dest), "backup.keep_daily": "3", "backup.keep_weekly": "0",
                           "backup.keep_monthly": "0"})
    base = dt.datetime.now() - dt.timedelta(days=10)
    for d in range(6):
        res = B.make_backup(arch, now=base + dt.timedelta(days=d))
    assert len(res.thinned) == 1  # every run thins: after the 4th backup one goes, and so on
    names = sorted(b.name for b in manifest.list_backups(dest))
    assert len(names) == 3
    assert len(layout.store_files(dest)) == 3  # the shared store is never thinned
    assert n_students(arch.conn) == 12
    # another destination (--to elsewhere) is not thinned unless asked
    other = tmp_path / "other"
    for d in range(5):
        B.make_backup(arch, other, now=base + dt.timedelta(days=d))
    assert len(manifest.list_backups(other)) == 5


def test_backup_due_daily(arch, tmp_path):
    assert not settings.backup_due(arch)  # nothing configured
    settings.save_settings(arch, {"backup.folder": str(tmp_path / "usb")})
    assert settings.backup_due(arch) and settings.backup_on_close_wanted(arch)
    B.make_backup(arch, trigger="daily")
    assert not settings.backup_due(arch)
    assert settings.backup_due(arch, now=dt.datetime.now() + dt.timedelta(hours=25))
    settings.save_settings(arch, {"backup.daily": "0", "backup.on_close": "no"})
    assert not settings.backup_due(arch, now=dt.datetime.now() + dt.timedelta(hours=25))
    assert not settings.backup_on_close_wanted(arch)


def test_bad_settings_are_refused_naming_the_field(arch):
    with pytest.raises(Refused) as e:
        settings.save_settings(arch, {"backup.keep_daily": "-3"})
    assert e.value.findings[0].field == settings.SETTING_LABELS["backup.keep_daily"]
    assert settings.get_settings(arch)["backup.keep_daily"] == "12"


# ------------------------------------------------------------------ integrity of the archive
def test_full_check_reports_damaged_and_missing_files_and_deletes_nothing(arch):
    rep = integrity.check_integrity(arch)
    assert rep["problems"] == [] and rep["integrity"] == "ok" and rep["files"] == 3
    (rel, p), (rel2, p2) = layout.store_files(arch.folder)[:2]
    p.write_bytes(b"damaged" + p.read_bytes()[7:])
    digest2 = p2.name.split(".")[0]
    p2.unlink()
    from app.photos.pipeline import process  # a photo row refers to the missing file
    from app.photos.presets import get_preset
    from PIL import Image
    import io

    buf = io.BytesIO()
    Image.new("RGB", (390, 567), (200, 180, 160)).save(buf, "JPEG")
    spec = process(buf.getvalue(), get_preset())
    with arch.transaction():
        arch.conn.execute("INSERT INTO photos(student_id, original_sha256, spec_jpeg, width, height, size, preset, "
                          "source, created_at) VALUES (1, ?, ?, 1, 1, 1, 'national', 'file', '2026-01-01')",
                          (digest2, spec.jpeg if hasattr(spec, "jpeg") else b"x"))
    rep = integrity.check_integrity(arch)
    codes = sorted(f.code for f in rep["problems"])
    assert codes == ["file_damaged", "file_missing"]
    assert p.exists()  # reported, not deleted
    assert integrity.quick_check_file(arch.archive.db_path) == "ok"


# ------------------------------------------------------------------ a backup while another connection writes
def test_backup_during_writes_is_a_consistent_snapshot(arch, tmp_path):
    """A writer on its own connection commits pairs of rows (a class and a setting naming it) while
    backups run; each backup holds a gap-free prefix of the pairs, and restoring it gives exactly that."""
    db = arch.archive.db_path
    stop = threading.Event()
    done = []

    def writer():
        c = sqlite3.connect(db, timeout=10, isolation_level=None)
        i = 0
        while not stop.is_set():
            i += 1
            c.execute("BEGIN IMMEDIATE")
            c.execute("INSERT INTO settings(key, value) VALUES (?, ?)", (f"test.pair.{i:06d}", "a"))
            c.execute("INSERT INTO settings(key, value) VALUES (?, ?)", (f"test.pair.{i:06d}.b", "b"))
            c.execute("COMMIT")
            done.append(i)
        c.close()

    t = threading.Thread(target=writer)
    t.start()
    try:
        time.sleep(0.05)
        results = [B.make_backup(arch, tmp_path / "usb", now=dt.datetime.now() + dt.timedelta(seconds=k))
                   for k in range(3)]
    finally:
        stop.set()
        t.join()
    assert len(done) > 20
    seen = []
    for res in results:
        c = sqlite3.connect(Path(res.info.path) / "archive.sqlite")
        keys = [r[0] for r in c.execute("SELECT key FROM settings WHERE key LIKE 'test.pair.%' ORDER BY key")]
        c.close()
        n = len([k for k in keys if not k.endswith(".b")])
        assert keys == sorted([f"test.pair.{i:06d}" for i in range(1, n + 1)]
                              + [f"test.pair.{i:06d}.b" for i in range(1, n + 1)])
        seen.append(n)
    assert seen == sorted(seen) and seen[-1] < len(done) + 1
    # restore the middle one into a fresh folder: identical to the backup's moment
    mid = Path(results[1].info.path)
    res = restore.restore_into(tmp_path / "restored", mid)
    a = sqlite3.connect(mid / "archive.sqlite")
    b = sqlite3.connect(tmp_path / "restored" / "archive.sqlite")
    for table in ("students", "classes", "family_members", "change_history"):
        assert a.execute(f"SELECT * FROM {table} ORDER BY id").fetchall() == \
            b.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
    sa = a.execute("SELECT * FROM settings WHERE key LIKE 'test.pair.%' ORDER BY key").fetchall()
    sb = b.execute("SELECT * FROM settings WHERE key LIKE 'test.pair.%' ORDER BY key").fetchall()
    assert sa == sb and len(sa) == 2 * seen[1]
    a.close()
    b.close()
    assert res.info.counts["students"] == 12


# ------------------------------------------------------------------ CLI
def test_cli_backup_verify_list_restore(arch, tmp_path, capsys):
    folder, dest = arch.folder, tmp_path / "usb"
    arch.close()
    rc, obj = run_cli(capsys, "--archive", folder, "--json", "backup", "--to", dest)
    assert rc == 0 and obj["backup"]["complete"] and obj["backup"]["counts"]["students"] == 12
    path = obj["backup"]["path"]
    rc, obj = run_cli(capsys, "--archive", folder, "--json", "backup", "list", "--to", dest)
    assert rc == 0 and [b["path"] for b in obj["backups"]] == [path]
    rc, obj = run_cli(capsys, "--json", "backup", "verify", path)
    assert rc == 0 and obj["full"] is True
    # restore without --yes: shows what the backup holds, changes nothing
    rc, obj = run_cli(capsys, "--archive", tmp_path / "new-pc", "--json", "restore", path)
    assert rc == 1 and obj["errors"][0]["code"] == "confirm_needed" and obj["backup"]["counts"]["students"] == 12
    assert not (tmp_path / "new-pc").exists()
    rc, obj = run_cli(capsys, "--archive", tmp_path / "new-pc", "--json", "restore", path, "--yes")
    assert rc == 0 and obj["backup"]["counts"]["students"] == 12 and obj["safety_copy"]
    with Session.open(tmp_path / "new-pc") as s:
        assert n_students(s.conn) == 12 and s.school["code"] == "4101000001"
        assert len(layout.store_files(s.folder)) == 3
    rc, obj = run_cli(capsys, "--archive", tmp_path / "new-pc", "--json", "backup", "check")
    assert rc == 0 and obj["integrity"] == "ok" and obj["files"] == 3
    # a damaged backup: exit 1, the file named
    db = Path(path) / "archive.sqlite"
    with open(db, "r+b") as fh:
        fh.truncate(4096)
    rc, obj = run_cli(capsys, "--json", "backup", "verify", path)
    assert rc == 1 and obj["errors"][0]["code"] == "truncated" and str(db) in obj["errors"][0]["message"]
    rc, obj = run_cli(capsys, "--archive", folder, "--json", "restore", path, "--yes")
    assert rc == 1
    rc, obj = run_cli(capsys, "--json", "backup", "verify", tmp_path / "nothing-here")
    assert rc == 1 and obj["errors"][0]["code"] == "not_found"


def test_cli_config_and_usage(arch, tmp_path, capsys):
    folder = arch.folder
    arch.close()
    rc, obj = run_cli(capsys, "--archive", folder, "--json", "backup", "config", "--folder", tmp_path / "usb",
                      "--keep-daily", "5", "--on-close", "no")
    assert rc == 0 and obj["settings"]["backup.keep_daily"] == "5" and obj["settings"]["backup.on_close"] == "0"
    rc, obj = run_cli(capsys, "--archive", folder, "--json", "backup")
    assert rc == 0 and Path(obj["backup"]["path"]).parent == (tmp_path / "usb").resolve()
    rc, obj = run_cli(capsys, "--archive", folder, "--json", "backup", "config", "--keep-weekly", "-1")
    assert rc == 1 and obj["errors"][0]["code"] == "bad_setting"
    rc, obj = run_cli(capsys, "--json", "restore")
    assert rc == 2


def test_damaged_archive_is_named_and_restore_sets_it_aside(arch, tmp_path, capsys):
    folder = arch.folder
    path = B.make_backup(arch, tmp_path / "usb").info.path
    arch.close()
    db = folder / "archive.sqlite"
    good = db.read_bytes()
    db.write_bytes(good[:len(good) // 3])  # truncated (e.g. a copy that stopped half-way)
    rc, obj = run_cli(capsys, "--archive", folder, "--json", "backup", "check")
    assert rc == 1 and obj["errors"][0]["code"] == "archive_damaged" and str(db) in obj["errors"][0]["message"]
    rc, obj = run_cli(capsys, "--archive", folder, "--json", "restore", path, "--yes")
    assert rc == 0 and obj["damaged_archive"]
    aside = Path(obj["damaged_archive"])
    assert aside.parent == folder and aside.read_bytes() == good[:len(good) // 3]  # kept, not deleted
    with Session.open(folder) as s:
        assert n_students(s.conn) == 12
    db.write_bytes(b"PK\x03\x04" + os.urandom(5000))  # a zip file where the archive should be
    rc, obj = run_cli(capsys, "--archive", folder, "--json", "backup", "check")
    assert rc == 1 and "SQLite" in obj["errors"][0]["message"]


def test_without_cryptography_encryption_is_refused_and_plain_backups_work(arch, tmp_path, monkeypatch):
    import sys

    from app.backup import crypto as backup_crypto

    for mod in ("cryptography.hazmat.primitives.ciphers.aead", "cryptography.exceptions"):
        monkeypatch.setitem(sys.modules, mod, None)  # import fails as if the package were not installed
    assert not backup_crypto.available()
    with pytest.raises(Refused) as e:
        B.make_backup(arch, tmp_path / "usb", passphrase="a long passphrase")
    assert e.value.findings[0].code == "no_crypto"
    with pytest.raises(Refused) as e:
        settings.save_settings(arch, {"backup.encrypt": "1", "backup.passphrase": "a long passphrase"})
    assert e.value.findings[0].code == "no_crypto"
    assert not list((tmp_path / "usb").glob(layout.PREFIX + "*"))
    assert B.make_backup(arch, tmp_path / "usb").info.complete


def test_folder_names_with_spaces_hash_and_chinese(archive_factory, tmp_path):
    s = archive_factory(3, folder=tmp_path / "学籍 档案 #1")
    res = B.make_backup(s, tmp_path / "U盘 备份 #2")
    assert verify.verify_backup(res.info.path)[1] == []
    add_student(s, 1)
    restore.restore_backup(s, res.info.path)
    assert n_students(s.conn) == 3
