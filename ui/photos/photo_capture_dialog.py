"""The photo capture dialog: pick a camera, live preview with the 26:32 crop frame and head guide,
Space captures, Enter accepts (stores the photo through app.photos.service.set_photo), Esc cancels,
重拍 retakes; a mirror toggle for the preview. Without a usable camera (none, busy, failing
mid-preview) it says so and offers 从文件选择… and drag and drop of an image file.

The still is cropped to the crop frame here and handed to the pipeline as PNG; the mirror toggle
only affects what is shown, never what is stored.

``frame_input``: a QVideoFrameInput to use instead of a camera (tests feed synthetic frames).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QImage, QKeySequence, QShortcut
from PySide6.QtMultimedia import QCamera, QImageCapture, QMediaCaptureSession, QMediaDevices, QVideoSink
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QFileDialog, QHBoxLayout, QLabel, QPushButton,
                               QVBoxLayout)

from app.students import service as student_service
from ui.common.i18n import tr
from ui.photos.photo_widgets import PhotoPreview, crop_rect, png_bytes

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif"}
MAX_FILE_BYTES = 50 * 1024 * 1024
CAPTURE_TIMEOUT_MS = 1500

MSG_STYLE = "QLabel { color: #b71c1c; background: #fff5f5; border: 1px solid #ef9a9a; padding: 6px; }"
OK_STYLE = "QLabel { color: #1b5e20; background: #f1f8e9; border: 1px solid #a5d6a7; padding: 6px; }"
HINT_STYLE = "QLabel { color: #455a64; padding: 6px; }"


def error_text(err: BaseException) -> str:
    return getattr(err, "message", None) or str(err) or type(err).__name__


class PhotoCaptureDialog(QDialog):
    photoSaved = Signal(int)     # student id, after a photo has been stored

    def __init__(self, session, student_id: int | None, parent=None, *, frame_input=None, title: str | None = None):
        super().__init__(parent)
        self.session = session
        self.student_id = student_id
        self.frame_input = frame_input
        self._input_attached = False
        self.camera: QCamera | None = None
        self.still: QImage | None = None
        self.last_frame = QImage()
        self.last_result = None
        self._capture_pending = False
        self.setWindowTitle(title or self._title_for(student_id))
        self.setAcceptDrops(True)
        self._build()
        self.capture_session = QMediaCaptureSession(self)
        self.sink = QVideoSink(self)
        self.sink.videoFrameChanged.connect(self._on_frame)
        self.image_capture = QImageCapture(self)
        self.image_capture.imageCaptured.connect(self._on_captured)
        self.image_capture.errorOccurred.connect(self._on_capture_error)
        self.capture_session.setVideoSink(self.sink)
        self.capture_session.setImageCapture(self.image_capture)
        self._fill_cameras()
        self.resize(760, 640)

    def _title_for(self, student_id) -> str:
        row = student_service.rows(self.session, [student_id]).get(student_id) if student_id is not None else None
        return tr("capture.title_named", name=row.get("name") or "") if row else tr("capture.title")

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        cam_label = QLabel(tr("capture.camera"))
        self.camera_combo = QComboBox()
        self.camera_combo.setMinimumWidth(240)
        self.camera_combo.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        cam_label.setBuddy(self.camera_combo)
        self.mirror_box = QCheckBox(tr("capture.mirror"))
        self.mirror_box.setChecked(True)
        self.mirror_box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.mirror_box.toggled.connect(self._mirror_toggled)
        top.addWidget(cam_label)
        top.addWidget(self.camera_combo, 1)
        top.addSpacing(12)
        top.addWidget(self.mirror_box)
        lay.addLayout(top)
        self.extra_top = QHBoxLayout()   # the intake flow puts its student line here
        lay.addLayout(self.extra_top)

        self.preview = PhotoPreview()
        self.preview.mirrored = True
        self.preview.set_message(tr("capture.starting"))
        lay.addWidget(self.preview, 1)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.message)

        buttons = QHBoxLayout()
        self.file_button = QPushButton(tr("capture.from_file"))
        self.capture_button = QPushButton(tr("capture.capture"))
        self.retake_button = QPushButton(tr("capture.retake"))
        self.accept_button = QPushButton(tr("capture.accept"))
        self.cancel_button = QPushButton(tr("common.cancel"))
        for b in (self.file_button, self.capture_button, self.retake_button, self.accept_button, self.cancel_button):
            b.setAutoDefault(False)
            b.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Space and Enter are the dialog's own keys
        self.file_button.clicked.connect(self.choose_file)
        self.capture_button.clicked.connect(self.capture)
        self.retake_button.clicked.connect(self.retake)
        self.accept_button.clicked.connect(self.accept_photo)
        self.cancel_button.clicked.connect(self.reject)
        self.extra_buttons = QHBoxLayout()   # the intake flow puts 跳过 here
        buttons.addWidget(self.file_button)
        buttons.addLayout(self.extra_buttons)
        buttons.addStretch(1)
        buttons.addWidget(self.capture_button)
        buttons.addWidget(self.retake_button)
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.cancel_button)
        lay.addLayout(buttons)

        QShortcut(QKeySequence(Qt.Key.Key_Space), self, activated=self.capture)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            QShortcut(QKeySequence(key), self, activated=self.accept_photo)
        self._set_state("starting")

    def _fill_cameras(self) -> None:
        self.camera_combo.blockSignals(True)
        self.camera_combo.clear()
        if self.frame_input is not None:
            self.camera_combo.addItem(tr("capture.frame_input"), None)
        else:
            for dev in QMediaDevices.videoInputs():
                self.camera_combo.addItem(dev.description(), dev)
            default = QMediaDevices.defaultVideoInput()
            if not default.isNull():
                for i in range(self.camera_combo.count()):
                    if self.camera_combo.itemData(i) == default:
                        self.camera_combo.setCurrentIndex(i)
        none = self.camera_combo.count() == 0
        if none:
            self.camera_combo.addItem(tr("capture.no_camera_item"), None)
        self.camera_combo.setEnabled(self.camera_combo.count() > 1)
        self.camera_combo.blockSignals(False)
        self.camera_combo.currentIndexChanged.connect(lambda _i: self._start_source())
        if none:
            self._fail(tr("capture.no_camera"), tr("capture.no_camera_short"))
        else:
            self._start_source()

    # ------------------------------------------------------------------ source
    def _stop_camera(self) -> None:
        if self.camera is not None:
            cam, self.camera = self.camera, None
            try:
                cam.errorOccurred.disconnect(self._on_camera_error)
            except (RuntimeError, TypeError):
                pass
            cam.stop()
            self.capture_session.setCamera(None)
            cam.deleteLater()

    def _start_source(self) -> None:
        self._stop_camera()
        self.still = None
        self.last_frame = QImage()
        self.preview.clear()
        self.preview.set_message(tr("capture.starting"))
        if self.frame_input is not None:
            if not self._input_attached:  # re-attaching a live input mid-stream crashes Qt's frame plumbing
                self.capture_session.setVideoFrameInput(self.frame_input)
                self._input_attached = True
            self._set_state("starting")   # live with the first frame
            return
        dev = self.camera_combo.currentData()
        if dev is None:
            self._fail(tr("capture.no_camera"), tr("capture.no_camera_short"))
            return
        cam = QCamera(dev, self)
        cam.errorOccurred.connect(self._on_camera_error)
        formats = [f for f in dev.videoFormats() if f.resolution().height() <= 1080]
        if formats:
            cam.setCameraFormat(max(formats, key=lambda f: (f.resolution().width() * f.resolution().height(),
                                                            f.maxFrameRate())))
        self.camera = cam
        self.capture_session.setCamera(cam)
        self._set_state("starting")
        cam.start()
        if cam.error() != QCamera.Error.NoError:
            self._on_camera_error(cam.error(), cam.errorString())

    def _on_camera_error(self, error, text: str) -> None:
        if error == QCamera.Error.NoError:
            return
        self._stop_camera()
        self._fail(tr("capture.camera_error", error=text or str(error)), tr("capture.camera_error_short"))

    def _fail(self, text: str, short: str | None = None) -> None:
        """No usable camera: say so in the preview and above the buttons; file import stays."""
        self.preview.clear()
        self.preview.set_message(short or text)
        self._show(text, error=True)
        self._set_state("failed")

    # ------------------------------------------------------------------ frames and stills
    def _on_frame(self, frame) -> None:
        if self.state not in ("starting", "live"):
            return
        img = frame.toImage()
        if img.isNull():
            return
        self.last_frame = img
        if self.state == "starting":
            self._set_state("live")
        self.preview.set_image(img)

    def capture(self) -> None:
        if self.state != "live" or self.last_frame.isNull() or self._capture_pending:
            return
        # isReadyForCapture() is False with a frame input although capture() works: do not gate on it
        self._capture_pending = True
        if self.image_capture.capture() < 0:
            self._capture_pending = False
            self._take_still(self.last_frame)
        else:  # the still is the next frame: if none comes (a stalled camera), use the one on screen
            QTimer.singleShot(CAPTURE_TIMEOUT_MS, self, self._capture_timeout)

    def _capture_timeout(self) -> None:
        if self._capture_pending:
            self._capture_pending = False
            if self.state == "live" and not self.last_frame.isNull():
                self._take_still(self.last_frame)

    def _on_captured(self, _id: int, image: QImage) -> None:
        if not self._capture_pending:
            return
        self._capture_pending = False
        self._take_still(image if not image.isNull() else self.last_frame)

    def _on_capture_error(self, _id: int, _error, _text: str) -> None:
        if self._capture_pending:   # fall back to the last preview frame
            self._capture_pending = False
            if not self.last_frame.isNull():
                self._take_still(self.last_frame)

    def _take_still(self, image: QImage) -> None:
        self.still = image.copy(crop_rect(image.width(), image.height()))
        self.preview.set_image(image, still=True)
        self._set_state("still")

    def retake(self) -> None:
        if self.state == "still":
            self.still = None
            self._set_state("live")
            if not self.last_frame.isNull():
                self.preview.set_image(self.last_frame)

    def _mirror_toggled(self, on: bool) -> None:
        self.preview.mirrored = on
        self.preview.update()

    # ------------------------------------------------------------------ storing
    def accept_photo(self) -> None:
        if self.state != "still" or self.still is None:
            return
        if self._store(png_bytes(self.still), source="camera"):
            self._photo_done()

    def _store(self, data: bytes, *, source: str) -> bool:
        from app.photos import service as ps

        try:
            result = ps.set_photo(self.session, self.student_id, data, source=source)
        except Exception as e:  # PhotoError and refusals: say why, store nothing, stay open
            self._show(tr("capture.save_failed", error=error_text(e)), error=True)
            return False
        self.last_result = result
        self.photoSaved.emit(self.student_id)
        return True

    def _photo_done(self) -> None:
        """After a stored photo: the plain dialog closes (the intake flow moves on instead)."""
        self._stop_camera()
        self.accept()

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, tr("capture.file_title"), str(Path.home()),
                                              tr("capture.file_filter"))
        if path:
            self.use_file(path)

    def use_file(self, path: str) -> bool:
        p = Path(path)
        try:
            if p.stat().st_size > MAX_FILE_BYTES:
                raise ValueError(tr("capture.file_too_big", mb=MAX_FILE_BYTES // (1024 * 1024)))
            data = p.read_bytes()
        except (OSError, ValueError) as e:
            self._show(tr("capture.read_failed", name=p.name, error=error_text(e)), error=True)
            return False
        if self._store(data, source="file"):
            self._photo_done()
            return True
        return False

    # drag and drop ----------------------------------------------------------------------------------
    @staticmethod
    def _dropped_file(mime) -> str | None:
        if not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in IMAGE_SUFFIXES:
                return url.toLocalFile()
        return None

    def dragEnterEvent(self, event) -> None:
        if self._dropped_file(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        path = self._dropped_file(event.mimeData())
        if path:
            event.acceptProposedAction()
            self.use_file(path)

    # ------------------------------------------------------------------ state
    def _set_state(self, state: str) -> None:
        self.state = state
        live, still = state == "live", state == "still"
        self.capture_button.setEnabled(live)
        self.retake_button.setEnabled(still)
        self.accept_button.setEnabled(still)
        self.accept_button.setDefault(still)
        self.mirror_box.setEnabled(state != "failed")
        font = self.file_button.font()
        font.setBold(state == "failed")   # without a camera the file is the way in
        self.file_button.setFont(font)
        if live:
            self._show(tr("capture.hint_live"))
        elif still:
            self._show(tr("capture.hint_still"))
        elif state == "starting":
            self._show(tr("capture.starting"))

    def _show(self, text: str, *, error: bool = False, ok: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(MSG_STYLE if error else OK_STYLE if ok else HINT_STYLE)

    def _detach_input(self) -> None:
        if self._input_attached:
            self.capture_session.setVideoFrameInput(None)
            self._input_attached = False

    def done(self, r: int) -> None:
        self._stop_camera()
        self._detach_input()
        self._capture_pending = False
        super().done(r)

    def closeEvent(self, event) -> None:
        self._stop_camera()
        self._detach_input()
        super().closeEvent(event)
