"""app/students/idcard.py: GB 11643 numbers, residence permits, foreigners' cards, legacy numbers, the division table."""
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from app.students import idcard
from app.students.idcard import IdError, IdInfo, check_digit, division_name, is_known_division, normalize_id, parse_id

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 3, 1)


def err(s, **kw):
    kw.setdefault("today", TODAY)
    with pytest.raises(IdError) as ei:
        parse_id(s, **kw)
    return ei.value


# ------------------------------------------------------------------ national-system.md §5.1 vectors

@pytest.mark.parametrize("number, birth, gender, code", [
    ("11010519491231002X", dt.date(1949, 12, 31), "2", "110105"),
    ("53010219200508011X", dt.date(1920, 5, 8), "1", "530102"),
    ("360426199101010071", dt.date(1991, 1, 1), "1", "360426"),
])
def test_doc_valid_vectors(number, birth, gender, code):
    info = parse_id(number, today=TODAY)
    assert info == IdInfo(number, "resident", birth, gender, code, info.division_name)
    assert info.division_name


def test_doc_valid_vector_names():
    assert parse_id("11010519491231002X").division_name == "北京市朝阳区"
    assert parse_id("53010219200508011X").division_name == "云南省昆明市五华区"
    assert parse_id("360426199101010071").division_name == "江西省九江市德安县"


@pytest.mark.parametrize("number, gender", [("440524188001010014", "1"), ("440524188001015368", "2")])
def test_doc_1880_vectors_are_valid(number, gender):
    # GB 11643's own examples (born 1880) are valid numbers: national-system.md §5.1.
    info = parse_id(number)
    assert info.gender == gender
    assert info.birth_date.isoformat() == "1880-01-01"


def test_birth_before_1850_refused():
    n17 = "44052418490101001"
    e = err(n17 + check_digit(n17))
    assert e.code == "id_birth_date"


def test_doc_invalid_check_digit():
    e = err("110105194912310021")
    assert e.code == "id_check_digit"
    assert e.message.startswith("身份证件号校验位错误：按 GB 11643 应为 X，实际为 1")


def test_doc_invalid_date_feb_31():
    e = err("110105194902310026")
    assert e.code == "id_birth_date"
    assert "1949-02-31" in e.message


@pytest.mark.parametrize("number, code, name", [
    ("810000199001010019", "810000", "香港特别行政区"),
    ("820000200506150022", "820000", "澳门特别行政区"),
    ("830000201003010032", "830000", "台湾省"),
])
def test_doc_hk_macau_taiwan_permits(number, code, name):
    info = parse_id(number, today=TODAY)
    assert (info.kind, info.division_code, info.division_name) == ("hkmotw_permit", code, name)
    assert info.birth_date == dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert info.gender == ("1" if int(number[16]) % 2 else "2")


def test_permit_with_bad_check_digit_refused():
    assert err("810000199001010018").code == "id_check_digit"


def test_other_8x_codes_are_not_permits():
    assert err("81010019900101" + "001" + check_digit("81010019900101001")).code == "id_division"


# ------------------------------------------------------------------ normalisation

def test_lower_case_x():
    assert parse_id("11010519491231002x").number == "11010519491231002X"


def test_full_width_and_spaces():
    assert normalize_id("１１０１０５　１９４９１２３１００２ｘ") == "11010519491231002X"
    assert normalize_id(" 110105 19491231 002Ｘ\t") == "11010519491231002X"
    assert parse_id("１１０１０５１９４９１２３１００２Ｘ", today=TODAY).gender == "2"


def test_normalize_empty():
    assert normalize_id("") == "" and normalize_id(None) == ""
    assert err("  ").code == "id_empty"


# ------------------------------------------------------------------ shape

@pytest.mark.parametrize("s", ["1101051949123100", "11010519491231002X1", "1"])
def test_length(s):
    e = err(s)
    assert e.code == "id_length"
    assert f"实际为 {len(s)} 位" in e.message


@pytest.mark.parametrize("s, pos", [("11010519491231002Y", 18), ("1101051949123100X2", 17), ("A1010519491231002X", 1)])
def test_chars(s, pos):
    e = err(s)
    assert e.code == "id_chars"
    assert f"第 {pos} 位" in e.message


# ------------------------------------------------------------------ dates

def test_feb_29_leap_year_ok():
    info = parse_id("411602201202290020", today=TODAY)
    assert info.birth_date == dt.date(2012, 2, 29)
    assert info.gender == "2"
    assert info.division_name == "河南省周口市川汇区"


def test_feb_29_non_leap_year_refused():
    assert check_digit("41160220130229002") == "8"  # the checksum is fine; only the date is impossible
    e = err("411602201302290028")
    assert e.code == "id_birth_date" and "2013-02-29" in e.message


def test_future_birth_refused():
    e = err("411602299901010014")
    assert e.code == "id_future_birth"
    assert "2999-01-01" in e.message


