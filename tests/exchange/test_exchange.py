"""app/exchange: the 学生基础信息 template read and written as real .xls/.xlsx files, imported into real
archives (national-system.md §3)."""
import csv
import datetime as dt
import itertools
import os
import shutil
import subprocess
import zipfile

import openpyxl
import pytest
import xlrd

from app.school import classes as cs
from app.students import fields as F
from app.school.demo import build_demo
from app.core.errors import Refused
from app.exchange.export_service import export_students
from app.exchange.import_service import import_students
from app.exchange import sheet_writer as W
from app.exchange import template_io as T
from app.school.service import init_school
from app.core.session import Session
from app.school import store as school_store
from app.students import store as q
from tests.helpers import make_id_number

SCHOOL_CODE = "2411000001"
TODAY = dt.date.today()
SY = TODAY.year if TODAY.month >= 9 else TODAY.year - 1
CLASS_CODE = f"{SY - 2}103"          # a third-grade class: no entry-age rule applies
OTHER_CLASS = f"{SY - 2}104"
HEADERS = F.template_columns() + ["学籍号"]
_DAYS = itertools.count()  # each template row gets its own birth date, hence its own ID number


def make_id(birth: str, gender: str = "1", div: str = "411602", last: str | None = None) -> str:
    """A valid 18-digit number; ``last`` asks for a particular check character (e.g. 'X')."""
    for seq in range(1000):
        if int(str(seq % 10)) % 2 != (1 if gender == "1" else 0):
            continue
        n = make_id_number(birth, seq, div)
        if last is None or n.endswith(last):
            return n
    raise AssertionError("no such number")


def new_archive(folder, code=SCHOOL_CODE):
    s = init_school(folder, name="周口市测试学校", code=code, stages="primary,junior,senior", profile="henan-zhoukou")
    cs.add_class(s, stage="primary", grade=3, number=3, entry_year=SY - 2, code=CLASS_CODE, capacity=45)
    cs.add_class(s, stage="primary", grade=3, number=4, entry_year=SY - 2, code=OTHER_CLASS, capacity=45)
    return s


def student_count(session) -> int:
    return q.counts(session.conn)["students"]


def template_row(**over) -> dict:
    """A complete, valid row as the registrar types it (names, not codes)."""
    idn = over.pop("idn", None)
    birth = over.pop("birth", None) or (idn[6:14] if idn else f"{dt.date(SY - 9, 3, 1) + dt.timedelta(next(_DAYS)):%Y%m%d}")
    idn = idn or make_id(birth, "2")
    row = {h: "" for h in HEADERS}
    row.update({
        "学校标识码": SCHOOL_CODE, "姓名": "张小雨", "性别": "女", "出生日期": birth, "出生地行政区划代码": "411602000000",
        "籍贯": "河南省周口市川汇区", "民族": "汉族", "国籍/地区": "中国", "身份证件类型": "居民身份证", "港澳台侨外": "否",
        "健康状况": "健康或良好", "政治面貌": "群众", "身份证件号": idn, "户口性质": "非农业户口",
        "户口所在地行政区划": "411602000000", "班号": CLASS_CODE, "入学年月": f"{SY - 2}09", "入学方式": "就近入学",
        "就读方式": "走读", "现住址": "河南省周口市川汇区人民路1号", "通信地址": "河南省周口市川汇区人民路1号",
        "家庭地址": "河南省周口市川汇区人民路1号", "联系电话": "13912345678", "邮政编码": "466000", "是否独生子女": "否",
        "是否受过学前教育": "是", "是否留守儿童": "非留守儿童", "是否需要申请资助": "否", "是否享受一补": "否", "是否孤儿": "否",
        "是否烈士或优抚子女": "否", "上下学距离": "1.5", "上下学方式": "步行", "是否需要乘坐校车": "否",
        "成员1姓名": "张大山", "成员1关系": "父亲", "成员1现住址": "河南省周口市川汇区人民路1号",
        "成员1户口所在地行政区划": "411602000000", "成员1联系电话": "13912345678", "成员1是否监护人": "是",
        "成员1身份证件类型": "居民身份证", "成员1身份证件号": make_id("19850304", "1"), "成员1民族": "汉族",
        "成员2姓名": "李春梅", "成员2关系": "母亲", "成员2现住址": "河南省周口市川汇区人民路1号",
        "成员2户口所在地行政区划": "411602000000", "成员2联系电话": "13812345678", "成员2是否监护人": "是",
        "是否进城务工人员随迁子女": "否", "学籍号": "G" + idn,
    })
    row.update(over)
    return row


