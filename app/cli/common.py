"""What every feature's ``xueji`` verbs share: the output (one JSON object or text, exit codes), the error
objects of the contract (docs/cli.md), opening the archive signed in, and a few argument helpers."""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
from pathlib import Path

from app.core.errors import Finding, Refused
from app.core.i18n import tr

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


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
            print(json.dumps({"ok": False, "errors": findings_json(findings), **(extra or {})},
                             ensure_ascii=False, default=str))
        else:
            for f in findings:
                print(tr("xcli.error_line", text=f.text()), file=sys.stderr)
        return code


def finding_json(f: Finding) -> dict:
    """One finding as the contract's error object (also used for warnings and notes)."""
    d = {"code": f.code, "field": f.field or None, "row": f.row, "message": f.message,
         "rule": f.rule or None, "article": f.article or None, "outcome": f.outcome}
    for extra in ("column", "value"):  # where an import found it: spreadsheet column letter and the cell's text
        if extra in (f.params or {}):
            d[extra] = f.params[extra]
    return d


def findings_json(fs: list[Finding]) -> list[dict]:
    return [finding_json(f) for f in fs]


# ------------------------------------------------------------------ the archive
def archive_dir(args) -> Path:
    if args.archive:
        return Path(args.archive)
    from app.core.paths import default_archive_dir

    return default_archive_dir()


def open_session(args):
    """The archive's Session, signed in for this command when the archive has accounts
    (app/accounts/cli_signin.py)."""
    from app.accounts.cli_signin import authenticate
    from app.core.session import Session

    session = Session.open(archive_dir(args))
    try:
        authenticate(session, args)
    except BaseException:
        session.close()
        raise
    return session


# ------------------------------------------------------------------ arguments
def read_json(path: str) -> dict:
    """A JSON object from a file (``-``: standard input)."""
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise Refused([Finding("bad_input", tr("xcli.json_not_object"))])
    return data


def parse_date(text: str) -> _dt.date:
    """An argparse type: 2026-09-01 or 20260901."""
    s = str(text).strip()
    try:
        return _dt.date.fromisoformat(s)
    except ValueError:
        try:
            return _dt.datetime.strptime(s, "%Y%m%d").date()
        except ValueError:
            raise argparse.ArgumentTypeError(tr("xcli.grad.bad_date", value=text)) from None


def override_opts(sp) -> None:
    """``--reason``, ``--evidence`` and the override of a BLOCK* rule (``--override-reason``, ``--approved-by``)."""
    sp.add_argument("--reason", default="", help=tr("xcli.help.reason"))
    sp.add_argument("--evidence", action="append", default=[], help=tr("xcli.help.evidence"))
    sp.add_argument("--override-reason", default="", help=tr("xcli.help.override_reason"))
    sp.add_argument("--approved-by", default="", help=tr("xcli.help.approved_by"))


def overrides_of(args):
    """The override given by :func:`override_opts`, for every BLOCK* rule ("*"), or None."""
    from app.students.service import Override

    if args.override_reason or args.approved_by:
        return {"*": Override(args.override_reason, args.approved_by, list(args.evidence))}
    return None
