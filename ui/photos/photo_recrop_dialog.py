"""The re-crop dialog: a student's current photo re-cut from its kept original (issue 3).

The original is decoded by the pipeline (``load_image``: EXIF orientation applied exactly as when the
photo is processed), downscaled for display and shown with a crop frame fixed to the preset's aspect
ratio: drag inside the frame to move it, drag a corner to resize it; it always stays inside the image.
向左旋转 / 向右旋转 turn the preview by 90° and reset the frame to the largest centred box. 确定 (Enter)
stores a new spec photo through ``photo_service.recrop``; a refusal is shown in red and the dialog stays
open. 取消 (Esc) leaves the photo as it was.

Coordinates: :attr:`PhotoRecropDialog.crop_box` is (left, top, right, bottom) in pixels of the
orientation-corrected original rotated clockwise by :attr:`PhotoRecropDialog.rotation` degrees —
the pipeline's ``crop``/``rotate`` arguments as they are.
"""
from __future__ import annotations

import io

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen, QTransform
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from app.students import service as student_service
from app.core.errors import NotFound, Refused
from app.photos.errors import PhotoError
from ui.common.i18n import tr

MSG_STYLE = "QLabel { color: #b71c1c; background: #fff5f5; border: 1px solid #ef9a9a; padding: 6px; }"
HINT_STYLE = "QLabel { color: #455a64; padding: 6px; }"
DISPLAY_MAX = 1600      # longest side of the preview image (the crop box stays in full-resolution pixels)
HANDLE = 12             # widget pixels around a corner that grab it for resizing


def error_text(err: BaseException) -> str:
    findings = getattr(err, "findings", None)
    if findings:
        return "\n".join(f.text() for f in findings)
    return getattr(err, "message", None) or str(err) or type(err).__name__


def centred_box(size: tuple[float, float], aspect: float) -> tuple[float, float, float, float]:
    """The largest box of ``aspect`` (width/height) centred in ``size``."""
    w, h = size
    if w / h > aspect:
        cw, ch = h * aspect, float(h)
    else:
        cw, ch = float(w), w / aspect
    left, top = (w - cw) / 2, (h - ch) / 2
    return (left, top, left + cw, top + ch)


