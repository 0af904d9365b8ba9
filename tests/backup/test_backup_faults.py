"""Faults during a backup: the process SIGKILLed at random points, the destination's disk full.

Each trial runs a real ``xueji backup`` subprocess on a real archive. Afterwards the archive opens and
passes integrity_check, every backup folder that looks finished verifies in full, anything the killed
run left is recognisably incomplete, and no store file holds other content than its name says.
``XUEJI_KILL_TRIALS`` sets the number of kill trials (default 16; bench/bench_backup.py runs 200);
``XUEJI_RESTORE_KILL_TRIALS`` those of ``xueji restore`` (default 8): the archive is wholly the old or
wholly the restored state afterwards, never a mix."""
from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.backup import journal, layout, manifest, restore, verify
from app.backup import service as B
from app.core.errors import Refused
from app.core import filestore as store
from app.core.session import Session

ROOT = Path(__file__).resolve().parents[2]
XUEJI = ROOT / ".venv" / "bin" / "xueji"
if not XUEJI.exists():
    XUEJI = Path(sys.executable).with_name("xueji")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and RLIMIT_FSIZE are POSIX")


def build_archive(folder: Path, students: int = 1500, files: int = 120, file_bytes: int = 60_000,
                  big_file: int = 0) -> None:
    """A demo archive with ``files`` random store files (and one of ``big_file`` bytes)."""
    from app.school.demo import build_demo

    build_demo(folder, students=students, seed=7)
    rng = random.Random(5)
    for i in range(files):
        store.put(folder, rng.randbytes(file_bytes), "jpg")
    if big_file:
        store.put(folder, rng.randbytes(big_file), "bin")


def run_backup(archive: Path, dest: Path, *, preexec=None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(XUEJI), "--archive", str(archive), "--json", "backup", "--to", str(dest)],
                          capture_output=True, text=True, encoding="utf-8", preexec_fn=preexec, timeout=timeout)


def check_after_fault(archive: Path, dest: Path) -> dict:
    """The invariants after any fault; returns what was found (complete / incomplete backups)."""
    with Session.open(archive) as s:
        assert s.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert s.school is not None
    complete = incomplete = 0
    for b in manifest.list_backups(dest):
        if b.complete:
            assert not b.name.endswith(layout.PARTIAL)
            _, problems = verify.verify_backup(b.path, full=True)
            assert problems == [], (b.path, [p.message for p in problems])
            complete += 1
        else:
            incomplete += 1
            with pytest.raises(Refused):
                restore.check_restorable(b.path)
    for rel, p in layout.store_files(dest):  # a final store name always holds that content
        assert hashlib.sha256(p.read_bytes()).hexdigest() == p.name.split(".")[0], p
    return {"complete": complete, "incomplete": incomplete}


def kill_trial(archive: Path, dest: Path, delay: float) -> dict:
    """Start ``xueji backup``, SIGKILL it after ``delay`` seconds, check the invariants."""
    p = subprocess.Popen([str(XUEJI), "--archive", str(archive), "--json", "backup", "--to", str(dest)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    killed = p.poll() is None
    if killed:
        os.kill(p.pid, signal.SIGKILL)
    p.wait()
    found = check_after_fault(archive, dest)
    found["killed"] = killed
    return found


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults") / "archive"
    build_archive(folder)
    return folder


def kill_window(archive: Path, scratch: Path) -> tuple[float, float]:
    """(seconds until the CLI is up, seconds for a whole backup into an empty folder)."""
    t0 = time.perf_counter()
    subprocess.run([str(XUEJI), "--help"], capture_output=True)
    start = time.perf_counter() - t0
    t0 = time.perf_counter()
    r = run_backup(archive, scratch)
    assert r.returncode == 0, r.stderr
    return start, time.perf_counter() - t0


def run_kill_trials(archive: Path, work: Path, n: int, seed: int = 1234) -> list[dict]:
    """``n`` trials, each killed at a random moment between the CLI's start-up and the end of a whole
    backup; every 4th into one shared folder (remains of killed runs there), the rest into a fresh one."""
    start, full = kill_window(archive, work / "timing")
    rng = random.Random(seed)
    outcomes = []
    for i in range(n):
        dest = work / ("shared" if i % 4 == 0 else f"usb{i}")
        o = kill_trial(archive, dest, rng.uniform(start * 0.8, full))
        o["dest"] = str(dest)
        outcomes.append(o)
    return outcomes


def test_sigkill_during_backup(big_archive, tmp_path):
    n = int(os.environ.get("XUEJI_KILL_TRIALS", "16"))
    outcomes = run_kill_trials(big_archive, tmp_path, n)
    killed = sum(o["killed"] for o in outcomes)
    assert killed >= n // 3, outcomes  # many trials really were killed mid-way
    assert any(o["incomplete"] for o in outcomes)  # and some left a partial backup that was recognised
    # the next backup into a folder with remains cleans them and succeeds
    r = run_backup(big_archive, tmp_path / "shared")
    assert r.returncode == 0, r.stderr
    left = manifest.list_backups(tmp_path / "shared")
    assert left and all(b.complete for b in left)
    assert not list((tmp_path / "shared" / "files").glob("*/.tmp-*"))


def _limit(nbytes: int):
    def pre():
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))
    return pre


