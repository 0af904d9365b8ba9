"""The re-crop dialog (ui/photos/photo_recrop_dialog.py): a stored photo re-cut from its kept original —
rotate, move the frame, accept → a new spec photo with that crop/rotation; cancel leaves it; the
frame keeps the preset's shape and stays inside the image; a refusal is shown and the dialog stays."""
from __future__ import annotations

import io

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDialog

ASPECT = 358 / 441


def _jpeg(w=1200, h=900) -> bytes:
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (w, h), (166, 208, 240))
    d = ImageDraw.Draw(im)
    d.ellipse((w // 2 - 120, h // 5, w // 2 + 120, h // 5 + 320), fill=(62, 39, 35))
    d.rectangle((0, 0, 60, 60), fill=(200, 30, 30))   # a marker in the top-left corner
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=92)
    return buf.getvalue()


@pytest.fixture
def stored(archive_factory):
    from app.photos import service as photo_service

    session = archive_factory(students=1)
    sid = session.conn.execute("SELECT id FROM students ORDER BY id LIMIT 1").fetchone()[0]
    photo_service.set_photo(session, sid, _jpeg())
    return session, sid


def _dialog(qtbot, session, sid):
    from ui.photos.photo_recrop_dialog import PhotoRecropDialog

    dlg = PhotoRecropDialog(session, sid)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    return dlg


def test_rotate_move_accept_stores_new_crop(qtbot, stored, tmp_path):
    from app.photos import service as photo_service

    session, sid = stored
    before = photo_service.photo_info(session, sid)
    dlg = _dialog(qtbot, session, sid)
    assert dlg.rotation == 0 and not dlg.message.isVisible()
    l, t, r, b = dlg.crop_box
    assert abs((r - l) / (b - t) - ASPECT) < 0.01 and b - t == pytest.approx(900, abs=0.5)

    dlg.rotate_right_button.click()
    assert dlg.rotation == 90
    l, t, r, b = dlg.crop_box          # reset to the largest centred box of the 900×1200 rotated image
    assert (l, r) == pytest.approx((0, 900), abs=0.5)
    assert (b - t) == pytest.approx(900 / ASPECT, abs=0.5)

    dlg.crop_box = (100, 150, 100 + 500, 150 + 500 / ASPECT)   # a smaller frame, moved
    l, t, r, b = dlg.crop_box
    assert (l, t) == pytest.approx((100, 150), abs=0.5) and r - l == pytest.approx(500, abs=0.5)
    assert dlg.grab().save(str(tmp_path / "recrop.png"))

    with qtbot.waitSignal(dlg.photoSaved, timeout=5000):
        qtbot.keyClick(dlg, Qt.Key.Key_Return)
    assert dlg.result() == QDialog.DialogCode.Accepted
    info = photo_service.photo_info(session, sid)
    assert info["id"] != before["id"] and info["rotate"] == 90 and info["source"] == "recrop"
    assert info["crop"] == pytest.approx([l, t, r, b], abs=0.05)
    img = QImage.fromData(photo_service.get_photo(session, sid))
    assert (img.width(), img.height()) == (358, 441)


def test_cancel_leaves_the_photo(qtbot, stored):
    from app.photos import service as photo_service

    session, sid = stored
    before = photo_service.photo_info(session, sid)
    jpeg = photo_service.get_photo(session, sid)
    dlg = _dialog(qtbot, session, sid)
    dlg.rotate_left_button.click()
    assert dlg.rotation == 270
    dlg.crop_box = (0, 0, 400, 400 / ASPECT)
    qtbot.keyClick(dlg, Qt.Key.Key_Escape)
    assert dlg.result() == QDialog.DialogCode.Rejected
    assert photo_service.photo_info(session, sid)["id"] == before["id"]
    assert photo_service.get_photo(session, sid) == jpeg


def test_frame_keeps_shape_and_stays_inside(qtbot, stored):
    session, sid = stored
    dlg = _dialog(qtbot, session, sid)
    dlg.crop_box = (1000, 700, 1400, 1100)        # a square, partly outside
    l, t, r, b = dlg.crop_box
    assert abs((r - l) / (b - t) - ASPECT) < 0.01
    assert l >= 0 and t >= 0 and r <= 1200.01 and b <= 900.01
    dlg.crop_box = (10, 10, 50, 50)              # smaller than the preset: grown to 358 wide
    l, t, r, b = dlg.crop_box
    assert r - l == pytest.approx(358, abs=0.5)

    view = dlg.view                               # drag inside the frame moves it (mouse, widget pixels)
    frame = view.to_widget(view.box)
    start = frame.center().toPoint()
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view, start + QPointF(40, 30).toPoint())
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=start + QPointF(40, 30).toPoint())
    l2, t2, r2, b2 = dlg.crop_box
    assert l2 > l and t2 > t and r2 - l2 == pytest.approx(r - l, abs=0.5)

    frame = view.to_widget(view.box)              # drag the bottom-right corner: bigger, same shape
    corner = frame.bottomRight().toPoint()
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=corner)
    qtbot.mouseMove(view, corner + QPointF(60, 10).toPoint())
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=corner + QPointF(60, 10).toPoint())
    l3, t3, r3, b3 = dlg.crop_box
    assert (l3, t3) == pytest.approx((l2, t2), abs=0.5) and r3 - l3 > r2 - l2
    assert abs((r3 - l3) / (b3 - t3) - ASPECT) < 0.01 and b3 <= 900.01


def test_refusal_is_shown_and_dialog_stays(qtbot, stored, monkeypatch):
    from app.photos import service as photo_service
    from app.photos.errors import PhotoError

    session, sid = stored
    dlg = _dialog(qtbot, session, sid)

    def refuse(*a, **k):
        raise PhotoError("PHOTO.TOO_SMALL", "太小了")

    monkeypatch.setattr(photo_service, "recrop", refuse)
    assert dlg.save() is False
    assert dlg.isVisible() and dlg.message.isVisible() and "太小了" in dlg.message.text()


def test_editor_recrop_button(qtbot, archive_factory):
    from app.photos import service as photo_service
    from ui.students.student_editor_dialog import StudentEditorDialog

    session = archive_factory(students=1)
    sid = session.conn.execute("SELECT id FROM students ORDER BY id LIMIT 1").fetchone()[0]
    ed = StudentEditorDialog(session, student_id=sid)
    qtbot.addWidget(ed)
    assert not ed.recrop_button.isEnabled() and ed.open_recrop() is None
    photo_service.set_photo(session, sid, _jpeg())
    ed2 = StudentEditorDialog(session, student_id=sid)
    qtbot.addWidget(ed2)
    assert ed2.recrop_button.isEnabled()
    dlg = ed2.open_recrop()
    assert dlg is not None and dlg.student_id == sid and dlg.ok_button.isEnabled()
    dlg.reject()
