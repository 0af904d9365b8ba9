"""Certificates through real archives: serial numbers, issue/reprint/void/verify round trips, the rules
(final state, 学历证明 only for graduates of this school, once-only in 长治 with override), the
append-only register, calibrations, and serials that never repeat when issues race."""
from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import sqlite3
import threading

import pytest

from app.certificates import service as cs
from app.core.errors import NotFound, Refused
from app.certificates import store as cq
from app.students import store as q
from tests.helpers import by_rule, count, fill_class, new_class, new_school, refused, rule_ids

DAY = dt.date(2026, 6, 20)


def set_status(session, sid: int, status: str) -> None:
    """The status-change work records graduation; here the final state is written as its service would."""
    with session.transaction() as conn:
        q.update_student(conn, sid, {"status": status})


def school(tmp_path, profile="national", sub="a"):
    s = new_school(tmp_path, profile=profile, sub=sub)
    g6 = new_class(s, 6)
    g5 = new_class(s, 5)
    final = [r.id for r in fill_class(s, g6, 4, 6)]
    lower = [r.id for r in fill_class(s, g5, 2, 5, start=10)]
    return s, final, lower


def test_issue_numbers_follow_the_pattern_and_count_per_kind_and_year(tmp_path):
    s, final, _ = school(tmp_path)
    with s:
        a = cs.issue(s, "diploma", final[0], issue_date=DAY)
        b = cs.issue(s, "diploma", final[1], issue_date=DAY)
        c = cs.issue(s, "completion-certificate", final[2], issue_date=DAY)
        d = cs.issue(s, "diploma", final[3], issue_date=dt.date(2027, 1, 5))
        assert a.number == "2026" + "4116020001" + "1" + "0001"
        assert b.number == "202641160200011" + "0002"
        assert c.number == "202641160200012" + "0001"
        assert d.number == "202741160200011" + "0001"  # a new year starts again at 1
        assert a.state == cs.STATE_VALID
        row = cs.describe(s, a.number)
        assert row["student_id"] == final[0] and row["issue_date"] == "2026-06-20" and row["state_name"] == "有效"


def test_pattern_is_configurable_and_checked(tmp_path):
    s, final, _ = school(tmp_path)
    with s:
        f = refused(cs.set_number_pattern, s, "{year}-{kind_code}")  # no {seq}
        assert f[0].code == "cert_bad_pattern"
        f = refused(cs.set_number_pattern, s, "{year}{nope}{seq}")
        assert f[0].code == "cert_bad_pattern"
        cs.set_number_pattern(s, "ZK{yy}-{kind_code}-{seq:05d}", {"diploma": "BY"})
        r = cs.issue(s, "diploma", final[0], issue_date=DAY)
        assert r.number == "ZK26-BY-00001"


def test_final_state_rule_names_rule_and_article(tmp_path):
    s, final, lower = school(tmp_path)
    with s:
        before = count(s, "certificates")
        f = refused(cs.issue, s, "diploma", lower[0])  # grade 5, still in class
        assert rule_ids(f) == {"CERT.FINAL_STATE"} and f[0].article == "国家 第十三条"
        assert "毕业证书" in f[0].message and "在读" in f[0].message
        f = refused(cs.issue, s, "incomplete-certificate", final[0])  # 肄业 needs the 肄业 state
        assert rule_ids(f) == {"CERT.FINAL_STATE"}
        assert count(s, "certificates") == before and count(s, "cert_events") == 0
        set_status(s, lower[1], "left_incomplete")
        assert cs.issue(s, "incomplete-certificate", lower[1]).number


def test_one_diploma_per_student_until_voided(tmp_path):
    s, final, _ = school(tmp_path)
    with s:
        first = cs.issue(s, "diploma", final[0], issue_date=DAY)
        f = refused(cs.issue, s, "diploma", final[0], issue_date=DAY)
        assert rule_ids(f) == {"CERT.ONE_PER_KIND"} and first.number in f[0].message
        v = cs.void(s, first.number, "套打错位，证书作废")
        assert v["state"] == cs.STATE_VOID and v["void_reason"] == "套打错位，证书作废"
        second = cs.issue(s, "diploma", final[0], issue_date=DAY)
        assert second.number != first.number  # a new number; the void stays in the register
        numbers = [c["number"] for c in cs.list_certificates(s, final[0])]
        assert numbers == [first.number, second.number]
        assert cs.describe(s, second.number)["replaces_id"] == cs.describe(s, first.number)["id"]
        actions = [(e["number"], e["action"]) for e in cs.register(s)]
        assert actions == [(first.number, "issue"), (first.number, "void"), (second.number, "issue")]


