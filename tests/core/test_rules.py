"""The rule foundation (rules-digest §1.2–§1.7, §3.1; resources/rules/*.toml): every rule on both
sides of its boundary, per profile where the profiles differ. Real archives in tmp_path."""
from __future__ import annotations

import shutil
import sys
import tomllib

import pytest

from app.school.classes import list_classes
from app.core.errors import Refused
from app.rules import checks, engine
from app.rules.engine import Profile, ProfileError, Rule, RuleContext, evaluate, load_profile
from app.school.service import init_school
from app.students.service import Override, edit_student, findings as student_findings, get_student
from tests.helpers import (PROFILES, add, birth_for_grade, by_rule, count, counts, fill_class,
                           history_rows, make_id, new_class, new_school, refused, rule_ids, stored_findings)

EVENTS = {"student.create", "student.edit", "student.place", "class.create"}

DUP_ARTICLE = {"national": "国家 第六条", "henan-zhoukou": "周口 第八条", "shanxi-changzhi": "长治 第十四条",
               "liaoning": "辽宁 第七条", "gansu-linxia": "国家 第六条"}
KEYDATA = {"national": ("KEYDATA.CHANGE.NAT", "国家 第十条"), "henan-zhoukou": ("KEYDATA.CHANGE.ZK", "周口 第十条"),
           "shanxi-changzhi": ("KEYDATA.CHANGE.CZ", "长治 第十五条"), "liaoning": ("KEYDATA.CHANGE.LN", "辽宁 第十一条"),
           "gansu-linxia": ("KEYDATA.CHANGE.LX", "临夏 三（一）1")}
XJH_CHANGE = {"national": ("XJH.NO_CHANGE", "国家 第五条"), "henan-zhoukou": ("XJH.NO_CHANGE", "国家 第五条"),
              "shanxi-changzhi": ("XJH.SYSTEM_ASSIGNED.CZ", "长治 第十一条"),
              "liaoning": ("XJH.NO_CHANGE", "国家 第五条"), "gansu-linxia": ("XJH.NO_CHANGE", "国家 第五条")}


@pytest.fixture
def school(tmp_path, request):
    """``school(profile)`` → an open Session on a fresh archive; closed after the test."""
    opened = []

    def make(profile="national", **kw):
        s = new_school(tmp_path, profile, sub=f"a{len(opened)}", **kw)
        opened.append(s)
        return s

    yield make
    for s in opened:
        s.close()


def no_rule(result_or_findings, prefix):
    items = result_or_findings
    if hasattr(items, "warnings"):
        items = [*items.warnings, *items.notes, *items.overridden]
    return not any(f.rule.startswith(prefix) for f in items)


