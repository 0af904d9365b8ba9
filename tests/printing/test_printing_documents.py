"""Every document kind from a real archive: what it says, which students, how it pages.

PDFs are written to tmp_path and read back with pdfplumber; status events are written with plain SQL
into the real status_events table (migration 0004), as the status-change service will."""
from __future__ import annotations

import pdfplumber
import pytest

from app.photos import service as photo_service
from app.printing.renderer import KINDS, render, template_for
from app.printing.engine import rows_per_page
from tests.helpers import add, birth_for_grade, make_id, new_class, new_school
from tests.printing.test_printing_engine import jpeg

YEAR = 2025  # the 2025/26 school year the helpers' classes are in


def pdf_text(path) -> list[str]:
    with pdfplumber.open(str(path)) as pdf:
        return [p.extract_text() or "" for p in pdf.pages]


def flat(path) -> str:
    return "".join("".join(t.split()) for t in pdf_text(path))


@pytest.fixture
def school(tmp_path):
    s = new_school(tmp_path, principal="李校长", address="甘肃省临夏州临夏市红园路1号")
    s.cls = {}
    s.by_name = {}
    plan = [(6, "primary", ["小明", "小红"]), (9, "junior", ["李𠮷", "钱堃"]), (10, "senior", ["孙喆", "周珺", "王䶮"]),
            (12, "senior", ["赵龑"])]
    n = 0
    for grade, stage, names in plan:
        cid = new_class(s, grade)
        s.cls[grade] = cid
        for name in names:
            idn = make_id(birth_for_grade(grade, n), 200 + n, "1" if n % 2 else "2")
            entry = {6: "202009", 9: "202309", 10: "202509", 12: "202309"}[grade]
            r = add(s, cid, name, idn, native_place="甘肃省临夏州", entry_ym=entry, xueji_no="G" + idn,
                    seat_no=str(n + 1),
                    members=[{"seq": 1, "name": name[0] + "建国", "relation": "1", "phone": "13800000000"}])
            s.by_name[name] = r.id
            photo_service.set_photo(s, r.id, jpeg())
            n += 1
    yield s
    s.close()


def selection(s, kind):
    ids = list(s.by_name.values())
    if kind in ("diploma", "completion-certificate", "incomplete-certificate", "study-certificate",
                "education-certificate", "basic-info-form", "folder-label", "folder-contents"):
        return {"student_ids": ids}
    if kind == "class-roster":
        return {"class_id": s.cls[10]}
    if kind == "change-form":  # a status change recorded by the change service, its form printed
        import datetime as dt

        from app.changes.service import ChangeRequest, apply_change

        r = apply_change(s, ChangeRequest("suspend", s.by_name["王䶮"], date=dt.date(2025, 10, 9), reason="因病住院治疗",
                                          evidence=["监护人书面申请"], details={"until": "2026-07-10"},
                                          acknowledge_warnings=True))
        return {"event_ids": [r.event_id]}
    if kind == "issuance-register":
        return {"register_rows": [{"number": "N1", "kind": "diploma", "name": "小明", "issued_at": "2026-07-01",
                                   "event": "issue", "reason": "", "verified": False}]}
    return {"school_year": YEAR}


@pytest.mark.parametrize("kind", [k for k in KINDS])
def test_every_kind_renders_real_pages(school, tmp_path, kind):
    out = tmp_path / f"{kind}.pdf"
    res = render(school, kind, out, issue_date="2026-07-01", **selection(school, kind))
    pages = pdf_text(out)
    assert res.pages == len(pages) >= 1
    assert all(p.strip() for p in pages)
    assert not [w for w in res.warnings if w.code == "PRINT.NO_PHOTO"]


def test_diploma_template_follows_the_class_stage(school, tmp_path):
    out = tmp_path / "d.pdf"
    ids = [school.by_name[n] for n in ("小明", "李𠮷", "孙喆")]
    render(school, "diploma", out, student_ids=ids, numbers={i: f"N{i}" for i in ids})
    pages = ["".join(p.split()) for p in pdf_text(out)]
    assert "小学毕业证书" in pages[0] and "小明" in pages[0]
    assert "初中毕业证书" in pages[1] and "李𠮷" in pages[1]
    assert "普通高中毕业证书" in pages[2] and "孙喆" in pages[2]
    assert f"N{ids[1]}" in pages[1]
    assert "二〇二" in pages[0]


