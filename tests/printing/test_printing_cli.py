"""``xueji print`` / ``xueji cert`` / ``xueji calibration``: exit codes, one JSON object per command, and the
printed PDF carrying the allocated certificate number (read back with pdfplumber)."""
from __future__ import annotations

import json

import pytest

from app.cli import main
from tests.helpers import fill_class, new_class, new_school


def run(capsys, *argv):
    capsys.readouterr()
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert len(lines) == 1, out  # exactly one JSON object
    return rc, json.loads(lines[0])


@pytest.fixture
def arch(tmp_path):
    """An archive with a grade-6 class of 3 (diplomas allowed before leaving) and a grade-5 class of 1."""
    s = new_school(tmp_path, sub="cli")
    g6 = new_class(s, 6)
    g5 = new_class(s, 5)
    ids = [r.id for r in fill_class(s, g6, 3, 6)] + [r.id for r in fill_class(s, g5, 1, 5, start=20)]
    xjh = s.conn.execute("SELECT id_number FROM students WHERE id = ?", (ids[1],)).fetchone()[0]
    folder = s.folder
    s.close()
    return {"dir": str(folder), "ids": ids, "g6": g6, "g5": g5, "idn": xjh}


def cli(capsys, arch, *argv):
    return run(capsys, "--archive", arch["dir"], "--json", *argv)


def _graduate(arch, sid):
    from app.core.session import Session
    from app.students import store as q

    with Session.open(arch["dir"]) as s, s.transaction() as conn:
        q.update_student(conn, sid, {"status": "graduated"})


def test_cert_issue_answers_with_its_number_and_list_shows_it(capsys, arch):
    rc, obj = cli(capsys, arch, "cert", "issue", "diploma", arch["ids"][0], "--issue-date", "2026-06-30")
    assert rc == 0 and obj["ok"] is True
    assert obj["number"] == "202641160200011" + "0001" and obj["state"] == "valid" and obj["kind"] == "diploma"
    rc, obj2 = cli(capsys, arch, "cert", "issue", "diploma", arch["idn"])  # by ID number
    assert rc == 0 and obj2["number"].endswith("0002")
    rc, lst = cli(capsys, arch, "cert", "list", "--student", arch["ids"][0])
    assert rc == 0 and lst["count"] == 1 and lst["certificates"][0]["number"] == obj["number"]
    assert lst["certificates"][0]["issue_date"] == "2026-06-30"
    rc, lst = cli(capsys, arch, "cert", "list")
    assert lst["count"] == 2


def test_cert_refusals_exit_1_with_rule_and_article(capsys, arch):
    rc, obj = cli(capsys, arch, "cert", "issue", "diploma", arch["ids"][3])  # grade 5
    assert rc == 1 and obj["ok"] is False
    e = obj["errors"][0]
    assert set(e) >= {"code", "field", "row", "message", "rule", "article", "outcome"}
    assert (e["rule"], e["article"], e["outcome"]) == ("CERT.FINAL_STATE", "国家 第十三条", "BLOCK")
    rc, obj = cli(capsys, arch, "cert", "issue", "education-certificate", arch["ids"][0])
    assert rc == 1 and obj["errors"][0]["rule"] == "CERT.ONLY_GRADUATING_SCHOOL"
    rc, obj = cli(capsys, arch, "cert", "void", "NOPE", "--reason", "x")
    assert rc == 1 and obj["errors"][0]["code"] == "not_found"
    rc, obj = cli(capsys, arch, "cert", "issue", "diploma", "999999")
    assert rc == 1 and obj["errors"][0]["code"] == "not_found"


