"""Importing a 学生基础信息 template (.xls / .xlsx): every row validated and rule-checked through the same
create path as a registrar's entry, all inside ONE transaction. Either the whole file goes in or —
when any row is refused — nothing does, and the report lists every refused row (row number as Excel
shows it, column, the value, the reason). With ``skip_invalid`` the valid rows go in and the refused
ones are listed as skipped."""
from __future__ import annotations

import datetime as _dt
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from app.students import fields as F
from app.core.errors import INVALID, WARN, Finding, Refused
from app.exchange import template_io as T
from app.core.i18n import tr
from app.students.record_io import from_template
from app.core.session import Session
from app.students.service import create_in_transaction
from app.core.textnorm import clean

PROGRESS_EVERY = 100
CLASS_HEADER = F.by_key()["class_code"].header
SCHOOL_HEADER = F.by_key()["school_code"].header


@dataclass
class ImportReport:
    total_rows: int = 0
    imported: int = 0
    ids: list[int] = field(default_factory=list)
    errors: list[Finding] = field(default_factory=list)      # refused rows' findings (row, field set)
    warnings: list[Finding] = field(default_factory=list)    # accepted with a warning; unknown columns
    skipped_rows: list[int] = field(default_factory=list)    # rows refused (never imported)
    cancelled: bool = False
    path: str = ""
    notes: list[Finding] = field(default_factory=list)       # ★ fields the national system wants before upload
    batch: str = ""
    sheets: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.cancelled

    @property
    def bad_rows(self) -> list[int]:
        return sorted({f.row for f in self.errors if f.row is not None})


def disk_full(exc: BaseException, conn=None) -> Refused | None:
    """A Refused for SQLITE_FULL (the disk or the archive's size limit) anywhere in ``exc``'s chain, else None.
    SQLite has already rolled the transaction back; a rollback still pending on ``conn`` is done here."""
    e, seen = exc, 0
    while e is not None and seen < 8:
        if isinstance(e, sqlite3.OperationalError) and ("full" in str(e) or getattr(e, "sqlite_errorcode", 0) == 13):
            if conn is not None and conn.in_transaction:
                conn.rollback()
            return Refused([Finding("disk_full", tr("fault.disk_full", error=e), outcome=INVALID)])
        e, seen = e.__context__, seen + 1
    return None


class _Abort(Exception):
    """Raised inside the transaction so that it rolls back."""


@dataclass
class _Column:
    index: int
    header: str       # as written in the file
    canonical: str    # the template's header for that field (成员1姓名, 班号 …)


def _canonical(hit) -> str:
    kind, n, key = hit
    if kind == "member":
        return F.member_header(n, key)
    return F.by_key()[key].header


def _map_columns(sheet: T.SheetData, seen_unknown: set[str], warnings: list[Finding]) -> list[_Column]:
    cols: list[_Column] = []
    used: dict[str, str] = {}
    for i, h in enumerate(sheet.headers):
        if not h:
            continue
        if "".join(h.split()).lower() in T.IGNORED_HEADERS:
            continue
        hit = F.resolve_header(h)
        if hit is None:
            if h not in seen_unknown:
                seen_unknown.add(h)
                warnings.append(Finding("unknown_column", tr("import.unknown_column", header=h, column=T.col_letter(i)),
                                        field=h, outcome=WARN, row=sheet.header_row))
            continue
        canon = _canonical(hit)
        if canon in used:
            warnings.append(Finding("duplicate_column",
                                    tr("import.duplicate_column", header=h, column=T.col_letter(i), first=used[canon]),
                                    field=h, outcome=WARN, row=sheet.header_row))
            continue
        used[canon] = h
        cols.append(_Column(i, h, canon))
    return cols


def _explain(f: Finding, row_no: int, cells: list[str], by_canon: dict[str, _Column], sheet: T.SheetData,
             row_of_id: dict[int, int], sheet_prefix: str) -> Finding:
    """Point a finding at the file: row, the column as headed in the file, the value typed there."""
    f.row = row_no
    col = by_canon.get(f.field)
    if col is not None:
        value = cells[col.index].strip()
        f.params = dict(f.params or {}, column=T.col_letter(col.index), value=value)
        f.field = col.header
        if value and value not in f.message:
            f.message += tr("import.cell_value", column=T.col_letter(col.index), value=value)
        if (row_no, col.index) in sheet.lossy:
            f.message += tr("import.digits_lost")
    other = (f.params or {}).get("other_id")
    if other in row_of_id:
        f.message += tr("import.same_file_row", row=row_of_id[other])
    if sheet_prefix:
        f.message = sheet_prefix + f.message
    return f