# =================================================================== ENROLL.AGE_MIN_AUG31.ZK (周口 第四条)
class TestMinAgeZhoukou:
    def test_born_on_aug_31_is_six_on_the_cutoff_and_accepted(self, school):
        s = school("henan-zhoukou")
        c = new_class(s, 1, entry_year=2025)
        r = add(s, c, "八月末", make_id("20190831", 1))
        assert get_student(s, r.id)["birth_date"] == "20190831"
        assert no_rule(r, "ENROLL")

    def test_born_on_sep_1_is_under_age_and_refused_with_rule_and_article(self, school):
        s = school("henan-zhoukou")
        c = new_class(s, 1, entry_year=2025)
        before = counts(s)
        fs = refused(add, s, c, "九月初", make_id("20190901", 1))
        hit = by_rule(fs, "ENROLL.AGE_MIN_AUG31.ZK")
        assert len(hit) == 1
        assert hit[0].article == "周口 第四条"
        assert hit[0].outcome == "BLOCK"
        assert hit[0].code == "under_age"
        assert hit[0].field == "出生日期"
        assert "20190901" in hit[0].message and "2025年08月31日" in hit[0].message
        assert counts(s) == before

    def test_cutoff_follows_the_class_entry_year(self, school):
        s = school("henan-zhoukou")
        c26 = new_class(s, 1, number=2, entry_year=2026)
        # born 2020-08-31 is six on 2026-08-31; born 2019-09-01 is long since six in 2026
        add(s, c26, "二六甲", make_id("20200831", 2))
        add(s, c26, "二六乙", make_id("20190901", 3))
        fs = refused(add, s, c26, "二六丙", make_id("20200901", 4))
        assert rule_ids(fs) == {"ENROLL.AGE_MIN_AUG31.ZK"}

    @pytest.mark.parametrize("profile", ["national", "shanxi-changzhi", "liaoning", "gansu-linxia"])
    def test_no_age_rule_outside_zhoukou(self, school, profile):
        s = school(profile)
        assert s.profile.rule("ENROLL.AGE_MIN_AUG31.ZK") is None
        c = new_class(s, 1, entry_year=2025)
        r = add(s, c, "九月初", make_id("20190901", 1))
        assert get_student(s, r.id)["birth_date"] == "20190901"
        r2 = add(s, c, "更小的", make_id("20200601", 2))
        assert no_rule(r, "ENROLL") and no_rule(r2, "ENROLL")

    def test_leap_day_births(self, school):
        s = school("henan-zhoukou")
        c22 = new_class(s, 1, number=1, entry_year=2022)
        c21 = new_class(s, 1, number=2, entry_year=2021)
        c26 = new_class(s, 1, number=3, entry_year=2026)
        # 2016-02-29: six on (1 March) 2022 → fine for the 2022 intake, five in 2021
        r = add(s, c22, "闰日甲", make_id("20160229", 1))
        assert get_student(s, r.id)["birth_date"] == "20160229"
        fs = refused(add, s, c21, "闰日乙", make_id("20160229", 2))
        assert rule_ids(fs) == {"ENROLL.AGE_MIN_AUG31.ZK"}
        # 2020-02-29: six on 2026-02-28/03-01, before 31 August 2026
        add(s, c26, "闰日丙", make_id("20200229", 3))

    def test_leap_day_child_turns_six_on_1_march_in_a_common_year(self):
        """Engine level, with the cutoff moved next to the leap day (the profile's params decide)."""
        def rule(**params):
            return Rule("T.AGE", "测试", "min_enrol_age", ("student.create",), "BLOCK",
                        dict(grades=[1], min_age=6, **params), "{birth_date}")

        def hits(r, dob, year=2022):
            p = Profile("t", "t", "", "t", [r])
            ctx = RuleContext("student.create", record={"birth_date": dob},
                              klass={"grade": 1, "entry_year": year})
            return evaluate(p, ctx)

        assert len(hits(rule(cutoff="02-28", inclusive=True), "20160229")) == 1   # birthday 2022-03-01
        assert hits(rule(cutoff="03-01", inclusive=True), "20160229") == []
        assert len(hits(rule(cutoff="03-01", inclusive=False), "20160229")) == 1
        assert hits(rule(cutoff="02-28", inclusive=True), "20160228") == []
        # exclusive cutoff: born on 31 August is then too young
        assert len(hits(rule(cutoff="08-31", inclusive=False), "20160831")) == 1
        assert hits(rule(cutoff="08-31", inclusive=True), "20160831") == []

    def test_grade_2_class_is_not_checked(self, school):
        s = school("henan-zhoukou")
        c = new_class(s, 2, entry_year=2024)
        r = add(s, c, "二年级", make_id("20190901", 1))
        assert no_rule(r, "ENROLL")
        add(s, c, "二年级乙", make_id("20200301", 2))

    def test_editing_birth_date_of_grade1_student_to_under_age_is_refused(self, school):
        s = school("henan-zhoukou")
        c = new_class(s, 1, entry_year=2025)
        r = add(s, c, "改生日", make_id("20190301", 1))
        n_hist = count(s, "change_history")
        new_id = make_id("20190901", 1)
        fs = refused(edit_student, s, r.id, {"id_number": new_id, "birth_date": "20190901"},
                     reason="户口更正", evidence=["户口登记项目变更更正证明"])
        assert rule_ids(fs) == {"ENROLL.AGE_MIN_AUG31.ZK"}
        assert by_rule(fs, "ENROLL.AGE_MIN_AUG31.ZK")[0].article == "周口 第四条"
        stored = get_student(s, r.id)
        assert (stored["birth_date"], stored["id_number"]) == ("20190301", make_id("20190301", 1))
        assert count(s, "change_history") == n_hist
        # the boundary date is still fine
        ok = edit_student(s, r.id, {"id_number": make_id("20190831", 1), "birth_date": "20190831"},
                          reason="户口更正", evidence=["户口登记项目变更更正证明"])
        assert get_student(s, ok.id)["birth_date"] == "20190831"

    def test_editing_birth_date_without_id_number_document(self, school):
        """A passport holder: the birth date is not tied to an ID number."""
        s = school("henan-zhoukou")
        c = new_class(s, 1, entry_year=2025)
        r = add(s, c, "护照生", "E12345678", id_type="护照", gender="女", birth_date="20190315")
        fs = refused(edit_student, s, r.id, {"birth_date": "20190902"}, reason="更正", evidence=["护照复印件"])
        assert rule_ids(fs) == {"ENROLL.AGE_MIN_AUG31.ZK"}
        assert get_student(s, r.id)["birth_date"] == "20190315"

    def test_moving_an_under_age_child_into_grade_1_is_refused(self, school):
        s = school("henan-zhoukou")
        g2 = new_class(s, 2, entry_year=2024)
        g1 = new_class(s, 1, entry_year=2025)
        r = add(s, g2, "插班生", make_id("20190901", 1))
        fs = refused(edit_student, s, r.id, {"class_id": g1})
        assert "ENROLL.AGE_MIN_AUG31.ZK" in rule_ids(fs)
        assert get_student(s, r.id)["class_id"] == g2