def test_void_and_reprint_need_a_reason_and_voided_takes_nothing_more(tmp_path):
    s, final, _ = school(tmp_path)
    with s:
        r = cs.issue(s, "diploma", final[0])
        assert refused(cs.void, s, r.number, "  ")[0].code == "cert_reason_required"
        assert refused(cs.reprint, s, r.number, "")[0].code == "cert_reason_required"
        out = cs.reprint(s, r.number, "卡纸，重印同一编号")
        assert out["number"] == r.number and out["reprints"] == 1
        cs.void(s, r.number, "印坏")
        assert refused(cs.void, s, r.number, "again")[0].code == "cert_voided"
        assert refused(cs.reprint, s, r.number, "again")[0].code == "cert_voided"
        assert refused(cs.verify, s, r.number)[0].code == "cert_voided"
        with pytest.raises(NotFound):
            cs.void(s, "NO-SUCH", "x")


def test_every_action_is_in_the_student_history(tmp_path):
    from app.students.service import history

    s, final, _ = school(tmp_path)
    with s:
        set_status(s, final[0], "graduated")
        r = cs.issue(s, "education-certificate", final[0])
        cs.reprint(s, r.number, "墨迹不清")
        cs.verify(s, r.number, stamped_on=DAY)
        cs.void(s, r.number, "填错")
        hs = [h for h in history(s, final[0]) if h["entity"] == "certificate"]
        assert [h["action"] for h in hs] == ["cert-issue", "cert-reprint", "cert-verify", "cert-void"]
        assert hs[1]["reason"] == "墨迹不清" and hs[3]["reason"] == "填错"
        assert all(h["field"] == "学历证明书" for h in hs)


def test_register_and_certificates_are_append_only(tmp_path):
    s, final, _ = school(tmp_path)
    with s:
        r = cs.issue(s, "diploma", final[0])
        conn = s.conn
        for sql in ("UPDATE certificates SET number = 'X'", "DELETE FROM certificates",
                    "UPDATE cert_events SET reason = 'x'", "DELETE FROM cert_events",
                    "DELETE FROM cert_counters", "UPDATE cert_counters SET next_seq = 1"):
            with pytest.raises(sqlite3.DatabaseError):
                conn.execute(sql)
        cid = cs.describe(s, r.number)["id"]
        with pytest.raises(sqlite3.IntegrityError):  # a number is never given twice, even by hand
            with s.transaction() as c:
                cq.insert_certificate(c, {"number": r.number, "kind": "diploma", "student_id": final[1],
                                          "year": 2026, "seq": 99, "issue_date": "2026-01-01"})
        cs.void(s, r.number, "x")
        with pytest.raises(sqlite3.DatabaseError):
            with s.transaction() as c:
                cq.insert_event(c, cid, "reprint", "x")


def test_education_certificate_awaits_the_stamp_until_verified(tmp_path):
    s, final, _ = school(tmp_path)
    with s:
        set_status(s, final[0], "graduated")
        r = cs.issue(s, "education-certificate", final[0])
        assert r.state == cs.STATE_AWAITING
        assert [n.rule for n in r.notes] == ["CERT.STAMP_BEFORE_VALID"]
        assert cs.describe(s, r.number)["state_name"] == "待验印"
        out = cs.verify(s, r.number, stamped_on=DAY)
        assert out["state"] == cs.STATE_VALID and out["verified_at"]
        assert refused(cs.verify, s, r.number)[0].code == "cert_already_verified"
        d = cs.issue(s, "diploma", final[1])
        assert d.state == cs.STATE_VALID and not d.notes


@pytest.mark.parametrize("profile,article", [("national", "国家 第十三条"), ("henan-zhoukou", "国家 第十三条"),
                                             ("shanxi-changzhi", "长治 第三十八条"), ("liaoning", "辽宁 第二十五条")])
def test_education_certificate_only_for_graduates_of_this_school(tmp_path, profile, article):
    s, final, _ = school(tmp_path, profile)
    with s:
        f = refused(cs.issue, s, "education-certificate", final[0])  # in class, not graduated
        assert [(x.rule, x.article, x.outcome) for x in f] == [("CERT.ONLY_GRADUATING_SCHOOL", article, "BLOCK")]
        set_status(s, final[0], "transferred")
        assert rule_ids(refused(cs.issue, s, "education-certificate", final[0])) == {"CERT.ONLY_GRADUATING_SCHOOL"}
        set_status(s, final[0], "graduated")
        assert cs.issue(s, "education-certificate", final[0]).number


