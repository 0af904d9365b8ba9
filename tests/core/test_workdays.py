"""Working days on real archives: the holiday library with its 调休 Saturdays, the registrar's own
calendar table winning over it, and a year nobody knows falling back to weekdays (and saying so)."""
from __future__ import annotations

import datetime as dt

import pytest

from app.core import workdays as W
from app.core.errors import Refused
from tests.helpers import new_school

D = dt.date


@pytest.fixture
def school(tmp_path):
    with new_school(tmp_path) as s:
        yield s


def test_national_day_2026_with_make_up_saturday(school):
    c = school.conn
    assert not W.is_working_day(c, D(2026, 10, 1))        # 国庆节, Thursday
    assert not W.is_working_day(c, D(2026, 10, 7))        # Wednesday, still holiday
    assert W.is_working_day(c, D(2026, 10, 10))           # Saturday 调休: a working day
    assert not W.is_working_day(c, D(2026, 10, 11))       # plain Sunday
    # 30 Sep (Wed) + 1 working day = 8 Oct (Thu); + 3 = 10 Oct (the make-up Saturday); + 4 = 12 Oct
    assert W.add_working_days(c, D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert W.add_working_days(c, D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert W.add_working_days(c, D(2026, 9, 30), 4) == D(2026, 10, 12)
    # 10 working days after the school learns of something on 29 Sep 2026
    # 30 Sep, 8, 9, 10 (Sat), 12–16, 19 Oct
    assert W.add_working_days(c, D(2026, 9, 29), 10) == D(2026, 10, 19)
    assert W.working_days_between(c, D(2026, 9, 29), D(2026, 10, 19)) == 10
    assert W.working_days_between(c, D(2026, 10, 19), D(2026, 9, 29)) == -10
    assert W.add_working_days(c, D(2026, 10, 19), -10) == D(2026, 9, 29)
    assert W.add_working_days(c, D(2026, 10, 3), 0) == D(2026, 10, 3)


def test_spring_festival_2026(school):
    c = school.conn
    assert W.is_working_day(c, D(2026, 2, 14))            # Saturday 调休
    assert W.is_working_day(c, D(2026, 2, 28))            # Saturday 调休
    assert not W.is_working_day(c, D(2026, 2, 17))        # 春节 Tuesday
    # From Fri 13 Feb: the 14th (Sat, make-up) is the 1st working day; the festival runs to Mon 23rd
    assert W.add_working_days(c, D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert W.add_working_days(c, D(2026, 2, 13), 2) == D(2026, 2, 24)


def test_round_trip_over_a_year(school):
    c = school.conn
    start = D(2026, 1, 1)
    for n in (1, 5, 10, 20, 40, 120):
        end = W.add_working_days(c, start, n)
        assert W.is_working_day(c, end)
        assert W.working_days_between(c, start, end) == n
    # 2026 has 365 days; the library's count of working days
    assert W.working_days_between(c, D(2025, 12, 31), D(2026, 12, 31)) == sum(
        W.is_working_day(c, D(2026, 1, 1) + dt.timedelta(days=i)) for i in range(365))


def test_unknown_year_falls_back_to_weekdays_and_says_so(school):
    c = school.conn
    assert not W.calendar_known(c, 2027)
    assert W.calendar_source(c, 2027) == "weekdays"
    assert W.calendar_known(c, 2026) and W.calendar_source(c, 2026) == "library"
    # 1 Oct 2027 is a Friday: plain weekday fallback counts it
    assert W.is_working_day(c, D(2027, 10, 1))
    assert W.add_working_days(c, D(2027, 9, 30), 1) == D(2027, 10, 1)


def test_registrar_enters_next_years_notice(school):
    c = school.conn
    for day in range(1, 8):
        W.set_calendar_day(school, D(2027, 10, day), "holiday", name="国庆节")
    W.set_calendar_day(school, "2027-10-09", "workday", name="国庆节调休上班")
    assert W.calendar_known(c, 2027) and W.calendar_source(c, 2027) == "archive"
    assert not W.is_working_day(c, D(2027, 10, 1))
    assert W.is_working_day(c, D(2027, 10, 9))            # Saturday made a working day
    # Thu 30 Sep 2027 + 1 = Fri 8 Oct; + 2 = Sat 9 Oct; + 3 = Mon 11 Oct
    assert W.add_working_days(c, D(2027, 9, 30), 1) == D(2027, 10, 8)
    assert W.add_working_days(c, D(2027, 9, 30), 3) == D(2027, 10, 11)
    days = W.calendar_days(school, 2027)
    assert [d["date"] for d in days][:2] == ["2027-10-01", "2027-10-02"]
    assert all(d["source"] == "archive" for d in days) and len(days) == 8


def test_table_wins_over_library_and_latest_entry_wins(school):
    c = school.conn
    assert not W.is_working_day(c, D(2026, 10, 5))
    W.set_calendar_day(school, D(2026, 10, 5), "workday", name="本地更正")
    assert W.is_working_day(c, D(2026, 10, 5))
    W.set_calendar_day(school, D(2026, 10, 5), "holiday", name="国庆节")
    assert not W.is_working_day(c, D(2026, 10, 5))
    lib = [d for d in W.calendar_days(school, 2026) if d["source"] == "library"]
    assert {"date": "2026-10-10", "weekday": 5, "kind": "workday", "name": "国庆节",
            "source": "library"} in lib
    # history is append-only
    import sqlite3
    with pytest.raises(sqlite3.DatabaseError):
        c.execute("DELETE FROM calendar_days")


def test_set_refuses_bad_input_and_writes_nothing(school):
    with pytest.raises(Refused) as e:
        W.set_calendar_day(school, "2027-02-30", "holiday")
    assert e.value.findings[0].field == "日期"
    with pytest.raises(Refused) as e:
        W.set_calendar_day(school, "2027-02-01", "vacation")
    assert e.value.findings[0].field == "类型"
    assert school.conn.execute("SELECT COUNT(*) FROM calendar_days").fetchone()[0] == 0


def test_import_csv_and_xlsx(school, tmp_path):
    p = tmp_path / "2027.csv"
    p.write_text("日期,类型,名称\n2027-01-01,放假,元旦\n2027/2/6,上班,春节调休\n20270208,holiday,春节\n",
                 encoding="utf-8")
    r = W.import_calendar(school, p)
    assert r == {"rows": 3, "years": [2027]}
    assert W.is_working_day(school.conn, D(2027, 2, 6))
    assert not W.is_working_day(school.conn, D(2027, 2, 8))
    bad = tmp_path / "bad.csv"
    bad.write_text("2027-05-01,放假,劳动节\n2027-13-01,放假,x\n2027-05-03,休息,y\n", encoding="utf-8")
    with pytest.raises(Refused) as e:
        W.import_calendar(school, bad)
    assert [(f.row, f.field) for f in e.value.findings] == [(2, "日期"), (3, "类型")]
    assert W.is_working_day(school.conn, D(2027, 5, 3))  # nothing of the bad file was written
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["日期", "类型", "名称"])
    ws.append([dt.datetime(2027, 5, 3), "放假", "劳动节"])
    x = tmp_path / "2027.xlsx"
    wb.save(x)
    assert W.import_calendar(school, x)["rows"] == 1
    assert not W.is_working_day(school.conn, D(2027, 5, 3))


@pytest.mark.parametrize("d,n,expect", [
    (D(2026, 1, 31), 1, D(2026, 2, 28)), (D(2024, 1, 31), 1, D(2024, 2, 29)),
    (D(2026, 8, 31), 1, D(2026, 9, 30)), (D(2026, 12, 15), 1, D(2027, 1, 15)),
    (D(2026, 3, 31), -1, D(2026, 2, 28)), (D(2026, 5, 10), 24, D(2028, 5, 10)),
])
def test_add_months(d, n, expect):
    assert W.add_months(d, n) == expect
