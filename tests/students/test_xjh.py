"""app/students/xjh.py: the national 学籍号 (G / J / L), national-system.md §1.2."""
import datetime as dt

import pytest

from app.students.xjh import XjhError, XjhInfo, is_valid_xjh, normalize_xjh, parse_xjh

ID = "11010519491231002X"  # valid GB 11643 number (female, 1949-12-31)
OTHER_ID = "360426199101010071"
J_OK = "J411602201203150011"  # 411602 + 20120315 + 001 + MOD 11-2 check '1'
L_OK = "L411602201203157391"  # 411602 + 20120315 + 4 random digits (MOD 11-2 would want '5': not enforced)


def err(s, **kw):
    with pytest.raises(XjhError) as ei:
        parse_xjh(s, **kw)
    return ei.value


# ------------------------------------------------------------------ normalisation, shape

def test_normalize():
    assert normalize_xjh(" g１１０１０５１９４９１２３１００２ｘ ") == "G" + ID
    assert normalize_xjh("j 4116 0220 1203 1500 11") == J_OK


@pytest.mark.parametrize("s, code", [
    ("", "xjh_empty"),
    ("A" + ID, "xjh_prefix"),
    ("G" + ID[:-1], "xjh_length"),
    ("G" + ID + "1", "xjh_length"),
    ("G1101051949123100XX", "xjh_chars"),
    ("L41160220120315739A", "xjh_chars"),
])
def test_shape_errors(s, code):
    assert err(s).code == code


def test_id_number_without_prefix_gets_hint():
    e = err(ID)
    assert e.code == "xjh_prefix"
    assert "G 加身份证件号" in e.message


# ------------------------------------------------------------------ G

def test_g_valid_same_as_id_number():
    info = parse_xjh("g" + ID.lower(), id_number=ID, birth_date=dt.date(1949, 12, 31))
    assert info == XjhInfo("G", ID, [], "G" + ID, dt.date(1949, 12, 31))


def test_g_id_number_in_other_notation_is_the_same():
    assert parse_xjh("G" + ID, id_number="１１０１０５１９４９１２３１００２ｘ").warnings == []


def test_g_body_differs_from_id_number_is_a_warning():
    info = parse_xjh("G" + ID, id_number=OTHER_ID)
    assert (info.prefix, info.body) == ("G", ID)
    assert len(info.warnings) == 1
    assert OTHER_ID in info.warnings[0] and "不同" in info.warnings[0]


def test_g_body_must_be_a_valid_id():
    e = err("G110105194912310021")
    assert e.code == "xjh_g_body"
    assert e.detail == "id_check_digit"
    assert "应为 X，实际为 1" in e.message
    assert err("G110105194902310026").detail == "id_birth_date"
    assert err("G000000201001010018").detail == "id_division"


def test_g_with_hk_permit_body():
    assert parse_xjh("G810000199001010019").birth_date == dt.date(1990, 1, 1)


def test_g_birth_date_mismatch_is_a_warning():
    info = parse_xjh("G" + ID, birth_date="1949-12-30")
    assert len(info.warnings) == 1 and "1949-12-30" in info.warnings[0]


# ------------------------------------------------------------------ J

def test_j_valid():
    info = parse_xjh(J_OK, birth_date=dt.date(2012, 3, 15))
    assert info == XjhInfo("J", "411602201203150011", [], J_OK, dt.date(2012, 3, 15))


def test_j_birth_date_as_text():
    assert parse_xjh(J_OK, birth_date="20120315").warnings == []
    assert parse_xjh(J_OK, birth_date="2012-03-15").birth_date == dt.date(2012, 3, 15)


def test_j_birth_date_mismatch_is_an_error_naming_both():
    e = err(J_OK, birth_date=dt.date(2012, 3, 16))
    assert e.code == "xjh_birth_mismatch"
    assert "2012-03-15" in e.message and "2012-03-16" in e.message


def test_j_check_digit():
    e = err("J411602201203150012", birth_date=dt.date(2012, 3, 15))
    assert e.code == "xjh_check_digit"
    assert "应为 1，实际为 2" in e.message


def test_j_invalid_date_in_body():
    assert err("J411602201202300014").code == "xjh_birth_date"  # Feb 30, check digit right


def test_j_without_birth_date_only_checks_structure():
    assert parse_xjh(J_OK).birth_date == dt.date(2012, 3, 15)


# ------------------------------------------------------------------ L

def test_l_valid_no_check_digit_enforced():
    info = parse_xjh(L_OK, birth_date=dt.date(2012, 3, 15))
    assert info == XjhInfo("L", "411602201203157391", [], L_OK, dt.date(2012, 3, 15))


def test_l_birth_date_mismatch():
    e = err(L_OK, birth_date=dt.date(2011, 3, 15))
    assert e.code == "xjh_birth_mismatch"
    assert "2012-03-15" in e.message and "2011-03-15" in e.message


def test_l_invalid_date_in_body():
    assert err("L411602201302297391").code == "xjh_birth_date"  # 2013-02-29
    assert err("L411602299901017391").code == "xjh_birth_date"  # future


def test_l_feb_29_leap_year():
    assert parse_xjh("L411602201202297391").birth_date == dt.date(2012, 2, 29)


def test_l_ending_in_x_is_accepted_with_warning():
    info = parse_xjh("l41160220120315739x")
    assert info.body == "41160220120315739X"
    assert len(info.warnings) == 1 and "X" in info.warnings[0]


def test_is_valid_and_error_type():
    assert is_valid_xjh(J_OK) and not is_valid_xjh("J411602201203150012")
    assert isinstance(err("X"), ValueError)
