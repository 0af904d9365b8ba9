"""ui/common/workers.py: jobs run off the GUI thread, report progress and results on the GUI thread, can be
cancelled, and deliver failures instead of losing them."""
from __future__ import annotations

import threading
import time

from PySide6.QtCore import QThread

from app.core.errors import Finding, Refused
from ui.common import workers


def test_job_runs_off_the_gui_thread_and_delivers_on_it(qapp):
    seen = {}

    def fn(progress, cancel):
        seen["worker"] = threading.get_ident()
        for i in range(1, 6):
            progress(i, 5)
            time.sleep(0.06)
        return "完成"

    got, steps = [], []
    job = workers.run_job(fn, on_done=lambda r: got.append((r, QThread.currentThread() is qapp.thread())),
                          on_progress=lambda d, t: steps.append((d, t)))
    assert workers.wait(job, 10000)
    assert seen["worker"] != threading.get_ident()
    assert got == [("完成", True)]
    assert steps and steps[-1] == (5, 5)
    assert job.delivered and job.error is None


def test_job_can_be_cancelled(qapp):
    started = threading.Event()

    def fn(progress, cancel):
        started.set()
        while not cancel():
            time.sleep(0.005)
        return "cancelled"

    job = workers.run_job(fn)
    assert started.wait(5)
    job.cancel()
    assert workers.wait(job, 5000)
    assert job.result == "cancelled" and job.cancelled


def test_job_failure_is_delivered(qapp):
    def fn(progress, cancel):
        raise Refused([Finding("x", "出错了", field="姓名")])

    failures = []
    job = workers.run_job(fn, on_error=failures.append)
    assert workers.wait(job, 5000)
    assert len(failures) == 1
    assert isinstance(failures[0].error, Refused)
    assert "Refused" in failures[0].trace


def test_progress_dialog_cancel_button_cancels_the_job(qtbot):
    started = threading.Event()
    done = []

    def fn(progress, cancel):
        started.set()
        n = 0
        while not cancel():
            n += 1
            progress(n % 100, 100)
            time.sleep(0.002)
        return "stopped"

    job = workers.run_with_progress(None, "测试", fn, on_done=done.append, min_duration_ms=0)
    assert started.wait(5)
    qtbot.waitUntil(lambda: job.dialog.isVisible(), timeout=3000)
    from PySide6.QtWidgets import QPushButton

    job.dialog.findChild(QPushButton).click()  # the dialog's 取消 button
    assert workers.wait(job, 5000)
    assert done == ["stopped"]
    from shiboken6 import Shiboken

    assert not Shiboken.isValid(job.dialog) or not job.dialog.isVisible()  # closed (and deleted)


def test_archive_jobs_run_one_at_a_time(qapp):
    running, overlaps = [], []
    lock = threading.Lock()

    def fn(progress, cancel):
        with lock:
            running.append(1)
            if len(running) > 1:
                overlaps.append(1)
        time.sleep(0.03)
        with lock:
            running.pop()
        return True

    jobs = [workers.run_job(fn) for _ in range(4)]
    for j in jobs:
        assert workers.wait(j, 5000)
    assert not overlaps
