"""The set-up files agree with each other: README's two commands, .ci/run, pyproject, build.spec."""
import re
import shlex
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def readme_commands():
    """The commands of the README's first fenced block, which must open the file."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    fence = next(i for i, line in enumerate(lines) if line.startswith("```"))
    before = [line for line in lines[:fence] if line.strip()]
    # Only a title line and at most one sentence may come before the commands.
    assert len(before) <= 2, before
    if before:
        assert before[0].startswith("# "), before[0]
    end = next(i for i in range(fence + 1, len(lines)) if lines[i].startswith("```"))
    commands = [line.split("#", 1)[0].strip() for line in lines[fence + 1:end]]
    return [c for c in commands if c]


def test_readme_starts_with_the_two_setup_commands():
    commands = readme_commands()
    assert commands == ["bash scripts/bootstrap.sh app", "bash scripts/bootstrap.sh test"]
    for command in commands:
        argv = shlex.split(command)
        assert argv[0] == "bash"
        assert (ROOT / argv[1]).is_file(), argv[1]


def test_ci_runs_the_readme_test_command():
    test_command = readme_commands()[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "set -euo pipefail" in ci
    assert test_command in [line.strip() for line in ci.splitlines()]


def test_bootstrap_script_is_valid_bash_and_rejects_unknown_modes():
    script = ROOT / "scripts" / "bootstrap.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    done = subprocess.run(["bash", str(script), "nonsense"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "usage:" in done.stderr


def test_bootstrap_treats_no_tests_collected_as_failure():
    text = (ROOT / "scripts" / "bootstrap.sh").read_text(encoding="utf-8")
    assert re.search(r"rc\s*==\s*5", text)


PINNED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9_,.-]+\])?==[A-Za-z0-9.+!-]+(\s*;.*)?$")


def test_runtime_dependencies_are_pinned_exactly():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = project["dependencies"]
    assert deps
    unpinned = [d for d in deps if not PINNED.match(d.strip())]
    assert not unpinned, f"pin these with ==: {unpinned}"


def test_entry_points_match_the_packaging_launchers():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"]["xueji"] == "app.cli:main"
    assert project["gui-scripts"]["xueji-gui"] == "ui.main:main"
    gui = (ROOT / "packaging" / "xueji_gui.py").read_text(encoding="utf-8")
    cli = (ROOT / "packaging" / "xueji_cli.py").read_text(encoding="utf-8")
    assert "from ui.main import main" in gui and "freeze_support()" in gui
    assert "from app.cli import main" in cli and "freeze_support()" in cli


@pytest.mark.parametrize(
    "relpath", ["build.spec", "packaging/xueji_gui.py", "packaging/xueji_cli.py"]
)
def test_packaging_files_parse_as_python(relpath):
    source = (ROOT / relpath).read_text(encoding="utf-8")
    compile(source, relpath, "exec")


def test_build_spec_bundles_resources_and_both_executables():
    spec = (ROOT / "build.spec").read_text(encoding="utf-8")
    assert '"resources"), "resources")' in spec
    assert 'name="xueji-gui"' in spec and 'name="xueji"' in spec
    # db/archive.py reads db/migrations/*.sql next to its module, also when frozen.
    assert 'package_data("app", "db", "ui")' in spec