def test_cert_usage_errors_exit_2(capsys, arch):
    rc, obj = cli(capsys, arch, "cert", "issue", "passport", arch["ids"][0])
    assert rc == 2 and obj["ok"] is False and obj["errors"][0]["code"] == "usage"
    rc, obj = cli(capsys, arch, "cert", "void", "X")  # --reason missing
    assert rc == 2
    rc, obj = cli(capsys, arch, "print", "diploma", "--student", "1")  # -o missing
    assert rc == 2
    rc, obj = cli(capsys, arch, "print", "diploma", "--student", "1", "--class-id", "1", "-o", "x.pdf")
    assert rc == 2
    rc, obj = cli(capsys, arch, "cert", "issue", "diploma", "1", "--issue-date", "30.6.2026")
    assert rc == 2
    rc, obj = cli(capsys, arch, "print", "nonsense", "--student", "1", "-o", "x.pdf")
    assert rc == 2


def test_void_reprint_verify_round_trip(capsys, arch):
    sid = arch["ids"][0]
    _graduate(arch, sid)
    rc, edu = cli(capsys, arch, "cert", "issue", "education-certificate", sid, "--original-number", "2020A0001")
    assert rc == 0 and edu["state"] == "awaiting_stamp" and edu["notes"][0]["rule"] == "CERT.STAMP_BEFORE_VALID"
    n = edu["number"]
    rc, obj = cli(capsys, arch, "cert", "reprint", n, "--reason", "卡纸")
    assert rc == 0 and obj["number"] == n and obj["certificate"]["reprints"] == 1
    rc, obj = cli(capsys, arch, "cert", "verify", n, "--date", "2026-07-02")
    assert rc == 0 and obj["certificate"]["state"] == "valid"
    rc, obj = cli(capsys, arch, "cert", "verify", n)
    assert rc == 1 and obj["errors"][0]["code"] == "cert_already_verified"
    rc, obj = cli(capsys, arch, "cert", "void", n, "--reason", "信息填错")
    assert rc == 0 and obj["certificate"]["state"] == "void" and obj["certificate"]["void_reason"] == "信息填错"
    rc, obj = cli(capsys, arch, "cert", "register")
    assert [e["action"] for e in obj["register"]] == ["issue", "reprint", "verify", "void"]
    assert obj["register"][-1]["reason"] == "信息填错"
    rc, obj = cli(capsys, arch, "student", "history", sid)
    assert [h["action"] for h in obj["history"] if h["entity"] == "certificate"] == \
        ["cert-issue", "cert-reprint", "cert-verify", "cert-void"]


def test_changzhi_second_education_certificate_needs_override(capsys, tmp_path):
    s = new_school(tmp_path, profile="shanxi-changzhi", sub="cz")
    sid = fill_class(s, new_class(s, 9), 1, 9)[0].id
    with s.transaction() as conn:
        from app.students import store as q

        q.update_student(conn, sid, {"status": "graduated"})
    folder = str(s.folder)
    s.close()
    a = {"dir": folder}
    assert cli(capsys, a, "cert", "issue", "education-certificate", sid)[0] == 0
    rc, obj = cli(capsys, a, "cert", "issue", "education-certificate", sid)
    assert rc == 1 and (obj["errors"][0]["rule"], obj["errors"][0]["outcome"]) == ("CERT.LOST_DIPLOMA.CZ", "BLOCK*")
    rc, obj = cli(capsys, a, "cert", "issue", "education-certificate", sid, "--override-reason", "再次遗失",
                  "--approved-by", "教育局 李")
    assert rc == 0 and obj["overridden"][0]["rule"] == "CERT.LOST_DIPLOMA.CZ" and obj["number"]
    rc, obj = cli(capsys, a, "cert", "issue", "diploma", sid)
    assert rc == 1 and obj["errors"][0]["rule"] == "CERT.NUMBER_BY_AUTHORITY.CZ"


