"""The ``xueji`` command line: a second face over the same app/ services the window uses.

Contract (scripts depend on it; docs/cli.md): exit 0 success, 1 refused by validation or a rule (or the
archive cannot be used), 2 usage error. With ``--json`` every command prints exactly one JSON object:
``{"ok": true, ...}`` or ``{"ok": false, "errors": [{"code", "field", "row", "message", "rule", "article"}]}``.

Each feature owns its verbs in its own CLI module (``FEATURE_CLIS``), registered through one protocol
(app/cli/registry.py); what they share is in app/cli/common.py.
"""
from __future__ import annotations

import importlib
import json
import sys

from app.cli.common import EXIT_OK, EXIT_USAGE, Out
from app.cli.registry import Parser, Registry, common_options
from app.core.errors import Finding, NotFound, Refused, UsageError
from app.core.i18n import Names, tr

# The feature modules that register verbs, in this order (a feature that adds an action to another's verb,
# like ``student state``, comes after the verb's owner).
FEATURE_CLIS = ("app.school.cli", "app.students.cli", "app.photos.cli", "app.paper.cli", "app.printing.cli",
                "app.changes.cli", "app.promotion.cli", "app.changes.cli_deadlines", "app.backup.cli",
                "app.audit.cli", "app.paper.cli_review", "app.accounts.cli", "app.exchange.cli",
                "app.changes.cli_overrides")

# The table of contents of ``xueji --help``: every top-level verb, in the order it lists them, with its help.
VERBS = Names({
    "init": "xcli.help.init",                           # app/school/cli.py
    "class": "xcli.help.class",                         # app/school/cli.py
    "student": "xcli.help.student",                     # app/students/cli.py
    "demo": "xcli.help.demo",                           # app/school/cli.py
    "check": "xcli.help.check",                         # app/students/cli.py
    "photo": "xcli.help.photo",                         # app/photos/cli.py
    "archive": "xcli.help.paper_archive",               # app/paper/cli.py, cli_review.py
    "print": "xcli.help.print",                         # app/printing/cli.py
    "cert": "xcli.help.cert",                           # app/printing/cli.py
    "calibration": "xcli.help.calibration",             # app/printing/cli.py
    "change": "xcli.help.change",                       # app/changes/cli.py
    "approval": "xcli.help.approval",                   # app/changes/cli.py
    "promote": "xcli.help.promote",                     # app/promotion/cli.py
    "graduate": "xcli.help.graduate",                   # app/promotion/cli.py
    "graduation-check": "xcli.help.graduation_check",   # app/promotion/cli.py
    "deadlines": "xcli.help.deadlines",                 # app/changes/cli_deadlines.py
    "calendar": "xcli.help.calendar",                   # app/changes/cli_deadlines.py
    "hs-record": "xcli.help.hs_record",                 # app/promotion/cli.py
    "backup": "xcli.help.backup",                       # app/backup/cli.py
    "restore": "xcli.help.restore",                     # app/backup/cli.py
    "audit": "xcli.help.audit",                         # app/audit/cli.py
    "reconcile": "xcli.help.reconcile",                 # app/paper/cli_review.py
    "account": "xcli.help.account",                     # app/accounts/cli.py
    "export-approval": "xcli.help.export_approval",     # app/exchange/cli.py
    "override": "xcli.help.override",                   # app/changes/cli_overrides.py
})


def build() -> Registry:
    """The whole ``xueji`` parser with every feature's verbs and their handlers."""
    p = Parser(prog="xueji", description=tr("xcli.help.description"))
    common_options(p, True)
    reg = Registry(p, VERBS)
    for name in FEATURE_CLIS:
        importlib.import_module(name).register(reg)
    reg.check()
    return reg


_ARCHIVE_ERROR_CODES = {"ArchiveLocked": "archive_locked", "ArchiveTooNew": "archive_too_new",
                        "ArchiveMissing": "archive_missing", "ArchiveDamaged": "archive_damaged"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    out = Out("--json" in argv)
    reg = build()
    try:
        args = reg.parser.parse_args(argv)
    except UsageError as e:
        return out.fail([Finding("usage", str(e))], EXIT_USAGE)
    except SystemExit as e:  # --help
        return int(e.code or 0)
    if reg.needs_action(args):
        reg.parser.print_help(sys.stderr)
        return out.fail([Finding("usage", tr("xcli.missing_command"))], EXIT_USAGE) if out.as_json else EXIT_USAGE
    try:
        return reg.dispatch(args, out)
    except Refused as e:
        return out.fail(e.findings)
    except NotFound as e:
        return out.fail([Finding("not_found", e.message)])
    except UsageError as e:
        return out.fail([Finding("usage", str(e))], EXIT_USAGE)
    except Exception as e:  # archive locked / missing / too new, unreadable input …
        from db.archive import ArchiveError

        if isinstance(e, ArchiveError):
            code = _ARCHIVE_ERROR_CODES.get(type(e).__name__, "archive_error")
            return out.fail([Finding(code, str(e), field=tr("label.archive"))])
        from app.rules.engine import ProfileError

        if isinstance(e, ProfileError):
            return out.fail([Finding("bad_profile", str(e), field=tr("label.profile"))])
        if isinstance(e, BrokenPipeError):
            return EXIT_OK
        if isinstance(e, (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError,
                          UnicodeDecodeError, json.JSONDecodeError)):
            return out.fail([Finding("bad_input", tr("xcli.unreadable_input", error=e))])
        raise
