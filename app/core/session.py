"""An open archive as the services see it: the archive, the school, its rule profile, who is working."""
from __future__ import annotations

import getpass
from pathlib import Path

from app.core.i18n import tr
from app.core.paths import default_archive_dir
from app.rules.engine import Profile, load_profile
from app.school import store as school_store
from db import archive as _archive
from db.archive import Archive, open_archive
from db.archive import ArchiveError, ArchiveLocked, ArchiveMissing, ArchiveTooNew  # noqa: F401  (for the UI)

# db/ imports nothing from app/: its errors (ArchiveLocked …) and the lock file's holder line carry a message
# key and params, worded here with the app's catalogue (resources/i18n) as soon as any session code is loaded.
_archive.set_wording(tr)


class CloseHooks:
    """What runs, in the order added, before a Session closes its archive: the window adds "cancel the
    background jobs and wait for the archive worker" (ui/common/workers.py), so no worker thread is left
    using a closed connection. Each hook is called with the session; adding one twice keeps one."""

    def __init__(self):
        self._hooks: list = []

    def add(self, hook) -> None:
        if hook not in self._hooks:
            self._hooks.append(hook)

    def discard(self, hook) -> None:
        if hook in self._hooks:
            self._hooks.remove(hook)

    def __contains__(self, hook) -> bool:
        return hook in self._hooks

    def run(self, session) -> None:
        for hook in list(self._hooks):
            hook(session)


class Session:
    def __init__(self, archive: Archive, user: str | None = None):
        self.archive = archive
        self.user = user or _os_user()
        self.close_hooks = CloseHooks()
        self._school: dict | None = None
        # The signed-in account (app.accounts.service.sign_in sets it): None = no one signed in, which on an archive
        # without accounts, or for code that opens a Session itself, means acting as the registrar.
        self.account: dict | None = None

    @classmethod
    def open(cls, folder: str | Path | None = None, *, create: bool = False, user: str | None = None) -> "Session":
        return cls(open_archive(folder or default_archive_dir(), create=create), user)

    @property
    def conn(self):
        return self.archive.conn

    @property
    def folder(self) -> Path:
        return self.archive.folder

    def transaction(self, permission: str = "write"):
        """A write transaction; refused (``Forbidden``) unless the signed-in role has ``permission``."""
        self.require(permission)
        return self.archive.transaction()

    # ---------------------------------------------------------------- who may do what
    @property
    def role(self) -> str:
        """The signed-in role; "registrar" when no one is signed in (an archive without accounts, or
        trusted code); "" after signing out."""
        if self.account is None:
            return "registrar"
        return self.account.get("role") or ""

    def can(self, permission: str) -> bool:
        from app.core.permissions import allowed

        return allowed(self.role, permission)

    def require(self, permission: str) -> None:
        if not self.can(permission):
            from app.core.errors import Finding, Forbidden
            from app.core.permissions import permission_name, role_name

            if self.account is not None and self.account.get("signed_out"):
                raise Forbidden([Finding("auth_required", tr("account.sign_in_first"))])
            raise Forbidden([Finding("forbidden", tr("account.forbidden", role=role_name(self.role),
                                                         permission=permission_name(permission)),
                                     field=tr("account.field.role"))])

    @property
    def class_scope(self) -> frozenset[int] | None:
        """The classes this account may read (a head teacher's own), or None for all of them."""
        if self.can("read_all"):
            return None
        return frozenset(self.account.get("class_ids") or ()) if self.account else frozenset()

    def require_student(self, class_id) -> None:
        """Refuse reading a student outside the account's classes (the message does not say who it is)."""
        self.require("read")
        scope = self.class_scope
        if scope is not None and class_id not in scope:
            from app.core.errors import Finding, Forbidden

            raise Forbidden([Finding("forbidden", tr("account.not_your_class"))])

    @property
    def school(self) -> dict | None:
        if self._school is None:
            self._school = school_store.get_school(self.conn)
        return self._school

    def reload(self) -> None:
        self._school = None

    @property
    def profile(self) -> Profile:
        s = self.school
        return load_profile(s["profile"] if s else "national")

    def close(self) -> None:
        self.close_hooks.run(self)
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
