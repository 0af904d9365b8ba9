"""The status-change forms (学籍异动申请表) printed from their templates on real archives: the change service
records the change, the form is rendered and read back with pdfplumber — each field's text inside its
template box — the title and corner note the profile names, the signing parties its rules name with the
decisions recorded, the CLI's shapes and exit codes, and a page rendered to an image that is not blank."""
from __future__ import annotations

import datetime as dt
import json

import pdfplumber
import pytest

from app.printing import service as ps
from app.changes.service import ChangeRequest, apply_change
from app.cli import main
from app.printing import change_forms as forms
from app.printing import documents as docs
from app.printing.renderer import template_for
from app.printing.engine import fill
from app.printing.template import PrintRefused
from tests.helpers import add, birth_for_grade, make_id, new_class, new_school

MM = 72 / 25.4
D = dt.date


def change(s, kind, sid, date, **kw):
    kw.setdefault("reason", "随父母工作调动")
    return apply_change(s, ChangeRequest(kind=kind, student_id=sid, date=date, acknowledge_warnings=True, **kw)).event_id


@pytest.fixture
def school(tmp_path):
    s = new_school(tmp_path, sub="cf")
    s.g8 = new_class(s, 8)
    s.g11 = new_class(s, 11)
    s.ids = []
    for i, (cid, grade, name) in enumerate(((s.g8, 8, "王䶮"), (s.g8, 8, "李𠮷"), (s.g11, 11, "孙喆"), (s.g8, 8, "钱堃"))):
        r = add(s, cid, name, make_id(birth_for_grade(grade, i), 300 + i, "1" if i % 2 else "2"),
                native_place="河南省周口市", current_address="周口市川汇区七一路8号", xueji_no="G" + make_id(birth_for_grade(grade, i), 300 + i, "1" if i % 2 else "2"),
                members=[{"seq": 1, "name": name[0] + "建国", "relation": "1", "phone": "13800000001",
                          "employer": "周口市建筑公司"}])
        s.ids.append(r.id)
    yield s
    s.close()


def words(path, page=0):
    with pdfplumber.open(str(path)) as pdf:
        p = pdf.pages[page]
        return p, "".join((p.extract_text() or "").split())


def text_in_box(path, x, y, w, h, page=0) -> str:
    """The text pdfplumber finds inside the template box (mm from the top-left corner), ±0.5 mm."""
    x0, y0, x1, y1 = (x - 0.5) * MM, (y - 0.5) * MM, (x + w + 0.5) * MM, (y + h + 0.5) * MM
    with pdfplumber.open(str(path)) as pdf:
        chars = [c for c in pdf.pages[page].chars
                 if x0 <= (c["x0"] + c["x1"]) / 2 <= x1 and y0 <= (c["top"] + c["bottom"]) / 2 <= y1]
    chars.sort(key=lambda c: (round((c["top"] + c["bottom"]) / 2), c["x0"]))  # lines top down, left to right
    return "".join(c["text"] for c in chars if not c["text"].isspace())


def assert_fields_in_place(s, eid, path, family):
    """Every text element's filled text is found inside its own box on the page (nothing outside it)."""
    t = template_for("change-form", family)
    ctx = docs.Context(s)
    doc = forms.change_doc(ctx, eid)
    checked = 0
    for e in t.elements:
        if e.type != "text":
            continue
        want = "".join(fill(e.text, doc.record, e.blank).split())
        if not want:
            continue
        assert text_in_box(path, e.x, e.y, e.w, e.h) == want, (e.id, want)
        checked += 1
    return doc, checked


