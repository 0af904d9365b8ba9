"""app/photos: the Pillow pipeline on real generated images (JPEG/PNG/GIF/TIFF, many shapes, EXIF
orientations, odd modes, bad files), the presets, and the files/ store. No mocks."""
from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from app.core import filestore as store
from app.photos.pipeline import PhotoError, load_image, process
from app.photos.presets import custom_preset, get_preset, names

BLUE = (67, 142, 219)
RED = (230, 20, 20)


# ------------------------------------------------------------------ image makers (shared with test_photos_service)
def portrait(w: int = 900, h: int = 1100, bg=BLUE, noise: bool = True) -> Image.Image:
    """A passport-like picture: light-blue background, a skin-coloured head, dark shoulders, some sensor noise."""
    im = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(im)
    d.ellipse((w * 0.3, h * 0.12, w * 0.7, h * 0.6), fill=(226, 190, 160))
    d.rectangle((w * 0.1, h * 0.7, w * 0.9, h), fill=(30, 30, 60))
    if noise:
        n = Image.effect_noise((w, h), 12).convert("RGB")
        im = Image.blend(im, n, 0.08)
    return im


def jpeg(im: Image.Image, quality: int = 92, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, **kw)
    return buf.getvalue()


def png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def with_orientation(im: Image.Image, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return jpeg(im, exif=exif.tobytes())


def decode(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def assert_spec(data: bytes, preset_name: str = "national"):
    p = get_preset(preset_name)
    im = decode(data)
    assert im.format == "JPEG"
    assert im.size == (p.width, p.height)
    assert im.mode == "RGB"
    assert len(data) <= p.max_bytes < 60 * 1024
    assert not im.info.get("progressive") and not im.info.get("progression")
    assert tuple(round(x) for x in im.info["dpi"]) == (p.dpi, p.dpi)
    return im


def is_red(px) -> bool:
    r, g, b = px[:3]
    return r > 170 and g < 90 and b < 90


# ------------------------------------------------------------------ presets
def test_presets_from_resources():
    p = get_preset()
    assert (p.name, p.width, p.height, p.dpi) == ("national", 358, 441, 350)
    assert p.max_bytes < 60 * 1024
    p2 = get_preset("307x378")
    assert (p2.width, p2.height, p2.dpi) == (307, 378, 300)
    assert {"national", "307x378", "custom"} <= set(names())
    c = custom_preset(width=200, height=250, dpi=150)
    assert (c.width, c.height, c.dpi, c.name) == (200, 250, 150, "custom")
    with pytest.raises(PhotoError) as ei:
        get_preset("nope")
    assert ei.value.code == "PHOTO.PRESET"


# ------------------------------------------------------------------ shapes
@pytest.mark.parametrize("size", [(900, 1100), (1100, 900), (358, 441), (2000, 800), (700, 3000), (1200, 1200)])
def test_shapes_give_exact_spec(size):
    s = process(jpeg(portrait(*size)), get_preset())
    assert (s.width, s.height) == (358, 441) and s.size == len(s.jpeg)
    assert_spec(s.jpeg)
    assert 30 <= s.quality <= 92


def test_png_input_and_307_preset():
    s = process(png(portrait(800, 1000)), "307x378")
    im = assert_spec(s.jpeg, "307x378")
    assert im.size == (307, 378)


def test_huge_camera_jpeg_uses_draft_and_meets_spec():
    big = Image.merge("RGB", [Image.effect_noise((4000, 3000), 50)] * 3)
    big.paste(Image.new("RGB", (800, 3000), BLUE), (0, 0))
    s = process(jpeg(big), get_preset())
    assert_spec(s.jpeg)
    # the default crop is the largest centred box of 358:441 in the full-resolution image
    l, t, r, b = s.crop
    assert (t, b) == (0, 3000) and abs((r - l) / 3000 - 358 / 441) < 0.01 and abs((l + r) / 2 - 2000) < 1


def test_progressive_input_gives_baseline_output():
    s = process(jpeg(portrait(), progressive=True), get_preset())
    assert_spec(s.jpeg)


def test_too_small_refused_with_minimum_size():
    with pytest.raises(PhotoError) as ei:
        process(jpeg(portrait(300, 400)), get_preset())
    assert ei.value.code == "PHOTO.TOO_SMALL"
    assert "358×441" in ei.value.message and "300×" in ei.value.message


def test_crop_smaller_than_preset_refused_and_crop_applied():
    im = portrait(1000, 1200, noise=False)
    ImageDraw.Draw(im).rectangle((0, 0, 400, 500), fill=RED)
    with pytest.raises(PhotoError) as ei:
        process(jpeg(im), get_preset(), crop=(0, 0, 200, 246))
    assert ei.value.code == "PHOTO.TOO_SMALL" and "358×441" in ei.value.message
    s = process(jpeg(im), get_preset(), crop=(0, 0, 358, 441))
    out = decode(s.jpeg)
    assert is_red(out.getpixel((179, 220)))            # the crop is all red
    with pytest.raises(PhotoError) as ei:
        process(jpeg(im), get_preset(), crop=(500, 500, 2000, 2000))
    assert ei.value.code == "PHOTO.CROP"


# ------------------------------------------------------------------ orientation
def _marked(w, h) -> Image.Image:
    """Raw pixels with a red block at the raw top-left."""
    im = portrait(w, h, noise=False)
    ImageDraw.Draw(im).rectangle((0, 0, w // 3, h // 3), fill=RED)
    return im


def test_exif_orientation_6_rotates_clockwise():
    s = process(with_orientation(_marked(1200, 900), 6), get_preset())
    out = assert_spec(s.jpeg)
    # shown portrait; raw top-left lands at the top-right
    assert is_red(out.getpixel((350, 5))) and not is_red(out.getpixel((5, 5)))
    assert not is_red(out.getpixel((350, 435)))


def test_exif_orientation_8_rotates_counter_clockwise():
    s = process(with_orientation(_marked(1200, 900), 8), get_preset())
    out = assert_spec(s.jpeg)
    assert is_red(out.getpixel((5, 435))) and not is_red(out.getpixel((5, 5)))


def test_exif_orientation_6_on_big_image_with_draft():
    s = process(with_orientation(_marked(4000, 3000), 6), get_preset())
    out = assert_spec(s.jpeg)
    assert is_red(out.getpixel((350, 5))) and not is_red(out.getpixel((5, 5)))
    assert load_image(with_orientation(_marked(1200, 900), 6)).size == (900, 1200)


def test_user_rotation_and_crop_coordinates():
    im = _marked(1200, 900)  # landscape, no EXIF; rotate 90 clockwise → red at top-right
    s = process(jpeg(im), get_preset(), rotate=90)
    out = decode(s.jpeg)
    assert is_red(out.getpixel((350, 5))) and not is_red(out.getpixel((5, 5)))
    s = process(jpeg(im), get_preset(), rotate=270)
    assert is_red(decode(s.jpeg).getpixel((5, 435)))
    with pytest.raises(PhotoError) as ei:
        process(jpeg(im), get_preset(), rotate=45)
    assert ei.value.code == "PHOTO.ROTATE"


# ------------------------------------------------------------------ modes
def test_cmyk_jpeg():
    s = process(jpeg(portrait().convert("CMYK")), get_preset())
    assert_spec(s.jpeg)


def test_16_bit_greyscale_scaled_not_clipped():
    w, h = 600, 800
    raw = Image.frombytes("I;16", (w, h), (30000).to_bytes(2, "little") * (w * h))
    assert raw.mode == "I;16"
    s = process(png(raw), get_preset())
    out = assert_spec(s.jpeg)
    r, g, b = out.getpixel((179, 220))
    assert 100 < r < 135 and abs(r - g) < 4 and abs(g - b) < 4


def test_rgba_png_composited_on_white():
    im = Image.new("RGBA", (700, 900), (0, 0, 0, 0))
    ImageDraw.Draw(im).ellipse((200, 200, 500, 700), fill=(*BLUE, 255))
    s = process(png(im), get_preset())
    out = assert_spec(s.jpeg)
    assert min(out.getpixel((3, 3))) > 240
    assert out.getpixel((179, 220))[2] > 180


def test_palette_gif_and_tiff():
    buf = io.BytesIO()
    portrait(noise=False).convert("P", palette=Image.Palette.ADAPTIVE).save(buf, "GIF")
    assert_spec(process(buf.getvalue(), get_preset()).jpeg)
    buf = io.BytesIO()
    portrait().save(buf, "TIFF")
    assert_spec(process(buf.getvalue(), get_preset()).jpeg)


# ------------------------------------------------------------------ refusals
def _code(data, **kw) -> str:
    with pytest.raises(PhotoError) as ei:
        process(data, get_preset(), **kw)
    assert ei.value.message and "PHOTO" not in ei.value.message
    return ei.value.code


def test_animated_gif_refused():
    frames = [portrait(400, 500, noise=False), portrait(400, 500, bg=(200, 50, 50), noise=False)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert _code(buf.getvalue()) == "PHOTO.ANIMATED"


def test_truncated_jpeg_refused():
    data = jpeg(portrait())
    assert _code(data[: len(data) // 2]) == "PHOTO.TRUNCATED"


def test_non_image_and_empty_refused():
    assert _code(b"this is not a photo, just text\n" * 20) == "PHOTO.NOT_IMAGE"
    assert _code(b"") == "PHOTO.EMPTY"
    assert _code(b"\xff\xd8\xff\xe0" + b"\x00" * 300) in ("PHOTO.NOT_IMAGE", "PHOTO.CORRUPT")


@pytest.mark.parametrize("pixels", [600 * 800 - 1, 600 * 800 // 2 - 1])  # error (>2×) and warning (>1×) ranges
def test_decompression_bomb_refused(monkeypatch, pixels):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", pixels)
    assert _code(png(portrait(600, 800, noise=False))) == "PHOTO.BOMB"


def test_cannot_fit_size_limit_refused():
    noisy = Image.merge("RGB", [Image.effect_noise((900, 1100), 120)] * 3)
    with pytest.raises(PhotoError) as ei:
        process(jpeg(noisy), custom_preset(max_bytes=3000))
    assert ei.value.code == "PHOTO.TOO_LARGE"


def test_background_warning_is_advisory():
    assert process(jpeg(portrait()), get_preset()).warnings == []
    s = process(jpeg(portrait(bg=(240, 60, 60))), get_preset())
    assert len(s.warnings) == 1 and "#" in s.warnings[0]
    assert_spec(s.jpeg)


def test_process_is_picklable_for_a_process_pool():
    import pickle

    e = pickle.loads(pickle.dumps(PhotoError("PHOTO.X", "m")))
    assert (e.code, e.message) == ("PHOTO.X", "m")
    s = pickle.loads(pickle.dumps(process(jpeg(portrait()), get_preset())))
    assert s.width == 358


# ------------------------------------------------------------------ files/ store
def test_store_content_addressed_and_atomic(tmp_path):
    data = jpeg(portrait())
    digest = store.put(tmp_path, data, "JPG")
    p = tmp_path / "files" / digest[:2] / f"{digest}.jpg"
    assert p.read_bytes() == data and store.path(tmp_path, digest) == p
    assert store.put(tmp_path, data, "jpg") == digest  # idempotent
    assert store.get(tmp_path, digest) == data
    assert [x.name for x in p.parent.iterdir()] == [p.name]  # no temp files left
    p.write_bytes(b"tampered")
    with pytest.raises(ValueError):
        store.get(tmp_path, digest)