# =================================================================== DUP (一人一籍)
class TestOnePersonOneXueji:
    @pytest.mark.parametrize("profile", PROFILES)
    def test_same_id_number_refused_with_profile_article(self, school, profile):
        s = school(profile)
        a = new_class(s, 3, number=1)
        b = new_class(s, 3, number=2)
        idn = make_id("20170510", 7)
        add(s, a, "原学生", idn)
        before = counts(s)
        for klass in (a, b):  # same class, and another class
            fs = refused(add, s, klass, "另一个", idn)
            hit = by_rule(fs, "DUP.ONE_PERSON_ONE_XJ")
            assert len(hit) == 1, fs
            assert hit[0].article == DUP_ARTICLE[profile]
            assert hit[0].outcome == "BLOCK"
            assert hit[0].field == "身份证件号"
            assert "原学生" in hit[0].message and "三年级（1）班" in hit[0].message
        assert counts(s) == before

    def test_duplicate_found_whatever_the_spelling(self, school):
        s = school("national")
        c = new_class(s, 3)
        idn = make_id("20170510", 4, gender="1")
        add(s, c, "原学生", idn)
        full_width = "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() else ch for ch in idn)
        fs = refused(add, s, c, "全角号", full_width)
        assert rule_ids(fs) == {"DUP.ONE_PERSON_ONE_XJ"}
        fs = refused(add, s, c, "空格号", " " + idn[:6] + " " + idn[6:14] + " " + idn[14:] + " ",
                     id_type="居民身份证")
        assert rule_ids(fs) == {"DUP.ONE_PERSON_ONE_XJ"}

    def test_duplicate_of_a_student_who_left(self, school):
        """An exact duplicate is blocked even against a transferred-out record (rules-digest §1.6)."""
        s = school("national")
        c = new_class(s, 3)
        idn = make_id("20170510", 8)
        r = add(s, c, "已转出", idn)
        with s.transaction() as conn:  # no status-change service yet: set the state directly
            conn.execute("UPDATE students SET status = 'transferred' WHERE id = ?", (r.id,))
        fs = refused(add, s, c, "又来了", idn)
        hit = by_rule(fs, "DUP.ONE_PERSON_ONE_XJ")
        assert hit and "转出" in hit[0].message

    def test_editing_an_id_number_into_a_duplicate_is_refused(self, school):
        s = school("henan-zhoukou")
        c = new_class(s, 3)
        a = add(s, c, "甲生", make_id("20170510", 10))
        b = add(s, c, "乙生", make_id("20170510", 11))
        fs = refused(edit_student, s, b.id, {"id_number": make_id("20170510", 10)},
                     reason="更正", evidence=["户口本"])
        hit = by_rule(fs, "DUP.ONE_PERSON_ONE_XJ")
        assert hit and hit[0].article == "周口 第八条"
        # re-saving a student with its own unchanged ID number is not a duplicate
        ok = edit_student(s, a.id, {"phone": "13800000000"})
        assert no_rule(ok, "DUP")

    @pytest.mark.parametrize("profile", PROFILES)
    def test_same_name_and_birth_date_warns_and_is_stored(self, school, profile):
        s = school(profile)
        c = new_class(s, 3)
        add(s, c, "王小明", make_id("20170620", 20))
        r = add(s, c, "王小明", make_id("20170620", 21))
        hit = by_rule(r.warnings, "DUP.NAME_BIRTH")
        assert len(hit) == 1
        assert hit[0].outcome == "WARN"
        assert hit[0].article == DUP_ARTICLE[profile]
        assert "20170620" in hit[0].message
        rows = [f for f in stored_findings(s, r.id) if f["rule_id"] == "DUP.NAME_BIRTH"]
        assert len(rows) == 1
        assert rows[0]["outcome"] == "WARN" and rows[0]["article"] == DUP_ARTICLE[profile]
        assert rows[0]["decided_by"] == "tester"

    def test_name_birth_warning_needs_both_to_match(self, school):
        s = school("national")
        c = new_class(s, 3)
        add(s, c, "王小明", make_id("20170620", 30))
        other_name = add(s, c, "王小亮", make_id("20170620", 31))
        other_day = add(s, c, "王小明", make_id("20170621", 32))
        assert no_rule(other_name, "DUP") and no_rule(other_day, "DUP")
        assert stored_findings(s, other_name.id) == [] and stored_findings(s, other_day.id) == []

    def test_same_xueji_no_refused(self, school):
        s = school("national")
        c = new_class(s, 3)
        xjh = "L" + "110105" + "20170705" + "1234"
        add(s, c, "临时甲", make_id("20170705", 40), xueji_no=xjh)
        before = counts(s)
        fs = refused(add, s, c, "临时乙", make_id("20170705", 41), xueji_no=xjh.lower())
        hit = by_rule(fs, "DUP.ONE_PERSON_ONE_XJ.XJH")
        assert len(hit) == 1 and hit[0].article == "国家 第五条" and hit[0].field == "学籍号"
        assert counts(s) == before
        add(s, c, "临时丙", make_id("20170705", 42), xueji_no=xjh[:-1] + "5")


# =================================================================== CLASS size and capacity
def _size_warnings(results, rule):
    return [r for r in results if by_rule(r.warnings, rule)]


