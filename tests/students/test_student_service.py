"""app.students.service on a real archive: create / show / edit / history, the ID number as the source
of birth date and gender, normalisation, names, search, refusals that write nothing, and the
archive's never-delete / append-only guarantees."""
from __future__ import annotations

import sqlite3

import pytest

from app.core.errors import NotFound, Refused
from app.students.service import (create_student, edit_student, get_student, history, resolve, rows,
                                 search_ids)
from tests.helpers import (add, count, counts, history_rows, make_id, new_class, new_school,
                           refused, student)


@pytest.fixture
def s(tmp_path):
    session = new_school(tmp_path, "national")
    yield session
    session.close()


@pytest.fixture
def klass(s):
    return new_class(s, 3, number=1, code="20250301")


def id_ending_in_x(birth="20170315", gender="2"):
    for seq in range(500):
        n = make_id(birth, seq, gender)
        if n.endswith("X"):
            return n
    raise AssertionError("no X check digit found")


def full_width(text):
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)


MOTHER = {"seq": 1, "name": "王芳", "relation": "母亲", "phone": "13800001111", "is_guardian": "是",
          "id_number": make_id("19900202", 12, "2")}
FATHER = {"seq": 2, "name": "张伟", "relation": "父亲", "phone": "13800002222", "is_guardian": "否"}


# ------------------------------------------------------------------ round trip
def test_create_show_edit_history_round_trip(s, klass):
    idn = make_id("20170315", 1, "1")
    r = create_student(s, student("张三丰", idn, phone="0394-1234567", current_address="周口市川汇区"),
                       [MOTHER, FATHER], class_id=klass)
    assert r.id > 0 and r.warnings == []
    st = get_student(s, r.id)
    assert (st["name"], st["id_number"], st["ethnicity"], st["id_type"]) == ("张三丰", idn, "01", "1")
    assert st["status"] == "enrolled" and st["status_name"] == "在读"
    assert st["class"]["id"] == klass and st["class"]["display_name"] == "三年级（1）班"
    assert [(m["seq"], m["name"], m["relation"]) for m in st["members"]] == [(1, "王芳", "2"), (2, "张伟", "1")]
    assert st["members"][0]["is_guardian"] == "1" and st["members"][0]["id_number"] == MOTHER["id_number"]
    assert st["name_pinyin"] == "zhangsanfeng"

    ok = edit_student(s, r.id, {"phone": "0394-7654321", "m2.phone": "13900003333"})
    assert sorted(ok.changed) == sorted(["联系电话", "成员2联系电话"])
    st = get_student(s, idn)
    assert st["phone"] == "0394-7654321" and st["members"][1]["phone"] == "13900003333"

    h = history(s, r.id)
    assert [x["action"] for x in h] == ["create", "edit", "edit"]
    assert "张三丰" in h[0]["new_value"] and "三年级（1）班" in h[0]["new_value"]
    edits = {(x["entity"], x["field_name"]): (x["old_value"], x["new_value"]) for x in h[1:]}
    assert edits == {("student", "联系电话"): ("0394-1234567", "0394-7654321"),
                     ("member2", "成员2联系电话"): ("13800002222", "13900003333")}
    assert all(x["changed_by"] == "tester" for x in h)


def test_an_edit_that_changes_nothing_writes_no_history(s, klass):
    r = add(s, klass, "不变", make_id("20170315", 2))
    n = count(s, "change_history")
    ok = edit_student(s, r.id, {"phone": ""})
    assert ok.changed == [] and count(s, "change_history") == n


def test_unknown_field_is_refused(s, klass):
    r = add(s, klass, "字段", make_id("20170315", 3))
    fs = refused(edit_student, s, r.id, {"shoe_size": "38"})
    assert [(f.code, f.field) for f in fs] == [("not_editable", "shoe_size")]


def test_resolve_by_id_id_number_and_xueji_no(s, klass):
    idn = make_id("20170315", 4)
    r = add(s, klass, "多途径", idn, xueji_no="G" + idn)
    assert resolve(s, r.id) == resolve(s, str(r.id)) == resolve(s, idn) == r.id
    assert resolve(s, "G" + idn) == resolve(s, "g" + idn.lower()) == r.id
    with pytest.raises(NotFound):
        resolve(s, 9999)
    with pytest.raises(NotFound):
        resolve(s, make_id("20170315", 5))


# ------------------------------------------------------------------ the ID number decides birth date and gender
def test_id_number_fills_birth_date_and_gender(s, klass):
    male = add(s, klass, "男孩", make_id("20170102", 6, "1"))
    female = add(s, klass, "女孩", make_id("20161231", 7, "2"))
    assert (get_student(s, male.id)["birth_date"], get_student(s, male.id)["gender"]) == ("20170102", "1")
    assert (get_student(s, female.id)["birth_date"], get_student(s, female.id)["gender"]) == ("20161231", "2")


