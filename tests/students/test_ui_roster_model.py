"""The roster model (ui/students/roster_model.py) over a real archive: Qt model contract, search-as-you-type
by name / pinyin / initials / ID fragment, class and status filters, masked ID numbers, lazy rows."""
from __future__ import annotations

import pytest

from app.students import service as student_service
from ui.students.roster_model import BLOCK, COLUMNS, RosterModel, mask_id_number, mask_xueji_no

NAMED = [("张三丰", "20170304", 901), ("李四", "20161120", 902), ("欧阳娜娜", "20180101", 903)]


@pytest.fixture
def roster(archive_factory, id_number):
    session = archive_factory(students=300)
    ids = {}
    for name, birth, seq in NAMED:
        r = student_service.create_student(session, {"name": name, "id_number": id_number(birth, seq),
                                                     "ethnicity": "01"}, [], class_id=session.class_ids[0])
        ids[name] = r.id
    model = RosterModel(session)
    model.search("")
    return session, model, ids


def _names(model):
    col = COLUMNS.index("name")
    return [model.index(r, col).data() for r in range(model.rowCount())]


def test_model_passes_the_qt_model_tester(qtmodeltester, roster):
    _session, model, _ids = roster
    assert model.rowCount() == 303
    assert model.columnCount() == 8
    qtmodeltester.check(model)


def test_model_tester_after_a_search_and_when_empty(qtmodeltester, roster):
    _session, model, _ids = roster
    model.search("zsf")
    qtmodeltester.check(model)
    model.search("没有这个人")
    assert model.rowCount() == 0
    qtmodeltester.check(model)


def test_headers_are_the_roster_columns(roster):
    _s, model, _ids = roster
    from PySide6.QtCore import Qt

    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["班级", "姓名", "性别", "出生日期", "身份证件号", "学籍号", "民族", "状态"]


@pytest.mark.parametrize("query", ["张三丰", "三丰", "zhangsanfeng", "zsf", "ZSF"])
def test_search_by_name_pinyin_and_initials(roster, query):
    _s, model, ids = roster
    model.search(query)
    assert ids["张三丰"] in model.ids()
    assert "张三丰" in _names(model)


def test_search_by_id_fragment_and_reset_signal(qtbot, roster, id_number):
    _s, model, ids = roster
    fragment = id_number("20161120", 902)[-8:]
    with qtbot.waitSignal(model.modelReset, timeout=1000):
        model.search(fragment)
    assert model.ids() == [ids["李四"]]
    model.search("")
    assert model.rowCount() == 303


def test_search_results_narrow_as_you_type(roster):
    _s, model, ids = roster
    counts = []
    for text in ("o", "oy", "oyn", "oynn"):
        model.search(text)
        counts.append(model.rowCount())
    assert counts == sorted(counts, reverse=True)
    assert model.ids() == [ids["欧阳娜娜"]]


def test_id_numbers_are_masked_in_the_list(roster, id_number):
    _s, model, ids = roster
    model.search("李四")
    shown = model.index(0, COLUMNS.index("id_number")).data()
    full = id_number("20161120", 902)
    assert shown == full[:6] + "********" + full[-4:]
    assert full not in [model.index(0, c).data() for c in range(model.columnCount())]
    assert model.index(0, COLUMNS.index("gender")).data() == "女"
    assert model.index(0, COLUMNS.index("birth_date")).data() == "2016-11-20"
    assert model.index(0, COLUMNS.index("ethnicity")).data() == "汉族"
    assert model.index(0, COLUMNS.index("status")).data() == "在读"


@pytest.mark.parametrize("number, masked", [("110105201703040019", "110105********0019"),
                                            ("11010520170304002X", "110105********002X"),
                                            ("E12345678", "E1*****78"), ("", "")])
def test_mask_id_number(number, masked):
    assert mask_id_number(number) == masked


def test_rows_are_fetched_lazily_in_blocks(roster):
    _s, model, _ids = roster
    model.refresh()
    assert len(model._rows) == 0  # a query alone fetches no rows
    model.index(150, 0).data()
    assert 0 < len(model._rows) <= BLOCK
    assert model.student_id(150) in model._rows


def test_class_filter_and_status_filter(roster):
    session, model, ids = roster
    first = session.class_ids[0]
    model.search("", class_ids=[first])
    assert ids["张三丰"] in model.ids()
    classes = {model.index(r, 0).data() for r in range(model.rowCount())}
    assert len(classes) == 1
    model.search(class_ids=None, statuses=["suspended"])
    assert model.rowCount() == 0
    model.search(statuses=None)
    assert model.rowCount() == 303


def test_blocked_model_does_not_read_the_archive(roster):
    _s, model, _ids = roster
    model.refresh()
    model.set_blocked(True)
    assert model.index(5, 1).data() == ""
    assert len(model._rows) == 0
    model.set_blocked(False)
    assert model.index(5, 1).data() != ""


@pytest.mark.parametrize("number, masked", [("G110105201703040019", "G110105********0019"),
                                            ("L41162820200220276X", "L411628********276X"),
                                            ("", "")])
def test_mask_xueji_no_hides_the_id_number_inside_it(number, masked):
    assert mask_xueji_no(number) == masked


def test_xueji_no_column_never_shows_a_full_id_number(archive_factory, id_number):
    session = archive_factory(students=0)
    number = id_number("20170304", 31)
    student_service.create_student(session, {"name": "赵六", "id_number": number, "ethnicity": "01",
                                             "xueji_no": "G" + number}, [], class_id=session.class_ids[0])
    model = RosterModel(session)
    model.search("")
    row = [model.index(0, c).data() for c in range(model.columnCount())]
    assert not any(number in str(v) for v in row)
    assert row[COLUMNS.index("xueji_no")] == "G" + number[:6] + "********" + number[-4:]
    model.search(number[-6:])  # still found by the hidden digits
    assert model.rowCount() == 1
