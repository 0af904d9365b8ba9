"""``xueji archive locate|move|checklist|check-item|attach|lend|return|loans|handover|verify-files``: one JSON
object per call, exit 0 ok / 1 refused / 2 usage (in-process, real archive and real files)."""
from __future__ import annotations

from app.core import filestore as store
from tests.helpers import add, birth_for_grade, make_id, new_class, new_school
from tests.cli.test_cli import run
from tests.paper.test_paper import jpeg_bytes, pdf_bytes


def _archive(tmp_path, profile="national"):
    s = new_school(tmp_path, profile, stages="primary,junior")
    k = new_class(s, 8)
    idn = make_id(birth_for_grade(8, 3), 33, "1")
    sid = add(s, k, "赵档案", idn, xueji_no="G" + idn).id
    code = s.school["code"]
    s.close()
    return tmp_path / "archive", sid, idn, code


def test_move_locate_checklist_check_item(tmp_path, capsys):
    arch, sid, idn, code = _archive(tmp_path)
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "archive", "move", idn, "柜A", "层2", "盒5", "位12")
    assert rc == 0 and obj["location"] == ["柜A", "层2", "盒5", "位12"] and obj["moves"] == 1
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "archive", "move", sid, "柜B/层1", "--reason", "整理")
    assert rc == 0 and obj["location_text"] == "柜B / 层1" and obj["moves"] == 2
    label = f"XUEJI|{code}|{sid}|G{idn}"
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "archive", "locate", label)
    assert rc == 0 and obj["student_id"] == sid and obj["label_key"] == label and obj["name"] == "赵档案"
    assert obj["location"] == ["柜B", "层1"] and [m["reason"] for m in obj["moves"]] == ["", "整理"]

    rc, obj, _ = run(capsys, "--archive", arch, "--json", "archive", "checklist", idn)
    assert rc == 0 and obj["profile"] == "national" and obj["article"] == "国家 第七条"
    assert len(obj["sections"]) == 7 and obj["summary"]["unchecked"] == obj["summary"]["items"] == len(obj["items"])
    item = obj["items"][0]
    assert {"key", "name", "section", "article", "paper", "electronic", "scans", "checked_by"} <= set(item)

    rc, obj, _ = run(capsys, "--archive", arch, "--json", "archive", "check-item", idn, "hukou", "--paper",
                     "present", "--by", "王老师")
    assert rc == 0 and obj["item"]["paper"] == "present" and obj["item"]["checked_by"] == "王老师"
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "archive", "check-item", idn, "nothing", "--paper", "present")
    assert rc == 1 and obj["errors"][0]["code"] == "paper_unknown_item" and obj["errors"][0]["field"]
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "archive", "check-item", idn, "hukou", "--paper", "lent")
    assert rc == 2 and obj["errors"][0]["code"] == "usage"
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "archive", "locate", "XUEJI|0|0|nobody")
    assert rc == 1 and obj["errors"][0]["code"] == "not_found"
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "archive", "move", idn)
    assert rc == 2


def test_attach_and_verify_files(tmp_path, capsys):
    arch, sid, idn, _ = _archive(tmp_path)
    f = tmp_path / "证明.pdf"
    f.write_bytes(pdf_bytes(2))
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "archive", "attach", idn, "hukou", f)
    assert rc == 0 and obj["scan"]["pages"] == 2 and obj["scan"]["ext"] == "pdf" and not obj["scan"]["already_stored"]
    sha = obj["scan"]["sha256"]
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "archive", "attach", idn, "basic-info-form", f)
    assert rc == 0 and obj["scan"]["already_stored"] and obj["scan"]["sha256"] == sha
    bad = tmp_path / "x.jpg"
    bad.write_bytes(b"not an image at all")
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "archive", "attach", idn, "hukou", bad)
    assert rc == 1 and obj["errors"][0]["code"] == "paper_scan_unreadable"

    rc, obj, _ = run(capsys, "--archive", arch, "--json", "archive", "verify-files")
    assert rc == 0 and obj["report"]["clean"] and obj["report"]["checked"] == 1
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "archive", "checklist", idn)
    scan_ids = [x["id"] for i in obj["items"] for x in i["scans"]]
    assert len(scan_ids) == 2
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "archive", "detach", scan_ids[1], "--reason", "挂错")
    assert rc == 0 and obj["scan_id"] == scan_ids[1]
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "archive", "detach", scan_ids[1])
    assert rc == 1 and obj["errors"][0]["code"] == "paper_no_scan"
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "archive", "checklist", idn)
    assert obj["summary"]["scanned"] == 1
    p = store.path(arch, sha, "pdf")
    raw = bytearray(p.read_bytes())
    raw[200] ^= 0x20  # one bit changed in place, same size
    p.write_bytes(bytes(raw))
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "archive", "verify-files")
    assert rc == 1 and [e["code"] for e in obj["errors"]] == ["file_changed"]
    assert obj["errors"][0]["field"] == f"files/{sha[:2]}/{sha}.pdf" and obj["report"]["changed"][0]["sha256"] == sha
    p.unlink()
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "archive", "verify-files")
    assert rc == 1 and [e["code"] for e in obj["errors"]] == ["file_missing"]