def test_matching_birth_date_and_gender_are_accepted_in_other_spellings(s, klass):
    r = add(s, klass, "同日", make_id("20170102", 8, "2"), birth_date="2017-01-02", gender="女")
    assert get_student(s, r.id)["birth_date"] == "20170102"


def test_mismatched_birth_date_refused_naming_both(s, klass):
    idn = make_id("20170102", 9, "1")
    before = counts(s)
    fs = refused(add, s, klass, "错生日", idn, birth_date="20170103")
    f = [x for x in fs if x.code == "birth_date_mismatch"]
    assert len(f) == 1 and f[0].field == "出生日期" and f[0].outcome == "INVALID"
    assert "20170103" in f[0].message and "20170102" in f[0].message and idn in f[0].message
    assert counts(s) == before


def test_mismatched_gender_refused_naming_both(s, klass):
    idn = make_id("20170102", 10, "1")
    fs = refused(add, s, klass, "错性别", idn, gender="女")
    f = [x for x in fs if x.code == "gender_mismatch"]
    assert len(f) == 1 and f[0].field == "性别"
    assert "「女」" in f[0].message and "男" in f[0].message and idn in f[0].message


def test_lower_case_x_and_full_width_digits_are_normalised(s, klass):
    idx = id_ending_in_x()
    r = add(s, klass, "小写叉", idx.lower())
    assert get_student(s, r.id)["id_number"] == idx
    assert resolve(s, idx.lower()) == r.id
    idn = make_id("20170315", 11)
    r2 = add(s, klass, "全角号", full_width(idn))
    st = get_student(s, r2.id)
    assert st["id_number"] == idn and st["birth_date"] == "20170315"
    r3 = add(s, klass, "全角叉", full_width(id_ending_in_x("20170316", "1")[:-1]) + "ｘ")
    assert get_student(s, r3.id)["id_number"] == id_ending_in_x("20170316", "1")


def test_wrong_check_digit_is_refused(s, klass):
    idn = make_id("20170315", 13)
    bad = idn[:-1] + ("0" if idn[-1] != "0" else "1")
    fs = refused(add, s, klass, "错校验", bad)
    assert [f.code for f in fs if f.field == "身份证件号"] == ["id_check_digit"]
    assert count(s, "students") == 0


def test_id_number_typed_with_spaces_and_no_document_type(s, klass):
    idn = make_id("20170315", 14)
    r = add(s, klass, "空格号", f"{idn[:6]} {idn[6:14]} {idn[14:]}")
    assert get_student(s, r.id)["id_number"] == idn


# ------------------------------------------------------------------ names
def test_extension_b_name_stored_and_found(s, klass):
    r = add(s, klass, "𠮷田", make_id("20170315", 15))
    assert get_student(s, r.id)["name"] == "𠮷田"
    assert search_ids(s, "𠮷") == [r.id]
    assert search_ids(s, "𠮷田") == [r.id]


def test_minority_name_with_middle_dot(s, klass):
    r = add(s, klass, "阿依古丽•买买提", make_id("20170315", 16, "2"), ethnicity="维吾尔族")  # U+2022 typed
    st = get_student(s, r.id)
    assert st["name"] == "阿依古丽·买买提" and st["ethnicity"] == "05"
    assert search_ids(s, "阿依古丽") == [r.id]
    assert search_ids(s, "买买提") == [r.id]
    assert search_ids(s, "aygl") == [r.id]


def test_minority_name_found_by_its_full_written_form(s, klass):
    r = add(s, klass, "阿依古丽·买买提", make_id("20170315", 17, "2"))
    assert search_ids(s, "阿依古丽·买买提") == [r.id]


@pytest.mark.parametrize("name, code", [("张3", "bad_name"), ("·张三", "bad_name"), ("张三!", "bad_name"),
                                        ("", "required")])
def test_bad_names_refused(s, klass, name, code):
    fs = refused(add, s, klass, name, make_id("20170315", 18))
    assert (code, "姓名") in [(f.code, f.field) for f in fs]
    assert count(s, "students") == 0


# ------------------------------------------------------------------ search
@pytest.fixture
def roster(s, klass):
    other = new_class(s, 4, number=1)
    ids = {
        "zsf": add(s, klass, "张三丰", make_id("20170401", 20, "1")).id,
        "zs": add(s, klass, "张三", make_id("20170402", 21, "1")).id,
        "lsf": add(s, other, "李树峰", make_id("20160403", 22, "1"), xueji_no="L110105201604035555").id,
    }
    return ids, other


def test_search_by_pinyin_initials_and_full_pinyin(s, roster):
    ids, _ = roster
    assert search_ids(s, "zsf") == [ids["zsf"]]
    assert search_ids(s, "ZSF") == [ids["zsf"]]
    assert search_ids(s, "zhangsanfeng") == [ids["zsf"]]
    assert search_ids(s, "zhang san") == sorted([ids["zsf"], ids["zs"]])
    assert search_ids(s, "张三") == sorted([ids["zsf"], ids["zs"]])
    assert search_ids(s, "lsf") == [ids["lsf"]]
    assert search_ids(s, "wxy") == []


