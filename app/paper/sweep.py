"""Integrity sweep of the archive's files/ store: re-hash every file the archive references (photos' originals,
scans, status-change evidence, hand-over receipts, any other *_sha256 column) and report the missing and the
changed ones. It never deletes or rewrites anything."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from app.core import filestore as store
from app.core.session import Session
from app.paper import store as pq


@dataclass
class SweepReport:
    checked: int = 0                                   # distinct files re-hashed
    bytes: int = 0
    ok: int = 0
    missing: list[dict] = field(default_factory=list)  # {sha256, path, refs: [{what, student_id, ref}]}
    changed: list[dict] = field(default_factory=list)  # … plus actual sha256 / size
    unreferenced: list[str] = field(default_factory=list)  # files/ entries nothing names (kept; listed only)

    @property
    def clean(self) -> bool:
        return not self.missing and not self.changed

    def as_json(self) -> dict:
        return {"checked": self.checked, "bytes": self.bytes, "ok": self.ok, "clean": self.clean,
                "missing": self.missing, "changed": self.changed, "unreferenced": self.unreferenced}


def _hash(path) -> tuple[str, int]:
    h = hashlib.sha256()
    n = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            n += len(chunk)
    return h.hexdigest(), n


def verify_files(session: Session, progress=None) -> SweepReport:
    """Re-hash every referenced file; ``progress(done, total)`` is called as it goes."""
    refs: dict[str, dict] = {}
    for r in pq.referenced_files(session.conn):
        sha = (r["sha256"] or "").lower()
        e = refs.setdefault(sha, {"ext": None, "bytes": None, "refs": []})
        e["ext"] = e["ext"] or r["ext"]
        e["bytes"] = e["bytes"] or r["bytes"]
        e["refs"].append({"what": r["what"], "student_id": r["student_id"], "ref": r["ref"]})
    rep = SweepReport()
    total = len(refs)
    for i, (sha, e) in enumerate(sorted(refs.items())):
        try:
            p = store.path(session.folder, sha, e["ext"]) if e["ext"] else store.path(session.folder, sha)
            if e["ext"] and not p.exists():
                p = store.path(session.folder, sha)
        except ValueError:  # not a digest at all: the reference itself is damaged
            rep.missing.append({"sha256": sha, "path": "", "refs": e["refs"]})
            continue
        rel = str(p.relative_to(session.folder)).replace("\\", "/")
        rep.checked += 1
        if not p.exists():
            rep.missing.append({"sha256": sha, "path": rel, "refs": e["refs"]})
        else:
            actual, size = _hash(p)
            rep.bytes += size
            if actual != sha:
                rep.changed.append({"sha256": sha, "path": rel, "actual_sha256": actual, "bytes": size,
                                    "expected_bytes": e["bytes"], "refs": e["refs"]})
            else:
                rep.ok += 1
        if progress:
            progress(i + 1, total)
    root = session.folder / "files"
    if root.is_dir():
        for p in sorted(root.glob("??/*")):
            stem = p.name.split(".", 1)[0]
            if p.is_file() and not p.name.startswith(".") and stem.lower() not in refs:
                rep.unreferenced.append(str(p.relative_to(session.folder)).replace("\\", "/"))
    return rep
