"""Findings and refusals as the registrar sees them: which row, which field, which rule, which article."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from dataclasses import field as _dcfield

# Outcome codes (rules-digest §0.3)
BLOCK = "BLOCK"
BLOCK_STAR = "BLOCK*"
WARN = "WARN"
EVIDENCE = "EVIDENCE"
INVALID = "INVALID"  # a field that is malformed (not a regulation): always refused
NOTE_OUTCOME = "NOTE"  # shown only: e.g. a ★ field the national system needs before upload


@dataclass
class Finding:
    code: str
    message: str
    field: str = ""
    rule: str = ""
    article: str = ""
    outcome: str = INVALID
    row: int | None = None
    params: dict = _dcfield(default_factory=dict)

    @property
    def refuses(self) -> bool:
        return self.outcome in (INVALID, BLOCK, BLOCK_STAR, EVIDENCE)

    def as_json(self) -> dict:
        d = asdict(self)
        d.pop("params", None)
        return d

    def text(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"第 {self.row} 行")
        if self.field and f"「{self.field}」" not in self.message:
            where.append(f"「{self.field}」")
        cite = f"（{self.rule}，{self.article}）" if self.rule and self.article else (
            f"（{self.rule}）" if self.rule else "")
        return ("".join(where) + "：" if where else "") + self.message + cite


class Refused(Exception):
    """An action refused by validation or a rule; nothing was written."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        super().__init__("\n".join(f.text() for f in findings))


class NotFound(Exception):
    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class UsageError(Exception):
    pass
