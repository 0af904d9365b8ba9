"""Discrepancies (each kind found on a built archive, and gone once fixed) and the semester review (progress
survives closing the archive; findings and fixes; the printed report). Real archives in tmp_path; the paper
folder is built through app/paper's services; PDFs and spreadsheets are read back."""
from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
import time

import pytest
from PIL import Image
from pypdf import PdfReader

from app.paper import checklist as paper_checklist, loans as paper_loans, locations as paper_locations, scans as paper_scans
from app.paper import discrepancies as D
from app.paper import review as P
from app.paper.pdf_table import pdf_table
from app.changes.service import ChangeRequest, apply_change
from app.cli import main
from app.core.session import Session
from app.students.service import edit_student
from tests import reconcile_fixture as RF
from tests.helpers import new_school, refused


@pytest.fixture
def school(tmp_path):
    s = new_school(tmp_path)
    ids = RF.build_archive(s)
    yield s, ids
    s.close()


def _kinds(s, sid=None, kind=None):
    return [d for d in D.discrepancies(s) if (sid is None or d.student_id == sid) and (kind is None or d.kind == kind)]


def _png(tmp_path, name="scan.png"):
    p = tmp_path / name
    img = Image.new("RGB", (600, 800), "white")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    p.write_bytes(buf.getvalue())
    return p


def _file_everyone(s, ids):
    for i, sid in enumerate(ids.values()):
        paper_locations.move(s, sid, ["A", "1", str(i + 1)])


def test_no_folder_and_no_location(school):
    s, ids = school
    sid = ids["same"]
    assert {d.student_id for d in _kinds(s, kind="no_folder")} == set(ids.values())
    paper_checklist.mark_item(s, sid, "hukou", paper="missing")  # makes the folder, without a location
    assert not _kinds(s, sid, "no_folder")
    (d,) = _kinds(s, sid, "no_location")
    assert d.target == {"view": "folder", "student_id": sid} and d.student == "张一" and d.class_name
    assert d.rule == "ARCHIVE.E_AND_PAPER" and d.article == "国家 第八条"
    paper_locations.move(s, sid, "柜A/2/5/12")
    assert not _kinds(s, sid, "no_location") and not _kinds(s, sid, "no_folder")


def test_paper_without_scan_and_scan_without_paper(school, tmp_path):
    s, ids = school
    _file_everyone(s, ids)
    sid = ids["name"]
    paper_checklist.mark_item(s, sid, "hukou", paper="present")
    (d,) = _kinds(s, sid, "paper_without_scan")
    assert d.target["item_key"] == "hukou" and "户籍证明" in d.what
    paper_scans.attach_scan(s, sid, "hukou", _png(tmp_path))
    assert not _kinds(s, sid, "paper_without_scan") and not _kinds(s, sid, "scan_without_paper")
    paper_scans.attach_scan(s, sid, "vaccination", _png(tmp_path, "v.png"))
    (d,) = _kinds(s, sid, "scan_without_paper")
    assert d.target == {"view": "checklist", "student_id": sid, "item_key": "vaccination"}
    paper_checklist.mark_item(s, sid, "vaccination", paper="present")
    assert not _kinds(s, sid, "scan_without_paper")
    assert not _kinds(s, sid)  # nothing else left for this student


def test_status_change_evidence_missing_from_the_folder(school):
    s, ids = school
    sid = ids["id"]
    r = apply_change(s, ChangeRequest("suspend", sid, date=dt.date(2025, 10, 10), reason="病休",
                                      evidence=["监护人书面申请"], acknowledge_warnings=True))
    (ev_id,) = [x[0] for x in s.conn.execute("SELECT id FROM event_evidence WHERE event_id = ?", (r.event_id,))]
    assert not _kinds(s, sid, "evidence_missing")  # named as in the folder: nothing said against it yet
    paper_checklist.mark_item(s, sid, f"evidence:{ev_id}", paper="missing")
    (d,) = _kinds(s, sid, "evidence_missing")
    assert "监护人书面申请" in d.what and d.target["event_id"] == r.event_id and d.since == "2025-10-10"
    paper_checklist.mark_item(s, sid, f"evidence:{ev_id}", paper="present")
    assert not _kinds(s, sid, "evidence_missing")