def test_transfer_form_fields_parties_and_decisions(school, tmp_path):
    eid = change(school, "transfer-out", school.ids[0], D(2025, 10, 9), to_school="郑州市第一中学",
                 evidence=["户口迁移证明"],
                 approvals=[{"party": "转出学校", "decision": "approved", "decided_by": "王校长",
                             "decided_on": "2025-10-10", "doc_number": "川教学〔2025〕12号"}])
    out = tmp_path / "t.pdf"
    res = ps.print_change_form(school, eid, out)
    assert res.pages == 1 and res.kind == "change-form" and res.students == 1
    doc, checked = assert_fields_in_place(school, eid, out, "transfer")
    assert checked >= 20
    rec = doc.record
    assert (rec["form_title"], rec["name"], rec["to_school"], rec["event_date"], rec["event_no"]) == \
        ("转学联系表", "王䶮", "郑州市第一中学", "2025-10-09", str(eid))
    assert rec["from_school"] == rec["school_name"] and rec["m1_name"] == "王建国"
    assert "户口迁移证明" in rec["evidence_text"]
    _, text = words(out)
    for needle in ("转学联系表", "王䶮", "郑州市第一中学", "2025年10月9日", "随父母工作调动", "户口迁移证明",
                   "申请人（监护人）签字", "王建国", "周口市建筑公司"):
        assert needle in text, needle
    # the signing parties: the form's own, then the national rule's (国家 第十四条), decisions filled in
    assert [r["party"] for r in doc.rows] == ["转出学校", "转入学校", "转入学校学籍主管部门", "转出学校学籍主管部门"]
    first = doc.rows[0]
    assert (first["decision"], first["decided_by"], first["doc_number"], first["decided_on_text"]) == \
        ("同意", "王校长", "川教学〔2025〕12号", "2025年10月10日")
    assert doc.rows[1]["decision"] == "" and "年" in doc.rows[1]["decided_on_text"]  # dated by hand
    table = next(e for e in template_for("change-form", "transfer").elements if e.type == "table")
    row_y = table.y + table.header_h
    x = table.x
    for col in table.columns:  # the recorded decision sits in the first row under its column
        got = text_in_box(out, x, row_y, col["w"], table.row_h)
        assert got == "".join(fill(col["text"], first).split()), col["header"]
        x += col["w"]


def test_suspend_resume_withdraw_abroad_each_print_their_own_form(school, tmp_path):
    sid = school.ids[1]
    e1 = change(school, "suspend", sid, D(2025, 10, 9), reason="因病住院治疗", details={"until": "2026-07-10"},
                evidence=["监护人书面申请", "县级以上医院证明"])
    e2 = change(school, "resume", sid, D(2026, 3, 2), reason="病愈复学")
    e3 = change(school, "withdraw", school.ids[2], D(2025, 11, 3), reason="出国定居", to_school="加拿大",
                details={"cause": "emigration"}, evidence=["护照复印件", "居民户口簿复印件"])
    e4 = change(school, "abroad", school.ids[3], D(2025, 11, 3), reason="随父母出国", to_school="新加坡", evidence=["护照"])
    expect = {e1: ("suspend", "休学复学申请表", ["2025年10月9日至2026年7月10日", "因病住院治疗", "县级以上医院证明"]),
              e2: ("suspend", "休学复学申请表", ["2025年10月9日至2026年3月2日", "复学"]),
              e3: ("withdraw", "退学申请表", ["加拿大", "出国定居", "护照复印件"]),
              e4: ("abroad", "出国（出境）申请表", ["新加坡", "随父母出国"])}
    for eid, (family, title, needles) in expect.items():
        out = tmp_path / f"f{eid}.pdf"
        ps.print_change_form(school, eid, out)
        doc, checked = assert_fields_in_place(school, eid, out, family)
        assert checked >= 18 and doc.stage == family
        _, text = words(out)
        assert text.startswith(title) or title in text[:40], text[:40]
        for n in needles:
            assert n in text, (title, n)
    # suspend's signing parties from the national rule (国家 第十九条)
    assert [r["party"] for r in forms.change_doc(docs.Context(school), e1).rows] == ["学校", "学籍主管部门"]
    # one PDF with several forms, in the order asked
    out = tmp_path / "all.pdf"
    res = ps.print_document(school, "change-form", out, event_ids=[e3, e1])
    with pdfplumber.open(str(out)) as pdf:
        texts = ["".join((p.extract_text() or "").split()) for p in pdf.pages]
    assert res.pages == 2 and "退学申请表" in texts[0] and "休学复学申请表" in texts[1]