def test_education_certificate_has_stub_and_main_with_one_number(school, tmp_path):
    sid = school.by_name["赵龑"]
    out = tmp_path / "e.pdf"
    render(school, "education-certificate", out, student_ids=[sid], numbers={sid: "晋高2026字第0007"},
           values={sid: {"original_number": "GZ2025-118"}}, issue_date="2026-03-05")
    text = flat(out)
    assert "学历证明书（存根）" in text and "学历证明书" in text.replace("学历证明书（存根）", "")
    assert text.count("晋高2026字第0007") == 2
    assert text.count("GZ2025-118") == 2
    assert "具有与毕业证书同等效力" in text and "主管教育行政部门验印" in text
    assert "赵龑" in text and "二〇二六年三月五日" in text


def test_completion_and_incomplete_certificates_have_stubs(school, tmp_path):
    sid = school.by_name["周珺"]
    for kind, word in (("completion-certificate", "准予结业"), ("incomplete-certificate", "准予肄业")):
        out = tmp_path / f"{kind}.pdf"
        render(school, kind, out, student_ids=[sid], numbers={sid: "JY-0001"})
        text = flat(out)
        assert "（存根）" in text and text.count("JY-0001") == 2 and word in text and "周珺" in text


def test_blank_values_print_a_line_for_handwriting(school, tmp_path):
    sid = school.by_name["赵龑"]
    out = tmp_path / "blank.pdf"
    render(school, "education-certificate", out, student_ids=[sid])
    assert "原毕业证书号码＿＿＿＿＿" in flat(out)


def test_gansu_registration_register_has_the_exact_columns_sorted_by_number(school, tmp_path):
    out = tmp_path / "reg.pdf"
    render(school, "hs-registration-register", out, school_year=YEAR)
    t = template_for("hs-registration-register")
    table = next(e for e in t.elements if e.type == "table")
    assert [c["header"] for c in table.columns] == ["学号", "姓名", "准考证号", "性别", "民族", "出生日期", "身份证号",
                                                    "高中就读学校", "中考成绩"]
    with pdfplumber.open(str(out)) as pdf:
        rows = pdf.pages[0].extract_table()
    assert rows[0] == ["学号", "姓名", "准考证号", "性别", "民族", "出生日期", "身份证号", "高中就读学校", "中考成绩"]
    body = rows[1:]
    assert {r[1] for r in body} == {"孙喆", "周珺", "王䶮"}          # the new grade-10 students only
    numbers = [r[0] for r in body]
    assert numbers == sorted(numbers)
    assert all(r[7] == "测试学校" for r in body)
    text = flat(out)
    assert "说明：按学号顺序由小到大排列。" in text and "填表单位（盖章）" in text


def test_gansu_approval_form_wording(school, tmp_path):
    out = tmp_path / "appr.pdf"
    render(school, "hs-registration-approval", out, school_year=YEAR)
    text = flat(out)
    for words in ("普通高中新生学籍注册审批表", "学校名称：测试学校", "州、县下达普通高中招生计划", "学校实际招生人数：3",
                  "学校申请注册学籍人数：3", "申请注册学号：自", "号终", "学校负责人(签名)", "初中毕业生总人数",
                  "教育局下达普通高中招生计划", "同意申请注册学籍人数", "县(市)教育局负责人(签名)",
                  "名学生注册甘肃省普通高中学籍", "负责人(签字)"):
        assert words in text, words