def test_loan_overdue_until_returned(school):
    s, ids = school
    sid = ids["birth"]
    lid = paper_loans.lend(s, sid, borrower="县教育局", purpose="核查", approved_by="校长", lent_on="2025-10-01",
                     due_on="2025-10-15")
    (d,) = _kinds(s, sid, "loan_overdue")
    assert "县教育局" in d.what and d.since == "2025-10-15" and d.target["loan_id"] == lid
    assert d.rule == "" and d.article == ""  # the national profile cites no article for the borrow register
    assert not D.discrepancies(s, as_of=dt.date(2025, 10, 14), kinds=["loan_overdue"])
    paper_loans.return_loan(s, lid, returned_on="2025-11-01")
    assert not _kinds(s, sid, "loan_overdue")


def test_transfer_out_folder_not_handed_over_within_a_month(school):
    s, ids = school
    a, b = ids["gender"], ids["class"]
    ea = apply_change(s, ChangeRequest("transfer-out", a, date=dt.date(2025, 10, 10), reason="搬家", to_school="甲校",
                                       acknowledge_warnings=True)).event_id
    eb = apply_change(s, ChangeRequest("transfer-out", b, date=dt.date(2025, 10, 10), reason="搬家", to_school="乙校",
                                       acknowledge_warnings=True)).event_id
    found = {d.student_id: d for d in _kinds(s, kind="handover_late")}
    assert set(found) == {a, b} and found[a].since == "2025-11-10" and found[a].article == "国家 第十五条"
    assert not D.discrepancies(s, as_of=dt.date(2025, 11, 10), kinds=["handover_late"])  # not yet late
    paper_loans.hand_over(s, a, handed_to="甲校", handed_on="2025-11-05", event_id=ea)
    paper_loans.hand_over(s, b, handed_to="乙校", handed_on="2025-12-20", event_id=eb, receipt_sha256="ab" * 32)
    (d,) = _kinds(s, kind="handover_late")
    assert d.student_id == b and "2025-12-20" in d.what and "abababab" in d.what  # late, with its receipt
    assert d.target["handover_id"]


def test_record_edited_since_the_guardian_signed(school):
    s, ids = school
    sid = ids["state"]
    D.record_signature(s, sid, "2025-09-10", "周父")
    assert not _kinds(s, sid, "form_outdated")
    from app.students.service import history

    (h,) = [h for h in history(s, sid) if h["action"] == "signature"]
    assert h["new_value"] == "2025-09-10" and h["reason"] == "周父"
    paper_locations.move(s, sid, ["A"])  # folder work is not a record edit
    assert not _kinds(s, sid, "form_outdated")
    edit_student(s, sid, {"phone": "13812345678"})
    (d,) = _kinds(s, sid, "form_outdated")
    assert "2025-09-10" in d.what and d.target["print"] == "basic-info-form"
    D.record_signature(s, sid, dt.date.today(), "周父")
    assert not _kinds(s, sid, "form_outdated")
    # the signature may also be the checklist item "basic-info-form" marked present
    other = ids["xjh"]
    paper_checklist.mark_item(s, other, "basic-info-form", paper="present")
    assert not _kinds(s, other, "form_outdated")
    time.sleep(1.05)  # the checklist log keeps seconds: the edit must come in a later second
    edit_student(s, other, {"phone": "13700000000"})
    (d,) = _kinds(s, other, "form_outdated")
    assert d.since == dt.date.today().isoformat()
    assert refused(D.record_signature, s, sid, "2999-01-01")[0].code == "SIGNATURE.FUTURE"