def test_a_change_without_a_form_and_a_student_without_one_are_refused(school, tmp_path):
    eid = change(school, "missing", school.ids[0], D(2025, 10, 9), reason="离家出走，已报警")
    with pytest.raises(PrintRefused) as exc:
        ps.print_change_form(school, eid, tmp_path / "x.pdf")
    assert exc.value.findings[0].code == "PRINT.NO_FORM" and not (tmp_path / "x.pdf").exists()
    with pytest.raises(PrintRefused) as exc:
        ps.print_document(school, "change-form", tmp_path / "y.pdf", student_ids=[school.ids[3]])
    assert exc.value.findings[0].code == "PRINT.NO_CHANGE_EVENT" and "钱堃" in exc.value.findings[0].message
    assert ps.latest_change_event(school, school.ids[0]) is None  # 失踪 has no form


def test_shanxi_jiedu_form_title_corner_note_and_approving_authority(tmp_path):
    s = new_school(tmp_path, profile="shanxi-changzhi", sub="sx")
    try:
        cid = new_class(s, 8)
        sid = add(s, cid, "周珺", make_id(birth_for_grade(8, 1), 401)).id
        eid = change(s, "jiedu-out", sid, D(2025, 10, 9), reason="父母双方出国工作一年以上", to_school="长治市第二中学",
                     grade=8, details={"cause": "parents_abroad"},
                     evidence=["山西省中小学生借读申请表", "所在单位证明", "原校证明", "亲属户籍证明", "原校学籍基础信息表复印件"])
        out = tmp_path / "j.pdf"
        ps.print_change_form(s, eid, out)
        doc, checked = assert_fields_in_place(s, eid, out, "jiedu")
        assert checked >= 18
        assert (doc.record["form_title"], doc.record["form_note"]) == ("山西省中小学生借读申请表", "附件9")
        assert doc.record["target_class"] == "八年级" and doc.record["to_school"] == "长治市第二中学"
        assert [r["party"] for r in doc.rows] == ["原就读学校", "借读学校", "借读学校教育主管部门"]  # 长治 第二十六条
        assert text_in_box(out, 15, 7, 120, 5) == "附件9"
    finally:
        s.close()


def test_liaoning_transfer_lists_its_four_parties(tmp_path):
    s = new_school(tmp_path, profile="liaoning", sub="ln")
    try:
        cid = new_class(s, 8)
        sid = add(s, cid, "赵龑", make_id(birth_for_grade(8, 2), 402)).id
        eid = change(s, "transfer-out", sid, D(2025, 10, 9), to_school="沈阳市第一中学")
        doc = forms.change_doc(docs.Context(s), eid)
        assert doc.record["form_title"] == "辽宁省义务教育阶段学生转学联系表"
        assert [r["party"] for r in doc.rows] == ["转出学校", "转入学校", "转入学校主管教育行政部门",
                                                  "转出学校主管教育行政部门"]
    finally:
        s.close()


def run(capsys, *argv):
    capsys.readouterr()
    rc = main([str(a) for a in argv])
    out = capsys.readouterr().out
    return rc, (json.loads(out) if "--json" in argv else out)


