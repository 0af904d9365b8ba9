"""Every UI string goes through the one catalog (resources/i18n/zh_CN.json): each key the code uses
exists, placeholders fill, and no widget text is written in Chinese inside ui/*.py."""
from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from ui.common import i18n

UI = Path(__file__).resolve().parents[2] / "ui"
LITERAL_KEY = re.compile(r"""\btr\(\s*["']([a-z_]+(?:\.[a-z_0-9]+)+)["']""")
FSTRING_KEY = re.compile(r"""\btr\(\s*f["']([a-z_.]+)\{""")
# Keys built from tables in the code (f-strings): the prefix and every suffix the code uses.
BUILT_KEYS = {
    "roster.col.": ["class", "name", "gender", "birth_date", "id_number", "xueji_no", "ethnicity", "status"],
    "history.col.": ["time", "field", "old", "new", "by", "reason", "evidence"],
    "import.col.": ["row", "column", "reason", "rule"],
    "first.col.": ["stage", "grade", "count", "entry_year", "capacity", "code"],
    "school.": ["principal", "registrar", "phone", "registrar_phone", "address", "division_code"],
    "field.placeholder.": ["date8", "ym6", "division12", "phone", "postcode", "number", "idnumber", "xjh"],
}


def _sources():
    return {str(p.relative_to(UI)): p.read_text(encoding="utf-8") for p in sorted(UI.rglob("*.py"))}


def test_every_literal_key_is_in_the_catalog():
    missing = {(name, key) for name, src in _sources().items() for key in LITERAL_KEY.findall(src)
               if not i18n.has(key)}
    assert not missing


def test_every_built_key_is_in_the_catalog():
    prefixes = {p for src in _sources().values() for p in FSTRING_KEY.findall(src)}
    prefixes |= {"roster.col.", "field.placeholder."}  # built in roster_model / field_widgets tables
    assert prefixes <= set(BUILT_KEYS), prefixes - set(BUILT_KEYS)
    missing = [p + s for p, suffixes in BUILT_KEYS.items() for s in suffixes if not i18n.has(p + s)]
    assert not missing


def test_no_unused_keys():
    """The catalog is shared with app/ and db/ (tests/house/test_i18n_catalog.py): their keys count as used."""
    from tests.i18n_scan import keys_named_in

    text = "\n".join(_sources().values())
    used = set(LITERAL_KEY.findall(text)) | {p + s for p, ss in BUILT_KEYS.items() for s in ss}
    used |= keys_named_in("app", "db")
    unused = sorted(set(i18n.catalog()) - used)
    assert not unused


def test_missing_key_fails_loudly():
    with pytest.raises(KeyError):
        i18n.tr("no.such.key")


def test_placeholders_are_filled():
    assert i18n.tr("tree.class", name="一年级（1）班", count=42) == "一年级（1）班　42人"
    for key, text in i18n.catalog().items():
        names = [f for _, f, _, _ in string.Formatter().parse(text) if f]
        assert all(re.fullmatch(r"[a-z_]+", n) for n in names), (key, names)


def test_no_chinese_string_literals_in_ui_code():
    """Widget texts live in the catalog; Chinese in ui/*.py may only appear in comments, docstrings
    and the few data constants that match app/ data (field headers such as 班号, 家庭成员)."""
    allowed = {"班号", "家庭成员", "成员{n}{fd.header}", "学生个人", "学生", "，", "、", "成员"}
    han = re.compile(r"[\u4e00-\u9fff]")
    bad = []
    for name, src in _sources().items():
        code = re.sub(r'"""[\s\S]*?"""', "", src)
        code = re.sub(r"#.*", "", code)
        for lit in re.findall(r'f?"([^"\n]*)"', code):
            if han.search(lit) and lit not in allowed:
                bad.append((name, lit))
    assert not bad

