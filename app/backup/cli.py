"""``xueji`` verbs for backup, backup verify and restore (docs/reliability.md).

    xueji backup [--to DIR] [--no-thin]      back up (default: the configured folder) and verify
    xueji backup verify PATH [--quick]       check a backup against its manifest (SHA-256 of every part)
    xueji backup list [--to DIR]             the backups in a folder, newest first, incomplete ones marked
    xueji backup check [--quick]             integrity_check + files/ sweep of the archive (reports only)
    xueji backup config [--folder DIR] …     automatic-backup settings
    xueji restore PATH [--yes]               show what the backup holds; with --yes replace the archive
"""
from __future__ import annotations

import sys

from app.cli.common import archive_dir, open_session
from app.core.errors import Finding
from app.core.i18n import tr


def register(reg) -> None:
    bk = reg.verb("backup", cmd_backup)
    bk.add_argument("--to", metavar="DIR", default=None, help=tr("xcli.help.backup_to"))
    bk.add_argument("--no-thin", action="store_true", help=tr("xcli.help.backup_no_thin"))
    bk.add_argument("--encrypt", action="store_true", help=tr("xcli.help.backup_encrypt"))
    reg.actions("backup", required=False)  # plain ``xueji backup`` backs up
    sp = reg.action("backup", "verify", tr("xcli.help.backup_verify"), cmd_backup_verify)
    sp.add_argument("path", metavar="PATH")
    sp.add_argument("--quick", action="store_true", help=tr("xcli.help.backup_verify_quick"))
    sp = reg.action("backup", "list", tr("xcli.help.backup_list"), cmd_backup_list)
    sp.add_argument("--to", metavar="DIR", default=None, help=tr("xcli.help.backup_to"))
    sp = reg.action("backup", "check", tr("xcli.help.backup_check"), cmd_backup_check)
    sp.add_argument("--quick", action="store_true", help=tr("xcli.help.backup_check_quick"))
    sp = reg.action("backup", "config", tr("xcli.help.backup_config"), cmd_backup_config)
    sp.add_argument("--folder", metavar="DIR", default=None)
    sp.add_argument("--on-close", choices=["yes", "no"], default=None)
    sp.add_argument("--daily", choices=["yes", "no"], default=None)
    sp.add_argument("--encrypt", choices=["yes", "no"], default=None, help=tr("xcli.help.backup_config_encrypt"))
    for k in ("daily", "weekly", "monthly"):
        sp.add_argument(f"--keep-{k}", type=int, default=None, metavar="N")
    rs = reg.verb("restore", cmd_restore)
    rs.add_argument("path", metavar="PATH")
    rs.add_argument("--yes", action="store_true", help=tr("xcli.help.restore_yes"))


PASSPHRASE_ENV = "XUEJI_BACKUP_PASSPHRASE"


def _passphrase(out) -> str | None:
    """The backup passphrase: $XUEJI_BACKUP_PASSPHRASE, else asked on a terminal (not echoed), else None."""
    import os

    v = os.environ.get(PASSPHRASE_ENV)
    if v:
        return v
    if not out.as_json and sys.stdin.isatty():
        import getpass

        return getpass.getpass(tr("xcli.passphrase_prompt")) or None
    return None


def cmd_backup(args, out) -> int:
    from app.backup import service as B

    passphrase = None
    if args.encrypt:
        passphrase = _passphrase(out)
        if not passphrase:
            return out.fail([Finding("passphrase_needed", tr("xcli.passphrase_env", env=PASSPHRASE_ENV),
                                     field=tr("backup.setting.passphrase"))])
    with open_session(args) as session:
        res = B.make_backup(session, args.to, trigger="cli", thin=False if args.no_thin else None,
                            passphrase=passphrase)
    payload = res.as_json()
    if not out.as_json:
        for w in res.warnings:
            print(tr("xcli.warning_line", text=w.text()), file=sys.stderr)
    return out.ok(payload, tr("xcli.backup_ok", path=res.info.path, summary=res.info.summary(),
                              seconds=f"{res.seconds:.1f}", copied=res.files_copied, skipped=res.files_skipped,
                              thinned=len(res.thinned)))


def cmd_backup_verify(args, out) -> int:
    from app.backup import manifest, verify

    passphrase = _passphrase(out) if manifest.describe(args.path).encrypted else None
    info, problems = verify.verify_backup(args.path, full=not args.quick, passphrase=passphrase)
    checked = not info.encrypted or passphrase is not None
    if problems:
        return out.fail(problems, extra={"backup": info.as_json(), "content_checked": checked})
    text = tr("xcli.backup_verified", path=info.path, summary=info.summary())
    if not checked:
        text += "\n" + tr("xcli.backup_verified_sizes_only", env=PASSPHRASE_ENV)
    return out.ok({"backup": info.as_json(), "full": not args.quick, "content_checked": checked}, text)