def test_second_education_certificate_changzhi_needs_reason_and_approver(tmp_path):
    s, final, _ = school(tmp_path, "shanxi-changzhi")
    with s:
        set_status(s, final[0], "graduated")
        first = cs.issue(s, "education-certificate", final[0])
        before = (count(s, "certificates"), count(s, "cert_events"), count(s, "change_history"))
        f = refused(cs.issue, s, "education-certificate", final[0])
        assert [(x.rule, x.article, x.outcome) for x in f] == [("CERT.LOST_DIPLOMA.CZ", "长治 第三十八条", "BLOCK*")]
        assert first.number in f[0].message and "批准人" in f[0].message
        f = refused(cs.issue, s, "education-certificate", final[0], override=cs.CertOverride("再次遗失", ""))
        assert "批准人" in f[0].message
        assert (count(s, "certificates"), count(s, "cert_events"), count(s, "change_history")) == before
        second = cs.issue(s, "education-certificate", final[0],
                          override=cs.CertOverride("学历证明再次遗失，登报声明", "县教育局 王科长"))
        assert [o.rule for o in second.overridden] == ["CERT.LOST_DIPLOMA.CZ"]
        row = cs.describe(s, second.number)
        assert row["override_reason"] == "学历证明再次遗失，登报声明" and row["approved_by"] == "县教育局 王科长"
        stored = s.conn.execute("SELECT rule_id, approved_by FROM rule_findings WHERE student_id = ?",
                                (final[0],)).fetchall()
        assert [tuple(r) for r in stored] == [("CERT.LOST_DIPLOMA.CZ", "县教育局 王科长")]


@pytest.mark.parametrize("profile,rule", [("national", "CERT.EDU_REPEAT"), ("liaoning", "CERT.LOST_DIPLOMA.LN")])
def test_second_education_certificate_elsewhere_is_a_logged_warning(tmp_path, profile, rule):
    s, final, _ = school(tmp_path, profile)
    with s:
        set_status(s, final[0], "graduated")
        cs.issue(s, "education-certificate", final[0])
        second = cs.issue(s, "education-certificate", final[0])
        assert [w.rule for w in second.warnings] == [rule]
        assert s.conn.execute("SELECT COUNT(*) FROM rule_findings WHERE rule_id = ?", (rule,)).fetchone()[0] == 1


def test_changzhi_diploma_number_comes_from_the_authority_and_is_never_reprinted_after_graduation(tmp_path):
    s, final, _ = school(tmp_path, "shanxi-changzhi")
    with s:
        f = refused(cs.issue, s, "diploma", final[0])
        assert rule_ids(f) == {"CERT.NUMBER_BY_AUTHORITY.CZ"} and "第三十四条" in f[0].article
        r = cs.issue(s, "diploma", final[0], number="晋初2026字第000123号")
        assert r.number == "晋初2026字第000123号" and cs.describe(s, r.number)["seq"] is None
        f = refused(cs.issue, s, "diploma", final[1], number="晋初2026字第000123号")
        assert f[0].code == "cert_number_taken"
        assert cs.reprint(s, r.number, "卡纸")["reprints"] == 1  # still in class: a reprint of the same form
        set_status(s, final[0], "graduated")
        f = refused(cs.reprint, s, r.number, "遗失补办")
        assert [(x.rule, x.article) for x in f] == [("CERT.NO_REISSUE.CZ", "长治 第三十八条")]
        assert "学历证明" in f[0].message


def test_national_reprint_after_graduation_is_recorded(tmp_path):
    s, final, _ = school(tmp_path)
    with s:
        r = cs.issue(s, "diploma", final[0])
        set_status(s, final[0], "graduated")
        assert cs.reprint(s, r.number, "卡纸")["reprints"] == 1


def test_refused_batch_writes_nothing(tmp_path):
    s, final, lower = school(tmp_path)
    with s:
        with pytest.raises(Refused) as ei:
            with s.transaction() as conn:
                cs.numbers_for(s, conn, "diploma", final + lower)
        assert len(ei.value.findings) == 2  # both grade-5 students named
        assert count(s, "certificates") == 0 and cq.counter(s.conn, "diploma", dt.date.today().year) is None
        with s.transaction() as conn:
            numbers, issued = cs.numbers_for(s, conn, "diploma", final)
        assert len(set(numbers.values())) == 4 and len(issued) == 4
        with s.transaction() as conn:  # a second run reuses the same numbers
            again, issued = cs.numbers_for(s, conn, "diploma", final)
        assert again == numbers and issued == []


