"""``xueji change`` and ``xueji student state``: the JSON shapes, exit codes 0/1/2, a refusal listing every
BLOCK finding with its rule and article and writing nothing, transfer-in from a JSON record."""
from __future__ import annotations

import json

import pytest

from app.cli import main
from tests.helpers import birth_for_grade, make_id


def run(capsys, *argv):
    capsys.readouterr()
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    lines = [ln for ln in out.splitlines() if ln.strip()]
    return rc, (json.loads(out) if "--json" in argv else out), err, len(lines)


@pytest.fixture
def school(tmp_path, capsys):
    arch = tmp_path / "a"

    def make(profile="henan-zhoukou"):
        x = ("--archive", arch, "--json")
        assert run(capsys, *x, "init", "--school-name", "周口市测试中学", "--school-code", "4116020001",
                   "--stages", "primary,junior,senior", "--profile", profile)[0] == 0
        for grade, code in ((8, "2024081"), (9, "2023091"), (11, "2024111")):
            stage = "junior" if grade <= 9 else "senior"
            first = 7 if stage == "junior" else 10
            assert run(capsys, *x, "class", "add", "--stage", stage, "--grade", grade, "--number", 1,
                       "--entry-year", 2025 - (grade - first), "--code", code)[0] == 0
        ids = []
        for i, (grade, code) in enumerate(((8, "2024081"), (9, "2023091"), (11, "2024111"))):
            f = tmp_path / f"s{i}.json"
            f.write_text(json.dumps({"姓名": f"学生{'甲乙丙'[i]}", "民族": "汉族", "班号": code,
                                     "身份证件号": make_id(birth_for_grade(grade, i), 100 + i)}, ensure_ascii=False),
                         encoding="utf-8")
            rc, obj, _, _ = run(capsys, *x, "student", "add", "--from-json", f)
            assert rc == 0, obj
            ids.append(obj["id"])
        return x, ids

    return make


def count(tmp_path, table):
    import sqlite3

    con = sqlite3.connect(tmp_path / "a" / "archive.sqlite")
    try:
        return con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


def test_change_success_shape(school, capsys):
    x, (g8, _, _) = school()
    rc, obj, _, nlines = run(capsys, *x, "change", "suspend", g8, "--date", "2025-09-15", "--reason", "因病住院治疗",
                             "--evidence", "监护人书面申请", "--evidence", "县级以上医院证明@in_folder",
                             "--until", "2026-09-15")
    assert rc == 0 and nlines == 1, obj
    assert obj["ok"] is True
    for key in ("event_id", "student_id", "from_state", "to_state", "effective_date", "warnings", "deadlines"):
        assert key in obj
    assert (obj["student_id"], obj["from_state"], obj["to_state"], obj["effective_date"]) == (
        g8, "enrolled", "suspended", "2025-09-15")
    assert {"kind": "suspension_expiry", "due": "2026-09-15", "rule": "SUSPEND.EXPIRY.DUE",
            "article": "国家 第十九条", "party": ""} in obj["deadlines"]
    assert all(set(d) >= {"kind", "due", "rule", "article"} for d in obj["deadlines"])
    rc, obj, _, _ = run(capsys, *x, "student", "state", g8, "--on", "2025-09-14")
    assert rc == 0 and obj["state"] == "enrolled" and obj["on"] == "2025-09-14"
    rc, obj, _, _ = run(capsys, *x, "student", "state", g8, "--on", "2025-09-15")
    assert obj["state"] == "suspended" and obj["state_name"] == "休学"
    assert [e["kind"] for e in obj["events"]] == ["enrol", "suspend"]


def test_refusal_lists_every_block_with_rule_and_article_and_writes_nothing(school, capsys, tmp_path):
    x, (g8, g9, _) = school()
    run(capsys, *x, "change", "discipline", g9, "--date", "2026-02-20", "--reason", "违纪", "--level", "警告")
    before = {t: count(tmp_path, t) for t in ("status_events", "deadlines", "change_history", "event_evidence")}
    rc, obj, _, nlines = run(capsys, *x, "change", "transfer-out", g9, "--date", "2026-03-01", "--reason", "户口迁移",
                             "--to-school", "外县一中", "--initiator", "school")
    assert rc == 1 and nlines == 1 and obj["ok"] is False
    got = {(e["rule"], e["article"], e["outcome"]) for e in obj["errors"]}
    assert got == {("TRANSFER.GRADUATING.ZK", "周口 第十一条（五）", "BLOCK"),
                   ("TRANSFER.NOT_UNDER_DISCIPLINE", "周口 第十一条（七）", "BLOCK"),
                   ("TRANSFER.NO_FORCED", "周口 第十一条（七）", "BLOCK")}
    for e in obj["errors"]:
        assert set(e) >= {"code", "field", "row", "message", "rule", "article", "outcome"}
    assert {t: count(tmp_path, t) for t in before} == before
    rc, obj, _, _ = run(capsys, *x, "student", "state", g9)
    assert obj["state"] == "enrolled"


def test_text_mode_refusal_names_rule_and_article(school, capsys):
    x, (g8, _, _) = school()
    capsys.readouterr()
    rc = main(["--archive", str(x[1]), "change", "dropout", str(g8), "--date", "2025-09-20", "--reason", "x"])
    # Zhoukou states no weeks threshold: a dropout is recorded
    assert rc == 0
    rc = main(["--archive", str(x[1]), "change", "skip-grade", str(g8), "--date", "2025-09-21", "--grade", "10"])
    err = capsys.readouterr().err
    assert rc == 1 and "周口 第十五条" in err


