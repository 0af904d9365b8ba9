"""Findings and refusals as the registrar sees them: which row, which field, which rule, which article."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from dataclasses import field as _dcfield

from app.core.i18n import tr

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
            where.append(tr("err.row", row=self.row))
        if self.field:
            quoted = tr("err.field", field=self.field)
            if quoted not in self.message:
                where.append(quoted)
        cite = tr("err.cite", rule=self.rule, article=self.article) if self.rule and self.article else (
            tr("err.cite_rule", rule=self.rule) if self.rule else "")
        text = self.message + cite
        return tr("err.located", where="".join(where), text=text) if where else text


def triage(findings, override_gap, needed: str | None = None):
    """Sort rule findings by what they mean for saving: ``(refusing, warnings, notes, overridden)``.

    ``override_gap(f)`` answers for a BLOCK* finding: ``[]`` when a complete override (reason, approver,
    the listed evidence) was given, the list of what the override lacks, or ``None`` when none was given;
    a BLOCK* that is not fully overridden refuses, its message saying what is missing (``needed``: the
    text added when no override was given)."""
    refusing, warnings, notes, overridden = [], [], [], []
    for f in findings:
        if f.outcome == BLOCK_STAR:
            lacking = override_gap(f)
            if lacking == []:
                overridden.append(f)
                continue
            f.message += (tr("student.override_lacking", items=tr("common.list_sep").join(lacking)) if lacking
                          else needed if needed is not None else tr("student.override_needed"))
            refusing.append(f)
        elif f.outcome in (INVALID, BLOCK, EVIDENCE):
            refusing.append(f)
        elif f.outcome == WARN:
            warnings.append(f)
        elif f.outcome == NOTE_OUTCOME:
            notes.append(f)
    return refusing, warnings, notes, overridden


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


class Forbidden(Refused):
    """The signed-in account's role does not allow this (resources/security/roles.toml); nothing was written."""


class AuthError(Refused):
    """Sign-in refused: wrong user name or password, account locked or disabled, or no credentials given."""
