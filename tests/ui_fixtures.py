"""Fixtures shared by the window tests: a small primary school on a real archive, and the message boxes
captured instead of shown (each test module imports the ones it uses)."""
from __future__ import annotations

import pytest

from tests.helpers import fill_class, new_class, new_school
from ui.common import messages


def capture_messages(monkeypatch, *, confirm: str | None = None, keep_kw: bool = False) -> list:
    """Message boxes are modal: record them instead of blocking the test. ``info``/``error`` are recorded as
    (name, text), or (name, text, kw) with ``keep_kw``; ``confirm``: None leaves it alone, "yes" answers yes,
    "record" also records ("confirm", text)."""
    out = []
    for name in ("info", "error"):
        if keep_kw:
            monkeypatch.setattr(messages, name, lambda parent, text, _n=name, **kw: out.append((_n, text, kw)))
        else:
            monkeypatch.setattr(messages, name, lambda parent, text, _n=name, **kw: out.append((_n, text)))
    if confirm == "yes":
        monkeypatch.setattr(messages, "confirm", lambda parent, text, **kw: True)
    elif confirm == "record":
        monkeypatch.setattr(messages, "confirm", lambda parent, text, **kw: out.append(("confirm", text)) or True)
    return out


@pytest.fixture
def shown(monkeypatch):
    return capture_messages(monkeypatch)


@pytest.fixture
def archive(tmp_path):
    s = new_school(tmp_path, stages="primary")
    cid = new_class(s, 3)
    s.test_ids = [r.id for r in fill_class(s, cid, 4, 3)]
    yield s
    s.close()
