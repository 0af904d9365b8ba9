"""Encryption at rest (docs/encryption-at-rest.md): SQLCipher through ``sqlcipher3`` against the plain ``sqlite3`` archive.

Figures for docs/encryption-at-rest.md. Not part of the test suite and not imported by it; it needs the
``sqlcipher3`` wheel, which the project does NOT depend on, so run it from a scratch venv:

    python3 -m venv /tmp/sqlc-venv
    /tmp/sqlc-venv/bin/pip install sqlcipher3==0.6.4 sqlite-utils==4.2.1
    .venv/bin/xueji --archive /tmp/x demo --students 30000
    /tmp/sqlc-venv/bin/python bench/bench_sqlcipher.py --archive /tmp/x [--json-out figures.json]

Without ``sqlcipher3`` it prints why and exits 0. It only imports ``app.audit.store`` from the project (the audit
hash function, pure standard library), so the scratch venv needs nothing else. The archive given is only
read (copied through the online backup API); everything is written to a temporary folder.

What it measures, each on the plain copy (standard ``sqlite3``) and on the encrypted copy (``sqlcipher3``):
migration (``sqlcipher_export``), open (as ``db.archive.connect`` does, plus the first read, where SQLCipher
derives the key), a 30,000-row insert transaction through the audited ``change_history`` table (its trigger
calls the ``xueji_audit_hash`` function registered with ``deterministic=True``), the roster search
(``app.students.store.search_student_ids``' SQL), an audit chain walk, ``PRAGMA integrity_check``, the online backup
API, ``PRAGMA rekey`` (a passphrase change) and whether sqlite-utils accepts the connection.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

try:
    import sqlcipher3
except ImportError:  # the project does not depend on it: skip cleanly
    sqlcipher3 = None

PASSPHRASE = "correct horse battery staple 学籍"
RAW_KEY = "\"x'" + "2b" * 32 + "'\""  # a 256-bit key given directly (e.g. derived by us with scrypt): no PBKDF2

SEARCH_SQL = ("SELECT id FROM students WHERE search_text LIKE ? ESCAPE '\\' "
              "ORDER BY class_id, CAST(seat_no AS INTEGER), id")
ENTRIES_SQL = "SELECT id, search_text, class_id, status FROM students ORDER BY class_id, CAST(seat_no AS INTEGER), id"


def timed(fn, repeat: int = 1):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def register(conn) -> None:
    sys.path.insert(0, str(ROOT))
    from app.audit import store as aq

    aq.register(conn)  # create_function(..., deterministic=True), exactly as db.archive.connect does


def open_conn(module, path: Path, key: str | None, cache_kib: int | None = None):
    """db.archive.connect's PRAGMAs; the key first (SQLCipher needs it before any other statement).
    SQLCipher logs a wrong key to stderr at its default level: cipher_log_level = NONE keeps the console clean."""
    conn = module.connect(str(path), isolation_level=None, check_same_thread=False)
    if module is not sqlite3:
        conn.execute("PRAGMA cipher_log_level = NONE")
    if key is not None:
        conn.execute(f"PRAGMA key = {key}")
    if cache_kib:
        conn.execute(f"PRAGMA cache_size = -{cache_kib}")
    conn.execute("PRAGMA busy_timeout = 5000")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    register(conn)
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the first read: key derivation happens here
    return conn, mode


def quote(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def copy_plain(src: Path, dest: Path) -> None:
    s = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    d = sqlite3.connect(str(dest))
    s.backup(d)
    d.close()
    s.close()


def migrate(plain: Path, enc: Path, key: str) -> dict:
    """The documented SQLCipher route: open the plain file with sqlcipher3, ATTACH the new file with a key,
    SELECT sqlcipher_export(...). user_version is not copied by sqlcipher_export: set it by hand."""
    t0 = time.perf_counter()
    c = sqlcipher3.connect(str(plain), isolation_level=None)
    uv = c.execute("PRAGMA user_version").fetchone()[0]
    c.execute(f"ATTACH DATABASE {quote(str(enc))} AS enc KEY {key}")
    c.execute("SELECT sqlcipher_export('enc')")
    uv_copied = c.execute("PRAGMA enc.user_version").fetchone()[0]
    c.execute(f"PRAGMA enc.user_version = {uv}")
    c.execute("DETACH DATABASE enc")
    c.close()
    return {"seconds": time.perf_counter() - t0, "user_version": uv, "user_version_copied_by_export": uv_copied}


def table_counts(conn) -> dict:
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def insert_history(conn, n: int) -> float:
    sid = conn.execute("SELECT min(id) FROM students").fetchone()[0]
    rows = [(sid, "student", sid, "edit", "phone", f"1380000{i:04d}", f"1390000{i:04d}",
             f"2026-12-03T10:{i % 60:02d}:00", "bench", "", "", "bench") for i in range(n)]
    t0 = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO change_history(student_id, entity, entity_id, action, field, old_value, new_value,"
                     " changed_at, changed_by, reason, evidence_ref, batch) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    conn.execute("COMMIT")
    return time.perf_counter() - t0


def walk_chain(conn) -> tuple[int, int]:
    """Recompute every audit entry's hash (what `xueji audit verify` does first); (entries, mismatches)."""
    from app.audit import store as aq

    n = bad = 0
    prev = b""
    for row in aq.iter_chain(conn):
        n += 1
        if bytes(row[8] or b"") != prev or aq.entry_hash(prev, *row[:8]) != bytes(row[9]):
            bad += 1
        prev = bytes(row[9])
    return n, bad


