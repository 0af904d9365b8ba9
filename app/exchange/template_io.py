"""Reading and writing 学生基础信息 sheets (.xls BIFF8 and .xlsx) as plain text cells.

Reading: .xls with xlrd (python-calamine when xlrd cannot decode the file), .xlsx with python-calamine;
every cell comes back as text (calamine's 1.0 -> "1", date cells -> YYYYMMDD). The header row is the
first of the first rows where at least three cells name template fields (title and instruction rows
above it are skipped). Sheets named 学生基础信息, 学生基础信息2 … are all read; without such a sheet, the
first sheet that has a header row is.

Writing: every cell is a text cell with the text number format "@", so Excel keeps 18-digit ID numbers
and codes with leading zeros as typed even after the registrar edits them. .xls with xlwt (a sheet
holds 65,535 data rows: more go to 学生基础信息2 …); .xlsx with a small SpreadsheetML writer of our own
(openpyxl needs about 5 s for 5,000 rows with a per-cell text format; this needs a fraction). The file
is written to a temporary file in the target folder and moved into place, so a failed or cancelled
export never leaves a half-written file.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable
from xml.sax.saxutils import quoteattr

from app import fields as F
from app.errors import INVALID, Finding, Refused
from app.i18n import tr

HEADER_SCAN_ROWS = 10
MIN_HEADER_MATCHES = 3
XLS_MAX_ROWS = 65536           # rows per BIFF8 sheet, header included
XLSX_MAX_ROWS = 1048576
MAX_CELL_CHARS = 32767         # Excel's limit for one cell (both formats)
PROGRESS_EVERY = 100
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
# Roster columns that carry no template field (template vocabulary, not UI text).
IGNORED_HEADERS = {"id", "序号", "状态", "年级", "班级名称"}
DOUBLE_EXACT = 2 ** 53         # a number at or above this lost digits when Excel stored it


class Cancelled(Exception):
    """The caller's cancel() returned True while writing; nothing was written."""


@dataclass
class SheetData:
    name: str
    header_row: int                                   # the header's row number as Excel shows it
    headers: list[str]                                # header texts as written in the file
    rows: list[tuple[int, list[str]]] = field(default_factory=list)   # (Excel row number, cells as text)
    lossy: set[tuple[int, int]] = field(default_factory=set)         # (row number, column index) of long numbers


