"""Rendering documents to PDF (no Qt): which template, which records, pages drawn by the engine.

    from app.printing.renderer import KINDS, CERT_KINDS, render, Calibration, RenderResult, PrintRefused
    render(session, "diploma", "out.pdf", class_id=3, overlay=True, calibration=Calibration(1.5, -0.8, 1.0),
           numbers={12: "2026000123"})

Templates are data (resources/templates/*.toml, format in resources/templates/README.md); the same
PDF feeds the preview and the printer. docs/printing.md explains fonts, calibration and measuring a blank.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from app.core.errors import WARN, Finding
from app.students.fields import by_key as _field_defs
from app.core.fsutil import discard_on_error
from app.core.i18n import tr
from app.printing import change_forms
from app.printing import documents as _docs
from app.printing import fonts
from app.printing.engine import Calibration, Painter, rows_per_page
from app.printing.kinds import CERT_KINDS, EVENT_KINDS, KINDS, LIST_KINDS, STUDENT_KINDS
from app.printing.template import (Element, PrintRefused, Template, TemplateError, load_template,  # noqa: F401
                                   template_for)
from app.printing.template import bundled, resolve

PHOTO_CHUNK = 200

__all__ = ["KINDS", "CERT_KINDS", "render", "Calibration", "RenderResult", "PrintRefused", "Cancelled",
           "TemplateError", "template_for", "load_template", "calibration_template", "customise_template",
           "effective_template"]


class Cancelled(Exception):
    """``cancel()`` returned True: rendering stopped, nothing was written."""


@dataclass
class RenderResult:
    path: str | None
    pages: int
    students: int
    warnings: list[Finding] = field(default_factory=list)


def _where(e: Element, record: dict, ch: str) -> str:
    """The field whose value holds ``ch`` (its national-form header when it has one)."""
    for f in e.placeholders:
        if ch in str(record.get(f, "")):
            return _label(f)
    return _label(e.field or e.id or e.type)


def _masked(record: dict) -> dict:
    from app.core.masking import mask_id

    return {k: (mask_id(v) if isinstance(v, str) and (k.endswith("id_number") or k.endswith("xueji_no")) else v)
            for k, v in record.items()}


def _label(key: str) -> str:
    f = _field_defs().get(key)
    return f.header if f else key


def calibration_template(target: Template | str | None = None) -> Template:
    """The calibration sheet: mm rulers along the top and left edges, crosshairs near the corners and in
    the centre; for a ``target`` template also its size and every field box outlined with its name."""
    base = bundled("calibration-sheet")
    if target is None:
        return base
    t = resolve(target, "diploma")
    w, h = t.page_size_mm
    els = [Element("ruler", edge="top", x=0, y=0, length=w), Element("ruler", edge="left", x=0, y=0, length=h),
           Element("box", x=0.2, y=0.2, w=w - 0.4, h=h - 0.4, width_mm=0.2)]
    m = 15.0
    for x, y in ((m, m), (w - m, m), (m, h - m), (w - m, h - m), (w / 2, h / 2)):
        els.append(Element("crosshair", x=round(x, 1), y=round(y, 1), r=10.0))
    for e in base.elements:
        if e.type == "text" and e.id == "title":
            els.append(Element("text", x=20, y=12, w=max(10.0, w - 40), h=8, text=e.text, font=e.font,
                               size_pt=e.size_pt, min_size_pt=e.min_size_pt, align="center", art=False))
    for e in t.elements:
        if e.type in ("text", "photo", "qr") and e.w and e.h and not e.art:  # what overlay mode prints
            els.append(Element("box", x=e.x, y=e.y, w=e.w, h=e.h, width_mm=0.15, dash=(1.0, 0.8)))
            name = e.id or e.field or e.type
            els.append(Element("text", x=e.x + 0.5, y=e.y + 0.3, w=max(4.0, e.w - 1), h=2.6, text=name,
                               font="hei", size_pt=5, min_size_pt=3, valign="top", art=False))
    return Template(id=f"calibration-{t.id}", kind="calibration-sheet", name=base.name, page_size_mm=(w, h),
                    elements=els, orientation=t.orientation, feed=t.feed, path=base.path, per="sheet")


ARCHIVE_TEMPLATES = "templates"  # <archive folder>/templates/<id>.toml: the school's measured copies


def archive_template_dir(session) -> Path:
    return Path(session.folder) / ARCHIVE_TEMPLATES


def customise_template(session, kind: str, stage: str | None = None) -> Path:
    """Copy the bundled template for ``kind`` (and stage) into the archive folder, where the registrar edits
    it to the measured blank; from then on every print of that kind uses the copy (it is backed up with the
    archive). Returns the copy's path; an existing copy is kept as it is."""
    t = template_for(kind, stage)
    dest = archive_template_dir(session) / t.path.name
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.part")
        with discard_on_error(tmp):
            tmp.write_bytes(t.path.read_bytes())
            os.replace(tmp, dest)
    return dest


