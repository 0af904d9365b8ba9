"""The paper archive (app/paper) on real archives: checklists per profile and per status change, folder moves
with history, scans stored once by SHA-256 and decoded before they are accepted, the borrow register with
overdue loans, hand-over, the files/ integrity sweep, and what a barcode scanner's text resolves to."""
from __future__ import annotations

import datetime as dt
import io
import sqlite3

import pytest
from PIL import Image

from app.paper import checklist as paper_checklist, loans as paper_loans, locations as paper_locations, scans as paper_scans, sweep as paper_sweep
from app.changes.service import ChangeRequest, apply_change
from app.core.errors import Refused
from app.core import filestore as store
from tests.helpers import PROFILES, add, birth_for_grade, cjk_name, make_id, new_class, new_school

_n = iter(range(1, 10000))
TABLES = ("paper_folders", "folder_moves", "checklist_marks", "checklist_mark_log", "scans", "folder_loans",
          "folder_handovers", "change_history")


@pytest.fixture
def school(tmp_path):
    made = []

    def make(profile="national"):
        s = new_school(tmp_path, profile, stages="primary,junior", sub=f"a{len(made)}")
        s.k8 = new_class(s, 8)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


def pupil(s, **extra) -> int:
    n = next(_n)
    return add(s, s.k8, cjk_name(n, "档"), make_id(birth_for_grade(8, n), n % 500, "1"), **extra).id


def counts(s) -> dict:
    return {t: s.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


def stored_files(s) -> list:
    root = s.folder / "files"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def jpeg_bytes(w=600, h=800, color=(230, 230, 220)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), color).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (300, 400), 200).save(buf, "PNG")
    return buf.getvalue()


def pdf_bytes(pages: int) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for i in range(pages):
        c.drawString(100, 700, f"page {i + 1}")
        c.showPage()
    c.save()
    return buf.getvalue()


# =================================================================== checklists from data
@pytest.mark.parametrize("profile,sections,last_title", [
    ("national", 7, "省级教育行政部门规定的其他信息和材料"),
    ("henan-zhoukou", 6, "享受资助信息"),
    ("shanxi-changzhi", 6, "享受资助信息"),
    ("liaoning", 7, "学生的学业成绩及综合素质评价结果"),
    ("gansu-linxia", 7, "省级教育行政部门规定的其他信息和材料"),
])
def test_checklist_sections_per_profile(school, profile, sections, last_title):
    s = school(profile)
    tpl = paper_checklist.load_template(profile)
    assert len(tpl["sections"]) == sections and tpl["sections"][-1]["title"] == last_title
    items = paper_checklist.checklist(s, pupil(s))
    assert {i.section for i in items} == set(range(1, sections + 1))
    assert all(i.article and i.name for i in items)
    assert {"basic-info-form", "hukou", "vaccination"} <= {i.key for i in items}
    assert all(i.paper == "unknown" and not i.has_scan for i in items)


def test_profile_wording_and_articles(school):
    cz = paper_checklist.load_template("shanxi-changzhi")
    assert cz["sections"][2]["title"] == "学生综合素质评价（发展）报告"
    assert all(x["article"].startswith("长治 第十一条") for x in cz["sections"])
    ln = paper_checklist.load_template("liaoning")
    assert "休学复学申请" in ln["sections"][1]["title"]
    assert paper_checklist.load_template("gansu-linxia")["extends"] == "national"
    s = school("liaoning")
    keys = {i.key for i in paper_checklist.checklist(s, pupil(s))}
    assert any(k.startswith("grades@") for k in keys) and "provincial-other" not in keys


