"""The registrar's words for certificate kinds and certificate events: a leaf the audit log's readable
text, the rule checks and the service all use."""
from __future__ import annotations

from app.core.i18n import Names

KIND_NAMES = Names({
    "diploma": "cert.kind.diploma",
    "completion-certificate": "cert.kind.completion",
    "incomplete-certificate": "cert.kind.incomplete",
    "study-certificate": "cert.kind.study",
    "education-certificate": "cert.kind.education",
})
ACTION_NAMES = Names({"issue": "cert.action.issue", "print": "cert.action.print", "reprint": "cert.action.reprint",
                      "void": "cert.action.void", "verify": "cert.action.verify"})
