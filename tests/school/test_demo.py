"""app/school/demo.py: demo archives whose every record passes validation and the school's rules."""
import datetime as dt

import pytest

from app.school import classes as cs
from app.students import fields as F
from app.school.demo import build_demo, class_size_limit
from app.core.errors import Refused
from app.students.idcard import parse_id
from app.rules.engine import load_profile
from app.school.service import init_school
from app.core.session import Session
from app.students.validation import validate_student
from app.students.xjh import parse_xjh
from app.students import store as q

RARE = set("𠮷堃喆珺䶮龑")


def all_students(session):
    ids = q.search_student_ids(session.conn, None)
    rows = q.students_by_ids(session.conn, ids)
    mems = q.members_of_many(session.conn, ids)
    return [(rows[i], mems[i]) for i in ids]


def comparable(session):
    skip = {"id", "class_id", "created_at", "updated_at"}
    return [({k: v for k, v in s.items() if k not in skip}, [{k: v for k, v in m.items() if k not in ("id", "student_id")}
                                                             for m in ms]) for s, ms in all_students(session)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "zk"
    counts = build_demo(folder, students=300)
    s = Session.open(folder)
    yield s, counts
    s.close()


def test_counts_and_school(demo):
    s, counts = demo
    assert counts["students"] == 300 and counts["family_members"] == 600 and counts["school_created"]
    assert not counts["cancelled"]
    assert q.counts(s.conn)["students"] == 300
    school = s.school
    assert school["name"] == "周口市川汇区实验学校" and len(school["code"]) == 10 and school["code"].isdigit()
    assert school["profile"] == "henan-zhoukou" and school["stages"] == "primary,junior,senior"


def test_every_record_passes_validation_and_has_every_required_field(demo):
    s, _ = demo
    required = [f.key for f in F.student_fields() if f.required and f.key not in ("school_code", "class_code")]
    member_required = [f.key for f in F.member_fields() if f.required]
    for st, members in all_students(s):
        rec = {k: st[k] for k in F.stored_student_keys()}
        ms = [{k: m[k] for k in F.member_by_key()} | {"seq": m["seq"]} for m in members]
        _, _, findings = validate_student(rec, ms)
        assert findings == [], (st["name"], findings)
        assert all(st[k] for k in required), st
        assert len(members) == 2 and all(m[k] for m in members for k in member_required)
        info = parse_id(st["id_number"])
        assert info.gender == st["gender"] and info.birth_date.strftime("%Y%m%d") == st["birth_date"]
        for m in members:
            assert parse_id(m["id_number"]).birth_date.year <= int(st["birth_date"][:4]) - 18
        if st["xueji_no"]:
            parse_xjh(st["xueji_no"], id_number=st["id_number"], birth_date=st["birth_date"])
    # no rule finding was recorded (no warnings, no overrides) for the demo students
    assert s.conn.execute("SELECT COUNT(*) FROM rule_findings").fetchone()[0] == 0


def test_classes_cover_every_grade_within_the_profile_limits(demo):
    s, _ = demo
    profile = load_profile("henan-zhoukou")
    classes = cs.list_classes(s)
    assert sorted({k["grade"] for k in classes}) == list(range(1, 13))
    codes = [k["code"] for k in classes]
    assert len(set(codes)) == len(codes) and all(len(c) == 7 and c.isdigit() for c in codes)
    for k in classes:
        assert k["headcount"] <= k["capacity"] == class_size_limit(profile, k["stage"], k["grade"])
        assert k["head_teacher"]
        assert k["code"].startswith(str(k["entry_year"]))


def test_zhoukou_entry_age_rule_holds_for_first_grade(demo):
    s, _ = demo
    firsts = [k for k in cs.list_classes(s) if k["grade"] == 1]
    assert firsts
    checked = 0
    for st, _ in all_students(s):
        k = cs.get_class(s, st["class_id"])
        assert st["entry_ym"] == f"{k['entry_year']}09"
        if k["grade"] != 1:
            continue
        born = dt.datetime.strptime(st["birth_date"], "%Y%m%d").date()
        sixth = dt.date(born.year + 6, born.month, 28 if (born.month, born.day) == (2, 29) else born.day)
        assert sixth <= dt.date(k["entry_year"], 8, 31)
        assert dt.date(k["entry_year"] - 7, 9, 1) <= born  # not a year too old either
        checked += 1
    assert checked > 10


def test_names_are_plausible_and_varied(demo):
    s, _ = demo
    rows = [st for st, _ in all_students(s)]
    names = [r["name"] for r in rows]
    assert all(2 <= len(n) for n in names)
    dotted = [r for r in rows if "·" in r["name"]]
    assert dotted and all(r["ethnicity"] == "05" for r in dotted)
    assert any(set(n) & RARE for n in names)
    han = sum(r["ethnicity"] == "01" for r in rows)
    assert han / len(rows) > 0.8
    xjh = [r["xueji_no"] for r in rows]
    assert sum(x.startswith("G") for x in xjh) > 0.8 * len(rows)
    assert "" in xjh and any(x.startswith("L") for x in xjh)
    assert len({r["id_number"] for r in rows}) == len(rows)


def test_deterministic_for_a_seed(demo, tmp_path):
    s, _ = demo
    build_demo(tmp_path / "again", students=300)
    other = Session.open(tmp_path / "again")
    try:
        assert other.school["code"] == s.school["code"]
        assert comparable(other) == comparable(s)
    finally:
        other.close()
    build_demo(tmp_path / "seed7", students=300, seed=7)
    with Session.open(tmp_path / "seed7") as third:
        assert comparable(third) != comparable(s)


def test_liaoning_is_compulsory_only(tmp_path):
    counts = build_demo(tmp_path / "ln", students=90, profile="liaoning")
    with Session.open(tmp_path / "ln") as s:
        assert s.school["stages"] == "primary,junior"
        assert sorted({k["grade"] for k in cs.list_classes(s)}) == list(range(1, 10))
        assert counts["students"] == 90 and q.counts(s.conn)["students"] == 90


def test_a_real_school_archive_is_refused(tmp_path):
    s = init_school(tmp_path / "real", name="测试学校", code="4116000001", stages="primary", profile="henan-zhoukou")
    try:
        with pytest.raises(Refused) as e:
            build_demo(s, students=10)
        assert e.value.findings[0].code == "not_demo_archive" and q.counts(s.conn)["students"] == 0
    finally:
        s.close()
    with pytest.raises(Refused):
        build_demo(tmp_path / "real", students=10)


def test_adds_to_an_existing_demo_school_without_collisions_and_cancel_adds_nothing(tmp_path):
    with Session.open(tmp_path / "x", create=True) as s0:
        build_demo(s0, students=0, profile="henan-zhoukou")
    s = Session.open(tmp_path / "x")
    try:
        first = build_demo(s, students=40, seed=1)
        assert not first["school_created"] and first["students"] == 40
        again = build_demo(s, students=40, seed=1)  # same seed: new numbers, new class slots
        assert again["students"] == 40 and q.counts(s.conn)["students"] == 80
        before = q.counts(s.conn)
        calls = []
        cancelled = build_demo(s, students=40, seed=2, cancel=lambda: calls.append(1) or len(calls) > 10)
        assert cancelled["cancelled"] and q.counts(s.conn) == before
        seen = []
        build_demo(s, students=250, seed=3, progress=lambda d, t: seen.append((d, t)))
        assert seen[0] == (100, 250) and seen[-1] == (250, 250)
    finally:
        s.close()


def test_session_without_school_gets_one(tmp_path):
    with Session.open(tmp_path / "new", create=True) as s:
        counts = build_demo(s, students=20, profile="shanxi-changzhi")
        assert counts["school_created"] and s.school["profile"] == "shanxi-changzhi"
        assert q.counts(s.conn)["students"] == 20


def test_negative_count_is_refused(tmp_path):
    with pytest.raises(Refused):
        build_demo(tmp_path / "neg", students=-1)
