"""The status-change kinds as data (resources/changes.json, rules-digest §4.2): which states each kind
starts from, which state it leads to, the request fields it uses, its form per profile, and the school
calendar (semesters) the change rules count windows in."""
from __future__ import annotations

import datetime as _dt
import json
from functools import lru_cache

from app.core.i18n import Names
from app.core.paths import resource

LABELS = Names({
    "transfer-out": "change.kind.transfer_out", "transfer-in": "change.kind.transfer_in",
    "transfer-cancel": "change.kind.transfer_cancel", "suspend": "change.kind.suspend",
    "extend-suspension": "change.kind.extend_suspension", "resume": "change.kind.resume",
    "withdraw": "change.kind.withdraw", "dropout": "change.kind.dropout", "return": "change.kind.return",
    "death": "change.kind.death", "abroad": "change.kind.abroad", "abroad-return": "change.kind.abroad_return",
    "jiedu-out": "change.kind.jiedu_out", "jiedu-back": "change.kind.jiedu_back",
    "skip-grade": "change.kind.skip_grade", "missing": "change.kind.missing", "found": "change.kind.found",
    "discipline": "change.kind.discipline", "revoke-discipline": "change.kind.revoke_discipline",
    "to-vocational": "change.kind.to_vocational",
    # events written by other services (enrolment, promotion, graduation) and the migration's baseline
    "enrol": "change.kind.enrol", "baseline": "change.kind.baseline", "promote": "change.kind.promote",
    "graduate": "change.kind.graduate",
})


@lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads(resource("changes.json").read_text(encoding="utf-8"))


def kinds_table() -> dict[str, dict]:
    return _data()["kinds"]


KINDS: tuple[str, ...] = tuple(kinds_table())


def label(kind: str) -> str:
    return LABELS[kind] if kind in LABELS else kind


def spec(kind: str) -> dict | None:
    return kinds_table().get(kind)


def available_in(kind: str, profile_chain) -> bool:
    only = (spec(kind) or {}).get("profiles")
    return not only or any(p in only for p in profile_chain)


def form_for(kind: str, profile_chain) -> str:
    forms = (spec(kind) or {}).get("forms", {})
    for p in profile_chain:
        if p in forms:
            return forms[p]
    return ""


def to_state(kind: str, from_state: str, profile_chain, *, level: str = "", auto: bool = False,
             in_progress: bool = False) -> str:
    s = spec(kind)
    to = s["to"]
    for p in profile_chain:
        if p in s.get("to_by_profile", {}):
            to = s["to_by_profile"][p]
            break
    if level and level in s.get("to_by_level", {}):
        to = s["to_by_level"][level]
    if auto and s.get("to_auto"):
        to = s["to_auto"]
    if in_progress and s.get("to_in_progress"):
        to = s["to_in_progress"]
    return from_state if to == "=" else to


def stage_group(stage: str) -> str:
    """'compulsory' or 'senior' for a class stage."""
    return _data()["stages"].get(stage or "", "")


# ------------------------------------------------------------------ the school calendar
def _md(text: str, year: int) -> _dt.date:
    m, d = (int(x) for x in text.split("-"))
    return _dt.date(year, m, d)


def school_year_of(d: _dt.date) -> int:
    """The school year a date falls in, named by the year it starts (2025 = 2025/26)."""
    start = _md(_data()["calendar"]["school_year_start"], d.year)
    return d.year if d >= start else d.year - 1


def semester_of(d: _dt.date) -> dict:
    """{"no": 1|2, "start", "end", "in_term": bool, "school_year"} for the semester a date falls in or
    (in a vacation) the one just ended."""
    sy = school_year_of(d)
    sems = []
    for s in _data()["calendar"]["semesters"]:
        start_year = sy if int(s["start"][:2]) >= 8 else sy + 1
        start = _md(s["start"], start_year)
        end_year = start_year if int(s["end"][:2]) >= int(s["start"][:2]) else start_year + 1
        sems.append({"no": s["no"], "start": start, "end": _md(s["end"], end_year), "school_year": sy})
    current = sems[0]
    for s in sems:
        if d >= s["start"]:
            current = s
    if d < sems[0]["start"]:
        current = sems[0]  # August: the school year has started, its first term not yet
    return dict(current, in_term=current["start"] <= d <= current["end"])


# ------------------------------------------------------------------ causes
def cause_from_text(text: str) -> str:
    """The first cause (resources/changes.json ``causes``) one of whose words the text contains, or ''."""
    for code, c in _data()["causes"].items():
        if code.startswith("_"):
            continue
        if any(w in (text or "") for w in c["words"]):
            return code
    return ""


def cause_name(code: str) -> str:
    c = _data()["causes"].get(code)
    return c["name"] if isinstance(c, dict) else code
