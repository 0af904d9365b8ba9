"""``xueji photo set|import|export``: a student's photo from a file, photos in bulk from a folder or zip
(matched by file name), and photos out by class — exit codes and JSON as in docs/cli.md."""
from __future__ import annotations

from pathlib import Path

from app.cli.common import open_session
from app.core.errors import Finding, Refused, UsageError
from app.core.i18n import tr


def register(reg) -> None:
    reg.verb("photo")
    sp = reg.action("photo", "set", tr("xcli.help.photo_set"), cmd_photo_set)
    sp.add_argument("student", metavar="STUDENT", help=tr("xcli.help.student_ref"))
    sp.add_argument("file", metavar="FILE")
    sp.add_argument("--crop", default=None, metavar="L,T,R,B", help=tr("xcli.help.photo_crop"))
    sp.add_argument("--rotate", type=int, default=0, choices=[0, 90, 180, 270], help=tr("xcli.help.photo_rotate"))
    sp.add_argument("--preset", default="national", help=tr("xcli.help.photo_preset"))
    sp = reg.action("photo", "import", tr("xcli.help.photo_import"), cmd_photo_import)
    sp.add_argument("source", metavar="DIR|ZIP")
    sp.add_argument("--preset", default="national", help=tr("xcli.help.photo_preset"))
    sp = reg.action("photo", "export", tr("xcli.help.photo_export"), cmd_photo_export)
    sp.add_argument("outdir", metavar="OUTDIR")
    sp.add_argument("--class-id", type=int, default=None)


def _photo_refused(e) -> Refused:
    return Refused([Finding(e.code, e.message, field=tr("photo.field"))])


def _parse_crop(text):
    if text is None:
        return None
    parts = text.replace("\uff0c", ",").split(",")
    try:
        crop = tuple(float(p) for p in parts)
    except ValueError:
        crop = ()
    if len(crop) != 4:
        raise UsageError(tr("xcli.photo_bad_crop", crop=text))
    return crop


def cmd_photo_set(args, out):
    from app.photos import service as ps
    from app.photos.pipeline import PhotoError

    crop = _parse_crop(args.crop)
    data = Path(args.file).read_bytes()
    with open_session(args) as session:
        try:
            r = ps.set_photo(session, args.student, data, source="file", crop=crop, rotate=args.rotate,
                             preset=args.preset)
        except PhotoError as e:
            raise _photo_refused(e) from None
        warnings = [{"code": "PHOTO.BACKGROUND", "field": tr("photo.field"), "row": None, "message": w,
                     "rule": None, "article": None, "outcome": "WARN"} for w in r.warnings]
        return out.ok({"id": r.student_id, "photo_id": r.photo_id, "width": r.width, "height": r.height,
                       "size": r.size, "quality": r.quality, "original_sha256": r.original_sha256,
                       "warnings": warnings},
                      tr("xcli.photo_set", id=r.student_id, w=r.width, h=r.height, kb=f"{r.size / 1024:.1f}")
                      + "".join("\n" + tr("xcli.warning_line", text=w) for w in r.warnings))


def cmd_photo_import(args, out):
    from app.photos import service as ps
    from app.photos.pipeline import PhotoError

    with open_session(args) as session:
        try:
            r = ps.import_photos(session, args.source, preset=args.preset)
        except PhotoError as e:
            raise _photo_refused(e) from None
        payload = {"total": r.total, "stored": r.stored,
                   "matched": [{"file": f, "id": sid} for f, sid in r.matched],
                   "unmatched": list(r.unmatched),
                   "ambiguous": [{"file": f, "ids": ids} for f, ids in r.ambiguous],
                   "rejected": [{"file": f, "reason": why} for f, why in r.rejected],
                   "warnings": [{"file": f, "message": w} for f, w in r.warnings]}
        text = tr("xcli.photo_imported", total=r.total, stored=r.stored, unmatched=len(r.unmatched),
                  ambiguous=len(r.ambiguous), rejected=len(r.rejected))
        text += "".join("\n" + tr("xcli.photo_rejected_line", file=f, reason=why) for f, why in r.rejected)
        text += "".join("\n" + tr("xcli.photo_unmatched_line", file=f) for f in r.unmatched)
        text += "".join("\n" + tr("xcli.photo_ambiguous_line", file=f, ids=", ".join(map(str, ids)))
                        for f, ids in r.ambiguous)
        return out.ok(payload, text)


def cmd_photo_export(args, out):
    from app.photos import service as ps

    with open_session(args) as session:
        r = ps.export_photos(session, args.outdir, class_id=args.class_id)
        payload = {"count": r.count, "zips": r.zips,
                   "missing": [{"id": sid, "name": name, "class": k} for sid, name, k in r.missing]}
        text = tr("xcli.photo_exported", count=r.count, zips=len(r.zips), outdir=args.outdir, missing=len(r.missing))
        text += "".join("\n" + tr("xcli.photo_missing_line", id=sid, name=name, klass=k) for sid, name, k in r.missing)
        return out.ok(payload, text)
