"""Before/after numbers for a restructure of the code base: start-up, import, printing, CLI process time.

    .venv/bin/python bench/bench_house.py [--starts 9] [--cli-runs 10] [--import-runs 5]
                                          [--print-students 1000] [--print-repeat 5] [--json-out FILE]

Runs everything as child processes through the project's public faces only, so the same script measures
the tree before and after files move:

* the entry points named in pyproject.toml (``[project.scripts] xueji`` and ``[project.gui-scripts]
  xueji-gui``), started as ``python -c "from MOD import FUNC; sys.exit(FUNC())" ARGS…`` — what the installed
  console scripts do — with PYTHONPATH set to the import roots pyproject.toml names
  (``[tool.setuptools.packages.find] where``, default the repository root);
* the CLI for all set-up (``xueji demo``, ``xueji account setup``);
* ``bench/bench_exchange.py`` and ``bench/bench_print.py``, whose printed tables are parsed (those two scripts
  import app internals themselves; see the report).

Measurements (each bounded; about 3–5 minutes in all on the 2-core VM):

1. start-up: spawn of ``xueji-gui --archive A --report-startup`` on a 30,000-student demo archive (built with
   ``xueji demo --students 30000``, one registrar account, signed in through XUEJI_USER/XUEJI_PASSWORD) to the
   ``startup_ms=`` line it prints once the roster is painted; one warm-up start, then ``--starts``;
2. import of 5,000 rows, .xls and .xlsx (``bench_exchange.py --students 5000 --repeat 1``, ``--import-runs``
   separate processes; its export rows are kept too);
3. printing: ``bench_print.py --students N --repeat R`` (1,000 diplomas, full and overlay);
4. CLI process time of ``xueji --help`` and ``xueji class list`` on a 300-student demo archive without accounts
   (wall and CPU of the child), ``--cli-runs`` each after one warm-up; ``python -X importtime`` of both,
   the top cumulative importers and which heavy third-party packages get imported.

Reference, because the machine is shared and noisy: every process measurement is preceded by one run of
``python -c "import sqlite3"`` (same interpreter and environment), and the in-process benches by a fixed
pure-Python loop in a child process; the table gives the median reference of each section and the
median/reference ratio, which is what to compare across runs.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
PASSWORD = "Bench-Registrar-2026"
HEAVY = ("PySide6", "shiboken6", "reportlab", "openpyxl", "xlrd", "xlwt", "python_calamine", "pypinyin", "PIL",
         "cryptography", "sqlite_utils", "chinese_calendar", "platformdirs", "numpy", "lxml", "et_xmlfile")
REF_CPU = ("import time\nt = time.perf_counter()\nx = 0\nfor i in range(3_000_000):\n    x += i * i\n"
           "print(time.perf_counter() - t)")


# ------------------------------------------------------------------ the project's public faces
def layout(root: Path) -> dict:
    with open(root / "pyproject.toml", "rb") as fh:
        data = tomllib.load(fh)
    proj = data["project"]
    where = data.get("tool", {}).get("setuptools", {}).get("packages", {}).get("find", {}).get("where", ["."])
    return {"cli": proj["scripts"]["xueji"], "gui": proj["gui-scripts"]["xueji-gui"],
            "pythonpath": [str((root / w).resolve()) for w in where]}


def trampoline(entry: str) -> list[str]:
    mod, _, attr = entry.partition(":")
    return [PY, "-c", f"import sys\nfrom {mod} import {attr.split('.')[0]} as _e\n"
                      f"sys.exit(_e{''.join('.' + a for a in attr.split('.')[1:])}())"]


def make_env(lay: dict, **extra) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(lay["pythonpath"])
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.pop("XUEJI_USER", None)
    env.pop("XUEJI_PASSWORD", None)
    env.update(extra)
    return env


def run(cmd, env, timeout=600, check=True) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall s, child CPU s, result) — one child at a time, so RUSAGE_CHILDREN's delta is this child's."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if check and res.returncode != 0:
        raise RuntimeError(f"{cmd[-6:]} exited {res.returncode}:\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
    return wall, cpu, res


def ref_proc(env) -> float:
    return run([PY, "-c", "import sqlite3"], env)[0]


def ref_cpu(env) -> float:
    return float(run([PY, "-c", REF_CPU], env)[2].stdout.strip())


def summary(values: list[float], refs: list[float], unit: str, scale: float) -> dict:
    return {"unit": unit, "n": len(values), "median": statistics.median(values) * scale,
            "min": min(values) * scale, "max": max(values) * scale, "values": [v * scale for v in values],
            "ref_median": statistics.median(refs) * scale if refs else None,
            "ratio": statistics.median(values) / statistics.median(refs) if refs else None}


# ------------------------------------------------------------------ 1. start-up
def bench_startup(lay, archive: Path, starts: int) -> dict:
    env = make_env(lay, XUEJI_USER="bench", XUEJI_PASSWORD=PASSWORD)
    walls, cpus, app_ms, proc_ms, refs = [], [], [], [], []
    for i in range(starts + 1):
        ref = ref_proc(env)
        cmd = trampoline(lay["gui"]) + ["--archive", str(archive), "--report-startup", "--quit-after-ms", "20000"]
        line, wall = None, None
        with tempfile.TemporaryFile("w+") as errf:
            t = time.perf_counter()
            p = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=errf, text=True)
            try:
                for out in p.stdout:
                    if out.startswith("startup_ms="):
                        wall = time.perf_counter() - t
                        line = out.strip()
                        break
            finally:
                p.kill()
                _, status, ru = os.wait4(p.pid, 0)  # the child's own CPU time, up to the kill right after the line
                p.returncode = os.waitstatus_to_exitcode(status)
                p.stdout.close()
            cpu = ru.ru_utime + ru.ru_stime
            if line is None:
                errf.seek(0)
                raise RuntimeError(f"the GUI never reported start-up (rc {p.returncode}):\n{errf.read()[-2000:]}")
        m = re.match(r"startup_ms=(\d+) process_ms=(\S+)", line)
        print(f"  start {i}{' (warm-up)' if i == 0 else ''}: {wall * 1000:.0f} ms, CPU {cpu * 1000:.0f} ms  [{line}]  "
              f"ref {ref * 1000:.0f} ms", flush=True)
        if i == 0:
            continue
        walls.append(wall)
        cpus.append(cpu)
        refs.append(ref)
        app_ms.append(int(m.group(1)) / 1000)
        if m.group(2) != "None":
            proc_ms.append(int(m.group(2)) / 1000)
    return {"startup_wall": summary(walls, refs, "ms", 1000),
            "startup_app": summary(app_ms, refs, "ms", 1000),
            "startup_cpu": summary(cpus, refs, "ms", 1000),
            "startup_process_age": summary(proc_ms, refs, "ms", 1000) if proc_ms else None}


# ------------------------------------------------------------------ 4. CLI
def bench_cli(lay, small: Path, runs: int) -> dict:
    env = make_env(lay)
    out = {}
    for name, args in (("cli --help", ["--help"]), ("cli class list", ["class", "list", "--archive", str(small)])):
        walls, cpus, refs = [], [], []
        run(trampoline(lay["cli"]) + args, env)  # warm-up
        for _ in range(runs):
            refs.append(ref_proc(env))
            w, c, _ = run(trampoline(lay["cli"]) + args, env)
            walls.append(w)
            cpus.append(c)
        out[name] = summary(walls, refs, "ms", 1000)
        out[name + " (CPU)"] = summary(cpus, refs, "ms", 1000)
        print(f"  {name}: median {out[name]['median']:.0f} ms wall, {out[name + ' (CPU)']['median']:.0f} ms CPU, "
              f"ref {out[name]['ref_median']:.0f} ms", flush=True)
    return out


def importtime(lay, args: list[str], runs: int = 5) -> dict:
    env = make_env(lay)
    cmd = trampoline(lay["cli"])
    cmd = [cmd[0], "-X", "importtime", *cmd[1:], *args]
    per: dict[str, list[tuple[int, int, int]]] = {}
    totals = []
    for _ in range(runs):
        _, _, res = run(cmd, env)
        total = 0
        for line in res.stderr.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
            if not m:
                continue
            self_us, cum_us, depth, name = int(m.group(1)), int(m.group(2)), len(m.group(3)) // 2, m.group(4)
            per.setdefault(name, []).append((self_us, cum_us, depth))
            if depth == 0:
                total += cum_us
        totals.append(total)
    # per module the minimum over the runs: load on a shared machine only ever adds time
    mods = {n: (min(v[0] for v in vs), min(v[1] for v in vs), vs[0][2]) for n, vs in per.items()}
    top = sorted(mods.items(), key=lambda kv: -kv[1][1])[:15]
    heavy = sorted({n.split(".")[0] for n in mods} & set(HEAVY))
    own = sorted(n for n in mods if n.split(".")[0] in ("app", "db", "ui", "xueji"))
    return {"args": args, "total_ms": statistics.median(totals) / 1000, "total_min_ms": min(totals) / 1000,
            "runs": runs, "modules": len(mods),
            "top": [(n, s / 1000, c / 1000, d) for n, (s, c, d) in top], "heavy": heavy, "own_modules": own}


# ------------------------------------------------------------------ 2. import (bench_exchange.py)
def bench_import(lay, runs: int) -> dict:
    env = make_env(lay)
    script = ROOT / "bench" / "bench_exchange.py"
    got: dict[str, list[float]] = {}
    refs = []
    for i in range(runs):
        refs.append(statistics.median(ref_cpu(env) for _ in range(3)))
        _, _, res = run([PY, str(script), "--students", "5000", "--demo", "100", "--repeat", "1"], env, timeout=300,
                        check=False)
        for line in res.stdout.splitlines():
            m = re.match(r"((?:import|export) \.xlsx?)\b.*?\s(\d+)\s+([\d.]+)\s+\d+\s+(ok|TOO SLOW)", line)
            if m:
                got.setdefault(m.group(1), []).append(float(m.group(3)))
        if not any(k.startswith("import") for k in got):
            raise RuntimeError(f"bench_exchange.py printed no import rows (rc {res.returncode}):\n"
                               f"{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
        print(f"  run {i + 1}/{runs}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in got.items())
              + f"  (ref {refs[-1] * 1000:.0f} ms)", flush=True)
    return {k: summary(v, refs, "s", 1) for k, v in sorted(got.items(), key=lambda kv: kv[0][:6] != "import")}


# ------------------------------------------------------------------ 3. printing (bench_print.py)
def bench_print(lay, students: int, repeat: int) -> dict:
    env = make_env(lay)
    script = ROOT / "bench" / "bench_print.py"
    refs = [ref_cpu(env) for _ in range(3)]
    _, _, res = run([PY, str(script), "--students", str(students), "--repeat", str(repeat)], env, timeout=600,
                    check=False)
    refs += [ref_cpu(env) for _ in range(3)]
    out = {}
    for line in res.stdout.splitlines():
        m = re.match(r"\| (full|overlay) \| (\d+) \| ([\d.]+) \| ([\d.]+)–([\d.]+) \|", line)
        if m:
            med, lo, hi = float(m.group(3)), float(m.group(4)), float(m.group(5))
            out[f"print {m.group(2)} diplomas, {m.group(1)}"] = {
                "unit": "s", "n": repeat, "median": med, "min": lo, "max": hi, "values": None,
                "ref_median": statistics.median(refs), "ratio": med / statistics.median(refs)}
    if not out:
        raise RuntimeError(f"bench_print.py printed no table (rc {res.returncode}):\n{res.stdout[-2000:]}\n"
                           f"{res.stderr[-2000:]}")
    m = re.search(r"set-up: .* in ([\d.]+) s", res.stdout)
    print("  " + res.stdout.strip().replace("\n", "\n  "), flush=True)
    if m:
        out["_setup_s"] = float(m.group(1))
    return out


# ------------------------------------------------------------------ main
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--starts", type=int, default=9, help="GUI start-ups after one warm-up")
    ap.add_argument("--cli-runs", type=int, default=10)
    ap.add_argument("--import-runs", type=int, default=5, help="bench_exchange.py processes")
    ap.add_argument("--print-students", type=int, default=1000)
    ap.add_argument("--print-repeat", type=int, default=5)
    ap.add_argument("--archive-30k", help="reuse this 30,000-student archive (must have account bench / "
                                          f"{PASSWORD}); default: build one with `xueji demo`")
    ap.add_argument("--skip", default="", help="comma list of startup,cli,import,print")
    ap.add_argument("--json-out", help="also write all numbers as JSON here")
    a = ap.parse_args()
    skip = set(filter(None, a.skip.split(",")))
    lay = layout(ROOT)
    env = make_env(lay)
    print(f"python {PY}\nroot {ROOT}\nPYTHONPATH {env['PYTHONPATH']}", flush=True)
    for key in ("cli", "gui"):  # the venv may hold an editable install of another work tree: PYTHONPATH must win
        mod = lay[key].partition(":")[0]
        where = run([PY, "-c", f"import importlib.util as u; print(u.find_spec({mod!r}).origin)"],
                    env)[2].stdout.strip()
        print(f"{'xueji' if key == 'cli' else 'xueji-gui'} = {lay[key]} -> {where}", flush=True)
        if not Path(where).resolve().is_relative_to(ROOT):
            print(f"!! {mod} resolves outside {ROOT}", flush=True)
            return 2
    t_all = time.perf_counter()
    load0 = os.getloadavg()[0]
    rows: dict[str, dict] = {}
    extra: dict = {}
    tmp = Path(tempfile.mkdtemp(prefix="xueji-house-"))
    try:
        cli = trampoline(lay["cli"])
        small = tmp / "small"
        run(cli + ["demo", "--students", "300", "--archive", str(small)], env)
        if "startup" not in skip:
            if a.archive_30k:
                big = Path(a.archive_30k)
            else:
                big = tmp / "big"
                print("building the 30,000-student archive (xueji demo) …", flush=True)
                w, c, _ = run(cli + ["demo", "--students", "30000", "--archive", str(big)], env)
                extra["xueji demo --students 30000 (1 run)"] = {"wall_s": w, "cpu_s": c}
                run(cli + ["account", "setup", "bench", "--name", "Bench", "--archive", str(big)],
                    make_env(lay, XUEJI_NEW_PASSWORD=PASSWORD))
            print("1. start-up, 30,000 students:", flush=True)
            r = bench_startup(lay, big, a.starts)
            rows["start-up, spawn → roster painted (30k)"] = r["startup_wall"]
            rows["start-up, app's own startup_ms (30k)"] = r["startup_app"]
            rows["start-up, CPU of the GUI process (30k)"] = r["startup_cpu"]
        if "import" not in skip:
            print("2. import 5,000 rows (bench_exchange.py):", flush=True)
            for k, v in bench_import(lay, a.import_runs).items():
                rows[f"{k} 5,000 rows"] = v
        if "print" not in skip:
            print(f"3. printing (bench_print.py --students {a.print_students} --repeat {a.print_repeat}):", flush=True)
            r = bench_print(lay, a.print_students, a.print_repeat)
            extra["print set-up s"] = r.pop("_setup_s", None)
            rows.update(r)
        if "cli" not in skip:
            print("4. CLI process time (300-student archive, no accounts):", flush=True)
            rows.update(bench_cli(lay, small, a.cli_runs))
            extra["importtime --help"] = importtime(lay, ["--help"])
            extra["importtime class list"] = importtime(lay, ["class", "list", "--archive", str(small)])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\n## bench_house ({time.strftime('%Y-%m-%d %H:%M')}, {time.perf_counter() - t_all:.0f} s, "
          f"1-min load average {load0:.2f} at start, {os.getloadavg()[0]:.2f} at end)\n")
    print("| what | median | spread (min–max, n) | reference median | median / reference |\n|---|---|---|---|---|")
    for name, r in rows.items():
        u = r["unit"]
        f = (lambda x: f"{x:.0f} {u}") if u == "ms" else (lambda x: f"{x:.2f} {u}")
        ref = "" if r["ref_median"] is None else (f"{r['ref_median']:.0f} ms proc" if u == "ms"
                                                  else f"{r['ref_median'] * 1000:.0f} ms loop")
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
        print(f"| {name} | {f(r['median'])} | {f(r['min'])}–{f(r['max'])}, n={r['n']} | {ref} | {ratio} |")
    print("\nreference: 'proc' = wall of `python -c 'import sqlite3'`, one run before each measured process; "
          "'loop' = a fixed 3,000,000-step pure-Python loop in a child process")
    for key in ("importtime --help", "importtime class list"):
        it = extra.get(key)
        if not it:
            continue
        print(f"\n### python -X importtime (xueji {' '.join(it['args'][:2])}): {it['modules']} modules, "
              f"sum of top-level cumulative {it['total_ms']:.0f} ms median, {it['total_min_ms']:.0f} ms min of "
              f"{it['runs']}; per module: min over the runs\n")
        print("| module | depth | self ms | cumulative ms |\n|---|---|---|---|")
        for n, s, c, d in it["top"]:
            print(f"| {n} | {d} | {s:.1f} | {c:.1f} |")
        print(f"\nheavy third-party packages imported: {', '.join(it['heavy']) or 'none'}")
        print(f"project modules imported ({len(it['own_modules'])}): {', '.join(it['own_modules'])}")
    for k, v in extra.items():
        if not k.startswith("importtime"):
            print(f"{k}: {v}")
    if a.json_out:
        Path(a.json_out).write_text(json.dumps({"rows": rows, "extra": extra, "root": str(ROOT),
                                                "when": time.strftime("%Y-%m-%dT%H:%M:%S")}, indent=1,
                                               ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