class TestClassSize:
    @pytest.mark.parametrize("grade, limit", [(1, 45), (7, 50), (10, 55)])
    def test_zhoukou_encouraged_size_warns_one_past_the_limit(self, school, grade, limit):
        s = school("henan-zhoukou")
        c = new_class(s, grade)
        results = fill_class(s, c, limit, grade)
        assert all(no_rule(r, "CLASS") for r in results)
        r = add(s, c, "超员", make_id(birth_for_grade(grade, 7), 499, "1"))
        hit = by_rule(r.warnings, "CLASS.SIZE.ZK")
        assert len(hit) == 1
        assert hit[0].article == "周口 第四条" and hit[0].outcome == "WARN"
        assert f"{limit + 1} 人" in hit[0].message and f"不超过 {limit} 人" in hit[0].message
        assert [f["rule_id"] for f in stored_findings(s, r.id)] == ["CLASS.SIZE.ZK"]
        assert list_classes(s)[0]["headcount"] == limit + 1

    def test_changzhi_primary_recommended_45_and_hard_50(self, school):
        s = school("shanxi-changzhi")
        c = new_class(s, 1)
        first = fill_class(s, c, 45, 1)
        assert all(no_rule(r, "CLASS") for r in first)
        r46 = add(s, c, "四十六", make_id(birth_for_grade(1, 1), 498, "2"))
        assert rule_ids(r46.warnings) == {"CLASS.SIZE.CZ.RECOMMENDED"}
        assert by_rule(r46.warnings, "CLASS.SIZE.CZ.RECOMMENDED")[0].article == "长治 第十三条"
        more = fill_class(s, c, 4, 1, start=100)  # 47..50
        assert all(rule_ids(r.warnings) == {"CLASS.SIZE.CZ.RECOMMENDED"} for r in more)
        assert list_classes(s)[0]["headcount"] == 50
        before = counts(s)
        fs = refused(add, s, c, "五十一", make_id(birth_for_grade(1, 2), 497, "1"))
        hit = by_rule(fs, "CLASS.SIZE.CZ")
        assert len(hit) == 1 and hit[0].outcome == "BLOCK" and hit[0].article == "长治 第十三条"
        assert "已有 50 人" in hit[0].message and "51 人" in hit[0].message
        assert counts(s) == before

    def test_changzhi_junior_50_and_55(self, school):
        s = school("shanxi-changzhi")
        c = new_class(s, 8)
        res = fill_class(s, c, 50, 8)
        assert all(no_rule(r, "CLASS") for r in res)
        res = fill_class(s, c, 5, 8, start=100)  # 51..55
        assert all(rule_ids(r.warnings) == {"CLASS.SIZE.CZ.RECOMMENDED"} for r in res)
        fs = refused(add, s, c, "五十六", make_id(birth_for_grade(8, 3), 497, "1"))
        assert "CLASS.SIZE.CZ" in rule_ids(fs)
        assert list_classes(s)[0]["headcount"] == 55

    @pytest.mark.parametrize("grade, hard", [(10, 50), (11, 55), (12, 55)])
    def test_changzhi_senior_grade10_50_then_55(self, school, grade, hard):
        s = school("shanxi-changzhi")
        c = new_class(s, grade)
        res = fill_class(s, c, hard, grade)
        assert all(no_rule(r, "CLASS") for r in res)  # no 'recommended' size for senior
        fs = refused(add, s, c, "超员", make_id(birth_for_grade(grade, 3), 497, "1"))
        hit = by_rule(fs, "CLASS.SIZE.CZ")
        assert len(hit) == 1 and f"最大班容量 {hard} 人" in hit[0].message
        assert list_classes(s)[0]["headcount"] == hard

    def test_changzhi_moving_into_a_full_class_is_refused(self, school):
        s = school("shanxi-changzhi")
        full = new_class(s, 10, number=1)
        other = new_class(s, 10, number=2)
        fill_class(s, full, 50, 10)
        r = add(s, other, "想转班", make_id(birth_for_grade(10, 1), 496, "1"))
        fs = refused(edit_student, s, r.id, {"class_id": full})
        assert "CLASS.SIZE.CZ" in rule_ids(fs)
        assert get_student(s, r.id)["class_id"] == other

    def test_students_who_left_do_not_count(self, school):
        s = school("shanxi-changzhi")
        c = new_class(s, 10)
        ids = [r.id for r in fill_class(s, c, 50, 10)]
        with s.transaction() as conn:
            conn.execute("UPDATE students SET status = 'transferred' WHERE id = ?", (ids[0],))
        r = add(s, c, "补位", make_id(birth_for_grade(10, 4), 495, "1"))
        assert no_rule(r, "CLASS")

    @pytest.mark.parametrize("profile", ["national", "liaoning", "gansu-linxia"])
    def test_no_size_rule_elsewhere(self, school, profile):
        s = school(profile)
        assert not [r for r in s.profile.rules if r.check == "class_size"]
        c = new_class(s, 2)
        res = fill_class(s, c, 60, 2)
        assert all(no_rule(r, "CLASS") for r in res)
        assert list_classes(s)[0]["headcount"] == 60

    @pytest.mark.parametrize("profile", ["national", "liaoning", "gansu-linxia", "henan-zhoukou"])
    def test_school_capacity_warns_past_the_capacity(self, school, profile):
        s = school(profile)
        c = new_class(s, 2, capacity=3)
        res = fill_class(s, c, 3, 2)
        assert all(no_rule(r, "CLASS") for r in res)
        r = add(s, c, "第四个", make_id(birth_for_grade(2, 5), 494, "1"))
        hit = by_rule(r.warnings, "CLASS.CAPACITY")
        assert len(hit) == 1 and hit[0].outcome == "WARN" and hit[0].article == "本校设置（班级容量）"
        assert "已有 3 人" in hit[0].message and "容量 3 人" in hit[0].message
        assert [f["rule_id"] for f in stored_findings(s, r.id)] == ["CLASS.CAPACITY"]


