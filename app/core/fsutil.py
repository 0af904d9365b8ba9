"""File-system helpers shared by every writer that must never leave a half-written file: a temporary
file beside the target, removed on any failure (:func:`discard_on_error`), fsync of files and folders, and
a JSON file written whole or not at all."""
from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def discard_on_error(tmp):
    """Around writing ``tmp`` and moving it into place: on any failure or cancel, remove ``tmp``."""
    try:
        yield
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def temp_beside(dest: Path) -> Path:
    """A temporary name for writing ``dest`` in its own folder (``.tmp-<pid>-<name>``), so that
    ``os.replace`` onto ``dest`` is atomic; sweeps recognise leftovers by the ``.tmp-`` prefix."""
    return dest.with_name(f".tmp-{os.getpid()}-{dest.name}")


def fsync_file(p: Path) -> None:
    with open(p, "rb+") as fh:
        os.fsync(fh.fileno())


def fsync_dir(p: Path) -> None:
    """Make a rename or a new file in ``p`` durable (a no-op on Windows and where the OS refuses)."""
    if sys.platform == "win32":
        return
    try:
        fd = os.open(str(p), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_json_durably(path: Path, obj, **dump_kw) -> None:
    """Write ``obj`` as JSON to ``path`` through ``<name>.tmp``, fsynced, then os.replace."""
    tmp = path.with_name(path.name + ".tmp")
    with discard_on_error(tmp):
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(obj, fh, **dump_kw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
