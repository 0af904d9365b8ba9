"""Small photo widgets shared by the capture dialog, the intake flow, the editor and the roster:
the live/still preview with the 26:32 crop frame and head guide, and JPEG/PNG ↔ QImage helpers."""
from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

FRAME_W, FRAME_H = 26, 32      # the national photo's aspect ratio (358×441 ≈ 26:32)
HEAD_FRACTION = 2 / 3          # the head guide is about two thirds of the frame height


def crop_rect(width: int, height: int) -> QRect:
    """The largest 26:32 rectangle centred in a ``width``×``height`` image (image pixels)."""
    if width <= 0 or height <= 0:
        return QRect()
    h = height
    w = h * FRAME_W // FRAME_H
    if w > width:
        w = width
        h = w * FRAME_H // FRAME_W
    return QRect((width - w) // 2, (height - h) // 2, w, h)


def head_rect(frame: QRectF) -> QRectF:
    """The head guide inside the crop frame: an ellipse 2/3 of the frame's height, centred."""
    h = frame.height() * HEAD_FRACTION
    w = h * 0.74
    return QRectF(frame.center().x() - w / 2, frame.center().y() - h / 2, w, h)


def png_bytes(image: QImage) -> bytes:
    ba = QByteArray()
    buf = QBuffer(ba)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    buf.close()
    return bytes(ba.data())


def image_from_bytes(data: bytes | None) -> QImage:
    img = QImage()
    if data:
        img.loadFromData(data)
    return img


def thumbnail(data: bytes | None, height: int) -> QPixmap:
    img = image_from_bytes(data)
    if img.isNull():
        return QPixmap()
    return QPixmap.fromImage(img.scaledToHeight(height, Qt.TransformationMode.SmoothTransformation))


class PhotoPreview(QWidget):
    """Paints a camera frame (or a captured still) scaled to fit, optionally mirrored, with the area
    outside the 26:32 crop frame dimmed, the frame outlined and a dashed head-guide ellipse.
    With no image it paints ``message`` on a dark background instead (never a blank window)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.image = QImage()
        self.mirrored = False
        self.still = False
        self.message = ""
        self.setMinimumSize(QSize(400, 300))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def set_image(self, image: QImage, *, still: bool = False) -> None:
        self.image = image
        self.still = still
        self.update()

    def set_message(self, text: str) -> None:
        self.message = text
        self.update()

    def clear(self) -> None:
        self.image = QImage()
        self.still = False
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(640, 480)

    def image_rect(self) -> QRectF:
        """Where the image is drawn in widget coordinates (aspect kept, centred)."""
        if self.image.isNull():
            return QRectF()
        s = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        return QRectF((self.width() - s.width()) / 2, (self.height() - s.height()) / 2, s.width(), s.height())

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.fillRect(self.rect(), QColor("#263238"))
        if self.image.isNull():
            if self.message:
                p.setPen(QColor("#eceff1"))
                f = p.font()
                f.setPointSizeF(f.pointSizeF() * 1.15)
                p.setFont(f)
                p.drawText(self.rect().adjusted(40, 20, -40, -20),
                           Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
            return
        target = self.image_rect()
        img = self.image.flipped(Qt.Orientation.Horizontal) if self.mirrored else self.image
        p.drawImage(target, img)
        cr = crop_rect(self.image.width(), self.image.height())
        scale = target.width() / self.image.width()
        frame = QRectF(target.x() + cr.x() * scale, target.y() + cr.y() * scale, cr.width() * scale,
                       cr.height() * scale)
        outside = QPainterPath()
        outside.addRect(target)
        inner = QPainterPath()
        inner.addRect(frame)
        p.fillPath(outside.subtracted(inner), QColor(0, 0, 0, 140))
        colour = QColor("#66bb6a") if self.still else QColor("#ffffff")
        p.setPen(QPen(colour, 2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(frame)
        if not self.still:
            pen = QPen(QColor(255, 255, 255, 200), 1.5, Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.drawEllipse(head_rect(frame))
