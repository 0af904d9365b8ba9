"""Student photos in the UI (ui/photos/photo_capture_dialog.py, ui/photos/photo_intake.py, the roster's photo
column): the capture dialog driven end to end without camera hardware — synthetic frames through a
QVideoFrameInput → preview → Space → still → Enter → stored on the student — the no-camera path
with its file button, the class intake flow, and the roster's 照片 column and 缺照片 filter."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QByteArray, QBuffer, QIODevice, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter

from ui.photos.photo_widgets import crop_rect



def portrait(w: int = 640, h: int = 480) -> QImage:
    """A light-blue background with a dark ellipse "head" and shoulders."""
    img = QImage(w, h, QImage.Format.Format_RGB32)
    img.fill(QColor("#a6d0f0"))
    p = QPainter(img)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#3e2723"))
    p.drawEllipse(w // 2 - w * 11 // 100, h * 18 // 100, w * 22 // 100, h * 40 // 100)
    p.setBrush(QColor("#37474f"))
    p.drawEllipse(w // 2 - w * 24 // 100, h * 62 // 100, w * 48 // 100, h * 60 // 100)
    p.end()
    return img


def jpeg_file(path, w=800, h=1000):
    portrait(w, h).save(str(path), "JPEG", 92)
    return str(path)


class FrameFeeder:
    """Sends a synthetic frame into a QVideoFrameInput every 30 ms (a camera keeps sending)."""

    def __init__(self, image: QImage):
        from PySide6.QtMultimedia import QVideoFrame, QVideoFrameInput

        self.input = QVideoFrameInput()
        self.image = image
        self.sent = 0
        self.timer = QTimer()
        self.timer.setInterval(30)
        self.timer.timeout.connect(self.send)

        self._frame = QVideoFrame

    def send(self):
        self.input.sendVideoFrame(self._frame(self.image))
        self.sent += 1

    def start(self):
        self.send()
        self.timer.start()
        return self

    def stop(self):
        self.timer.stop()


_KEEP = []  # frame inputs stay alive for the session: a dialog may still hold one while it is torn down


@pytest.fixture
def feeder():
    f = FrameFeeder(portrait()).start()
    _KEEP.append(f)
    yield f
    f.stop()


def _decode(data: bytes) -> QImage:
    img = QImage()
    assert img.loadFromData(data)
    return img


def _first_student(session):
    from app.students import service as student_service

    return student_service.search_ids(session, "")[0]


def test_crop_rect_is_26_by_32_and_centred():
    r = crop_rect(640, 480)
    assert (r.width(), r.height()) == (390, 480)
    assert r.x() == (640 - 390) // 2
    r = crop_rect(480, 1000)
    assert r.width() == 480 and abs(r.height() / r.width() - 32 / 26) < 0.01


def test_capture_dialog_end_to_end_with_synthetic_frames(qtbot, archive_factory, feeder):
    from ui.photos.photo_capture_dialog import PhotoCaptureDialog

    session = archive_factory(students=3)
    sid = _first_student(session)
    dlg = PhotoCaptureDialog(session, sid, None, frame_input=feeder.input)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitUntil(lambda: not dlg.last_frame.isNull() and dlg.state == "live", timeout=5000)
    assert dlg.last_frame.size().width() == 640
    assert dlg.capture_button.isEnabled()
    assert not dlg.accept_button.isEnabled()
    qtbot.keyClick(dlg, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dlg.state == "still", timeout=5000)
    assert (dlg.still.width(), dlg.still.height()) == (390, 480)
    # the still is the middle of the frame: the head's dark colour at the centre top third
    assert QColor(dlg.still.pixel(195, 150)).blue() < 80
    # retake goes back to live, then capture again
    qtbot.mouseClick(dlg.retake_button, Qt.MouseButton.LeftButton)
    assert dlg.state == "live" and dlg.still is None
    qtbot.keyClick(dlg, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dlg.state == "still", timeout=5000)
    from app.photos import service as photo_service

    with qtbot.waitSignal(dlg.finished, timeout=5000):
        qtbot.keyClick(dlg, Qt.Key.Key_Return)
    assert dlg.result() == dlg.DialogCode.Accepted, dlg.message.text()
    stored = photo_service.get_photo(session, sid)
    assert stored is not None
    img = _decode(stored)
    assert (img.width(), img.height()) == (358, 441)
    assert sid in photo_service.has_photo_ids(session)


def test_escape_cancels_and_stores_nothing(qtbot, archive_factory, feeder):
    from ui.photos.photo_capture_dialog import PhotoCaptureDialog

    session = archive_factory(students=1)
    sid = _first_student(session)
    dlg = PhotoCaptureDialog(session, sid, None, frame_input=feeder.input)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitUntil(lambda: dlg.state == "live", timeout=5000)
    qtbot.keyClick(dlg, Qt.Key.Key_Return)    # nothing captured yet: Enter does nothing
    assert dlg.isVisible()
    with qtbot.waitSignal(dlg.finished, timeout=2000):
        qtbot.keyClick(dlg, Qt.Key.Key_Escape)
    assert dlg.result() == dlg.DialogCode.Rejected
    from app.photos import service as photo_service

    assert photo_service.get_photo(session, sid) is None


def test_no_camera_says_so_and_offers_file(qtbot, archive_factory, monkeypatch, tmp_path):
    from PySide6.QtMultimedia import QMediaDevices

    from ui.photos.photo_capture_dialog import PhotoCaptureDialog

    if QMediaDevices.videoInputs():
        pytest.skip("this machine has a camera")
    session = archive_factory(students=1)
    sid = _first_student(session)
    dlg = PhotoCaptureDialog(session, sid, None)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.state == "failed"
    assert "没有检测到摄像头" in dlg.message.text()
    assert "没有检测到摄像头" in dlg.preview.message
    assert not dlg.capture_button.isEnabled()
    assert dlg.file_button.isEnabled()
    dlg.grab()  # paints without error: never a blank window
    qtbot.keyClick(dlg, Qt.Key.Key_Space)    # no camera: Space does nothing
    assert dlg.state == "failed"
    from PySide6.QtWidgets import QFileDialog

    from app.photos import service as photo_service

    path = jpeg_file(tmp_path / "photo.jpg")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (path, "")))
    with qtbot.waitSignal(dlg.finished, timeout=5000):
        qtbot.mouseClick(dlg.file_button, Qt.MouseButton.LeftButton)
    assert dlg.result() == dlg.DialogCode.Accepted
    img = _decode(photo_service.get_photo(session, sid))
    assert (img.width(), img.height()) == (358, 441)


def test_a_bad_file_is_refused_in_the_dialog(qtbot, archive_factory, tmp_path):
    from app.photos import service as photo_service
    from ui.photos.photo_capture_dialog import PhotoCaptureDialog

    session = archive_factory(students=1)
    sid = _first_student(session)
    bad = tmp_path / "not_a_photo.jpg"
    bad.write_bytes(b"this is not an image")
    dlg = PhotoCaptureDialog(session, sid, None)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.use_file(str(bad)) is False
    assert dlg.isVisible()
    assert dlg.message.text().startswith("照片没有保存")
    assert photo_service.get_photo(session, sid) is None


def test_dropping_an_image_file_is_accepted(qtbot, archive_factory, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    from ui.photos.photo_capture_dialog import PhotoCaptureDialog

    session = archive_factory(students=1)
    sid = _first_student(session)
    dlg = PhotoCaptureDialog(session, sid, None)
    qtbot.addWidget(dlg)
    dlg.show()
    used = []
    dlg.use_file = lambda p: used.append(p) or True
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(jpeg_file(tmp_path / "drop.jpg"))])
    enter = QDragEnterEvent(dlg.rect().center(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    dlg.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(dlg.rect().center()), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    dlg.dropEvent(drop)
    assert used == [str(tmp_path / "drop.jpg")]
    text = QMimeData()
    text.setText("hello")
    enter = QDragEnterEvent(dlg.rect().center(), Qt.DropAction.CopyAction, text, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    dlg.dragEnterEvent(enter)
    assert not enter.isAccepted()


def test_editor_photo_button_only_for_saved_students(qtbot, archive_factory):
    from ui.students.student_editor_dialog import StudentEditorDialog

    session = archive_factory(students=1)
    new = StudentEditorDialog(session)
    qtbot.addWidget(new)
    assert not new.photo_button.isEnabled()
    sid = _first_student(session)
    ed = StudentEditorDialog(session, student_id=sid)
    qtbot.addWidget(ed)
    assert ed.photo_button.isEnabled()
    dlg = ed.open_photo()
    assert dlg is not None and dlg.student_id == sid
    dlg.reject()


def test_intake_walks_the_class(qtbot, archive_factory, feeder):
    from app.photos import service as photo_service
    from ui.main_window import MainWindow

    session = archive_factory(students=4, classes=2)
    win = MainWindow(session)
    qtbot.addWidget(win)
    win._select_node(("class", session.class_ids[0]))
    assert win.current_class_id() == session.class_ids[0]
    dlg = win.photo_intake(frame_input=feeder.input)
    assert dlg is not None and len(dlg.students) == 2
    first, second = dlg.students[0][0], dlg.students[1][0]
    qtbot.waitUntil(lambda: dlg.state == "live", timeout=5000)
    qtbot.keyClick(dlg, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dlg.state == "still", timeout=5000)
    qtbot.keyClick(dlg, Qt.Key.Key_Return)
    assert dlg.student_id == second and dlg.index == 1
    assert first in photo_service.has_photo_ids(session)
    assert dlg.list.item(0).text().startswith("\u2713")
    qtbot.waitUntil(lambda: dlg.state == "live", timeout=5000)
    dlg.reject()
    assert second not in photo_service.has_photo_ids(session)


def test_intake_needs_a_class(qtbot, archive_factory, monkeypatch):
    from ui.common import messages
    from ui.main_window import MainWindow
    from ui.photos.photo_intake import open_intake

    session = archive_factory(students=2)
    win = MainWindow(session)
    qtbot.addWidget(win)
    said = []
    monkeypatch.setattr(messages, "info", lambda parent, text, **k: said.append(text))
    monkeypatch.setattr(messages, "error", lambda parent, text, **k: said.append(text))
    assert open_intake(win, None) is None
    assert said


def test_roster_photo_column_and_missing_filter(qtbot, qtmodeltester, archive_factory, tmp_path):
    from ui.students.roster_model import COLUMNS, RosterModel

    session = archive_factory(students=12)
    model = RosterModel(session, photos=True)
    model.search("")
    assert model.columnCount() == len(COLUMNS) + 1
    assert model.headerData(len(COLUMNS), Qt.Orientation.Horizontal) == "照片"
    qtmodeltester.check(model)
    col = len(COLUMNS)
    assert all(model.index(r, col).data() == "" for r in range(model.rowCount()))
    model.search(missing_photo=True)
    assert model.rowCount() == 12
    from app.photos import service as photo_service

    with_photo = model.ids()[:3]
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    portrait(600, 800).save(buf, "JPEG", 90)
    for sid in with_photo:
        photo_service.set_photo(session, sid, bytes(data.data()), source="file")
    model.refresh(with_photo)
    assert model.rowCount() == 9 and not set(with_photo) & set(model.ids())
    qtmodeltester.check(model)
    model.search(missing_photo=False)
    assert model.rowCount() == 12
    row = model.row_of(with_photo[0])
    assert model.index(row, col).data() == "\u2713"
    assert model.index(row, col).data(Qt.ItemDataRole.DecorationRole) is None  # loaded lazily, not in data()
    qtbot.waitUntil(lambda: model.index(row, col).data(Qt.ItemDataRole.DecorationRole) is not None, timeout=3000)
    qtmodeltester.check(model)


def test_main_window_has_the_photo_menu_and_filter(qtbot, archive_factory):
    from ui.main_window import MainWindow

    session = archive_factory(students=3)
    win = MainWindow(session)
    qtbot.addWidget(win)
    texts = [a.text() for m in win.menuBar().actions() for a in m.menu().actions()]
    assert "拍照采集（按班级）…" in texts
    assert "导入照片…" in texts and "导出照片（国家系统）…" in texts
    win.missing_photo_box.setChecked(True)
    assert win.model.missing_photo
    win.missing_photo_box.setChecked(False)
    assert win.model.rowCount() == 3


def test_import_report_text_handles_lists_and_counts():
    from types import SimpleNamespace

    from ui.photos.photo_intake import export_report_text, import_report_text

    r = SimpleNamespace(total=5, matched=[1, 2], unmatched=["x.jpg"], ambiguous=[("王伟.jpg", "2 名学生同名")],
                        rejected=[{"name": "bad.jpg", "reason": "不是图片"}], cancelled=False)
    text, detail = import_report_text(r)
    assert "匹配并保存 2 张" in text and "被拒绝 1 张" in text
    assert "bad.jpg：不是图片" in detail and "x.jpg" in detail and "王伟.jpg：2 名学生同名" in detail
    e = SimpleNamespace(zips=["a.zip"], count=30, missing=[{"name": "张三", "reason": "一年级（1）班"}])
    text, detail = export_report_text(e, "/tmp/out")
    assert "30 张" in text and "1 名学生缺照片" in text and "张三" in detail