def test_per_year_items_cover_the_school_years(school):
    from app.changes.kinds import school_year_of

    s = school()
    sid = pupil(s)
    entry = s.conn.execute("SELECT entry_year FROM classes WHERE id = ?", (s.k8,)).fetchone()[0]
    now = school_year_of(dt.date.today())
    years = sorted(i.year for i in paper_checklist.checklist(s, sid) if i.key.startswith("development-report@"))
    assert years == list(range(entry, now + 1))
    fit = [i for i in paper_checklist.checklist(s, sid) if i.key == f"fitness@{entry}"][0]
    assert str(entry) in fit.name and str(entry + 1) in fit.name


def test_a_suspension_adds_its_evidence_items(school):
    s = school()
    sid = pupil(s)
    before = paper_checklist.checklist(s, sid)
    apply_change(s, ChangeRequest(kind="suspend", student_id=sid, date=dt.date(2025, 9, 15), reason="因病住院治疗",
                                  evidence=["监护人书面申请", "县级以上医院证明"], acknowledge_warnings=True))
    after = paper_checklist.checklist(s, sid)
    ev = [i for i in after if i.source == "evidence"]
    assert len(after) == len(before) + 2
    assert [i.name for i in ev] == ["监护人书面申请", "县级以上医院证明"]
    assert all(i.event_kind == "suspend" and i.section == 2 and i.paper == "present" for i in ev)
    assert all(i.article == "国家 第七条（二）" for i in ev)
    assert all(i.key.startswith(paper_checklist.EVIDENCE_PREFIX) for i in ev)


def test_mark_item_with_history_and_refusals(school):
    s = school()
    sid = pupil(s)
    it = paper_checklist.mark_item(s, sid, "hukou", paper="present", note="复印件", checked_by="王老师")
    assert (it.paper, it.checked_by, it.note) == ("present", "王老师", "复印件") and it.checked_at
    paper_checklist.mark_item(s, sid, "hukou", paper="missing")
    log = s.conn.execute("SELECT paper FROM checklist_mark_log WHERE student_id = ? ORDER BY id", (sid,)).fetchall()
    assert [r[0] for r in log] == ["present", "missing"]
    hist = s.conn.execute("SELECT old_value, new_value FROM change_history WHERE student_id = ? AND action = "
                          "'checklist' ORDER BY id", (sid,)).fetchall()
    assert [tuple(r) for r in hist] == [("unknown", "present"), ("present", "missing")]
    before = counts(s)
    with pytest.raises(Refused) as ei:
        paper_checklist.mark_item(s, sid, "no-such-item", paper="present")
    assert ei.value.findings[0].code == "paper_unknown_item" and ei.value.findings[0].field
    with pytest.raises(Refused):
        paper_checklist.mark_item(s, sid, "hukou", paper="lent")  # lending goes through the register
    assert counts(s) == before
    with pytest.raises(sqlite3.DatabaseError):
        s.conn.execute("DELETE FROM checklist_mark_log")


# =================================================================== locations
def test_moves_keep_history(school):
    s = school()
    sid = pupil(s)
    assert paper_locations.locate(s, sid) is None
    paper_locations.move(s, sid, ["柜 A", "层 2", "盒 5", "位 12"])
    f = paper_locations.move(s, sid, "柜 B / 层 1 / 盒 3", reason="整理")
    assert f.location == ["柜 B", "层 1", "盒 3"] and f.path_text == "柜 B / 层 1 / 盒 3"
    assert [(m["from_location"], m["to_location"]) for m in f.moves] == [
        ([], ["柜 A", "层 2", "盒 5", "位 12"]), (["柜 A", "层 2", "盒 5", "位 12"], ["柜 B", "层 1", "盒 3"])]
    assert f.moves[1]["reason"] == "整理" and f.moves[1]["moved_by"] == "tester"
    paper_locations.move(s, sid, "柜 B/层 1/盒 3")  # same place: no new move
    assert len(paper_locations.locate(s, sid).moves) == 2
    with pytest.raises(Refused):
        paper_locations.move(s, sid, " / ")
    for sql in ("DELETE FROM folder_moves", "UPDATE folder_moves SET reason = 'x'", "DELETE FROM paper_folders"):
        with pytest.raises(sqlite3.DatabaseError):
            s.conn.execute(sql)
    assert s.conn.execute("SELECT COUNT(*) FROM change_history WHERE action = 'folder' AND field = 'location'"
                          ).fetchone()[0] == 2


