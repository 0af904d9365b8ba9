"""Fuzzed import files (hypothesis, derandomized so CI is stable).

Real .xlsx (openpyxl) and .xls (xlwt) files are written from generated grids: a valid exported roster
with cells mutated into random text, wrong types (numbers, floats, booleans, dates), huge strings,
control characters, formulas such as ``=cmd|' /C calc'!A0``, merged cells, missing or junk headers and
title rows above the header; also raw byte mutations of a real file. Every case must end in an
ImportReport or a Refused whose findings name a row or a column (or the file), never another exception,
and never a partial write: the archive's student count changes by exactly the report's ``imported``
(0 whenever the report is not ok). ``XUEJI_FUZZ_EXAMPLES`` scales the number of cases."""
from __future__ import annotations

import datetime as dt
import os
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.school.demo import build_demo
from app.core.errors import Refused
from app.exchange.export_service import export_students
from app.exchange.import_service import import_students
from app.exchange import template_io as T
from app.core.session import Session
from tests.exchange.test_faults_import_promotion import clone_school

EXAMPLES = int(os.environ.get("XUEJI_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

FORMULAS = ["=cmd|' /C calc'!A0", "=1+1", "+SUM(A1:A3)", "-2+3", "@SUM(1)", "=HYPERLINK(\"http://x\",\"y\")",
            "=A1", "=1/0"]
CONTROL = "".join(chr(c) for c in list(range(0, 32)) + [127, 0x85, 0x2028, 0xFEFF, 0x200B])


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    """(the target session, the exported header, the exported rows as text, a real .xlsx and .xls)."""
    work = tmp_path_factory.mktemp("fuzz-import")
    build_demo(work / "src", students=12, seed=11)
    xlsx, xls = work / "roster.xlsx", work / "roster.xls"
    with Session.open(work / "src") as src:
        export_students(src, xlsx)
        export_students(src, xls)
        clone_school(src, work / "target")
    sheet = T.read_workbook(xlsx)[0]
    header = list(sheet.headers)
    rows = [list(cells) for _, cells in sheet.rows]
    s = Session.open(work / "target")
    yield s, header, rows, xlsx, xls, work
    s.close()


text_cell = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=CONTROL, min_size=1, max_size=10),
    st.sampled_from(FORMULAS),
    st.integers(min_value=1, max_value=200).map(lambda n: "测" * n * 150),  # up to 30,000 characters
    st.sampled_from(["", " ", "\u3000", "NULL", "#N/A", "1.0", "1e308", "-0", "00000000", "X", "男", "女",
                     "2099-13-45", "19000101"]),
)
typed_cell = st.one_of(
    text_cell,
    st.integers(min_value=-(2 ** 62), max_value=2 ** 62),
    st.floats(allow_nan=True, allow_infinity=False, width=64),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.none(),
)


@st.composite
def grids(draw, header, rows):
    """A header + rows grid from the real export, mutated; plus title rows and merged ranges."""
    head = list(header)
    for _ in range(draw(st.integers(0, 3))):  # headers removed, renamed, or junk added
        op = draw(st.sampled_from(["drop", "junk", "dup", "blank"]))
        i = draw(st.integers(0, len(head) - 1))
        if op == "drop" and len(head) > 1:
            head.pop(i)
        elif op == "junk":
            head[i] = draw(st.text(max_size=20))
        elif op == "dup":
            head.append(head[i])
        else:
            head[i] = ""
    width = len(head)
    body = [list(r[:width]) + [""] * (width - len(r[:width])) for r in rows[: draw(st.integers(0, len(rows)))]]
    body = [[c for c in r] for r in body]
    for _ in range(draw(st.integers(0, 12))):
        if not body:
            body.append([""] * width)
        r = draw(st.integers(0, len(body) - 1))
        c = draw(st.integers(0, width - 1))
        body[r][c] = draw(typed_cell)
    if draw(st.booleans()):
        body.append([draw(typed_cell) for _ in range(width)])  # a wholly random row
    titles = [[draw(text_cell)] + [""] * (width - 1) for _ in range(draw(st.integers(0, 3)))]
    merges = []
    for _ in range(draw(st.integers(0, 2))):
        r0 = draw(st.integers(1, len(titles) + len(body) + 1))
        c0 = draw(st.integers(1, width))
        merges.append((r0, c0, r0 + draw(st.integers(0, 2)), min(width, c0 + draw(st.integers(0, 3)))))
    return titles + [head] + body, merges


