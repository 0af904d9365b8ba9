"""The school's 学籍 archive: rosters and registers filed as frozen, content-addressed PDFs; re-filing adds
a version; a changed or missing file is detected and never handed out; rows can be neither edited nor
deleted. Real archives in tmp_path, real PDFs read back."""
from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest
from pypdf import PdfReader

from app.paper import school_archive as S
from app.cli import main
from app.core import filestore as store
from app.core.session import Session
from tests import reconcile_fixture as RF
from tests.helpers import new_school, refused


@pytest.fixture
def school(tmp_path):
    s = new_school(tmp_path)
    RF.build_archive(s)
    yield s
    s.close()


def test_filed_snapshot_is_a_pdf_stored_by_its_sha256(school):
    snap = S.file_snapshot(school, "new-student-roster", 2025, note="2025学年新生")
    data = store.path(school.folder, snap["file_sha256"], "pdf").read_bytes()
    assert hashlib.sha256(data).hexdigest() == snap["file_sha256"] and len(data) == snap["size"]
    text = "".join(p.extract_text() for p in PdfReader(snap["path"]).pages)
    assert "张一" in text and "郑九" in text  # the roster's students, drawn, not boxes
    assert snap["version"] == 1 and snap["pages"] == len(PdfReader(snap["path"]).pages)
    assert snap["kind_name"] and snap["note"] == "2025学年新生"


def test_refiling_adds_a_version_and_keeps_the_old_one(school):
    v1 = S.file_snapshot(school, "class-roster", 2025)
    v2 = S.file_snapshot(school, "class-roster", 2025)
    S.file_snapshot(school, "change-register", 2025)
    rows = S.list_snapshots(school, 2025, "class-roster")
    assert [r["version"] for r in rows] == [1, 2] and rows[0]["id"] == v1["id"] and rows[1]["id"] == v2["id"]
    assert {r["kind"] for r in S.list_snapshots(school, 2025)} == {"class-roster", "change-register"}
    assert S.list_snapshots(school, 2024) == []
    with pytest.raises(sqlite3.DatabaseError):
        school.conn.execute("UPDATE school_snapshots SET file_sha256 = 'x' WHERE id = ?", (v1["id"],))
    with pytest.raises(sqlite3.DatabaseError):
        school.conn.execute("DELETE FROM school_snapshots")


def test_tampered_and_missing_files_are_detected_and_not_exported(school, tmp_path):
    a = S.file_snapshot(school, "new-student-roster", 2025)
    b = S.file_snapshot(school, "graduate-roster", 2025)
    assert {r["state"] for r in S.verify_snapshots(school)} == {"ok"}
    out = tmp_path / "copy.pdf"
    S.export_snapshot(school, a["id"], out)
    assert hashlib.sha256(out.read_bytes()).hexdigest() == a["file_sha256"]
    p = store.path(school.folder, a["file_sha256"], "pdf")
    p.write_bytes(p.read_bytes().replace(b"%%EOF", b"%%EOX"))
    store.path(school.folder, b["file_sha256"], "pdf").unlink()
    states = {r["id"]: r["state"] for r in S.verify_snapshots(school)}
    assert states == {a["id"]: "changed", b["id"]: "missing"}
    f = refused(S.export_snapshot, school, a["id"], tmp_path / "bad.pdf")
    assert f[0].code == "SNAPSHOT.TAMPERED" and not (tmp_path / "bad.pdf").exists()
    assert len(S.list_snapshots(school)) == 2  # nothing deleted by the sweep


def test_unknown_kind_and_empty_stub_are_refused_and_nothing_filed(school):
    assert refused(S.file_snapshot, school, "diploma", 2025)[0].code == "SNAPSHOT.KIND"
    assert refused(S.file_snapshot, school, "completion-stub", 2025)[0].code == "SNAPSHOT.EMPTY"
    assert S.list_snapshots(school) == []


def test_snapshots_survive_reopening(school):
    snap = S.file_snapshot(school, "change-register", 2025)
    folder = school.folder
    school.close()
    with Session.open(folder) as s2:
        (row,) = S.verify_snapshots(s2)
        assert row["id"] == snap["id"] and row["state"] == "ok"


def test_cli_snapshot_list_verify(school, tmp_path, capsys):
    folder = str(school.folder)
    school.close()

    def run(*argv):
        code = main(["--archive", folder, "--json", *argv])
        return code, json.loads(capsys.readouterr().out)

    code, out = run("archive", "snapshot", "class-roster", "--school-year", "2025")
    assert code == 0 and out["ok"] and out["snapshot"]["version"] == 1
    sha = out["snapshot"]["file_sha256"]
    code, out = run("archive", "snapshots", "--verify")
    assert code == 0 and out["count"] == 1 and out["snapshots"][0]["state"] == "ok"
    code, out = run("archive", "snapshot-export", str(out["snapshots"][0]["id"]), str(tmp_path / "x.pdf"))
    assert code == 0 and (tmp_path / "x.pdf").exists()
    p = store.path(folder, sha, "pdf")
    p.write_bytes(b"%PDF-1.4 forged")
    code, out = run("archive", "snapshots", "--verify")
    assert code == 1 and not out["ok"] and out["errors"][0]["code"] == "SNAPSHOT.TAMPERED"
    assert out["snapshots"][0]["state"] == "changed"
    code, out = run("archive", "snapshot", "nonsense", "--school-year", "2025")
    assert code == 1 and out["errors"][0]["code"] == "SNAPSHOT.KIND"
    code, out = run("archive", "snapshot", "class-roster")
    assert code == 2


def test_certificate_stub_snapshot_lists_that_kind_only(tmp_path):
    import datetime as dt

    from app.certificates import service as cs
    from app.students import store as q
    from tests.helpers import fill_class, new_class

    s = new_school(tmp_path, sub="certs")
    with s:
        final = [r.id for r in fill_class(s, new_class(s, 6), 3, 6)]
        with s.transaction() as conn:  # the final state as the graduation service would write it
            q.update_student(conn, final[0], {"status": "graduated"})
        edu = cs.issue(s, "education-certificate", final[0], issue_date=dt.date(2026, 6, 20))
        dip = cs.issue(s, "diploma", final[1], issue_date=dt.date(2026, 6, 20))
        before = len(cs.register(s))
        snap = S.file_snapshot(s, "education-stub", 2025)
        text = "".join(p.extract_text() for p in PdfReader(snap["path"]).pages)
        assert edu.number in text and dip.number not in text
        assert len(cs.register(s)) == before  # filing issues and reprints nothing
        assert refused(S.file_snapshot, s, "education-stub", 2024)[0].code == "SNAPSHOT.EMPTY"


@pytest.mark.parametrize("profile, article, required", [
    ("shanxi-changzhi", "长治 第六条", set(S.KINDS)),
    ("liaoning", "辽宁 第九条", {"new-student-roster", "change-register", "graduate-roster"}),
    ("national", "", set()),
])
def test_year_overview_says_what_the_profile_requires(tmp_path, profile, article, required):
    s = new_school(tmp_path, profile=profile, sub=profile)
    with s:
        RF.build_archive(s)
        S.file_snapshot(s, "change-register", 2025)
        S.file_snapshot(s, "change-register", 2025)
        rows = {r["kind"]: r for r in S.year_overview(s, 2025)}
        assert {k for k, r in rows.items() if r["required"]} == required
        assert all(r["article"] == (article if r["required"] else "") for r in rows.values())
        assert rows["change-register"]["versions"] == 2 and rows["change-register"]["latest"]["version"] == 2
        assert rows["new-student-roster"]["latest"] is None
