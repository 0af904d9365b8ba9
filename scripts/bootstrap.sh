#!/usr/bin/env bash
# Set up Xueji's development environment when needed, then run it.
#
#   bash scripts/bootstrap.sh app  [ARGS]        -> .venv/bin/xueji-gui ARGS
#   bash scripts/bootstrap.sh test [PYTEST ARGS] -> pytest, offscreen Qt
#
# Set-up (each step only when missing, so a second run costs well under a second):
#   1. system libraries Qt needs (checked by soname with `ldconfig -p`); installed with
#      apt-get when root, otherwise the exact `sudo apt-get install ...` line is printed;
#   2. a Python >= 3.11 (python3, python3.13, python3.12, python3.11; or $XUEJI_PYTHON);
#      python3-venv as well when that python is Debian's and cannot make a venv;
#   3. .venv + `pip install -e '.[dev]'`, redone whenever pyproject.toml is newer than
#      the stamp file .venv/.xueji-bootstrap.
# Library lists: docs/reference/platform-notes.md §1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv"
STAMP="$VENV/.xueji-bootstrap"
MIN_PY="3.11"

say() { printf 'bootstrap: %s\n' "$*" >&2; }
die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 1; }

usage() {
    cat >&2 <<'EOF'
usage: bash scripts/bootstrap.sh app  [ARGS]         set up if needed, open Xueji (xueji-gui ARGS)
       bash scripts/bootstrap.sh test [PYTEST ARGS]  set up if needed, run the test suite
EOF
    exit "${1:-2}"
}

MODE="${1:-}"
case "$MODE" in
    app | test) shift ;;
    -h | --help) usage 0 ;;
    *) usage ;;
esac

# --- 1. system libraries --------------------------------------------------------------
# "debian-package:soname" — the soname is what Qt's loader asks for; the package owns it.
LIBS_OFFSCREEN=(
    libgl1:libGL.so.1
    libegl1:libEGL.so.1
    libxkbcommon0:libxkbcommon.so.0
    libglib2.0-0:libglib-2.0.so.0
    libfontconfig1:libfontconfig.so.1
    libdbus-1-3:libdbus-1.so.3
)
LIBS_MULTIMEDIA=(
    libpulse0:libpulse.so.0
    libxrandr2:libXrandr.so.2
)
# xcb platform plugin; Qt's "xcb-cursor0 is needed" message hides which one is missing.
LIBS_XCB=(
    libxkbcommon-x11-0:libxkbcommon-x11.so.0
    libxcb-cursor0:libxcb-cursor.so.0
    libxcb-icccm4:libxcb-icccm.so.4
    libxcb-keysyms1:libxcb-keysyms.so.1
    libxcb-shape0:libxcb-shape.so.0
)

wanted=("${LIBS_OFFSCREEN[@]}" "${LIBS_MULTIMEDIA[@]}")
if [[ "$MODE" == app ]]; then
    case "${QT_QPA_PLATFORM:-}" in
        offscreen* | minimal* | vnc*) ;;
        *) wanted+=("${LIBS_XCB[@]}") ;;
    esac
fi

ldconfig_bin="$(command -v ldconfig || true)"
[[ -n "$ldconfig_bin" ]] || for c in /sbin/ldconfig /usr/sbin/ldconfig; do
    [[ -x "$c" ]] && ldconfig_bin="$c" && break
done
[[ -n "$ldconfig_bin" ]] || die "ldconfig not found; cannot check Qt's system libraries"
# On a 64-bit system, an i386 copy of a library (tag "(libc6)") does not count.
want64=""
[[ "$(getconf LONG_BIT 2>/dev/null)" == 64 ]] && want64=1
declare -A have_soname=()
while read -r soname tag _; do
    [[ -n "$soname" ]] || continue
    [[ -n "$want64" && "$tag" != *64* ]] && continue
    have_soname["$soname"]=1
done < <("$ldconfig_bin" -p 2>/dev/null | tail -n +2)

missing_pkgs=()
missing_libs=()
for entry in "${wanted[@]}"; do
    pkg="${entry%%:*}"
    soname="${entry#*:}"
    if [[ -z "${have_soname[$soname]:-}" ]]; then
        missing_pkgs+=("$pkg")
        missing_libs+=("$soname")
    fi
done

# --- 2. a Python >= 3.11 (only needed to create .venv) --------------------------------
venv_ok() {
    [[ -x "$VENV/bin/python" ]] &&
        "$VENV/bin/python" -c "import sys; sys.exit(sys.version_info < (${MIN_PY/./,}))" 2>/dev/null
}

