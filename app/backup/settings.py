"""The backup settings (table ``settings``, keys ``backup.*``; docs/reliability.md lists them) and the
automatic schedule they drive: is a daily backup, a weekly full check or a backup on close due."""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

from app.backup import crypto
from app.backup import store as bl
from app.backup.layout import refuse
from app.core.i18n import Names, tr
from app.school import store as school_store

# settings and their defaults
SETTINGS = {
    "backup.folder": "",
    "backup.on_close": "1",
    "backup.daily": "1",
    "backup.keep_daily": "12",
    "backup.keep_weekly": "10",
    "backup.keep_monthly": "9",
    "backup.encrypt": "0",
    "backup.passphrase": "",  # kept in the archive on this computer: protects the stick, not the PC
}
SETTING_LABELS = Names({
    "backup.folder": "backup.setting.folder",
    "backup.on_close": "backup.setting.on_close",
    "backup.daily": "backup.setting.daily",
    "backup.keep_daily": "backup.setting.keep_daily",
    "backup.keep_weekly": "backup.setting.keep_weekly",
    "backup.keep_monthly": "backup.setting.keep_monthly",
    "backup.encrypt": "backup.setting.encrypt",
    "backup.passphrase": "backup.setting.passphrase",
})
MIN_PASSPHRASE = 8


def get_settings(session) -> dict:
    return {k: school_store.get_setting(session.conn, k, d) for k, d in SETTINGS.items()}


def save_settings(session, values: dict) -> dict:
    """Store backup settings (keys of SETTINGS); refuses a bad keep count and names the field."""
    clean = {}
    for k, v in values.items():
        if k not in SETTINGS:
            raise refuse("bad_setting", tr("backup.bad_setting", key=k))
        v = "" if v is None else (str(v) if k == "backup.passphrase" else str(v).strip())
        if k.startswith("backup.keep_") and not (v.isdigit() and 0 <= int(v) <= 1000):
            raise refuse("bad_setting", tr("backup.bad_keep", value=v), SETTING_LABELS[k])
        if k in ("backup.on_close", "backup.daily", "backup.encrypt"):
            v = "1" if v in ("1", "true", "True", "yes") else "0"
        clean[k] = v
    merged = {**get_settings(session), **clean}
    if merged["backup.encrypt"] == "1":
        if not crypto.available():
            raise refuse("no_crypto", tr("backup.no_crypto"), SETTING_LABELS["backup.encrypt"])
        if len(merged["backup.passphrase"]) < MIN_PASSPHRASE:
            raise refuse("passphrase_short", tr("backup.passphrase_short", n=MIN_PASSPHRASE),
                         SETTING_LABELS["backup.passphrase"])
    with session.transaction("backup"):
        for k, v in clean.items():
            school_store.set_setting(session.conn, k, v)
    return get_settings(session)


def stored_passphrase(session) -> str | None:
    """The passphrase automatic backups encrypt with, when encryption is switched on in the settings."""
    s = get_settings(session)
    return s["backup.passphrase"] if s["backup.encrypt"] == "1" and s["backup.passphrase"] else None


def configured_folder(session) -> Path | None:
    f = get_settings(session)["backup.folder"]
    return Path(f) if f else None


# ------------------------------------------------------------------ the automatic schedule
def backup_due(session, now: _dt.datetime | None = None, every_hours: float = 24.0) -> bool:
    """A daily backup is due: one is configured and the last good one is older than ``every_hours``."""
    s = get_settings(session)
    if not s["backup.folder"] or s["backup.daily"] != "1":
        return False
    last = bl.last_log(session.conn, "backup", ok=True)
    if last is None:
        return True
    at = _dt.datetime.fromisoformat(last["at"])
    return (now or _dt.datetime.now()) - at >= _dt.timedelta(hours=every_hours)


def full_check_due(session, now: _dt.datetime | None = None, every_days: float = 7.0) -> bool:
    """The weekly full integrity check + files sweep is due (none recorded, or the last is older)."""
    at = bl.last_full_check_at(session.conn)
    if at is None:
        return True
    return (now or _dt.datetime.now()) - _dt.datetime.fromisoformat(at) >= _dt.timedelta(days=every_days)


def backup_on_close_wanted(session) -> bool:
    s = get_settings(session)
    return bool(s["backup.folder"]) and s["backup.on_close"] == "1"