# ------------------------------------------------------------------ races
def _issue_many(folder: str, kind: str, n: int, year: int, out) -> None:
    """A second writer on the same archive file (own connection, BEGIN IMMEDIATE like the services)."""
    from db.archive import connect

    conn = connect(__import__("pathlib").Path(folder) / "archive.sqlite")
    got = []
    for _ in range(n):
        conn.execute("BEGIN IMMEDIATE")
        seq = cq.take_serial(conn, kind, year)
        got.append(seq)
        conn.execute("COMMIT")
    conn.close()
    out.put(got) if hasattr(out, "put") else out.extend(got)


def test_serials_never_repeat_when_two_processes_race(tmp_path):
    s, final, _ = school(tmp_path)
    folder = str(s.folder)
    s.close()
    ctx = mp.get_context("spawn")
    qu = ctx.Queue()
    procs = [ctx.Process(target=_issue_many, args=(folder, "diploma", 150, 2026, qu)) for _ in range(2)]
    for p in procs:
        p.start()
    got = qu.get(timeout=60) + qu.get(timeout=60)
    for p in procs:
        p.join(30)
    assert sorted(got) == list(range(1, 301))  # unique and none lost


def test_issues_racing_in_threads_get_unique_numbers(tmp_path):
    """Two sessions' worth of issuing at once on one archive: every certificate a distinct number, none lost."""
    s = new_school(tmp_path, sub="race")
    g6 = new_class(s, 6)
    ids = [r.id for r in fill_class(s, g6, 40, 6)]
    folder = s.folder
    s.close()
    from app.core.session import Session
    from db.archive import Archive, FileLock, connect

    results, errors = [], []

    def worker(part):
        sess = Session(Archive(folder, connect(folder / "archive.sqlite"), FileLock(folder / "unused.lock")), "t")
        try:
            for sid in part:
                results.append(cs.issue(sess, "diploma", sid).number)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            sess.conn.close()

    ts = [threading.Thread(target=worker, args=(ids[i::2],)) for i in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    assert len(results) == 40 and len(set(results)) == 40
    assert sorted(int(n[-4:]) for n in results) == list(range(1, 41))


# ------------------------------------------------------------------ calibration
def test_calibrations_round_trip_through_the_archive(tmp_path):
    from app.printing import service as ps

    s, _, _ = school(tmp_path)
    folder = s.folder
    with s:
        assert ps.list_calibrations(s) == {}
        ps.save_calibration(s, "HP LaserJet 纸盒2", dx_mm=1.5, dy_mm=-0.75, scale=0.995, printer="HP LaserJet")
        ps.save_calibration(s, "Epson", dx_mm=0, dy_mm=2)
        f = refused(ps.save_calibration, s, "bad", dx_mm=80, dy_mm=0)
        assert f[0].code == "calibration_out_of_range"
        f = refused(ps.save_calibration, s, "bad", dx_mm=0, dy_mm=0, scale=3)
        assert f[0].code == "calibration_out_of_range"
        assert refused(ps.save_calibration, s, " ", dx_mm=0, dy_mm=0)[0].code == "calibration_name_required"
    from app.core.session import Session

    with Session.open(folder) as s2:
        cals = ps.list_calibrations(s2)
        assert set(cals) == {"HP LaserJet 纸盒2", "Epson"}
        c = ps.get_calibration(s2, "HP LaserJet 纸盒2")
        assert (c.dx_mm, c.dy_mm, c.scale) == (1.5, -0.75, 0.995)
        with pytest.raises(NotFound):
            ps.get_calibration(s2, "nope")
        ps.save_calibration(s2, "Epson", dx_mm=-1, dy_mm=0.5)  # saved again: replaced
        assert ps.get_calibration(s2, "Epson").dx_mm == -1


def test_education_certificate_records_the_lost_diploma_number(tmp_path):
    s, final, _ = school(tmp_path)
    with s:
        d = cs.issue(s, "diploma", final[0], issue_date=DAY)
        set_status(s, final[0], "graduated")
        e = cs.issue(s, "education-certificate", final[0])
        assert cs.describe(s, e.number)["original_number"] == d.number
        set_status(s, final[1], "graduated")  # graduated before this archive kept a register: typed by hand
        e2 = cs.issue(s, "education-certificate", final[1], original_number="2019-0456")
        assert cs.describe(s, e2.number)["original_number"] == "2019-0456"
