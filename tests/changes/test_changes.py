"""Status changes (学籍异动) through app.changes on real archives: every forbidden transition of
rules-digest §4.3 in each profile where it applies, the numeric boundaries on both sides, evidence and
approvals per profile, deadlines, state on a date, and that a refusal writes nothing."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.changes.kinds import KINDS
from app.changes.service import ChangeRequest, apply_change, events_for, kind_info, plan_change, state_on
from app.core.errors import Refused
from app.students.service import Override
from tests.helpers import PROFILES, add, birth_for_grade, cjk_name, new_class, new_school, unique_id

D = dt.date
SEM1 = D(2025, 9, 15)     # 2025/26 上学期, two weeks after term starts
SEM2 = D(2026, 3, 1)      # 2025/26 下学期, two weeks after term starts
STAGES = {"liaoning": "primary,junior"}
TABLES = ("students", "status_events", "event_evidence", "event_approvals", "deadlines", "sanctions",
          "change_history", "rule_findings")
_n = iter(range(1, 100000))


@pytest.fixture
def school(tmp_path):
    made = []

    def make(profile="national", grades=(1, 3, 5, 6, 7, 8, 9, 10, 11, 12)):
        if profile == "liaoning":
            grades = tuple(g for g in grades if g <= 9)
        s = new_school(tmp_path, profile, stages=STAGES.get(profile, "primary,junior,senior"), sub=f"a{len(made)}")
        s.cls = {g: new_class(s, g) for g in grades}
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


def pupil(s, grade: int, birth: dt.date | None = None) -> int:
    n = next(_n)
    b = birth or birth_for_grade(grade, n)
    return add(s, s.cls[grade], cjk_name(n, "异"), unique_id(b)).id


def req(kind, sid, date, **kw) -> ChangeRequest:
    kw.setdefault("reason", "户口迁移")
    return ChangeRequest(kind=kind, student_id=sid, date=date, acknowledge_warnings=True, **kw)


def ok(s, kind, sid, date, **kw):
    return apply_change(s, req(kind, sid, date, **kw))


def counts(s) -> dict:
    return {t: s.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


def refused(s, kind, sid, date, **kw):
    before = counts(s)
    status = s.conn.execute("SELECT status, class_id FROM students WHERE id = ?", (sid,)).fetchone() if sid else None
    with pytest.raises(Refused) as ei:
        apply_change(s, req(kind, sid, date, **kw))
    assert counts(s) == before, "a refusal wrote something"
    if sid:
        assert tuple(s.conn.execute("SELECT status, class_id FROM students WHERE id = ?", (sid,)).fetchone()) == tuple(status)
    for f in ei.value.findings:
        assert f.message
    return ei.value.findings


def rules(findings) -> set[str]:
    return {f.rule for f in findings}


def cited(findings, rule: str) -> str:
    hit = [f for f in findings if f.rule == rule]
    assert hit, (rule, [(f.rule, f.message) for f in findings])
    assert hit[0].article
    return hit[0].article


def suspended(s, grade, date=SEM1, until=None, profile_evidence=("监护人书面申请", "县级以上医院证明", "县级以上医疗单位证明",
                                                                    "县级及以上医院证明", "病历", "医疗收费发票",
                                                                    "辽宁省义务教育阶段学生休学复学申请表",
                                                                    "山西省中小学生休学、复学申请表")):
    sid = pupil(s, grade)
    det = {"until": until.isoformat()} if until else {}
    ok(s, "suspend", sid, date, reason="因病住院治疗", evidence=list(profile_evidence), details=det)
    return sid


# =================================================================== the kinds as data
def test_kinds_are_the_contract():
    for k in ("transfer-out", "transfer-in", "suspend", "extend-suspension", "resume", "withdraw", "dropout", "return",
              "death", "abroad", "abroad-return", "jiedu-out", "jiedu-back", "skip-grade", "missing", "discipline",
              "revoke-discipline", "to-vocational"):
        assert k in KINDS
        info = kind_info(k)
        assert info["label"] and info["from"] and "date" in info["needs"]
    f = {x["name"]: x for x in kind_info("suspend")["fields"]}
    assert f["until"] == {"name": "until", "in": "details", "required": True}
    assert f["reason"]["in"] == "request"
    info = kind_info("suspend", "liaoning")
    assert info["form"] == "辽宁省义务教育阶段学生休学复学申请表"
    assert ["县级及以上医院证明", "病历", "医疗收费发票"] in [e["documents"] for e in info["evidence"]]
    assert kind_info("skip-grade", "national")["available"] is False


def test_every_new_student_starts_with_an_enrol_event(school):
    s = school("national")
    sid = pupil(s, 7)
    ev = events_for(s, sid)
    assert [e["kind"] for e in ev] == ["enrol"]
    assert ev[0]["to_state"] == "enrolled" and ev[0]["effective_date"] == "2025-09-01"  # the class's entry term
    assert state_on(s, sid, D(2025, 8, 31)) is None and state_on(s, sid, SEM1) == "enrolled"


# =================================================================== §4.3 forbidden transitions
@pytest.mark.parametrize("profile", PROFILES)
def test_no_transfer_during_suspension(school, profile):
    s = school(profile)
    sid = suspended(s, 8)
    fs = refused(s, "transfer-out", sid, D(2025, 9, 20), to_school="外县一中")
    if profile in ("henan-zhoukou", "shanxi-changzhi", "gansu-linxia"):
        art = cited(fs, "TRANSFER.NOT_DURING_SUSPENSION")
        assert art.split()[0] in {"henan-zhoukou": "周口", "shanxi-changzhi": "长治", "gansu-linxia": "临夏"}[profile]
    else:
        assert "TRANSFER.NOT_DURING_SUSPENSION" not in rules(fs)
    assert "CHANGE.STATE_ALLOWED" in rules(fs)  # 休学 → 转出 is not a transition of §4.2 anywhere


@pytest.mark.parametrize("profile", PROFILES)
def test_no_transfer_under_discipline(school, profile):
    s = school(profile)
    sid = pupil(s, 8)
    ok(s, "discipline", sid, D(2025, 9, 5), reason="打架", details={"level": "警告"})
    kw = dict(to_school="外县一中", date=SEM1) if False else dict(to_school="外县一中")
    if profile in ("henan-zhoukou", "shanxi-changzhi"):
        fs = refused(s, "transfer-out", sid, SEM1, **kw)
        assert rules(fs) == {"TRANSFER.NOT_UNDER_DISCIPLINE"}
        ok(s, "revoke-discipline", sid, D(2025, 9, 10), reason="表现良好")
    r = ok(s, "transfer-out", sid, SEM1, **kw)
    assert r.to_state == "transferred"


@pytest.mark.parametrize("profile", PROFILES)
def test_no_expulsion_in_compulsory(school, profile):
    s = school(profile)
    sid = pupil(s, 8)
    if profile in ("henan-zhoukou", "shanxi-changzhi"):
        fs = refused(s, "discipline", sid, SEM1, reason="严重违纪", details={"level": "开除学籍"})
        cited(fs, "DISC.NO_EXPEL_COMPULSORY")
    else:
        assert ok(s, "discipline", sid, SEM1, reason="严重违纪", details={"level": "开除学籍"}).to_state == "expelled"


@pytest.mark.parametrize("profile", PROFILES)
def test_school_may_not_order_a_compulsory_withdrawal(school, profile):
    s = school(profile)
    sid = pupil(s, 5)
    ev = ["护照复印件", "居民户口簿复印件", "山西省中小学生退学申请表"]
    fs = None
    if profile in ("henan-zhoukou", "shanxi-changzhi"):
        fs = refused(s, "withdraw", sid, SEM1, reason="出国定居", evidence=ev, details={"initiator": "school"})
        cited(fs, {"henan-zhoukou": "WITHDRAW.COMPULSORY_NO_EXPEL.ZK", "shanxi-changzhi": "WITHDRAW.NO_FORCED.CZ"}[profile])
    r = ok(s, "withdraw", sid, SEM1, reason="出国定居", evidence=ev, details={"initiator": "family"})
    assert r.to_state == "withdrawn" and state_on(s, sid, SEM1) == "withdrawn"


def test_changzhi_compulsory_withdrawal_only_two_cases(school):
    s = school("shanxi-changzhi")
    sid = pupil(s, 8)
    fs = refused(s, "withdraw", sid, SEM1, reason="家长要求回家务农", evidence=["山西省中小学生退学申请表"])
    assert "本次原因" in [f for f in fs if f.rule == "WITHDRAW.COMPULSORY_ONLY_TWO_CASES.CZ"][0].message
    # the second case needs its evidence: a county medical certificate
    fs = refused(s, "withdraw", sid, SEM1, reason="因病丧失学习能力", evidence=["山西省中小学生退学申请表"])
    assert rules(fs) == {"WITHDRAW.COMPULSORY_EVIDENCE.CZ"}
    r = ok(s, "withdraw", sid, SEM1, reason="因病丧失学习能力", evidence=["山西省中小学生退学申请表", "县级以上医疗单位证明"])
    assert r.to_state == "withdrawn"
    parties = {a["party"] for a in plan_change(s, req("withdraw", pupil(s, 8), SEM1, reason="出国定居")).required_approvals}
    assert "乡镇（街道）人民政府" in parties


@pytest.mark.parametrize("profile", PROFILES)
def test_grade_skip_only_in_henan_compulsory_and_within_a_stage(school, profile):
    s = school(profile)
    sid = pupil(s, 3)
    ov = Override("品学兼优", "县教体局 李四", ["跳级书面申请（学校盖章）", "学籍主管部门批准"])
    if profile != "henan-zhoukou":
        fs = refused(s, "skip-grade", sid, SEM1, grade=5, override=ov)
        cited(fs, "CHANGE.KIND_IN_PROFILE")
        return
    fs = refused(s, "skip-grade", sid, SEM1, grade=5)  # BLOCK*: needs the override
    assert {f.outcome for f in fs} == {"BLOCK*"} and rules(fs) == {"GRADE.SKIP.ZK"}
    r = ok(s, "skip-grade", sid, SEM1, grade=5, override=ov)
    assert r.to_state == "enrolled"
    assert s.conn.execute("SELECT class_id FROM students WHERE id = ?", (sid,)).fetchone()[0] == s.cls[5]
    assert s.conn.execute("SELECT COUNT(*) FROM rule_findings WHERE student_id = ? AND rule_id = 'GRADE.SKIP.ZK' "
                          "AND approved_by = '县教体局 李四'", (sid,)).fetchone()[0] == 1
    # across the primary → junior boundary, and more than one grade: refused even with the override
    sid6 = pupil(s, 6)
    cited(refused(s, "skip-grade", sid6, SEM1, grade=8, override=ov), "GRADE.SKIP_LIMITS.ZK")
    sid1 = pupil(s, 1)
    cited(refused(s, "skip-grade", sid1, SEM1, grade=5, override=ov), "GRADE.SKIP_LIMITS.ZK")
    # general high school: no skipping
    sid10 = pupil(s, 10)
    cited(refused(s, "skip-grade", sid10, SEM1, grade=12, override=ov), "GRADE.SKIP_HS.ZK")


def test_zhoukou_no_early_resumption_in_high_school(school):
    s = school("henan-zhoukou")
    sid = suspended(s, 11, until=D(2026, 9, 15))
    cited(refused(s, "resume", sid, D(2026, 9, 14)), "RESUME.EARLY.ZK_HS")
    assert ok(s, "resume", sid, D(2026, 9, 15)).to_state == "enrolled"
    # compulsory students may come back early
    sid8 = suspended(s, 8, until=D(2026, 9, 15))
    assert ok(s, "resume", sid8, D(2026, 3, 1)).to_state == "enrolled"


def test_liaoning_early_resumption_allowed_with_recovery_certificate(school):
    s = school("liaoning")
    sid = suspended(s, 8, until=D(2026, 9, 1))
    cited(refused(s, "resume", sid, D(2026, 3, 1)), "RESUME.RECOVERY_PROOF.LN")
    assert ok(s, "resume", sid, D(2026, 3, 1), evidence=["康复证明"]).to_state == "enrolled"


@pytest.mark.parametrize("profile", PROFILES)
def test_missing_or_detained_keep_the_xueji(school, profile):
    s = school(profile)
    minor = pupil(s, 8)
    adult = pupil(s, 12, birth=D(2006, 5, 1)) if profile != "liaoning" else None
    for sid in (minor, adult):
        if sid:
            assert ok(s, "missing", sid, SEM1, reason="被刑事拘留").to_state == "away_kept"
    ev = ["山西省中小学生退学申请表", "县级以上医疗单位证明", "学生退学申请", "退学报告"]
    if profile == "henan-zhoukou":
        cited(refused(s, "withdraw", minor, SEM2, reason="因病丧失学习能力", evidence=ev), "MISSING.NO_CANCEL.ZK")
        cited(refused(s, "withdraw", adult, SEM2, reason="因病丧失学习能力", evidence=ev), "MISSING.NO_CANCEL.ZK")
    elif profile == "shanxi-changzhi":
        cited(refused(s, "withdraw", minor, SEM2, reason="因病丧失学习能力", evidence=ev), "MISSING.KEEP.CZ")
        r = ok(s, "withdraw", adult, SEM2, reason="因病丧失学习能力", evidence=ev)
        assert [w.rule for w in r.warnings] == ["MISSING.KEEP_ADULT.CZ"]
    else:
        assert ok(s, "withdraw", minor, SEM2, reason="因病丧失学习能力", evidence=ev).to_state == "withdrawn"
    # coming back is always possible
    sid = pupil(s, 7)
    ok(s, "missing", sid, SEM1, reason="失踪")
    assert ok(s, "found", sid, SEM2).to_state == "enrolled"


@pytest.mark.parametrize("profile", PROFILES)
def test_no_resumption_after_withdrawal_in_linxia(school, profile):
    s = school(profile)
    sid = pupil(s, 8)
    ok(s, "withdraw", sid, SEM1, reason="出国定居", evidence=["护照复印件", "居民户口簿复印件", "山西省中小学生退学申请表"])
    for kind in ("resume", "return"):
        if profile == "gansu-linxia":
            cited(refused(s, kind, sid, SEM2), "WITHDRAW.NO_RETURN.LX")
    if profile != "gansu-linxia":
        assert ok(s, "return", sid, SEM2).to_state == "enrolled"


def _incoming(grade, i=0):
    return {"name": cjk_name(next(_n), "转"), "id_number": unique_id(birth_for_grade(grade, i)), "ethnicity": "汉族"}


ALL_TRANSFER_DOCS = ["学生基本信息表", "转学理由证明", "学校会议集体研究记录", "同意接收函", "山西省中小学生转学申请表",
                     "辽宁省义务教育阶段学生转学联系表", "居民户口簿", "实际居住证明", "学生学籍基础信息表（转出学校盖章）",
                     "转入、转出学校校长签字并盖章的转学意见", "学业水平考试成绩"]


@pytest.mark.parametrize("profile", PROFILES)
def test_no_transfer_in_from_a_vocational_school_to_general_high_school(school, profile):
    if profile == "liaoning":
        pytest.skip("compulsory stage only")
    s = school(profile)
    kw = dict(class_id=s.cls[11], grade=11, evidence=ALL_TRANSFER_DOCS, student=_incoming(11))
    if profile != "national":
        fs = refused(s, "transfer-in", None, SEM1, from_school="某市职业中专", **kw)
        cited(fs, "TRANSFER.VOC_TO_GENERAL_HS")
        fs = refused(s, "transfer-in", None, SEM1, from_school="某县第二高中", details={"from_vocational": True}, **kw)
        cited(fs, "TRANSFER.VOC_TO_GENERAL_HS")
    r = ok(s, "transfer-in", None, SEM1, from_school="某县第二高中", **kw)
    assert r.from_state == "" and r.to_state == "enrolled"
    assert [e["kind"] for e in events_for(s, r.student_id)] == ["transfer-in"]


@pytest.mark.parametrize("profile", PROFILES)
def test_grade_may_not_change_on_transfer(school, profile):
    s = school(profile)
    kw = dict(class_id=s.cls[8], from_school="外省某中学", evidence=ALL_TRANSFER_DOCS)
    if profile != "national":
        fs = refused(s, "transfer-in", None, SEM1, grade=7, student=_incoming(8), **kw)
        cited(fs, "TRANSFER.GRADE_UNCHANGED")
        assert s.conn.execute("SELECT COUNT(*) FROM students WHERE class_id = ?", (s.cls[8],)).fetchone()[0] == 0
    assert ok(s, "transfer-in", None, SEM1, grade=8, student=_incoming(8), **kw).to_state == "enrolled"


# =================================================================== numeric boundaries, both sides
@pytest.mark.parametrize("profile", ["henan-zhoukou", "shanxi-changzhi"])
def test_suspension_two_years_exactly_vs_one_day_more(school, profile):
    s = school(profile)
    ext = ["县级以上医院诊断证明"]
    sid = suspended(s, 8, date=SEM1, until=D(2026, 9, 15))
    rule = {"henan-zhoukou": "SUSPEND.EXTEND.ZK", "shanxi-changzhi": "SUSPEND.EXTEND.CZ"}[profile]
    fs = refused(s, "extend-suspension", sid, D(2026, 8, 20), evidence=ext, details={"until": "2027-09-16"})
    cited(fs, rule)
    r = ok(s, "extend-suspension", sid, D(2026, 8, 20), evidence=ext, details={"until": "2027-09-15"})
    assert r.to_state == "suspended"
    # a first suspension longer than two years is refused as well
    cited(refused(s, "suspend", pupil(s, 7), SEM1, reason="因病住院", evidence=["监护人书面申请", "县级以上医院证明",
                                                                          "县级以上医疗单位证明", "山西省中小学生休学、复学申请表"],
                  details={"until": "2027-09-16"}), rule)


def test_zhoukou_extension_applied_for_within_the_month_before_expiry(school):
    s = school("henan-zhoukou")
    sid = suspended(s, 8, until=D(2026, 9, 15))
    fs = refused(s, "extend-suspension", sid, D(2026, 8, 14), evidence=["县级以上医院诊断证明"],
                 details={"until": "2027-09-15"})
    assert rules(fs) == {"SUSPEND.EXTEND_WINDOW.ZK"}
    assert ok(s, "extend-suspension", sid, D(2026, 8, 15), evidence=["县级以上医院诊断证明"],
              details={"until": "2027-09-15"}).to_state == "suspended"


def test_liaoning_one_extension_only(school):
    s = school("liaoning")
    sid = suspended(s, 7, until=D(2026, 9, 1))
    ok(s, "extend-suspension", sid, D(2026, 8, 20), details={"until": "2027-01-31"})
    cited(refused(s, "extend-suspension", sid, D(2027, 1, 20), details={"until": "2027-09-01"}), "SUSPEND.EXTEND.LN")


def test_linxia_third_consecutive_suspension_needs_override(school):
    s = school("gansu-linxia")
    sid = suspended(s, 7, until=D(2026, 3, 1))
    ok(s, "extend-suspension", sid, D(2026, 2, 20), details={"until": "2026-09-01"})
    fs = refused(s, "extend-suspension", sid, D(2026, 8, 20), details={"until": "2027-03-01"})
    assert [(f.rule, f.outcome) for f in fs] == [("SUSPEND.EXTEND.LX", "BLOCK*")]
    ok(s, "extend-suspension", sid, D(2026, 8, 20), details={"until": "2027-03-01"},
       override=Override("病情未愈", "县教育局 王五", ["县级以上医院诊断证明"]))


def test_zhoukou_grade9_transfer_first_vs_second_semester(school):
    s = school("henan-zhoukou")
    assert ok(s, "transfer-out", pupil(s, 9), SEM1, to_school="外县一中").to_state == "transferred"
    fs = refused(s, "transfer-out", pupil(s, 9), SEM2, to_school="外县一中")
    assert rules(fs) == {"TRANSFER.GRADUATING.ZK"} and fs[0].article == "周口 第十一条（五）"
    # grade 8 in the second semester is fine; grade 12 is refused all year
    assert ok(s, "transfer-out", pupil(s, 8), SEM2, to_school="外县一中").to_state == "transferred"
    cited(refused(s, "transfer-out", pupil(s, 12), SEM1, to_school="外县一中"), "TRANSFER.GRADUATING.ZK_HS")


@pytest.mark.parametrize("profile,sem1,sem2", [("shanxi-changzhi", False, False), ("gansu-linxia", False, False),
                                               ("liaoning", True, True), ("national", True, True)])
def test_graduating_grade_transfer_by_profile(school, profile, sem1, sem2):
    s = school(profile)
    for date, allowed in ((SEM1, sem1), (SEM2, sem2)):
        sid = pupil(s, 9)
        if allowed:
            ok(s, "transfer-out", sid, date, to_school="外县一中")
        else:
            refused(s, "transfer-out", sid, date, to_school="外县一中")


def test_zhoukou_initial_grade_first_semester_needs_override(school):
    s = school("henan-zhoukou")
    sid = pupil(s, 7)
    fs = refused(s, "transfer-out", sid, SEM1, to_school="外县一中")
    assert [(f.rule, f.outcome) for f in fs] == [("TRANSFER.INITIAL_GRADE.ZK", "BLOCK*")]
    half = Override("家庭迁居外省", "县教体局 张三", ["户口变动证明"])  # one of the two documents
    assert "TRANSFER.INITIAL_GRADE.ZK" in rules(refused(s, "transfer-out", sid, SEM1, to_school="外县一中", override=half))
    full = Override("家庭迁居外省", "县教体局 张三", ["户口变动证明", "县级教育行政部门同意意见"])
    assert ok(s, "transfer-out", sid, SEM1, to_school="外县一中", override=full).to_state == "transferred"
    assert ok(s, "transfer-out", pupil(s, 7), SEM2, to_school="外县一中").to_state == "transferred"


def test_zhoukou_in_province_window_two_months_after_term_starts(school):
    s = school("henan-zhoukou")
    assert ok(s, "transfer-out", pupil(s, 8), D(2025, 11, 1), to_school="外县一中").to_state == "transferred"
    fs = refused(s, "transfer-out", pupil(s, 8), D(2025, 11, 2), to_school="外县一中")
    assert [(f.rule, f.outcome) for f in fs] == [("TRANSFER.WINDOW.ZK_COMPULSORY", "BLOCK*")]
    ok(s, "transfer-out", pupil(s, 8), D(2025, 11, 2), to_school="外省一中", details={"cross_province": True})


@pytest.mark.parametrize("profile", ["liaoning", "gansu-linxia"])
def test_before_the_end_of_the_term_read_literally(school, profile):
    """"学期结束前或新学期开学后…内": any day before the term ends (rules-digest §5 item 10, the default)."""
    s = school(profile)
    for d in (D(2025, 9, 2), D(2025, 11, 20), D(2026, 1, 31), D(2026, 2, 10), D(2026, 5, 20)):
        assert ok(s, "transfer-out", pupil(s, 8), d, to_school="外县一中").to_state == "transferred"
    rule = s.profile.rule({"liaoning": "TRANSFER.WINDOW.LN", "gansu-linxia": "TRANSFER.WINDOW.LX"}[profile])
    assert rule.params["before_end_months"] == "term" and rule.outcome == "BLOCK*"


def test_changzhi_no_transfer_in_mid_semester(school):
    s = school("shanxi-changzhi")
    assert ok(s, "transfer-out", pupil(s, 8), D(2025, 10, 1), to_school="外县一中").to_state == "transferred"
    fs = refused(s, "transfer-out", pupil(s, 8), D(2025, 10, 2), to_school="外县一中")
    assert [(f.rule, f.outcome) for f in fs] == [("TRANSFER.NO_MID_SEMESTER.CZ", "BLOCK*")]
    assert ok(s, "transfer-out", pupil(s, 8), D(2025, 12, 31), to_school="外县一中").to_state == "transferred"
    assert ok(s, "transfer-out", pupil(s, 8), D(2026, 2, 10), to_school="外县一中").to_state == "transferred"  # vacation
    ov = Override("家庭整体迁居外省", "市教育局 赵六", ["户籍迁移证明"])
    assert ok(s, "transfer-out", pupil(s, 8), D(2025, 11, 20), to_school="外县一中", override=ov).overridden


def test_liaoning_dropout_three_vs_four_weeks(school):
    s = school("liaoning")
    sid = pupil(s, 8)
    fs = refused(s, "dropout", sid, SEM2, reason="无故旷课", details={"weeks_continuous": 3})
    assert rules(fs) == {"DROPOUT.DEFINITION.LN"} and fs[0].article == "辽宁 第二十三条"
    r = ok(s, "dropout", sid, SEM2, reason="无故旷课", details={"weeks_continuous": 4})
    assert r.to_state == "dropout" and any(d["kind"] == "dropout_report" for d in r.deadlines)


@pytest.mark.parametrize("cont,cum,allowed", [(8, None, False), (9, None, True), (None, 9, False), (None, 10, True),
                                              (8, 9, False)])
def test_changzhi_automatic_withdrawal_thresholds(school, cont, cum, allowed):
    s = school("shanxi-changzhi")
    sid = pupil(s, 11)
    det = {k: v for k, v in (("weeks_continuous", cont), ("weeks_cumulative", cum)) if v is not None}
    if allowed:
        r = ok(s, "withdraw", sid, SEM2, reason="长期旷课，多次联系无效", details=det)
        assert r.to_state == "auto_withdrawn"
    else:
        assert rules(refused(s, "withdraw", sid, SEM2, reason="长期旷课", details=det)) == {"WITHDRAW.HS_AUTO.CZ"}


def test_automatic_withdrawal_only_in_changzhi_high_school(school):
    s = school("shanxi-changzhi")
    cited(refused(s, "withdraw", pupil(s, 8), SEM2, reason="旷课", details={"weeks_continuous": 12}),
          "WITHDRAW.AUTO_NOT_PROVIDED")
    n = school("national")
    cited(refused(n, "withdraw", pupil(n, 11), SEM2, reason="旷课", details={"weeks_continuous": 12}),
          "WITHDRAW.AUTO_NOT_PROVIDED")


def test_death_cancellation_due_in_ten_working_days_across_a_holiday(school):
    from app.core.workdays import add_working_days

    s = school("national")
    sid = pupil(s, 8)
    fs = refused(s, "death", sid, D(2025, 9, 26))
    assert rules(fs) == {"DEATH.EVIDENCE"}
    r = ok(s, "death", sid, D(2025, 9, 26), reason="", evidence=["死亡相关证明"])
    due = [d for d in r.deadlines if d["kind"] == "death_cancel"]
    assert len(due) == 1 and due[0]["rule"] == "DEATH.CANCEL_10WD"
    assert due[0]["due"] == add_working_days(s.conn, D(2025, 9, 26), 10).isoformat()
    assert due[0]["due"] == "2025-10-16"  # 国庆 1–8 Oct off, 28 Sep and 11 Oct (Saturdays) worked
    assert r.to_state == "deceased"
    row = s.conn.execute("SELECT due_date, done_at FROM deadlines WHERE student_id = ? AND kind = 'death_cancel'",
                         (sid,)).fetchone()
    assert tuple(row) == ("2025-10-16", None)
    assert r.warnings and r.warnings[0].rule == "DEATH.CANCEL_10WD.LATE"  # recorded long after the due date


# =================================================================== evidence, approvals, deadlines
def test_evidence_lists_differ_by_profile(school):
    docs = {}
    for p in PROFILES:
        s = school(p)
        plan = plan_change(s, req("suspend", pupil(s, 8), SEM1, reason="因病住院", evidence=["病历"]))
        docs[p] = {e["name"]: e["given"] for e in plan.required_evidence}
        assert not plan.ok
    assert docs["liaoning"] == {"监护人书面申请": False, "辽宁省义务教育阶段学生休学复学申请表": False,
                                "县级及以上医院证明": False, "病历": True, "医疗收费发票": False}
    assert "县级以上医院证明" in docs["henan-zhoukou"] and "县级以上医疗单位证明" in docs["shanxi-changzhi"]
    assert docs["national"] == {"监护人书面申请": False}


def test_approval_chains_differ_by_profile(school):
    chains = {}
    for p in PROFILES:
        s = school(p)
        chains[p] = [a["party"] for a in plan_change(s, req("transfer-out", pupil(s, 8), SEM1,
                                                             to_school="x")).required_approvals]
    assert "市级教育行政部门" in chains["shanxi-changzhi"]
    assert chains["liaoning"] == ["转入学校", "转入学校主管教育行政部门", "转出学校", "转出学校主管教育行政部门"]
    info = kind_info("transfer-out", s)
    assert info["approvals"] and info["available"]


def test_plan_writes_nothing_and_shows_deadlines(school):
    s = school("national")
    sid = pupil(s, 8)
    before = counts(s)
    plan = plan_change(s, req("transfer-out", sid, SEM1, to_school="外县一中"))
    assert counts(s) == before and plan.ok and plan.from_state == "enrolled" and plan.to_state == "transferred"
    kinds = sorted({d["kind"] for d in plan.deadlines})
    assert kinds == ["archive_handover", "party_response"]
    assert [d["due"] for d in plan.deadlines if d["kind"] == "archive_handover"] == ["2025-10-15"]


def test_transfer_in_progress_then_completed_closes_party_deadlines(school):
    s = school("national")
    sid = pupil(s, 8)
    r = ok(s, "transfer-out", sid, SEM1, to_school="外县一中", details={"in_progress": True},
           approvals=[{"party": "转出学校", "decision": "approved", "decided_by": "校长", "decided_on": "2025-09-15",
                       "doc_number": "X-1"}])
    assert r.to_state == "transferring"
    parties = {d["party"] for d in r.deadlines if d["kind"] == "party_response"}
    assert parties == {"转入学校", "转入学校学籍主管部门", "转出学校学籍主管部门"}
    assert state_on(s, sid, SEM1) == "transferring"
    r2 = ok(s, "transfer-out", sid, D(2025, 9, 22), to_school="外县一中")
    assert (r2.from_state, r2.to_state) == ("transferring", "transferred")
    open_party = s.conn.execute("SELECT COUNT(*) FROM deadlines WHERE student_id = ? AND kind = 'party_response' "
                                "AND event_id = ? AND done_at IS NULL", (sid, r.event_id)).fetchone()[0]
    assert open_party == 0
    ap = s.conn.execute("SELECT party, decision, doc_number FROM event_approvals WHERE event_id = ?",
                        (r.event_id,)).fetchall()
    assert [tuple(a) for a in ap] == [("转出学校", "approved", "X-1")]


def test_resume_closes_the_suspension_deadlines_and_records_evidence(school):
    s = school("henan-zhoukou")
    sid = suspended(s, 8, until=D(2026, 9, 15))
    rows = s.conn.execute("SELECT kind, due_date FROM deadlines WHERE student_id = ? ORDER BY kind", (sid,)).fetchall()
    assert [tuple(r) for r in rows] == [("extension_window", "2026-08-15"), ("suspension_expiry", "2026-09-15")]
    ev = s.conn.execute("SELECT name, how FROM event_evidence e JOIN status_events v ON v.id = e.event_id "
                        "WHERE v.student_id = ? AND v.kind = 'suspend'", (sid,)).fetchall()
    assert ("县级以上医院证明", "in_folder") in [tuple(r) for r in ev]
    ok(s, "resume", sid, D(2026, 9, 1))
    assert s.conn.execute("SELECT COUNT(*) FROM deadlines WHERE student_id = ? AND done_at IS NULL",
                          (sid,)).fetchone()[0] == 0


def test_default_suspension_is_one_year(school):
    s = school("henan-zhoukou")
    sid = pupil(s, 8)
    r = ok(s, "suspend", sid, SEM1, reason="因病住院", evidence=["监护人书面申请", "县级以上医院证明"])
    assert events_for(s, sid)[-1]["details"]["until"] == "2026-09-15"
    assert any(f.rule == "SUSPEND.DURATION.NAT" and f.article == "周口 第十三条（四）" for f in r.findings)


# =================================================================== state on a date
def test_state_on_across_a_sequence_of_dated_events(school):
    s = school("liaoning")
    sid = pupil(s, 7)
    ok(s, "suspend", sid, D(2025, 10, 8), reason="因病住院",
       evidence=["监护人书面申请", "辽宁省义务教育阶段学生休学复学申请表", "县级及以上医院证明", "病历", "医疗收费发票"],
       details={"until": "2026-03-01"})
    ok(s, "resume", sid, D(2026, 3, 1), evidence=["康复证明"])
    ok(s, "abroad", sid, D(2026, 4, 10), reason="随父母出国", evidence=["护照", "辽宁省义务教育阶段学生出国（出境）申请表"])
    ok(s, "abroad-return", sid, D(2026, 9, 1))
    expect = [(D(2025, 8, 1), None), (D(2025, 9, 1), "enrolled"), (D(2025, 10, 7), "enrolled"),
              (D(2025, 10, 8), "suspended"), (D(2026, 2, 28), "suspended"), (D(2026, 3, 1), "enrolled"),
              (D(2026, 4, 10), "abroad"), (D(2026, 8, 31), "abroad"), (D(2026, 9, 1), "enrolled")]
    assert [(d, state_on(s, sid, d)) for d, _ in expect] == expect
    assert s.conn.execute("SELECT status FROM students WHERE id = ?", (sid,)).fetchone()[0] == "enrolled"
    # a change dated before the latest event is refused (the history would not add up)
    fs = refused(s, "dropout", sid, D(2026, 5, 1), details={"weeks_continuous": 5})
    assert fs[0].code == "later_event"


def test_events_are_append_only(school):
    import sqlite3

    s = school("national")
    sid = pupil(s, 8)
    with pytest.raises(sqlite3.DatabaseError):
        s.conn.execute("DELETE FROM status_events WHERE student_id = ?", (sid,))
    with pytest.raises(sqlite3.DatabaseError):
        s.conn.execute("UPDATE status_events SET to_state = 'withdrawn' WHERE student_id = ?", (sid,))


def test_unknown_kind_and_kind_not_in_profile(school):
    s = school("national")
    sid = pupil(s, 8)
    assert refused(s, "teleport", sid, SEM1)[0].code == "unknown_kind"
    cited(refused(s, "jiedu-out", sid, SEM1, to_school="x", grade=8), "CHANGE.KIND_IN_PROFILE")


def test_changzhi_jiedu_same_grade_and_eligibility(school):
    s = school("shanxi-changzhi")
    docs = ["山西省中小学生借读申请表", "所在单位证明", "原校证明", "亲属户籍证明", "原校学籍基础信息表复印件"]
    sid = pupil(s, 8)
    fs = refused(s, "jiedu-out", sid, SEM1, reason="父母双方出国工作", to_school="某校", grade=9, evidence=docs)
    assert rules(fs) == {"JIEDU.SAME_GRADE.CZ"}
    assert rules(refused(s, "jiedu-out", sid, SEM1, reason="想换环境", to_school="某校", grade=8,
                         evidence=docs)) == {"JIEDU.ELIGIBILITY.CZ"}
    r = ok(s, "jiedu-out", sid, SEM1, reason="父母双方出国工作两年", to_school="某校", grade=8, evidence=docs)
    assert r.to_state == "jiedu_out"
    assert ok(s, "jiedu-back", sid, SEM2).to_state == "enrolled"


def test_zhoukou_high_school_to_vocational_cancels_the_xueji(school):
    s = school("henan-zhoukou")
    sid = pupil(s, 10)
    cited(refused(s, "to-vocational", sid, SEM1, to_school="市职专"), "TRANSFER.HS_TO_VOCATIONAL.ZK")
    r = ok(s, "to-vocational", sid, SEM1, to_school="市职专", evidence=["学生本人申请（家长签字）", "同意取消学籍证明"])
    assert r.to_state == "cancelled"
    cited(refused(s, "to-vocational", pupil(s, 8), SEM1, to_school="市职专",
                  evidence=["学生本人申请（家长签字）", "同意取消学籍证明"]), "TO_VOCATIONAL.SENIOR_ONLY")


def test_zhoukou_high_school_first_semester_no_transfer_except_out_of_province(school):
    s = school("henan-zhoukou")
    sid = pupil(s, 10)   # entered 2025-09: not one semester yet on 2025-09-15 (and grade 10 = initial grade)
    ov = Override("家庭迁居", "县教体局 张三", ["户口变动证明", "县级教育行政部门同意意见"])
    fs = refused(s, "transfer-out", sid, SEM1, to_school="外县一中", override=ov)
    assert rules(fs) == {"TRANSFER.HS_MIN_ENROLLED.ZK"}
    assert ok(s, "transfer-out", sid, SEM1, to_school="外省一中", override=ov, details={"cross_province": True},
              evidence=["外省学籍管理部门同意接收证明", "户口本户首页、本人页原件"]).to_state == "transferred"
    assert ok(s, "transfer-out", pupil(s, 10), SEM2, to_school="外县一中").to_state == "transferred"


@pytest.mark.parametrize("days,allowed", [(30, False), (31, True)])
def test_zhoukou_high_school_suspension_needs_more_than_30_sick_days(school, days, allowed):
    s = school("henan-zhoukou")
    sid = pupil(s, 11)
    kw = dict(reason="因病住院", evidence=["监护人书面申请", "县级以上医院证明"], details={"sick_days": days})
    if allowed:
        assert ok(s, "suspend", sid, SEM1, **kw).to_state == "suspended"
    else:
        assert rules(refused(s, "suspend", sid, SEM1, **kw)) == {"SUSPEND.SICK_DAYS.ZK_HS"}
    # and only for the student's own illness
    cited(refused(s, "suspend", pupil(s, 11), SEM1, reason="随父母外出务工", evidence=["监护人书面申请"]),
          "SUSPEND.CONDITIONS.ZK_HS")


def test_changzhi_discipline_levels_and_probation_review(school):
    s = school("shanxi-changzhi")
    cited(refused(s, "discipline", pupil(s, 8), SEM1, reason="违纪", details={"level": "留校察看"}), "DISC.LEVELS.CZ")
    r = ok(s, "discipline", pupil(s, 11), SEM1, reason="违纪", details={"level": "留校察看"})
    assert [(d["kind"], d["due"]) for d in r.deadlines] == [("probation_review", "2026-09-15")]
    plan = plan_change(s, req("discipline", pupil(s, 11), SEM1, reason="严重违纪", details={"level": "开除学籍"}))
    assert plan.ok and plan.to_state == "expelled"
    assert [a["party"] for a in plan.required_approvals] == ["市级教育主管部门"]


def test_form_data_for_printing(school):
    from app.changes.service import form_data

    s = school("shanxi-changzhi")
    sid = pupil(s, 8)
    r = ok(s, "suspend", sid, SEM1, reason="因病住院", evidence=["监护人书面申请", "县级以上医疗单位证明",
                                                              "山西省中小学生休学、复学申请表@attached:ab12"])
    d = form_data(s, r.event_id)
    assert d["form"] == "山西省中小学生休学、复学申请表（附件7）"
    assert d["student"]["id"] == sid and d["kind_name"] == "休学" and d["to_state_name"] == "休学"
    att = [e for e in d["evidence"] if e["how"] == "attached"]
    assert [(e["name"], e["file_sha256"]) for e in att] == [("山西省中小学生休学、复学申请表", "ab12")]


def test_demo_and_every_created_student_have_their_starting_event(tmp_path):
    from app.school.demo import build_demo
    from app.core.session import Session

    build_demo(tmp_path / "demo", students=40)
    with Session.open(tmp_path / "demo") as s:
        n = s.conn.execute("SELECT COUNT(*) FROM students").fetchone()[0]
        ev = s.conn.execute("SELECT COUNT(*), COUNT(DISTINCT student_id) FROM status_events WHERE kind = 'enrol'").fetchone()
        assert tuple(ev) == (n, n) and n >= 40
        mism = s.conn.execute("SELECT COUNT(*) FROM students st JOIN status_events e ON e.student_id = st.id "
                              "WHERE e.to_state <> st.status").fetchone()[0]
        assert mism == 0


@pytest.mark.parametrize("given,doc,match", [
    ("死亡证明", "死亡相关证明", True), ("书面申请", "监护人书面申请", True), ("病历@in_folder", "病历", True),
    ("县级以上医院出具的证明", "县级以上医院证明", True), ("证明", "死亡相关证明", False),
    ("医院证明", "县级以上医院诊断证明", False), ("户口本", "居民户口簿", False), ("居民户口簿复印件", "居民户口簿", True),
    ("退学申请表", "山西省中小学生退学申请表", True), ("申请表", "山西省中小学生退学申请表", False)])
def test_evidence_names_match_the_rules_documents(given, doc, match):
    from app.changes.checks import evidence_given

    assert (evidence_given([given], doc) is not None) is match


@pytest.mark.parametrize("profile", [p for p in PROFILES if p != "liaoning"])
def test_early_high_school_resumption_refused_only_in_zhoukou(school, profile):
    s = school(profile)
    sid = suspended(s, 11, until=D(2026, 9, 15))
    if profile == "henan-zhoukou":
        cited(refused(s, "resume", sid, D(2026, 3, 1), evidence=["山西省中小学生休学、复学申请表"]), "RESUME.EARLY.ZK_HS")
    else:
        r = ok(s, "resume", sid, D(2026, 3, 1), evidence=["山西省中小学生休学、复学申请表"])
        assert (r.from_state, r.to_state) == ("suspended", "enrolled")


@pytest.mark.parametrize("profile", PROFILES)
def test_compulsory_withdrawal_for_other_reasons_refused_only_in_changzhi(school, profile):
    s = school(profile)
    sid = pupil(s, 8)
    kw = dict(reason="家长要求回家务农", evidence=["山西省中小学生退学申请表"])
    if profile == "shanxi-changzhi":
        cited(refused(s, "withdraw", sid, SEM1, **kw), "WITHDRAW.COMPULSORY_ONLY_TWO_CASES.CZ")
    else:
        assert ok(s, "withdraw", sid, SEM1, **kw).to_state == "withdrawn"


def test_placement_into_a_full_class_is_warned_and_logged(school):
    s = school("national")
    full = new_class(s, 8, number=2, capacity=1)
    s.cls["8b"] = full
    add(s, full, cjk_name(next(_n), "满"), unique_id(birth_for_grade(8, 3)))
    sid = suspended(s, 8, until=D(2026, 9, 1))
    plan = plan_change(s, req("resume", sid, D(2026, 9, 1), class_id=full))
    assert plan.ok and [w.rule for w in plan.warnings] == ["CLASS.CAPACITY"]
    with pytest.raises(Refused):  # a window must ask first: unacknowledged warnings refuse
        apply_change(s, ChangeRequest("resume", sid, date=D(2026, 9, 1), class_id=full))
    r = ok(s, "resume", sid, D(2026, 9, 1), class_id=full)
    assert [w.rule for w in r.warnings] == ["CLASS.CAPACITY"]
    assert s.conn.execute("SELECT class_id FROM students WHERE id = ?", (sid,)).fetchone()[0] == full
    assert s.conn.execute("SELECT COUNT(*) FROM rule_findings WHERE student_id = ? AND rule_id = 'CLASS.CAPACITY'",
                          (sid,)).fetchone()[0] == 1


def test_liaoning_reason_proof_only_when_the_hukou_did_not_move(school):
    s = school("liaoning")
    base = ["辽宁省义务教育阶段学生转学联系表", "学生基本信息表", "居民户口簿", "实际居住证明"]
    kw = dict(class_id=s.cls[8], grade=8, from_school="外市某小学")
    assert ok(s, "transfer-in", None, SEM1, evidence=base, student=_incoming(8), **kw).to_state == "enrolled"
    fs = refused(s, "transfer-in", None, SEM1, evidence=base, student=_incoming(8),
                 details={"hukou_unchanged": True}, **kw)
    assert rules(fs) == {"TRANSFER.DOCS_REASON.LN"}


def test_linxia_no_suspension_back_into_an_earlier_semester(school):
    s = school("gansu-linxia")
    kw = dict(reason="因病住院", evidence=["监护人书面申请"])
    fs = refused(s, "suspend", pupil(s, 8), D(2026, 1, 10), details={"applied_on": "2026-03-02"}, **kw)
    assert rules(fs) == {"SUSPEND.NO_CROSS_SEMESTER.LX"}
    assert ok(s, "suspend", pupil(s, 8), D(2026, 3, 2), details={"applied_on": "2026-03-05"}, **kw).to_state == "suspended"


def test_plan_of_a_bad_transfer_in_record_writes_nothing(school):
    s = school("national")
    before = counts(s)
    plan = plan_change(s, req("transfer-in", None, SEM1, class_id=s.cls[8], grade=8, from_school="x",
                              student={"name": "", "ethnicity": "汉族"}))
    assert not plan.ok and any(f.rule == "GEN.REQUIRED" for f in plan.refusing)
    assert counts(s) == before
    good = plan_change(s, req("transfer-in", None, SEM1, class_id=s.cls[8], grade=8, from_school="x",
                              student=_incoming(8)))
    assert good.ok and good.student_id is None and counts(s) == before


def test_no_change_before_the_record_begins(school):
    s = school("national")
    sid = pupil(s, 7)   # class entered 2025: the record begins 2025-09-01
    fs = refused(s, "dropout", sid, D(2025, 8, 31))
    assert [f.code for f in fs] == ["before_start"]
    assert ok(s, "dropout", sid, D(2025, 9, 1)).from_state == "enrolled"
    assert s.conn.execute("SELECT status FROM students WHERE id = ?", (sid,)).fetchone()[0] == state_on(s, sid, D.today())


def test_changzhi_automatic_withdrawal_after_an_expired_suspension(school):
    s = school("shanxi-changzhi")
    sid = suspended(s, 11, until=D(2026, 3, 1))
    fs = refused(s, "withdraw", sid, D(2026, 3, 1), reason="休学期满未复学", details={"auto": True})
    assert rules(fs) == {"WITHDRAW.HS_AUTO_EXPIRED.CZ"}
    r = ok(s, "withdraw", sid, D(2026, 3, 2), reason="休学期满未复学", details={"auto": True})
    assert (r.from_state, r.to_state) == ("suspended", "auto_withdrawn")
    assert s.conn.execute("SELECT COUNT(*) FROM deadlines WHERE student_id = ? AND done_at IS NULL "
                          "AND kind = 'suspension_expiry'", (sid,)).fetchone()[0] == 0


SEEDS = Path(__file__).resolve().parents[2] / "resources" / "regulations"  # the five texts the rules cite
SEED_FILES = {"national": "national-2013-中小学生学籍管理办法.txt", "henan-zhoukou": "henan-zhoukou-2022-实施细则.txt",
              "shanxi-changzhi": "shanxi-changzhi-实施细则.txt", "liaoning": "liaoning-2017-义务教育实施细则.txt",
              "gansu-linxia": "gansu-linxia-2022-通知.txt"}
SHORT = {"national": "国家", "henan-zhoukou": "周口", "shanxi-changzhi": "长治", "liaoning": "辽宁", "gansu-linxia": "临夏"}


@pytest.mark.parametrize("profile", PROFILES)
def test_every_change_rule_cites_its_own_text(profile):
    """Each rule in resources/rules/changes/<profile>.toml cites an article of that profile's text, and its
    quote (when given) is the regulation's own words (the seeds, when present beside the repository)."""
    import re
    import tomllib

    from app.core.paths import resource

    data = tomllib.loads(resource("rules", "changes", f"{profile}.toml").read_text(encoding="utf-8"))
    assert data["rules"]
    seed = SEEDS / SEED_FILES[profile]
    text = re.sub(r"\s+", "", seed.read_text(encoding="utf-8")) if seed.exists() else None
    for r in data["rules"]:
        assert r["article"].startswith(SHORT[profile]), r["id"]
        assert all(e.startswith("change.") for e in r["on"]), r["id"]
        if text and r.get("quote"):
            for part in re.split(r"…+", r["quote"]):
                assert re.sub(r"\s+", "", part) in text, (r["id"], part)


