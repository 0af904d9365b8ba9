"""Faults during an import and a promotion: the process SIGKILLed at random points, the disk full.

Kill trials run a real ``xueji student import FILE`` (5,000 rows, exported from a demo school) and a real
``xueji promote --school-year Y`` (a demo school of 3,000) as subprocesses and SIGKILL them after a random
delay between the CLI's start-up and the end of a whole run. Afterwards the archive opens, passes
``PRAGMA integrity_check``, and its signature (row counts of students, family members, status events and
history, the classes' grades, every student's class) is exactly the one before the run or exactly the one
after a whole run — never a mix. The archives are built once per module and copied per trial.
``XUEJI_IMPORT_KILL_TRIALS`` / ``XUEJI_PROMOTE_KILL_TRIALS`` set the number of trials (default 10 / 10;
bench/bench_faults.py runs 200 each).

Disk full: ``PRAGMA max_page_count`` caps the archive at (about) its current size on the very connection
the service uses, during an import and during a photo import; the photo store's files go to a
folder the OS refuses to grow (RLIMIT_FSIZE in a subprocess: EFBIG like a full FAT32 stick). A clear
Refused, nothing half-written, and the same session then imports normally once the cap is lifted."""
from __future__ import annotations

import hashlib
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.school import classes as cs
from app.school.demo import build_demo
from app.core.errors import Refused
from app.exchange.export_service import export_students
from app.exchange.import_service import import_students
from app.school.service import init_school
from app.core.session import Session

ROOT = Path(__file__).resolve().parents[2]
XUEJI = ROOT / ".venv" / "bin" / "xueji"
if not XUEJI.exists():
    XUEJI = Path(sys.executable).with_name("xueji")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and RLIMIT_FSIZE are POSIX")

TABLES = ("students", "family_members", "status_events", "change_history", "classes", "photos")


# ------------------------------------------------------------------ building the archives
def clone_school(src: Session, folder: Path) -> None:
    """A new archive with ``src``'s school and classes but no students (the import's target)."""
    s = src.school
    dst = init_school(folder, name=s["name"], code=s["code"], stages=s["stages"], profile=s["profile"])
    try:
        for k in cs.list_classes(src):
            cs.add_class(dst, stage=k["stage"], grade=k["grade"], number=k["number"], entry_year=k["entry_year"],
                         code=k["code"], capacity=k["capacity"], head_teacher=k["head_teacher"])
    finally:
        dst.close()


def build_import_case(work: Path, rows: int = 5000) -> tuple[Path, Path]:
    """(an archive with the school and its classes only, a .xlsx of ``rows`` students for it)."""
    build_demo(work / "src", students=rows, seed=3)
    target, sheet = work / "import-target", work / "students.xlsx"
    with Session.open(work / "src") as src:
        assert export_students(src, sheet).count == rows
        clone_school(src, target)
    shutil.rmtree(work / "src")
    return target, sheet


def promote_year() -> int:
    """The school year a demo school built today is promoted into."""
    from app.school.demo import _school_year
    import datetime as dt

    return _school_year(dt.date.today()) + 1


def build_promote_case(work: Path, students: int = 3000) -> Path:
    folder = work / "promote-target"
    build_demo(folder, students=students, seed=4)
    return folder


# ------------------------------------------------------------------ signatures and invariants
def signature(folder: Path) -> str:
    """What an all-or-nothing batch must leave either wholly before or wholly after: counts, grades and
    every student's class. Also asserts the archive opens and passes integrity_check."""
    with Session.open(folder) as s:
        c = s.conn
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert s.school is not None
        h = hashlib.sha256()
        for t in TABLES:
            h.update(f"{t}={c.execute(f'SELECT COUNT(*) FROM {t}').fetchone()[0]};".encode())
        for row in c.execute("SELECT id, grade FROM classes ORDER BY id"):
            h.update(f"k{row[0]}:{row[1]};".encode())
        for row in c.execute("SELECT id, class_id, status FROM students ORDER BY id"):
            h.update(f"s{row[0]}:{row[1]}:{row[2]};".encode())
        return h.hexdigest()


def import_cmd(folder: Path, sheet: Path) -> list[str]:
    return [str(XUEJI), "--archive", str(folder), "--json", "student", "import", str(sheet)]


def promote_cmd(folder: Path, year: int) -> list[str]:
    return [str(XUEJI), "--archive", str(folder), "--json", "promote", "--school-year", str(year), "--data-checked"]


