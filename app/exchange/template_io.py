"""Reading and writing 学生基础信息 sheets (.xls BIFF8 and .xlsx) as plain text cells.

Reading: .xls with xlrd (python-calamine when xlrd cannot decode the file), .xlsx with python-calamine;
every cell comes back as text (calamine's 1.0 -> "1", date cells -> YYYYMMDD). The header row is the
first of the first rows where at least three cells name template fields (title and instruction rows
above it are skipped). Sheets named 学生基础信息, 学生基础信息2 … are all read; without such a sheet, the
first sheet that has a header row is. A text cell "'" + one of = + - @ (the mark our exports put before
a text that could be taken for a formula, app/exchange/neutralise.py) loses that apostrophe.

Writing is app/exchange/sheet_writer.py (text cells with the text number format "@", .xls via xlwt and .xlsx
via a small writer of our own, written atomically); it uses this module's ``col_letter``, never the reverse.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from app.students import fields as F
from app.core.errors import INVALID, Finding, Refused
from app.exchange.neutralise import unneutralise
from app.core.i18n import tr

HEADER_SCAN_ROWS = 10
MIN_HEADER_MATCHES = 3
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
# Roster columns that carry no template field (template vocabulary, not UI text).
IGNORED_HEADERS = {"id", "序号", "状态", "年级", "班级名称"}
DOUBLE_EXACT = 2 ** 53         # a number at or above this lost digits when Excel stored it


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
                cells.append(unneutralise(v))  # the apostrophe our exports put before = + - @
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
        # xlrd writes its warnings about damaged files to stdout, which would break `--json` output
        book = xlrd.open_workbook(str(path), on_demand=True, logfile=io.StringIO())
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
    except Refused:
        raise
    except Exception as e:  # a damaged sheet stream: IndexError, AssertionError, struct.error … inside xlrd
        raise _bad_file(path, tr("import.file_bad_xls", error=str(e) or type(e).__name__)) from e
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