# =================================================================== NOID
def _no_id(**kw):
    return dict(id_type="其他", gender="男", birth_date="20180505", **kw)


GUARDIAN = {"seq": 1, "name": "李父", "relation": "父亲", "id_number": make_id("19880101", 50)}


class TestNoIdNumber:
    def test_national_needs_a_family_member_id(self, school):
        s = school("national")
        c = new_class(s, 1)
        before = counts(s)
        fs = refused(add, s, c, "无证甲", **_no_id())
        hit = by_rule(fs, "NOID.GUARDIAN_ID")
        assert len(hit) == 1 and hit[0].outcome == "BLOCK" and hit[0].field == "成员1身份证件号"
        assert hit[0].article == "学生基本信息表 填表说明"
        # a member without an ID number is not enough
        fs = refused(add, s, c, "无证甲", members=[{"seq": 1, "name": "李父", "relation": "父亲"}], **_no_id())
        assert "NOID.GUARDIAN_ID" in rule_ids(fs)
        assert counts(s) == before
        r = add(s, c, "无证甲", members=[GUARDIAN], **_no_id())
        st = get_student(s, r.id)
        assert st["id_number"] == "" and st["members"][0]["id_number"] == GUARDIAN["id_number"]

    def test_zhoukou_block_star_refused_without_override(self, school):
        s = school("henan-zhoukou")
        c = new_class(s, 1)
        before = counts(s)
        fs = refused(add, s, c, "无证乙", members=[GUARDIAN], **_no_id())
        hit = by_rule(fs, "NOID.REGISTRATION.ZK")
        assert len(hit) == 1
        assert hit[0].outcome == "BLOCK*" and hit[0].article == "周口 第六条" and hit[0].field == "身份证件号"
        assert "派出所" in hit[0].message
        # an incomplete override (no approver, or no evidence) does not let it through
        both = ["派出所无户籍说明", "父亲户口本"]
        for ov, lacking in ((Override("确无户口", "", both), "批准人"), (Override("确无户口", "张局长", []), "证明材料"),
                            (Override("", "张局长", both), "特批理由"),
                            (Override("确无户口", "张局长", ["派出所无户籍说明"]), "需登记 2 项")):
            fs = refused(add, s, c, "无证乙", members=[GUARDIAN], overrides={"NOID.REGISTRATION.ZK": ov}, **_no_id())
            hit = [f for f in fs if f.rule == "NOID.REGISTRATION.ZK"]
            assert hit and lacking in hit[0].message
        assert counts(s) == before

    def test_zhoukou_block_star_accepted_with_override_and_recorded(self, school):
        s = school("henan-zhoukou")
        c = new_class(s, 1)
        ov = Override("监护人辖区派出所出具无户籍说明", "县教育局 张局长",
                      ["派出所无户籍说明（原件扫描）", "父亲户口本首页及本人页"])
        r = add(s, c, "无证乙", members=[GUARDIAN], overrides={"NOID.REGISTRATION.ZK": ov}, **_no_id())
        assert rule_ids(r.overridden) == {"NOID.REGISTRATION.ZK"}
        rows = [f for f in stored_findings(s, r.id) if f["rule_id"] == "NOID.REGISTRATION.ZK"]
        assert len(rows) == 1
        row = rows[0]
        assert row["outcome"] == "BLOCK*" and row["article"] == "周口 第六条"
        assert row["approved_by"] == "县教育局 张局长"
        assert row["override_reason"] == "监护人辖区派出所出具无户籍说明"
        assert "派出所无户籍说明（原件扫描）" in row["evidence_ref"] and "父亲户口本" in row["evidence_ref"]
        assert [f["rule_id"] for f in student_findings(s, r.id)] == ["NOID.REGISTRATION.ZK"]

    def test_zhoukou_override_does_not_lift_the_guardian_id_rule(self, school):
        s = school("henan-zhoukou")
        c = new_class(s, 1)
        ov = Override("无户口", "张局长", ["派出所说明", "户口本"])
        fs = refused(add, s, c, "无证丙", overrides={"*": ov}, **_no_id())
        assert rule_ids(fs) == {"NOID.GUARDIAN_ID"}

    def test_changzhi_has_no_block_star_rule(self, school):
        s = school("shanxi-changzhi")
        assert s.profile.rule("NOID.REGISTRATION.ZK") is None
        c = new_class(s, 1)
        r = add(s, c, "无证丁", members=[GUARDIAN], **_no_id())
        assert r.overridden == [] and stored_findings(s, r.id) == []
        fs = refused(add, s, c, "无证戊", **_no_id())
        assert rule_ids(fs) == {"NOID.GUARDIAN_ID"}