def col_letter(idx: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    s = ""
    idx += 1
    while idx:
        idx, r = divmod(idx - 1, 26)
        s = chr(65 + r) + s
    return s


def _bad_file(path, why: str) -> Refused:
    return Refused([Finding("bad_file", tr("import.bad_file", name=Path(path).name, reason=why), field=tr("label.file"),
                            outcome=INVALID)])


def bad_format(path: Path) -> Finding:
    """The refusal for an export path whose suffix is neither .xls nor .xlsx."""
    return Finding("bad_format", tr("export.bad_format", suffix=path.suffix or tr("export.no_suffix")),
                   field=tr("label.file"), outcome=INVALID)


# ---------------------------------------------------------------------------------------------- cells → text

def _num_text(v: float) -> tuple[str, bool]:
    """(text, digits lost)."""
    if v != v or v in (float("inf"), float("-inf")):
        return "", False
    if v.is_integer():
        return str(int(v)), abs(v) >= DOUBLE_EXACT
    s = repr(v)
    if len(s) > 15:
        s = f"{v:.15g}"
    return s, False


def _cell_text(v) -> tuple[str, bool]:
    if v is None:
        return "", False
    if isinstance(v, str):
        return v, False
    if isinstance(v, bool):
        return ("1" if v else "0"), False
    if isinstance(v, int):
        return str(v), abs(v) >= DOUBLE_EXACT
    if isinstance(v, float):
        return _num_text(v)
    if isinstance(v, (_dt.datetime, _dt.date)):
        return v.strftime("%Y%m%d"), False
    if isinstance(v, _dt.time):
        return v.strftime("%H:%M:%S"), False
    return str(v), False


# ---------------------------------------------------------------------------------------------- reading

def _header_score(cells: list[str]) -> int:
    return sum(1 for c in cells if c.strip() and F.resolve_header(c.strip()) is not None)


def _find_header(rows: list[list[str]]) -> int | None:
    for i, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        if _header_score(cells) >= MIN_HEADER_MATCHES:
            return i
    return None


def _sheet_from_grid(name: str, grid: list[list], lossy_grid: set[tuple[int, int]] | None = None) -> SheetData | None:
    """``grid``: all rows from A1, raw values. Returns None when no header row is found."""
    head = [[_cell_text(v)[0] for v in row] for row in grid[:HEADER_SCAN_ROWS]]
    hi = _find_header(head)
    if hi is None:
        return None
    headers = [h.strip() for h in head[hi]]
    while headers and not headers[-1]:
        headers.pop()
    ncols = len(headers)
    sheet = SheetData(name, hi + 1, headers)
    for r in range(hi + 1, len(grid)):
        raw = grid[r]
        cells = []
        for c in range(ncols):
            v = raw[c] if c < len(raw) else ""
            if isinstance(v, str):
                cells.append(v)
                continue
            text, lost = _cell_text(v)
            if lost:
                sheet.lossy.add((r + 1, c))
            cells.append(text)
        if any(x.strip() for x in cells):
            sheet.rows.append((r + 1, cells))
    if lossy_grid:
        sheet.lossy |= {x for x in lossy_grid if x[0] > hi + 1}
    return sheet


def _is_student_sheet_name(name: str) -> bool:
    return re.fullmatch(re.escape(F.template_sheet()) + r"\s*\d*", name.strip()) is not None


def _pick_sheets(names: list[str], load: Callable[[str], SheetData | None]) -> list[SheetData]:
    wanted = [n for n in names if _is_student_sheet_name(n)]
    found = [s for s in (load(n) for n in wanted) if s is not None]
    if found:
        return found
    for n in names:
        if n in wanted:
            continue
        s = load(n)
        if s is not None:
            return [s]
    return []


def _read_xls(path: Path) -> list[SheetData]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except UnicodeDecodeError:
        # xlrd cannot join a character that straddles two BIFF records (e.g. 𠮷 in some files): calamine can
        return _read_calamine(path)
    except Exception as e:  # XLRDError, or struct.error, IndexError … from a damaged stream
        msg = str(e)
        if "encrypted" in msg.lower() or _looks_encrypted_ooxml(path):
            # an encrypted .xls (FILEPASS) or an encrypted .xlsx, which is an OLE2 file as well
            raise _bad_file(path, tr("import.file_encrypted")) from e
        if "workbook" in msg.lower() and "ole2" in msg.lower():
            raise _bad_file(path, tr("import.file_not_workbook_ole")) from e
        raise _bad_file(path, tr("import.file_bad_xls", error=msg or type(e).__name__)) from e
    try:
        datemode = book.datemode

        def load(name: str) -> SheetData | None:
            sh = book.sheet_by_name(name)
            grid, lossy = [], set()
            for r in range(sh.nrows):
                types, values = sh.row_types(r), sh.row_values(r)
                row = []
                for c, (t, v) in enumerate(zip(types, values)):
                    if t == xlrd.XL_CELL_TEXT:
                        row.append(v)
                    elif t == xlrd.XL_CELL_NUMBER:
                        text, lost = _num_text(v)
                        if lost:
                            lossy.add((r + 1, c))
                        row.append(text)
                    elif t == xlrd.XL_CELL_DATE:
                        try:
                            row.append(xlrd.xldate.xldate_as_datetime(v, datemode).strftime("%Y%m%d"))
                        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                            row.append(_num_text(v)[0])
                    elif t == xlrd.XL_CELL_BOOLEAN:
                        row.append("1" if v else "0")
                    else:  # empty, blank, error
                        row.append("")
                grid.append(row)
                if r == HEADER_SCAN_ROWS - 1 and _find_header(grid) is None:
                    return None
            return _sheet_from_grid(name, grid, lossy)

        return _pick_sheets(book.sheet_names(), load)
    except UnicodeDecodeError:
        return _read_calamine(path)
    finally:
        book.release_resources()


def _looks_encrypted_ooxml(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            data = fh.read(1 << 20)
    except OSError:
        return False
    return "EncryptedPackage".encode("utf-16-le") in data or "EncryptionInfo".encode("utf-16-le") in data


def _read_calamine(path: Path) -> list[SheetData]:
    from python_calamine import CalamineWorkbook, PasswordError

    try:
        book = CalamineWorkbook.from_path(str(path))
    except PasswordError as e:
        raise _bad_file(path, tr("import.file_encrypted")) from e
    except Exception as e:  # CalamineError, ZipError, XmlError …
        raise _bad_file(path, tr("import.file_bad_workbook", error=e)) from e
    try:
        def load(name: str) -> SheetData | None:
            sheet = book.get_sheet_by_name(name)
            head = sheet.to_python(skip_empty_area=False, nrows=HEADER_SCAN_ROWS)
            if _find_header([[_cell_text(v)[0] for v in row] for row in head]) is None:
                return None
            return _sheet_from_grid(name, sheet.to_python(skip_empty_area=False))

        return _pick_sheets(list(book.sheet_names), load)
    except Refused:
        raise
    except Exception as e:
        raise _bad_file(path, tr("import.file_unparsable", error=e)) from e
    finally:
        try:
            book.close()
        except Exception:
            pass


def _read_text(path: Path, data: bytes) -> list[SheetData]:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _bad_file(path, tr("import.file_not_table"))
    if "\x00" in text:
        raise _bad_file(path, tr("import.file_not_table"))
    low = text[:2000].lower()
    if "<html" in low or "<table" in low:
        raise _bad_file(path, tr("import.file_html"))
    first = text.split("\n", 1)[0]
    delim = "\t" if "\t" in first else ","
    grid = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delim)]
    s = _sheet_from_grid(path.stem, grid)
    return [s] if s else []


