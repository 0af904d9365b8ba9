"""The ``xueji`` command-line contract (scripts depend on it): verbs, --archive/--json anywhere,
exit codes 0/1/2, exactly one JSON object on stdout with --json, the error object's six keys.
Mostly in-process through app.cli.main with capsys; a few real subprocesses of .venv/bin/xueji."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from app.rules.engine import ProfileError
from app.core.session import Session
from tests.helpers import SCHOOL_CODE, make_id

ROOT = Path(__file__).resolve().parents[2]
XUEJI = ROOT / ".venv" / "bin" / "xueji"
if not XUEJI.exists():
    XUEJI = Path(sys.executable).with_name("xueji")

ERROR_KEYS = {"code", "field", "row", "message", "rule", "article"}
IDN = make_id("20170315", 1, "1")
MOTHER_ID = make_id("19900202", 2, "2")


def run(capsys, *argv):
    """main(argv) in-process → (exit code, the one JSON object printed, stderr)."""
    capsys.readouterr()
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    lines = [x for x in out.splitlines() if x.strip()]
    assert len(lines) == 1, f"expected exactly one JSON line on stdout, got: {out!r}"
    obj = json.loads(lines[0])
    assert isinstance(obj, dict) and isinstance(obj["ok"], bool)
    if not obj["ok"]:
        assert obj["errors"], obj
        for e in obj["errors"]:
            assert ERROR_KEYS <= set(e), e
            assert isinstance(e["message"], str) and e["message"]
    return rc, obj, err


def run_sub(*argv, timeout=60):
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    env.pop("XUEJI_ARCHIVE", None)
    p = subprocess.run([str(XUEJI), *map(str, argv)], capture_output=True, text=True, encoding="utf-8",
                       timeout=timeout, env=env, cwd=str(ROOT))
    return p


@pytest.fixture
def arch(tmp_path):
    return tmp_path / "archive"


def init(capsys, arch, profile="national", stages="primary,junior,senior"):
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "init", "--school-name", "周口市测试小学",
                     "--school-code", SCHOOL_CODE, "--stages", stages, "--profile", profile)
    assert rc == 0 and obj["ok"] is True, obj
    return obj


def add_class(capsys, arch, grade=3, number=1, entry_year=2023, code="301", stage=None, **extra):
    stage = stage or ("primary" if grade <= 6 else "junior" if grade <= 9 else "senior")
    args = ["--archive", arch, "--json", "class", "add", "--stage", stage, "--grade", grade,
            "--number", number, "--entry-year", entry_year]
    if code:
        args += ["--code", code]
    for k, v in extra.items():
        args += [f"--{k.replace('_', '-')}", v]
    rc, obj, _ = run(capsys, *args)
    assert rc == 0, obj
    return obj["id"]


def student_json(tmp_path, name="张三丰", idn=IDN, class_code="301", **more):
    d = {"姓名": name, "身份证件号": idn, "民族": "汉族", "班号": class_code, "联系电话": "0394-1234567",
         "成员1姓名": "王芳", "成员1关系": "母亲", "成员1身份证件号": MOTHER_ID}
    d.update(more)
    p = tmp_path / f"student-{name}-{len(list(tmp_path.glob('student-*.json')))}.json"
    p.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    return p


def add_student(capsys, arch, tmp_path, **kw):
    rc, obj, _ = run(capsys, "--archive", arch, "--json", "student", "add", "--from-json",
                     student_json(tmp_path, **kw))
    assert rc == 0, obj
    return obj["id"]


# ------------------------------------------------------------------ the main path
def test_full_path_init_class_student_list_show_edit_history_check(capsys, arch, tmp_path):
    o = init(capsys, arch)
    assert o["school"]["code"] == SCHOOL_CODE and o["school"]["profile"] == "national"
    cid = add_class(capsys, arch)

    rc, o, _ = run(capsys, "--archive", arch, "--json", "class", "list")
    assert rc == 0 and [(k["id"], k["code"], k["grade"], k["headcount"]) for k in o["classes"]] == [(cid, "301", 3, 0)]

    sid = add_student(capsys, arch, tmp_path, 学籍号="G" + IDN)
    assert isinstance(sid, int)

    rc, o, _ = run(capsys, "--archive", arch, "--json", "student", "list")
    assert rc == 0 and o["ok"] is True
    assert len(o["students"]) == 1
    row = o["students"][0]
    assert {"姓名", "身份证件号", "班号", "成员1姓名", "id", "学籍号"} <= set(row)
    assert (row["姓名"], row["身份证件号"], row["班号"], row["成员1姓名"], row["id"], row["学籍号"]) == \
        ("张三丰", IDN, "301", "王芳", sid, "G" + IDN)
    assert (row["性别"], row["出生日期"], row["民族"], row["成员1关系"]) == ("男", "20170315", "汉族", "母亲")

    for ref in (sid, IDN, "G" + IDN, IDN.lower()):
        rc, o, _ = run(capsys, "--archive", arch, "--json", "student", "show", ref)
        assert rc == 0 and o["id"] == sid, (ref, o)
        assert o["student"]["姓名"] == "张三丰" and o["student"]["成员1身份证件号"] == MOTHER_ID

    rc, o, _ = run(capsys, "--archive", arch, "--json", "student", "edit", sid, "--set", "姓名=张三峰")
    assert rc == 1 and o["ok"] is False
    e = o["errors"][0]
    assert (e["code"], e["field"], e["rule"], e["article"]) == ("key_data_change", "姓名", "KEYDATA.CHANGE.NAT",
                                                                 "国家 第十条")

    rc, o, _ = run(capsys, "--archive", arch, "--json", "student", "edit", IDN, "--set", "姓名=张三峰",
                   "--set", "联系电话=0394-7654321", "--reason", "依户口本更正", "--evidence", "户口本复印件")
    assert rc == 0 and o["id"] == sid and sorted(o["changed"]) == sorted(["姓名", "联系电话"])

    rc, o, _ = run(capsys, "--archive", arch, "--json", "student", "history", sid)
    assert rc == 0
    name_rows = [h for h in o["history"] if h["field"] == "name"]
    assert len(name_rows) == 1
    assert (name_rows[0]["old_value"], name_rows[0]["new_value"]) == ("张三丰", "张三峰")
    assert name_rows[0]["reason"] == "依户口本更正" and name_rows[0]["evidence_ref"] == "户口本复印件"
    assert o["history"][0]["action"] == "create"

    rc, o, _ = run(capsys, "--archive", arch, "--json", "check")
    assert rc == 0 and o["ok"] is True and o["integrity"] == "ok"
    assert o["counts"]["students"] == 1


def test_text_output_without_json(capsys, arch, tmp_path):
    init(capsys, arch)
    add_class(capsys, arch)
    add_student(capsys, arch, tmp_path)
    capsys.readouterr()
    assert main(["--archive", str(arch), "student", "list"]) == 0
    out = capsys.readouterr().out
    assert "张三丰" in out and "共 1 人" in out
    assert IDN not in out  # the ID number is masked in the text roster
    assert main(["--archive", str(arch), "student", "edit", "1", "--set", "姓名=李四"]) == 1
    err = capsys.readouterr().err
    assert "KEYDATA.CHANGE.NAT" in err and "国家 第十条" in err


def test_json_and_archive_before_or_after_the_verb(capsys, arch, tmp_path):
    init(capsys, arch)
    add_class(capsys, arch)
    add_student(capsys, arch, tmp_path)
    variants = [
        ["--archive", arch, "--json", "student", "list"],
        ["--json", "student", "list", "--archive", arch],
        ["student", "list", "--json", "--archive", arch],
        ["--archive", arch, "student", "list", "--json"],
        ["student", "--archive", arch, "--json", "list"],
    ]
    results = [run(capsys, *v)[:2] for v in variants]
    assert all(rc == 0 for rc, _ in results)
    assert all(o == results[0][1] for _, o in results)
    assert [s["姓名"] for s in results[0][1]["students"]] == ["张三丰"]


def test_archive_from_environment(capsys, arch, tmp_path, monkeypatch):
    init(capsys, arch)
    monkeypatch.setenv("XUEJI_ARCHIVE", str(arch))
    rc, o, _ = run(capsys, "--json", "class", "list")
    assert rc == 0 and o["classes"] == []


def test_list_filters(capsys, arch, tmp_path):
    init(capsys, arch)
    c1 = add_class(capsys, arch, grade=3, code="301")
    c2 = add_class(capsys, arch, grade=4, code="401", entry_year=2022)
    a = add_student(capsys, arch, tmp_path)
    b = add_student(capsys, arch, tmp_path, name="李树峰", idn=make_id("20160403", 3), class_code="401")
    rc, o, _ = run(capsys, "--archive", arch, "--json", "student", "list", "--search", "zsf")
    assert [s["id"] for s in o["students"]] == [a]
    rc, o, _ = run(capsys, "--archive", arch, "--json", "student", "list", "--class-id", c2)
    assert [s["id"] for s in o["students"]] == [b] and o["students"][0]["班号"] == "401"
    rc, o, _ = run(capsys, "--archive", arch, "--json", "student", "list", "--search", "20160403")
    assert [s["id"] for s in o["students"]] == [b]
    rc, o, _ = run(capsys, "--archive", arch, "--json", "student", "list", "--search", "nobody")
    assert rc == 0 and o["students"] == []
    assert c1 != c2


def test_edit_moves_a_student_by_class_code(capsys, arch, tmp_path):
    init(capsys, arch)
    add_class(capsys, arch, grade=3, number=1, code="301")
    c2 = add_class(capsys, arch, grade=3, number=2, code="302")
    sid = add_student(capsys, arch, tmp_path)
    rc, o, _ = run(capsys, "--archive", arch, "--json", "student", "edit", sid, "--set", "班号=302")
    assert rc == 0 and o["changed"] == ["班级"]
    rc, o, _ = run(capsys, "--archive", arch, "--json", "student", "show", sid)
    assert o["student"]["班号"] == "302" and o["student"]["班级编号"] == c2
    rc, o, _ = run(capsys, "--archive", arch, "--json", "student", "edit", sid, "--set", "班号=999")
    assert rc == 1 and o["errors"][0]["code"] == "unknown_class"


# ------------------------------------------------------------------ refusals (exit 1)
def test_rule_refusal_zhoukou_age(capsys, arch, tmp_path):
    init(capsys, arch, profile="henan-zhoukou")
    add_class(capsys, arch, grade=1, entry_year=2025, code="101")
    p = student_json(tmp_path, name="小不点", idn=make_id("20190901", 4), class_code="101")
    rc, o, _ = run(capsys, "--archive", arch, "--json", "student", "add", "--from-json", p)
    assert rc == 1 and o["ok"] is False
    assert [(e["code"], e["field"], e["rule"], e["article"]) for e in o["errors"]] == \
        [("under_age", "出生日期", "ENROLL.AGE_MIN_AUG31.ZK", "周口 第四条")]
    rc, o, _ = run(capsys, "--archive", arch, "--json", "student", "list")
    assert o["students"] == []


def test_duplicate_refused_with_rule_and_article(capsys, arch, tmp_path):
    init(capsys, arch, profile="shanxi-changzhi")
    add_class(capsys, arch)
    add_student(capsys, arch, tmp_path)
    rc, o, _ = run(capsys, "--archive", arch, "--json", "student", "add", "--from-json",
                   student_json(tmp_path, name="重复"))
    assert rc == 1
    assert [(e["rule"], e["article"], e["field"]) for e in o["errors"]] == \
        [("DUP.ONE_PERSON_ONE_XJ", "长治 第十四条", "身份证件号")]


def test_block_star_override_from_the_cli(capsys, arch, tmp_path):
    init(capsys, arch, profile="henan-zhoukou")
    add_class(capsys, arch, grade=1, entry_year=2025, code="101")
    p = student_json(tmp_path, name="无证", idn="", class_code="101", 身份证件类型="其他", 性别="女",
                     出生日期="20180505")
    rc, o, _ = run(capsys, "--archive", arch, "--json", "student", "add", "--from-json", p)
    assert rc == 1 and [e["rule"] for e in o["errors"]] == ["NOID.REGISTRATION.ZK"]
    assert o["errors"][0]["article"] == "周口 第六条"
    rc, o, _ = run(capsys, "--archive", arch, "--json", "student", "add", "--from-json", p,
                   "--override-reason", "派出所出具无户籍说明", "--approved-by", "县教育局", "--evidence", "无户籍说明", "--evidence", "父亲户口本")
    assert rc == 0 and [w["rule"] for w in o["overridden"]] == ["NOID.REGISTRATION.ZK"]


def test_validation_refusal_has_field_and_all_keys(capsys, arch, tmp_path):
    init(capsys, arch)
    add_class(capsys, arch)
    rc, o, _ = run(capsys, "--archive", arch, "--json", "student", "add", "--from-json",
                   student_json(tmp_path, 民族="火星族"))
    assert rc == 1
    assert [(e["code"], e["field"], e["rule"], e["article"], e["row"]) for e in o["errors"]] == \
        [("unknown_code", "民族", None, None, None)]
    assert "火星族" in o["errors"][0]["message"]


@pytest.mark.parametrize("payload, code, field", [
    ({"姓名": "张三丰", "身份证件号": IDN, "民族": "汉族", "班号": "301", "鞋码": "38"}, "unknown_field", "鞋码"),
    ({"姓名": "张三丰", "身份证件号": IDN, "民族": "汉族", "班号": "301", "学校标识码": "9999999999"},
     "school_code_mismatch", "学校标识码"),
    ({"姓名": "张三丰", "身份证件号": IDN, "民族": "汉族", "班号": "999"}, "unknown_class", "班号"),
])
def test_bad_student_json_refused(capsys, arch, tmp_path, payload, code, field):
    init(capsys, arch)
    add_class(capsys, arch)
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    rc, o, _ = run(capsys, "--archive", arch, "--json", "student", "add", "--from-json", p)
    assert rc == 1 and (o["errors"][0]["code"], o["errors"][0]["field"]) == (code, field)


def test_unreadable_student_json(capsys, arch, tmp_path):
    init(capsys, arch)
    add_class(capsys, arch)
    arr = tmp_path / "arr.json"
    arr.write_text("[1, 2]", encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text("{\"姓名\": ", encoding="utf-8")
    for p in (arr, broken, tmp_path / "missing.json"):
        rc, o, _ = run(capsys, "--archive", arch, "--json", "student", "add", "--from-json", p)
        assert rc == 1 and o["errors"][0]["code"] == "bad_input", (p, o)


def test_student_without_class_code_is_refused(capsys, arch, tmp_path):
    init(capsys, arch)
    add_class(capsys, arch)
    p = tmp_path / "noclass.json"
    p.write_text(json.dumps({"姓名": "无班", "身份证件号": IDN, "民族": "汉族"}, ensure_ascii=False), encoding="utf-8")
    rc, o, _ = run(capsys, "--archive", arch, "--json", "student", "add", "--from-json", p)
    assert rc == 1 and (o["errors"][0]["code"], o["errors"][0]["field"]) == ("required", "班号")


def test_class_refusals(capsys, arch):
    init(capsys, arch, stages="primary")
    rc, o, _ = run(capsys, "--archive", arch, "--json", "class", "add", "--stage", "primary", "--grade", 7,
                   "--number", 1, "--entry-year", 2025)
    assert rc == 1 and [(e["rule"], e["article"]) for e in o["errors"]] == [("REG.SCHOOL_SYSTEM", "国家 第二条")]
    rc, o, _ = run(capsys, "--archive", arch, "--json", "class", "add", "--stage", "junior", "--grade", 7,
                   "--number", 1, "--entry-year", 2025)
    assert rc == 1 and o["errors"][0]["code"] == "stage_not_offered"
    add_class(capsys, arch, grade=1, entry_year=2025, code="101")
    rc, o, _ = run(capsys, "--archive", arch, "--json", "class", "add", "--stage", "primary", "--grade", 1,
                   "--number", 2, "--entry-year", 2025, "--code", "101")
    assert rc == 1 and o["errors"][0]["code"] == "duplicate_class_code"


def test_init_refusals(capsys, arch, tmp_path):
    rc, o, _ = run(capsys, "--archive", arch, "--json", "init", "--school-name", "学校", "--school-code", "123",
                   "--stages", "primary", "--profile", "mars")
    assert rc == 1 and {e["code"] for e in o["errors"]} == {"bad_school_code", "bad_profile"}
    assert not (arch / "archive.sqlite").exists()
    init(capsys, arch)
    rc, o, _ = run(capsys, "--archive", arch, "--json", "init", "--school-name", "又一个", "--school-code",
                   SCHOOL_CODE, "--stages", "primary")
    assert rc == 1 and o["errors"][0]["code"] == "already_initialised"


@pytest.mark.parametrize("verb", [["student", "show", "999"], ["student", "history", make_id("20100101", 9)],
                                  ["student", "edit", "G" + make_id("20100101", 9), "--set", "联系电话=1"]])
def test_unknown_student_is_not_found(capsys, arch, verb):
    init(capsys, arch)
    rc, o, _ = run(capsys, "--archive", arch, "--json", *verb)
    assert rc == 1 and o["errors"][0]["code"] == "not_found"


def test_folder_without_an_archive(capsys, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for verb in (["student", "list"], ["class", "list"], ["check"]):
        rc, o, _ = run(capsys, "--archive", empty, "--json", *verb)
        assert rc == 1 and o["errors"][0]["code"] == "archive_missing"
        assert "没有找到档案库" in o["errors"][0]["message"]
    assert not (empty / "archive.sqlite").exists()


# ------------------------------------------------------------------ usage errors (exit 2)
@pytest.mark.parametrize("argv", [
    ["student", "list", "--bogus"],                                   # unknown option
    ["class", "add", "--stage", "primary"],                           # missing required options
    ["class", "add", "--stage", "middle", "--grade", "1", "--number", "1", "--entry-year", "2025"],
    ["class", "add", "--stage", "primary", "--grade", "one", "--number", "1", "--entry-year", "2025"],
    ["student", "edit", "1", "--set", "姓名"],                         # bad --set syntax
    ["student", "edit", "1", "--set", "鞋码=38"],                      # unknown field in --set
    ["student", "edit", "1"],                                         # --set missing
    ["student", "add"],                                               # --from-json missing
    ["frobnicate"],                                                   # unknown verb
    ["student"],                                                      # missing action
    [],                                                               # nothing at all
])
def test_usage_errors_exit_2_with_one_json_object(capsys, arch, argv):
    init(capsys, arch)
    rc, o, _ = run(capsys, "--archive", arch, "--json", *argv)
    assert rc == 2 and o["ok"] is False and o["errors"][0]["code"] == "usage"


def test_usage_error_with_json_after_the_verb(capsys, arch):
    init(capsys, arch)
    rc, o, _ = run(capsys, "student", "edit", "1", "--set", "姓名", "--json", "--archive", arch)
    assert rc == 2 and o["errors"][0]["code"] == "usage" and "字段=值" in o["errors"][0]["message"]


def test_usage_error_without_json_goes_to_stderr(capsys, arch):
    capsys.readouterr()
    assert main(["--archive", str(arch), "student", "list", "--bogus"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "--bogus" in err


# ------------------------------------------------------------------ other verbs of the contract
def test_demo_verb(capsys, tmp_path):
    pytest.importorskip("app.school.demo")
    d = tmp_path / "demo"
    rc, o, _ = run(capsys, "--archive", d, "--json", "demo", "--students", 12)
    assert rc == 0 and o["ok"] is True, o
    rc, o, _ = run(capsys, "--archive", d, "--json", "student", "list")
    assert rc == 0 and len(o["students"]) == 12
    rc, o, _ = run(capsys, "--archive", d, "--json", "check")
    assert rc == 0, o


def test_demo_rejects_zero_students(capsys, tmp_path):
    rc, o, _ = run(capsys, "--archive", tmp_path / "d0", "--json", "demo", "--students", 0)
    assert rc == 2 and o["errors"][0]["code"] == "usage"


def test_export_then_import_round_trip(capsys, arch, tmp_path):
    init(capsys, arch)
    add_class(capsys, arch)
    add_student(capsys, arch, tmp_path)
    add_student(capsys, arch, tmp_path, name="李树峰", idn=make_id("20170403", 5))
    out_file = tmp_path / "export.xlsx"
    rc, o, _ = run(capsys, "--archive", arch, "--json", "student", "export", out_file)
    assert rc == 0 and o["count"] == 2 and out_file.exists()
    other = tmp_path / "other"
    init(capsys, other)
    add_class(capsys, other)
    rc, o, _ = run(capsys, "--archive", other, "--json", "student", "import", out_file)
    assert rc == 0 and o["imported"] == 2, o
    rc, o, _ = run(capsys, "--archive", other, "--json", "student", "list")
    assert sorted(s["姓名"] for s in o["students"]) == ["张三丰", "李树峰"]
    # importing the same file again: every row is a duplicate → refused, nothing imported
    rc, o, _ = run(capsys, "--archive", other, "--json", "student", "import", out_file)
    assert rc == 1 and {e["rule"] for e in o["errors"]} == {"DUP.ONE_PERSON_ONE_XJ"}


# ------------------------------------------------------------------ real processes
def test_entry_point_runs_as_a_program(tmp_path):
    d = tmp_path / "sub"
    p = run_sub("--archive", d, "--json", "init", "--school-name", "进程测试学校", "--school-code", SCHOOL_CODE,
                "--stages", "primary", "--profile", "gansu-linxia")
    assert p.returncode == 0, p.stderr
    obj = json.loads(p.stdout)
    assert obj["ok"] is True and obj["school"]["profile"] == "gansu-linxia"
    p = run_sub("class", "add", "--stage", "primary", "--grade", "2", "--number", "1", "--entry-year", "2024",
                "--archive", d, "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["id"] == 1
    p = run_sub("--archive", d, "--json", "student", "edit", "1", "--set", "姓名")
    assert p.returncode == 2 and json.loads(p.stdout)["ok"] is False
    assert len(p.stdout.strip().splitlines()) == 1


def test_second_process_is_refused_while_the_archive_is_open(capsys, arch):
    init(capsys, arch)
    held = Session.open(arch)
    try:
        p = run_sub("--archive", arch, "--json", "student", "list")
        assert p.returncode == 1, (p.stdout, p.stderr)
        obj = json.loads(p.stdout)
        assert obj["ok"] is False
        e = obj["errors"][0]
        assert e["code"] == "archive_locked" and e["field"] == "档案库"
        assert "正被另一个正在运行的 Xueji 打开" in e["message"] and f"进程 {os.getpid()}" in e["message"]
        assert "请先关闭" in e["message"]
        p = run_sub("--archive", arch, "student", "list")  # text mode: a Chinese message on stderr
        assert p.returncode == 1 and "正被另一个正在运行的 Xueji 打开" in p.stderr and "Traceback" not in p.stderr
    finally:
        held.close()
    p = run_sub("--archive", arch, "--json", "student", "list")
    assert p.returncode == 0 and json.loads(p.stdout)["students"] == []


def test_in_process_second_open_is_refused_too(capsys, arch):
    init(capsys, arch)
    with Session.open(arch):
        rc, o, _ = run(capsys, "--archive", arch, "--json", "class", "list")
        assert rc == 1 and o["errors"][0]["code"] == "archive_locked"
    rc, o, _ = run(capsys, "--archive", arch, "--json", "class", "list")
    assert rc == 0


def test_broken_profile_file_is_reported_as_json(capsys, arch, tmp_path, monkeypatch):
    import shutil

    from app.core.paths import resources_dir
    from app.rules.engine import load_profile

    bundle = tmp_path / "bundle"
    shutil.copytree(resources_dir(), bundle / "resources")
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    custom = bundle / "resources" / "rules" / "custom.toml"
    rule = ('[[rules]]\nid = "T.ONE"\narticle = "测试 第一条"\ncheck = "class_size"\non = ["student.create"]\n'
            'outcome = "WARN"\nmessage = "m"\n')
    custom.write_text('id = "custom"\ninherits = "national"\n' + rule, encoding="utf-8")
    load_profile.cache_clear()
    try:
        init(capsys, arch, profile="custom")
        custom.write_text('id = "custom"\ninherits = "national"\n' + rule.replace('article = "测试 第一条"\n', ""),
                          encoding="utf-8")
        load_profile.cache_clear()
        rc, o, _ = run(capsys, "--archive", arch, "--json", "class", "add", "--stage", "primary", "--grade", 1,
                       "--number", 1, "--entry-year", 2025)
        assert rc == 1 and "custom.toml" in o["errors"][0]["message"]
    finally:
        load_profile.cache_clear()


def test_usage_errors_speak_chinese(capsys):
    from app.cli import main

    rc = main(["--json", "class", "add", "--stage", "kindergarten", "--grade", "1", "--number", "1",
               "--entry-year", "2025"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 2 and out["errors"][0]["code"] == "usage"
    assert "无效的选项" in out["errors"][0]["message"] and "primary" in out["errors"][0]["message"]