def contains(path: Path, needle: bytes) -> bool:
    for p in (path, Path(str(path) + "-wal")):
        if p.exists() and needle in p.read_bytes():
            return True
    return False


def bench(archive: Path, work: Path, rows: int, repeat: int) -> dict:
    src = archive / "archive.sqlite" if archive.is_dir() else archive
    plain, enc = work / "plain.sqlite", work / "enc.sqlite"
    copy_plain(src, plain)
    from importlib.metadata import version

    r: dict = {"sqlcipher3": version("sqlcipher3"), "sqlite_in_sqlcipher3": sqlcipher3.sqlite_version,
               "sqlite_stdlib": sqlite3.sqlite_version, "students": None}
    with sqlite3.connect(str(plain)) as c:
        r["students"] = c.execute("SELECT count(*) FROM students").fetchone()[0]
        probe = c.execute("SELECT id_number FROM students WHERE id_number <> '' LIMIT 1").fetchone()[0]
    needle = probe.encode()

    # -- migration
    r["migrate_passphrase"] = migrate(plain, enc, quote(PASSPHRASE))
    enc_raw = work / "enc-raw.sqlite"
    r["migrate_raw_key"] = migrate(plain, enc_raw, RAW_KEY)
    r["size_plain"] = plain.stat().st_size
    r["size_encrypted"] = enc.stat().st_size
    r["header_plain"] = plain.read_bytes()[:16].decode("latin-1")
    r["header_encrypted_is_sqlite"] = enc.read_bytes()[:16] == b"SQLite format 3\x00"
    r["id_number_readable_plain"] = contains(plain, needle)
    r["id_number_readable_encrypted"] = contains(enc, needle)
    try:
        sqlite3.connect(str(enc)).execute("SELECT count(*) FROM sqlite_master").fetchone()
        r["stdlib_opens_encrypted"] = "opened?!"
    except sqlite3.DatabaseError as e:
        r["stdlib_opens_encrypted"] = f"{type(e).__name__}: {e}"

    # -- counts equal after migration
    pc = sqlite3.connect(str(plain))
    ec, _ = open_conn(sqlcipher3, enc, quote(PASSPHRASE))
    r["cipher_version"] = ec.execute("PRAGMA cipher_version").fetchone()[0]
    r["cipher_provider"] = (ec.execute("PRAGMA cipher_provider").fetchone()[0] + " "
                            + ec.execute("PRAGMA cipher_provider_version").fetchone()[0])
    r["kdf_iter"] = int(ec.execute("PRAGMA kdf_iter").fetchone()[0])
    r["counts_equal"] = table_counts(pc) == table_counts(ec)
    r["user_version_encrypted"] = ec.execute("PRAGMA user_version").fetchone()[0]
    pc.close()
    ec.close()

    # -- open (connect + PRAGMAs + first read)
    def _open(module, path, key):
        def f():
            c, mode = open_conn(module, path, key)
            c.close()
            return mode
        return f

    r["open_plain_s"], r["journal_mode_plain"] = timed(_open(sqlite3, plain, None), repeat)
    r["open_encrypted_passphrase_s"], r["journal_mode_encrypted"] = timed(_open(sqlcipher3, enc, quote(PASSPHRASE)), repeat)
    r["open_encrypted_raw_key_s"], _ = timed(_open(sqlcipher3, enc_raw, RAW_KEY), repeat)
    t0 = time.perf_counter()
    try:
        open_conn(sqlcipher3, enc, quote("wrong"))
        r["wrong_key"] = "opened?!"
    except sqlcipher3.DatabaseError as e:
        r["wrong_key"] = f"{type(e).__name__}: {e}"
    r["wrong_key_s"] = time.perf_counter() - t0

    # the same engine without a key, to tell encryption's cost from SQLite 3.40 -> 3.5x differences
    same = work / "same-engine-plain.sqlite"
    shutil.copyfile(plain, same)
    r["open_sqlcipher3_no_key_s"], _ = timed(_open(sqlcipher3, same, None), repeat)
    conns = {"plain": open_conn(sqlite3, plain, None)[0], "no_key": open_conn(sqlcipher3, same, None)[0],
             "encrypted": open_conn(sqlcipher3, enc, quote(PASSPHRASE))[0]}
    files = {"plain": plain, "no_key": same, "encrypted": enc}
    r["cache_size_default"] = {n: c.execute("PRAGMA cache_size").fetchone()[0] for n, c in conns.items()}

    # -- writes through the audited table (trigger -> xueji_audit_hash, deterministic=True)
    for name, c in conns.items():
        r[f"insert_{rows}_{name}_s"] = statistics.median([insert_history(c, rows) for _ in range(3)])
        r[f"wal_file_{name}"] = Path(str(files[name]) + "-wal").exists()
    r["id_number_in_encrypted_wal"] = contains(enc, needle)

    # -- reads (plus the encrypted archive with a 64 MiB page cache: decrypted pages stay in memory)
    readers = dict(conns)
    readers["encrypted_cache64m"] = open_conn(sqlcipher3, enc, quote(PASSPHRASE), cache_kib=65536)[0]
    for name, c in readers.items():
        r[f"search_zh_{name}_ms"] = 1000 * timed(lambda: c.execute(SEARCH_SQL, ("%zh%",)).fetchall(), repeat * 2)[0]
        r[f"search_id_{name}_ms"] = 1000 * timed(lambda: c.execute(SEARCH_SQL, (f"%{probe[-6:]}%",)).fetchall(),
                                                 repeat * 2)[0]
        r[f"search_entries_{name}_ms"] = 1000 * timed(lambda: c.execute(ENTRIES_SQL).fetchall(), repeat * 2)[0]
        r[f"chain_walk_{name}_s"], (n, bad) = timed(lambda: walk_chain(c))
        r[f"chain_{name}"] = {"entries": n, "mismatches": bad}
        r[f"quick_check_{name}_s"], _ = timed(lambda: c.execute("PRAGMA quick_check").fetchone()[0])
        r[f"integrity_check_{name}_s"], res = timed(lambda: c.execute("PRAGMA integrity_check").fetchone()[0])
        r[f"integrity_check_{name}"] = res
    readers["encrypted_cache64m"].close()
    # cold reads: a fresh connection (empty page cache) reading every student row once
    for name, (module, key) in {"plain": (sqlite3, None), "no_key": (sqlcipher3, None),
                                "encrypted": (sqlcipher3, quote(PASSPHRASE))}.items():
        def cold():
            c, _ = open_conn(module, files[name], key)
            c.execute("SELECT * FROM students").fetchall()
            c.close()
        r[f"cold_open_read_students_{name}_s"], _ = timed(cold, repeat)
    c = conns["encrypted"]
    r["cipher_integrity_check_s"], res = timed(lambda: c.execute("PRAGMA cipher_integrity_check").fetchall())
    r["cipher_integrity_check_errors"] = len(res)

    # -- online backup API
    pc, ec = conns["plain"], conns["encrypted"]
    dest = work / "backup-plain.sqlite"
    t0 = time.perf_counter()
    d = sqlite3.connect(str(dest))
    pc.backup(d)
    d.close()
    r["backup_plain_to_plain_s"] = time.perf_counter() - t0

    dest = work / "backup-enc.sqlite"
    t0 = time.perf_counter()
    d = sqlcipher3.connect(str(dest))
    d.execute(f"PRAGMA key = {quote(PASSPHRASE)}")
    try:
        ec.backup(d)
        r["backup_enc_to_enc_same_key"] = d.execute("PRAGMA integrity_check").fetchone()[0]
    except Exception as e:  # noqa: BLE001 - we report whatever the binding raises
        r["backup_enc_to_enc_same_key"] = f"{type(e).__name__}: {e}"
    d.close()
    r["backup_enc_to_enc_same_key_s"] = time.perf_counter() - t0

    for label, key in (("backup_enc_to_plain", None), ("backup_enc_to_other_key", quote("other"))):
        p = work / f"{label}.sqlite"
        d = sqlcipher3.connect(str(p))
        if key:
            d.execute(f"PRAGMA key = {key}")
        try:
            ec.backup(d)
            d.close()
            d, _ = open_conn(sqlcipher3, p, key)  # reopened with the TARGET's key
            r[label] = "ok, opens with the target's key: " + d.execute("PRAGMA integrity_check").fetchone()[0]
        except Exception as e:  # noqa: BLE001
            r[label] = f"{type(e).__name__}: {e}"
        d.close()
    d = sqlcipher3.connect(str(work / "plain-to-enc.sqlite"))
    d.execute(f"PRAGMA key = {quote(PASSPHRASE)}")
    try:
        conns["no_key"].backup(d)
        r["backup_plain_to_enc"] = "ok"
    except Exception as e:  # noqa: BLE001
        r["backup_plain_to_enc"] = f"{type(e).__name__}: {e}"
    d.close()
    d = sqlite3.connect(str(work / "mixed.sqlite"))
    try:
        ec.backup(d)
        r["backup_enc_to_stdlib_connection"] = "ok"
    except Exception as e:  # noqa: BLE001
        r["backup_enc_to_stdlib_connection"] = f"{type(e).__name__}: {e}"
    d.close()

    # the way to a plain copy (for app/backup/service.py, which encrypts backups itself): sqlcipher_export
    p = work / "export-plain.sqlite"
    t0 = time.perf_counter()
    ec.execute(f"ATTACH DATABASE {quote(str(p))} AS plainout KEY ''")
    ec.execute("SELECT sqlcipher_export('plainout')")
    ec.execute("DETACH DATABASE plainout")
    r["export_enc_to_plain_s"] = time.perf_counter() - t0
    with sqlite3.connect(str(p)) as c2:
        r["export_enc_to_plain_check"] = c2.execute("PRAGMA integrity_check").fetchone()[0]

    # -- sqlite-utils on the sqlcipher3 connection
    try:
        import sqlite_utils

        db = sqlite_utils.Database(ec)
        tn = db.table_names()
        db["bench_su"].insert_all([{"a": i, "b": f"行{i}"} for i in range(100)])
        r["sqlite_utils"] = (f"ok: {len(tn)} tables, students.count={db['students'].count}, "
                             f"inserted {db['bench_su'].count} rows")
    except ImportError:
        r["sqlite_utils"] = "not installed"
    except Exception as e:  # noqa: BLE001
        r["sqlite_utils"] = f"{type(e).__name__}: {e}"

    # -- rekey (a passphrase change rewrites every page)
    ec.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    t0 = time.perf_counter()
    try:
        ec.execute(f"PRAGMA rekey = {quote(PASSPHRASE + '2')}")
        r["rekey"] = "ok"
    except Exception as e:  # noqa: BLE001
        r["rekey"] = f"{type(e).__name__}: {e}"
    r["rekey_s"] = time.perf_counter() - t0
    for c in conns.values():
        c.close()
    if r["rekey"] == "ok":
        try:
            c, _ = open_conn(sqlcipher3, enc, quote(PASSPHRASE + "2"))
            r["reopen_after_rekey"] = c.execute("PRAGMA quick_check").fetchone()[0]
            c.close()
        except Exception as e:  # noqa: BLE001
            r["reopen_after_rekey"] = f"{type(e).__name__}: {e}"
    return r


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", type=Path, help="an archive folder (only read); default: a new demo archive")
    ap.add_argument("--students", type=int, default=30000, help="students in the demo archive made without --archive")
    ap.add_argument("--rows", type=int, default=30000, help="rows in the insert transaction")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args(argv)
    if sqlcipher3 is None:
        print("bench_sqlcipher: skipped, the sqlcipher3 binding is not installed "
              "(pip install sqlcipher3==0.6.4 in a scratch venv; the project does not depend on it)")
        return 0
    with tempfile.TemporaryDirectory(prefix="xueji-sqlc-") as tmp:
        work = Path(tmp)
        archive = args.archive
        if archive is None:
            archive = work / "demo"
            xueji = ROOT / ".venv" / ("Scripts/xueji.exe" if os.name == "nt" else "bin/xueji")
            subprocess.run([str(xueji), "--archive", str(archive), "demo", "--students", str(args.students)],
                           check=True, stdout=subprocess.DEVNULL)
        r = bench(archive, work, args.rows, args.repeat)
        shutil.rmtree(work / "demo", ignore_errors=True)
    w = max(len(k) for k in r)
    for k, v in r.items():
        if isinstance(v, float):
            v = f"{v:.4f}"
        print(f"{k:<{w}}  {v}")
    if args.json_out:
        args.json_out.write_text(json.dumps(r, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