def read_workbook(path) -> list[SheetData]:
    """The student sheets of a template file. Raises Refused([Finding('bad_file')]) when the file cannot
    be read or has no header row."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            magic = fh.read(8)
    except FileNotFoundError as e:
        raise _bad_file(path, tr("import.file_missing")) from e
    except IsADirectoryError as e:
        raise _bad_file(path, tr("import.file_is_folder")) from e
    except OSError as e:
        raise _bad_file(path, tr("import.file_unopenable", error=e.strerror or e)) from e
    if not magic:
        raise _bad_file(path, tr("import.file_empty"))
    suffix = path.suffix.lower()
    if magic == OLE_MAGIC:
        sheets = _read_xls(path)
    elif magic.startswith(ZIP_MAGIC):
        sheets = _read_calamine(path)
    elif suffix in TEXT_SUFFIXES or suffix == ".xls":
        # some systems save tab-separated text under an .xls name
        sheets = _read_text(path, path.read_bytes())
    else:
        raise _bad_file(path, tr("import.file_not_excel", kind=suffix or "Excel"))
    if not sheets:
        raise _bad_file(path, tr("import.no_header_row", rows=HEADER_SCAN_ROWS))
    return sheets


# ---------------------------------------------------------------------------------------------- writing

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
    try:
        writer = _write_xls if suffix == ".xls" else _write_xlsx
        count = writer(tmp, headers, rows, sheet_name or F.template_sheet(), total, progress, cancel)
        try:
            os.replace(tmp, path)
        except PermissionError as e:
            raise Refused([Finding("bad_path", tr("export.file_in_use", name=path.name), field=tr("label.file"),
                                   outcome=INVALID)]) from e
        return count
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _rows_checked(headers, rows, total, progress, cancel, first_row: int):
    """Yield rows while checking cell lengths and reporting progress / honouring cancel."""
    n = 0
    ncols = len(headers)
    for row in rows:
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
