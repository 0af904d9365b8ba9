"""The photo pipeline (Pillow, no Qt): any camera frame or image file -> the preset's spec JPEG.

Steps: open with every refusal checked up front (not an image, animated, decompression bomb, too big a
file), JPEG draft decoding at the largest libjpeg scale that still leaves the crop at least the preset
size (platform-notes §5(b): ~3× faster than a full decode), force-load (truncated files fail here),
convert any mode to RGB (16-bit scaled, CMYK converted, alpha composited on white, an embedded ICC
profile converted to sRGB), EXIF orientation, the user's rotation, crop, LANCZOS resize to exactly the
preset size, baseline JPEG with JFIF density = preset dpi, quality stepped down until under the limit.

Coordinates: ``rotate`` is clockwise degrees (a multiple of 90) applied to the orientation-corrected
original; ``crop`` = (left, top, right, bottom) in pixels of that rotated, orientation-corrected,
full-resolution image. Everything here is a top-level function of bytes, so it runs in a process pool.
"""
from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass, field

from PIL import Image, ImageOps, ImageStat, UnidentifiedImageError

from app.core.i18n import tr
from app.photos.errors import PhotoError  # noqa: F401  (re-exported: pipeline.PhotoError)
from app.photos.presets import Preset, get_preset

MAX_INPUT_BYTES = 64 * 1024 * 1024
QUALITY_START = 92
QUALITY_STEPS = (92, 88, 84, 80, 76, 72, 68, 64, 60, 55, 50, 45, 40, 35, 30)
_ROTATE = {0: None, 90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
           270: Image.Transpose.ROTATE_90}


@dataclass
class SpecPhoto:
    jpeg: bytes
    width: int
    height: int
    size: int
    quality: int
    warnings: list[str] = field(default_factory=list)
    crop: tuple[float, float, float, float] | None = None  # the box actually used (full-res coordinates)