def test_class_roster_pages_break_and_repeat_the_header(tmp_path):
    s = new_school(tmp_path, principal="王校长")
    cid = new_class(s, 3, capacity=100)
    for i in range(45):
        add(s, cid, "班" + "甲乙丙丁戊己庚辛壬癸"[i % 10] + "一二三四五"[i // 10], make_id(birth_for_grade(3, i), i, "1"),
            seat_no=str(i + 1))
    out = tmp_path / "roster.pdf"
    res = render(s, "class-roster", out, class_id=cid)
    per = rows_per_page(next(e for e in template_for("class-roster").elements if e.type == "table"))
    pages = ["".join(p.split()) for p in pdf_text(out)]
    assert res.pages == len(pages) == -(-45 // per) >= 2
    for n, p in enumerate(pages, start=1):
        assert "在校生分班名册" in p and "序号" in p and "身份证件号" in p
        assert f"第{n}页／共{len(pages)}页" in p
    assert pages[-1].count("班") >= 45 - per * (len(pages) - 1)
    assert "人数：45" in pages[0]
    s.close()


def _event(s, sid, kind, from_state, to_state, date, reason="", details="{}"):
    with s.transaction() as conn:
        conn.execute("INSERT INTO status_events (student_id, kind, from_state, to_state, effective_date, recorded_at, "
                     "reason, details, from_class_id, to_class_id) VALUES (?, ?, ?, ?, ?, datetime('now'), ?, ?, "
                     "(SELECT class_id FROM students WHERE id = ?), (SELECT class_id FROM students WHERE id = ?))",
                     (sid, kind, from_state, to_state, date, reason, details, sid, sid))


def test_change_register_lists_gains_and_losses_of_the_school_year(school, tmp_path):
    out = tmp_path / "before.pdf"
    render(school, "change-register", out, school_year=YEAR)
    with pdfplumber.open(str(out)) as pdf:
        enrolled = [r for r in pdf.pages[0].extract_table()[1:] if r[0]]
    # the enrolments of the year are gains: the grade-10 intake entered 2025-09
    assert sorted(r[4] for r in enrolled) == ["周珺", "孙喆", "王䶮"] and {r[7] for r in enrolled} == {"增加"}

    _event(school, school.by_name["钱堃"], "transfer-out", "enrolled", "transferred", "2025-10-15", "随父母工作调动",
           '{"to_school": "兰州市第一中学"}')
    _event(school, school.by_name["小红"], "suspend", "enrolled", "suspended", "2026-03-01", "因病休学")
    _event(school, school.by_name["小红"], "resume", "suspended", "enrolled", "2026-06-01", "康复复学")
    _event(school, school.by_name["小明"], "transfer-out", "enrolled", "transferred", "2024-05-01")  # other year
    out = tmp_path / "changes.pdf"
    render(school, "change-register", out, school_year=YEAR)
    with pdfplumber.open(str(out)) as pdf:
        rows = pdf.pages[0].extract_table()
    body = [r for r in rows[1:] if r[0] and r[4] in ("钱堃", "小红", "小明")]
    assert [r[4] for r in body] == ["钱堃", "小红", "小红"]
    assert [r[7] for r in body] == ["减少", "减少", "增加"]
    assert body[0][1] == "2025-10-15" and "兰州市第一中学" in body[0][10] and "随父母工作调动" in body[0][9]
    assert "记录：6条（增加4，减少2）" in flat(out)
    assert "转出（在读→转出）" in "".join(body[0][8].split())


def test_graduate_roster_uses_the_graduation_events_when_recorded(school, tmp_path):
    out = tmp_path / "g0.pdf"
    render(school, "graduate-roster", out, school_year=YEAR)  # nothing recorded yet: the graduating grades
    text = flat(out)
    assert "小明" in text and "李𠮷" in text and "赵龑" in text and "孙喆" not in text
    sid = school.by_name["赵龑"]
    with school.transaction() as conn:
        conn.execute("UPDATE students SET status = 'graduated' WHERE id = ?", (sid,))
    _event(school, sid, "graduate", "enrolled", "graduated", "2026-06-30")
    out = tmp_path / "g1.pdf"
    render(school, "graduate-roster", out, school_year=YEAR, numbers={sid: "GZ-2026-0001"})
    text = flat(out)
    assert "赵龑" in text and "小明" not in text and "GZ-2026-0001" in text and "202606" in text and "毕业" in text


def test_folder_label_and_contents(school, tmp_path):
    sid = school.by_name["王䶮"]
    _event(school, sid, "suspend", "enrolled", "suspended", "2025-11-02", "因病休学")
    out = tmp_path / "label.pdf"
    render(school, "folder-label", out, student_ids=[sid])
    xjh = school.conn.execute("SELECT xueji_no FROM students WHERE id = ?", (sid,)).fetchone()[0]
    text = flat(out)
    assert "王䶮" in text and xjh in text
    import pypdfium2 as pdfium

    e = next(e for e in template_for("folder-label").elements if e.type == "qr")
    pdf = pdfium.PdfDocument(str(out))
    img = pdf[0].render(scale=300 / 72).to_pil().convert("L")
    pdf.close()
    px = 300 / 25.4
    qr = img.crop((int(e.x * px), int(e.y * px), int((e.x + e.w) * px), int((e.y + e.w) * px)))
    dark = sum(qr.histogram()[:128]) / (qr.width * qr.height)
    assert 0.3 < dark < 0.7  # QR modules: about half dark
    corner = qr.crop((0, 0, qr.width // 8, qr.height // 8))   # inside the top-left finder pattern
    assert sum(corner.histogram()[:128]) / (corner.width * corner.height) > 0.6
    # the printed modules are the code of the student's key, module for module
    from reportlab.graphics.barcode import qrencoder

    q = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    q.addData(f"XUEJI|4116020001|{sid}|{xjh}")
    q.make()
    n = q.getModuleCount()
    cell = qr.width / n
    printed = [[qr.getpixel((int((c + 0.5) * cell), int((r + 0.5) * cell))) < 128 for c in range(n)] for r in range(n)]
    assert printed == [[bool(v) for v in row] for row in q.modules]
    out = tmp_path / "contents.pdf"
    render(school, "folder-contents", out, student_ids=[sid])
    text = flat(out)
    for words in ("学生学籍档案卷内目录", "学生基本信息表", "学生照片", "学籍变动：休学（在读→休学）", "学籍信息变更记录"):
        assert words in text, words


def test_basic_info_form_is_prefilled_for_the_guardian(school, tmp_path):
    sid = school.by_name["周珺"]
    out = tmp_path / "form.pdf"
    render(school, "basic-info-form", out, student_ids=[sid])
    text = flat(out)
    for words in ("学生基本信息表", "周珺", "周建国", "13800000000", "甘肃省临夏州", "监护人签字", "班主任签字",
                  "学生个人基础信息", "家庭成员或监护人信息"):
        assert words in text, words


def test_issuance_register_prints_the_rows_it_is_given(school, tmp_path):
    rows = [{"number": "2026-C-0001", "kind": "diploma", "name": "小明", "issued_at": "2026-07-01T10:00:00",
             "event": "issue", "reason": "", "verified": False},
            {"number": "2026-C-0001", "kind": "diploma", "name": "小明", "issued_at": "2026-07-02",
             "event": "reprint", "reason": "打印错位", "verified": False},
            {"number": "2026-E-0001", "kind": "education-certificate", "name": "赵龑", "issued_at": "2026-08-01",
             "event": "void", "reason": "空白证书污损", "verified": True}]
    out = tmp_path / "reg.pdf"
    res = render(school, "issuance-register", out, register_rows=rows)
    with pdfplumber.open(str(out)) as pdf:
        table = pdf.pages[0].extract_table()
    body = [r for r in table[1:] if r[0]]
    assert [r[1] for r in body] == ["2026-C-0001", "2026-C-0001", "2026-E-0001"]
    assert [r[2] for r in body] == ["毕业证书", "毕业证书", "学历证明书"]
    assert [r[5] for r in body] == ["发放", "重印", "作废"]
    assert [r[7] for r in body] == ["否", "否", "是"]
    assert body[0][4] == "2026-07-01" and "空白证书污损" in body[2][6]
    assert res.pages == 1


def test_a_class_selection_prints_each_student_once_in_seat_order(school, tmp_path):
    out = tmp_path / "cls.pdf"
    res = render(school, "folder-label", out, class_id=school.cls[10])
    pages = ["".join(p.split()) for p in pdf_text(out)]
    assert res.students == 3 and [p[p.find("测试学校") + 4:][:2] for p in pages] == ["孙喆", "周珺", "王䶮"]


def test_students_can_be_named_by_id_number_or_xueji_number(school, tmp_path):
    sid = school.by_name["钱堃"]
    idn, xjh = school.conn.execute("SELECT id_number, xueji_no FROM students WHERE id = ?", (sid,)).fetchone()
    out = tmp_path / "by.pdf"
    res = render(school, "folder-label", out, student_ids=[idn, xjh, str(sid)])
    assert res.pages == 3 and flat(out).count("钱堃") == 3
    from app.core.errors import NotFound

    with pytest.raises(NotFound):
        render(school, "folder-label", out, student_ids=["110105200001010000"])


def test_a_masked_roster_prints_no_full_id_number_and_certificates_refuse_masking(tmp_path):
    """A roster for a head teacher or a notice board: ``mask_ids`` prints every ID number and 学籍号 masked
    (国家 第二十五条); the print's audit entry says so; a certificate cannot be masked."""
    from app.audit import log as audit
    from app.printing import service as print_service
    from app.core.errors import Refused
    from app.core.masking import mask_id

    s = new_school(tmp_path)
    cid = new_class(s, 3)
    ids = [make_id(birth_for_grade(3, i), i, "1") for i in range(3)]
    for i, idn in enumerate(ids):
        add(s, cid, "遮" + "一二三"[i], idn)
    out = tmp_path / "masked.pdf"
    print_service.print_document(s, "class-roster", out, class_id=cid, mask_ids=True)
    text = "".join(flat(out).split())
    assert all(idn not in text for idn in ids) and all(idn[-4:] in text for idn in ids)
    assert mask_id(ids[0]) in text
    e = [x for x in audit.list_entries(s, kind="print", limit=5)][0]
    assert e["detail"]["masked"] is True and e["detail"]["kind"] == "class-roster"
    full = tmp_path / "full.pdf"
    print_service.print_document(s, "class-roster", full, class_id=cid)
    assert ids[0] in "".join(flat(full).split())
    with pytest.raises(Refused) as ei:
        print_service.print_document(s, "diploma", tmp_path / "d.pdf", class_id=cid, mask_ids=True)
    assert ei.value.findings[0].code == "mask_not_for_certificates"
    s.close()