def test_pattern_and_calibration_verbs(capsys, arch):
    rc, obj = cli(capsys, arch, "cert", "pattern")
    assert rc == 0 and obj["pattern"] == "{year}{school_code}{kind_code}{seq:04d}"
    rc, obj = cli(capsys, arch, "cert", "pattern", "--set", "{yy}{kind_code}{seq:05d}", "--kind-code", "diploma=D")
    assert rc == 0 and obj["kind_codes"]["diploma"] == "D"
    rc, obj = cli(capsys, arch, "cert", "pattern", "--set", "{year}")
    assert rc == 1 and obj["errors"][0]["code"] == "cert_bad_pattern"
    rc, obj = cli(capsys, arch, "cert", "issue", "diploma", arch["ids"][0], "--issue-date", "2026-06-30")
    assert obj["number"] == "26D00001"
    rc, obj = cli(capsys, arch, "calibration", "set", "HP-2", "--dx", "1.5", "--dy", "-0.5", "--scale", "0.99")
    assert rc == 0 and obj["calibration"]["dx_mm"] == 1.5
    rc, obj = cli(capsys, arch, "calibration", "set", "bad", "--dx", "99", "--dy", "0")
    assert rc == 1 and obj["errors"][0]["code"] == "calibration_out_of_range"
    rc, obj = cli(capsys, arch, "calibration", "list")
    assert rc == 0 and obj["calibrations"]["HP-2"]["dy_mm"] == -0.5 and obj["count"] == 1


def test_cli_kinds_match_the_renderer():
    from app.certificates import service as cs
    from app.printing import cli as cli_print

    printing = pytest.importorskip("app.printing.renderer")
    assert tuple(cli_print.KINDS) == tuple(printing.KINDS)
    assert tuple(cli_print.CERT_KINDS) == tuple(printing.CERT_KINDS) == cs.CERT_KINDS


# ------------------------------------------------------------------ printing (needs app.printing)
def _pdf_text(path) -> str:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return "\n".join(p.extract_text() or "" for p in pdf.pages)


def _words(path) -> list[str]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return [w["text"] for p in pdf.pages for w in p.extract_words()]


def test_print_class_issues_numbers_and_pdf_carries_them(capsys, arch, tmp_path):
    pytest.importorskip("app.printing")
    out = tmp_path / "out" / "diplomas.pdf"
    rc, obj = cli(capsys, arch, "print", "diploma", "--class-id", arch["g6"], "-o", out)
    assert rc == 0, obj
    assert obj["path"] == str(out) and obj["students"] == 3 and obj["pages"] >= 3
    numbers = sorted(obj["numbers"].values())
    assert len(set(numbers)) == 3 and [i["number"] for i in obj["issued"]] == sorted(numbers)
    text = "".join(_words(out))
    for n in numbers:
        assert n in text
    # printed again: the same numbers (no new issue), and the register has a print row per sheet
    rc, again = cli(capsys, arch, "print", "diploma", "--class-id", arch["g6"], "-o", tmp_path / "again.pdf")
    assert rc == 0 and again["numbers"] == obj["numbers"] and again["issued"] == []
    rc, reg = cli(capsys, arch, "cert", "register")
    assert [e["action"] for e in reg["register"]].count("print") == 6


def test_print_refused_writes_neither_file_nor_certificate(capsys, arch, tmp_path):
    pytest.importorskip("app.printing")
    out = tmp_path / "never.pdf"
    rc, obj = cli(capsys, arch, "print", "diploma", "--student", arch["ids"][3], "-o", out)
    assert rc == 1 and obj["errors"][0]["rule"] == "CERT.FINAL_STATE"
    assert not out.exists() and not list(tmp_path.glob(".never*"))
    rc, lst = cli(capsys, arch, "cert", "list")
    assert lst["count"] == 0


def test_reprint_prints_the_same_number(capsys, arch, tmp_path):
    pytest.importorskip("app.printing")
    rc, obj = cli(capsys, arch, "cert", "issue", "diploma", arch["ids"][0])
    n = obj["number"]
    out = tmp_path / "re.pdf"
    rc, obj = cli(capsys, arch, "cert", "reprint", n, "--reason", "卡纸", "-o", out)
    assert rc == 0 and obj["path"] == str(out)
    assert n in "".join(_words(out))


