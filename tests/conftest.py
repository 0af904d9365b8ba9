"""Shared test set-up: Qt runs offscreen for the whole session (one QApplication, made by pytest-qt),
and fixtures that build real archives in tmp_path through app/ services (no mocks of storage)."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import datetime as _dt  # noqa: E402

import pytest  # noqa: E402

from tests.helpers import make_id_number  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华玉梅浩然欣怡轩宇航思远雨桐"


def school_year_start() -> int:
    today = _dt.date.today()
    return today.year if today.month >= 8 else today.year - 1


@pytest.fixture
def id_number():
    """``id_number(birth="20170304", seq=1)`` → a valid ID number."""
    return make_id_number


@pytest.fixture
def archive_factory(tmp_path):
    """``archive_factory(students=0, classes=2, profile="national", name=…)`` → an open Session on a new
    archive in tmp_path: a primary school with grade-1 and grade-2 classes and valid students
    (born 2016–2018, ID numbers under 110105). Sessions are closed after the test."""
    sessions = []

    def make(students: int = 0, *, classes: int = 2, profile: str = "national", name: str = "测试实验小学",
             code: str = "4101000001", stages: str = "primary,junior", folder=None):
        from app.school import classes as class_service
        from app.students import service as student_service
        from app.school.service import init_school

        folder = folder or tmp_path / f"archive{len(sessions)}"
        session = init_school(folder, name=name, code=code, stages=stages, profile=profile)
        sessions.append(session)
        start = school_year_start()
        class_ids = []
        for i in range(classes):
            grade = 1 + i % 2
            number = 1 + i // 2
            class_ids.append(class_service.add_class(session, stage="primary", grade=grade, number=number,
                                                     entry_year=start - (grade - 1), capacity=200,
                                                     code=f"{start - (grade - 1)}1{number:02d}"))
        for n in range(students):
            cid = class_ids[n % len(class_ids)]
            birth = f"{2016 + n % 3}{1 + n % 12:02d}{1 + n % 28:02d}"
            surname = SURNAMES[n % len(SURNAMES)]
            given = GIVEN[(n * 7) % len(GIVEN)] + GIVEN[(n * 3 + 1) % len(GIVEN)]
            student_service.create_student(
                session, {"name": surname + given, "id_number": make_id_number(birth, n + 1), "ethnicity": "01",
                          "seat_no": str(n // len(class_ids) + 1)},
                [{"seq": 1, "name": surname + "建国", "relation": "1"}], class_id=cid)
        session.class_ids = class_ids
        return session

    yield make
    for s in sessions:
        try:
            s.close()
        except Exception:
            pass
