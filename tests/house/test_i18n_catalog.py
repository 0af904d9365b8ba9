"""One translation catalog for every user-facing text (resources/i18n/zh_CN.json, read by app/core/i18n.py
and re-exported by ui/common/i18n.py): every key the code names exists, placeholders agree between the texts
and their call sites, and app/ and db/ write no Chinese string literal of their own
outside docstrings and the data tables allowed below — so the rule cannot silently regress.
(tests/house/test_ui_i18n.py adds the UI's checks: built keys, widget texts, and that every key is used.)"""
from __future__ import annotations

import json
from collections import Counter

import pytest

from app.core import i18n
from app.core.paths import resource
from tests.i18n_scan import chinese_literals, module_level_names, names_keys, placeholders, sources, tr_calls

LAYERS = ("app", "db", "ui")

# Modules that are data, not UI: every Chinese literal in them is allowed.
ALLOWED_MODULES = {
    "app/school/demo.py": "the demo generator's data: surnames, given names, streets, villages, employers, school "
                   "names, the demo batch label (its messages go through the catalog all the same)",
}

# Module-level data tables that must stay as written, by module and name, with the reason.
ALLOWED_TABLES = {
    ("app/students/idcard.py", "HKMOTW_CODES"): "division names of the permit codes (same data as resources/divisions)",
    ("app/students/idcard.py", "_GENERIC_PARENTS"): "division names matched against resources/divisions/divisions.tsv",
    ("app/students/idcard.py", "_LEGACY_SUFFIXES"): "historical GB/T 2260 district names (division data)",
    ("app/students/fields.py", "MEMBER_PREFIX"): "template vocabulary: the national template's member columns (成员1姓名)",
    ("app/students/fields.py", "MEMBER_PREFIX_ALIASES"): "template vocabulary: member-column prefixes accepted on import",
    ("app/students/fields.py", "MEMBERS_HEADING"): "template vocabulary: the heading of family-member findings (the UI matches it)",
    ("app/students/fields.py", "_HEADER_FOLD"): "input normalisation: full-width brackets in header names",
    ("app/students/record_io.py", "STATUS_KEY"): "record format: a key of `xueji student show --json`, read back by `student add`",
    ("app/students/record_io.py", "GRADE_KEY"): "record format: roster column skipped on import",
    ("app/students/record_io.py", "CLASS_NAME_KEY"): "record format: a key of `xueji student show --json`",
    ("app/students/record_io.py", "CLASS_ID_KEY"): "record format: a key of `xueji student show --json` and `--set`",
    ("app/exchange/template_io.py", "IGNORED_HEADERS"): "template vocabulary: roster columns without a template field",
    ("app/exchange/sheet_writer.py", "_STYLES"): "the .xlsx style sheet: the font name 宋体 (file format data)",
    ("app/exchange/export_service.py", "ALL_STATUSES"): "input grammar: words that select every status",
    ("app/exchange/export_service.py", "_FULLWIDTH_COMMA"): "input grammar: separator accepted between statuses",
    ("app/core/textnorm.py", "_FW"): "input normalisation: full-width digits and punctuation to ASCII",
    ("app/core/textnorm.py", "_DATE8_SPELLED"): "input grammar: dates typed as 2011年1月1日",
    ("app/core/textnorm.py", "_YM6_SPELLED"): "input grammar: months typed as 2011年1月",
    ("app/school/service.py", "_STAGE_SPLIT"): "input grammar: separators accepted between stages (，、)",
}


def _catalog_pairs() -> list[tuple[str, str]]:
    return json.loads(resource("i18n", "zh_CN.json").read_text(encoding="utf-8"), object_pairs_hook=list)


def test_catalog_defines_each_key_once():
    twice = [k for k, n in Counter(k for k, _ in _catalog_pairs()).items() if n > 1]
    assert not twice  # json.loads would silently keep the last one


