"""``xueji photo set|import|export``: JSON shapes and exit codes 0/1/2 (in-process, real archive and files)."""
from __future__ import annotations

import zipfile

from tests.helpers import SCHOOL_CODE, add, birth_for_grade, make_id, new_class, new_school
from tests.cli.test_cli import run
from tests.photos.test_photos import assert_spec, jpeg, portrait


def _archive(tmp_path):
    s = new_school(tmp_path)
    k = new_class(s, 4, 1, code="4000001")
    idn = make_id(birth_for_grade(4, 1), 21, "1")
    sid = add(s, k, "孙八", idn).id
    s.close()
    return tmp_path / "archive", k, sid, idn


def test_photo_set_import_export_json(tmp_path, capsys):
    arch, k, sid, idn = _archive(tmp_path)
    f = tmp_path / "p.jpg"
    f.write_bytes(jpeg(portrait(1000, 1200)))
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "photo", "set", idn, f, "--crop", "0,0,716,882")
    assert rc == 0 and obj["id"] == sid and (obj["width"], obj["height"]) == (358, 441)
    assert obj["size"] < 60 * 1024 and obj["warnings"] == [] and obj["photo_id"] >= 1

    src = tmp_path / "in"
    src.mkdir()
    (src / f"{idn}.jpg").write_bytes(jpeg(portrait()))
    (src / "nobody.jpg").write_bytes(jpeg(portrait()))
    (src / f"{SCHOOL_CODE}_4000001_孙八.jpg").write_bytes(b"broken")
    rc, obj, _ = run(capsys, "photo", "import", src, "--archive", arch, "--json")
    assert rc == 0 and obj["total"] == 3 and obj["stored"] == 1
    assert obj["matched"] == [{"file": f"{idn}.jpg", "id": sid}] and obj["unmatched"] == ["nobody.jpg"]
    assert obj["ambiguous"] == [] and obj["rejected"][0]["file"].endswith("孙八.jpg") and obj["rejected"][0]["reason"]

    rc, obj, _ = run(capsys, "--archive", arch, "--json", "photo", "export", tmp_path / "out", "--class-id", k)
    assert rc == 0 and obj["count"] == 1 and obj["missing"] == [] and len(obj["zips"]) == 1
    with zipfile.ZipFile(obj["zips"][0]) as zf:
        assert zf.namelist() == [f"{idn}.jpg"]
        assert_spec(zf.read(f"{idn}.jpg"))


def test_photo_refusals_and_usage(tmp_path, capsys):
    arch, _, sid, _ = _archive(tmp_path)
    small = tmp_path / "small.jpg"
    small.write_bytes(jpeg(portrait(200, 250)))
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "photo", "set", sid, small)
    assert rc == 1 and obj["errors"][0]["code"] == "PHOTO.TOO_SMALL" and "358×441" in obj["errors"][0]["message"]
    assert obj["errors"][0]["field"] and obj["errors"][0]["rule"] is None
    junk = tmp_path / "x.jpg"
    junk.write_bytes(b"hello")
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "photo", "set", sid, junk)
    assert rc == 1 and obj["errors"][0]["code"] == "PHOTO.NOT_IMAGE"
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "photo", "set", 9999, junk)
    assert rc == 1 and obj["errors"][0]["code"] == "not_found"
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "photo", "set", sid, tmp_path / "missing.jpg")
    assert rc == 1
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "photo", "import", tmp_path / "nowhere")
    assert rc == 1 and obj["errors"][0]["code"] == "PHOTO.SOURCE_MISSING"
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "photo", "set", sid, junk, "--crop", "1,2,3")
    assert rc == 2 and obj["errors"][0]["code"] == "usage"
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "photo", "set", sid, junk, "--rotate", "45")
    assert rc == 2
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "photo")
    assert rc == 2