def effective_template(session, kind: str, stage: str | None = None) -> Template:
    """The archive's own copy of the template when there is one (checked when loaded), else the bundled one."""
    bundled = template_for(kind, stage)
    own = archive_template_dir(session) / bundled.path.name if session is not None else None
    if own is not None and own.exists():
        return load_template(own)
    return bundled


def _templates_for(session, kind: str, docs, template) -> list[Template]:
    if kind == "calibration-sheet":
        target = template
        if isinstance(template, str) and not template.endswith(".toml") and "/" not in template:
            own = archive_template_dir(session) / f"{template}.toml"
            target = load_template(own) if own.exists() else template
        return [calibration_template(target)] * len(docs)
    if template is not None:
        t = resolve(template, kind)
        return [t] * len(docs)
    cache: dict[str, Template] = {}
    out = []
    for d in docs:
        key = d.stage if kind in ("diploma", "change-form") else ""  # change forms: d.stage is the form family
        if key not in cache:
            cache[key] = effective_template(session, kind, key or None)
        out.append(cache[key])
    return out


def documents_for(session, kind, *, student_ids=None, class_id=None, school_year=None, numbers=None,
                  issue_date=None, register_rows=None, values=None, event_ids=None) -> list:
    """The documents (``documents.Doc``: one per student, list or change form) a print of ``kind`` makes,
    read from the archive without drawing anything; what ``render`` draws and what a print plan lists.
    Raises Refused / PrintRefused (nobody to print, no form) and NotFound (unknown student or class)."""
    ctx = _docs.Context(session, issue_date=issue_date, numbers=numbers, values=values)
    if kind == "calibration-sheet":
        return [_docs.Doc(ctx.school_fields())]
    if kind in EVENT_KINDS:
        return change_forms.change_docs(ctx, event_ids, student_ids)
    if kind in STUDENT_KINDS:
        return _docs.student_docs(ctx, kind, student_ids, class_id, school_year)
    return _docs.list_docs(ctx, kind, student_ids=student_ids, class_id=class_id, school_year=school_year,
                           register_rows=register_rows)