def test_discrepancies_export_and_print(school, tmp_path):
    s, ids = school
    xlsx = D.export_discrepancies(s, tmp_path / "d.xlsx")
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(tmp_path / "d.xlsx")).get_sheet_by_index(0).to_python()
    assert xlsx["count"] == len(ids) == len(rows) - 1 and rows[0][0] == "类别"
    assert {r[1] for r in rows[1:]} == {v[0] for v in RF.ARCHIVE.values()}
    res = D.print_discrepancies(s, tmp_path / "d.pdf")
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "d.pdf").pages)
    assert res["pages"] >= 1 and "陈十一" in text and "未建档案袋" in text


def test_review_progress_survives_closing_and_reopening(tmp_path):
    s = new_school(tmp_path)
    ids = RF.build_archive(s)
    k1 = s.conn.execute("SELECT class_id FROM students WHERE id = ?", (ids["same"],)).fetchone()[0]
    in_class = [sid for sid in ids.values()
                if s.conn.execute("SELECT class_id FROM students WHERE id = ?", (sid,)).fetchone()[0] == k1]
    r = P.start_review(s, class_id=k1, term="2025-1")
    P.mark(s, r["id"], ids["same"], "folder")
    P.mark_scan(s, r["id"], paper_locations.label_key(s, ids["name"]))
    P.mark(s, r["id"], ids["name"], "checklist")
    P.mark(s, r["id"], ids["name"], "key_data")
    fid = P.add_finding(s, r["id"], ids["name"], "户籍证明复印件缺失")
    folder = s.folder
    s.close()
    with Session.open(folder) as s2:
        st_ = P.review_status(s2, r["id"])
        assert st_["counts"]["students"] == len(in_class) and st_["counts"]["done"] == 1
        by = {x["student_id"]: x for x in st_["students"]}
        assert by[ids["same"]]["folder"]["how"] == "tick" and by[ids["same"]]["checklist"] is None
        assert by[ids["name"]]["folder"]["how"] == "scan" and by[ids["name"]]["done"]
        assert st_["findings"][0]["what"] == "户籍证明复印件缺失" and not st_["findings"][0]["fixed"]
        P.fix_finding(s2, fid, "家长已补交")
        assert P.review_status(s2, r["id"])["counts"]["fixed"] == 1
        outside = ids["xjh"]  # in the other class
        assert refused(P.mark, s2, r["id"], outside, "folder")[0].code == "REVIEW.OUT_OF_SCOPE"
        assert refused(P.mark_scan, s2, r["id"], "XUEJI|9999999999|1|x")[0].code == "REVIEW.UNKNOWN_LABEL"
        P.finish_review(s2, r["id"], "本学期复核完成")
        assert refused(P.mark, s2, r["id"], ids["same"], "checklist")[0].code == "REVIEW.FINISHED"
        with pytest.raises(sqlite3.DatabaseError):
            s2.conn.execute("DELETE FROM review_marks")
        with pytest.raises(sqlite3.DatabaseError):
            s2.conn.execute("UPDATE review_sessions SET finished_at = NULL")
        out = P.print_review_report(s2, r["id"], tmp_path / "review.pdf")
        text = "".join(p.extract_text() for p in PdfReader(out["path"]).pages)
        for needle in ("学生学籍每学期复核报告", "王二", "户籍证明复印件缺失", "家长已补交", "2025—2026学年上学期",
                       "本学期复核完成"):
            assert needle in text, needle


def test_whole_school_review_covers_every_active_student(school):
    s, ids = school
    r = P.start_review(s)
    assert P.review_status(s, r["id"])["counts"]["students"] == len(ids)
    assert P.review_status(s, r["id"])["review"]["scope"] == "全校"
    assert refused(P.start_review, s, None, "2025-3")[0].code == "REVIEW.TERM"