PY=""
if ! venv_ok; then
    for cand in ${XUEJI_PYTHON:-} python3 python3.13 python3.12 python3.11 python; do
        path="$(command -v "$cand" 2>/dev/null)" || continue
        # pyenv shims exist for versions that are not installed; ask the interpreter itself.
        if "$path" -c "import sys; sys.exit(sys.version_info < (${MIN_PY/./,}))" >/dev/null 2>&1; then
            PY="$path"
            break
        fi
    done
    [[ -n "$PY" ]] || die "no Python >= $MIN_PY found (tried python3, python3.13, python3.12, python3.11; set XUEJI_PYTHON=/path/to/python)"

    # Debian/Ubuntu strip ensurepip from the system python; venv then needs pythonX.Y-venv.
    if ! "$PY" -c "import ensurepip" >/dev/null 2>&1 ||
        { command -v dpkg-query >/dev/null && dpkg-query -S "$(readlink -f "$PY")" >/dev/null 2>&1; }; then
        pyver="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
        venv_pkg="python${pyver}-venv"
        if command -v dpkg-query >/dev/null &&
            [[ "$(dpkg-query -W -f='${Status}' "$venv_pkg" 2>/dev/null)" != "install ok installed" ]]; then
            # python3-venv is the name people know; use it when it matches the default python3.
            if [[ "$(readlink -f "$PY")" == "$(readlink -f /usr/bin/python3 2>/dev/null)" ]]; then
                venv_pkg="python3-venv"
            fi
            missing_pkgs+=("$venv_pkg")
            missing_libs+=("ensurepip for $PY")
        fi
    fi
fi

if ((${#missing_pkgs[@]})); then
    if ! command -v apt-get >/dev/null; then
        die "missing system libraries: ${missing_libs[*]} (this script installs them only with apt-get; install the equivalents for your distribution)"
    fi
    if [[ "$(id -u)" -ne 0 ]]; then
        say "missing system packages: ${missing_pkgs[*]}"
        say "install them, then run this again:"
        printf '\n    sudo apt-get update && sudo apt-get install -y --no-install-recommends %s\n\n' "${missing_pkgs[*]}" >&2
        exit 1
    fi
    say "installing system packages: ${missing_pkgs[*]}"
    apt_log="$(mktemp)"
    export DEBIAN_FRONTEND=noninteractive
    # A stale or broken third-party source should not stop the install; the install's own
    # failure (with the whole log) is what counts.
    apt-get update -q </dev/null >"$apt_log" 2>&1 || true
    if ! apt-get install -y -q --no-install-recommends "${missing_pkgs[@]}" </dev/null >>"$apt_log" 2>&1; then
        cat "$apt_log" >&2
        rm -f "$apt_log"
        die "apt-get failed (output above)"
    fi
    rm -f "$apt_log"
fi

# --- 3. .venv and the project's packages ----------------------------------------------
if ! venv_ok; then
    [[ -e "$VENV" ]] && { say "removing unusable $VENV"; rm -rf "$VENV"; }
    say "creating .venv with $PY ($("$PY" -V 2>&1))"
    "$PY" -m venv "$VENV" || { rm -rf "$VENV"; die "'$PY -m venv' failed"; }
fi

if [[ ! -f "$STAMP" || "$ROOT/pyproject.toml" -nt "$STAMP" ]]; then
    say "installing Python packages into .venv (pip install -e '.[dev]'; the first time downloads about 150 MB of Qt wheels)"
    pip_log="$(mktemp)"
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q \
        -e "$ROOT[dev]" </dev/null >"$pip_log" 2>&1; then
        cat "$pip_log" >&2
        rm -f "$pip_log"
        die "pip install failed (output above)"
    fi
    # pip -q still prints warnings worth seeing (e.g. yanked pins); errors already handled.
    grep -iE '^(warning|error)' "$pip_log" >&2 || true
    rm -f "$pip_log"
    touch "$STAMP"
fi

# --- run ------------------------------------------------------------------------------
case "$MODE" in
    app)
        exec "$VENV/bin/xueji-gui" "$@"
        ;;
    test)
        rc=0
        QT_QPA_PLATFORM=offscreen "$VENV/bin/python" -m pytest "$@" || rc=$?
        if ((rc == 5)); then
            say "pytest collected no tests; counting that as a failure"
            exit 1
        fi
        exit "$rc"
        ;;
esac