def render(session, kind, out, *, student_ids=None, class_id=None, school_year=None, overlay=False,
           calibration=None, numbers=None, issue_date=None, register_rows=None, template=None,
           progress=None, cancel=None, values=None, event_ids=None, mask_ids: bool = False) -> RenderResult:
    """Render ``kind`` to ``out`` (a path or a binary file object) as one PDF.

    ``values``: extra record fields, either ``{field: value}`` for every record or
    ``{student_id: {field: value}}`` (e.g. ``original_number``, ``reason`` for a 学历证明书).
    ``event_ids`` (change-form): the status-change events whose forms print; with ``student_ids`` instead,
    each student's latest change event that has a form.
    ``mask_ids``: every ID number and 学籍号 (the student's and the family's) printed masked — a roster handed
    to a head teacher or posted in a classroom (国家 第二十五条).
    Raises PrintRefused (nothing written) when a character cannot be drawn or the template is bad,
    Cancelled when ``cancel()`` returns True."""
    if kind not in KINDS:
        raise PrintRefused([Finding("PRINT.KIND", tr("printing.unknown_kind", kind=kind, kinds=", ".join(KINDS)),
                                    field="kind")])
    from reportlab import rl_config
    from reportlab.pdfgen.canvas import Canvas

    rl_config.useA85 = 0
    docs = documents_for(session, kind, student_ids=student_ids, class_id=class_id, school_year=school_year,
                         numbers=numbers, issue_date=issue_date, register_rows=register_rows, values=values,
                         event_ids=event_ids)
    if mask_ids:
        for d in docs:
            d.record = _masked(d.record)
            if d.rows:
                d.rows = [_masked(r) if isinstance(r, dict) else r for r in d.rows]
    templates = _templates_for(session, kind, docs, template)
    distinct = {id(t): t for t in templates}.values()
    wants_photo = any(e.type == "photo" and e.print_photo for t in distinct for e in t.elements)

    path = None
    if isinstance(out, (str, os.PathLike)):
        path = Path(out)
        fd, tmp = tempfile.mkstemp(prefix=".print-", suffix=".pdf", dir=str(path.parent))
        os.close(fd)
        target = tmp
    else:
        tmp = None
        target = out
    painter = None
    warnings: list[Finding] = []
    problems: list[Finding] = []
    pages = 0
    total = len(docs)
    ctx_name = getattr(session, "user", "")
    try:
        with discard_on_error(tmp) if tmp else _null():
            c = Canvas(target, pageCompression=1, invariant=0, initialFontName=fonts.font("NotoSerifSC").fontName,
                       initialFontSize=10)
            c.setCreator("Xueji")
            c.setAuthor(ctx_name)
            c.setTitle(kind)
            painter = Painter(c, overlay=overlay, calibration=calibration)
            photos: dict[int, bytes] = {}
            for i, (doc, t) in enumerate(zip(docs, templates)):
                if cancel is not None and cancel():
                    raise Cancelled()
                if wants_photo and doc.student_id is not None and i % PHOTO_CHUNK == 0:
                    ids = [d.student_id for d in docs[i:i + PHOTO_CHUNK] if d.student_id is not None]
                    photos = _photo_chunk(session, ids)
                before = len(painter.glyph_problems), len(painter.overflow)
                pages += _draw_doc(painter, t, doc, photos.get(doc.student_id) if wants_photo else None)
                for ch, e, row_label, fld in painter.glyph_problems[before[0]:]:
                    where = _label(fld) if row_label and fld else _where(e, doc.record, ch)
                    problems.append(Finding("PRINT.GLYPH_MISSING", tr(
                        "print.glyph_missing", who=row_label or doc.label or t.name, field=where, char=ch,
                        code=f"U+{ord(ch):04X}"), field=where, outcome="BLOCK"))
                for e in painter.overflow[before[1]:]:
                    warnings.append(Finding("PRINT.OVERFLOW", tr("print.overflow", who=doc.label or t.name,
                                                                 field=_label(e.field or e.id)),
                                            field=_label(e.field or e.id), outcome=WARN))
                if (wants_photo and doc.student_id is not None and doc.student_id not in photos
                        and any(e.type == "photo" and e.print_photo for e in t.elements)):
                    warnings.append(Finding("PRINT.NO_PHOTO", tr("print.no_photo", who=doc.label),
                                            field=_label("name"), outcome=WARN))
                if progress is not None:
                    progress(i + 1, total)
            if problems:
                raise PrintRefused(problems)
            c.save()
            if tmp:
                os.replace(tmp, path)
    finally:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)
    students = sum(1 for d in docs if d.student_id is not None)
    if kind in LIST_KINDS and kind != "issuance-register":
        students = sum(int(d.record.get("count", 0) or 0) for d in docs)
    return RenderResult(str(path) if path else None, pages, students, warnings)


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _photo_chunk(session, ids: list[int]) -> dict[int, bytes]:
    from app.photos import store as photo_store

    return photo_store.current_photo_jpegs(session.conn, ids)


def _draw_doc(p: Painter, t: Template, doc, photo: bytes | None) -> int:
    tables = [e for e in t.elements if e.type == "table"]
    if not tables or doc.rows is None:
        p.begin_page(t)
        p.draw(t, doc.record, photo)
        p.end_page()
        return 1
    table = tables[0]
    per = rows_per_page(table)
    n = max(1, -(-len(doc.rows) // per))
    for page in range(n):
        rec = dict(doc.record, page=str(page + 1), pages=str(n))
        p.begin_page(t)
        p.draw(t, rec, photo, doc.rows, (page * per, min(len(doc.rows), (page + 1) * per)))
        p.end_page()
    return n