def import_students(session: Session, path, *, skip_invalid: bool = False, progress=None, cancel=None) -> ImportReport:
    """Import a template file into the open archive (see the module docstring)."""
    path = Path(path)
    report = ImportReport(path=str(path))
    school = session.school
    if school is None:
        raise Refused([Finding("no_school", tr("school.missing"))])
    sheets = T.read_workbook(path)
    report.sheets = [s.name for s in sheets]
    seen_unknown: set[str] = set()
    work = []  # (sheet, its columns, the rows that hold a student)
    for sheet in sheets:
        cols = _map_columns(sheet, seen_unknown, report.warnings)
        content = [c.index for c in cols if c.canonical != SCHOOL_HEADER]
        # a row with nothing but a pre-filled 学校标识码 or a 序号 is an empty template row
        rows = [(n, cells) for n, cells in sheet.rows if any(cells[i].strip() for i in content)]
        report.total_rows += len(rows)
        if rows and not any(c.canonical == CLASS_HEADER for c in cols):
            # every row would be refused for the same reason: say it once
            where = tr("import.in_sheet", sheet=sheet.name) if len(sheets) > 1 else tr("label.file")
            report.errors.append(Finding("missing_column", tr("import.missing_class_column", where=where),
                                         field=CLASS_HEADER,
                                         row=sheet.header_row, outcome=INVALID))
            report.skipped_rows += [n for n, _ in rows]
            continue
        work.append((sheet, cols, rows))
    total = report.total_rows
    report.batch = f"{path.name} {_dt.datetime.now():%Y-%m-%d %H:%M:%S}"
    school_code = str(school["code"])
    done = 0
    row_of_id: dict[int, int] = {}
    try:
        with session.transaction() as conn:
            for sheet, cols, rows in work:
                by_canon = {c.canonical: c for c in cols}
                prefix = tr("import.in_sheet", sheet=sheet.name) if len(sheets) > 1 else ""
                for row_no, cells in rows:
                    if cancel is not None and cancel():
                        report.cancelled = True
                        raise _Abort
                    rec = from_template({c.canonical: cells[c.index] for c in cols if cells[c.index]})
                    bad: list[Finding] = []
                    if rec.school_code and rec.school_code != school_code:
                        bad.append(Finding("wrong_school",
                                           tr("import.wrong_school", code=rec.school_code, ours=school_code,
                                              school=school["name"]),
                                           field=SCHOOL_HEADER, outcome=INVALID))
                    else:
                        try:
                            res = create_in_transaction(session, conn, rec.student, rec.members,
                                                        class_code=clean(rec.class_code) or None,
                                                        action="import", batch=report.batch)
                        except Refused as e:
                            bad = e.findings
                        else:
                            report.ids.append(res.id)
                            row_of_id[res.id] = row_no
                            report.warnings += [_explain(f, row_no, cells, by_canon, sheet, row_of_id, prefix)
                                                for f in res.warnings]
                            report.notes += [_explain(f, row_no, cells, by_canon, sheet, row_of_id, prefix)
                                             for f in res.notes]
                    if bad:
                        report.errors += [_explain(f, row_no, cells, by_canon, sheet, row_of_id, prefix) for f in bad]
                        report.skipped_rows.append(row_no)
                    done += 1
                    if progress is not None and done % PROGRESS_EVERY == 0:
                        progress(done, total)
            if report.errors and not skip_invalid:
                raise _Abort
    except _Abort:
        report.ids = []
        report.imported = 0
        return report
    except sqlite3.OperationalError as e:
        refused = disk_full(e, session.conn)
        if refused is None:
            raise
        raise refused from None
    report.imported = len(report.ids)
    if progress is not None:
        progress(done, total)
    return report
