"""An open archive as the services see it: the archive, the school, its rule profile, who is working."""
from __future__ import annotations

import getpass
from pathlib import Path

from app.paths import default_archive_dir
from app.rules.engine import Profile, load_profile
from db import queries as q
from db.archive import Archive, open_archive
from db.archive import ArchiveError, ArchiveLocked, ArchiveMissing, ArchiveTooNew  # noqa: F401  (for the UI)


# Called (in order) before any Session closes its archive: the window adds "cancel the background jobs
# and wait for the archive worker", so no worker thread is left using a closed connection.
BEFORE_CLOSE: list = []


class Session:
    def __init__(self, archive: Archive, user: str | None = None):
        self.archive = archive
        self.user = user or _os_user()
        self._school: dict | None = None

    @classmethod
    def open(cls, folder: str | Path | None = None, *, create: bool = False, user: str | None = None) -> "Session":
        return cls(open_archive(folder or default_archive_dir(), create=create), user)

    @property
    def conn(self):
        return self.archive.conn

    @property
    def folder(self) -> Path:
        return self.archive.folder

    def transaction(self):
        return self.archive.transaction()

    @property
    def school(self) -> dict | None:
        if self._school is None:
            self._school = q.get_school(self.conn)
        return self._school

    def reload(self) -> None:
        self._school = None

    @property
    def profile(self) -> Profile:
        s = self.school
        return load_profile(s["profile"] if s else "national")

    def close(self) -> None:
        for hook in list(BEFORE_CLOSE):
            hook(self)
        self.archive.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (service account, some Windows set-ups)
        return "registrar"