def states_and_window(pristine: Path, scratch: Path, cmd) -> tuple[dict, float, float]:
    """Run the whole batch once on a copy: {"before": sig, "after": sig}, start-up and whole-run seconds."""
    states = {"before": signature(pristine)}
    shutil.copytree(pristine, scratch)
    t0 = time.perf_counter()
    subprocess.run([str(XUEJI), "--help"], capture_output=True)
    start = time.perf_counter() - t0
    t0 = time.perf_counter()
    r = subprocess.run(cmd(scratch), capture_output=True, text=True, encoding="utf-8")
    full = time.perf_counter() - t0
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["ok"] is True
    states["after"] = signature(scratch)
    assert states["before"] != states["after"]
    shutil.rmtree(scratch)
    return states, start, full


def kill_trial(pristine: Path, folder: Path, cmd, delay: float, states: dict) -> dict:
    """Copy ``pristine`` to ``folder``, start ``cmd(folder)``, SIGKILL it after ``delay`` seconds; the
    archive must be wholly ``before`` or wholly ``after``. Returns {"killed", "state"}."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(pristine, folder)
    p = subprocess.Popen(cmd(folder), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    killed = p.poll() is None
    if killed:
        os.kill(p.pid, signal.SIGKILL)
    p.wait()
    sig = signature(folder)
    found = [k for k, v in states.items() if v == sig]
    assert found, f"a mix after a kill at {delay:.2f}s: {sig}"
    return {"killed": killed, "state": found[0], "delay": delay}


def run_kill_trials(pristine: Path, work: Path, cmd, n: int, seed: int) -> list[dict]:
    states, start, full = states_and_window(pristine, work / "timing", cmd)
    rng = random.Random(seed)
    out = []
    for i in range(n):
        out.append(kill_trial(pristine, work / "trial", cmd, rng.uniform(start * 0.8, full), states))
    return out


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def import_case(tmp_path_factory):
    return build_import_case(tmp_path_factory.mktemp("import-faults"))


@pytest.fixture(scope="module")
def promote_case(tmp_path_factory):
    return build_promote_case(tmp_path_factory.mktemp("promote-faults"))


# ------------------------------------------------------------------ kill trials
def test_sigkill_during_5000_row_import_is_all_or_nothing(import_case, tmp_path):
    target, sheet = import_case
    n = int(os.environ.get("XUEJI_IMPORT_KILL_TRIALS", "10"))
    out = run_kill_trials(target, tmp_path, lambda f: import_cmd(f, sheet), n, seed=71)
    assert len(out) == n
    assert sum(o["killed"] for o in out) >= n // 3, out  # many really were killed mid-way
    # the archive keeps working: after a killed run the import goes through whole
    r = subprocess.run(import_cmd(tmp_path / "trial", sheet), capture_output=True, text=True, encoding="utf-8")
    if out[-1]["state"] == "before":
        assert r.returncode == 0, r.stdout + r.stderr
        assert json.loads(r.stdout)["imported"] == 5000


def test_sigkill_during_whole_school_promotion_is_all_or_nothing(promote_case, tmp_path):
    year = promote_year()
    n = int(os.environ.get("XUEJI_PROMOTE_KILL_TRIALS", "10"))
    out = run_kill_trials(promote_case, tmp_path, lambda f: promote_cmd(f, year), n, seed=72)
    assert sum(o["killed"] for o in out) >= n // 3, out
    last = out[-1]
    r = subprocess.run(promote_cmd(tmp_path / "trial", year), capture_output=True, text=True, encoding="utf-8")
    if last["state"] == "before":  # a killed promotion can simply be run again
        assert r.returncode == 0, r.stdout + r.stderr
    else:  # a finished one is refused as already done, with a clear JSON error
        assert r.returncode == 1 and json.loads(r.stdout)["errors"][0]["code"] == "promotion.already_done"


# ------------------------------------------------------------------ disk full
def _cap(session: Session, extra_pages: int = 0) -> None:
    """Cap the archive at its current page count (+ ``extra_pages``): the next growth is SQLITE_FULL."""
    pages = session.conn.execute("PRAGMA page_count").fetchone()[0]
    session.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    session.conn.execute(f"PRAGMA max_page_count = {pages + extra_pages}")


def _uncap(session: Session) -> None:
    session.conn.execute("PRAGMA max_page_count = 1073741823")


def _small_sheet(tmp_path: Path, rows: int) -> tuple[Path, Path]:
    work = tmp_path / "small"
    work.mkdir()
    build_demo(work / "src", students=rows, seed=5)
    target, sheet = work / "target", work / "students.xlsx"
    with Session.open(work / "src") as src:
        export_students(src, sheet)
        clone_school(src, target)
    return target, sheet


@pytest.mark.parametrize("extra", [0, 40])
def test_disk_full_during_import_refuses_and_keeps_nothing(tmp_path, extra):
    """SQLITE_FULL part-way through a 600-row import: a Refused naming the disk, nothing imported, the
    archive intact, and the same session imports the whole file once there is room."""
    target, sheet = _small_sheet(tmp_path, 600)
    before = signature(target)
    with Session.open(target) as s:
        _cap(s, extra)
        with pytest.raises(Refused) as e:
            import_students(s, sheet)
        f = e.value.findings[0]
        assert f.code == "disk_full", f
        from app.core.i18n import tr

        assert tr("backup.disk_full", error="").split("（")[0] in f.message
        assert s.conn.execute("SELECT COUNT(*) FROM students").fetchone()[0] == 0
        assert not s.conn.in_transaction
        _uncap(s)
        r = import_students(s, sheet)
        assert r.ok and r.imported == 600
    assert signature(target) != before


def _jpeg(seed: int, size=(480, 640)) -> bytes:
    """A camera-like JPEG of well over 100 KB (noise does not compress)."""
    from PIL import Image

    rnd = random.Random(seed)
    im = Image.frombytes("RGB", size, rnd.randbytes(size[0] * size[1] * 3))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _photo_folder(session: Session, folder: Path, count: int) -> list[int]:
    folder.mkdir(parents=True, exist_ok=True)
    rows = session.conn.execute("SELECT id, xueji_no, id_number FROM students ORDER BY id LIMIT ?", (count,)).fetchall()
    for i, r in enumerate(rows):
        key = r["id_number"] or r["xueji_no"]
        (folder / f"{key}.jpg").write_bytes(_jpeg(i))
    return [r["id"] for r in rows]


def test_disk_full_during_photo_import_database(tmp_path):
    """The photos' rows hit SQLITE_FULL: a clear Refused, no photo row, the same session then stores them."""
    from app.photos import service as ps

    folder = tmp_path / "archive"
    build_demo(folder, students=40, seed=6)
    with Session.open(folder) as s:
        ids = _photo_folder(s, tmp_path / "photos", 6)
        _cap(s)
        with pytest.raises(Refused) as e:
            ps.import_photos(s, tmp_path / "photos")
        assert e.value.findings[0].code == "disk_full"
        assert s.conn.execute("SELECT COUNT(*) FROM photos").fetchone()[0] == 0
        _uncap(s)
        r = ps.import_photos(s, tmp_path / "photos")
        assert r.stored == len(ids)
        assert s.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_disk_full_during_photo_store_files(tmp_path):
    """The files/ store cannot take an original (RLIMIT_FSIZE of 100 KB, set after the archive is open: EFBIG): each photo is rejected with
    the file named and the reason, no photo row and no partial file is left, and a later run with room
    stores them all."""
    folder = tmp_path / "archive"
    build_demo(folder, students=40, seed=6)
    with Session.open(folder) as s:
        _photo_folder(s, tmp_path / "photos", 4)
    script = (
        "import json, resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "from app.photos import service as ps\n"
        "from app.core.session import Session\n"
        "with Session.open(sys.argv[1]) as s:\n"
        "    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))\n"
        "    r = ps.import_photos(s, sys.argv[2])\n"
        "    print(json.dumps({'stored': r.stored, 'rejected': r.rejected}, ensure_ascii=False))\n")
    p = subprocess.run([sys.executable, "-c", script, str(folder), str(tmp_path / "photos")], cwd=ROOT,
                       capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout.strip().splitlines()[-1])
    assert got["stored"] == 0 and len(got["rejected"]) == 4, got
    from app.core.i18n import tr

    prefix = tr("photo.err.store", error="").split("（")[0]
    assert all(name.endswith(".jpg") and prefix in msg for name, msg in got["rejected"]), got
    leftovers = [f for f in (folder / "files").rglob("*") if f.is_file()] if (folder / "files").exists() else []
    for f in leftovers:  # nothing half-written under a final name
        assert not f.name.startswith(".tmp") and hashlib.sha256(f.read_bytes()).hexdigest() == f.name.split(".")[0], f
    with Session.open(folder) as s:
        from app.photos import service as ps

        assert s.conn.execute("SELECT COUNT(*) FROM photos").fetchone()[0] == 0
        assert ps.import_photos(s, tmp_path / "photos").stored == 4


def test_disk_full_during_promotion_refuses_and_changes_nothing(tmp_path):
    """SQLITE_FULL while the promotion writes its events: a clear Refused, no class moved up, and the
    same session promotes once there is room."""
    from app.promotion.service import promote

    folder = tmp_path / "archive"
    build_demo(folder, students=400, seed=8)
    before = signature(folder)
    with Session.open(folder) as s:
        _cap(s)
        with pytest.raises(Refused) as e:
            promote(s, promote_year(), data_checked=True)
        assert e.value.findings[0].code == "disk_full"
        assert not s.conn.in_transaction
    assert signature(folder) == before
    with Session.open(folder) as s:
        r = promote(s, promote_year(), data_checked=True)
        assert r.students > 0
    assert signature(folder) != before
