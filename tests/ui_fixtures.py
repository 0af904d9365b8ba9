"""Fixtures shared by the window tests: a small primary school on a real archive, and the message boxes
captured instead of shown (each test module imports the ones it uses)."""
import pytest

from tests.helpers import fill_class, new_class, new_school
from ui.common import messages


@pytest.fixture
def shown(monkeypatch):
    out = []
    for name in ("info", "error"):
        monkeypatch.setattr(messages, name, lambda parent, text, _n=name, **kw: out.append((_n, text)))
    return out


@pytest.fixture
def archive(tmp_path):
    s = new_school(tmp_path, stages="primary")
    cid = new_class(s, 3)
    s.test_ids = [r.id for r in fill_class(s, cid, 4, 3)]
    yield s
    s.close()
