"""Merge catalog entries into resources/i18n/zh_CN.json under a file lock (several writers at once).

    python scripts/i18n_add.py new_keys.json      # a JSON object {"key": "text", ...}
    python scripts/i18n_add.py - < new_keys.json

An existing key with a different text is replaced and reported; the order of existing keys is kept.
"""
from __future__ import annotations

import fcntl
import json
import os
import sys
from pathlib import Path

CATALOG = Path(__file__).resolve().parent.parent / "resources" / "i18n" / "zh_CN.json"


def main(argv: list[str]) -> int:
    src = sys.stdin.read() if argv[1] == "-" else Path(argv[1]).read_text(encoding="utf-8")
    new = json.loads(src)
    with open(str(CATALOG) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(CATALOG.read_text(encoding="utf-8"))
        for k, v in new.items():
            if k in data and data[k] != v:
                print(f"replaced {k}: {data[k]!r} -> {v!r}")
            data[k] = v
        tmp = CATALOG.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, CATALOG)
    print(f"{len(new)} keys merged into {CATALOG.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