def test_print_issuance_register_lists_the_numbers(capsys, arch, tmp_path):
    pytest.importorskip("app.printing")
    rc, a = cli(capsys, arch, "cert", "issue", "diploma", arch["ids"][0])
    cli(capsys, arch, "cert", "void", a["number"], "--reason", "套打错位")
    rc, b = cli(capsys, arch, "cert", "issue", "diploma", arch["ids"][0])
    out = tmp_path / "reg.pdf"
    rc, obj = cli(capsys, arch, "print", "issuance-register", "-o", out)
    assert rc == 0, obj
    text = "".join(_words(out))
    assert a["number"] in text and b["number"] in text


def test_print_with_calibration_moves_the_number(capsys, arch, tmp_path):
    pdfplumber = pytest.importorskip("pdfplumber")
    pytest.importorskip("app.printing")
    rc, obj = cli(capsys, arch, "cert", "issue", "diploma", arch["ids"][0])
    n = obj["number"]
    cli(capsys, arch, "calibration", "set", "shift", "--dx", "3", "--dy", "2")

    def where(path):
        with pdfplumber.open(path) as pdf:
            for w in pdf.pages[0].extract_words():
                if n in w["text"]:
                    return w["x0"], w["top"]
        raise AssertionError("number not found")

    cli(capsys, arch, "print", "diploma", "--student", arch["ids"][0], "-o", tmp_path / "a.pdf", "--overlay")
    cli(capsys, arch, "print", "diploma", "--student", arch["ids"][0], "-o", tmp_path / "b.pdf", "--overlay",
        "--calibration", "shift")
    (x0, y0), (x1, y1) = where(tmp_path / "a.pdf"), where(tmp_path / "b.pdf")
    mm = 72 / 25.4
    assert abs((x1 - x0) - 3 * mm) < 0.5 * mm and abs((y1 - y0) - 2 * mm) < 0.5 * mm
    rc, obj = cli(capsys, arch, "print", "diploma", "--student", arch["ids"][0], "-o", tmp_path / "c.pdf",
                  "--calibration", "nope")
    assert rc == 1 and obj["errors"][0]["code"] == "not_found"


def test_a_later_print_keeps_the_issue_date_of_the_register(capsys, arch, tmp_path):
    pytest.importorskip("app.printing")
    rc, obj = cli(capsys, arch, "cert", "issue", "diploma", arch["ids"][0], "--issue-date", "2026-06-30")
    out = tmp_path / "later.pdf"
    rc, res = cli(capsys, arch, "print", "diploma", "--student", arch["ids"][0], "-o", out)
    assert rc == 0 and res["issued"] == []
    assert "二〇二六年六月三十日" in _pdf_text(out).replace(" ", "").replace("\n", "")


def test_print_school_year_reprints_that_years_certificates(capsys, arch, tmp_path):
    pytest.importorskip("app.printing")
    a = cli(capsys, arch, "cert", "issue", "diploma", arch["ids"][0], "--issue-date", "2026-06-30")[1]["number"]
    b = cli(capsys, arch, "cert", "issue", "diploma", arch["ids"][1], "--issue-date", "2025-09-01")[1]["number"]
    c = cli(capsys, arch, "cert", "issue", "diploma", arch["ids"][2], "--issue-date", "2026-09-10")[1]["number"]
    rc, obj = cli(capsys, arch, "print", "diploma", "--school-year", "2025", "-o", tmp_path / "y.pdf")
    assert rc == 0 and sorted(obj["numbers"].values()) == sorted([a, b]) and obj["issued"] == []
    words = "".join(_words(tmp_path / "y.pdf"))
    assert a in words and b in words and c not in words


def test_text_mode_prints_lines_not_json(capsys, arch):
    capsys.readouterr()
    rc = main(["--archive", arch["dir"], "cert", "issue", "diploma", str(arch["ids"][0])])
    out, err = capsys.readouterr()
    assert rc == 0 and out.startswith("已发放毕业证书，编号 ") and "有效" in out
    rc = main(["--archive", arch["dir"], "cert", "issue", "diploma", str(arch["ids"][3])])
    out, err = capsys.readouterr()
    assert rc == 1 and out == "" and "CERT.FINAL_STATE" in err and "国家 第十三条" in err