# =================================================================== KEYDATA
class TestKeyData:
    @pytest.mark.parametrize("profile", PROFILES)
    def test_name_change_needs_reason_and_evidence(self, school, profile):
        rule_id, article = KEYDATA[profile]
        s = school(profile)
        c = new_class(s, 3)
        r = add(s, c, "李四", make_id("20170808", 60))
        n_hist = count(s, "change_history")
        for kw in ({}, {"reason": "户口更名"}, {"evidence": ["户口本"]}, {"reason": "  ", "evidence": ["户口本"]}):
            fs = refused(edit_student, s, r.id, {"name": "李思"}, **kw)
            assert rule_ids(fs) == {rule_id}, (kw, fs)
            f = fs[0]
            assert f.article == article and f.outcome == "EVIDENCE" and f.field == "姓名"
        assert get_student(s, r.id)["name"] == "李四"
        assert count(s, "change_history") == n_hist
        ok = edit_student(s, r.id, {"name": "李思"}, reason="户口更名", evidence=["户口本本人页", "更正证明"])
        assert ok.changed == ["姓名"]
        assert get_student(s, r.id)["name"] == "李思"
        h = [x for x in history_rows(s, r.id) if x["action"] == "edit"]
        assert len(h) == 1
        assert (h[0]["field"], h[0]["old_value"], h[0]["new_value"]) == ("name", "李四", "李思")
        assert h[0]["reason"] == "户口更名" and h[0]["evidence_ref"] == "户口本本人页；更正证明"
        assert h[0]["changed_by"] == "tester"

    @pytest.mark.parametrize("profile", PROFILES)
    def test_only_the_profile_keydata_rule_is_active(self, school, profile):
        s = school(profile)
        active = {r.id for r in s.profile.rules if r.check == "key_data_change"}
        assert active == {KEYDATA[profile][0]}

    def test_each_key_field(self, school):
        s = school("national")
        c = new_class(s, 3)
        resident = add(s, c, "赵五", make_id("20170909", 70, "1"))
        passport = add(s, c, "外籍生", "E7654321", id_type="护照", gender="女", birth_date="20170301")
        cases = [
            (resident.id, {"ethnicity": "回族"}, "民族"),
            (resident.id, {"id_number": make_id("20170909", 71, "1")}, "身份证件号"),
            (passport.id, {"birth_date": "20170302"}, "出生日期"),
            (passport.id, {"gender": "男"}, "性别"),
        ]
        for sid, change, header in cases:
            fs = refused(edit_student, s, sid, change)
            assert rule_ids(fs) == {"KEYDATA.CHANGE.NAT"}, (change, fs)
            assert fs[0].field == header
            ok = edit_student(s, sid, change, reason="依户口本更正", evidence=["户口本复印件"])
            assert len(ok.changed) == 1
        st = get_student(s, resident.id)
        assert st["ethnicity"] == "03" and st["id_number"] == make_id("20170909", 71, "1")
        p = get_student(s, passport.id)
        assert (p["birth_date"], p["gender"]) == ("20170302", "1")

    def test_restating_the_same_value_is_not_a_change(self, school):
        s = school("national")
        c = new_class(s, 3)
        r = add(s, c, "钱六", make_id("20170909", 72))
        ok = edit_student(s, r.id, {"ethnicity": "汉族", "name": " 钱六 "})
        assert ok.changed == []

    @pytest.mark.parametrize("profile", PROFILES)
    def test_non_key_fields_edit_freely(self, school, profile):
        s = school(profile)
        c = new_class(s, 3)
        r = add(s, c, "孙七", make_id("20170909", 73))
        ok = edit_student(s, r.id, {"phone": "0394-8123456", "current_address": "河南省周口市川汇区七一路 1 号"})
        assert sorted(ok.changed) == ["现住址", "联系电话"]
        st = get_student(s, r.id)
        assert st["phone"] == "0394-8123456" and st["current_address"].startswith("河南省周口市")
        h = {x["field"]: x for x in history_rows(s, r.id) if x["action"] == "edit"}
        assert set(h) == {"phone", "current_address"} and h["phone"]["reason"] == ""


