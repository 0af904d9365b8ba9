"""The national-roster reconciliation fixture: the archive's students and the roster the national system
"exported" for them, with exactly one difference of each kind.

    .venv/bin/python -m tests.reconcile_fixture          # rewrites tests/fixtures/national-roster-reconcile.xls

The .xls is written the way exports from the national system look (national-system.md §2): two title
rows above the header, header aliases (学生姓名, 身份证号), a 序号 column and a 学籍状态 column, every cell text.
tests/paper/test_reconcile.py builds the archive from ARCHIVE and reads the committed file.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "national-roster-reconcile.xls"
CLASS_CODES = ("2025101", "2025102")

# key: (name, birth, ID sequence, gender code, class index, has 学籍号 in Xueji)
ARCHIVE = {
    "same": ("张一", dt.date(2018, 3, 1), 11, "1", 0, True),
    "name": ("王二", dt.date(2018, 3, 2), 12, "1", 0, True),
    "id": ("李三", dt.date(2018, 3, 3), 13, "1", 0, True),
    "birth": ("赵四", dt.date(2018, 3, 4), 14, "2", 0, True),
    "gender": ("钱五", dt.date(2018, 3, 5), 15, "1", 0, True),
    "class": ("孙六", dt.date(2018, 3, 6), 16, "2", 0, True),
    "state": ("周七", dt.date(2018, 3, 7), 17, "1", 0, True),
    "xjh": ("吴八", dt.date(2018, 3, 8), 18, "2", 1, False),
    "only_xueji": ("郑九", dt.date(2018, 3, 9), 19, "1", 1, True),
    "name_birth": ("陈十一", dt.date(2018, 3, 11), 21, "2", 1, True),
}
ONLY_NATIONAL = ("冯十", dt.date(2018, 3, 10), 20, "1", 1)

# what the reconciliation must find, and nothing else: (kind, name, field)
EXPECTED = {
    ("field", "王二", "name"), ("field", "李三", "id_number"), ("field", "赵四", "birth_date"),
    ("field", "钱五", "gender"), ("field", "孙六", "class_code"), ("field", "周七", "status"),
    ("field", "吴八", "xueji_no"), ("only_xueji", "郑九", ""), ("only_national", "冯十", ""),
}
HEADERS = ["序号", "学生姓名", "性别", "出生日期", "身份证号", "学籍号", "班号", "学籍状态"]
GENDER = {"1": "男", "2": "女"}


def id_of(birth: dt.date, seq: int, gender: str) -> str:
    from tests.helpers import make_id

    return make_id(birth, seq, gender)


def national_rows() -> list[list[str]]:
    rows = []
    for key, (name, birth, seq, gender, k, _) in ARCHIVE.items():
        if key == "only_xueji":
            continue
        idn = id_of(birth, seq, gender)
        r = {"name": name, "gender": GENDER[gender], "birth": birth.strftime("%Y%m%d"), "id": idn, "xjh": "G" + idn,
             "class": CLASS_CODES[k], "state": "在读"}
        if key == "name":
            r["name"] = "王贰"
        elif key == "id":
            r["id"] = id_of(birth, seq + 100, gender)
        elif key == "birth":
            r["birth"] = "20180314"
        elif key == "gender":
            r["gender"] = GENDER["2"]
        elif key == "class":
            r["class"] = CLASS_CODES[1]
        elif key == "state":
            r["state"] = "休学"
        elif key == "name_birth":
            r["id"] = r["xjh"] = ""
        rows.append(r)
    name, birth, seq, gender, k = ONLY_NATIONAL
    idn = id_of(birth, seq, gender)
    rows.append({"name": name, "gender": GENDER[gender], "birth": birth.strftime("%Y%m%d"), "id": idn, "xjh": "G" + idn,
                 "class": CLASS_CODES[k], "state": "在读"})
    return [[str(i + 1), r["name"], r["gender"], r["birth"], r["id"], r["xjh"], r["class"], r["state"]]
            for i, r in enumerate(rows)]


def write(path: Path = FIXTURE) -> Path:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    sh = wb.add_sheet("学生基础信息")
    text = xlwt.easyxf(num_format_str="@")
    sh.write(0, 0, "全国中小学生学籍信息管理系统　学生花名册")
    sh.write(1, 0, "学校：测试学校　导出日期：2026-11-20")
    for c, h in enumerate(HEADERS):
        sh.write(2, c, h, text)
    for r, row in enumerate(national_rows(), start=3):
        for c, v in enumerate(row):
            sh.write(r, c, v, text)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(str(path))
    return path


def build_archive(session) -> dict[str, int]:
    """Classes and students of ARCHIVE in ``session`` (national profile); key -> student id."""
    from app.school.classes import add_class
    from app.students.service import create_student

    classes = [add_class(session, stage="primary", grade=1, number=i + 1, entry_year=2025, code=code, capacity=60)
               for i, code in enumerate(CLASS_CODES)]
    ids = {}
    for key, (name, birth, seq, gender, k, has_xjh) in ARCHIVE.items():
        idn = id_of(birth, seq, gender)
        rec = {"name": name, "ethnicity": "汉族", "id_number": idn}
        if has_xjh:
            rec["xueji_no"] = "G" + idn
        ids[key] = create_student(session, rec, [], class_id=classes[k]).id
    return ids


if __name__ == "__main__":
    print(write())