def _xlsx_value(v):
    if isinstance(v, str):
        # openpyxl refuses characters XML 1.0 cannot hold; a real Excel file cannot hold them either
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        return ILLEGAL_CHARACTERS_RE.sub("", v)[:32767]
    return v


def write_xlsx(path: Path, grid, merges) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "学生基础信息"
    for row in grid:
        ws.append([_xlsx_value(v) for v in row])
    for r0, c0, r1, c1 in merges:
        if (r0, c0) != (r1, c1):
            ws.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)
    wb.save(path)


def write_xls(path: Path, grid, merges) -> None:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("学生基础信息")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    merged = set()
    for r0, c0, r1, c1 in merges:
        if (r0, c0) != (r1, c1) and not any((r, c) in merged for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)):
            ws.merge(r0 - 1, r1 - 1, c0 - 1, c1 - 1)
            merged |= {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
    for r, row in enumerate(grid):
        for c, v in enumerate(row[:256]):
            if v is None or ((r + 1, c + 1) in merged):
                continue
            if isinstance(v, str):
                ws.write(r, c, v[:32767])
            elif isinstance(v, dt.date):
                ws.write(r, c, v, date_style)
            elif isinstance(v, float) and v != v:
                ws.write(r, c, "NaN")
            else:
                ws.write(r, c, v)
    wb.save(str(path))


def _count(s: Session) -> int:
    return s.conn.execute("SELECT COUNT(*) FROM students").fetchone()[0]


def check_import(s: Session, path: Path) -> str:
    """The property: a report or a Refused that names where; the count moves by exactly ``imported``."""
    before = _count(s)
    try:
        r = import_students(s, path)
    except Refused as e:
        assert e.findings, "a Refused without findings"
        for f in e.findings:
            assert f.message and f.code
        assert _count(s) == before
        assert not s.conn.in_transaction
        return "refused"
    assert not s.conn.in_transaction
    if r.ok:
        assert _count(s) == before + r.imported
        return "imported"
    assert r.imported == 0 and _count(s) == before  # nothing half-written
    for f in r.errors:
        assert f.message
        assert f.row is not None or f.field, f  # names the row or the column
    return "report"


SEEN: dict[str, int] = {}


def _note(kind: str, outcome: str) -> None:
    SEEN[f"{kind}:{outcome}"] = SEEN.get(f"{kind}:{outcome}", 0) + 1


def test_unmutated_export_imports_whole(case):
    """The generator's base is a good file (runs first, on the empty target): the property is not vacuous."""
    s, header, rows, xlsx, xls, work = case
    assert header and rows
    assert check_import(s, xlsx) == "imported"
    assert _count(s) == len(rows)


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_fuzzed_grids_end_in_a_report_or_a_refusal(case, suffix):
    s, header, rows, *_ , work = case

    @FUZZ
    @given(grids(header, rows))
    def run(g):
        grid, merges = g
        path = work / f"fuzz{suffix}"
        (write_xlsx if suffix == ".xlsx" else write_xls)(path, grid, merges)
        _note(suffix, check_import(s, path))

    run()
    assert sum(v for k, v in SEEN.items() if k.startswith(suffix)) >= EXAMPLES // 2


@pytest.mark.parametrize("which", ["xlsx", "xls"])
def test_byte_mutations_of_real_files(case, which):
    """Flipped, truncated and spliced bytes of a real export: a Refused naming the file or a report."""
    s, header, rows, xlsx, xls, work = case
    data = (xlsx if which == "xlsx" else xls).read_bytes()

    @FUZZ
    @given(st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(0, 255)), max_size=30),
           st.one_of(st.none(), st.integers(0, len(data))), st.integers(0, 2 ** 32))
    def run(flips, cut, seed):
        b = bytearray(data)
        for i, v in flips:
            b[i] = v
        if cut is not None:
            b = b[:cut]
        if seed % 5 == 0:  # splice a random block
            rnd = random.Random(seed)
            at = rnd.randrange(len(b) or 1)
            b[at:at] = rnd.randbytes(rnd.randrange(1, 500))
        path = work / f"mut.{which}"
        path.write_bytes(bytes(b))
        out = check_import(s, path)
        _note(f"bytes-{which}", out)

    run()


def test_fuzz_reached_every_outcome():
    """The generators reach reports (bad rows listed) and refusals (bad files), not only one kind."""
    outcomes = {k.split(":")[1] for k in SEEN}
    print("fuzz import outcomes:", dict(sorted(SEEN.items())))
    assert {"report", "refused"} <= outcomes, SEEN
