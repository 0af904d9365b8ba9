"""A scripted session of the real ``xueji`` command line, for a golden-output regression test.

``run_session(tmpdir) -> str`` runs 79 ``xueji`` commands, each in its own process
(``[sys.executable, "-m", "app.cli", ...]``), and returns their masked output as one text. Each process
gets ``stdin=DEVNULL``, ``cwd`` = the checkout holding this file, and an environment built from scratch
(nothing is inherited from the caller):

    HOME=<tmpdir>/home  PATH=/usr/bin:/bin  LANG=C.UTF-8  TZ=UTC  USER=LOGNAME=golden
    QT_QPA_PLATFORM=offscreen  PYTHONPATH=<checkout>
    + XUEJI_USER=registrar XUEJI_PASSWORD=… (the steps on ``school``, except init, init again, demo and
      the two sign-in failures), XUEJI_NEW_PASSWORD for ``init --registrar-user``, XUEJI_ARCHIVE once

- ``TZ=UTC``: the CLI's "today" is then the UTC date, the one the masking below compares with.
- ``USER``/``LOGNAME``: the OS user an open archive records (``getpass.getuser()``) is the same everywhere.
- ``cwd`` + ``PYTHONPATH``: ``-m app.cli`` loads the ``app`` package of this checkout, not the one an
  editable install may point at (tests/house/test_cli_golden.py checks this).

``python -m tests.cli_golden`` (from the checkout) runs the session twice in two fresh temp folders and
prints the diff of the two masked outputs (the stability check; none expected) and whether they equal the
golden file.

Nothing of the project is imported: the only reference is the ``-m app.cli`` entry point, so the test
survives moving modules around. The workbook with a bad row is made with openpyxl, and the exported
workbooks are read back with openpyxl / xlrd (dependencies of the project, not part of it).

Format: per command ``===== NN title``, ``$ ENV… xueji ARGS`` (temp paths masked, passwords ``***``),
``exit: N``, then stdout and stderr. A stdout that is exactly one line holding
``json.dumps(obj, ensure_ascii=False)`` of an object is shown indented (``indent=1``, key order kept) so
that diffs point at a key; it was compared with its re-serialisation first, so nothing is lost; any other
stdout is verbatim. ``===== file PATH`` blocks hold the cell values of the three exported workbooks
(one row per line, ``|`` between cells).

Archives: ``school`` (national profile, with a registrar account: every command signs in), ``demo``
(``demo --students 60 --seed 7``: a 周口 demo school; demo refuses a real archive, so it gets its own
folder), ``copy`` (the same school code as ``school``, no accounts: the import target). The session:

 1. ``init --registrar-user`` (XUEJI_NEW_PASSWORD); init again (refused); no password (``auth_required``);
    a wrong password (``auth_failed``);
 2. class add ×2 (json, text), class add with a grade outside the stage (refused), class list (json, text);
 3. demo into a new folder; demo into ``school`` (refused: ``not_demo_archive``); on ``demo``: class list
    (text), student list ``--search``, check with the archive taken from XUEJI_ARCHIVE;
 4. student add ×5 from JSON files written by the session (#1 lacks two ★ fields → ``notes``), the same
    person again (refused), show (by ID number; by id as text), edit (refused: key data without reason and
    evidence; a phone number; key data with ``--reason``/``--evidence``; a malformed ``--set``: usage),
    list ``--search`` (pinyin initials, text; a surname, json), history;
 5. student export ``.xlsx`` and ``.xls`` (national), ``.xlsx`` internal (text; masked ID numbers), and the
    three files' cells;
 6. on ``copy``: init, class add ×2, student import of the exported ``.xlsx`` with one bad row (exit 1,
    errors, nothing imported), import of the exported ``.xls`` (ok), of the ``.xlsx`` again (every row a
    duplicate), student list (text);
 7. change suspend without the guardian's application (refused), ``--dry-run``, suspend ``--until``;
    transfer-out with one ``--approval`` (deadlines); a change dated before the latest one (refused, text);
    student state; an unknown change kind (usage);
 8. promote on ``demo`` without ``--data-checked`` (refused, 周口 第十八条); on ``school``: ``--dry-run``,
    real, the same school year again (refused);
 9. graduation-check, graduate ``--dry-run``, graduate, graduate the closed class again (refused);
10. cert issue diploma, cert issue for a suspended student (refused), print class-roster, print diploma for
    two students (issues the second number), print graduate-roster ``--mask-ids`` (text), cert list (json,
    text);
11. paper archive: move (creates the folder), check-item, checklist (with the suspension's evidence item),
    folders ``--all`` (json), folders (text), locate (text);
12. backup ``--to``, backup verify (json, text), backup list;
13. audit verify (json, text), check (json, text);
14. ``xueji --help``, ``xueji --json student`` (no action: usage, help on stderr), an unknown option
    (usage), a missing required option (usage, text).

Every date passed in is fixed, and every date in the output is either before the day the golden file was
made (2026-12-08) or after the next school-year boundary (2027-10-11, 2027-10-12), so "today" cannot be
one of them while the golden file holds (below): none of them is ever masked. Masked (``mask``), in order:

- ``<TMP>``: the session's temporary folder, as given and as resolved — new every run.
- ``<CODE>``: recovery codes ``XXXXX-XXXXX-XXXXX-XXXXX`` — random (``secrets``).
- ``<STAMP>``: ``YYYYMMDD-HHMMSS`` on a session day — the time in backup folder names.
- ``<NOW>``: a date-time ``YYYY-MM-DDTHH:MM[:SS[.ffffff]]`` (or with a space, as plain-text output writes
  it) on a session day — created/changed/issued/checked/backup times the archive records.
- ``<TODAY>``: a bare ``YYYY-MM-DD`` or ``YYYYMMDD`` on a session day — defaults such as
  ``student state``'s ``on``. A session day is a UTC date from the session's start to its end (two of them
  if it runs across midnight).
- ``<HASH>``: runs of 32+ hex digits, or 16–31 with at least one letter a–f (SHA-256 of audit entries,
  files, backups; the audit head covers every time stamp). Runs of decimal digits only (ID numbers,
  certificate numbers) are kept.
- ``<SECS>``: durations — JSON ``seconds``/``db_seconds`` and the text ``用时 N 秒``.
- ``<HOST>``: ``"host"`` in backup objects (``socket.gethostname()``).
- ``<BYTES>``: ``db_bytes`` of a backup, the size of the archive's SQLite file: the archive stores the
  temp paths of exported and printed files (audit details), so its page count follows the length of the
  temp folder's path (475136 bytes under /tmp/tmpXXXXXXXX, 479232 under a 200-character folder).
PDF and backup files are not compared byte for byte (they carry creation times); their page counts and
backup counts are in the JSON and are not masked.

What no mask can hide: the demo school, class grades against entry years and the checklist's yearly items
follow the current school year, and rules compare fixed dates with today. The golden file therefore holds
from the day it was made until the next school-year boundary (1 August / 1 September). Regenerate it
(XUEJI_GOLDEN_UPDATE=1) on the code the comparison starts from, never on the code being checked.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

from tests.id_numbers import make_id_number

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "Golden-Pass-2026"
REGISTRAR = "registrar"
TIMEOUT = 120

# ------------------------------------------------------------------ data written for the session
_id = make_id_number  # odd seq = male, even = female


def _student(name, gender, birth, seq, klass, entry, address, phone, members) -> dict:
    rec = {
        "姓名": name, "性别": gender, "出生日期": birth, "出生地行政区划代码": "110105000000",
        "籍贯": "北京市朝阳区", "民族": "汉族", "国籍/地区": "中国", "身份证件类型": "居民身份证",
        "港澳台侨外": "否", "健康状况": "健康或良好", "政治面貌": "群众", "身份证件号": _id(birth, seq),
        "户口性质": "非农业户口", "户口所在地行政区划": "110105000000", "班号": klass, "入学年月": entry,
        "入学方式": "就近入学", "就读方式": "走读", "现住址": address, "通信地址": address, "家庭地址": address,
        "联系电话": phone, "邮政编码": "100022", "是否独生子女": "否", "是否受过学前教育": "是",
        "是否留守儿童": "非留守儿童", "是否需要申请资助": "否", "是否享受一补": "否", "是否孤儿": "否",
        "是否烈士或优抚子女": "否", "是否进城务工人员随迁子女": "否", "上下学距离": "1.5", "上下学方式": "步行",
        "是否需要乘坐校车": "否", "血型": "A血型", "学生来源": "正常入学", "残疾类型": "无残疾",
        "是否由政府购买学位": "否", "随班就读": "非随班就读",
    }
    for n, (mname, relation, mbirth, mseq, mphone, job) in enumerate(members, 1):
        rec.update({
            f"成员{n}姓名": mname, f"成员{n}关系": relation, f"成员{n}现住址": address,
            f"成员{n}户口所在地行政区划": "110105000000", f"成员{n}联系电话": mphone, f"成员{n}是否监护人": "是",
            f"成员{n}身份证件类型": "居民身份证", f"成员{n}身份证件号": _id(mbirth, mseq), f"成员{n}民族": "汉族",
            f"成员{n}工作单位": job, f"成员{n}职务": "职员",
        })
    return rec


def _students() -> list[dict]:
    s1 = _student("张思远", "男", "20200315", 11, "2026011", "202609", "北京市朝阳区建国路1号", "13800138000",
                  [("张建国", "父亲", "19880506", 13, "13900139000", "市实验中学")])
    del s1["邮政编码"], s1["籍贯"]  # left out on purpose: the national system's ★ fields come back as notes
    s2 = _student("王欣怡", "女", "20200722", 12, "2026011", "202609", "北京市朝阳区建国路3号", "13800138002",
                  [("王志强", "父亲", "19870912", 21, "13900139003", "个体经营"),
                   ("陈秀梅", "母亲", "19890214", 22, "13900139004", "县供电公司")])
    s3 = _student("李雨桐", "女", "20150410", 16, "2021061", "202109", "北京市朝阳区建国路2号", "13800138001",
                  [("李建国", "父亲", "19850203", 17, "13900139001", "个体经营"),
                   ("王丽华", "母亲", "19900101", 14, "13900139002", "市实验中学")])
    s4 = _student("赵浩然", "男", "20150808", 31, "2021061", "202109", "北京市朝阳区建国路5号", "13800138005",
                  [("赵国庆", "父亲", "19820707", 33, "13900139005", "某建筑公司"),
                   ("刘海燕", "母亲", "19840520", 34, "13900139006", "市第一人民医院")])
    s5 = _student("陈梓涵", "女", "20200916", 42, "2026011", "202609", "北京市朝阳区建国路7号", "13800138007",
                  [("陈学军", "父亲", "19860303", 43, "13900139007", "自由职业"),
                   ("孙玉兰", "母亲", "19870404", 44, "13900139008", "市实验中学")])
    return [s1, s2, s3, s4, s5]


# ------------------------------------------------------------------ masking
def _session_days(started: _dt.date, ended: _dt.date) -> set[str]:
    days, d = set(), started
    while d <= ended:
        days.add(d.isoformat())
        d += _dt.timedelta(days=1)
    return days


def mask(text: str, tmp_paths: list[str], days: set[str], host: str) -> str:
    """Replace what differs between two runs (see the module docstring)."""
    for p in sorted(set(tmp_paths), key=len, reverse=True):
        text = text.replace(p, "<TMP>")
    compact = {d.replace("-", "") for d in days}
    text = re.sub(r"(?<![A-Za-z0-9])[A-Z0-9]{5}(?:-[A-Z0-9]{5}){3}(?![A-Za-z0-9])", "<CODE>", text)
    text = re.sub(r"(?<!\d)(\d{8})-\d{6}(?!\d)",
                  lambda m: "<STAMP>" if m.group(1) in compact else m.group(0), text)
    text = re.sub(r"(?<!\d)(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?(?!\d)",
                  lambda m: "<NOW>" if m.group(1) in days else m.group(0), text)
    text = re.sub(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)",
                  lambda m: "<TODAY>" if m.group(0) in days else m.group(0), text)
    text = re.sub(r"(?<![\dA-Za-z])\d{8}(?!\d)",
                  lambda m: "<TODAY>" if m.group(0) in compact else m.group(0), text)
    text = re.sub(r"(?<![0-9A-Za-z])[0-9a-fA-F]{16,}(?![0-9A-Za-z])",
                  lambda m: "<HASH>" if len(m.group(0)) >= 32 or re.search(r"[a-fA-F]", m.group(0))
                  else m.group(0), text)
    text = re.sub(r'("(?:seconds|db_seconds)": )-?[0-9.eE+-]+', r"\1<SECS>", text)
    text = re.sub(r"用时 [0-9.]+ 秒", "用时 <SECS> 秒", text)
    text = re.sub(r'("db_bytes": )\d+', r"\1<BYTES>", text)
    if host:
        text = text.replace(f'"host": {json.dumps(host, ensure_ascii=False)}', '"host": "<HOST>"')
    return text


# ------------------------------------------------------------------ running
class Session:
    def __init__(self, tmpdir: Path):
        self.tmp = Path(tmpdir)
        self.home = self.tmp / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.records: list[str] = []
        self.n = 0

    def env(self, extra: dict | None = None) -> dict:
        env = {"HOME": str(self.home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TZ": "UTC",
               "USER": "golden", "LOGNAME": "golden", "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
        env.update(extra or {})
        return env

    def run(self, title: str, *args: str, env: dict | None = None, signed_in: bool = True) -> tuple[int, str]:
        """``xueji ARGS`` as a subprocess; ``signed_in`` adds XUEJI_USER/XUEJI_PASSWORD (harmless on an
        open archive, needed on ``school``). Returns (exit code, stdout)."""
        extra = {"XUEJI_USER": REGISTRAR, "XUEJI_PASSWORD": PASSWORD} if signed_in else {}
        extra.update(env or {})
        argv = [sys.executable, "-m", "app.cli", *args]
        p = subprocess.run(argv, cwd=REPO, env=self.env(extra), stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=TIMEOUT)
        out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
        self.n += 1
        shown_env = " ".join(f"{k}={'***' if 'PASSWORD' in k else _quote(self.tmp_masked(v))}"
                             for k, v in sorted(extra.items()))
        lines = [f"===== {self.n:02d} {title}",
                 "$ " + (shown_env + " " if shown_env else "") + "xueji "
                 + " ".join(_quote(self.tmp_masked(a)) for a in args),
                 f"exit: {p.returncode}"]
        lines += _stream("stdout", out) + _stream("stderr", err)
        self.records.append("\n".join(lines))
        return p.returncode, out

    def tmp_masked(self, text: str) -> str:
        """``text`` with the temp folder as ``<TMP>`` (before quoting, so the argv line does not depend on
        whether the temp path needs quotes)."""
        for p in sorted({str(self.tmp), os.path.realpath(self.tmp)}, key=len, reverse=True):
            text = text.replace(p, "<TMP>")
        return text

    def file(self, path: str) -> None:
        """The cells of a spreadsheet the CLI wrote (not a command: read here with openpyxl / xlrd), one
        line per row, cells joined by ``|``; so a change in what an export writes shows up too."""
        self.records.append("\n".join([f"===== file {self.tmp_masked(path)} (cell values, read by the test)",
                                        *("|".join(row) for row in _sheet_rows(path))]))

    def json(self, title: str, *args: str, **kw) -> dict:
        _, out = self.run(title, *args, **kw)
        try:
            return json.loads(out)
        except ValueError:
            return {}


def _quote(a: str) -> str:
    return a if a and not re.search(r"[\s'\"\\$]", a) else json.dumps(a, ensure_ascii=False)


def _stream(name: str, text: str) -> list[str]:
    if not text:
        return [f"--- {name}: (empty)"]
    body = text[:-1] if text.endswith("\n") else text
    if name == "stdout" and text.endswith("\n") and "\n" not in body:
        try:
            obj = json.loads(body)
        except ValueError:
            obj = None
        if isinstance(obj, dict) and json.dumps(obj, ensure_ascii=False, default=str) == body:
            return [f"--- {name} (one JSON line, shown indented):",
                    json.dumps(obj, ensure_ascii=False, indent=1)]
    tail = "" if text.endswith("\n") else " (no newline at end)"
    return [f"--- {name}{tail}:", body]


def run_session(tmpdir) -> str:
    tmpdir = Path(tmpdir)
    started = _dt.datetime.now(_dt.timezone.utc).date()
    s = Session(tmpdir)
    _script(s, tmpdir)
    ended = _dt.datetime.now(_dt.timezone.utc).date()
    raw = "\n\n".join(s.records) + "\n"
    tmp_paths = [str(tmpdir), str(tmpdir.resolve()), os.path.realpath(tmpdir)]  # resolved: e.g. macOS /private/var
    return mask(raw, tmp_paths, _session_days(started, ended), socket.gethostname())


def _script(s: Session, tmp: Path) -> None:
    school, demo, copy = str(tmp / "school"), str(tmp / "demo"), str(tmp / "copy")
    files = tmp / "files"
    files.mkdir(exist_ok=True)
    out = tmp / "out"
    out.mkdir(exist_ok=True)
    students = _students()
    paths = []
    for i, rec in enumerate(students, 1):
        p = files / f"student{i}.json"
        p.write_text(json.dumps(rec, ensure_ascii=False, indent=1), encoding="utf-8")
        paths.append(str(p))
    A = ("--archive", school)

    # 1. init with the first registrar; sign-in failures
    s.run("init with the first registrar", *A, "--json", "init", "--school-name", "测试实验小学",
          "--school-code", "4101000001", "--stages", "primary,junior", "--profile", "national",
          "--address", "北京市朝阳区建国路100号", "--principal", "周校长", "--registrar-user", REGISTRAR,
          env={"XUEJI_NEW_PASSWORD": PASSWORD}, signed_in=False)
    s.run("init again on the same archive (refused)", *A, "--json", "init", "--school-name", "测试实验小学",
          "--school-code", "4101000001", "--stages", "primary", signed_in=False)
    s.run("a signed-in command without a password (auth_required)", *A, "--json", "class", "list",
          env={"XUEJI_USER": REGISTRAR}, signed_in=False)
    s.run("a wrong password (auth_failed)", *A, "class", "list", "--json",
          env={"XUEJI_USER": REGISTRAR, "XUEJI_PASSWORD": "not-the-password"}, signed_in=False)

    # 2. classes
    s.run("class add grade 1", *A, "--json", "class", "add", "--stage", "primary", "--grade", "1", "--number", "1",
          "--entry-year", "2026", "--code", "2026011", "--capacity", "45", "--head-teacher", "王老师")
    s.run("class add grade 6 (text)", *A, "class", "add", "--stage", "primary", "--grade", "6", "--number", "1",
          "--entry-year", "2021", "--code", "2021061", "--capacity", "45")
    s.run("class add with a grade the stage does not have (refused)", *A, "--json", "class", "add",
          "--stage", "primary", "--grade", "8", "--number", "1", "--entry-year", "2019")
    s.run("class list", *A, "--json", "class", "list")
    s.run("class list (text)", *A, "class", "list")

    # 3. demo (needs an empty folder or a demo archive)
    s.run("demo into a new folder", "--archive", demo, "--json", "demo", "--students", "60", "--seed", "7",
          signed_in=False)
    s.run("demo into a real archive (refused)", *A, "--json", "demo", "--students", "60", "--seed", "7",
          signed_in=False)
    s.run("demo: class list (text)", "--archive", demo, "class", "list", signed_in=False)
    s.run("demo: student list --search", "--archive", demo, "student", "list", "--search", "王", "--json",
          signed_in=False)
    s.run("demo: check, archive from XUEJI_ARCHIVE", "--json", "check", env={"XUEJI_ARCHIVE": demo},
          signed_in=False)

    # 4. students
    for i, p in enumerate(paths, 1):
        s.run(f"student add #{i} from a JSON file", *A, "--json", "student", "add", "--from-json", p)
    s.run("student add the same person again (refused)", *A, "--json", "student", "add", "--from-json", paths[2])
    s1_id = students[0]["身份证件号"]
    s.run("student show by ID number", *A, "--json", "student", "show", s1_id)
    s.run("student show (text)", *A, "student", "show", "3")
    s.run("student edit key data without reason (refused)", *A, "--json", "student", "edit", "1",
          "--set", "联系电话=13700137000", "--set", "民族=回族")
    s.run("student edit a phone number", *A, "--json", "student", "edit", "1", "--set", "联系电话=13700137000")
    s.run("student edit key data with reason and evidence", *A, "--json", "student", "edit", "1",
          "--set", "民族=回族", "--reason", "户口簿更正", "--evidence", "居民户口簿")
    s.run("student edit malformed --set (usage)", *A, "--json", "student", "edit", "1", "--set", "联系电话")
    s.run("student list --search by pinyin initials (text)", *A, "student", "list", "--search", "zsy")
    s.run("student list --search", *A, "--json", "student", "list", "--search", "李")
    s.run("student history", *A, "--json", "student", "history", "1")

    # 5. export
    xlsx, xls, internal = str(out / "students.xlsx"), str(out / "students.xls"), str(out / "internal.xlsx")
    s.run("student export .xlsx", *A, "--json", "student", "export", xlsx)
    s.run("student export .xls", *A, "student", "export", xls, "--json")
    s.run("student export .xlsx for internal use (text)", *A, "student", "export", internal,
          "--purpose", "internal")
    for path in (xlsx, xls, internal):
        s.file(path)

    # 6. import into another archive (same school, no accounts)
    bad = str(out / "bad-row.xlsx")
    _bad_row_copy(xlsx, bad)
    C = ("--archive", copy)
    s.run("init a second archive for the import", *C, "--json", "init", "--school-name", "测试实验小学",
          "--school-code", "4101000001", "--stages", "primary,junior", "--profile", "national", signed_in=False)
    for code, grade, year in (("2026011", "1", "2026"), ("2021061", "6", "2021")):
        s.run(f"copy: class add {code}", *C, "--json", "class", "add", "--stage", "primary", "--grade", grade,
              "--number", "1", "--entry-year", year, "--code", code, signed_in=False)
    s.run("student import a file with one bad row (refused, nothing imported)", *C, "--json", "student", "import",
          bad, signed_in=False)
    s.run("student import the exported .xls", *C, "--json", "student", "import", xls, signed_in=False)
    s.run("student import the exported .xlsx again (duplicates)", *C, "--json", "student", "import", xlsx,
          signed_in=False)
    s.run("copy: student list (text)", *C, "student", "list", signed_in=False)

    # 7. status changes
    s.run("change suspend without the application (refused)", *A, "--json", "change", "suspend", "1",
          "--date", "2026-10-12", "--reason", "因病休学")
    s.run("change suspend --dry-run", *A, "--json", "change", "suspend", "1", "--date", "2026-10-12",
          "--reason", "因病休学", "--evidence", "监护人书面申请", "--dry-run")
    s.run("change suspend", *A, "--json", "change", "suspend", "1", "--date", "2026-10-12",
          "--reason", "因病休学", "--evidence", "监护人书面申请", "--until", "2027-10-11")
    s.run("change transfer-out with one approval", *A, "--json", "change", "transfer-out", "2",
          "--date", "2026-10-19", "--reason", "随父母迁居", "--to-school", "北京市海淀区实验小学",
          "--approval", "转入学校:approved:刘主任:2026-10-16:海实小〔2026〕12号")
    s.run("change dated before the latest event (refused, text)", *A, "change", "resume", "1", "--date", "2026-10-01")
    s.run("student state", *A, "--json", "student", "state", "1")
    s.run("change with an unknown kind (usage)", *A, "--json", "change", "vanish", "1")

    # 8. promote
    s.run("demo: promote without --data-checked (refused in 周口)", "--archive", demo, "--json", "promote",
          "--school-year", "2027", "--date", "2026-12-01", signed_in=False)
    s.run("promote --dry-run", *A, "--json", "promote", "--school-year", "2027", "--date", "2026-12-01", "--dry-run")
    s.run("promote", *A, "--json", "promote", "--school-year", "2027", "--date", "2026-12-01")
    s.run("promote the same school year again (refused)", *A, "--json", "promote", "--school-year", "2027",
          "--date", "2026-12-01")

    # 9. graduation
    s.run("graduation-check", *A, "--json", "graduation-check", "--class-id", "2")
    s.run("graduate --dry-run", *A, "--json", "graduate", "--class-id", "2", "--date", "2026-12-02", "--dry-run")
    s.run("graduate", *A, "--json", "graduate", "--class-id", "2", "--date", "2026-12-02")
    s.run("graduate the closed class again (refused)", *A, "--json", "graduate", "--class-id", "2",
          "--date", "2026-12-02")

    # 10. certificates and printing
    s.run("cert issue diploma", *A, "--json", "cert", "issue", "diploma", "3", "--issue-date", "2026-12-02")
    s.run("cert issue diploma for a suspended student (refused)", *A, "--json", "cert", "issue", "diploma", "1",
          "--issue-date", "2026-12-02")
    s.run("print a class roster", *A, "--json", "print", "class-roster", "--class-id", "1",
          "-o", str(out / "roster.pdf"))
    s.run("print diplomas (one issued now)", *A, "--json", "print", "diploma", "--student", "3", "--student", "4",
          "-o", str(out / "diploma.pdf"), "--issue-date", "2026-12-02")
    s.run("print a roster with masked IDs (text)", *A, "print", "graduate-roster", "--class-id", "2",
          "--mask-ids", "-o", str(out / "graduates.pdf"))
    s.run("cert list", *A, "--json", "cert", "list")
    s.run("cert list (text)", *A, "cert", "list", "--kind", "diploma")

    # 11. paper archive
    s.run("archive move (creates the folder)", *A, "--json", "archive", "move", "3", "柜A/层2/盒5",
          "--reason", "毕业归档")
    s.run("archive check-item", *A, "--json", "archive", "check-item", "1", "hukou", "--paper", "present",
          "--note", "复印件")
    s.run("archive checklist (with the suspension's evidence)", *A, "--json", "archive", "checklist", "1")
    s.run("archive folders", *A, "--json", "archive", "folders", "--all")
    s.run("archive folders (text)", *A, "archive", "folders")
    s.run("archive locate (text)", *A, "archive", "locate", "3")

    # 12. backup
    dest = str(tmp / "backups")
    res = s.json("backup --to", *A, "--json", "backup", "--to", dest)
    bpath = (res.get("backup") or {}).get("path") or str(Path(dest) / "missing")
    s.run("backup verify", *A, "--json", "backup", "verify", bpath)
    s.run("backup verify (text)", *A, "backup", "verify", bpath)
    s.run("backup list", *A, "--json", "backup", "list", "--to", dest)

    # 13. audit, check
    s.run("audit verify", *A, "--json", "audit", "verify")
    s.run("audit verify (text)", *A, "audit", "verify")
    s.run("check", *A, "--json", "check")
    s.run("check (text)", *A, "check")

    # 14. help and usage errors
    s.run("xueji --help", "--help", signed_in=False)
    s.run("a verb without its action (usage: help on stderr)", "--json", "student", signed_in=False)
    s.run("unknown option (usage)", *A, "--json", "class", "list", "--colour", "red")
    s.run("missing required option (usage, text)", *A, "class", "add", "--stage", "primary")


def _sheet_rows(path: str) -> list[list[str]]:
    def text(v) -> str:
        return "" if v is None else str(v)

    if path.endswith(".xls"):
        import xlrd

        sheet = xlrd.open_workbook(path).sheet_by_index(0)
        return [[text(c.value) for c in sheet.row(r)] for r in range(sheet.nrows)]
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [[text(v) for v in row] for row in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()


def _bad_row_copy(src: str, dst: str) -> None:
    """The exported workbook with row 3 (the second student) given an impossible birth date."""
    import openpyxl

    wb = openpyxl.load_workbook(src)
    ws = wb.active
    header = [c.value for c in ws[1]]
    ws.cell(row=3, column=header.index("出生日期") + 1, value="20201345")
    wb.save(dst)


def _stability_check() -> int:
    """``python -m tests.cli_golden``: run the session twice in two new temp folders and print the diff of
    the masked outputs (none expected) and, if it exists, whether they equal the golden file."""
    import difflib
    import tempfile
    import time

    texts = []
    for i in (1, 2):
        with tempfile.TemporaryDirectory(prefix=f"xueji-golden-{i}-") as d:
            t = time.monotonic()
            texts.append(run_session(d))
            print(f"run {i}: {time.monotonic() - t:.1f} s, {len(texts[-1].splitlines())} lines")
    diff = list(difflib.unified_diff(texts[0].splitlines(True), texts[1].splitlines(True), "run 1", "run 2"))
    sys.stdout.writelines(diff)
    print("stable: the two runs are identical" if not diff else "NOT STABLE")
    golden = Path(__file__).resolve().parent / "fixtures" / "cli_golden.txt"
    if golden.exists():
        print("equal to the golden file:", texts[0] == golden.read_text(encoding="utf-8"))
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(_stability_check())