def test_search_by_id_fragment_and_xueji_no(s, roster):
    ids, other = roster
    assert search_ids(s, "20170402") == [ids["zs"]]
    assert search_ids(s, full_width("20170402")) == [ids["zs"]]
    assert search_ids(s, make_id("20160403", 22, "1")[-6:]) == [ids["lsf"]]
    assert search_ids(s, "L110105201604035555") == [ids["lsf"]]
    assert search_ids(s, "l1101052016040355") == [ids["lsf"]]
    assert search_ids(s, "110105", class_id=other) == [ids["lsf"]]
    assert search_ids(s, "%") == [] and search_ids(s, "_") == []
    assert set(rows(s, [ids["zs"]])[ids["zs"]]) >= {"name", "id_number", "xueji_no"}


# ------------------------------------------------------------------ invalid codes, nothing written
@pytest.mark.parametrize("field, header, value", [("ethnicity", "民族", "火星族"), ("gender", "性别", "未知"),
                                                  ("id_type", "身份证件类型", "军官证"),
                                                  ("hukou_type", "户口性质", "外星户口")])
def test_invalid_codes_refused_with_field(s, klass, field, header, value):
    before = counts(s)
    fs = refused(add, s, klass, "错代码", make_id("20170315", 30), **{field: value})
    mine = [f for f in fs if f.field == header and f.code in ("unknown_code", "id_type_not_for_students")]
    assert len(mine) == 1, fs
    assert mine[0].outcome == "INVALID" and value in mine[0].message
    assert counts(s) == before


def test_invalid_member_code_refused_with_member_field(s, klass):
    before = counts(s)
    bad = dict(MOTHER, relation="邻居")
    fs = refused(add, s, klass, "错关系", make_id("20170315", 31), members=[bad])
    assert [(f.code, f.field) for f in fs] == [("unknown_code", "成员1关系")]
    assert counts(s) == before


def test_refused_edit_writes_nothing(s, klass):
    r = add(s, klass, "原样", make_id("20170315", 32), phone="13800000000")
    before = counts(s)
    fs = refused(edit_student, s, r.id, {"phone": "13900000000", "ethnicity": "火星族"})
    assert ("unknown_code", "民族") in [(f.code, f.field) for f in fs]
    assert counts(s) == before
    assert get_student(s, r.id)["phone"] == "13800000000"


def test_unknown_class_refused(s, klass):
    fs = refused(create_student, s, student("无班", make_id("20170315", 33)), class_code="NOPE")
    assert [(f.code, f.field) for f in fs] == [("unknown_class", "班号")]
    fs = refused(create_student, s, student("无班", make_id("20170315", 33)), class_id=999)
    assert [(f.code, f.field) for f in fs] == [("unknown_class", "班号")]
    assert count(s, "students") == 0


def test_student_without_a_class_is_refused(s, klass):
    fs = refused(create_student, s, student("无班", make_id("20170315", 33)))
    assert [(f.code, f.field) for f in fs] == [("required", "班号")]
    assert count(s, "students") == 0


def test_class_by_national_code(s, klass):
    r = create_student(s, student("按班号", make_id("20170315", 34)), class_code="20250301")
    assert get_student(s, r.id)["class_id"] == klass


# ------------------------------------------------------------------ never delete, append-only
def test_students_cannot_be_deleted(s, klass):
    r = add(s, klass, "不删", make_id("20170315", 40), members=[MOTHER])
    with pytest.raises(sqlite3.DatabaseError, match="never deleted"):
        s.conn.execute("DELETE FROM students WHERE id = ?", (r.id,))
    with pytest.raises(sqlite3.DatabaseError, match="never deleted"):
        s.conn.execute("DELETE FROM family_members WHERE student_id = ?", (r.id,))
    assert get_student(s, r.id)["name"] == "不删" and len(get_student(s, r.id)["members"]) == 1


def test_history_is_append_only(s, klass):
    r = add(s, klass, "留痕", make_id("20170315", 41))
    edit_student(s, r.id, {"phone": "13800000000"})
    rows_before = history_rows(s, r.id)
    assert len(rows_before) == 2
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        s.conn.execute("UPDATE change_history SET new_value = 'x' WHERE student_id = ?", (r.id,))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        s.conn.execute("DELETE FROM change_history WHERE student_id = ?", (r.id,))
    assert history_rows(s, r.id) == rows_before


def test_classes_cannot_be_deleted(s, klass):
    with pytest.raises(sqlite3.DatabaseError, match="never deleted"):
        s.conn.execute("DELETE FROM classes WHERE id = ?", (klass,))
