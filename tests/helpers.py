"""Shared helpers for tests/core/test_rules.py, tests/students/test_student_service.py and tests/cli/test_cli.py.

Real archives only: every helper works on a SQLite archive created in a pytest ``tmp_path`` through
app.school.service.init_school (or the CLI). Nothing here mocks storage.
Import explicitly: ``from tests.helpers import ...`` (this is not a conftest).
"""
from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest

from tests.id_numbers import DIVISION, make_id_number
from app.school.classes import add_class
from app.core.errors import Finding, Refused
from app.school.service import init_school
from app.students.service import SaveResult, create_student

SCHOOL_CODE = "4116020001"
PROFILES = ("national", "henan-zhoukou", "shanxi-changzhi", "liaoning", "gansu-linxia")


# ------------------------------------------------------------------ ID numbers
def make_id(birth, seq: int = 0, gender: str = "1", division: str = DIVISION) -> str:
    """A valid GB 11643 number: ``seq`` (0–499) picks the sequence code, ``gender`` '1' male (odd
    17th digit) or '2' female (even)."""
    assert 0 <= seq < 500
    return make_id_number(birth, seq * 2 + (1 if gender == "1" else 0), division)


_counter = itertools.count(1)


def unique_id(birth, gender: str = "1") -> str:
    """A fresh valid ID number for ``birth`` (distinct within a test session)."""
    return make_id(birth, next(_counter) % 500, gender)


_DIGITS = "零一二三四五六七八九"


def cjk_name(i: int, prefix: str = "测") -> str:
    """A distinct, valid Chinese name per integer (e.g. 3 -> 测三, 12 -> 测一二)."""
    return prefix + "".join(_DIGITS[int(c)] for c in str(i))


# ------------------------------------------------------------------ archives
def new_school(tmp_path: Path, profile: str = "national", stages: str = "primary,junior,senior",
               sub: str = "archive", **kw):
    """An open Session on a fresh archive in ``tmp_path/sub``; close it (or use ``with``)."""
    return init_school(tmp_path / sub, name="测试学校", code=SCHOOL_CODE, stages=stages, profile=profile,
                       user="tester", **kw)


STAGE_OF = {g: ("primary" if g <= 6 else "junior" if g <= 9 else "senior") for g in range(1, 13)}


def new_class(session, grade: int, number: int = 1, entry_year: int | None = None, stage: str | None = None,
              code: str | None = None, capacity=None) -> int:
    stage = stage or STAGE_OF[grade]
    if entry_year is None:
        # the cohort that is in ``grade`` in the 2025/26 school year
        first = {"primary": 1, "junior": 7, "senior": 10}[stage]
        entry_year = 2025 - (grade - first)
    return add_class(session, stage=stage, grade=grade, number=number, entry_year=entry_year, code=code,
                     capacity=capacity)


def birth_for_grade(grade: int, i: int = 0) -> dt.date:
    """A birth date that fits ``grade`` in 2025/26 (and satisfies the Zhoukou age rule for grade 1)."""
    base = dt.date(2018, 3, 1) - dt.timedelta(days=365 * (grade - 1))
    return base + dt.timedelta(days=i % 150)


def student(name: str, id_number: str = "", **extra) -> dict:
    """A minimal valid student (service field keys). Birth date and gender come from the ID number."""
    d = {"name": name, "ethnicity": "汉族"}
    if id_number:
        d["id_number"] = id_number
    d.update(extra)
    return d


def add(session, class_id: int, name: str, id_number: str = "", members=(), **kw) -> SaveResult:
    extra = {k: kw.pop(k) for k in list(kw) if k not in ("reason", "evidence", "overrides", "status")}
    return create_student(session, student(name, id_number, **extra), list(members), class_id=class_id, **kw)


def fill_class(session, class_id: int, n: int, grade: int, start: int = 0) -> list[SaveResult]:
    """Put ``n`` valid students (distinct names and ID numbers) into the class; a refusal raises."""
    out = []
    for i in range(start, start + n):
        b = birth_for_grade(grade, i)
        out.append(add(session, class_id, cjk_name(i, "班"), make_id(b, i % 500, "1" if i % 2 else "2")))
    return out


def refused(fn, *a, **kw) -> list[Finding]:
    """Run ``fn`` expecting Refused; returns its findings."""
    with pytest.raises(Refused) as ei:
        fn(*a, **kw)
    return ei.value.findings


def by_rule(findings, rule_id: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule_id]


def rule_ids(findings) -> set[str]:
    return {f.rule for f in findings if f.rule}


def count(session, table: str) -> int:
    return session.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def counts(session) -> dict[str, int]:
    return {t: count(session, t) for t in ("students", "family_members", "change_history", "rule_findings")}


def stored_findings(session, student_id: int) -> list[dict]:
    return [dict(r) for r in session.conn.execute(
        "SELECT * FROM rule_findings WHERE student_id = ? ORDER BY id", (student_id,))]


def history_rows(session, student_id: int) -> list[dict]:
    return [dict(r) for r in session.conn.execute(
        "SELECT * FROM change_history WHERE student_id = ? ORDER BY id", (student_id,))]
