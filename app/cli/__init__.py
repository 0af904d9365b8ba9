"""The ``xueji`` command line: a second face over the same app/ services the window uses.

Contract (scripts depend on it): exit 0 success, 1 refused by validation or a rule (or the archive
cannot be used), 2 usage error. With ``--json`` every command prints exactly one JSON object:
``{"ok": true, ...}`` or ``{"ok": false, "errors": [{"code", "field", "row", "message", "rule", "article"}]}``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.core.errors import Finding, NotFound, Refused, UsageError
from app.core.i18n import Names, tr

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


# argparse's own messages (it looks them up through gettext at call time), in the registrar's language
_ARGPARSE_TEXTS = Names({
    "usage: ": "xcli.ap.usage",
    "the following arguments are required: %s": "xcli.ap.required",
    "unrecognized arguments: %s": "xcli.ap.unrecognized",
    "invalid choice: %(value)r (choose from %(choices)s)": "xcli.ap.choice",
    "argument %(argument_name)s: %(message)s": "xcli.ap.argument",
    "expected one argument": "xcli.ap.one_argument",
    "invalid %(type)s value: %(value)r": "xcli.ap.bad_value",
    "show this help message and exit": "xcli.ap.help",
    "positional arguments": "xcli.ap.positional",
    "options": "xcli.ap.options",
    "ambiguous option: %(option)s could match %(matches)s": "xcli.ap.ambiguous",
})


def _argparse_text(msgid: str) -> str:
    return _ARGPARSE_TEXTS[msgid] if msgid in _ARGPARSE_TEXTS else msgid


argparse._ = _argparse_text


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _common(p: argparse.ArgumentParser, top: bool) -> None:
    d = None if top else argparse.SUPPRESS
    p.add_argument("--archive", metavar="DIR", default=d,
                   help=tr("xcli.help.archive"))
    p.add_argument("--json", action="store_true", default=False if top else argparse.SUPPRESS,
                   help=tr("xcli.help.json"))
    p.add_argument("--user", metavar="USER", default=d, help=tr("xcli.help.user"))


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="xueji", description=tr("xcli.help.description"))
    _common(p, True)
    sub = p.add_subparsers(dest="verb", metavar="COMMAND", parser_class=_Parser)

    def add(parent, name, help_):
        sp = parent.add_parser(name, help=help_, description=help_)
        _common(sp, False)
        return sp

    sp = add(sub, "init", tr("xcli.help.init"))
    sp.add_argument("--school-name", required=True)
    sp.add_argument("--school-code", required=True, help=tr("xcli.help.school_code"))
    sp.add_argument("--stages", required=True, help=tr("xcli.help.stages"))
    sp.add_argument("--profile", default="national", help=tr("xcli.help.profile"))
    for opt in ("address", "principal", "registrar", "phone"):
        sp.add_argument(f"--{opt}", default=None)
    sp.add_argument("--registrar-user", metavar="USER", default=None, help=tr("xcli.help.registrar_user"))

    cls = add(sub, "class", tr("xcli.help.class")).add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    sp = add(cls, "add", tr("xcli.help.class_add"))
    sp.add_argument("--stage", required=True, choices=["primary", "junior", "senior"])
    sp.add_argument("--grade", required=True, type=int)
    sp.add_argument("--number", required=True, type=int)
    sp.add_argument("--entry-year", required=True, type=int)
    sp.add_argument("--code", default=None, help=tr("xcli.help.class_code"))
    sp.add_argument("--capacity", default=None, type=int)
    sp.add_argument("--head-teacher", default="")
    add(cls, "list", tr("xcli.help.class_list"))

    stu = add(sub, "student", tr("xcli.help.student")).add_subparsers(dest="action", metavar="ACTION",
                                                                      parser_class=_Parser)
    sp = add(stu, "add", tr("xcli.help.student_add"))
    sp.add_argument("--from-json", required=True, metavar="FILE", help=tr("xcli.help.from_json"))
    sp.add_argument("--class-id", type=int, default=None)
    _override_opts(sp)
    sp = add(stu, "list", tr("xcli.help.student_list"))
    sp.add_argument("--class-id", type=int, default=None)
    sp.add_argument("--search", default=None)
    sp.add_argument("--status", default=None, help=tr("xcli.help.status"))
    for name, h in (("show", tr("xcli.help.student_show")), ("history", tr("xcli.help.student_history"))):
        sp = add(stu, name, h)
        sp.add_argument("student", metavar="STUDENT", help=tr("xcli.help.student_ref"))
    sp = add(stu, "edit", tr("xcli.help.student_edit"))
    sp.add_argument("student", metavar="STUDENT")
    sp.add_argument("--set", action="append", default=[], metavar=tr("xcli.help.set_metavar"), required=True)
    _override_opts(sp)
    sp = add(stu, "import", tr("xcli.help.student_import"))
    sp.add_argument("file", metavar="FILE")
    sp.add_argument("--skip-invalid", action="store_true", help=tr("xcli.help.skip_invalid"))
    sp = add(stu, "export", tr("xcli.help.student_export"))
    sp.add_argument("file", metavar="FILE")
    sp.add_argument("--class-id", type=int, default=None)
    sp.add_argument("--purpose", default="national", choices=["national", "internal", "external"],
                    help=tr("xcli.help.export_purpose"))
    sp.add_argument("--approval", default=None, metavar="REF_OR_ID", help=tr("xcli.help.export_approval_ref"))

    sp = add(sub, "demo", tr("xcli.help.demo"))
    sp.add_argument("--students", type=int, default=300)
    sp.add_argument("--profile", default="henan-zhoukou")
    sp.add_argument("--seed", type=int, default=2026)
    add(sub, "check", tr("xcli.help.check"))

    pho = add(sub, "photo", tr("xcli.help.photo")).add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    sp = add(pho, "set", tr("xcli.help.photo_set"))
    sp.add_argument("student", metavar="STUDENT", help=tr("xcli.help.student_ref"))
    sp.add_argument("file", metavar="FILE")
    sp.add_argument("--crop", default=None, metavar="L,T,R,B", help=tr("xcli.help.photo_crop"))
    sp.add_argument("--rotate", type=int, default=0, choices=[0, 90, 180, 270], help=tr("xcli.help.photo_rotate"))
    sp.add_argument("--preset", default="national", help=tr("xcli.help.photo_preset"))
    sp = add(pho, "import", tr("xcli.help.photo_import"))
    sp.add_argument("source", metavar="DIR|ZIP")
    sp.add_argument("--preset", default="national", help=tr("xcli.help.photo_preset"))
    sp = add(pho, "export", tr("xcli.help.photo_export"))
    sp.add_argument("outdir", metavar="OUTDIR")
    sp.add_argument("--class-id", type=int, default=None)
    # "archive": the paper archive (folders, checklists, loans, review); its actions come from two modules.
    arc = add(sub, "archive", tr("xcli.help.paper_archive")).add_subparsers(dest="action", metavar="ACTION",
                                                                           parser_class=_Parser)
    groups = {"class": cls, "student": stu, "photo": pho, "archive": arc}
    for mod in _extensions():
        mod.register(sub, add, _Parser, groups)
    return p


# Verb groups that live in their own modules (each has register(sub, add, parser_class, groups) — groups
# maps "class"/"student"/"photo" to their action subparsers, to add e.g. "student state" — and COMMANDS,
# a dict "verb" or "verb_action" -> function(args, out), and NESTED, the verbs that need an action).
EXTENSION_MODULES = ("app.printing.cli", "app.changes.cli", "app.changes.cli_deadlines", "app.backup.cli", "app.paper.cli", "app.audit.cli",
                     "app.paper.cli_review", "app.accounts.cli", "app.exchange.cli", "app.changes.cli_overrides")


def _extensions():
    import importlib

    return [importlib.import_module(m) for m in EXTENSION_MODULES]


def nested_verbs() -> set[str]:
    verbs = {"class", "student", "photo", "archive"}
    for mod in _extensions():
        verbs |= set(mod.NESTED)
    return verbs


def _override_opts(sp):
    sp.add_argument("--reason", default="", help=tr("xcli.help.reason"))
    sp.add_argument("--evidence", action="append", default=[], help=tr("xcli.help.evidence"))
    sp.add_argument("--override-reason", default="", help=tr("xcli.help.override_reason"))
    sp.add_argument("--approved-by", default="", help=tr("xcli.help.approved_by"))


# ------------------------------------------------------------------ output
class Out:
    def __init__(self, as_json: bool):
        self.as_json = as_json

    def ok(self, payload: dict, text: str) -> int:
        if self.as_json:
            print(json.dumps({"ok": True, **payload}, ensure_ascii=False, default=str))
        else:
            print(text)
        return EXIT_OK

    def fail(self, findings: list[Finding], code: int = EXIT_REFUSED, extra: dict | None = None) -> int:
        if self.as_json:
            print(json.dumps({"ok": False, "errors": [_err(f) for f in findings], **(extra or {})},
                             ensure_ascii=False, default=str))
        else:
            for f in findings:
                print(tr("xcli.error_line", text=f.text()), file=sys.stderr)
        return code


def _err(f: Finding) -> dict:
    d = {"code": f.code, "field": f.field or None, "row": f.row, "message": f.message,
         "rule": f.rule or None, "article": f.article or None, "outcome": f.outcome}
    for extra in ("column", "value"):  # where an import found it: spreadsheet column letter and the cell's text
        if extra in (f.params or {}):
            d[extra] = f.params[extra]
    return d


def _warn_json(fs: list[Finding]) -> list[dict]:
    return [_err(f) for f in fs]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    out = Out("--json" in argv)
    try:
        args = build_parser().parse_args(argv)
    except UsageError as e:
        return out.fail([Finding("usage", str(e))], EXIT_USAGE)
    except SystemExit as e:  # --help
        return int(e.code or 0)
    if not args.verb or (args.verb in nested_verbs() and not getattr(args, "action", None)):
        build_parser().print_help(sys.stderr)
        return out.fail([Finding("usage", tr("xcli.missing_command"))], EXIT_USAGE) if out.as_json else EXIT_USAGE
    from app.cli import commands as cli_commands

    try:
        return cli_commands.dispatch(args, out)
    except Refused as e:
        return out.fail(e.findings)
    except NotFound as e:
        return out.fail([Finding("not_found", e.message)])
    except UsageError as e:
        return out.fail([Finding("usage", str(e))], EXIT_USAGE)
    except Exception as e:  # archive locked / missing / too new, unreadable input …
        from db.archive import ArchiveError

        if isinstance(e, ArchiveError):
            code = {"ArchiveLocked": "archive_locked", "ArchiveTooNew": "archive_too_new",
                    "ArchiveMissing": "archive_missing", "ArchiveDamaged": "archive_damaged"}.get(type(e).__name__, "archive_error")
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


def archive_dir(args) -> Path:
    if args.archive:
        return Path(args.archive)
    from app.core.paths import default_archive_dir

    return default_archive_dir()


if __name__ == "__main__":
    sys.exit(main())

