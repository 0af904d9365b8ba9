"""Year-end promotion and graduation on real archives: the whole school in one transaction (a failure
injected mid-way leaves nothing changed), 留级 refused where banned, graduation outcomes per profile."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time

import pytest

from app.promotion import service as P
from app.school.demo import build_demo
from app.core.session import Session
from app.students.service import Override
from tests.helpers import add, by_rule, fill_class, make_id, new_class, new_school, refused

D = dt.date


def snapshot(session) -> dict:
    c = session.conn
    return {
        "classes": c.execute("SELECT id, grade, status FROM classes ORDER BY id").fetchall(),
        "students": c.execute("SELECT id, status, class_id FROM students ORDER BY id").fetchall(),
        "events": c.execute("SELECT COUNT(*) FROM status_events").fetchone()[0],
        "history": c.execute("SELECT COUNT(*) FROM change_history").fetchone()[0],
    }


def events(session, kind):
    return [dict(r) for r in session.conn.execute("SELECT * FROM status_events WHERE kind = ? ORDER BY id", (kind,))]


@pytest.fixture
def school(tmp_path):
    """National profile: grade 5, 6 (final primary), 8, 9 (final junior), 12 (final senior)."""
    with new_school(tmp_path) as s:
        ids = {g: new_class(s, g) for g in (5, 6, 8, 9, 12)}
        for g, cid in ids.items():
            fill_class(s, cid, 3, g, start=g * 10)
        s.cls = ids
        yield s


def test_promote_moves_every_class_but_final_grades(school):
    s = school
    r = P.promote(s, 2026, date=D(2026, 8, 25))
    assert (r.classes, r.students) == (2, 6)
    assert sorted(k["grade"] for k in r.graduating_classes_skipped) == [6, 9, 12]
    grades = dict(s.conn.execute("SELECT id, grade FROM classes").fetchall())
    assert grades[s.cls[5]] == 6 and grades[s.cls[8]] == 9
    assert grades[s.cls[6]] == 6 and grades[s.cls[9]] == 9 and grades[s.cls[12]] == 12
    ev = events(s, "promote")
    assert len(ev) == 6 and {e["transition"] for e in ev} == {"T09"}
    assert {(e["from_grade"], e["to_grade"]) for e in ev} == {(5, 6), (8, 9)}
    assert {e["effective_date"] for e in ev} == {"2026-08-25"} and {e["batch"] for e in ev} == {"promote-2026"}
    assert json.loads(ev[0]["details"]) == {"school_year": 2026}
    hist = s.conn.execute("SELECT COUNT(*) FROM change_history WHERE batch = 'promote-2026'").fetchone()[0]
    assert hist == 6 + 2  # one per student, one per class
    assert [f.rule for f in r.findings] == ["GRADE.PROMOTION_BY_SYSTEM"]
    # the same school year twice is refused
    f = refused(P.promote, s, 2026)
    assert f[0].code == "promotion.already_done"


def test_promoting_into_the_wrong_school_year_warns(school):
    r = P.promote(school, 2027, dry_run=True)   # the classes are the 2025/26 cohorts: 2026 is the right year
    hits = by_rule(r.findings, "GEN.GRADE_ENTRY_YEAR")
    assert len(hits) == 2 and hits[0].outcome == "WARN" and "2027" in hits[0].message


def test_dry_run_writes_nothing(school):
    before = snapshot(school)
    r = P.promote(school, 2026, dry_run=True)
    assert r.dry_run and (r.classes, r.students) == (2, 6)
    assert snapshot(school) == before
    assert P.promote(school, 2026).students == 6  # and the real run is still possible


def test_only_students_in_class_move_with_it(school):
    s = school
    sid = s.conn.execute("SELECT id FROM students WHERE class_id = ? ORDER BY id LIMIT 1", (s.cls[5],)).fetchone()[0]
    with s.transaction():
        s.conn.execute("UPDATE students SET status = 'suspended' WHERE id = ?", (sid,))
    r = P.promote(s, 2026)
    assert r.students == 5
    assert sid not in {e["student_id"] for e in events(s, "promote")}


@pytest.mark.parametrize("profile,rule,article", [
    ("henan-zhoukou", "GRADE.NO_REPEAT.ZK", "周口 第十五条"),
    ("shanxi-changzhi", "GRADE.NO_REPEAT.CZ", "长治 第二十三条"),
])
def test_repeating_a_grade_is_refused_where_banned(tmp_path, profile, rule, article):
    with new_school(tmp_path, profile) as s:
        c4, c3 = new_class(s, 4), new_class(s, 3)
        fill_class(s, c4, 2, 4)
        fill_class(s, c3, 2, 3, start=5)
        sid = s.conn.execute("SELECT id FROM students WHERE class_id = ?", (c4,)).fetchone()[0]
        before = snapshot(s)
        f = refused(P.promote, s, 2026, hold_back={sid: None}, data_checked=True)
        hit = by_rule(f, rule)
        assert hit and hit[0].article == article and hit[0].outcome == "BLOCK"
        assert snapshot(s) == before


def test_zhoukou_needs_the_pre_promotion_data_check(tmp_path):
    with new_school(tmp_path, "henan-zhoukou") as s:
        fill_class(s, new_class(s, 2), 2, 2)
        f = refused(P.promote, s, 2026)
        assert [x.rule for x in f] == ["GRADE.PRE_PROMOTION_CHECK.ZK"] and f[0].article == "周口 第十八条"
        assert P.promote(s, 2026, data_checked=True).students == 2


def test_repeating_where_allowed_moves_the_student_to_the_younger_cohort(tmp_path):
    with new_school(tmp_path, "national") as s:
        c4, c3 = new_class(s, 4), new_class(s, 3)
        fill_class(s, c4, 2, 4)
        fill_class(s, c3, 2, 3, start=5)
        sid = s.conn.execute("SELECT id FROM students WHERE class_id = ? ORDER BY id", (c4,)).fetchone()[0]
        r = P.promote(s, 2026, hold_back={sid: None})
        assert (r.students, r.held_back) == (3, 1)
        row = s.conn.execute("SELECT class_id FROM students WHERE id = ?", (sid,)).fetchone()
        assert row[0] == c3  # c3 is grade 4 now
        assert s.conn.execute("SELECT grade FROM classes WHERE id = ?", (c3,)).fetchone()[0] == 4
        rep = events(s, "repeat")
        assert [(e["student_id"], e["from_grade"], e["to_grade"], e["to_class_id"]) for e in rep] == [(sid, 4, 4, c3)]


@pytest.fixture(scope="module")
def big_school(tmp_path_factory):
    folder = tmp_path_factory.mktemp("big") / "archive"
    build_demo(folder, students=3000, profile="henan-zhoukou", seed=7)
    return folder


@pytest.mark.parametrize("where", ["status_events", "change_history"])
def test_3000_students_fail_midway_and_nothing_changes(big_school, tmp_path, where):
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(big_school, folder)
    with Session.open(folder) as s:
        movers = P.pq.students_in_classes(s.conn, [k["id"] for k in P.pq.active_classes(s.conn)
                                                   if not P.is_final_grade(s.profile, k["stage"], k["grade"])],
                                          P.PROMOTED_STATES)
        assert len(movers) > 2000
        victim = movers[len(movers) // 2]["id"]
        s.conn.execute(f"CREATE TRIGGER inject_failure BEFORE INSERT ON {where} WHEN NEW.student_id = {victim} "
                       f"AND NEW.batch = 'promote-2026' BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
        before = snapshot(s)
        with pytest.raises(sqlite3.IntegrityError, match="injected failure"):
            P.promote(s, 2026, data_checked=True)
        assert snapshot(s) == before
        s.conn.execute("DROP TRIGGER inject_failure")
        t = time.perf_counter()
        r = P.promote(s, 2026, data_checked=True)
        elapsed = time.perf_counter() - t
        assert r.students == len(movers)
        after = snapshot(s)
        assert after["events"] == before["events"] + len(movers)
        assert elapsed < 10


# ------------------------------------------------------------------ graduation
def _grade9(tmp_path, profile, n=3):
    s = new_school(tmp_path, profile)
    cid = new_class(s, 9, entry_year=2024)   # the cohort leaving in July 2027
    fill_class(s, cid, n, 9)
    ids = [r[0] for r in s.conn.execute("SELECT id FROM students WHERE class_id = ? ORDER BY id", (cid,))]
    return s, cid, ids


def test_zhoukou_compulsory_everyone_graduates_and_the_class_closes(tmp_path):
    s, cid, ids = _grade9(tmp_path, "henan-zhoukou")
    with s:
        late = P.graduate(s, cid, date=D(2027, 7, 31), dry_run=True)
        assert [(f.rule, f.outcome) for f in late.findings if f.code == "graduation.late"] == [
            ("GRAD.COMPULSORY_BY_JUL30", "WARN")]
        r = P.graduate(s, cid, date=D(2027, 7, 10))
        assert not [f for f in r.findings if f.code == "graduation.late"]
        assert [p["outcome"] for p in r.per_student] == ["graduated"] * 3
        assert "GRAD.COMPULSORY_ALL.ZK" in {f.rule for f in r.findings}
        ev = events(s, "graduate")
        assert [(e["student_id"], e["to_state"], e["transition"]) for e in ev] == [(i, "graduated", "T35") for i in ids]
        assert {x[0] for x in s.conn.execute("SELECT status FROM students")} == {"graduated"}
        assert s.conn.execute("SELECT status FROM classes WHERE id = ?", (cid,)).fetchone()[0] == "closed"
        f = refused(P.graduate, s, cid)
        assert f[0].code == "graduation.class_closed"


def test_a_batch_dated_before_a_students_later_change_is_refused(school):
    s = school
    sid = s.conn.execute("SELECT id FROM students WHERE class_id = ?", (s.cls[5],)).fetchone()[0]
    with s.transaction():
        s.conn.execute("INSERT INTO status_events (student_id, kind, from_state, to_state, effective_date, recorded_at)"
                       " VALUES (?, 'discipline', 'enrolled', 'enrolled', '2026-09-10', '2026-09-10')", (sid,))
    f = refused(P.promote, s, 2026, date=D(2026, 8, 31))
    assert [x.code for x in f] == ["graduation.later_event"] and "2026-09-10" in f[0].message
    assert P.promote(s, 2026, date=D(2026, 9, 10)).students == 6


def test_graduation_refuses_a_class_not_in_its_final_grade(tmp_path):
    with new_school(tmp_path) as s:
        cid = new_class(s, 8)
        f = refused(P.graduate, s, cid)
        assert f[0].code == "graduation.not_final_grade"


def test_zhoukou_open_business_blocks_until_overridden(tmp_path):
    s, cid, ids = _grade9(tmp_path, "henan-zhoukou")
    with s:
        with s.transaction():
            s.conn.execute("INSERT INTO deadlines (student_id, kind, due_date, created_at) VALUES (?, 'party_response',"
                           " '2027-07-01', '2027-06-20')", (ids[0],))
            s.conn.execute("UPDATE students SET status = 'transferring' WHERE id = ?", (ids[1],))
        before = snapshot(s)
        f = refused(P.graduate, s, cid)
        hits = by_rule(f, "GRAD.PENDING_CLEARED.ZK")
        assert len(hits) == 2 and hits[0].article == "周口 第十八条" and hits[0].outcome == "BLOCK*"
        assert snapshot(s) == before
        ov = {"GRAD.PENDING_CLEARED.ZK": Override("业务已清理", "教育局学籍科 张三", ["清理记录"])}
        r = P.graduate(s, cid, overrides=ov)
        assert sorted(p["student_id"] for p in r.per_student) == [ids[0], ids[2]]
        assert len(r.overridden) == 2
        st = dict(s.conn.execute("SELECT id, status FROM students").fetchall())
        assert st[ids[1]] == "transferring" and st[ids[0]] == "graduated"
        assert s.conn.execute("SELECT COUNT(*) FROM rule_findings WHERE rule_id = 'GRAD.PENDING_CLEARED.ZK' "
                              "AND approved_by <> ''").fetchone()[0] == 2


def test_zhoukou_problem_xueji_warns_but_graduates(tmp_path):
    with new_school(tmp_path, "henan-zhoukou") as s:
        cid = new_class(s, 9)
        add(s, cid, "问题生", make_id(D(2011, 3, 3), 7), status="pending")
        r = P.graduate(s, cid)
        assert r.per_student[0]["outcome"] == "graduated"
        assert by_rule(r.findings, "GRAD.PROBLEM_XJ.ZK")[0].outcome == "WARN"
        logged = s.conn.execute("SELECT rule_id, outcome FROM rule_findings WHERE rule_id LIKE 'GRAD.%'").fetchall()
        assert [tuple(x) for x in logged] == [("GRAD.PROBLEM_XJ.ZK", "WARN")]


def test_liaoning_failed_assessment_gets_xiuye(tmp_path):
    from app.promotion import hs_records as hs

    s, cid, ids = _grade9(tmp_path, "liaoning")
    with s:
        hs.set_hs_record(s, ids[0], assessment="fail")
        hs.set_hs_record(s, ids[1], assessment="pass")
        r = P.graduate(s, cid)
        out = {p["student_id"]: p for p in r.per_student}
        assert out[ids[0]]["outcome"] == "xiuye" and out[ids[0]]["rules"] == ["GRAD.COMPULSORY.LN"]
        assert out[ids[1]]["outcome"] == "graduated" and out[ids[2]]["outcome"] == "graduated"
        assert len(by_rule(r.findings, "GRAD.COMPULSORY.LN.UNRECORDED")) == 1  # ids[2]: unrecorded → WARN
        ev = {e["student_id"]: e for e in events(s, "graduate")}
        assert ev[ids[0]]["to_state"] == "xiuye" and ev[ids[0]]["transition"] == "T36"


def test_liaoning_failed_assessment_by_argument(tmp_path):
    s, cid, ids = _grade9(tmp_path, "liaoning", n=2)
    with s:
        r = P.graduate(s, cid, failed_assessment=[ids[1]], dry_run=True)
        assert [p["outcome"] for p in r.per_student] == ["graduated", "xiuye"]
        assert s.conn.execute("SELECT COUNT(*) FROM status_events WHERE kind = 'graduate'").fetchone()[0] == 0


def test_national_senior_graduates_without_a_gate(tmp_path):
    with new_school(tmp_path) as s:
        cid = new_class(s, 12)
        fill_class(s, cid, 2, 12)
        r = P.graduate(s, cid)
        assert [p["outcome"] for p in r.per_student] == ["graduated"] * 2
        assert {e["transition"] for e in events(s, "graduate")} == {"T37"}
