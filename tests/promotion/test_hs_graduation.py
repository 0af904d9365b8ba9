"""High-school graduation check per profile: the credit boundaries (143 vs 144, 115 vs 116, 21 vs 22,
5 vs 6), proficiency exams (A–C in Shanxi; Henan: all passes), evaluation, PE and labour → 毕业, else
结业 / 肄业 with the reasons; records entered one by one or imported from a class spreadsheet (all or none)."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from app.promotion import hs_records as hs
from app.promotion import service as P
from tests.helpers import by_rule, fill_class, new_class, new_school, refused

CZ_OK = dict(credits_total=144, credits_required=116, credits_elective=22, credits_school=6,
             exams={"语文": "A", "数学": "C", "英语": "B"}, evaluation="pass", pe_standard="pass",
             labour_practice="done")
ZK_OK = dict(credits_total=144, exams={"语文": "A", "数学": "D"}, evaluation="pass")


@pytest.fixture
def cz(tmp_path):
    with new_school(tmp_path, "shanxi-changzhi") as s:
        cid = new_class(s, 12)
        fill_class(s, cid, 4, 12)
        s.cid = cid
        s.ids = [r[0] for r in s.conn.execute("SELECT id FROM students WHERE class_id = ? ORDER BY id", (cid,))]
        yield s


def check(s, sid, **rec):
    hs.set_hs_record(s, sid, **rec)
    return hs.evaluate(s, sid)


@pytest.mark.parametrize("field,ok,short", [
    ("credits_total", 144, 143), ("credits_required", 116, 115),
    ("credits_elective", 22, 21), ("credits_school", 6, 5),
])
def test_shanxi_credit_boundaries(cz, field, ok, short):
    sid = cz.ids[0]
    assert check(cz, sid, **{**CZ_OK, field: ok}).outcome == "graduated"
    c = check(cz, sid, **{field: short})
    assert c.outcome == "completed"
    f = by_rule(c.findings, "GRAD.HS.CZ")
    assert len(f) == 1 and f[0].article == "长治 第三十五条, 第三十七条"
    assert f"{short}" in f[0].message and f"{ok}" in f[0].message


def test_shanxi_exam_grades_pe_labour_evaluation(cz):
    sid = cz.ids[0]
    assert check(cz, sid, **CZ_OK).outcome == "graduated"
    c = check(cz, sid, exams={"语文": "A", "数学": "D", "英语": "B"})
    assert c.outcome == "completed" and "数学（D）" in c.reasons[0]
    hs.set_hs_record(cz, sid, exams=CZ_OK["exams"])
    for k, bad in (("pe_standard", "fail"), ("labour_practice", "not_done"), ("evaluation", "fail")):
        c = check(cz, sid, **{k: bad})
        assert c.outcome == "completed" and len(c.reasons) == 1, (k, c.reasons)
        hs.set_hs_record(cz, sid, **{k: CZ_OK[k]})
    assert hs.evaluate(cz, sid).outcome == "graduated"


def test_period_not_complete_is_yiye(cz):
    c = check(cz, cz.ids[0], **{**CZ_OK, "period_complete": "no", "credits_total": 100})
    assert c.outcome == "left_incomplete" and len(c.reasons) == 2


def test_henan_144_and_all_exams_passed(tmp_path):
    with new_school(tmp_path, "henan-zhoukou") as s:
        cid = new_class(s, 12)
        fill_class(s, cid, 1, 12)
        sid = s.conn.execute("SELECT id FROM students").fetchone()[0]
        assert check(s, sid, **ZK_OK).outcome == "graduated"          # D is a pass in Henan's scale
        assert check(s, sid, credits_total=143).outcome == "completed"
        hs.set_hs_record(s, sid, credits_total=144)
        c = check(s, sid, exams={"语文": "A", "数学": "不合格"})
        assert c.outcome == "completed" and by_rule(c.findings, "GRAD.HS.ZK")[0].article == "周口 第十九条, 第二十条"
        # Henan has no required/elective split: 0 required credits do not matter
        assert check(s, sid, exams=ZK_OK["exams"], credits_required=0).outcome == "graduated"


def test_graduating_a_shanxi_class_mixes_outcomes_and_needs_every_record(cz):
    s = cz
    hs.set_hs_record(s, s.ids[0], **CZ_OK)
    hs.set_hs_record(s, s.ids[1], **{**CZ_OK, "credits_total": 143})
    hs.set_hs_record(s, s.ids[2], **{**CZ_OK, "period_complete": "no"})
    f = refused(P.graduate, s, s.cid)
    missing = by_rule(f, "GRAD.HS.CZ.RECORD")
    assert [x.params["student_id"] for x in missing] == [s.ids[3]]
    assert s.conn.execute("SELECT COUNT(*) FROM status_events WHERE kind = 'graduate'").fetchone()[0] == 0
    hs.set_hs_record(s, s.ids[3], **{**CZ_OK, "credits_school": 5})
    r = P.graduate(s, s.cid, date=dt.date(2027, 6, 30))
    assert [p["outcome"] for p in r.per_student] == ["graduated", "completed", "left_incomplete", "completed"]
    assert r.per_student[1]["reasons"] and r.per_student[0]["reasons"] == []
    ev = {e[0]: (e[1], e[2]) for e in s.conn.execute(
        "SELECT student_id, to_state, transition FROM status_events WHERE kind = 'graduate'")}
    assert ev[s.ids[0]] == ("graduated", "T37") and ev[s.ids[1]] == ("completed", "T38")
    assert ev[s.ids[2]] == ("left_incomplete", "T38")


def test_record_input_is_validated_and_versions_kept(cz):
    sid = cz.ids[0]
    f = refused(hs.set_hs_record, cz, sid, credits_total="abc", evaluation="maybe")
    assert {x.field for x in f} == {"总学分", "综合素质评价"}
    assert hs.get_hs_record(cz, sid) is None
    hs.set_hs_record(cz, sid, credits_total="144", evaluation="合格", exams="语文:a，数学：B")
    hs.set_hs_record(cz, sid, credits_total=150)
    rec = hs.get_hs_record(cz, sid)
    assert rec["credits_total"] == 150 and rec["evaluation"] == "pass" and rec["exams"] == {"语文": "A", "数学": "B"}
    n = cz.conn.execute("SELECT COUNT(*) FROM hs_record_versions WHERE student_id = ?", (sid,)).fetchone()[0]
    assert n == 2


def _sheet(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


HEAD = ["身份证件号", "姓名", "总学分", "必修学分", "选修学分", "校本选修学分", "综合素质评价", "体育合格标准",
        "劳动与社会实践", "语文", "数学"]


def test_import_class_sheet_and_check(cz, tmp_path):
    s = cz
    idn = dict(s.conn.execute("SELECT id, id_number FROM students").fetchall())
    rows = [HEAD]
    for i, sid in enumerate(s.ids):
        rows.append([idn[sid], "", 144 - (i == 1), 116, 22, 6, "合格", "合格", "已完成", "A", "B" if i != 2 else "D"])
    r = hs.import_hs_records(s, _sheet(tmp_path / "高三1班.xlsx", rows))
    assert r["rows"] == 4 and r["subjects"] == ["数学", "语文"]
    outs = [hs.evaluate(s, sid).outcome for sid in s.ids]
    assert outs == ["graduated", "completed", "completed", "graduated"]


def test_import_with_a_bad_cell_stores_nothing(cz, tmp_path):
    s = cz
    idn = dict(s.conn.execute("SELECT id, id_number FROM students").fetchall())
    rows = [HEAD, [idn[s.ids[0]], "", 144, 116, 22, 6, "合格", "合格", "已完成", "A", "A"],
            [idn[s.ids[1]], "", "一百", 116, 22, 6, "合格", "也许", "已完成", "A", "A"],
            ["110105200001010000", "", 144, 116, 22, 6, "合格", "合格", "已完成", "A", "A"]]
    f = refused(hs.import_hs_records, s, _sheet(tmp_path / "bad.xlsx", rows))
    where = sorted((x.row, x.params.get("column")) for x in f)
    assert where == [(3, "C"), (3, "H"), (4, "A")]
    assert s.conn.execute("SELECT COUNT(*) FROM hs_records").fetchone()[0] == 0


def test_import_by_name_within_a_class(cz, tmp_path):
    s = cz
    names = [r[0] for r in s.conn.execute("SELECT name FROM students ORDER BY id")]
    rows = [["姓名", "总学分"], [names[0], 144], [names[1], 120]]
    r = hs.import_hs_records(s, _sheet(tmp_path / "n.xlsx", rows), class_id=s.cid)
    assert r["rows"] == 2
    assert hs.get_hs_record(s, s.ids[1])["credits_total"] == 120
    f = refused(hs.import_hs_records, s, _sheet(tmp_path / "n2.xlsx", rows))  # no class: names are not enough
    assert f[0].code == "hs.no_id_column"


def test_cli_hs_record_import_and_show(cz, tmp_path, capsys):
    import json

    from app.cli import main

    s = cz
    idn = dict(s.conn.execute("SELECT id, id_number FROM students").fetchall())
    folder = s.folder
    bad = _sheet(tmp_path / "bad.xlsx", [HEAD, [idn[s.ids[0]], "", 144, 116, 22, 6, "合格", "合格", "不知道", "A", "A"]])
    good = _sheet(tmp_path / "good.xlsx", [HEAD, [idn[s.ids[0]], "", 144, 116, 22, 6, "合格", "合格", "已完成", "A", "A"]])
    s.close()
    assert main(["--archive", str(folder), "--json", "hs-record", "import", str(bad)]) == 1
    j = json.loads(capsys.readouterr().out)
    assert j["ok"] is False and (j["errors"][0]["row"], j["errors"][0]["column"], j["errors"][0]["field"]) == (
        2, "I", "劳动与社会实践")
    assert main(["--archive", str(folder), "--json", "hs-record", "import", str(good)]) == 0
    j = json.loads(capsys.readouterr().out)
    assert j["rows"] == 1
    assert main(["--archive", str(folder), "--json", "hs-record", "show", str(idn[s.ids[0]])]) == 0
    j = json.loads(capsys.readouterr().out)
    assert j["outcome"] == "graduated" and j["record"]["credits_total"] == 144 and j["reasons"] == []


def test_import_merges_a_combined_exam_column_with_subject_columns(cz, tmp_path):
    from app.promotion.hs_records import field_label

    s = cz
    idn = dict(s.conn.execute("SELECT id, id_number FROM students").fetchall())
    rows = [["身份证件号", field_label("exams"), "物理"],
            [idn[s.ids[0]], "语文:A，数学：B", "c"],
            [idn[s.ids[1]], "", "D"]]
    r = hs.import_hs_records(s, _sheet(tmp_path / "mixed.xlsx", rows))
    assert r["rows"] == 2
    assert hs.get_hs_record(s, s.ids[0])["exams"] == {"语文": "A", "数学": "B", "物理": "C"}
    assert hs.get_hs_record(s, s.ids[1])["exams"] == {"物理": "D"}