@pytest.mark.parametrize("where", ["database", "files"])
def test_disk_full_during_backup(tmp_path, where):
    """A destination that takes no file larger than a limit (RLIMIT_FSIZE: EFBIG like a full stick):
    a clear error naming the folder, nothing kept as a backup, the archive works on."""
    archive = tmp_path / "archive"
    big = 8_000_000  # one file the "stick" cannot take, whatever the database's size
    build_archive(archive, students=300, files=5, file_bytes=20_000, big_file=big)
    db_size = (archive / "archive.sqlite").stat().st_size
    limit = db_size // 2 if where == "database" else db_size * 2 + 1_000_000
    assert limit < big
    dest = tmp_path / "usb"
    r = run_backup(archive, dest, preexec=_limit(limit))
    assert r.returncode == 1, (r.stdout, r.stderr)
    obj = json.loads(r.stdout)
    assert obj["ok"] is False and str(dest) in obj["errors"][0]["message"]
    assert obj["errors"][0]["code"] == "backup_failed"
    assert manifest.list_backups(dest) == []  # no backup, not even a partial one
    check_after_fault(archive, dest)
    with Session.open(archive) as s:
        last = journal.history(s)[0]
        assert last["kind"] == "backup" and last["ok"] == 0
    r = run_backup(archive, dest)  # with room again, the backup works
    assert r.returncode == 0, r.stderr
    assert [b.complete for b in manifest.list_backups(dest)] == [True]


def test_disk_full_message_says_so(tmp_path):
    """ENOSPC / EFBIG from the file system is worded as "disk full" for the registrar."""
    archive = tmp_path / "archive"
    build_archive(archive, students=50, files=1, file_bytes=10_000, big_file=2_000_000)
    db_size = (archive / "archive.sqlite").stat().st_size
    r = run_backup(archive, tmp_path / "usb", preexec=_limit(db_size * 2 + 500_000))
    msg = json.loads(r.stdout)["errors"][0]["message"]
    from app.core.i18n import tr

    assert tr("backup.disk_full", error="").split("（")[0] in msg


def restore_kill_trial(pristine: Path, archive: Path, backup: Path, delay: float, states: dict) -> str:
    """Reset ``archive`` to ``pristine``, start ``xueji restore --yes``, SIGKILL it after ``delay``:
    the archive must open, pass integrity_check and be wholly the old state or wholly the backup's."""
    import shutil

    shutil.rmtree(archive, ignore_errors=True)
    shutil.copytree(pristine, archive)
    p = subprocess.Popen([str(XUEJI), "--archive", str(archive), "--json", "restore", str(backup), "--yes"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    if p.poll() is None:
        os.kill(p.pid, signal.SIGKILL)
    p.wait()
    with Session.open(archive) as s:
        assert s.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        sig = _signature(s.conn)
    found = [k for k, v in states.items() if v == sig]
    assert found, (sig, states)  # never a mix
    return found[0]


def _signature(conn) -> tuple[int, int]:
    return (conn.execute("SELECT COUNT(*) FROM students").fetchone()[0],
            conn.execute("SELECT COUNT(*) FROM change_history").fetchone()[0])


def run_restore_kill_trials(work: Path, n: int, seed: int = 99) -> list[str]:
    """An archive, its backup, then 40 more students; ``n`` restores of that backup killed at random
    moments up to the length of a whole restore. Returns which state each trial found."""
    import shutil

    from app.school.demo import build_demo

    pristine = work / "pristine"
    build_archive(pristine, students=1500, files=20, file_bytes=30_000)
    with Session.open(pristine) as s, s.transaction():  # spec photos make the database ~50 MB
        rng = random.Random(seed)
        s.conn.executemany(
            "INSERT INTO photos(student_id, original_sha256, spec_jpeg, width, height, size, preset, source, "
            "created_at) VALUES (?, ?, ?, 390, 567, 32000, 'national', 'import', '2026-09-01T08:00:00')",
            [(sid, "0" * 64, rng.randbytes(32_000)) for (sid,) in s.conn.execute("SELECT id FROM students")])
    with Session.open(pristine) as s:
        backup = Path(B.make_backup(s, work / "usb").info.path)
    build_demo(pristine, students=40, seed=8)  # the archive moves on after the backup
    with Session.open(pristine) as s:
        states = {"old": _signature(s.conn)}
    info = manifest.describe(backup)
    states["restored"] = (info.counts["students"], info.counts["history"])
    assert states["old"] != states["restored"]
    shutil.copytree(pristine, work / "timing")
    t0 = time.perf_counter()
    subprocess.run([str(XUEJI), "--help"], capture_output=True)
    start = time.perf_counter() - t0
    t0 = time.perf_counter()
    r = subprocess.run([str(XUEJI), "--archive", str(work / "timing"), "--json", "restore", str(backup), "--yes"],
                       capture_output=True, text=True)
    full = time.perf_counter() - t0
    assert r.returncode == 0, r.stdout + r.stderr
    rng = random.Random(seed)
    return [restore_kill_trial(pristine, work / "archive", backup, rng.uniform(start * 0.8, full), states)
            for _ in range(n)]


def test_sigkill_during_restore_leaves_old_or_restored_never_a_mix(tmp_path):
    n = int(os.environ.get("XUEJI_RESTORE_KILL_TRIALS", "8"))
    outcomes = run_restore_kill_trials(tmp_path, n)
    assert len(outcomes) == n and set(outcomes) <= {"old", "restored"}
