"""Long work off the GUI thread: a Job runs a callable on a worker thread with progress and cancel
callbacks, and reports back by signal (picard's thread.py, Anki's taskman/CollectionOp).

Jobs that touch the archive run on one single-thread pool, so archive work is serialised; the
callable gets ``progress(done, total)`` and ``cancel() -> bool`` and must never touch widgets.
``run_with_progress`` adds a modal QProgressDialog with a cancel button.
"""
from __future__ import annotations

import collections
import threading
import time
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from ui.common.i18n import tr

DRAIN_WAIT_MS = 5000  # how long closing an archive waits for its worker to finish cancelled jobs
PROGRESS_INTERVAL_S = 0.05  # at most ~20 progress signals a second, however often the job reports

_archive_pool: QThreadPool | None = None
_running: set["Job"] = set()  # keeps each Job alive until its result has been delivered


def archive_pool() -> QThreadPool:
    """The one worker thread for jobs that read or write the archive."""
    global _archive_pool
    if _archive_pool is None:
        _archive_pool = QThreadPool()
        _archive_pool.setMaxThreadCount(1)
    return _archive_pool


class JobFailed(Exception):
    """Wraps an exception raised inside a job; ``error`` is the original, ``trace`` its traceback."""

    def __init__(self, error: BaseException, trace: str):
        super().__init__(str(error))
        self.error = error
        self.trace = trace


class _Runnable(QRunnable):
    """A runnable the pool does not delete: Python owns it, so shiboken never keeps a wrapper for a C++
    object Qt freed behind its back (``QRunnable.create`` + autoDelete did: a stale wrapper later came
    back as the wrong object and crashed the interpreter now and then)."""

    def __init__(self, fn):
        super().__init__()
        self._fn = fn
        self.setAutoDelete(False)

    def run(self) -> None:
        self._fn()


# The pool still reads a runnable for a moment after run() returns (to ask autoDelete), which can be
# after the Job delivered its result and was dropped: keep the last runnables alive well past that.
_recent_runnables: "collections.deque[_Runnable]" = collections.deque(maxlen=256)


class Job(QObject):
    """A callable ``fn(progress=, cancel=)`` run on a pool thread.

    Public signals are emitted on the GUI thread (the worker emits private ones that are queued to
    this object's slots), so anything connected to them may touch widgets:
    ``progress(done, total)``, ``succeeded(result)``, ``failed(JobFailed)``, then ``finished()``.
    """

    progress = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(object)
    finished = Signal()
    _w_progress = Signal(int, int)
    _w_done = Signal()

    def __init__(self, fn: Callable[..., Any], parent: QObject | None = None):
        super().__init__(parent)
        self._fn = fn
        self._cancel = threading.Event()
        self._last_progress = 0.0
        self.result: Any = None
        self.error: JobFailed | None = None
        self.done = False       # the callable has returned (worker side)
        self.delivered = False  # the result has been delivered on the GUI thread
        self._w_progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._w_done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)

    # worker thread ------------------------------------------------------------------------------
    def _report(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last_progress >= PROGRESS_INTERVAL_S or done >= total:
            self._last_progress = now
            self._w_progress.emit(int(done), int(total))

    def _run(self) -> None:
        try:
            self.result = self._fn(progress=self._report, cancel=self._cancel.is_set)
        except BaseException as e:  # reported to the GUI, never lost on the worker thread
            self.error = JobFailed(e, traceback.format_exc())
        self.done = True
        self._w_done.emit()

    # GUI thread ---------------------------------------------------------------------------------
    def _on_progress(self, done: int, total: int) -> None:
        if not self.delivered:
            self.progress.emit(done, total)

    def _on_done(self) -> None:
        self.delivered = True
        _running.discard(self)
        if self.error is not None:
            self.failed.emit(self.error)
        else:
            self.succeeded.emit(self.result)
        self.finished.emit()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def start(self, pool: QThreadPool | None = None) -> "Job":
        _running.add(self)
        runnable = _Runnable(self._run)
        _recent_runnables.append(runnable)
        (pool or archive_pool()).start(runnable)
        return self


def run_job(fn, *, on_done=None, on_error=None, on_progress=None, pool=None) -> Job:
    job = Job(fn)
    if on_progress:
        job.progress.connect(on_progress)
    if on_done:
        job.succeeded.connect(on_done)
    if on_error:
        job.failed.connect(on_error)
    return job.start(pool)


def run_with_progress(parent: QWidget | None, label: str, fn, *, on_done=None, on_error=None,
                      title: str | None = None, min_duration_ms: int = 300) -> Job:
    """Run ``fn`` as a Job behind a modal progress dialog whose 取消 button cancels the job.

    The dialog closes when the job ends; ``on_done(result)`` / ``on_error(JobFailed)`` run after it.
    """
    dlg = QProgressDialog(label, tr("common.cancel"), 0, 0, parent)
    dlg.setWindowTitle(title or tr("progress.title"))
    dlg.setWindowModality(Qt.WindowModality.WindowModal)
    dlg.setMinimumDuration(min_duration_ms)
    dlg.setAutoClose(False)
    dlg.setAutoReset(False)
    dlg.setMinimumWidth(360)
    job = Job(fn)
    job.dialog = dlg

    def progress(done: int, total: int) -> None:
        if total > 0:
            dlg.setMaximum(total)
            dlg.setValue(min(done, total))
            dlg.setLabelText(tr("progress.count", label=label, done=done, total=total))

    def cancel() -> None:
        job.cancel()
        dlg.setLabelText(tr("progress.cancelling"))
        dlg.setCancelButton(None)
        dlg.show()

    def finished() -> None:
        dlg.canceled.disconnect(cancel)
        dlg.hide()
        dlg.deleteLater()
        if job.error is not None:
            if on_error:
                on_error(job.error)
        elif on_done:
            on_done(job.result)

    job.progress.connect(progress)
    dlg.canceled.connect(cancel)
    job.finished.connect(finished)
    job.start()
    # QProgressDialog shows itself after min_duration only when setValue is called: nudge it.
    QTimer.singleShot(min_duration_ms, lambda: (not job.delivered) and dlg.show())
    return job


def wait(job: Job, timeout_ms: int = 60000) -> bool:
    """Process events until ``job`` has delivered its result; for tests and scripts."""
    from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop

    deadline = QDeadlineTimer(timeout_ms)
    while not job.delivered and not deadline.hasExpired():
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        if not job.done:
            time.sleep(0.002)
    return job.delivered


def drain_archive_jobs(session=None) -> None:
    """Cancel every job still running and wait until the archive worker is idle (before the archive's
    connection closes: a worker must never use a closed connection). Jobs are all-or-nothing, so a
    cancelled one leaves nothing half-written."""
    if threading.current_thread() is not threading.main_thread():
        return  # closed from inside a job: waiting for the worker would wait for itself
    for job in list(_running):
        job.cancel()
    if _archive_pool is not None:
        # bounded: a job stuck on something outside the archive must not hang closing
        _archive_pool.waitForDone(DRAIN_WAIT_MS)


def guard_session(session) -> None:
    """Before ``session`` closes its archive, drain the archive jobs (``drain_archive_jobs``): the window
    calls this for the session it works on."""
    session.close_hooks.add(drain_archive_jobs)