def test_print_dry_run_lists_what_would_print_and_what_is_refused(capsys, arch, tmp_path):
    """``print … --dry-run``: nothing written (no file, no certificate, no register row); a printable student
    with the number the print would keep or issue, a refused one as an error object with rule and article."""
    ok, refused = arch["ids"][0], arch["ids"][3]  # grade 6 (diploma allowed) / grade 5 (refused)
    out = tmp_path / "dry.pdf"
    rc, obj = cli(capsys, arch, "print", "diploma", "--student", ok, "--student", refused, "-o", out, "--dry-run")
    # the dry run answers as the print would: one refused student refuses the certificate print as a whole
    assert rc == 1 and obj["ok"] is False and obj["dry_run"] is True and obj["kind"] == "diploma"
    assert obj["errors"] == obj["refused"]
    rc_real, real = cli(capsys, arch, "print", "diploma", "--student", ok, "--student", refused, "-o", out)
    assert rc_real == 1 and [e["rule"] for e in real["errors"]] == [e["rule"] for e in obj["refused"]]
    [item] = obj["would_print"]
    assert (item["student_id"], item["kind"], item["number"], item["issue"]) == (ok, "diploma", None, True)
    assert item["name"]
    [e] = obj["refused"]
    assert set(e) >= {"code", "field", "row", "message", "rule", "article", "outcome"}
    assert (e["rule"], e["article"], e["outcome"]) == ("CERT.FINAL_STATE", "国家 第十三条", "BLOCK")
    assert not out.exists() and not list(tmp_path.glob(".dry*"))
    rc, lst = cli(capsys, arch, "cert", "list")
    assert lst["count"] == 0
    rc, reg = cli(capsys, arch, "cert", "register")
    assert reg["count"] == 0
    # everything refused: exit 1, the usual error objects, and the plan
    rc, obj = cli(capsys, arch, "print", "diploma", "--student", refused, "-o", out, "--dry-run")
    assert rc == 1 and obj["ok"] is False and obj["dry_run"] is True and obj["would_print"] == []
    assert obj["errors"][0]["rule"] == "CERT.FINAL_STATE" and obj["refused"] == obj["errors"]
    # once issued, the dry run names the number the print keeps
    rc, issued = cli(capsys, arch, "cert", "issue", "diploma", ok)
    rc, obj = cli(capsys, arch, "print", "diploma", "--student", ok, "-o", out, "--dry-run")
    assert rc == 0 and obj["would_print"][0]["number"] == issued["number"] and obj["would_print"][0]["issue"] is False
    # a class batch: the grade-6 class prints, nobody skipped; other kinds list their documents
    rc, obj = cli(capsys, arch, "print", "diploma", "--class-id", arch["g6"], "-o", out, "--dry-run")
    assert rc == 0 and len(obj["would_print"]) == 3 and obj["refused"] == [] and obj["skipped"] == []
    rc, obj = cli(capsys, arch, "print", "class-roster", "--class-id", arch["g5"], "-o", out, "--dry-run")
    assert rc == 0 and obj["would_print"][0]["students"] == 1 and obj["would_print"][0]["student_id"] is None
    rc, obj = cli(capsys, arch, "print", "basic-info-form", "--student", refused, "-o", out, "--dry-run")
    assert rc == 0 and [i["student_id"] for i in obj["would_print"]] == [refused]
    assert not out.exists()
    rc, obj = cli(capsys, arch, "print", "change-form", "--student", ok, "-o", out, "--dry-run")
    assert rc == 1 and obj["refused"][0]["code"] == "PRINT.NO_CHANGE_EVENT"
    # text mode: one line per document, refusals with their reason
    capsys.readouterr()
    rc = main(["--archive", arch["dir"], "print", "diploma", "--student", str(ok), "--student", str(refused),
               "-o", str(out), "--dry-run"])
    text, err = capsys.readouterr()
    assert rc == 1 and text.startswith("试运行") and issued["number"] in text and "国家 第十三条" in err
