"""The rule engine: loads a profile (national baseline + a province's overrides) from
resources/rules/*.toml and evaluates its rules for an event. The numbers, lists and articles are
in the profile; the checks in app/rules/checks.py are general."""
from __future__ import annotations

import datetime as _dt
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

from app.core.errors import Finding
from app.core.i18n import tr
from app.core.paths import resource

OUTCOMES = ("BLOCK", "BLOCK*", "WARN", "EVIDENCE", "NOTE")
EVENTS = ("student.create", "student.edit", "student.place", "class.create")
# Event families of later topics: "change.transfer-out", "cert.education-certificate", "graduation.senior" …
EVENT_PREFIXES = ("change.", "cert.", "graduation.", "promotion.")
# Rules may be split by topic: resources/rules/<topic>/<profile>.toml adds rules (and ``disable``)
# to resources/rules/<profile>.toml; a profile is still one id.
RULE_TOPICS = ("changes", "certificates", "graduation")


@dataclass(frozen=True)
class Rule:
    id: str
    article: str
    check: str
    on: tuple[str, ...]
    outcome: str
    params: dict
    message: str
    quote: str = ""
    source_profile: str = ""


@dataclass
class Profile:
    id: str
    name: str
    source: str
    short: str
    rules: list[Rule]
    stages: tuple[str, ...] | None = None
    chain: tuple[str, ...] = ()

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def rules_for(self, event: str) -> list[Rule]:
        return [r for r in self.rules if event in r.on]


class ProfileError(Exception):
    pass


def _read(pid: str) -> dict:
    p = resource("rules", f"{pid}.toml")
    if not p.exists():
        raise ProfileError(tr("rules.no_profile", profile=pid, choices=", ".join(available_profiles())))
    data = _load_toml(p)
    for topic in RULE_TOPICS:
        tp = resource("rules", topic, f"{pid}.toml")
        if tp.exists():
            extra = _load_toml(tp)
            data["rules"] = [*data.get("rules", []), *extra.get("rules", [])]
            data["disable"] = [*data.get("disable", []), *extra.get("disable", [])]
    return data


def _load_toml(p) -> dict:
    try:
        with open(p, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        raise ProfileError(tr("rules.bad_toml", file=p.name, error=e)) from None


def available_profiles() -> list[str]:
    return sorted(p.stem for p in resource("rules").glob("*.toml"))


def profile_names() -> dict[str, str]:
    return {pid: _read(pid).get("name", pid) for pid in available_profiles()}


@lru_cache(maxsize=16)
def load_profile(pid: str) -> Profile:
    """The profile ``pid`` with its inherited rules; a file of the wrong shape (a value of the wrong type, an
    inheritance loop …) raises ProfileError naming the file, never a bare TypeError."""
    try:
        return _build_profile(pid)
    except (TypeError, ValueError, AttributeError, KeyError, RecursionError) as e:
        raise ProfileError(tr("rules.bad_toml", file=f"{pid}.toml", error=f"{type(e).__name__}: {e}")) from None


def _build_profile(pid: str) -> Profile:
    from app.rules import checks

    data = _read(pid)
    chain = [pid]
    parent_rules: list[Rule] = []
    parent_stages = None
    if data.get("inherits"):
        parent = load_profile(data["inherits"])
        parent_rules = list(parent.rules)
        parent_stages = parent.stages
        chain = [pid, *parent.chain]
    disabled = set(data.get("disable", []))
    own = []
    for r in data.get("rules", []):
        missing = {"id", "article", "check", "on", "outcome", "message"} - set(r)
        if missing:
            raise ProfileError(tr("rules.rule_missing_keys", profile=pid, rule=r.get("id", "?"), keys=sorted(missing)))
        if r["outcome"] not in OUTCOMES:
            raise ProfileError(tr("rules.unknown_outcome", profile=pid, rule=r["id"], outcome=r["outcome"]))
        if r["check"] not in checks.CHECKS:
            raise ProfileError(tr("rules.unknown_check", profile=pid, rule=r["id"], check=r["check"]))
        unknown = [e for e in r["on"] if e not in EVENTS and not e.startswith(EVENT_PREFIXES)]
        if unknown:
            raise ProfileError(tr("rules.unknown_event", profile=pid, rule=r["id"], events=unknown,
                                  choices=", ".join(EVENTS)))
        own.append(Rule(r["id"], r["article"], r["check"], tuple(r["on"]), r["outcome"],
                        dict(r.get("params", {})), r["message"], r.get("quote", ""), pid))
    # keep inherited order, put replacements where the inherited rule stood
    out: list[Rule] = []
    stray = disabled - {r.id for r in parent_rules}
    if stray:
        raise ProfileError(tr("rules.stray_disable", profile=pid, rules=sorted(stray)))
    own_by_id = {r.id: r for r in own}
    for r in parent_rules:
        if r.id in disabled:
            continue
        out.append(own_by_id.pop(r.id, r))
    out.extend(r for r in own if r.id in own_by_id)
    stages = tuple(data["stages"]) if data.get("stages") else parent_stages
    return Profile(pid, data.get("name", pid), data.get("source", ""), data.get("short", ""), out,
                   stages, tuple(chain))


@dataclass
class RuleContext:
    """What a check may look at. ``lookup`` gives read-only queries over the archive."""

    event: str
    record: dict                      # the student as it would be saved (keys of fields.json)
    old: dict | None = None           # the stored student before an edit
    members: list[dict] = field(default_factory=list)
    klass: dict | None = None         # the class the student is (to be) in
    school: dict | None = None
    lookup: Any = None                # app.rules.lookup.ArchiveLookup
    reason: str = ""
    evidence: list[str] = field(default_factory=list)
    today: _dt.date = field(default_factory=_dt.date.today)
    student_id: int | None = None


def evaluate(profile: Profile, ctx: RuleContext) -> list[Finding]:
    from app.rules import checks

    findings: list[Finding] = []
    for rule in profile.rules_for(ctx.event):
        fn: Callable = checks.CHECKS[rule.check]
        for hit in fn(ctx, rule.params) or []:
            hit = dict(hit)
            fld = hit.pop("_field", "")
            code = hit.pop("_code", rule.check)
            try:
                msg = rule.message.format(**hit)
            except (KeyError, IndexError):
                msg = rule.message
            findings.append(Finding(code=code, message=msg, field=fld, rule=rule.id,
                                    article=rule.article, outcome=rule.outcome, params=hit))
    return findings
