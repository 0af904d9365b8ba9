"""ui/students/search_index.py answers exactly what app.students.service.search_ids answers (same ids, same
order) for names, pinyin, initials, ID fragments, class and status filters, and stays current after
edits made through the GUI."""
from __future__ import annotations

import pytest

from app.students import service as student_service
from ui.students.search_index import SearchIndex, normalise

QUERIES = ["", "张", "张三丰", "zsf", "ZSF", "zhang", "z", "oy", "ouyang", "欧阳 娜娜", "1101", "0304",
           "２０１７", "x", "李四", "nosuchname", "%", "_", "·", "w", "wa", "2016"]


@pytest.fixture
def built(qtbot, archive_factory, id_number):
    session = archive_factory(students=200, classes=4)
    for name, birth, seq in (("张三丰", "20170304", 901), ("李四", "20161120", 902), ("欧阳娜娜", "20180101", 903)):
        student_service.create_student(session, {"name": name, "id_number": id_number(birth, seq), "ethnicity": "01"},
                                       [], class_id=session.class_ids[1])
    index = SearchIndex(session)
    index.rebuild()
    qtbot.waitUntil(lambda: index.ready, timeout=10000)
    return session, index


@pytest.mark.parametrize("query", QUERIES)
def test_index_matches_search_ids(built, query):
    session, index = built
    assert index.match(query) == student_service.search_ids(session, query)


def test_index_matches_with_class_and_status_filters(built):
    session, index = built
    cid = session.class_ids[1]
    for q in ("", "z", "张", "2017"):
        assert index.match(q, class_ids=[cid]) == student_service.search_ids(session, q, class_id=cid)
        assert index.match(q, statuses=["enrolled"]) == student_service.search_ids(session, q, statuses=["enrolled"])
        assert index.match(q, statuses=["suspended"]) == []


def test_index_follows_edits(qtbot, built, id_number):
    session, index = built
    r = student_service.create_student(session, {"name": "司马光", "id_number": id_number("20170707", 955),
                                                 "ethnicity": "01"}, [], class_id=session.class_ids[0])
    index.update([r.id])
    qtbot.waitUntil(lambda: index.ready, timeout=5000)
    assert index.match("smg") == [r.id] == student_service.search_ids(session, "smg")
    student_service.edit_student(session, r.id, {"name": "司马迁"}, reason="更正", evidence=["户口本"])
    index.update([r.id])
    assert index.match("司马光") == []
    assert index.match("smq") == [r.id]
    assert index.match("") == student_service.search_ids(session, "")


def test_normalise_is_the_search_ids_pattern():
    assert normalise(" Zhang San ") == "zhangsan"
    assert normalise("阿依·古丽") == "阿依古丽"
    assert normalise("ＺＳＦ１２") == "zsf12"


def test_main_window_uses_the_index_once_ready(qtbot, archive_factory, monkeypatch):
    from ui.main_window import MainWindow

    win = MainWindow(archive_factory(students=50))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.model.search_index is not None and win.model.search_index.ready, timeout=10000)
    calls = []
    real = student_service.search_ids
    monkeypatch.setattr(student_service, "search_ids", lambda *a, **k: calls.append(a) or real(*a, **k))
    win.search_box.setText("w")
    assert calls == []  # answered from memory
    assert win.model.ids() == real(win.session, "w")