def test_usage_errors_exit_2(school, capsys):
    x, (g8, _, _) = school()
    assert run(capsys, *x, "change", "teleport", g8)[0] == 2
    assert run(capsys, *x, "change", "suspend", g8, "--date", "2025-13-01")[0] == 2
    assert run(capsys, *x, "change", "suspend", g8, "--weeks-continuous", "many")[0] == 2
    rc, obj, _, _ = run(capsys, *x, "change", "transfer-out", g8, "--approval", "转入学校:maybe")
    assert rc == 2 and obj["ok"] is False
    rc, obj, _, _ = run(capsys, *x, "change", "suspend", "999999")
    assert rc == 1 and obj["errors"][0]["code"] == "not_found"


def test_warnings_are_accepted_and_listed(school, capsys):
    x, (g8, _, _) = school()
    run(capsys, *x, "change", "suspend", g8, "--date", "2025-09-15", "--reason", "因病住院", "--until", "2026-09-15",
        "--evidence", "监护人书面申请", "--evidence", "县级以上医院证明")
    rc, obj, _, _ = run(capsys, *x, "change", "resume", g8, "--date", "2026-09-15", "--class-id", 2)
    assert rc == 0 and obj["to_state"] == "enrolled"
    assert [w["rule"] for w in obj["warnings"]] == ["RESUME.GRADE.ZK"] and obj["warnings"][0]["outcome"] == "WARN"


def test_transfer_in_from_json_and_approvals(school, capsys, tmp_path):
    x, _ = school()
    f = tmp_path / "in.json"
    idn = make_id(birth_for_grade(8, 7), 300)
    f.write_text(json.dumps({"姓名": "转入生", "民族": "汉族", "身份证件号": idn}, ensure_ascii=False), encoding="utf-8")
    common = ("change", "transfer-in", idn, "--from-json", f, "--class-id", 1, "--date", "2025-09-15",
              "--from-school", "外县二中", "--reason", "随父母务工", "--approval", "转出学校:approved:王校长:2025-09-12:转字1号")
    rc, obj, _, _ = run(capsys, *x, *common, "--grade", 7)
    assert rc == 1 and {e["rule"] for e in obj["errors"]} >= {"TRANSFER.GRADE_UNCHANGED", "TRANSFER.DOCS_LIMITED.ZK"}
    assert count(tmp_path, "students") == 3
    rc, obj, _, _ = run(capsys, *x, *common, "--grade", 8, "--evidence", "学生基本信息表", "--evidence", "转学理由证明")
    assert rc == 0, obj
    assert obj["from_state"] == "" and obj["to_state"] == "enrolled"
    parties = sorted(d["party"] for d in obj["deadlines"] if d["kind"] == "party_response")
    assert parties == ["转入学校", "转入学校学籍主管部门", "转出学校学籍主管部门"]
    rc, st, _, _ = run(capsys, *x, "student", "state", idn, "--on", "2025-09-15")
    assert st["state"] == "enrolled" and [e["kind"] for e in st["events"]] == ["transfer-in"]


def test_detail_values_are_typed(school, capsys):
    x, (_, _, g11) = school()
    base = ("change", "suspend", g11, "--date", "2025-09-15", "--reason", "因病住院", "--evidence", "监护人书面申请",
            "--evidence", "县级以上医院证明")
    rc, obj, _, _ = run(capsys, *x, *base, "--detail", "sick_days=30")
    assert rc == 1 and [e["rule"] for e in obj["errors"]] == ["SUSPEND.SICK_DAYS.ZK_HS"]
    rc, obj, _, _ = run(capsys, *x, *base, "--detail", "sick_days=31", "--detail", "note=no")
    assert rc == 0 and obj["to_state"] == "suspended"


def test_dry_run_plans_and_writes_nothing(school, capsys, tmp_path):
    x, (g8, _, _) = school()
    before = count(tmp_path, "status_events")
    base = ("change", "suspend", g8, "--date", "2025-09-15", "--reason", "因病住院", "--dry-run")
    rc, obj, _, _ = run(capsys, *x, *base)
    assert rc == 1 and {e["rule"] for e in obj["errors"]} == {"SUSPEND.APPLICATION.NAT", "SUSPEND.EVIDENCE.ZK"}
    rc, obj, _, _ = run(capsys, *x, *base, "--evidence", "监护人书面申请", "--evidence", "县级以上医院证明")
    assert rc == 0 and obj["dry_run"] is True and obj["to_state"] == "suspended"
    assert [e["given"] for e in obj["evidence"]] == [True, True]
    assert {d["kind"] for d in obj["deadlines"]} == {"suspension_expiry", "extension_window"}
    assert count(tmp_path, "status_events") == before


def test_approval_verb(school, capsys):
    x, (g8, _, _) = school()
    rc, obj, _, _ = run(capsys, *x, "change", "transfer-out", g8, "--date", "2025-09-15", "--reason", "户口迁移",
                        "--to-school", "外县一中", "--in-progress")
    assert rc == 0 and obj["to_state"] == "transferring"
    ev = obj["event_id"]
    rc, obj, _, _ = run(capsys, *x, "approval", ev, "转出学校学籍主管部门:approved:张科长:2025-09-20:川教学3号")
    assert rc == 0 and obj["party"] == "转出学校学籍主管部门" and len(obj["closed_deadlines"]) == 1
    assert run(capsys, *x, "approval", ev, "转入学校:perhaps")[0] == 2
    assert run(capsys, *x, "approval", 99999, "转入学校:approved")[0] == 1
