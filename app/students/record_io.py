"""A student as the national template sees it: a dict keyed by the template's header names
(``"姓名"``, ``"班号"``, ``"成员1姓名"`` …) with names, not codes. Converts both ways."""
from __future__ import annotations

from dataclasses import dataclass, field

from app.students import codes
from app.students import fields as F
from app.core.textnorm import clean

# Keys of a student record beyond the template's columns: the roster and ``xueji student list/show --json``
# print them, and ``student add`` accepts such a record back and skips them. They are part of that data
# format (template vocabulary, like fields.json's headers), not UI text.
ID_KEY = "id"
STATUS_KEY = "状态"
GRADE_KEY = "年级"
CLASS_NAME_KEY = "班级名称"
CLASS_ID_KEY = "班级编号"
ROSTER_KEYS = (ID_KEY, STATUS_KEY, GRADE_KEY, CLASS_NAME_KEY, CLASS_ID_KEY)


@dataclass
class TemplateRecord:
    student: dict = field(default_factory=dict)
    members: list[dict] = field(default_factory=list)
    class_code: str = ""
    school_code: str = ""
    unknown: list[str] = field(default_factory=list)


def from_template(row: dict) -> TemplateRecord:
    """Map header-named values onto field keys (values still as typed: validation converts names to codes)."""
    out = TemplateRecord()
    members: dict[int, dict] = {}
    for header, value in row.items():
        if header in ROSTER_KEYS:
            continue
        hit = F.resolve_header(header)
        if hit is None:
            out.unknown.append(header)
            continue
        kind, n, key = hit
        v = value if not isinstance(value, str) else value.strip()
        if kind == "member":
            members.setdefault(n, {"seq": n})[key] = v
        elif key == "class_code":
            out.class_code = clean(v)
        elif key == "school_code":
            out.school_code = clean(v)
        else:
            out.student[key] = v
    out.members = [members[n] for n in sorted(members)]
    return out


def _text(fd, value) -> str:
    if fd.kind == "code" and fd.table:
        return codes.name_of(fd.table, value or "")
    return "" if value is None else str(value)


def to_template(student: dict, members: list[dict], class_code: str = "", school_code: str = "") -> dict:
    """Header-named dict in template order (names, not codes), plus 学籍号 (the ``xueji_no`` field's header)."""
    out: dict[str, str] = {}
    by_seq = {int(m["seq"]): m for m in members}
    for header in F.template_columns():
        kind, n, key = F.resolve_header(header)
        if kind == "member":
            fd = F.member_by_key()[key]
            out[header] = _text(fd, by_seq.get(n, {}).get(key, ""))
        elif key == "class_code":
            out[header] = class_code or ""
        elif key == "school_code":
            out[header] = school_code or ""
        else:
            out[header] = _text(F.by_key()[key], student.get(key, ""))
    out[F.by_key()["xueji_no"].header] = student.get("xueji_no", "") or ""
    return out
