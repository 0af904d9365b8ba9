"""Fuzzed photos (hypothesis, derandomized): corrupt headers, truncated JPEG/PNG/GIF/BMP/TIFF/WebP, flipped
bytes, huge declared dimensions (decompression bombs built by hand with valid checksums), zero-size
and garbage files. Every case ends in a spec photo or a PhotoError with a PHOTO.* code and a message
for the registrar — never another exception — and a refused photo leaves no row and no new file in the
archive's store (tried through app.photos.service.set_photo on a real archive)."""
from __future__ import annotations

import io
import os
import random
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from app.photos import service as ps
from app.school.demo import build_demo
from app.photos import pipeline
from app.photos.errors import PhotoError
from app.core.session import Session

EXAMPLES = int(os.environ.get("XUEJI_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FORMATS = ("JPEG", "PNG", "GIF", "BMP", "TIFF", "WEBP")


def sample(fmt: str, size=(420, 600), seed: int = 1) -> bytes:
    rnd = random.Random(seed)
    im = Image.frombytes("RGB", size, rnd.randbytes(size[0] * size[1] * 3))
    if fmt == "GIF":
        im = im.convert("P")
    buf = io.BytesIO()
    im.save(buf, fmt)
    return buf.getvalue()


SAMPLES = {f: sample(f) for f in FORMATS}


def png_header(w: int, h: int, body: bytes = b"") -> bytes:
    """A PNG whose IHDR declares w×h (valid CRC) followed by ``body`` as its only IDAT."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(body)) + chunk(b"IEND", b"")


def jpeg_with_size(w: int, h: int) -> bytes:
    """A real JPEG whose SOF0 frame header is rewritten to declare w×h."""
    data = bytearray(SAMPLES["JPEG"])
    i = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, i + 5, h, w)
    return bytes(data)


def gif_with_size(w: int, h: int) -> bytes:
    data = bytearray(SAMPLES["GIF"])
    struct.pack_into("<HH", data, 6, w, h)
    return bytes(data)


def check(data: bytes) -> str:
    try:
        spec = pipeline.process(data, "national")
    except PhotoError as e:
        assert e.code.startswith("PHOTO.") and e.message, (e.code, e.message)
        return e.code
    assert spec.jpeg[:2] == b"\xff\xd8" and spec.width > 0 and spec.height > 0
    return "ok"


SEEN: dict[str, int] = {}


def note(code: str) -> None:
    SEEN[code] = SEEN.get(code, 0) + 1


@FUZZ
@given(st.sampled_from(FORMATS), st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=20),
       st.one_of(st.none(), st.integers(0, 60_000)), st.booleans())
def test_mutated_images_end_in_a_photo_or_a_photo_error(fmt, flips, cut, header_only):
    data = bytearray(SAMPLES[fmt])
    for i, v in flips:
        j = i % (64 if header_only else len(data))  # header_only: corrupt the first 64 bytes
        data[j] = v
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    note(check(bytes(data)))


@FUZZ
@given(st.sampled_from(["png", "jpeg", "gif"]), st.integers(1, 65_535), st.integers(1, 65_535),
       st.binary(max_size=200))
def test_huge_declared_dimensions_are_refused_cheaply(kind, w, h, body):
    """Declared dimensions up to 65,535² with almost no data: refused (bomb, truncated, corrupt, too small)
    or — when small enough — decoded; never a crash, never minutes of work."""
    if kind == "png":
        data = png_header(w, h, body)
    elif kind == "jpeg":
        data = jpeg_with_size(w, h)
    else:
        data = gif_with_size(w, h)
    note(check(data))


@pytest.mark.parametrize("data", [b"", b"\x00", b"\xff\xd8", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"BM",
                                  b"II*\x00", b"RIFF\x00\x00\x00\x00WEBP", b"%PDF-1.4\n", b"PK\x03\x04",
                                  b"\xff\xd8\xff\xe0" + b"\x00" * 100])
def test_tiny_and_foreign_files(data):
    with pytest.raises(PhotoError) as e:
        pipeline.process(data, "national")
    assert e.value.code.startswith("PHOTO.") and e.value.message


def test_a_real_bomb_is_named_as_such():
    code = check(png_header(60_000, 60_000))
    assert code == "PHOTO.BOMB"


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz-photos") / "archive"
    build_demo(folder, students=5, seed=9)
    with Session.open(folder) as s:
        yield s


def _store_files(s: Session) -> set:
    root = s.folder / "files"
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_refused_photos_leave_nothing_in_the_archive(archive):
    s = archive
    sid = s.conn.execute("SELECT id FROM students ORDER BY id LIMIT 1").fetchone()[0]

    @FUZZ
    @given(st.sampled_from(FORMATS), st.lists(st.tuples(st.integers(0, 5_000), st.integers(0, 255)), max_size=8),
           st.integers(0, 60_000))
    def run(fmt, flips, cut):
        data = bytearray(SAMPLES[fmt])
        for i, v in flips:
            data[i % len(data)] = v
        data = bytes(data[: cut % (len(data) + 1)])
        rows = s.conn.execute("SELECT COUNT(*) FROM photos").fetchone()[0]
        files = _store_files(s)
        try:
            ps.set_photo(s, sid, data)
        except PhotoError as e:
            assert e.code.startswith("PHOTO.") and e.message
            assert s.conn.execute("SELECT COUNT(*) FROM photos").fetchone()[0] == rows
            assert _store_files(s) == files
            note("service:" + e.code)
        else:
            assert s.conn.execute("SELECT COUNT(*) FROM photos").fetchone()[0] == rows + 1
            note("service:ok")

    run()
    assert s.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_fuzz_reached_refusals_and_successes():
    print("fuzz photo outcomes:", dict(sorted(SEEN.items())))
    assert "ok" in SEEN and "PHOTO.BOMB" in SEEN
    assert len([k for k in SEEN if k.startswith("PHOTO.")]) >= 3, SEEN
