"""Writing 学生基础信息 sheets as text cells (the writing half of app/exchange/template_io).

Every cell is a text cell with the text number format "@" and passes through
app/exchange/neutralise.safe_cell (a text that could be read as a formula gets a leading apostrophe), so Excel keeps 18-digit ID numbers and codes
with leading zeros as typed even after the registrar edits them. .xls with xlwt (a sheet holds 65,535
data rows: more go to 学生基础信息2 …); .xlsx with a small SpreadsheetML writer of our own (openpyxl needs
about 5 s for 5,000 rows with a per-cell text format; this needs a fraction). The file is written to a
temporary file in the target folder and moved into place, so a failed or cancelled export never leaves
a half-written file.
"""
from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Iterable
from xml.sax.saxutils import quoteattr

from app.students import fields as F
from app.core.errors import INVALID, Finding, Refused
from app.exchange.neutralise import safe_cell, safe_row
from app.exchange.template_io import col_letter
from app.core.fsutil import discard_on_error
from app.core.i18n import tr

# Read at call time (tests shrink them).
XLS_MAX_ROWS = 65536           # rows per BIFF8 sheet, header included
XLSX_MAX_ROWS = 1048576
MAX_CELL_CHARS = 32767         # Excel's limit for one cell (both formats)
PROGRESS_EVERY = 100


class Cancelled(Exception):
    """The caller's cancel() returned True while writing; nothing was written."""


def bad_format(path: Path) -> Finding:
    """The refusal for an export path whose suffix is neither .xls nor .xlsx."""
    return Finding("bad_format", tr("export.bad_format", suffix=path.suffix or tr("export.no_suffix")),
                   field=tr("label.file"), outcome=INVALID)


def sheet_names(count: int, base: str | None = None) -> list[str]:
    base = base or F.template_sheet()
    return [base if i == 0 else f"{base}{i + 1}" for i in range(count)]