class CropView(QWidget):
    """The preview with the crop frame. ``box`` is in full-resolution pixels of the rotated image
    (``full`` is that image's size); the displayed image may be smaller."""

    boxChanged = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.image = QImage()
        self.full = (1.0, 1.0)
        self.aspect = 1.0
        self.min_width = 1.0
        self.box = QRectF()
        self._drag = None        # ("move", offset QPointF) or ("resize", anchor QPointF, sx, sy)
        self.setMinimumSize(QSize(420, 360))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def sizeHint(self) -> QSize:
        return QSize(640, 520)

    # ------------------------------------------------------------------ state
    def set_image(self, image: QImage, full: tuple[int, int], aspect: float, min_width: float) -> None:
        self.image = image
        self.full = (float(full[0]), float(full[1]))
        self.aspect = aspect
        self.min_width = min_width
        self.reset_box()

    def reset_box(self) -> None:
        l, t, r, b = centred_box(self.full, self.aspect)
        self.box = QRectF(l, t, r - l, b - t)
        self.boxChanged.emit()
        self.update()

    def max_width(self) -> float:
        return min(self.full[0], self.full[1] * self.aspect)

    def set_box(self, box) -> None:
        """Any (l, t, r, b): its centre kept, the preset's shape, at least the minimum and inside the image."""
        l, t, r, b = (float(c) for c in box)
        w = max(r - l, 1e-6)
        h = max(b - t, 1e-6)
        w = min(w, h * self.aspect)
        w = min(max(w, min(self.min_width, self.max_width())), self.max_width())
        h = w / self.aspect
        cx, cy = (l + r) / 2, (t + b) / 2
        self._place(QRectF(cx - w / 2, cy - h / 2, w, h))

    def _place(self, rect: QRectF) -> None:
        W, H = self.full
        x = min(max(rect.x(), 0.0), W - rect.width())
        y = min(max(rect.y(), 0.0), H - rect.height())
        self.box = QRectF(x, y, rect.width(), rect.height())
        self.boxChanged.emit()
        self.update()

    # ------------------------------------------------------------------ geometry
    def image_rect(self) -> QRectF:
        if self.image.isNull():
            return QRectF()
        s = QSize(round(self.full[0]), round(self.full[1])).scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        return QRectF((self.width() - s.width()) / 2, (self.height() - s.height()) / 2, s.width(), s.height())

    def _scale(self) -> float:
        return self.image_rect().width() / self.full[0]

    def to_widget(self, r: QRectF) -> QRectF:
        t, k = self.image_rect(), self._scale()
        return QRectF(t.x() + r.x() * k, t.y() + r.y() * k, r.width() * k, r.height() * k)

    def to_image(self, p: QPointF) -> QPointF:
        t, k = self.image_rect(), self._scale()
        return QPointF((p.x() - t.x()) / k, (p.y() - t.y()) / k)

    def _corner_at(self, pos: QPointF):
        frame = self.to_widget(self.box)
        for corner, sx, sy in ((frame.topLeft(), -1, -1), (frame.topRight(), 1, -1),
                               (frame.bottomLeft(), -1, 1), (frame.bottomRight(), 1, 1)):
            if abs(pos.x() - corner.x()) <= HANDLE and abs(pos.y() - corner.y()) <= HANDLE:
                return sx, sy
        return None

    # ------------------------------------------------------------------ mouse
    def mousePressEvent(self, event) -> None:
        if self.image.isNull() or event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        pos = event.position()
        corner = self._corner_at(pos)
        b = self.box
        if corner is not None:
            sx, sy = corner
            anchor = QPointF(b.left() if sx > 0 else b.right(), b.top() if sy > 0 else b.bottom())
            self._drag = ("resize", anchor, sx, sy)
        elif self.to_widget(b).contains(pos):
            self._drag = ("move", self.to_image(pos) - b.topLeft())
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        pos = event.position()
        if self._drag is None:
            corner = self._corner_at(pos) if not self.image.isNull() else None
            if corner is not None:
                diag = corner[0] == corner[1]
                self.setCursor(Qt.CursorShape.SizeFDiagCursor if diag else Qt.CursorShape.SizeBDiagCursor)
            elif not self.image.isNull() and self.to_widget(self.box).contains(pos):
                self.setCursor(Qt.CursorShape.OpenHandCursor)
            else:
                self.unsetCursor()
            return
        p = self.to_image(pos)
        if self._drag[0] == "move":
            tl = p - self._drag[1]
            self._place(QRectF(tl.x(), tl.y(), self.box.width(), self.box.height()))
        else:
            _, anchor, sx, sy = self._drag
            self.resize_from(anchor, sx, sy, p)
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        if self._drag is not None:
            self._drag = None
            self.unsetCursor()
            event.accept()
        else:
            super().mouseReleaseEvent(event)

    def resize_from(self, anchor: QPointF, sx: int, sy: int, p: QPointF) -> None:
        """The frame with one corner at ``anchor`` and the opposite one toward ``p`` (direction sx, sy)."""
        W, H = self.full
        w = max((p.x() - anchor.x()) * sx, (p.y() - anchor.y()) * sy * self.aspect)
        room_w = W - anchor.x() if sx > 0 else anchor.x()
        room_h = H - anchor.y() if sy > 0 else anchor.y()
        w = min(w, room_w, room_h * self.aspect)
        w = max(w, min(self.min_width, room_w, room_h * self.aspect))
        h = w / self.aspect
        x = anchor.x() if sx > 0 else anchor.x() - w
        y = anchor.y() if sy > 0 else anchor.y() - h
        self._place(QRectF(x, y, w, h))

    # ------------------------------------------------------------------ painting
    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.fillRect(self.rect(), QColor("#263238"))
        if self.image.isNull():
            return
        target = self.image_rect()
        p.drawImage(target, self.image)
        frame = self.to_widget(self.box)
        outside = QPainterPath()
        outside.addRect(target)
        inner = QPainterPath()
        inner.addRect(frame)
        p.fillPath(outside.subtracted(inner), QColor(0, 0, 0, 140))
        p.setPen(QPen(QColor("#66bb6a"), 2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(frame)
        p.setPen(QPen(QColor(255, 255, 255, 120), 1, Qt.PenStyle.DashLine))
        for i in (1, 2):   # rule-of-thirds guides
            x = frame.left() + frame.width() * i / 3
            y = frame.top() + frame.height() * i / 3
            p.drawLine(QPointF(x, frame.top()), QPointF(x, frame.bottom()))
            p.drawLine(QPointF(frame.left(), y), QPointF(frame.right(), y))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#ffffff"))
        s = 8.0
        for c in (frame.topLeft(), frame.topRight(), frame.bottomLeft(), frame.bottomRight()):
            p.drawRect(QRectF(c.x() - s / 2, c.y() - s / 2, s, s))


class PhotoRecropDialog(QDialog):
    photoSaved = Signal(int)     # student id, after the re-cropped photo has been stored

    def __init__(self, session, student_id: int, parent=None):
        super().__init__(parent)
        self.session = session
        self.student_id = student_id
        self.last_result = None
        self.rotation = 0
        self._base = QImage()            # the oriented original, downscaled for display
        self._base_full = (1, 1)         # its full-resolution size
        self.setWindowTitle(self._title())
        self._build()
        self._load()
        self.resize(720, 680)

    def _title(self) -> str:
        row = student_service.rows(self.session, [self.student_id]).get(self.student_id)
        return tr("recrop.title_named", name=row.get("name") or "") if row else tr("recrop.title")

    def _build(self) -> None:
        lay = QVBoxLayout(self)
        self.view = CropView(self)
        lay.addWidget(self.view, 1)
        self.hint = QLabel(tr("recrop.hint"))
        self.hint.setStyleSheet(HINT_STYLE)
        self.hint.setWordWrap(True)
        lay.addWidget(self.hint)
        self.message = QLabel()
        self.message.setStyleSheet(MSG_STYLE)
        self.message.setWordWrap(True)
        self.message.hide()
        lay.addWidget(self.message)
        row = QHBoxLayout()
        self.rotate_left_button = QPushButton(tr("recrop.rotate_left"))
        self.rotate_right_button = QPushButton(tr("recrop.rotate_right"))
        self.ok_button = QPushButton(tr("recrop.ok"))
        self.cancel_button = QPushButton(tr("common.cancel"))
        for b in (self.rotate_left_button, self.rotate_right_button, self.cancel_button):
            b.setAutoDefault(False)
        self.ok_button.setDefault(True)    # Enter
        self.rotate_left_button.clicked.connect(self.rotate_left)
        self.rotate_right_button.clicked.connect(self.rotate_right)
        self.ok_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)   # Esc: QDialog.reject
        row.addWidget(self.rotate_left_button)
        row.addWidget(self.rotate_right_button)
        row.addStretch(1)
        row.addWidget(self.ok_button)
        row.addWidget(self.cancel_button)
        lay.addLayout(row)

    # ------------------------------------------------------------------ loading
    def _load(self) -> None:
        from app.photos import service as photo_service
        from app.photos.presets import get_preset

        self._set_usable(False)
        try:
            info = photo_service.photo_info(self.session, self.student_id)
            data = photo_service.get_original(self.session, self.student_id) if info else None
            if not data:
                self.show_error(tr("recrop.no_original"))
                return
            self.preset = get_preset(info.get("preset") or "national")
            from app.photos.pipeline import load_image

            img = load_image(data)
        except (PhotoError, NotFound, OSError, ValueError) as e:   # say so; nothing can be stored
            self.show_error(tr("recrop.load_failed", error=error_text(e)))
            return
        self._base_full = img.size
        img.thumbnail((DISPLAY_MAX, DISPLAY_MAX))
        buf = io.BytesIO()
        img.save(buf, format="PNG", compress_level=1)
        self._base = QImage.fromData(buf.getvalue())
        if self._base.isNull():
            self.show_error(tr("recrop.load_failed", error="QImage"))
            return
        self._set_usable(True)
        self._show(int(info.get("rotate") or 0) % 360)
        crop = info.get("crop")
        if crop and len(crop) == 4:
            self.view.set_box(crop)

    def _set_usable(self, ok: bool) -> None:
        for b in (self.rotate_left_button, self.rotate_right_button, self.ok_button):
            b.setEnabled(ok)

    def _show(self, rotation: int) -> None:
        self.rotation = rotation % 360
        img = self._base.transformed(QTransform().rotate(self.rotation)) if self.rotation else self._base
        w, h = self._base_full
        full = (h, w) if self.rotation in (90, 270) else (w, h)
        self.view.set_image(img, full, self.preset.aspect, float(self.preset.width))

    # ------------------------------------------------------------------ actions
    def rotate_left(self) -> None:
        self._show(self.rotation - 90)
        self.message.hide()

    def rotate_right(self) -> None:
        self._show(self.rotation + 90)
        self.message.hide()

    @property
    def crop_box(self) -> tuple[float, float, float, float]:
        b = self.view.box
        return (round(b.left(), 2), round(b.top(), 2), round(b.right(), 2), round(b.bottom(), 2))

    @crop_box.setter
    def crop_box(self, box) -> None:
        self.view.set_box(box)

    def show_error(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def save(self) -> bool:
        if not self.ok_button.isEnabled():
            return False
        from app.photos import service as photo_service

        try:
            self.last_result = photo_service.recrop(self.session, self.student_id, crop=self.crop_box,
                                                    rotate=self.rotation)
        except (PhotoError, Refused, NotFound) as e:   # refused: shown in red, the dialog stays open
            self.show_error(tr("recrop.failed", error=error_text(e)))
            return False
        self.photoSaved.emit(self.student_id)
        self.accept()
        return True