# =================================================================== XJH
class TestXueJiHao:
    def test_l_to_g_replacement_without_reason_kept_in_history(self, school):
        s = school("national")
        c = new_class(s, 3)
        idn = make_id("20170412", 80)
        l_no = "L110105201704129876"
        r = add(s, c, "临换正", idn, xueji_no=l_no)
        ok = edit_student(s, r.id, {"xueji_no": "g" + idn})
        assert ok.changed == ["学籍号"] and ok.warnings == []
        assert get_student(s, r.id)["xueji_no"] == "G" + idn
        h = [x for x in history_rows(s, r.id) if x["field"] == "xueji_no"]
        assert len(h) == 1 and (h[0]["old_value"], h[0]["new_value"]) == (l_no, "G" + idn)
        assert h[0]["reason"] == ""

    @pytest.mark.parametrize("profile", PROFILES)
    def test_g_to_another_g_needs_reason_and_evidence(self, school, profile):
        rule_id, article = XJH_CHANGE[profile]
        s = school(profile)
        c = new_class(s, 3)
        idn = make_id("20170412", 81)
        r = add(s, c, "正式号", idn, xueji_no="G" + idn)
        other = "G" + make_id("20170412", 82)
        for kw in ({}, {"reason": "系统更正"}, {"evidence": ["系统回执"]}):
            fs = refused(edit_student, s, r.id, {"xueji_no": other}, **kw)
            hit = by_rule(fs, rule_id)
            assert len(hit) == 1 and hit[0].article == article and hit[0].outcome == "BLOCK", fs
            assert hit[0].field == "学籍号" and other in hit[0].message
        if profile == "shanxi-changzhi":
            assert s.profile.rule("XJH.NO_CHANGE") is None
        assert get_student(s, r.id)["xueji_no"] == "G" + idn
        ok = edit_student(s, r.id, {"xueji_no": other}, reason="国家系统更正", evidence=["系统变更回执"])
        assert rule_ids(ok.warnings) == {"XJH.ID_BASED_LIFELONG"}
        h = [x for x in history_rows(s, r.id) if x["field"] == "xueji_no"]
        assert h[-1]["reason"] == "国家系统更正" and h[-1]["evidence_ref"] == "系统变更回执"

    def test_clearing_a_xueji_no_is_a_change(self, school):
        s = school("national")
        c = new_class(s, 3)
        idn = make_id("20170412", 83)
        r = add(s, c, "清空号", idn, xueji_no="G" + idn)
        fs = refused(edit_student, s, r.id, {"xueji_no": ""})
        hit = by_rule(fs, "XJH.NO_CHANGE")
        assert hit and "（空）" in hit[0].message

    def test_g_body_different_from_id_number_warns(self, school):
        s = school("national")
        c = new_class(s, 3)
        idn = make_id("20170412", 84)
        same = add(s, c, "一致", idn, xueji_no="G" + idn)
        assert by_rule(same.warnings, "XJH.ID_BASED_LIFELONG") == []
        idn2 = make_id("20170412", 85)
        diff = add(s, c, "不一致", idn2, xueji_no="G" + make_id("20170412", 86))
        hit = by_rule(diff.warnings, "XJH.ID_BASED_LIFELONG")
        assert len(hit) == 1 and hit[0].article == "国家 第五条" and idn2 in hit[0].message
        assert [f["rule_id"] for f in stored_findings(s, diff.id)] == ["XJH.ID_BASED_LIFELONG"]
        # an unrelated edit later does not repeat the acknowledged warning
        again = edit_student(s, diff.id, {"phone": "13900000000"})
        assert again.warnings == []


# =================================================================== REG.SCHOOL_SYSTEM
class TestSchoolSystem:
    @pytest.mark.parametrize("stage, grade, ok", [
        ("primary", 1, True), ("primary", 6, True), ("primary", 7, False),
        ("junior", 6, False), ("junior", 7, True), ("junior", 9, True), ("junior", 10, False),
        ("senior", 9, False), ("senior", 10, True), ("senior", 12, True),
    ])
    def test_grade_must_fit_the_stage(self, school, stage, grade, ok):
        s = school("national")
        if ok:
            cid = new_class(s, grade, stage=stage, entry_year=2025)
            assert [k["id"] for k in list_classes(s)] == [cid]
            return
        fs = refused(new_class, s, grade, stage=stage, entry_year=2025)
        hit = by_rule(fs, "REG.SCHOOL_SYSTEM")
        assert len(hit) == 1 and hit[0].article == "国家 第二条" and hit[0].field == "年级"
        assert f"不能是 {grade} 年级" in hit[0].message
        assert count(s, "classes") == 0

    @pytest.mark.parametrize("profile", PROFILES)
    def test_every_profile_has_it(self, school, profile):
        s = school(profile)
        fs = refused(new_class, s, 7, stage="primary", entry_year=2025)
        assert "REG.SCHOOL_SYSTEM" in rule_ids(fs)


# =================================================================== profiles
class TestProfiles:
    @pytest.mark.parametrize("pid", PROFILES)
    def test_every_profile_loads_and_every_rule_is_complete(self, pid):
        p = load_profile(pid)
        assert p.id == pid and p.rules
        ids = [r.id for r in p.rules]
        assert len(ids) == len(set(ids))
        for r in p.rules:
            assert r.id and r.article and r.message
            assert r.outcome in engine.OUTCOMES
            assert r.check in checks.CHECKS
            assert r.on and all(e in EVENTS or e.startswith(engine.EVENT_PREFIXES) for e in r.on), r

    def test_available_profiles(self):
        assert set(PROFILES) <= set(engine.available_profiles())

    @pytest.mark.parametrize("pid", [p for p in PROFILES if p != "national"])
    def test_national_rules_are_inherited(self, pid):
        p = load_profile(pid)
        assert p.chain == (pid, "national")
        for rid in ("GEN.REQUIRED", "NOID.GUARDIAN_ID", "REG.SCHOOL_SYSTEM", "CLASS.CAPACITY",
                    "DUP.ONE_PERSON_ONE_XJ.XJH", "XJH.ID_BASED_LIFELONG"):
            if (pid, rid) == ("shanxi-changzhi", "REG.SCHOOL_SYSTEM"):
                assert p.rule(rid).article == "长治 第九条"  # 长治 states the 六·三 system itself
                continue
            assert p.rule(rid) is not None and p.rule(rid).source_profile == "national", rid

    def test_local_rule_replaces_the_national_one_in_place(self):
        nat = [r.id for r in load_profile("national").rules]
        zk = load_profile("henan-zhoukou")
        dup = zk.rule("DUP.ONE_PERSON_ONE_XJ")
        assert dup.source_profile == "henan-zhoukou" and dup.article == "周口 第八条"
        zk_ids = [r.id for r in zk.rules]
        assert zk_ids.index("DUP.ONE_PERSON_ONE_XJ") == nat.index("DUP.ONE_PERSON_ONE_XJ")
        gs = load_profile("gansu-linxia")
        assert gs.rule("DUP.ONE_PERSON_ONE_XJ").article == "国家 第六条"

    def test_disable_drops_inherited_rules(self):
        assert load_profile("national").rule("KEYDATA.CHANGE.NAT") is not None
        for pid in ("henan-zhoukou", "shanxi-changzhi", "liaoning", "gansu-linxia"):
            assert load_profile(pid).rule("KEYDATA.CHANGE.NAT") is None
        assert load_profile("shanxi-changzhi").rule("XJH.NO_CHANGE") is None
        assert load_profile("henan-zhoukou").rule("XJH.NO_CHANGE") is not None

    def test_liaoning_covers_compulsory_stages_only(self, tmp_path):
        assert load_profile("liaoning").stages == ("primary", "junior")
        s = init_school(tmp_path / "ln", name="辽宁完中", code="2101020001", stages="primary,senior",
                        profile="liaoning")
        try:
            assert s.notes and "其他学段按国家基线执行" in s.notes[0]
        finally:
            s.close()

    def test_unknown_profile_refused_at_init(self, tmp_path):
        with pytest.raises(Refused) as ei:
            init_school(tmp_path / "x", name="学校", code="4116020001", stages="primary", profile="mars")
        assert ei.value.findings[0].code == "bad_profile"
        assert not (tmp_path / "x" / "archive.sqlite").exists()