def test_resolve_scan(school):
    s = school()
    xjh_id = make_id(birth_for_grade(8, 400), 400, "1")
    sid = pupil(s, xueji_no="G" + xjh_id)
    other = pupil(s)
    key = paper_locations.label_key(s, sid)
    assert key.startswith("XUEJI|" + s.school["code"] + f"|{sid}|")
    from app.printing import documents

    assert f"rec[\"qr\"] = f\"XUEJI|" in open(documents.__file__, encoding="utf-8").read()  # same format as the label
    assert paper_locations.resolve_scan(s, key + "\r\n") == sid           # scanner types it followed by Enter
    assert paper_locations.resolve_scan(s, key.lower()) == sid
    assert paper_locations.resolve_scan(s, "G" + xjh_id) == sid            # 学籍号
    assert paper_locations.resolve_scan(s, "g" + xjh_id) == sid
    idn = s.conn.execute("SELECT id_number FROM students WHERE id = ?", (other,)).fetchone()[0]
    assert paper_locations.resolve_scan(s, idn) == other                  # ID number
    assert paper_locations.resolve_scan(s, str(other)) == other            # internal id
    assert paper_locations.resolve_scan(s, "ＸＵＥＪＩ" + key[5:]) == sid   # full-width input method left on
    assert paper_locations.resolve_scan(s, "XUEJI|9999999999|1|G" + xjh_id) == sid  # another school's label: by number
    assert paper_locations.resolve_scan(s, f"XUEJI|{s.school['code']}|{sid}|{idn}") == other  # id and number disagree
    assert paper_locations.resolve_scan(s, "99999") is None
    assert paper_locations.resolve_scan(s, "hello") is None and paper_locations.resolve_scan(s, "") is None


# =================================================================== scans
def test_same_file_twice_is_stored_once(school, tmp_path):
    s = school()
    sid = pupil(s)
    f = tmp_path / "户口簿.jpg"
    f.write_bytes(jpeg_bytes())
    r1 = paper_scans.attach_scan(s, sid, "hukou", f)
    assert (r1.ext, r1.pages, r1.bytes, r1.already_stored, r1.already_linked) == ("jpg", 1, f.stat().st_size, False, False)
    assert store.get(s.folder, r1.sha256, "jpg") == f.read_bytes()
    r2 = paper_scans.attach_scan(s, sid, "hukou", f)
    assert r2.scan_id == r1.scan_id and r2.already_linked
    r3 = paper_scans.attach_scan(s, sid, "basic-info-form", f)
    assert r3.scan_id != r1.scan_id and r3.already_stored and not r3.already_linked
    assert len(stored_files(s)) == 1
    assert s.conn.execute("SELECT COUNT(*) FROM scans").fetchone()[0] == 2
    items = {i.key: i for i in paper_checklist.checklist(s, sid)}
    assert items["hukou"].has_scan and items["basic-info-form"].has_scan and not items["vaccination"].has_scan
    assert s.conn.execute("SELECT COUNT(*) FROM change_history WHERE action = 'scan'").fetchone()[0] == 2


def test_pdf_pages_png_and_withdraw(school, tmp_path):
    s = school()
    sid = pupil(s)
    f = tmp_path / "report.pdf"
    f.write_bytes(pdf_bytes(3))
    r = paper_scans.attach_scan(s, sid, paper_checklist.checklist(s, sid)[2].key, f)
    assert (r.ext, r.pages) == ("pdf", 3)
    assert store.path(s.folder, r.sha256).suffix == ".pdf"
    p = tmp_path / "a.png"
    p.write_bytes(png_bytes())
    rp = paper_scans.attach_scan(s, sid, "vaccination", p)
    assert rp.ext == "png" and paper_scans.scan_bytes(s, rp.scan_id) == p.read_bytes()
    paper_scans.withdraw_scan(s, rp.scan_id, reason="挂错")
    assert not {i.key: i for i in paper_checklist.checklist(s, sid)}["vaccination"].has_scan
    assert store.exists(s.folder, rp.sha256, "png")  # the file stays


