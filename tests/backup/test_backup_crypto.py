"""Passphrase-encrypted backups (app/backup/crypto.py): nothing readable on the stick, a round trip
restores the same archive, and a wrong passphrase, an altered, truncated or swapped file each get
their own clear refusal. Real files on disk throughout."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytest.importorskip("cryptography")

from app.backup import integrity, layout, manifest, restore, settings, verify  # noqa: E402
from app.backup import service as B  # noqa: E402
from app.backup import crypto  # noqa: E402
from app.core.errors import Refused  # noqa: E402
from app.core import filestore as store  # noqa: E402
from app.core.session import Session  # noqa: E402
from tests.backup.test_backup import n_students, photo_bytes, run_cli  # noqa: E402

PASS = "学籍备份口令2026"


@pytest.fixture
def arch(archive_factory):
    s = archive_factory(6)
    for i in range(3):
        store.put(s.folder, photo_bytes(i, 3_000_000 if i == 0 else 40_000), "jpg")  # one spans 3 records
    return s


def test_encrypted_backup_holds_nothing_readable_and_restores(arch, tmp_path):
    dest = tmp_path / "usb"
    name = arch.conn.execute("SELECT name, id_number FROM students LIMIT 1").fetchone()
    res = B.make_backup(arch, dest, passphrase=PASS)
    folder = Path(res.info.path)
    assert res.info.encrypted and not (folder / "archive.sqlite").exists()
    assert (dest / crypto.KEYFILE).is_file() and not (dest / "files").exists()
    assert not list(arch.folder.glob(".backup-*"))  # the plain copy made locally is gone
    blob = b"".join(p.read_bytes() for p in dest.rglob("*") if p.is_file() and p.suffix == crypto.SUFFIX)
    for secret in (name[0].encode("utf-8"), name[1].encode(), b"SQLite format 3", photo_bytes(1)[:64]):
        assert secret not in blob
    kf = (dest / crypto.KEYFILE).read_text(encoding="utf-8")
    assert PASS not in kf and "salt" in kf
    # without the passphrase: only presence and sizes; with it: every part decrypted and checked
    info, problems = verify.verify_backup(folder)
    assert problems == [] and info.encrypted
    _, problems = verify.verify_backup(folder, passphrase=PASS)
    assert problems == []
    with pytest.raises(Refused) as e:
        verify.verify_backup(folder, passphrase="not the passphrase")
    assert e.value.findings[0].code == "wrong_passphrase"
    with pytest.raises(Refused) as e:
        restore.restore_into(tmp_path / "new-pc", folder)
    assert e.value.findings[0].code == "passphrase_needed"
    r = restore.restore_into(tmp_path / "new-pc", folder, passphrase=PASS)
    assert r.files_added == 3
    with Session.open(tmp_path / "new-pc") as s:
        assert n_students(s.conn) == 6
        assert sorted(rel for rel, _ in layout.store_files(s.folder)) == sorted(rel for rel, _ in layout.store_files(arch.folder))
        assert integrity.check_integrity(s)["problems"] == []
        assert not list(s.folder.glob(".xueji-restore-*"))


def test_second_encrypted_backup_reuses_the_key_and_store(arch, tmp_path):
    dest = tmp_path / "usb"
    import datetime as dt

    B.make_backup(arch, dest, passphrase=PASS)
    res = B.make_backup(arch, dest, passphrase=PASS, now=dt.datetime.now() + dt.timedelta(seconds=3))
    assert res.files_copied == 0 and res.files_skipped == 3
    with pytest.raises(Refused) as e:
        B.make_backup(arch, dest, passphrase="another passphrase", now=dt.datetime.now() + dt.timedelta(seconds=6))
    assert e.value.findings[0].code == "wrong_passphrase"


def test_altered_truncated_and_swapped_parts_are_named(arch, tmp_path):
    dest = tmp_path / "usb"
    folder = Path(B.make_backup(arch, dest, passphrase=PASS).info.path)
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    big = max(m["files"], key=lambda f: f["bytes"])
    small = [f for f in m["files"] if f is not big]
    p_big = dest / "files-enc" / (big["path"] + crypto.SUFFIX)
    data = bytearray(p_big.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit in the middle record
    p_big.write_bytes(bytes(data))
    _, problems = verify.verify_backup(folder, passphrase=PASS)
    assert [p.code for p in problems] == ["decrypt_failed"] and str(p_big) in problems[0].message
    with pytest.raises(Refused):
        restore.restore_backup(arch, folder, passphrase=PASS)
    assert n_students(arch.conn) == 6
    # cut off after whole records: the missing final record is noticed (size, and without the manifest too)
    data[len(data) // 2] ^= 0x01
    cut = len(crypto.MAGIC) + 17 + (1 << 20) + 16
    p_big.write_bytes(bytes(data[:cut]))
    _, problems = verify.verify_backup(folder, passphrase=PASS)
    assert problems[0].code == "truncated"
    with pytest.raises(Refused) as e:
        crypto.decrypt_file(p_big, manifest.backup_key(folder, PASS), big["path"])
    assert e.value.findings[0].code == "truncated"
    p_big.write_bytes(bytes(data))
    # two store files swapped under each other's names: same sizes here, the tag binds each to its name
    a, b = (dest / "files-enc" / (f["path"] + crypto.SUFFIX) for f in small[:2])
    ta, tb = a.read_bytes(), b.read_bytes()
    a.write_bytes(tb)
    b.write_bytes(ta)
    _, problems = verify.verify_backup(folder, passphrase=PASS)
    assert {p.code for p in problems} == {"decrypt_failed"}
    # a foreign file in the database's place
    a.write_bytes(ta)
    b.write_bytes(tb)
    dbp = folder / m["database"]["path"]
    size = dbp.stat().st_size
    dbp.write_bytes(os.urandom(size))
    _, problems = verify.verify_backup(folder, passphrase=PASS)
    assert problems[0].code == "foreign_file" and str(dbp) in problems[0].message


def test_settings_encrypt_automatic_backups(arch, tmp_path):
    with pytest.raises(Refused) as e:
        settings.save_settings(arch, {"backup.encrypt": "1", "backup.passphrase": "short"})
    assert e.value.findings[0].code == "passphrase_short"
    settings.save_settings(arch, {"backup.folder": str(tmp_path / "usb"), "backup.encrypt": "1", "backup.passphrase": PASS})
    res = B.make_backup(arch, trigger="daily")
    assert res.info.encrypted


def test_cli_encrypted_round_trip(arch, tmp_path, capsys, monkeypatch):
    folder = arch.folder
    arch.close()
    rc, obj = run_cli(capsys, "--archive", folder, "--json", "backup", "--to", tmp_path / "usb", "--encrypt")
    assert rc == 1 and obj["errors"][0]["code"] == "passphrase_needed"
    monkeypatch.setenv("XUEJI_BACKUP_PASSPHRASE", PASS)
    rc, obj = run_cli(capsys, "--archive", folder, "--json", "backup", "--to", tmp_path / "usb", "--encrypt")
    assert rc == 0 and obj["backup"]["encrypted"] is True
    path = obj["backup"]["path"]
    rc, obj = run_cli(capsys, "--json", "backup", "verify", path)
    assert rc == 0 and obj["content_checked"] is True
    rc, obj = run_cli(capsys, "--archive", tmp_path / "new", "--json", "restore", path, "--yes")
    assert rc == 0 and obj["backup"]["counts"]["students"] == 6
    monkeypatch.setenv("XUEJI_BACKUP_PASSPHRASE", "wrong-passphrase")
    rc, obj = run_cli(capsys, "--archive", tmp_path / "new2", "--json", "restore", path, "--yes")
    assert rc == 1 and obj["errors"][0]["code"] == "wrong_passphrase" and not (tmp_path / "new2").exists()
    monkeypatch.delenv("XUEJI_BACKUP_PASSPHRASE")
    rc, obj = run_cli(capsys, "--json", "backup", "verify", path)
    assert rc == 0 and obj["content_checked"] is False
    monkeypatch.setenv("XUEJI_BACKUP_PASSPHRASE", PASS)
    rc, obj = run_cli(capsys, "--archive", folder, "--json", "backup", "config", "--encrypt", "yes")
    assert rc == 0 and obj["settings"]["backup.passphrase"] == "***" and obj["settings"]["backup.encrypt"] == "1"