@pytest.fixture
def rules_dir(tmp_path, monkeypatch):
    """A private copy of resources/ (the engine reads it through app.core.paths, like a frozen bundle)."""
    from app.core.paths import resources_dir

    root = tmp_path / "bundle"
    shutil.copytree(resources_dir(), root / "resources")
    monkeypatch.setattr(sys, "_MEIPASS", str(root), raising=False)
    load_profile.cache_clear()
    yield root / "resources" / "rules"
    load_profile.cache_clear()


def _write(d, pid, body):
    (d / f"{pid}.toml").write_text(f'id = "{pid}"\nname = "测试"\ninherits = "national"\n' + body, encoding="utf-8")


GOOD_RULE = ('[[rules]]\nid = "T.ONE"\narticle = "测试 第一条"\ncheck = "class_size"\non = ["student.create"]\n'
             'outcome = "WARN"\nmessage = "m"\n')


class TestBrokenProfiles:
    def test_a_good_custom_profile_loads(self, rules_dir):
        _write(rules_dir, "custom", 'disable = ["CLASS.CAPACITY"]\n' + GOOD_RULE)
        p = load_profile("custom")
        assert p.rule("T.ONE").source_profile == "custom"
        assert p.rule("CLASS.CAPACITY") is None and p.rule("GEN.REQUIRED") is not None

    @pytest.mark.parametrize("mutate, words", [
        (lambda t: t.replace('article = "测试 第一条"\n', ""), "article"),
        (lambda t: t.replace('outcome = "WARN"', 'outcome = "MAYBE"'), "MAYBE"),
        (lambda t: t.replace('check = "class_size"', 'check = "no_such_check"'), "no_such_check"),
    ])
    def test_an_incomplete_rule_is_reported(self, rules_dir, mutate, words):
        _write(rules_dir, "broken", mutate(GOOD_RULE))
        with pytest.raises(ProfileError) as ei:
            load_profile("broken")
        assert "broken.toml" in str(ei.value) and "T.ONE" in str(ei.value) and words in str(ei.value)

    def test_inheriting_a_missing_profile_is_reported(self, rules_dir):
        (rules_dir / "orphan.toml").write_text('id = "orphan"\ninherits = "atlantis"\n', encoding="utf-8")
        with pytest.raises(ProfileError) as ei:
            load_profile("orphan")
        assert "atlantis" in str(ei.value)

    def test_a_toml_syntax_error_is_reported_as_profile_error(self, rules_dir):
        _write(rules_dir, "syntax", "[[rules]\nid = 1\n")
        with pytest.raises(ProfileError) as ei:
            load_profile("syntax")
        assert "syntax.toml" in str(ei.value)

    def test_an_unknown_event_is_reported(self, rules_dir):
        _write(rules_dir, "typo", GOOD_RULE.replace('"student.create"', '"student.crate"'))
        with pytest.raises(ProfileError):
            load_profile("typo")

    def test_disabling_an_unknown_rule_is_reported(self, rules_dir):
        _write(rules_dir, "badoff", 'disable = ["KEYDATA.CHANGE.NATL"]\n')
        with pytest.raises(ProfileError):
            load_profile("badoff")


def test_grade_that_does_not_fit_the_entry_year_warns(tmp_path):
    import datetime as dt

    from app.school import classes as cs
    from tests.helpers import new_school

    s = new_school(tmp_path, "henan-zhoukou")
    try:
        today = dt.date.today()
        sy = today.year if today.month >= 8 else today.year - 1
        w: list = []
        cs.add_class(s, stage="primary", grade=3, number=1, entry_year=sy - 2, warnings=w)
        assert w == []
        cs.add_class(s, stage="junior", grade=7, number=1, entry_year=sy - 3, warnings=w)
        assert [f.rule for f in w] == ["GEN.GRADE_ENTRY_YEAR"] and f"应为 {7 + 3} 年级" in w[0].message
    finally:
        s.close()