def cmd_backup_list(args, out) -> int:
    from pathlib import Path

    from app.backup import manifest, settings

    dest = args.to
    if dest is None:
        with open_session(args) as session:
            dest = settings.configured_folder(session)
        if dest is None:
            return out.fail([Finding("no_folder", tr("backup.no_folder"),
                                     field=settings.SETTING_LABELS["backup.folder"])])
    items = manifest.list_backups(Path(dest))
    lines = [tr("xcli.backup_list_head", folder=dest, count=len(items))]
    for b in items:
        lines.append(tr("xcli.backup_list_line", name=b.name, summary=b.summary()) if b.complete
                     else tr("xcli.backup_list_bad", name=b.name, problem=b.problem))
    return out.ok({"folder": str(dest), "backups": [b.as_json() for b in items]}, "\n".join(lines))


def cmd_backup_check(args, out) -> int:
    from app.backup import integrity, restore

    import sqlite3

    try:
        session = open_session(args)
    except sqlite3.DatabaseError as e:  # not even openable: say what is wrong and what to do
        return out.fail([Finding("archive_damaged", restore.damaged_archive_message(archive_dir(args), e),
                                 field=tr("label.archive"))])
    with session:
        rep = integrity.check_integrity(session, full=not args.quick, trigger="cli")
    extra = {k: v for k, v in rep.items() if k != "problems"}
    if rep["problems"]:
        return out.fail(rep["problems"], extra=extra)
    return out.ok(extra, tr("xcli.backup_check_ok", integrity=rep["integrity"], files=rep["files"],
                            seconds=rep["seconds"]))


def cmd_backup_config(args, out) -> int:
    from pathlib import Path

    from app.backup import settings

    values = {}
    if args.folder is not None:
        values["backup.folder"] = str(Path(args.folder).expanduser().resolve()) if args.folder else ""
    for opt, key in (("on_close", "backup.on_close"), ("daily", "backup.daily")):
        v = getattr(args, opt)
        if v is not None:
            values[key] = "1" if v == "yes" else "0"
    for k in ("daily", "weekly", "monthly"):
        v = getattr(args, f"keep_{k}")
        if v is not None:
            values[f"backup.keep_{k}"] = str(v)
    if args.encrypt is not None:
        values["backup.encrypt"] = "1" if args.encrypt == "yes" else "0"
        if args.encrypt == "yes":
            values["backup.passphrase"] = _passphrase(out) or ""
        else:
            values["backup.passphrase"] = ""
    with open_session(args) as session:
        s = settings.save_settings(session, values) if values else settings.get_settings(session)
    s = dict(s, **{"backup.passphrase": "***" if s["backup.passphrase"] else ""})  # never printed
    text = "\n".join(f"{settings.SETTING_LABELS[k]}: {v}" for k, v in s.items())
    return out.ok({"settings": s}, text)


def _signed_in_for_restore(args) -> None:
    """Replacing an archive that has accounts needs a signed-in registrar (permission ``backup``); an empty
    folder or a damaged archive (the reason to restore) has no one to ask."""
    from db.archive import ArchiveDamaged, ArchiveMissing

    try:
        session = open_session(args)
    except (ArchiveMissing, ArchiveDamaged):
        return
    session.close()


def cmd_restore(args, out) -> int:
    from app.backup import manifest, restore
    _signed_in_for_restore(args)
    passphrase = _passphrase(out) if manifest.describe(args.path).encrypted else None
    info = restore.check_restorable(args.path, passphrase)
    if not args.yes:
        if not out.as_json and sys.stdin.isatty():
            print(info.summary())
            answer = input(tr("xcli.restore_prompt", folder=archive_dir(args)))
            confirmed = answer.strip().lower() in ("yes", "y")
        else:
            confirmed = False
        if not confirmed:
            return out.fail([Finding("confirm_needed", tr("xcli.restore_confirm", summary=info.summary()),
                                     field=tr("backup.field"))], extra={"backup": info.as_json()})
    res = restore.restore_into(archive_dir(args), args.path, trigger="cli", verified=info, passphrase=passphrase)
    return out.ok(res.as_json(), tr("xcli.restore_ok", summary=res.info.summary(), safety=res.safety_copy,
                                    seconds=f"{res.seconds:.1f}"))

