"""Thinning a destination by the keep-daily/weekly/monthly settings. Deletes old backup folders only —
never the shared store, never the archive, never the newest verified backup."""
from __future__ import annotations

import datetime as _dt
import shutil
from pathlib import Path

from app.backup.layout import PREFIX
from app.backup.manifest import BackupInfo, list_backups
from app.backup.settings import get_settings


def plan_thinning(backups: list[BackupInfo], keep_daily: int, keep_weekly: int, keep_monthly: int
                  ) -> tuple[list[BackupInfo], list[BackupInfo]]:
    """(keep, delete) among complete backups: the newest of each of the last ``keep_daily`` days that
    have one, of the last ``keep_weekly`` ISO weeks and of the last ``keep_monthly`` months; the newest
    backup is always kept. Incomplete ones are not considered here."""
    good = sorted([b for b in backups if b.complete and b.created_at],
                  key=lambda b: (b.created_at, b.name), reverse=True)
    keep = {good[0].path} if good else set()
    periods = ((lambda d: d.date(), keep_daily), (lambda d: d.isocalendar()[:2], keep_weekly),
               (lambda d: (d.year, d.month), keep_monthly))
    for key, n in periods:
        seen = set()
        for b in good:
            k = key(_dt.datetime.fromisoformat(b.created_at))
            if k in seen:
                continue
            if len(seen) >= n:
                break
            seen.add(k)
            keep.add(b.path)
    return [b for b in good if b.path in keep], [b for b in good if b.path not in keep]


def thin_backups(session, dest) -> list[str]:
    """Delete the backups of this school in ``dest`` that the keep settings no longer cover (backup
    folders only: the shared store, the archive and the newest backup are never touched)."""
    s = get_settings(session)
    code = (session.school or {}).get("code", "")
    mine = [b for b in list_backups(dest) if (b.school or {}).get("code", "") == code]
    _, delete = plan_thinning(mine, int(s["backup.keep_daily"]), int(s["backup.keep_weekly"]),
                              int(s["backup.keep_monthly"]))
    gone = []
    for b in delete:
        p = Path(b.path)
        if p.parent.resolve() == Path(dest).resolve() and p.name.startswith(PREFIX):
            shutil.rmtree(p, ignore_errors=True)
            gone.append(p.name)
    return gone