def test_every_literal_key_exists():
    missing = sorted({(c.path, c.line, c.key) for c in tr_calls(*LAYERS) if c.key and not i18n.has(c.key)})
    missing += sorted((p, line, k) for p, line, k in names_keys(*LAYERS) if k is None or not i18n.has(k))
    assert not missing


def test_app_and_db_name_their_keys_literally():
    """Keys built at run time cannot be checked; the UI lists its few in tests/house/test_ui_i18n.py."""
    built = [(c.path, c.line) for c in tr_calls("app", "db") if c.key is None]
    assert not built


def test_call_sites_pass_exactly_the_placeholders_their_text_uses():
    """tr() formats only when given keywords: a keyword the text does not use is a mistake, a
    placeholder without its keyword raises KeyError (or, with no keywords at all, shows "{name}")."""
    texts = i18n.catalog()
    bad = []
    for c in tr_calls(*LAYERS):
        if c.key is None or c.key not in texts or c.kwargs is None:
            continue
        want = placeholders(texts[c.key])
        if c.kwargs != want:
            bad.append((c.path, c.line, c.key, sorted(c.kwargs - want), sorted(want - c.kwargs)))
        elif not c.kwargs and ("{" in texts[c.key] or "}" in texts[c.key]):
            bad.append((c.path, c.line, c.key, "braces in a text shown without formatting"))
    for path, line, key in names_keys(*LAYERS):
        if key in texts and placeholders(texts[key]):
            bad.append((path, line, key, "Names() texts are shown without formatting"))
    assert not bad


def test_placeholder_names_are_plain():
    for key, text in i18n.catalog().items():
        assert all(n.isidentifier() and n == n.lower() for n in placeholders(text)), (key, text)


def test_no_chinese_string_literals_in_app_and_db():
    """User-facing text in app/ and db/ goes through tr(); Chinese may appear only in docstrings,
    comments, the data modules and the module-level data tables allowed above."""
    bad = []
    for path in sources("app", "db"):
        if path in ALLOWED_MODULES:
            continue
        allowed = {name for (p, name) in ALLOWED_TABLES if p == path}
        bad += [(path, line, text) for line, text in chinese_literals(path, allowed)]
    assert not bad


def test_allow_list_names_real_data():
    """Every allowed table exists at module level and holds Chinese (else drop it from the list)."""
    stale = []
    for (path, name), reason in ALLOWED_TABLES.items():
        allowed = {n for (p, n) in ALLOWED_TABLES if p == path}
        if (name not in module_level_names(path) or not reason
                or len(chinese_literals(path, allowed - {name})) == len(chinese_literals(path, allowed))):
            stale.append((path, name))
    assert not stale
    for path in ALLOWED_MODULES:
        assert chinese_literals(path), path


@pytest.mark.parametrize("probe", ["一年级（1）班", "ab{c}d"])
def test_placeholder_values_are_not_reformatted(probe):
    assert i18n.tr("err.field", field=probe) == f"「{probe}」"


def test_ui_reexports_the_same_catalog():
    from ui.common import i18n as ui_i18n

    assert ui_i18n.tr is i18n.tr and ui_i18n.catalog is i18n.catalog and ui_i18n.has is i18n.has


def test_names_table_follows_the_catalog():
    from app.school.classes import GRADE_NAMES, grade_name
    from app.school.service import STAGE_NAMES

    assert STAGE_NAMES["primary"] == i18n.tr("school.stage.primary") == "小学"
    assert dict(STAGE_NAMES) == {"primary": "小学", "junior": "初中", "senior": "高中"}
    assert 3 in GRADE_NAMES and 13 not in GRADE_NAMES
    assert grade_name(10) == "高一" and grade_name(13) == "13年级"


def test_tr_is_a_lookup():
    """No file read per call: the importer and the demo call tr() for every row they refuse or store."""
    import time

    i18n.tr("err.row", row=1)
    n = 20000
    t = time.perf_counter()
    for i in range(n):
        i18n.tr("err.row", row=i)
    assert (time.perf_counter() - t) / n < 50e-6  # about 0.5 µs in practice