def test_a_party_approving_later_closes_its_deadline(school):
    from app.changes.service import record_approval

    s = school("national")
    sid = pupil(s, 8)
    r = ok(s, "transfer-out", sid, SEM1, to_school="外县一中", details={"in_progress": True})
    open_before = s.conn.execute("SELECT COUNT(*) FROM deadlines WHERE event_id = ? AND done_at IS NULL",
                                 (r.event_id,)).fetchone()[0]
    assert open_before == 4
    with pytest.raises(Refused):
        record_approval(s, r.event_id, {"party": "转入学校", "decision": "maybe"})
    out = record_approval(s, r.event_id, {"party": "转入学校", "decision": "approved", "decided_by": "李校长",
                                          "decided_on": "2025-09-18", "doc_number": "接字3号"})
    assert len(out["closed_deadlines"]) == 1
    left = [row[0] for row in s.conn.execute("SELECT note FROM deadlines WHERE event_id = ? AND done_at IS NULL",
                                             (r.event_id,))]
    assert sorted(left) == ["转入学校学籍主管部门", "转出学校", "转出学校学籍主管部门"]
    assert events_for(s, sid)[-1]["approvals"][0]["doc_number"] == "接字3号"


def test_zhoukou_cross_province_high_school_transfer_documents(school):
    s = school("henan-zhoukou")
    sid = pupil(s, 11)
    fs = refused(s, "transfer-out", sid, SEM1, to_school="外省一中", details={"cross_province": True})
    assert rules(fs) == {"TRANSFER.DOCS.ZK_HS_XPROV_OUT"} and len(fs) == 2
    assert ok(s, "transfer-out", sid, SEM1, to_school="外省一中", details={"cross_province": True},
              evidence=["外省学籍管理部门同意接收证明", "户口本户首页、本人页原件"]).to_state == "transferred"
    assert ok(s, "transfer-out", pupil(s, 11), SEM1, to_school="本省一中").to_state == "transferred"  # in-province