@pytest.mark.parametrize("name,data", [
    ("notes.pdf", "这不是PDF".encode("utf-8")),
    ("cut.pdf", None),                         # a PDF cut short (no %%EOF)
    ("cut.jpg", "jpeg-truncated"),
    ("sheet.xlsx", b"PK\x03\x04" + b"\0" * 200),
    ("pic.gif", "gif"),
    ("empty.png", b""),
])
def test_unreadable_or_foreign_files_are_refused(school, tmp_path, name, data):
    s = school()
    sid = pupil(s)
    if data is None:
        data = pdf_bytes(2)[:-200]
    elif data == "jpeg-truncated":
        data = jpeg_bytes(1200, 1600, (10, 120, 200))[:3000]
    elif data == "gif":
        buf = io.BytesIO()
        Image.new("P", (10, 10)).save(buf, "GIF")
        data = buf.getvalue()
    f = tmp_path / name
    f.write_bytes(data)
    before = counts(s)
    with pytest.raises(Refused) as ei:
        paper_scans.attach_scan(s, sid, "hukou", f)
    fd = ei.value.findings[0]
    assert fd.code == "paper_scan_unreadable" and fd.message and fd.field
    assert counts(s) == before and stored_files(s) == []


def test_missing_file_is_refused(school, tmp_path):
    s = school()
    with pytest.raises(Refused) as ei:
        paper_scans.attach_scan(s, pupil(s), "hukou", tmp_path / "nope.pdf")
    assert "nope.pdf" in ei.value.findings[0].message