def test_cli_change_form_shapes_and_exit_codes(school, tmp_path, capsys):
    x = ("--archive", school.folder, "--json")
    school.close()
    from app.core.session import Session

    s = Session.open(x[1])
    try:
        eid = change(s, "abroad", s_ids(s)[0], D(2025, 11, 3), reason="随父母出国", to_school="新加坡", evidence=["护照"])
        idn = dict(s.conn.execute("SELECT name, id_number FROM students"))
    finally:
        s.close()
    out = tmp_path / "cli" / "form.pdf"
    rc, obj = run(capsys, *x, "print", "change-form", "--event", eid, "-o", out)
    assert rc == 0, obj
    assert obj["ok"] is True and obj["kind"] == "change-form" and obj["pages"] == 1
    assert obj["path"] == str(out) and out.exists() and obj["warnings"] == []
    rc, obj = run(capsys, *x, "print", "change-form", "--student", idn["王䶮"], "-o", tmp_path / "s.pdf")
    assert rc == 0, obj
    assert obj["pages"] == 1
    assert "出国（出境）申请表" in words(tmp_path / "s.pdf")[1]
    rc, obj = run(capsys, *x, "print", "change-form", "--event", 99999, "-o", tmp_path / "n.pdf")
    assert rc == 1 and obj["ok"] is False and obj["errors"][0]["message"]
    assert not (tmp_path / "n.pdf").exists()
    rc, obj = run(capsys, *x, "print", "change-form", "--student", idn["李𠮷"], "-o", tmp_path / "m.pdf")
    assert rc == 1 and obj["errors"][0]["code"] == "PRINT.NO_CHANGE_EVENT"
    assert set(obj["errors"][0]) == {"code", "field", "row", "message", "rule", "article", "outcome"}
    rc, obj = run(capsys, *x, "print", "diploma", "--event", eid, "-o", tmp_path / "d.pdf")
    assert rc == 2 and obj["ok"] is False
    rc, obj = run(capsys, *x, "print", "change-form", "--event", eid, "--class-id", 1, "-o", tmp_path / "c.pdf")
    assert rc == 2
    rc, text = run(capsys, "--archive", x[1], "print", "change-form", "--event", eid, "-o", tmp_path / "t.pdf")
    assert rc == 0 and "t.pdf" in text


def s_ids(s):
    return [r[0] for r in s.conn.execute("SELECT id FROM students ORDER BY id")]


def test_form_page_rendered_to_an_image_is_not_blank(school, tmp_path):
    import pypdfium2 as pdfium

    eid = change(school, "transfer-out", school.ids[0], D(2025, 10, 9), to_school="郑州市第一中学")
    out = tmp_path / "img.pdf"
    ps.print_change_form(school, eid, out)
    pdf = pdfium.PdfDocument(str(out))
    img = pdf[0].render(scale=0.5).to_pil().convert("L")
    dark = sum(1 for v in img.tobytes() if v < 128)
    assert dark > 0.01 * img.width * img.height  # text and the grid, not an empty sheet
    assert abs(pdf[0].get_size()[0] / MM - 210) < 0.5 and abs(pdf[0].get_size()[1] / MM - 297) < 0.5
    pdf.close()


def test_certificate_states_come_from_the_certificate_rules(school):
    for kind in ("diploma", "completion-certificate", "incomplete-certificate", "study-certificate"):
        rule = next(r for r in school.profile.rules_for(f"cert.{kind}") if r.check == "cert_final_state")
        assert docs.kind_states(school, kind) == tuple(rule.params["states"][kind])
    rule = next(r for r in school.profile.rules_for("cert.education-certificate") if r.check == "cert_graduated_here")
    assert docs.kind_states(school, "education-certificate") == tuple(rule.params["states"])
    assert docs.kind_states(school, "class-roster") is None


def test_headings_print_in_the_sans_face_and_rare_characters_fall_back(school, tmp_path):
    """hei = Noto Sans SC converted to TrueType outlines (embedded, subset); 𠮷, which it lacks, is drawn by
    LXGW WenKai; the fields stay in the Song face."""
    sid = school.ids[1]  # 李𠮷
    eid = change(school, "transfer-out", sid, D(2025, 10, 9), to_school="郑州市第一中学")
    out = tmp_path / "hei.pdf"
    ps.print_change_form(school, eid, out)
    with pdfplumber.open(str(out)) as pdf:
        chars = pdf.pages[0].chars
    heading = [c for c in chars if c["text"] in "学生基本情况" and c["top"] < 40 * MM and c["top"] > 33 * MM]
    assert heading and all("NotoSansSC" in c["fontname"] and "+" in c["fontname"] for c in heading)
    rare = [c for c in chars if c["text"] == "𠮷"]
    assert rare and all("LXGWWenKai" in c["fontname"] for c in rare)
    li = [c for c in chars if c["text"] == "李"]
    assert li and all("NotoSerifSC" in c["fontname"] for c in li)