def write_workbook(path, headers: list[str], rows: Iterable[list[str]], *, total: int | None = None,
                   sheet_name: str | None = None, progress=None, cancel=None) -> int:
    """Write ``rows`` (lists of text, in ``headers`` order) to ``path`` (.xls or .xlsx by suffix) atomically.
    Returns the number of data rows. Raises Refused for an unsupported suffix or an unwritable place,
    Cancelled when ``cancel()`` says so."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xls", ".xlsx"):
        raise Refused([bad_format(path)])
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise Refused([Finding("bad_path", tr("export.folder_missing", folder=folder), field=tr("label.file"),
                               outcome=INVALID)])
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".~{path.stem}.", suffix=suffix, dir=folder)
        os.close(fd)
    except OSError as e:
        raise Refused([Finding("bad_path", tr("export.folder_unwritable", folder=folder, error=e.strerror or e),
                               field=tr("label.file"), outcome=INVALID)]) from e
    headers = [safe_cell(h) for h in headers]
    with discard_on_error(tmp):
        writer = _write_xls if suffix == ".xls" else _write_xlsx
        count = writer(tmp, headers, rows, sheet_name or F.template_sheet(), total, progress, cancel)
        try:
            os.replace(tmp, path)
        except PermissionError as e:
            raise Refused([Finding("bad_path", tr("export.file_in_use", name=path.name), field=tr("label.file"),
                                   outcome=INVALID)]) from e
        return count


def _rows_checked(headers, rows, total, progress, cancel, first_row: int):
    """Yield rows, every text cell neutralised (app/exchange/neutralise.safe_cell: no cell can be taken for a
    formula), while checking cell lengths and reporting progress / honouring cancel."""
    n = 0
    ncols = len(headers)
    for row in rows:
        row = safe_row(row)
        if n % PROGRESS_EVERY == 0:
            if cancel is not None and cancel():
                raise Cancelled
            if progress is not None and n:
                progress(n, total if total is not None else n)
        for c, v in enumerate(row):
            if v and len(v) > MAX_CELL_CHARS:
                raise Refused([Finding("cell_too_long", tr("export.cell_too_long", row=n + first_row,
                                                           column=headers[c] if c < ncols else c, length=len(v),
                                                           limit=MAX_CELL_CHARS), field=headers[c],
                                       row=n + first_row, outcome=INVALID)])
        n += 1
        yield row
    if progress is not None:
        progress(n, total if total is not None else n)


# -------------------------------------------------------------------- .xls

def _safe_sst_class():
    from xlwt.BIFFRecords import SharedStringTable

    class SafeSST(SharedStringTable):
        """xlwt splits long string tables across CONTINUE records at any even byte, which can cut a
        surrogate pair (𠮷 and other CJK Extension B characters) in two; Excel and xlrd then cannot read
        the file. This split never falls between the two halves of a pair."""

        def _save_splitted(self, s, is_unicode_str):
            i = 0
            str_len = len(s)
            while i < str_len:
                free_space = 0x2020 - len(self._current_piece)
                tail_len = str_len - i
                need_more_space = free_space < tail_len
                if not need_more_space:
                    atom_len = tail_len
                elif is_unicode_str:
                    atom_len = free_space & 0xFFFE
                    if atom_len >= 2 and 0xD8 <= s[i + atom_len - 1] <= 0xDB:  # high surrogate last: keep the pair
                        atom_len -= 2
                else:
                    atom_len = free_space
                self._current_piece += s[i:i + atom_len]
                if need_more_space:
                    self._new_piece()
                    self._current_piece += b"\x01" if is_unicode_str else b"\x00"
                i += atom_len

    return SafeSST


def _write_xls(tmp, headers, rows, base, total, progress, cancel) -> int:
    import xlwt
    from xlwt.Cell import BlankCell, StrCell

    if len(headers) > 256:
        raise Refused([Finding("too_many_columns", tr("export.too_many_columns", count=len(headers)),
                               field=tr("label.file"), outcome=INVALID)])
    wb = xlwt.Workbook(encoding="utf-8")
    wb._Workbook__sst = _safe_sst_class()(wb.encoding)  # see SafeSST
    text = xlwt.easyxf(num_format_str="@")
    head = xlwt.easyxf("font: bold on; align: horiz center; pattern: pattern solid, fore_colour light_turquoise",
                       num_format_str="@")
    text_xf = wb.add_style(text)
    add_str = wb.add_str
    ncols = len(headers)
    sheets: list = []

    def new_sheet():
        ws = wb.add_sheet(sheet_names(len(sheets) + 1, base)[-1])
        for c, h in enumerate(headers):
            ws.write(0, c, h, head)
            ws.col(c).width = 256 * max(8, min(24, 2 * len(h) + 2))
        ws.set_panes_frozen(True)
        ws.set_horz_split_pos(1)
        ws.set_remove_splits(True)
        sheets.append(ws)
        return ws

    ws = new_sheet()
    r = 0
    n = 0
    for row in _rows_checked(headers, rows, total, progress, cancel, 2):
        r += 1
        if r >= XLS_MAX_ROWS:
            ws = new_sheet()
            r = 1
        xrow = ws.row(r)
        insert = xrow.insert_cell
        for c in range(ncols):
            v = row[c] if c < len(row) else ""
            if v:
                insert(c, StrCell(r, c, text_xf, add_str(v)))
            else:
                insert(c, BlankCell(r, c, text_xf))
        # what Row.write would have done for each cell: the row's column bounds and height
        xrow._Row__adjust_bound_col_idx(0, ncols - 1)
        xrow._Row__adjust_height(text)
        n += 1
    wb.save(tmp)
    return n


# -------------------------------------------------------------------- .xlsx

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

_STYLES = (_XML_DECL + f'<styleSheet xmlns="{_NS}">'
           '<fonts count="2"><font><sz val="11"/><name val="宋体"/><family val="3"/><charset val="134"/></font>'
           '<font><b/><sz val="11"/><name val="宋体"/><family val="3"/><charset val="134"/></font></fonts>'
           '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
           '<fill><patternFill patternType="solid"><fgColor rgb="FFCCFFFF"/><bgColor indexed="64"/></patternFill></fill></fills>'
           '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
           '<xf numFmtId="49" fontId="1" fillId="2" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1" '
           'applyFill="1" applyAlignment="1"><alignment horizontal="center"/></xf></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
           '</styleSheet>')


def _xml_text(s: str) -> str:
    if _ILLEGAL_XML.search(s):
        s = _ILLEGAL_XML.sub("", s)
    if "&" in s:
        s = s.replace("&", "&amp;")
    if "<" in s:
        s = s.replace("<", "&lt;")
    if ">" in s:
        s = s.replace(">", "&gt;")
    if "\r" in s:  # a raw CR would be read back as LF (XML end-of-line handling)
        s = s.replace("\r", "&#13;")
    return s


def _write_xlsx(tmp, headers, rows, base, total, progress, cancel) -> int:
    ncols = len(headers)
    letters = [col_letter(c) for c in range(ncols)]
    strings: dict[str, int] = {}
    sst_count = 0
    max_rows = XLSX_MAX_ROWS
    n = 0
    sheet_files: list[tuple[str, str]] = []   # (sheet name, part name)

    def sid(v: str) -> int:
        i = strings.get(v)
        if i is None:
            i = strings[v] = len(strings)
        return i

    cols_xml = "<cols>" + "".join(
        f'<col min="{c + 1}" max="{c + 1}" width="{max(8, min(24, 2 * len(h) + 2))}" style="1" customWidth="1"/>'
        for c, h in enumerate(headers)) + "</cols>"
    head_cells = "".join(f'<c r="{letters[c]}1" s="2" t="s"><v>{sid(h)}</v></c>' for c, h in enumerate(headers))
    sst_count += ncols

    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=4) as zf:
        it = iter(_rows_checked(headers, rows, total, progress, cancel, 2))
        exhausted = False
        while not exhausted or not sheet_files:
            part = f"xl/worksheets/sheet{len(sheet_files) + 1}.xml"
            name = sheet_names(len(sheet_files) + 1, base)[-1]
            sheet_files.append((name, part))
            with zf.open(part, "w") as raw:
                out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                out.write(f'{_XML_DECL}<worksheet xmlns="{_NS}" xmlns:r="{_REL_NS}">'
                          '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                          'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
                          f'<sheetFormatPr defaultRowHeight="14.25"/>{cols_xml}<sheetData>'
                          f'<row r="1">{head_cells}</row>')
                r = 1
                buf = []
                for row in it:
                    r += 1
                    cells = [f'<row r="{r}">']
                    for c in range(min(ncols, len(row))):
                        v = row[c]
                        if v:
                            cells.append(f'<c r="{letters[c]}{r}" s="1" t="s"><v>{sid(v)}</v></c>')
                            sst_count += 1
                    cells.append("</row>")
                    buf.append("".join(cells))
                    n += 1
                    if len(buf) >= 500:
                        out.write("".join(buf))
                        buf.clear()
                    if r >= max_rows:
                        break
                else:
                    exhausted = True
                out.write("".join(buf))
                out.write("</sheetData></worksheet>")
                out.flush()
                out.detach()
        with zf.open("xl/sharedStrings.xml", "w") as raw:
            out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            out.write(f'{_XML_DECL}<sst xmlns="{_NS}" count="{sst_count}" uniqueCount="{len(strings)}">')
            buf = []
            for s in strings:
                buf.append(f'<si><t xml:space="preserve">{_xml_text(s)}</t></si>')
                if len(buf) >= 2000:
                    out.write("".join(buf))
                    buf.clear()
            out.write("".join(buf))
            out.write("</sst>")
            out.flush()
            out.detach()
        sheets_xml = "".join(f'<sheet name={quoteattr(nm)} sheetId="{i}" r:id="rId{i}"/>'
                             for i, (nm, _) in enumerate(sheet_files, 1))
        k = len(sheet_files)
        zf.writestr("[Content_Types].xml", _XML_DECL
                    + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                    '<Default Extension="xml" ContentType="application/xml"/>'
                    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                    + "".join(f'<Override PartName="/{p}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                              for _, p in sheet_files)
                    + '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                    '</Types>')
        zf.writestr("_rels/.rels", _XML_DECL + f'<Relationships xmlns="{_PKG_REL}">'
                    f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
                    '</Relationships>')
        zf.writestr("xl/workbook.xml", _XML_DECL + f'<workbook xmlns="{_NS}" xmlns:r="{_REL_NS}">'
                    f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{sheets_xml}</sheets></workbook>')
        zf.writestr("xl/_rels/workbook.xml.rels", _XML_DECL + f'<Relationships xmlns="{_PKG_REL}">'
                    + "".join(f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                              for i in range(1, k + 1))
                    + f'<Relationship Id="rId{k + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
                    f'<Relationship Id="rId{k + 2}" Type="{_REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
                    '</Relationships>')
        zf.writestr("xl/styles.xml", _STYLES)
    return n
