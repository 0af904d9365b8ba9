"""The student field list of the national 学生基础信息 template (resources/fields.json)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from app.core.paths import resource


@dataclass(frozen=True)
class FieldDef:
    key: str
    header: str
    kind: str
    table: str | None
    required: str | None
    section: str = ""
    aliases: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads(resource("fields.json").read_text(encoding="utf-8"))


def _mk(d: dict) -> FieldDef:
    return FieldDef(d["key"], d["header"], d["kind"], d.get("table"), d.get("required"),
                    d.get("section", ""), tuple(d.get("aliases", ())))


@lru_cache(maxsize=1)
def student_fields() -> tuple[FieldDef, ...]:
    return tuple(_mk(d) for d in _data()["student_fields"])


@lru_cache(maxsize=1)
def member_fields() -> tuple[FieldDef, ...]:
    return tuple(_mk(d) for d in _data()["member_fields"])


def member_count() -> int:
    return _data()["member_count"]


def template_columns() -> list[str]:
    return list(_data()["template_columns"])


def template_sheet() -> str:
    return _data()["template_sheet"]


def sections() -> list[str]:
    return list(_data()["sections"])


@lru_cache(maxsize=1)
def by_key() -> dict[str, FieldDef]:
    return {f.key: f for f in student_fields()}


@lru_cache(maxsize=1)
def member_by_key() -> dict[str, FieldDef]:
    return {f.key: f for f in member_fields()}


# Columns stored on the students table (school_code and class_code are derived from school/class).
@lru_cache(maxsize=1)
def stored_student_keys() -> tuple[str, ...]:
    return tuple(f.key for f in student_fields() if f.key not in ("school_code", "class_code"))


# Template vocabulary (the national template's column names, a data format, not UI text): member
# columns are named "成员1姓名" … (fields.json's template_columns); on import the other prefixes are
# accepted too. Findings about the family members as a whole carry MEMBERS_HEADING
# (ui/students/student_editor_dialog.py matches it). Header matching ignores ★ and * and folds full-width brackets.
MEMBER_PREFIX = "成员"
MEMBER_PREFIX_ALIASES = ("成员", "家庭成员", "监护人")
MEMBERS_HEADING = "家庭成员"
_HEADER_FOLD = str.maketrans({"★": None, "*": None, "（": "(", "）": ")"})


def member_header(n: int, key: str) -> str:
    """The template's header for family member ``n``'s field ``key`` ("成员1姓名")."""
    return f"{MEMBER_PREFIX}{n}{member_by_key()[key].header}"


def _norm_header(h: str) -> str:
    return "".join(str(h).split()).translate(_HEADER_FOLD)


@lru_cache(maxsize=1)
def header_map() -> dict[str, tuple[str, int, str]]:
    """Normalised header text → (kind, member_no, key): kind 'student' or 'member'."""
    m: dict[str, tuple[str, int, str]] = {}
    for f in student_fields():
        for h in (f.header, *f.aliases):
            m.setdefault(_norm_header(h), ("student", 0, f.key))
    for n in range(1, member_count() + 1):
        for f in member_fields():
            for h in (f.header, *f.aliases):
                for prefix in MEMBER_PREFIX_ALIASES:
                    m.setdefault(_norm_header(f"{prefix}{n}{h}"), ("member", n, f.key))
    return m


@lru_cache(maxsize=4096)  # the importer asks for every cell of every row
def resolve_header(h: str) -> tuple[str, int, str] | None:
    return header_map().get(_norm_header(h))