def test_cli_review_and_discrepancies(school, tmp_path, capsys):
    s, ids = school
    folder = str(s.folder)
    label = paper_locations.label_key(s, ids["same"])
    s.close()

    def run(*argv):
        code = main(["--archive", folder, "--json", *argv])
        return code, json.loads(capsys.readouterr().out)

    code, out = run("archive", "discrepancies", "--export", str(tmp_path / "d.xlsx"), "--print", str(tmp_path / "d.pdf"))
    assert code == 0 and out["count"] == len(ids) and (tmp_path / "d.xlsx").exists() and out["print"]["pages"] >= 1
    d = out["discrepancies"][0]
    assert {"kind", "kind_name", "student_id", "student", "class_name", "what", "since", "target", "rule",
            "article"} <= set(d)
    code, out = run("archive", "discrepancies", "--kind", "nonsense")
    assert code == 2 and not out["ok"]
    code, out = run("archive", "review", "start", "--term", "2025-2")
    assert code == 0 and out["review"]["term"] == "2025-2"
    rid = str(out["id"])
    code, out = run("archive", "review", "scan", rid, label)
    assert code == 0 and out["student_id"] == ids["same"] and out["counts"]["folder"] == 1
    code, out = run("archive", "review", "mark", rid, str(ids["same"]), "--step", "checklist", "--step", "key_data")
    assert code == 0 and out["counts"]["done"] == 1
    code, out = run("archive", "review", "finding", rid, "档案袋标签破损", "--student", str(ids["same"]))
    assert code == 0
    code, out = run("archive", "review", "fix", str(out["id"]), "已重新打印标签")
    assert code == 0
    code, out = run("archive", "review", "finish", rid)
    assert code == 0 and out["review"]["finished_at"]
    code, out = run("archive", "review", "mark", rid, str(ids["same"]))
    assert code == 1 and out["errors"][0]["code"] == "REVIEW.FINISHED"
    code, out = run("archive", "review", "report", rid, "-o", str(tmp_path / "r.pdf"))
    assert code == 0 and out["pages"] >= 1
    code, out = run("archive", "review", "show", rid)
    assert code == 0 and out["counts"]["fixed"] == 1 and len(out["students"]) == len(ids)
    code, out = run("archive", "sign", str(ids["same"]), "--date", "2025-09-01", "--guardian", "张父")
    assert code == 0 and out["signature"]["signed_on"] == "2025-09-01"


def test_long_tables_break_across_pages_with_their_heads(tmp_path):
    rows = [[f"第{i}行", "一年级（1）班", "长文本" * (i % 7 + 1) * 6, "2025-10-01"] for i in range(120)]
    pages = pdf_table(tmp_path / "t.pdf", "标题", ["学校：测试"], ["甲", "乙", "丙", "丁"], (30, 30, 150, 30), rows)
    reader = PdfReader(tmp_path / "t.pdf")
    assert pages == len(reader.pages) >= 3
    texts = [p.extract_text() for p in reader.pages]
    assert all("标题" in t and "丙" in t for t in texts) and "第119行" in texts[-1]
    assert refused(pdf_table, tmp_path / "bad.pdf", "标题", [], ["甲"], (30,), [["\U0001F600"]])[0].code == "PRINT.GLYPH"
    assert not (tmp_path / "bad.pdf").exists()


def test_citations_follow_the_profile(tmp_path):
    s = new_school(tmp_path, profile="shanxi-changzhi")
    with s:
        ids = RF.build_archive(s)
        paper_loans.lend(s, ids["same"], borrower="县教育局", purpose="核查", approved_by="局长", lent_on="2025-10-01",
                   due_on="2025-10-15")
        (d,) = _kinds(s, ids["same"], "loan_overdue")
        assert (d.rule, d.article) == ("PRIV.ACCESS_LOG.CZ", "长治 第四十四条")
        (d,) = _kinds(s, ids["name"], "no_folder")
        assert d.article == "长治 第五条"
