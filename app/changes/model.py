"""The status-change requests, plans and results the dialogs and the CLI exchange with app.changes, and the
facts the change rules read (app/changes/checks.py)."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from app.core.errors import Finding

DECISIONS = ("pending", "approved", "refused")


@dataclass
class ChangeRequest:
    kind: str
    student_id: int | None
    date: _dt.date | None = None
    reason: str = ""
    evidence: list[str] = field(default_factory=list)
    override: object | None = None            # app.students.service.Override
    approvals: list[dict] = field(default_factory=list)
    to_school: str = ""
    from_school: str = ""
    enrolled_since: _dt.date | None = None
    grade: int | None = None
    class_id: int | None = None
    details: dict = field(default_factory=dict)
    acknowledge_warnings: bool = False
    student: dict | None = None                # transfer-in: the incoming record (fields.json keys)
    members: list[dict] = field(default_factory=list)


@dataclass
class ChangePlan:
    kind: str
    student_id: int | None
    from_state: str
    to_state: str
    effective_date: _dt.date
    findings: list[Finding]
    required_evidence: list[dict]
    required_approvals: list[dict]
    deadlines: list[dict]
    form: str = ""
    refusing: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    overridden: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refusing


@dataclass
class ChangeResult:
    event_id: int
    student_id: int
    findings: list[Finding]
    deadlines: list[dict]
    from_state: str = ""
    to_state: str = ""
    effective_date: _dt.date | None = None
    warnings: list[Finding] = field(default_factory=list)
    overridden: list[Finding] = field(default_factory=list)


@dataclass
class ChangeFacts:
    """What the change checks look at (app/changes/checks.py)."""
    kind: str
    kind_name: str
    available: bool
    allowed_from: list
    from_state: str
    to_state: str
    date: _dt.date
    semester: dict
    stage: str
    stage_group: str
    stage_name: str
    grade: int | None
    req_grade: int | None
    target_grade: int | None
    target_stage: str
    reason: str
    evidence: list[str]
    approvals: dict
    details: dict
    cause: str
    initiator: str
    auto: bool
    level: str
    weeks_continuous: float | None
    weeks_cumulative: float | None
    age: int | None
    sanctions: list[dict]
    until: _dt.date | None
    until_defaulted: bool
    current_until: _dt.date | None
    suspension_start: _dt.date | None
    suspension_events: int
    grade_at_suspension: int | None
    learned_on: _dt.date | None
    profile_name: str
    to_school: str = ""
    from_school: str = ""
    enrolled_since: _dt.date | None = None