# =================================================================== sweep
def test_sweep_reports_tampered_and_missing_files_and_deletes_nothing(school, tmp_path):
    s = school()
    sid = pupil(s)
    files = []
    for i, item in enumerate(("hukou", "vaccination", "basic-info-form")):
        f = tmp_path / f"s{i}.jpg"
        f.write_bytes(jpeg_bytes(400 + i * 10, 500))
        files.append(paper_scans.attach_scan(s, sid, item, f))
    rep = paper_sweep.verify_files(s)
    assert rep.clean and rep.checked == 3 and rep.ok == 3 and rep.bytes == sum(r.bytes for r in files)
    tampered = store.path(s.folder, files[0].sha256, "jpg")
    raw = bytearray(tampered.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    tampered.write_bytes(bytes(raw))
    gone = store.path(s.folder, files[1].sha256, "jpg")
    gone.unlink()
    rep = paper_sweep.verify_files(s)
    assert not rep.clean and rep.ok == 1
    assert [c["sha256"] for c in rep.changed] == [files[0].sha256]
    assert rep.changed[0]["actual_sha256"] != files[0].sha256
    assert rep.changed[0]["refs"] == [{"what": "scan", "student_id": sid, "ref": files[0].scan_id}]
    assert [m["sha256"] for m in rep.missing] == [files[1].sha256]
    assert rep.missing[0]["path"].startswith("files/")
    assert tampered.exists() and len(stored_files(s)) == 2  # nothing deleted or repaired


def test_sweep_covers_photo_originals(school):
    from app.photos import service as photo_service
    from tests.photos.test_photos import jpeg, portrait

    s = school()
    sid = pupil(s)
    r = photo_service.set_photo(s, sid, jpeg(portrait(1000, 1200)), crop=(0, 0, 716, 882))
    assert paper_sweep.verify_files(s).clean
    store.path(s.folder, r.original_sha256).write_bytes(b"overwritten")
    rep = paper_sweep.verify_files(s)
    assert [c["refs"][0]["what"] for c in rep.changed] == ["photo"]


# =================================================================== borrow register
def test_lend_return_overdue(school):
    s = school()
    a, b = pupil(s), pupil(s)
    la = paper_loans.lend(s, a, borrower="李老师", purpose="核对学籍", approved_by="教育局学籍科（2026）3号",
                    lent_on="2026-03-01", due_on="2026-03-08")
    lb = paper_loans.lend(s, b, borrower="张老师", purpose="复印", approved_by="校长", item_key="hukou",
                    lent_on="2026-03-01", due_on="2026-03-20")
    assert {x.id for x in paper_loans.loans(s)} == {la, lb}
    late = paper_loans.overdue(s, as_of="2026-03-10")
    assert [(x.id, x.days_overdue) for x in late] == [(la, 2)]
    assert paper_loans.overdue(s, as_of="2026-03-08") == []          # due back that day: not late yet
    items = {i.key: i for i in paper_checklist.checklist(s, a)}
    assert all(i.paper == "lent" and i.loan_id == la for i in items.values())
    items_b = {i.key: i for i in paper_checklist.checklist(s, b)}
    assert items_b["hukou"].paper == "lent" and items_b["vaccination"].paper == "unknown"
    back = paper_loans.return_loan(s, la, returned_on="2026-03-12", note="完好")
    assert back.returned_on == "2026-03-12" and not back.overdue
    assert [x.id for x in paper_loans.loans(s)] == [lb]
    assert {x.id for x in paper_loans.loans(s, open_only=False)} == {la, lb}
    assert paper_loans.overdue(s, as_of="2026-03-10") == []
    with pytest.raises(Refused) as ei:
        paper_loans.return_loan(s, la)
    assert ei.value.findings[0].code == "paper_loan_closed"
    with pytest.raises(sqlite3.DatabaseError):
        s.conn.execute("UPDATE folder_loans SET borrower = 'x' WHERE id = ?", (la,))
    with pytest.raises(sqlite3.DatabaseError):
        s.conn.execute("DELETE FROM folder_loans")


def test_lend_refusals(school):
    s = school("shanxi-changzhi")
    sid = pupil(s)
    before = counts(s)
    with pytest.raises(Refused) as ei:
        paper_loans.lend(s, sid, borrower="李老师", purpose="查阅", approved_by=" ", due_on="2026-03-08")
    f = ei.value.findings[0]
    assert f.code == "paper_loan_approval" and f.article == "长治 第四十四条" and f.field == "批准人"
    assert f.rule == "PRIV.ACCESS_LOG.CZ" and "长治 第四十四条" in f.text()
    with pytest.raises(Refused):
        paper_loans.lend(s, sid, borrower="李老师", purpose="查阅", approved_by="科长", lent_on="2026-03-08",
                   due_on="2026-03-01")
    with pytest.raises(Refused):
        paper_loans.lend(s, sid, borrower="李老师", purpose="查阅", approved_by="科长", due_on="明天")
    assert counts(s) == before
    paper_loans.lend(s, sid, borrower="李老师", purpose="查阅", approved_by="科长", item_key="hukou",
               lent_on="2026-03-01", due_on="2026-03-08")
    with pytest.raises(Refused) as ei:  # the whole folder while one item is out
        paper_loans.lend(s, sid, borrower="王老师", purpose="查阅", approved_by="科长", lent_on="2026-03-01",
                   due_on="2026-03-08")
    assert ei.value.findings[0].code == "paper_already_lent" and "李老师" in ei.value.findings[0].message
    paper_loans.lend(s, sid, borrower="王老师", purpose="查阅", approved_by="科长", item_key="vaccination",
               lent_on="2026-03-01", due_on="2026-03-08")


def test_hand_over(school):
    s = school()
    sid = pupil(s)
    paper_checklist.mark_item(s, sid, "hukou", paper="present")
    paper_checklist.mark_item(s, sid, "vaccination", paper="missing")
    paper_loans.hand_over(s, sid, handed_to="周口市第二中学", handed_on="2026-04-01", carried_by="家长")
    items = {i.key: i for i in paper_checklist.checklist(s, sid)}
    assert items["hukou"].paper == "handed_over" and items["vaccination"].paper == "missing"
    with pytest.raises(Refused):
        paper_loans.lend(s, sid, borrower="李", purpose="查", approved_by="科长", lent_on="2026-04-02", due_on="2026-05-01")


def test_every_profile_has_a_checklist_file():
    for p in PROFILES:
        tpl = paper_checklist.load_template(p)
        keys = [i["key"] for i in tpl["items"]]
        assert len(keys) == len(set(keys)) and tpl["loan_article"] and tpl["loan_rule"]
        assert {i["section"] for i in tpl["items"]} <= {x["no"] for x in tpl["sections"]}


def test_location_text_with_full_width_separators(school):
    s = school()
    assert paper_locations.move(s, pupil(s), "柜Ａ／２层＞盒５").location == ["柜A", "2层", "盒5"]


def test_hand_over_links_the_transfer_and_evidence_scans_open(school, tmp_path):
    s = school()
    sid = pupil(s)
    data = jpeg_bytes(500, 700)
    sha = store.put(s.folder, data, "jpg")
    r = apply_change(s, ChangeRequest(kind="transfer-out", student_id=sid, date=dt.date(2025, 9, 15),
                                      reason="户口迁移", to_school="外县一中", acknowledge_warnings=True,
                                      evidence=[f"户籍迁移证明@attached:{sha}"]))
    ev = [i for i in paper_checklist.checklist(s, sid) if i.source == "evidence"]
    attached = [i for i in ev if i.has_scan]
    assert attached and attached[0].scans[0]["ext"] == "jpg"
    assert paper_scans.scan_bytes(s, attached[0].scans[0]["id"]) == data
    hid = paper_loans.hand_over(s, sid, handed_to="外县一中", handed_on="2025-10-01")
    row = s.conn.execute("SELECT event_id FROM folder_handovers WHERE id = ?", (hid,)).fetchone()
    assert row[0] == r.event_id


def test_folder_contents_lists_what_is_on_paper(school, tmp_path):
    s = school()
    sid = pupil(s)
    assert paper_checklist.folder_contents(s, sid) == []
    paper_checklist.mark_item(s, sid, "basic-info-form", paper="present", note="监护人已签字")
    paper_checklist.mark_item(s, sid, "vaccination", paper="missing")
    f = tmp_path / "h.pdf"
    f.write_bytes(pdf_bytes(2))
    paper_scans.attach_scan(s, sid, "hukou", f)
    paper_checklist.mark_item(s, sid, "hukou", paper="present")
    rows = paper_checklist.folder_contents(s, sid)
    assert [(r["seq"], r["key"], r["pages"]) for r in rows] == [(1, "basic-info-form", None), (2, "hukou", 2)]
    assert rows[0]["note"] == "监护人已签字" and rows[0]["date"] == dt.date.today().isoformat()


def test_resolve_scan_never_raises_on_junk(school):
    s = school()
    code = s.school["code"]
    for junk in (f"XUEJI|{code}|99999999999999999999999|", "XUEJI|", "XUEJI||||||", "²³", "9" * 30, "\x00", "G" * 500,
                 "' OR 1=1 --", f"XUEJI|{code}|abc|"):
        assert paper_locations.resolve_scan(s, junk) is None


def test_sweep_lists_unreferenced_files_and_keeps_them(school):
    s = school()
    sha = store.put(s.folder, b"a scan whose change was never saved", "pdf")
    rep = paper_sweep.verify_files(s)
    assert rep.clean and rep.unreferenced == [f"files/{sha[:2]}/{sha}.pdf"]
    assert store.exists(s.folder, sha, "pdf")
