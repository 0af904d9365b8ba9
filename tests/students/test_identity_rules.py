"""Identity checks found in review: ID number required with its document type, the Zhoukou no-ID rule
on edits, family members' ID numbers, ID type vs number kind, history shown by name."""
import pytest

from app.students import service as ss
from app.students.service import Override
from tests.helpers import add, counts, make_id, new_class, new_school, refused, rule_ids

GUARDIAN = {"seq": 1, "name": "李父", "relation": "父亲", "id_number": make_id("19880101", 50)}


@pytest.fixture
def school(tmp_path):
    opened = []

    def make(profile="national"):
        s = new_school(tmp_path, profile, sub=f"s{len(opened)}")
        opened.append(s)
        return s
    yield make
    for s in opened:
        s.close()


def test_resident_id_type_with_empty_number_is_refused(school):
    s = school("national")
    c = new_class(s, 1, entry_year=2025)
    fs = refused(add, s, c, "赵九", members=[GUARDIAN], id_type="居民身份证", gender="女", birth_date="20180508")
    assert any(f.code == "required" and f.field == "身份证件号" for f in fs)


def test_zhoukou_removing_the_id_number_by_edit_needs_the_override(school):
    s = school("henan-zhoukou")
    c = new_class(s, 2, entry_year=2024)
    r = add(s, c, "王五", make_id("20170101", 3), members=[GUARDIAN])
    changes = {"id_number": "", "id_type": "其他"}
    fs = refused(ss.edit_student, s, r.id, changes, reason="证号注销", evidence=["户口本"])
    assert "NOID.REGISTRATION.ZK" in rule_ids(fs)
    ov = Override("证号注销", "县教育局", ["派出所无户籍说明", "监护人户口本"])
    res = ss.edit_student(s, r.id, changes, reason="证号注销", evidence=["户口本"], overrides={"*": ov})
    assert rule_ids(res.overridden) == {"NOID.REGISTRATION.ZK"}
    # later edits of other fields don't ask again
    assert ss.edit_student(s, r.id, {"phone": "13800000000"}).overridden == []


@pytest.mark.parametrize("bad", ["41160219850101104A", "110105198001010015"])
def test_family_member_id_numbers_are_validated(school, bad):
    s = school("national")
    c = new_class(s, 2, entry_year=2024)
    before = counts(s)
    fs = refused(add, s, c, "钱七", make_id("20170202", 4), members=[dict(GUARDIAN, id_number=bad)])
    assert any(f.field == "成员1身份证件号" for f in fs)
    assert counts(s) == before


def test_family_member_full_width_x_is_normalised(school):
    s = school("national")
    c = new_class(s, 2, entry_year=2024)
    good = make_id("19850101", 7)
    typed = good[:-1] + ("ｘ" if good.endswith("X") else chr(ord(good[-1]) + 0xFEE0))
    r = add(s, c, "孙八", make_id("20170303", 5), members=[dict(GUARDIAN, id_number=typed)])
    assert ss.get_student(s, r.id)["members"][0]["id_number"] == good


def test_permit_number_gets_type_c_and_type_mismatch_is_refused(school):
    s = school("national")
    c = new_class(s, 2, entry_year=2024)
    r = add(s, c, "陈港", make_id("20170101", 3, division="830000"), members=[GUARDIAN], gender="男")
    assert ss.get_student(s, r.id)["id_type"] == "C"
    fs = refused(add, s, c, "周外", make_id("20170404", 6), members=[GUARDIAN], id_type="外国人永久居留身份证")
    assert any(f.code == "id_type_mismatch" for f in fs)


def test_rename_recomputes_pinyin_and_history_shows_names(school):
    s = school("national")
    c = new_class(s, 2, entry_year=2024)
    r = add(s, c, "李四", make_id("20170505", 8), members=[GUARDIAN])
    ss.edit_student(s, r.id, {"name": "王小明", "ethnicity": "回族"}, reason="户籍更正", evidence=["户口簿"])
    st = ss.get_student(s, r.id)
    assert st["name_pinyin"] == "wangxiaoming"
    assert ss.search_ids(s, "wxm") == [r.id]
    rows = {h["field"]: h for h in ss.history(s, r.id) if h["action"] == "edit"}
    assert rows["ethnicity"]["old_display"] == "汉族" and rows["ethnicity"]["new_display"] == "回族"
    assert "name_pinyin" not in rows


def test_full_width_reference_finds_the_student(school):
    s = school("national")
    c = new_class(s, 2, entry_year=2024)
    idn = make_id("20170606", 9)
    r = add(s, c, "吴九", idn, members=[GUARDIAN])
    assert ss.resolve(s, "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() else ch for ch in idn)) == r.id