def _open(data: bytes) -> Image.Image:
    """Open (header only) with the cheap refusals: empty/too big, not an image, bomb, animated."""
    if not data:
        raise PhotoError("PHOTO.EMPTY", tr("photo.err.empty"))
    if len(data) > MAX_INPUT_BYTES:
        raise PhotoError("PHOTO.FILE_TOO_BIG", tr("photo.err.file_too_big", mb=MAX_INPUT_BYTES // (1024 * 1024)))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))  # checks the pixel count against Image.MAX_IMAGE_PIXELS
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError("PHOTO.BOMB", tr("photo.err.bomb", limit=Image.MAX_IMAGE_PIXELS or 0)) from None
    except UnidentifiedImageError:
        raise PhotoError("PHOTO.NOT_IMAGE", tr("photo.err.not_image")) from None
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise PhotoError("PHOTO.CORRUPT", tr("photo.err.corrupt", error=e)) from None
    if getattr(im, "n_frames", 1) > 1 and im.format != "MPO":  # MPO: phone JPEG + preview; frame 0 is the photo
        raise PhotoError("PHOTO.ANIMATED", tr("photo.err.animated", frames=im.n_frames))
    w, h = im.size
    if w < 1 or h < 1:
        raise PhotoError("PHOTO.CORRUPT", tr("photo.err.corrupt", error=f"{w}x{h}"))
    return im


def _orientation(im: Image.Image) -> int:
    try:
        return int(im.getexif().get(0x0112, 1) or 1)
    except Exception:  # a broken EXIF block must not sink an otherwise good photo
        return 1


def _to_rgb(im: Image.Image) -> Image.Image:
    icc = im.info.get("icc_profile")
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        if mode != "F":
            im = im.convert("I") if mode != "I" else im
        lo, hi = im.getextrema()
        if hi > 255:  # 16-bit data: scale to 8 bits rather than clip
            im = im.point(lambda v: v * (255.0 / 65535.0)) if mode != "F" else im.point(lambda v: v * 255.0 / hi)
        im = im.convert("L")
    elif im.mode == "P" and "transparency" in im.info or im.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba)
    if icc and im.mode in ("RGB", "CMYK"):
        try:
            from PIL import ImageCms

            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(im, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except Exception:  # a profile LittleCMS cannot use: fall back to the plain conversion
            pass
    return im.convert("RGB") if im.mode != "RGB" else im


def _load(im: Image.Image) -> Image.Image:
    try:
        im.load()
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        if "truncated" in str(e).lower():
            raise PhotoError("PHOTO.TRUNCATED", tr("photo.err.truncated")) from None
        raise PhotoError("PHOTO.CORRUPT", tr("photo.err.corrupt", error=e)) from None
    try:
        im = _to_rgb(im)
        return ImageOps.exif_transpose(im) or im
    except (OSError, ValueError) as e:
        raise PhotoError("PHOTO.CORRUPT", tr("photo.err.corrupt", error=e)) from None


def load_image(data: bytes) -> Image.Image:
    """The whole image, orientation-corrected, in RGB, fully decoded (every refusal applies)."""
    return _load(_open(data))


def default_crop(size: tuple[int, int], preset: Preset) -> tuple[float, float, float, float]:
    """The largest centred box of the preset's aspect ratio."""
    w, h = size
    if w / h > preset.aspect:
        cw, ch = h * preset.aspect, float(h)
    else:
        cw, ch = float(w), w / preset.aspect
    left, top = (w - cw) / 2, (h - ch) / 2
    return (left, top, left + cw, top + ch)


def _fit_aspect(box, preset: Preset):
    l, t, r, b = box
    cw, ch = r - l, b - t
    if abs(cw / ch - preset.aspect) / preset.aspect <= 0.01:
        return box
    # a frame of another shape: keep its centre, take the largest box of the preset's shape inside it
    if cw / ch > preset.aspect:
        nw, nh = ch * preset.aspect, ch
    else:
        nw, nh = cw, cw / preset.aspect
    cx, cy = (l + r) / 2, (t + b) / 2
    return (cx - nw / 2, cy - nh / 2, cx + nw / 2, cy + nh / 2)


def _check_crop(crop, size, preset: Preset):
    w, h = size
    try:
        l, t, r, b = (float(c) for c in crop)
    except (TypeError, ValueError):
        raise PhotoError("PHOTO.CROP", tr("photo.err.crop_bad", crop=crop)) from None
    if not (r > l and b > t) or l < -1 or t < -1 or r > w + 1 or b > h + 1:
        raise PhotoError("PHOTO.CROP", tr("photo.err.crop_outside", crop=f"{l:g},{t:g},{r:g},{b:g}", w=w, h=h))
    return (max(0.0, l), max(0.0, t), min(float(w), r), min(float(h), b))


def _background_warning(out: Image.Image, preset: Preset) -> list[str]:
    """Advisory: the mean colour of the top band and the upper side bands vs the preset's light blue."""
    w, h = out.size
    m = max(2, min(w, h) // 40)
    bands = [out.crop((0, 0, w, m)), out.crop((0, 0, m, h // 2)), out.crop((w - m, 0, w, h // 2))]
    px = [0.0, 0.0, 0.0]
    n = 0
    for band in bands:
        st = ImageStat.Stat(band)
        k = band.size[0] * band.size[1]
        px = [a + c * k for a, c in zip(px, st.mean)]
        n += k
    mean = tuple(round(c / n) for c in px)
    dist = math.dist(mean, preset.bg_rgb)
    if dist > preset.bg_tolerance:
        return [tr("photo.warn.background", rgb="#%02X%02X%02X" % mean,
                   want="#%02X%02X%02X" % tuple(preset.bg_rgb))]
    return []


def encode(out: Image.Image, preset: Preset) -> tuple[bytes, int]:
    """Baseline JPEG with JFIF density, quality stepped down from 92 until it fits ``max_bytes``."""
    for q in QUALITY_STEPS:
        buf = io.BytesIO()
        out.save(buf, format="JPEG", quality=q, optimize=True, progressive=False,
                 dpi=(preset.dpi, preset.dpi), jfif_unit=1, jfif_density=(preset.dpi, preset.dpi))
        if buf.tell() <= preset.max_bytes:
            return buf.getvalue(), q
    raise PhotoError("PHOTO.TOO_LARGE", tr("photo.err.cannot_fit", kb=preset.max_bytes // 1024 + 1,
                                              quality=QUALITY_STEPS[-1]))


def process(data: bytes, preset: Preset | str = "national", *, crop=None, rotate: int = 0) -> SpecPhoto:
    """``data`` (any image file's bytes) -> the preset's spec photo; PhotoError says why not."""
    preset = get_preset(preset)
    try:
        rotate = int(rotate) % 360
    except (TypeError, ValueError):
        rotate = -1
    if rotate not in _ROTATE:
        raise PhotoError("PHOTO.ROTATE", tr("photo.err.rotate", rotate=rotate))
    im = _open(data)
    raw_w, raw_h = im.size
    swap = (_orientation(im) in (5, 6, 7, 8)) != (rotate in (90, 270))
    full = (raw_h, raw_w) if swap else (raw_w, raw_h)
    box = _check_crop(crop, full, preset) if crop is not None else default_crop(full, preset)
    box = _fit_aspect(box, preset)
    cw, ch = box[2] - box[0], box[3] - box[1]
    if cw + 0.5 < preset.width or ch + 0.5 < preset.height:
        raise PhotoError("PHOTO.TOO_SMALL", tr("photo.err.too_small", w=int(round(cw)), h=int(round(ch)),
                                                  min_w=preset.width, min_h=preset.height))
    k = min(cw / preset.width, ch / preset.height)
    if im.format == "JPEG" and k >= 2:
        # uniform scale, so which side is which after rotation does not matter
        im.draft("RGB", (math.ceil(raw_w / k), math.ceil(raw_h / k)))
    img = _load(im)
    if _ROTATE[rotate] is not None:
        img = img.transpose(_ROTATE[rotate])
    sx, sy = img.size[0] / full[0], img.size[1] / full[1]
    scaled = (box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy)
    out = img.resize((preset.width, preset.height), Image.Resampling.LANCZOS, box=scaled)
    jpeg, quality = encode(out, preset)
    return SpecPhoto(jpeg, preset.width, preset.height, len(jpeg), quality, _background_warning(out, preset),
                     tuple(round(c, 2) for c in box))