def test_future_relative_to_today_parameter():
    number = "411602201203150011"
    assert parse_id(number, today=dt.date(2012, 3, 15)).birth_date == dt.date(2012, 3, 15)
    assert err(number, today=dt.date(2012, 3, 14)).code == "id_future_birth"


# ------------------------------------------------------------------ division codes

def test_historical_abolished_division_accepted():
    info = parse_id("440524198506120031", today=TODAY)  # 潮阳县 440524, abolished 1993
    assert (info.division_code, info.division_name) == ("440524", "广东省汕头市潮阳县")
    info = parse_id("412702199501010048", today=TODAY)  # 项城市 412702 (1993-1999), now 411681
    assert info.division_name == "河南省周口地区项城市"


def test_historical_code_accepted_outside_its_years():
    # "a code that existed at any time is OK": 440524 with a 2010 birth date
    n17 = "44052420100101003"
    assert parse_id(n17 + check_digit(n17), today=TODAY).kind == "resident"


# (18-digit numbers starting with 9 are foreigners' 2023 cards, so "99xxxx" is tested as a legacy number below)
@pytest.mark.parametrize("prefix6", ["000000", "100000", "190000", "119900", "415599", "710000", "110120"])
def test_unknown_division_refused(prefix6):
    n17 = prefix6 + "20100101001"
    e = err(n17 + check_digit(n17))
    assert e.code == "id_division"
    assert prefix6 in e.message


def test_recent_division_codes_present():
    assert parse_id("350404202201010014", today=TODAY).division_name == "福建省三明市三元区"  # created 2021


def test_division_name_levels_and_years():
    assert division_name("411602") == "河南省周口市川汇区"
    assert division_name("410000") == "河南省"
    assert division_name("411600") == "河南省周口市"
    assert division_name("110105") == "北京市朝阳区"
    assert division_name("120110") == "天津市东丽区"
    assert division_name("120110", 1990) == "天津市东郊区"
    assert division_name("999999") is None
    assert division_name("abc") is None


def test_legacy_district_suffix_fallback():
    # xxxx20 "市区" (1980/82 scheme) under a real prefecture: accepted; under a 市辖区 pseudo-prefecture: not.
    assert is_known_division("440420") and division_name("440420") == "广东省珠海市市区"
    assert not is_known_division("110120")


# ------------------------------------------------------------------ foreigners

def test_foreign_permanent_2023():
    info = parse_id("911840201003150014", today=TODAY)
    assert info == IdInfo("911840201003150014", "foreign_permanent_2023", dt.date(2010, 3, 15), None, None, None)


def test_foreign_permanent_2023_lenient_about_province_and_nationality():
    assert parse_id("999999201003150012", today=TODAY).kind == "foreign_permanent_2023"


def test_foreign_permanent_2023_check_digit_and_date():
    assert err("911840201003150013").code == "id_check_digit"
    assert err("911840201013150018").code == "id_birth_date"  # month 13, checksum correct
    n17 = "91184030000101001"
    assert err(n17 + check_digit(n17)).code == "id_future_birth"


def test_foreign_permanent_old():
    info = parse_id("usa110008012001", today=TODAY)
    assert (info.number, info.kind, info.birth_date, info.gender) == ("USA110008012001", "foreign_permanent_old", None, None)


def test_foreign_permanent_old_bad_shape():
    assert err("US1110008012001").code == "id_chars"


# ------------------------------------------------------------------ legacy 15-digit

def test_legacy15_refused_by_default():
    e = err("110105491231002")
    assert e.code == "id_legacy15"


def test_legacy15_when_allowed():
    info = parse_id("110105491231002", allow_legacy15=True, today=TODAY)
    assert info == IdInfo("110105491231002", "legacy15", dt.date(1949, 12, 31), "2", "110105", "北京市朝阳区")
    assert parse_id("110105491231001", allow_legacy15=True).gender == "1"


def test_legacy15_still_checks_date_and_division():
    assert err("110105490231002", allow_legacy15=True).code == "id_birth_date"
    assert err("990000491231002", allow_legacy15=True).code == "id_division"


# ------------------------------------------------------------------ error object, table loading

def test_error_is_value_error_with_code_and_message():
    e = err("110105194912310021")
    assert isinstance(e, ValueError) and str(e) == e.message


def test_table_is_not_loaded_at_import():
    code = "import app.students.idcard as m; assert m._table is None; m.parse_id('11010519491231002X'); assert m._table"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_table_file_shape():
    path = ROOT / "resources" / "divisions" / "divisions.tsv"
    assert path.stat().st_size < 500_000
    assert (ROOT / "resources" / "divisions" / "SOURCE.md").exists()
    t = idcard._load()
    assert len(t) > 7000
    assert all(len(c) == 6 and c.isdigit() for c in t)
    for code in ("110000", "410000", "411600", "411602", "810000", "820000", "830000"):
        assert code in t
