"""The access register (查阅登记簿, 国家 第二十五条, 长治 第四十四条) as a printed PDF: who viewed, printed or
exported which student data, when, with the audit chain's head hash on every page."""
from __future__ import annotations

from pathlib import Path

from app.audit.log import decode_entry, record_print, verify
from app.audit.text import REGISTER_KIND, action_name, value_text
from app.core.i18n import tr
from app.audit import store as aq


def access_register(session, *, since: str | None = None, until: str | None = None) -> list[dict]:
    return [decode_entry(e) for e in aq.access_rows(session.conn, since=since, until=until)]


def write_access_register(session, out, *, since: str | None = None, until: str | None = None,
                          record: bool = False) -> dict:
    """The access register (查阅登记) as a PDF: who viewed, printed or exported which student data, when.
    Written to a temporary file and moved into place; the chain's head hash is printed on it so a later
    rewrite of the log can be shown against the paper. ``record``: the file is the one printed or kept
    (not a preview): one ``print`` entry (kind ``access-register``) is appended after it is written."""
    import os

    from app.printing import fonts
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    out = Path(out)
    if out.suffix.lower() != ".pdf":
        out = out.with_name(out.name + ".pdf")
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = access_register(session, since=since, until=until)
    rep = verify(session)
    shown_until = until
    if until and len(str(until)) == 10:  # until is exclusive: the paper names the last day included
        import datetime as _dt

        shown_until = (_dt.date.fromisoformat(str(until)) - _dt.timedelta(days=1)).isoformat()
    school = session.school or {}
    tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
    W, H = landscape(A4)
    c = canvas.Canvas(str(tmp), pagesize=(W, H))
    c.setTitle(tr("audit.register.title"))

    def text(x, y, s, size=9, face="song"):
        s = "".join(ch for ch in str(s) if fonts.font_for(face, ch) is not None or ch == " ")
        for name, part in fonts.runs(face, s):
            c.setFont(name, size)
            c.drawString(x, y, part)
            x += c.stringWidth(part, name, size)

    cols = [(15, tr("audit.register.col.no")), (30, tr("audit.register.col.at")), (75, tr("audit.register.col.actor")),
            (110, tr("audit.register.col.action")), (135, tr("audit.register.col.student")),
            (175, tr("audit.register.col.xjh")), (215, tr("audit.register.col.what"))]
    page = [0]

    def header():
        page[0] += 1
        text(15 * mm, H - 15 * mm, tr("audit.register.title"), 15, "hei")
        text(15 * mm, H - 22 * mm, tr("audit.register.sub", school=school.get("name", ""),
                                        since=since or "—", until=shown_until or "—", count=len(rows)), 9)
        for x, label in cols:
            text(x * mm, H - 30 * mm, label, 9, "hei")
        c.line(15 * mm, H - 31.5 * mm, W - 15 * mm, H - 31.5 * mm)
        text(15 * mm, 8 * mm, tr("audit.register.foot", head=rep.head[:16], page=page[0],
                                 state=tr("audit.register.intact") if rep.ok else
                                 tr("audit.register.broken", count=len(rep.breaks))), 7)

    header()
    y = H - 37 * mm
    for n, r in enumerate(rows, 1):
        if y < 15 * mm:
            c.showPage()
            header()
            y = H - 37 * mm
        d = r["detail"] if isinstance(r["detail"], dict) else {}
        where = tr("audit.where.cli") if d.get("where") == "cli" else tr("audit.where.gui")
        what = {"view": lambda: tr("audit.register.what_view", where=where),
                "print": lambda: tr("audit.register.what_print", kind=value_text("kind", d.get("kind", "")),
                                    count=d.get("count", len(d.get("students") or []))),
                "export": lambda: tr("audit.register.what_export", count=d.get("count", 0),
                                     file=Path(str(d.get("file", ""))).name)}[r["action"]]()
        vals = [str(n), r["at"].replace("T", " "), r["actor"], action_name(r["action"]),
                r["student_name"] or "", r["xueji_no"] or "", what]
        for (x, _), v in zip(cols, vals):
            text(x * mm, y, v[:60], 8.5)
        y -= 6 * mm
    c.save()
    os.replace(tmp, out)
    if record:
        record_print(session, REGISTER_KIND, out, count=0, pages=page[0])
    return {"file": str(out), "entries": len(rows), "pages": page[0], "chain_ok": rep.ok, "head": rep.head}