def write_xlsx(path, headers, rows, *, title_rows=(), sheet="学生基础信息", raw_values=None):
    """An .xlsx as a registrar's office program would make it (openpyxl, ordinary workbook)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for t in title_rows:
        ws.append(t)
    ws.append(headers)
    for r in rows:
        ws.append([r.get(h, "") for h in headers] if isinstance(r, dict) else r)
    for (cell, value) in (raw_values or {}).items():
        ws[cell] = value
    wb.save(path)
    return path


# ------------------------------------------------------------------------------------------ round trip

def clone_archive(src: Session, folder) -> Session:
    """A new archive for the same school with the same classes (same 班号)."""
    s = src.school
    dst = init_school(folder, name=s["name"], code=s["code"], stages=s["stages"], profile=s["profile"])
    for k in cs.list_classes(src):
        cs.add_class(dst, stage=k["stage"], grade=k["grade"], number=k["number"], entry_year=k["entry_year"],
                     code=k["code"], capacity=k["capacity"], head_teacher=k["head_teacher"])
    return dst


def records(session) -> list[dict]:
    """Every stored student field and family member, with the class as its 班号, in roster order."""
    ids = q.search_student_ids(session.conn, None)
    rows = q.students_by_ids(session.conn, ids)
    mems = q.members_of_many(session.conn, ids)
    codes = {k["id"]: k["code"] for k in school_store.list_classes(session.conn, ())}
    out = []
    for i in ids:
        r = {k: v for k, v in rows[i].items() if k not in ("id", "class_id", "created_at", "updated_at")}
        r["班号"] = codes[rows[i]["class_id"]]
        r["members"] = [{k: v for k, v in m.items() if k not in ("id", "student_id")} for m in mems[i]]
        out.append(r)
    return out


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "src"
    build_demo(folder, students=150, seed=11)
    s = Session.open(folder)
    yield s
    s.close()


@pytest.mark.parametrize("suffix", [".xls", ".xlsx"])
def test_round_trip_reproduces_every_record(demo_archive, tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    rep = export_students(demo_archive, path)
    assert rep.count == 150 and not rep.cancelled
    dst = clone_archive(demo_archive, tmp_path / "dst")
    try:
        ir = import_students(dst, path)
        assert ir.errors == [] and ir.imported == 150 and ir.total_rows == 150 and len(ir.ids) == 150
        assert [w for w in ir.warnings if w.code == "unknown_column"] == []
        before, after = records(demo_archive), records(dst)
        assert len(after) == 150
        for a, b in zip(before, after):
            assert a == b
    finally:
        dst.close()


def test_round_trip_keeps_text_rare_characters_and_x_ids(demo_archive, tmp_path):
    recs = records(demo_archive)
    assert any(r["id_number"].endswith("X") for r in recs), "the demo should contain an ID ending in X"
    assert any("·" in r["name"] for r in recs)
    xls, xlsx = tmp_path / "a.xls", tmp_path / "a.xlsx"
    export_students(demo_archive, xls)
    export_students(demo_archive, xlsx)
    x_row = next(i for i, r in enumerate(recs) if r["id_number"].endswith("X"))
    col_id, col_eth = HEADERS.index("身份证件号"), HEADERS.index("民族")
    # .xls: a text cell with the text format '@'
    book = xlrd.open_workbook(str(xls), formatting_info=True)
    sh = book.sheet_by_name("学生基础信息")
    assert [sh.cell_value(0, c) for c in range(sh.ncols)] == HEADERS
    assert sh.cell_type(x_row + 1, col_id) == xlrd.XL_CELL_TEXT
    assert sh.cell_value(x_row + 1, col_id) == recs[x_row]["id_number"]
    xf = book.xf_list[sh.cell_xf_index(x_row + 1, col_id)]
    assert book.format_map[xf.format_key].format_str == "@"
    assert sh.cell_value(1, col_eth) in ("汉族", "回族", "维吾尔族", "满族", "壮族", "土家族", "朝鲜族", "藏族", "蒙古族")
    assert sh.cell_value(1, HEADERS.index("出生日期")) == recs[0]["birth_date"]
    # .xlsx: string cells with number format '@'
    wb = openpyxl.load_workbook(xlsx)
    ws = wb["学生基础信息"]
    assert [c.value for c in ws[1]] == HEADERS
    cell = ws.cell(row=x_row + 2, column=col_id + 1)
    assert cell.value == recs[x_row]["id_number"] and cell.data_type == "s" and cell.number_format == "@"
    assert ws.cell(row=2, column=HEADERS.index("入学年月") + 1).value == recs[0]["entry_ym"]
    assert ws.cell(row=2, column=HEADERS.index("学校标识码") + 1).value == demo_archive.school["code"]
    assert ws.freeze_panes == "A2"


def test_import_codes_with_leading_zero_come_back_as_names(tmp_path):
    s = new_archive(tmp_path / "a")
    try:
        idn = make_id(f"{SY - 9}0101", "2", last="X")
        path = write_xlsx(tmp_path / "in.xlsx", HEADERS,
                          [template_row(idn=idn, 学籍号="G" + idn, 民族="01", 港澳台侨外="00", 健康状况="10")])
        ir = import_students(s, path)
        assert ir.errors == [] and ir.imported == 1
        stored = q.get_student(s.conn, ir.ids[0])
        assert stored["id_number"] == idn and stored["ethnicity"] == "01" and stored["hmt_overseas"] == "00"
        export_students(s, tmp_path / "out.xls")
        sheet = T.read_workbook(tmp_path / "out.xls")[0]
        row = dict(zip(sheet.headers, sheet.rows[0][1]))
        assert row["民族"] == "汉族" and row["港澳台侨外"] == "否" and row["健康状况"] == "健康或良好"
        assert row["身份证件号"] == idn and row["学籍号"] == "G" + idn
    finally:
        s.close()


# ------------------------------------------------------------------------------------------ headers

def test_aliases_title_rows_numbers_and_dates(tmp_path):
    s = new_archive(tmp_path / "a")
    try:
        headers = ["序号"] + [("班级" if h == "班号" else "上下学交通方式" if h == "上下学方式" else h)
                            for h in HEADERS] + ["备注"]
        row = template_row(上下学方式="公共交通（含城市公交、农村客运、地铁）", birth=f"{SY - 9}0510")
        row["班级"] = row.pop("班号")
        row["上下学交通方式"] = row.pop("上下学方式")
        row["备注"] = "转入生"
        row["序号"] = "1"
        prefilled = {"序号": "2", "学校标识码": SCHOOL_CODE}  # an unused template row: ignored
        path = write_xlsx(tmp_path / "in.xlsx", headers, [row, prefilled],
                          title_rows=[["周口市测试学校学生基础信息导入模板"], ["说明：带★为必填项；日期格式 YYYYMMDD"]])
        # the way Excel stores what people type: 班号 as a number, 出生日期 as a date, 入学年月 as a number
        wb = openpyxl.load_workbook(path)
        ws = wb.active
        ws.cell(row=4, column=headers.index("班级") + 1).value = int(CLASS_CODE)
        ws.cell(row=4, column=headers.index("出生日期") + 1).value = dt.date(SY - 9, 5, 10)
        ws.cell(row=4, column=headers.index("入学年月") + 1).value = int(f"{SY - 2}09")
        ws.cell(row=4, column=headers.index("上下学距离") + 1).value = 1.5
        wb.save(path)
        ir = import_students(s, path)
        assert ir.errors == [] and ir.imported == 1 and ir.total_rows == 1
        unknown = [w for w in ir.warnings if w.code == "unknown_column"]
        assert len(unknown) == 1 and unknown[0].row == 3 and unknown[0].field == "备注"
        st = q.get_student(s.conn, ir.ids[0])
        assert st["commute"] == "3" and st["birth_date"] == f"{SY - 9}0510" and st["entry_ym"] == f"{SY - 2}09"
        assert st["distance_km"] == "1.5"
        assert school_store.get_class(s.conn, st["class_id"])["code"] == CLASS_CODE
    finally:
        s.close()


def test_header_detection_and_sheet_choice(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["填表说明：请勿修改表头"])
    ws = wb.create_sheet("学生基础信息")
    ws.append(["学籍表"])
    ws.append([])
    ws.append(["姓名", "性别", "身份证件号", "班级"])
    ws.append(["王一", "男", "x", "1"])
    ws.append([None, None, None, None])
    ws.append(["王二", "女", "y", 2.0])
    wb.save(tmp_path / "a.xlsx")
    [sheet] = T.read_workbook(tmp_path / "a.xlsx")
    assert sheet.name == "学生基础信息" and sheet.header_row == 3
    assert sheet.rows == [(4, ["王一", "男", "x", "1"]), (6, ["王二", "女", "y", "2"])]


def test_first_sheet_with_header_when_no_template_sheet(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.active.append(["姓名", "性别", "民族", "班号"])
    wb.active.append(["王一", "男", "汉族", "1"])
    wb.save(tmp_path / "a.xlsx")
    [sheet] = T.read_workbook(tmp_path / "a.xlsx")
    assert sheet.name == "Sheet1" and sheet.rows == [(2, ["王一", "男", "汉族", "1"])]


def test_tab_separated_text_saved_as_xls(tmp_path):
    s = new_archive(tmp_path / "a")
    try:
        row = template_row()
        text = "\t".join(HEADERS) + "\r\n" + "\t".join(row[h] for h in HEADERS) + "\r\n"
        (tmp_path / "gbk.xls").write_bytes(text.encode("gb18030"))
        ir = import_students(s, tmp_path / "gbk.xls")
        assert ir.errors == [] and ir.imported == 1
    finally:
        s.close()


# ------------------------------------------------------------------------------------------ bad rows

def bad_file_rows():
    good = template_row()
    dup_of_good = template_row(姓名="张小雪")
    dup_of_good["身份证件号"], dup_of_good["出生日期"] = good["身份证件号"], good["出生日期"]
    dup_of_good["学籍号"] = ""
    bad_check = template_row(姓名="王五")
    bad_check["身份证件号"] = bad_check["身份证件号"][:-1] + ("0" if bad_check["身份证件号"][-1] != "0" else "1")
    bad_check["学籍号"] = ""
    rows = [
        good,                                               # row 2
        bad_check,                                          # row 3: check digit
        template_row(姓名="赵六", 民族="火星族"),             # row 4: unknown 民族
        template_row(姓名="钱七", 班号="9999999"),            # row 5: unknown 班号
        dup_of_good,                                        # row 6: same ID as row 2
        template_row(姓名=""),                               # row 7: no 姓名
        {h: "" for h in HEADERS},                           # row 8: empty: ignored
        template_row(姓名="孙八", 学校标识码="4100000000"),    # row 9: another school's row
        template_row(姓名="周九", birth=f"{SY - 9}1111"),     # row 10: good
    ]
    return rows


def test_bad_rows_import_nothing_and_every_bad_row_is_reported(tmp_path):
    s = new_archive(tmp_path / "a")
    try:
        rows = bad_file_rows()
        path = write_xlsx(tmp_path / "in.xlsx", HEADERS, rows)
        before = q.counts(s.conn)
        ir = import_students(s, path)
        assert q.counts(s.conn) == before  # nothing written: students, members, history
        assert ir.imported == 0 and ir.ids == [] and not ir.cancelled
        assert ir.total_rows == 8  # the empty row is not counted
        assert ir.bad_rows == [3, 4, 5, 6, 7, 9] and ir.skipped_rows == [3, 4, 5, 6, 7, 9]
        by_row = {}
        for f in ir.errors:
            by_row.setdefault(f.row, []).append(f)
        bad_id = rows[1]["身份证件号"]
        [f3] = [f for f in by_row[3] if f.field == "身份证件号"]
        assert "校验位" in f3.message and bad_id in f3.message
        [f4] = by_row[4]
        assert f4.field == "民族" and "火星族" in f4.message and f4.params["column"] == "G"
        [f5] = by_row[5]
        assert f5.field == "班号" and "9999999" in f5.message
        [f6] = by_row[6]
        assert f6.field == "身份证件号" and "张小雨" in f6.message and "第 2 行" in f6.message
        [f7] = by_row[7]
        assert f7.field == "姓名" and "必填" in f7.message
        [f9] = by_row[9]
        assert f9.field == "学校标识码" and "4100000000" in f9.message and SCHOOL_CODE in f9.message
        assert all(f.text().startswith(f"第 {f.row} 行") for f in ir.errors)
    finally:
        s.close()


def test_skip_invalid_imports_the_good_rows_only(tmp_path):
    s = new_archive(tmp_path / "a")
    try:
        path = write_xlsx(tmp_path / "in.xlsx", HEADERS, bad_file_rows())
        ir = import_students(s, path, skip_invalid=True)
        assert ir.imported == 2 and len(ir.ids) == 2 and student_count(s) == 2
        assert ir.skipped_rows == [3, 4, 5, 6, 7, 9]
        names = sorted(q.get_student(s.conn, i)["name"] for i in ir.ids)
        assert names == ["周九", "张小雨"]
        hist = q.history_of(s.conn, ir.ids[0])
        assert hist[0]["action"] == "import" and hist[0]["batch"].startswith("in.xlsx ")
    finally:
        s.close()


def test_cancel_rolls_back(tmp_path):
    s = new_archive(tmp_path / "a")
    try:
        rows = [template_row(姓名=f"学生{'甲乙丙丁戊己'[i]}", birth=f"{SY - 9}03{10 + i}") for i in range(6)]
        for r in rows:
            r["学籍号"] = ""
        path = write_xlsx(tmp_path / "in.xlsx", HEADERS, rows)
        calls = []

        def cancel():
            calls.append(1)
            return len(calls) > 4

        ir = import_students(s, path, cancel=cancel)
        assert ir.cancelled and ir.imported == 0 and ir.ids == []
        assert student_count(s) == 0
        seen = []
        ir = import_students(s, path, progress=lambda d, t: seen.append((d, t)))
        assert ir.imported == 6 and seen[-1] == (6, 6)
    finally:
        s.close()


def test_in_file_duplicates_and_class_sizes_are_checked_against_earlier_rows(tmp_path):
    s = new_archive(tmp_path / "a")
    try:
        a = template_row()
        b = template_row(姓名="张小雨二")
        b["学籍号"] = a["学籍号"]
        path = write_xlsx(tmp_path / "in.xlsx", HEADERS, [a, b])
        ir = import_students(s, path)
        assert ir.imported == 0
        [f] = ir.errors
        assert f.row == 3 and f.field == "学籍号" and "第 2 行" in f.message
    finally:
        s.close()


def test_number_stored_id_gets_a_text_format_hint(tmp_path):
    s = new_archive(tmp_path / "a")
    try:
        row = template_row(学籍号="")
        path = write_xlsx(tmp_path / "in.xlsx", HEADERS, [row])
        wb = openpyxl.load_workbook(path)
        wb.active.cell(row=2, column=HEADERS.index("身份证件号") + 1).value = int(row["身份证件号"].replace("X", "0"))
        wb.save(path)
        ir = import_students(s, path)
        assert ir.imported == 0
        msgs = [f.message for f in ir.errors if f.field == "身份证件号"]
        assert msgs and "文本格式" in msgs[0]
    finally:
        s.close()


# ------------------------------------------------------------------------------------------ unreadable files

@pytest.mark.parametrize("name, content", [
    ("notes.xlsx", "这只是一个改了扩展名的文本文件\n".encode("utf-8")),
    ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 200),
    ("broken.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600),
    ("empty.xlsx", b""),
    ("junk.xls", bytes(range(256)) * 4),
])
def test_unreadable_files_are_refused_as_bad_file(tmp_path, name, content):
    s = new_archive(tmp_path / "a")
    try:
        (tmp_path / name).write_bytes(content)
        with pytest.raises(Refused) as ei:
            import_students(s, tmp_path / name)
        [f] = ei.value.findings
        assert f.code == "bad_file" and name in f.message
        assert student_count(s) == 0
    finally:
        s.close()


def test_missing_file_and_file_without_header(tmp_path):
    s = new_archive(tmp_path / "a")
    try:
        with pytest.raises(Refused) as ei:
            import_students(s, tmp_path / "nope.xlsx")
        assert ei.value.findings[0].code == "bad_file"
        write_xlsx(tmp_path / "nohead.xlsx", ["a", "b", "c"], [["1", "2", "3"]])
        with pytest.raises(Refused) as ei:
            import_students(s, tmp_path / "nohead.xlsx")
        assert ei.value.findings[0].code == "bad_file" and "表头" in ei.value.findings[0].message
    finally:
        s.close()


# ------------------------------------------------------------------------------------------ export

def test_export_of_empty_selection_writes_header_only(tmp_path):
    s = new_archive(tmp_path / "a")
    try:
        for suffix in (".xls", ".xlsx"):
            path = tmp_path / f"empty{suffix}"
            rep = export_students(s, path)
            assert rep.count == 0 and path.exists()
            [sheet] = T.read_workbook(path)
            assert sheet.name == "学生基础信息" and sheet.headers == HEADERS and sheet.rows == []
            ir = import_students(s, path)
            assert ir.total_rows == 0 and ir.imported == 0 and ir.errors == []
        assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["empty.xls", "empty.xlsx"]
    finally:
        s.close()


def test_export_selection_by_class_and_status(demo_archive, tmp_path):
    k = cs.list_classes(demo_archive)[0]
    rep = export_students(demo_archive, tmp_path / "one.xlsx", class_id=k["id"])
    assert rep.count == k["headcount"] > 0
    rep = export_students(demo_archive, tmp_path / "none.xlsx", statuses=["graduated"])
    assert rep.count == 0
    rep = export_students(demo_archive, tmp_path / "all.xlsx", statuses="all")
    assert rep.count == 150


def test_export_refuses_other_formats_and_cancel_leaves_no_file(demo_archive, tmp_path):
    with pytest.raises(Refused) as ei:
        export_students(demo_archive, tmp_path / "out.csv")
    assert ei.value.findings[0].code == "bad_format"
    rep = export_students(demo_archive, tmp_path / "out.xlsx", cancel=lambda: True)
    assert rep.cancelled and rep.count == 0
    assert list(tmp_path.iterdir()) == []
    seen = []
    rep = export_students(demo_archive, tmp_path / "out.xls", progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (150, 150) and [p.name for p in tmp_path.iterdir()] == ["out.xls"]


def test_xls_splits_into_several_sheets_and_importer_reads_them_all(demo_archive, tmp_path, monkeypatch):
    monkeypatch.setattr(W, "XLS_MAX_ROWS", 61)  # 60 data rows a sheet instead of 65,535
    path = tmp_path / "big.xls"
    assert export_students(demo_archive, path).count == 150
    book = xlrd.open_workbook(str(path))
    assert book.sheet_names() == ["学生基础信息", "学生基础信息2", "学生基础信息3"]
    assert [book.sheet_by_index(i).nrows for i in range(3)] == [61, 61, 31]
    sheets = T.read_workbook(path)
    assert [len(s.rows) for s in sheets] == [60, 60, 30]
    dst = clone_archive(demo_archive, tmp_path / "dst")
    try:
        ir = import_students(dst, path)
        assert ir.errors == [] and ir.imported == 150
        assert records(dst) == records(demo_archive)
    finally:
        dst.close()


def test_xls_keeps_extension_b_characters_across_record_boundaries(tmp_path):
    # many strings with 𠮷 (a surrogate pair in UTF-16) make the string table span CONTINUE records
    headers = ["姓名", "性别", "班号"]
    rows = [[f"𠮷{'喆' * (i % 7)}𠮷{i}", "男", str(i)] for i in range(3000)]
    W.write_workbook(tmp_path / "a.xls", headers, rows)
    book = xlrd.open_workbook(str(tmp_path / "a.xls"))  # xlrd itself, not the calamine fallback
    sh = book.sheet_by_index(0)
    assert [sh.row_values(r) for r in range(1, sh.nrows)] == rows
    assert [r for _, r in T.read_workbook(tmp_path / "a.xls")[0].rows] == rows


def test_xlsx_writer_output_is_a_valid_workbook(tmp_path):
    headers = ["姓名", "性别", "班号", "备注"]
    rows = [["a&b<c>", "  空格  ", "0012", "\x01控制符"], ["", "", "", ""], ["𠮷", "女", "1", "x"]]
    W.write_workbook(tmp_path / "a.xlsx", headers, rows)
    with zipfile.ZipFile(tmp_path / "a.xlsx") as z:
        assert z.testzip() is None
    ws = openpyxl.load_workbook(tmp_path / "a.xlsx")["学生基础信息"]
    got = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert got[0] == ["a&b<c>", "  空格  ", "0012", "控制符"]
    assert got[-1] == ["𠮷", "女", "1", "x"]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("suffix", [".xls", ".xlsx"])
def test_an_office_suite_reads_the_export_as_text(demo_archive, tmp_path, suffix):
    """LibreOffice opens the file and sees every cell as the text we wrote (no 4.11602E+17)."""
    path = tmp_path / f"out{suffix}"
    export_students(demo_archive, path)
    env = dict(os.environ, HOME=str(tmp_path))
    subprocess.run(["soffice", "--headless", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1",
                    "--outdir", str(tmp_path / "csv"), str(path)], check=True, env=env, timeout=180,
                   capture_output=True)
    with open(tmp_path / "csv" / "out.csv", encoding="utf-8", newline="") as fh:
        got = [r + [""] * (len(HEADERS) - len(r)) for r in csv.reader(fh)]
    sheet = T.read_workbook(path)[0]
    assert got == [HEADERS] + [cells for _, cells in sheet.rows]
    assert len(got) == 151


def test_password_protected_workbooks_are_refused_with_that_reason(tmp_path):
    import struct

    import xlwt

    wb = xlwt.Workbook()
    wb.add_sheet("学生基础信息").write(0, 0, "姓名")
    bof = wb._Workbook__bof_rec
    wb._Workbook__bof_rec = lambda: bof() + struct.pack("<HHH", 0x002F, 2, 1)  # FILEPASS: RC4 encrypted
    wb.save(str(tmp_path / "locked.xls"))
    # an encrypted .xlsx is an OLE2 container holding an "EncryptedPackage" stream
    (tmp_path / "locked.xlsx").write_bytes(T.OLE_MAGIC + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le")
                                           + b"\x00" * 1024)
    for name in ("locked.xls", "locked.xlsx"):
        with pytest.raises(Refused) as ei:
            T.read_workbook(tmp_path / name)
        f = ei.value.findings[0]
        assert f.code == "bad_file" and name in f.message and "密码" in f.message


def test_a_file_without_class_column_is_reported_once(tmp_path):
    s = new_archive(tmp_path / "a")
    try:
        headers = [h for h in HEADERS if h != "班号"]
        path = write_xlsx(tmp_path / "in.xlsx", headers, [template_row(), template_row()])
        ir = import_students(s, path)
        assert ir.imported == 0 and ir.total_rows == 2 and ir.skipped_rows == [2, 3]
        [f] = ir.errors
        assert f.code == "missing_column" and f.field == "班号" and f.row == 1
        assert student_count(s) == 0
    finally:
        s.close()


def test_export_warns_about_classes_without_a_national_class_code(tmp_path):
    from app.school import classes as cs
    from app.students import service as ss
    from app.exchange.export_service import export_students
    from app.school.service import init_school
    from tests.helpers import make_id

    with init_school(tmp_path / "a", name="无班号学校", code="4116000009", stages="junior", profile="national") as s:
        cid = cs.add_class(s, stage="junior", grade=8, number=2, entry_year=2025)
        ss.create_student(s, {"name": "赵一", "id_number": make_id("20120101", 5), "ethnicity": "汉族"},
                          [{"seq": 1, "name": "赵父", "relation": "父亲", "id_number": make_id("19800101", 7)}],
                          class_id=cid)
        r = export_students(s, tmp_path / "out.xlsx")
    assert r.count == 1
    assert [w.code for w in r.warnings] == ["class_without_code"]
    assert "八年级（2）班" in r.warnings[0].message and "1 名" in r.warnings[0].message