def test_imported_students_start_with_their_enrol_event(tmp_path):
    """The importer creates through the same path: one enrol event per imported record, in its transaction."""
    from app.school.demo import build_demo
    from app.exchange.export_service import export_students
    from app.exchange.import_service import import_students
    from app.core.session import Session
    from tests.exchange.test_exchange import clone_archive

    build_demo(tmp_path / "src", students=30, seed=5)
    with Session.open(tmp_path / "src") as src:
        export_students(src, tmp_path / "all.xlsx")
        dst = clone_archive(src, tmp_path / "dst")
    try:
        ir = import_students(dst, tmp_path / "all.xlsx")
        assert ir.imported == 30
        rows = dst.conn.execute("SELECT e.student_id, e.to_state, s.status FROM status_events e "
                                "JOIN students s ON s.id = e.student_id WHERE e.kind = 'enrol'").fetchall()
        assert sorted(r[0] for r in rows) == sorted(ir.ids)
        assert all(r[1] == r[2] for r in rows)
    finally:
        dst.close()


def test_zhoukou_a_compulsory_transfer_refusal_is_warned(school):
    s = school("henan-zhoukou")
    sid = pupil(s, 8)
    plan = plan_change(s, req("transfer-out", sid, SEM1, to_school="外县一中", details={"in_progress": True},
                              approvals=[{"party": "转出学校", "decision": "refused"}]))
    assert plan.ok and [(w.rule, w.article) for w in plan.warnings] == [("TRANSFER.REASONS.ZK_COMPULSORY",
                                                                         "周口 第十一条（一）")]