def test_lend_return_loans(tmp_path, capsys):
    arch, sid, idn, _ = _archive(tmp_path, "shanxi-changzhi")
    base = ("--archive", arch, "--json", "archive")
    rc, obj, _ = run(capsys, *base, "lend", idn, "--borrower", "李老师", "--purpose", "核对", "--approved-by", "",
                     "--due", "2026-03-08", "--date", "2026-03-01")
    assert rc == 1 and obj["errors"][0]["code"] == "paper_loan_approval"
    assert obj["errors"][0]["article"] == "长治 第四十四条"
    rc, obj, _ = run(capsys, *base, "lend", idn, "--borrower", "李老师", "--purpose", "核对",
                     "--approved-by", "学籍科", "--due", "2026-03-08", "--date", "2026-03-01")
    assert rc == 0 and obj["loan"]["due_on"] == "2026-03-08" and obj["loan"]["returned_on"] is None
    lid = obj["loan"]["id"]
    rc, obj, _ = run(capsys, *base, "loans", "--overdue", "--as-of", "2026-03-09")
    assert rc == 0 and obj["count"] == 1 and obj["overdue"] == 1 and obj["loans"][0]["days_overdue"] == 1
    rc, obj, _ = run(capsys, *base, "loans", "--overdue", "--as-of", "2026-03-08")
    assert rc == 0 and obj["count"] == 0
    rc, obj, _ = run(capsys, *base, "return", lid, "--date", "2026-03-10")
    assert rc == 0 and obj["loan"]["returned_on"] == "2026-03-10"
    rc, obj, _ = run(capsys, *base, "return", lid)
    assert rc == 1 and obj["errors"][0]["code"] == "paper_loan_closed"
    rc, obj, _ = run(capsys, *base, "loans")
    assert rc == 0 and obj["loans"] == []
    rc, obj, _ = run(capsys, *base, "loans", "--all", "--student", idn)
    assert rc == 0 and [x["id"] for x in obj["loans"]] == [lid]
    rc, obj, _ = run(capsys, *base, "return", "abc")
    assert rc == 2

    receipt = tmp_path / "回执.jpg"
    receipt.write_bytes(jpeg_bytes())
    rc, obj, _ = run(capsys, *base, "handover", idn, "--to", "长治市第二中学", "--date", "2026-04-01",
                     "--receipt", receipt)
    assert rc == 0 and obj["receipt_sha256"] and store.exists(arch, obj["receipt_sha256"], "jpg")
    rc, obj, _ = run(capsys, *base, "checklist", idn)
    assert {i["paper"] for i in obj["items"]} == {"handed_over"}
    rc, obj, _ = run(capsys, *base, "verify-files")
    assert rc == 0 and obj["report"]["checked"] == 1


def test_folders_overview(tmp_path, capsys):
    arch, sid, idn, _ = _archive(tmp_path)
    base = ("--archive", arch, "--json", "archive")
    rc, obj, _ = run(capsys, *base, "folders")
    assert rc == 0 and obj["count"] == 1 and obj["without_folder"] == 1 and obj["folders"][0]["has_folder"] is False
    run(capsys, *base, "move", idn, "柜A/层1")
    rc, obj, _ = run(capsys, *base, "folders")
    row = obj["folders"][0]
    assert obj["without_folder"] == 0 and obj["without_location"] == 0
    assert (row["student_id"], row["location"], row["open_loans"], row["scans"]) == (sid, ["柜A", "层1"], 0, 0)
    rc, obj, _ = run(capsys, *base, "folders", "--class-id", "999")
    assert rc == 0 and obj["count"] == 0
