"""Fuzzed print templates and rule files (hypothesis, derandomized).

The real files (resources/templates/*.toml, resources/rules/**/*.toml) are mutated as text — a value
replaced by one of another type (number, string, list, table, boolean, date, huge), a line deleted or
duplicated, random characters inserted, the file cut short — and written to a temporary file. A
template goes through app.printing.load_template; a rule file becomes a temporary profile ``fuzz`` in a
copy of resources/rules (the engine's resource lookup points at the copy) and goes through
app.rules.engine.load_profile. Every case ends in a loaded template/profile or the module's own clear
error (TemplateError / ProfileError) naming the file — never another exception."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.paths import resource
from app.printing.template import TemplateError, load_template
from app.rules import engine

EXAMPLES = int(os.environ.get("XUEJI_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES * 2, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])



def _loads(p: Path) -> bool:
    try:
        load_template(p)
        return True
    except TemplateError:  # e.g. change-forms.toml, which is not a template but the forms' index
        return False


TEMPLATES = [p for p in sorted(resource("templates").glob("*.toml")) if _loads(p)]
RULE_FILES = sorted(resource("rules").rglob("*.toml"))
LITERALS = ['1', '-1', '0', '1e400', '3.5', 'nan', 'inf', '"x"', '""', '"{name}{"', '"{0}"', 'true', 'false',
            '[]', '[1, "a"]', '[[1]]', '{}', '{ a = 1 }', '{ width_mm = "x" }', '1979-05-27',
            '1979-05-27T07:32:00Z', '07:32:00', '"' + "长" * 5000 + '"', '99999999999999999999', '[{}]',
            '"change.transfer-out"', '["nope.event"]', '"BLOCK"', '"BLOCK*"', '"WARN"']
ASSIGN = re.compile(r"^(\s*[A-Za-z0-9_.\-\"]+\s*=\s*)(.*)$")


@st.composite
def mutated(draw, texts: list[str]):
    text = draw(st.sampled_from(texts))
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["value", "value", "value", "delete", "duplicate", "insert", "header"]))
        i = draw(st.integers(0, max(0, len(lines) - 1)))
        if op == "value":
            assigns = [n for n, ln in enumerate(lines) if ASSIGN.match(ln)]
            if assigns:
                n = draw(st.sampled_from(assigns))
                lines[n] = ASSIGN.match(lines[n]).group(1) + draw(st.sampled_from(LITERALS))
        elif op == "delete" and lines:
            lines.pop(i)
        elif op == "duplicate" and lines:
            lines.insert(i, lines[i])
        elif op == "header":
            lines.insert(i, draw(st.sampled_from(["[page]", "[[element]]", "[[rules]]", "[defaults]", "[x.y]",
                                                  "rules = 3", "element = \"x\"", "page = 1", "disable = \"r\"",
                                                  "inherits = \"national\"", "inherits = \"fuzz\"",
                                                  "inherits = 5", "stages = 7"])))
        else:
            lines.insert(i, draw(st.text(max_size=30)))
    out = "\n".join(lines)
    if draw(st.integers(0, 9)) == 0:
        out = out[: draw(st.integers(0, len(out)))]
    return out


SEEN: dict[str, int] = {}


def note(k: str) -> None:
    SEEN[k] = SEEN.get(k, 0) + 1


def test_fuzzed_templates_load_or_say_which_file(tmp_path):
    texts = [p.read_text(encoding="utf-8") for p in TEMPLATES]
    path = tmp_path / "fuzz-template.toml"

    @FUZZ
    @given(mutated(texts))
    def run(text):
        path.write_text(text, encoding="utf-8")
        try:
            load_template(path)
        except TemplateError as e:
            assert e.findings and str(path) in e.findings[0].message, e.findings
            note("template:error")
        else:
            note("template:ok")

    run()
    assert SEEN.get("template:error") and SEEN.get("template:ok"), SEEN


def test_every_bundled_template_and_rule_file_still_loads():
    """The base of the fuzzing is good: the property is not vacuous."""
    assert len(TEMPLATES) >= 10
    for pid in engine.available_profiles():
        assert engine.load_profile(pid).rules


@pytest.fixture
def rules_copy(tmp_path, monkeypatch):
    """A copy of resources/ rules the engine reads instead of the real folder (the real files are never
    touched; other engineers' tests read them at the same time)."""
    root = tmp_path / "resources"
    shutil.copytree(resource("rules"), root / "rules")
    monkeypatch.setattr(engine, "resource", lambda *parts: root.joinpath(*parts))
    engine.load_profile.cache_clear()
    yield root / "rules"
    engine.load_profile.cache_clear()


def test_fuzzed_rule_files_load_or_say_which_file(rules_copy):
    texts = [p.read_text(encoding="utf-8") for p in RULE_FILES]
    path = rules_copy / "fuzz.toml"

    @FUZZ
    @given(mutated(texts))
    def run(text):
        path.write_text(text, encoding="utf-8")
        engine.load_profile.cache_clear()
        try:
            engine.load_profile("fuzz")
        except engine.ProfileError as e:
            assert "fuzz" in str(e), str(e)
            note("rules:error")
        else:
            note("rules:ok")

    run()
    assert SEEN.get("rules:error") and SEEN.get("rules:ok"), SEEN


def test_fuzz_outcomes_printed():
    print("fuzz template/rule outcomes:", dict(sorted(SEEN.items())))
