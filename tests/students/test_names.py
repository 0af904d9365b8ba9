"""app/students/names.py: name normalisation, validation and the pinyin used by search."""
import pytest

from app.students.names import MIDDLE_DOT, name_problem, normalize_name, pinyin_of


@pytest.mark.parametrize("typed, stored", [
    ("阿依古丽•买买提", "阿依古丽·买买提"), ("阿依古丽・买买提", "阿依古丽·买买提"), ("阿依古丽 . 买买提", "阿依古丽·买买提"),
    (" 王 珺喆 ", "王珺喆"), ("𠮷田", "𠮷田"), ("ＪＯＨＮ", "JOHN"),
])
def test_normalize(typed, stored):
    assert normalize_name(typed) == stored


@pytest.mark.parametrize("name", ["张三丰", "𠮷田", "李堃", "王喆", "䶮龑", "阿依古丽·买买提", "Anna Smith"])
def test_valid_names(name):
    assert name_problem(normalize_name(name)) is None


@pytest.mark.parametrize("name, part", [("李1", "数字"), ("", "不能为空"), ("·张三", "间隔号"),
                                        ("张三·", "间隔号"), ("张··三", "间隔号"), ("张@三", "@")])
def test_invalid_names(name, part):
    assert part in name_problem(name)


def test_pinyin_and_initials_including_rare_characters():
    assert pinyin_of("张三丰") == ("zhangsanfeng", "zsf")
    assert pinyin_of("𠮷田") == ("jitian", "jt")  # 𠮷 comes from resources/pinyin_extra.json
    assert pinyin_of("阿依古丽" + MIDDLE_DOT + "买买提")[1] == "ayglmmt"
