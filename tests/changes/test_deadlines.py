"""The deadlines view on real archives: stored rows and rule-computed items, sorted by urgency with
overdue flags; each computed date from the profile's params; closing; the unknown-year NOTE; the CLI."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from app.changes import deadlines as DL
from app.core import workdays as W
from app.cli import main
from tests.helpers import add, fill_class, make_id, new_class, new_school

D = dt.date


def of_kind(items, kind):
    return [i for i in items if i.kind == kind]


def grads(items):
    return of_kind(items, "compulsory_graduation")


def put_deadline(s, sid, kind, due, rule="", article="", note=""):
    with s.transaction():
        cur = s.conn.execute("INSERT INTO deadlines (student_id, kind, due_date, rule, article, note, created_at) "
                             "VALUES (?, ?, ?, ?, ?, ?, '2026-11-01')", (sid, kind, due, rule, article, note))
    return cur.lastrowid


@pytest.fixture
def nat(tmp_path):
    with new_school(tmp_path) as s:
        cid = new_class(s, 3)
        fill_class(s, cid, 3, 3)
        s.ids = [r[0] for r in s.conn.execute("SELECT id FROM students ORDER BY id")]
        yield s


def test_sorted_by_urgency_with_overdue_first(nat):
    s = nat
    a = put_deadline(s, s.ids[0], "party_response", "2026-12-10", "TRANSFER.PARTY_10WD", "国家 第十四条")
    b = put_deadline(s, s.ids[1], "death_cancel", "2026-11-20", "DEATH.CANCEL_10WD", "国家 第二十一条")
    c = put_deadline(s, s.ids[2], "archive_handover", "2026-12-04")
    d = put_deadline(s, None, "archive_handover", "2026-11-30")
    items = [i for i in DL.list_deadlines(s, D(2026, 12, 3)) if not i.computed]
    assert [i.deadline_id for i in items] == [b, d, c, a]
    assert [i.overdue for i in items] == [True, True, False, False]
    assert [i.days_left for i in items] == [-13, -3, 1, 7]
    assert items[0].rule == "DEATH.CANCEL_10WD" and items[0].article == "国家 第二十一条"
    assert items[0].title == "死亡学生注销学籍" and items[0].class_name == "三年级（1）班"
    assert items[1].student_id is None
    # on its due date an item is not yet overdue
    assert not next(i for i in DL.list_deadlines(s, D(2026, 12, 4)) if i.deadline_id == c).overdue
    DL.close_deadline(s, b, note="已注销")
    assert b not in [i.deadline_id for i in DL.list_deadlines(s, D(2026, 12, 3))]
    assert [i.deadline_id for i in DL.list_deadlines(s, D(2026, 12, 3), student_id=s.ids[0])] == [a]


def test_working_day_deadline_in_an_unknown_year_carries_a_note(nat):
    s = nat
    put_deadline(s, s.ids[0], "party_response", "2027-01-12")
    put_deadline(s, s.ids[1], "archive_handover", "2027-01-12")
    items = {i.kind: i for i in DL.list_deadlines(s, D(2026, 12, 30), include_computed=False)}
    assert "2027" in items["party_response"].note and items["archive_handover"].note == ""
    W.set_calendar_day(s, D(2027, 1, 1), "holiday", "元旦")
    assert DL.list_deadlines(s, D(2026, 12, 30), include_computed=False)[0].note == ""


def test_registration_deadline_per_profile(tmp_path):
    # national: 1 month from entry; Changzhi: min(entry + 15 days, 10 September)
    for profile, due, rule in (("national", "2026-10-01", "REG.DEADLINE_1M"),
                               ("shanxi-changzhi", "2026-09-10", "REG.DEADLINE.CZ")):
        with new_school(tmp_path, profile, sub=profile) as s:
            cid = new_class(s, 1, entry_year=2026)
            sid = add(s, cid, "新生甲", make_id(D(2019, 5, 5), 3), status="pending", entry_ym="202609").id
            items = [i for i in DL.list_deadlines(s, D(2026, 9, 5)) if i.student_id == sid]
            assert [(i.kind, i.due.isoformat(), i.rule) for i in items] == [("registration", due, rule)]
            assert "2026-09-01" in items[0].title


def test_compulsory_graduation_by_july_30_from_the_entry_year(tmp_path):
    with new_school(tmp_path, "henan-zhoukou") as s:
        k9 = new_class(s, 9, entry_year=2024)
        k92 = new_class(s, 9, number=2, entry_year=2024)
        new_class(s, 8, entry_year=2025)
        items = grads(DL.list_deadlines(s, D(2027, 7, 31)))
        assert [(i.kind, i.due, i.overdue, i.class_id, i.rule, i.article) for i in items] == [
            ("compulsory_graduation", D(2027, 7, 30), True, k, "GRAD.COMPULSORY_BY_JUL30", "周口 第十八条")
            for k in (k9, k92)]
        # closing a computed item records it as done (the other class's item stays)
        DL.close_deadline(s, item=items[0], note="已在系统中办理")
        assert [i.class_id for i in grads(DL.list_deadlines(s, D(2027, 7, 31)))] == [k92]
    with new_school(tmp_path, "national", sub="nat") as s:   # the national text sets no date
        new_class(s, 9, entry_year=2024)
        assert grads(DL.list_deadlines(s, D(2027, 7, 31))) == []


def test_liaoning_rosters_and_changzhi_diploma_stamping(tmp_path):
    with new_school(tmp_path, "liaoning", stages="primary,junior") as s:
        items = of_kind(DL.list_deadlines(s, D(2026, 9, 15)), "rosters")
        assert [(i.kind, i.due, i.rule) for i in items] == [("rosters", D(2026, 10, 1), "REPORT.ROSTERS_1M.LN")]
        # still the 2026–27 school year in March
        assert of_kind(DL.list_deadlines(s, D(2027, 3, 1)), "rosters")[0].due == D(2026, 10, 1)
    with new_school(tmp_path, "shanxi-changzhi", sub="cz") as s:
        new_class(s, 12, entry_year=2024)
        items = of_kind(DL.list_deadlines(s, D(2027, 5, 1)), "diploma_stamp")
        assert [(i.kind, i.due, i.days_left) for i in items] == [("diploma_stamp", D(2027, 5, 31), 30)]


def test_suspension_expiry_from_the_event(nat):
    s = nat
    sid = s.ids[0]
    with s.transaction():
        s.conn.execute("UPDATE students SET status = 'suspended' WHERE id = ?", (sid,))
        s.conn.execute("INSERT INTO status_events (student_id, kind, from_state, to_state, effective_date, recorded_at,"
                       " details) VALUES (?, 'suspend', 'enrolled', 'suspended', '2026-03-01', '2026-03-01', ?)",
                       (sid, json.dumps({"until": "2027-02-28"})))
    items = [i for i in DL.list_deadlines(s, D(2026, 12, 3)) if i.student_id == sid]
    assert [(i.kind, i.due, i.rule) for i in items] == [("suspension_expiry", D(2027, 2, 28), "SUSPEND.EXPIRY")]
    put_deadline(s, sid, "suspension_expiry", "2027-02-28")   # the changes service wrote it: not twice
    assert len([i for i in DL.list_deadlines(s, D(2026, 12, 3)) if i.student_id == sid]) == 1


# ------------------------------------------------------------------ CLI
def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out = capsys.readouterr().out
    return rc, json.loads(out)


def test_cli_deadlines_shape(nat, capsys):
    s = nat
    put_deadline(s, s.ids[0], "party_response", "2026-12-10", "TRANSFER.PARTY_10WD", "国家 第十四条")
    folder = s.folder
    s.close()
    rc, j = run(capsys, "--archive", folder, "--json", "deadlines", "--as-of", "2026-12-03")
    assert rc == 0 and j["ok"] is True and j["as_of"] == "2026-12-03"
    d = j["deadlines"][0]
    assert {"student_id", "student", "class", "kind", "title", "due", "days_left", "overdue", "rule",
            "article"} <= set(d)
    assert (d["due"], d["days_left"], d["overdue"], d["rule"]) == ("2026-12-10", 7, False, "TRANSFER.PARTY_10WD")
    rc, j = run(capsys, "--archive", folder, "--json", "deadlines", "--as-of", "2026-12-03", "--close", d["deadline_id"])
    assert rc == 0 and [x for x in j["deadlines"] if x["deadline_id"]] == [] and j["closed"] == d["deadline_id"]
    assert [x["rule"] for x in j["deadlines"]] == ["REVIEW.EACH_SEMESTER"]
    rc, j = run(capsys, "--archive", folder, "--json", "deadlines", "--as-of", "2026-13-03")
    assert rc == 2 and j["ok"] is False


def test_cli_calendar(tmp_path, capsys):
    with new_school(tmp_path) as s:
        folder = s.folder
    rc, j = run(capsys, "--archive", folder, "--json", "calendar", "list", "--year", "2027")
    assert rc == 0 and j["known"] is False and j["source"] == "weekdays" and j["days"] == []
    rc, j = run(capsys, "--archive", folder, "--json", "calendar", "set", "2027-10-09", "workday", "--name", "调休")
    assert rc == 0 and j == {"ok": True, "date": "2027-10-09", "kind": "workday", "name": "调休"}
    f = tmp_path / "2027.csv"
    f.write_text("2027-10-01,放假,国庆节\n2027-10-0x,放假,国庆节\n", encoding="utf-8")
    rc, j = run(capsys, "--archive", folder, "--json", "calendar", "import", f)
    assert rc == 1 and j["errors"][0]["row"] == 2 and j["errors"][0]["field"] == "日期"
    f.write_text("2027-10-01,放假,国庆节\n", encoding="utf-8")
    rc, j = run(capsys, "--archive", folder, "--json", "calendar", "import", f)
    assert rc == 0 and j["rows"] == 1
    rc, j = run(capsys, "--archive", folder, "--json", "calendar", "list", "--year", "2027")
    assert j["known"] is True and [d["date"] for d in j["days"]] == ["2027-10-01", "2027-10-09"]
    rc, j = run(capsys, "--archive", folder, "--json", "calendar", "set", "2027-10-09", "rest")
    assert rc == 2


def test_cli_promote_graduate_and_hs(tmp_path, capsys):
    with new_school(tmp_path, "shanxi-changzhi") as s:
        c11, c12 = new_class(s, 11), new_class(s, 12)
        fill_class(s, c11, 2, 11)
        fill_class(s, c12, 2, 12, start=10)
        ids12 = [r[0] for r in s.conn.execute("SELECT id FROM students WHERE class_id = ? ORDER BY id", (c12,))]
        sid11 = s.conn.execute("SELECT id FROM students WHERE class_id = ?", (c11,)).fetchone()[0]
        folder = s.folder
    A = ("--archive", folder, "--json")
    rc, j = run(capsys, *A, "promote", "--school-year", "2026", "--hold-back", sid11)
    assert rc == 1 and j["errors"][0]["rule"] == "GRADE.NO_REPEAT.CZ" and j["errors"][0]["article"] == "长治 第二十三条"
    assert j["errors"][0]["outcome"] == "BLOCK"
    rc, j = run(capsys, *A, "promote", "--school-year", "2026", "--dry-run")
    assert rc == 0 and j["dry_run"] is True and j["students"] == 2 and j["classes"] == 1
    assert j["graduating_classes_skipped"][0]["id"] == c12 and j["notes"][0]["rule"] == "GRADE.PROMOTION_BY_SYSTEM"
    rc, j = run(capsys, *A, "graduate", "--class-id", c12)
    assert rc == 1 and {e["rule"] for e in j["errors"]} == {"GRAD.HS.CZ.RECORD"} and len(j["errors"]) == 2
    rc, j = run(capsys, *A, "hs-record", "set", ids12[0], "--credits-total", "144", "--credits-required", "116",
                "--credits-elective", "22", "--credits-school", "6", "--exam", "语文:A", "--exam", "数学:B",
                "--evaluation", "pass", "--pe-standard", "pass", "--labour-practice", "done")
    assert rc == 0 and j["outcome"] == "graduated" and j["record"]["exams"] == {"数学": "B", "语文": "A"}
    rc, j = run(capsys, *A, "hs-record", "set", ids12[1], "--credits-total", "143")
    assert rc == 0 and j["outcome"] == "completed" and len(j["reasons"]) >= 1
    rc, j = run(capsys, *A, "graduation-check", "--class-id", c12)
    assert rc == 0 and j["counts"] == {"graduated": 1, "completed": 1}
    rc, j = run(capsys, *A, "graduate", "--class-id", c12, "--date", "2027-06-30")
    assert rc == 0 and j["counts"] == {"graduated": 1, "completed": 1}
    assert [(x["student_id"], x["outcome"], x["outcome_name"]) for x in j["students"]] == [
        (ids12[0], "graduated", "毕业"), (ids12[1], "completed", "结业")]
    rc, j = run(capsys, *A, "promote", "--school-year", "2026")
    assert rc == 0 and j["students"] == 2 and j["graduating_classes_skipped"] == []


def test_semester_reviews_per_profile(tmp_path):
    with new_school(tmp_path, "national") as s:
        it = of_kind(DL.list_deadlines(s, D(2026, 12, 3)), "semester_review")
        assert [(i.due, i.rule, i.article) for i in it] == [(D(2027, 1, 20), "REVIEW.EACH_SEMESTER", "国家 第二十四条")]
        assert of_kind(DL.list_deadlines(s, D(2027, 3, 1)), "semester_review")[0].due == D(2027, 7, 10)
        # between semesters: the next one
        assert of_kind(DL.list_deadlines(s, D(2027, 8, 1)), "semester_review")[0].due == D(2028, 1, 20)
        DL.close_deadline(s, item=it[0])
        assert of_kind(DL.list_deadlines(s, D(2026, 12, 3)), "semester_review") == []
    with new_school(tmp_path, "gansu-linxia", sub="lx") as s:
        it = DL.list_deadlines(s, D(2026, 9, 3))
        assert [(i.kind, i.due) for i in it] == [("semester_review_start", D(2026, 9, 15)),
                                                 ("semester_review_end", D(2027, 1, 20))]


def test_every_deadline_kind_a_rule_can_write_has_a_name():
    import re

    from app.changes.deadlines import KIND_NAMES
    from app.core.paths import resource

    kinds = set()
    for p in resource("rules").rglob("*.toml"):
        kinds |= set(re.findall(r'\bkind = "([a-z_]+)"', p.read_text(encoding="utf-8")))
    assert kinds and not kinds - set(KIND_NAMES), sorted(kinds - set(KIND_NAMES))
