"""The printing engine (app/printing): fonts checked per character with fallback, Chinese dates,
template loading, positions after calibration, shrink-to-fit, embedded subset fonts, photos, pixels.

Real archives (tests.helpers), real PDFs written to tmp_path and read back with pdfplumber, pypdf and
pypdfium2; nothing is mocked."""
from __future__ import annotations

import io
from pathlib import Path

import pdfplumber
import pypdf
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw

from app.photos import service as photo_service
from app.printing import cnum, fonts
from app.printing.renderer import CERT_KINDS, KINDS, Calibration, Cancelled, PrintRefused, TemplateError, calibration_template, load_template, render, template_for
from app.printing.engine import ASCENT, MIDDLE, MM
from tests.helpers import add, birth_for_grade, make_id, new_class, new_school

RARE = "𠮷䶮龑堃喆珺"
PT_MM = 25.4 / 72


def jpeg(color=(120, 160, 220), size=(358, 441)) -> bytes:
    im = Image.new("RGB", size, color)
    ImageDraw.Draw(im).ellipse((size[0] // 4, size[1] // 5, size[0] * 3 // 4, size[1] * 3 // 5), fill=(230, 190, 160))
    b = io.BytesIO()
    im.save(b, "JPEG", quality=85)
    return b.getvalue()


def make_school(tmp_path: Path, names=("张三", "李𠮷", "王䶮", "赵龑"), grade=9, photos=True, **kw):
    """A school with a principal, one class of ``grade`` and the named students (with photos)."""
    s = new_school(tmp_path, principal="王校长", address="河南省周口市川汇区人民路1号", **kw)
    cid = new_class(s, grade)
    ids = []
    for i, n in enumerate(names):
        idn = make_id(birth_for_grade(grade, i), 100 + i, "1" if i % 2 else "2")
        r = add(s, cid, n, idn, native_place="河南省周口市", entry_ym=f"{2025 - (grade - 7) if grade >= 7 else 2020}09",
                xueji_no="G" + idn, seat_no=str(i + 1))
        ids.append(r.id)
        if photos:
            photo_service.set_photo(s, r.id, jpeg((100 + 20 * i % 150, 150, 200)))
    s.class_id = cid
    s.ids = ids
    return s


@pytest.fixture
def school(tmp_path):
    s = make_school(tmp_path)
    yield s
    s.close()


def chars_in(pdf_path, page=0):
    with pdfplumber.open(str(pdf_path)) as pdf:
        p = pdf.pages[page]
        return p.chars, p.height


def find_run(chars, text):
    """The consecutive chars spelling ``text`` as a whole (not inside a longer run on the same line)."""
    s = "".join(c["text"] for c in chars)
    i = s.find(text)
    while i >= 0:
        prev = chars[i - 1] if i > 0 else None
        if prev is None or abs(prev["matrix"][5] - chars[i]["matrix"][5]) > 0.5 or chars[i]["x0"] - prev["x1"] > 3:
            return chars[i:i + len(text)]
        i = s.find(text, i + 1)
    raise AssertionError(f"{text!r} not in page text {s[:300]!r}")


def element(t, ident):
    return next(e for e in t.elements if e.id == ident)


# ------------------------------------------------------------------ Chinese numerals and dates
@pytest.mark.parametrize("value,style,expected", [
    ("2026-07-01", "cn_ymd", "二〇二六年七月一日"),
    ("2026-07-01", "cn_ym", "二〇二六年七月"),
    ("2026-12-31", "cn_ymd", "二〇二六年十二月三十一日"),
    ("2030-10-20", "cn_ymd", "二〇三〇年十月二十日"),
    ("20260711", "cn_ymd", "二〇二六年七月十一日"),
    ("202609", "ym", "2026年9月"),
    ("2026-07-01", "ymd", "2026年7月1日"),
    ("2026-07-01", "ymd8", "20260701"),
    ("", "cn_ymd", ""),
])
def test_chinese_dates(value, style, expected):
    assert cnum.fmt_date(value, style) == expected
    assert "0" not in cnum.fmt_date("2000-01-01", "cn_ymd") and "零" not in cnum.fmt_date("2000-01-01", "cn_ymd")


# ------------------------------------------------------------------ fonts
@pytest.mark.parametrize("face", ["song", "kai"])
def test_every_rare_character_has_a_font_with_a_real_outline(face):
    for ch in RARE:
        name = fonts.font_for(face, ch)
        assert name is not None, ch
        f = fonts.font(name).face
        g = f.charToGlyph[ord(ch)]
        assert f.glyphPos[g + 1] > f.glyphPos[g], (ch, name)
    # the Song face lacks 𠮷 (Ext-B): it falls back to WenKai instead of drawing a box
    assert fonts.font_for("song", "𠮷") == "LXGWWenKai"
    assert fonts.font_for("song", "中") == "NotoSerifSC"
    assert [f for f, _ in fonts.runs("song", "李𠮷")] == ["NotoSerifSC", "LXGWWenKai"]


def test_a_character_no_font_has_is_refused_by_name_and_nothing_is_written(school, tmp_path):
    out = tmp_path / "never.pdf"
    odd = "\U0003134A"  # CJK Ext G: in no bundled font
    assert fonts.missing("song", "李" + odd) == [odd]
    with pytest.raises(PrintRefused) as ei:
        render(school, "diploma", out, student_ids=[school.ids[0]], values={school.ids[0]: {"name": "李" + odd}})
    text = str(ei.value)
    assert odd in text and "U+3134A" in text and "张三" in text and "姓名" in text
    assert ei.value.findings[0].field == "姓名"
    assert ei.value.findings[0].code == "PRINT.GLYPH_MISSING"
    assert not out.exists() and not list(tmp_path.glob(".print-*"))


def test_rare_names_render_as_real_glyphs_and_extract_back(school, tmp_path):
    out = tmp_path / "rare.pdf"
    t = load_template(_one_field_template(tmp_path))
    for ch in RARE:
        res = render(school, "diploma", out, student_ids=[school.ids[0]], template=t,
                     values={school.ids[0]: {"name": ch}})
        assert res.pages == 1
        chars, _ = chars_in(out)
        assert "".join(c["text"] for c in chars) == ch
        # pixels inside the glyph's box are inked (a blank or a zero-width glyph would leave it white)
        pdf = pdfium.PdfDocument(str(out))
        img = pdf[0].render(scale=300 / 72).to_pil().convert("L")
        pdf.close()
        px = 300 / 25.4
        box = img.crop((int(10 * px), int(10 * px), int(30 * px), int(30 * px)))
        dark = sum(box.histogram()[:128])
        assert dark > 400, (ch, dark)
        # ... and not the .notdef box: the glyph's ink is not just a rectangle outline
        assert dark < 0.6 * box.width * box.height


def _one_field_template(tmp_path) -> Path:
    p = tmp_path / "one.toml"
    p.write_text('id = "one"\nkind = "diploma"\n[page]\nwidth_mm = 60\nheight_mm = 40\n'
                 '[[element]]\ntype = "text"\nfield = "name"\nx = 10\ny = 10\nw = 40\nh = 20\n'
                 'size_pt = 48\nfont = "song"\nalign = "left"\n', encoding="utf-8")
    return p


def test_fonts_are_embedded_as_subset_truetype(school, tmp_path):
    out = tmp_path / "d.pdf"
    render(school, "diploma", out, student_ids=school.ids)
    r = pypdf.PdfReader(str(out))
    seen = set()
    for page in r.pages:
        for f in page["/Resources"]["/Font"].values():
            f = f.get_object()
            base = str(f["/BaseFont"])
            desc = (f["/DescendantFonts"][0].get_object()["/FontDescriptor"] if "/DescendantFonts" in f
                    else f["/FontDescriptor"]).get_object()
            assert "/FontFile2" in desc, base          # TrueType outlines embedded
            prefix = base.lstrip("/").split("+")[0]
            assert len(prefix) == 6 and prefix.isupper(), base  # subset tag ABCDEF+
            seen.add(base.split("+")[1].split("-")[0])
    assert {"NotoSerifSC", "LXGWWenKai"} <= seen


# ------------------------------------------------------------------ positions, calibration, shrink-to-fit
FIELDS_CHECKED = ("name", "gender", "cert_number", "id_number", "xueji_no", "principal", "issue_date")


@pytest.mark.parametrize("cal", [Calibration(), Calibration(2.5, -1.5, 1.0), Calibration(-1.2, 3.0, 0.97),
                                 Calibration(0.0, 0.0, 1.03)])
def test_field_text_and_position_within_half_a_millimetre(school, tmp_path, cal):
    sid = school.ids[1]
    out = tmp_path / "pos.pdf"
    render(school, "diploma", out, student_ids=[sid], overlay=True, calibration=cal, numbers={sid: "4116-2026-000123"},
           issue_date="2026-07-01")
    t = template_for("diploma", "junior")
    chars, page_h = chars_in(out)
    stu = school.conn.execute("SELECT * FROM students WHERE id = ?", (sid,)).fetchone()
    expected = {"name": "李𠮷", "gender": "男", "cert_number": "4116-2026-000123", "id_number": stu["id_number"],
                "xueji_no": stu["xueji_no"], "principal": "王校长", "issue_date": "二〇二六年七月一日"}
    assert page_h == pytest.approx(t.height_mm * MM, abs=0.01)
    for ident in FIELDS_CHECKED:
        e = element(t, ident)
        run = find_run(chars, expected[ident])
        size_mm = run[0]["size"] * PT_MM            # the drawn size (after calibration scale)
        left_mm = run[0]["x0"] * PT_MM
        right_mm = run[-1]["x1"] * PT_MM
        base_mm = page_h * PT_MM - run[0]["matrix"][5] * PT_MM   # baseline from the top edge
        s = cal.scale
        want_base = cal.dy_mm + s * (e.y + e.h / 2) + MIDDLE * size_mm
        assert base_mm == pytest.approx(want_base, abs=0.5), ident
        if e.align == "left":
            assert left_mm == pytest.approx(cal.dx_mm + s * e.x, abs=0.5), ident
        elif e.align == "right":
            assert right_mm == pytest.approx(cal.dx_mm + s * (e.x + e.w), abs=0.5), ident
        else:
            assert (left_mm + right_mm) / 2 == pytest.approx(cal.dx_mm + s * (e.x + e.w / 2), abs=0.5), ident
        # inside the (calibrated) box
        assert left_mm >= cal.dx_mm + s * e.x - 0.5 and right_mm <= cal.dx_mm + s * (e.x + e.w) + 0.5, ident
        top_mm = base_mm - ASCENT * size_mm
        assert top_mm >= cal.dy_mm + s * e.y - 0.5, ident


def test_overlay_prints_only_the_variable_fields(school, tmp_path):
    full, over = tmp_path / "full.pdf", tmp_path / "over.pdf"
    render(school, "diploma", full, student_ids=[school.ids[0]])
    render(school, "diploma", over, student_ids=[school.ids[0]], overlay=True)
    text_full = "".join(c["text"] for c in chars_in(full)[0])
    text_over = "".join(c["text"] for c in chars_in(over)[0])
    assert "初中毕业证书" in text_full and "准予毕业" in text_full
    assert "初中毕业证书" not in text_over and "准予毕业" not in text_over
    assert "张三" in text_over and "王校长" in text_over


def test_a_very_long_school_name_shrinks_inside_its_box(school, tmp_path):
    long_name = "河南省周口市川汇区人民路第一实验小学教育集团东校区附属初级中学分校" * 2
    out = tmp_path / "long.pdf"
    render(school, "diploma", out, student_ids=[school.ids[0]], overlay=True, values={"school_name": long_name})
    e = element(template_for("diploma", "junior"), "school_name")
    chars, _ = chars_in(out)
    run = find_run(chars, long_name)
    assert run[0]["x0"] * PT_MM >= e.x - 0.2
    assert run[-1]["x1"] * PT_MM <= e.x + e.w + 0.2
    assert run[0]["size"] < e.size_pt


def test_calibration_from_two_marks_undoes_the_printers_shift_and_scale():
    def printer(x, y):  # this printer moves everything 2 mm right, 1.5 mm up and prints 1 % large
        return 2.0 + 1.01 * x, -1.5 + 1.01 * y

    a, b = (20, 20), (190, 277)
    c = Calibration.from_marks(a, printer(*a), b, printer(*b))
    assert c.scale == pytest.approx(1 / 1.01)
    for point in (a, b, (105, 148.5), (0, 0)):
        assert printer(*c.apply(*point)) == pytest.approx(point)   # corrected, it lands where it should
    assert Calibration(1.5, -2.0, 1.0).apply(10, 10) == (11.5, 8.0)  # + = content moves right / down


def test_calibration_sheet_has_rulers_crosshairs_and_the_templates_boxes(school, tmp_path):
    out = tmp_path / "cal.pdf"
    render(school, "calibration-sheet", out, template="diploma-junior")
    t = calibration_template("diploma-junior")
    assert t.page_size_mm == template_for("diploma", "junior").page_size_mm
    text = "".join(c["text"] for c in chars_in(out)[0])
    assert "cert_number" in text and "photo" in text and "(15, 15)" in text
    with pdfplumber.open(str(out)) as pdf:
        assert len(pdf.pages[0].lines) > 250  # one tick per mm along two edges


# ------------------------------------------------------------------ photos, pixels, batches
def test_photo_jpeg_is_embedded_once_and_passed_through(school, tmp_path):
    out = tmp_path / "twice.pdf"
    sid = school.ids[0]
    render(school, "diploma", out, student_ids=[sid, sid])
    stored = school.conn.execute("SELECT spec_jpeg FROM photos WHERE student_id = ? AND current = 1", (sid,)).fetchone()[0]
    r = pypdf.PdfReader(str(out))
    images = {}
    for page in r.pages:
        for name, x in page["/Resources"]["/XObject"].items():
            x = x.get_object()
            images[x.indirect_reference.idnum] = x
    assert len(images) == 1
    (img,) = images.values()
    filters = img["/Filter"] if isinstance(img["/Filter"], list) else [img["/Filter"]]
    assert filters == ["/DCTDecode"] and img._data == bytes(stored)  # the stored JPEG, byte for byte


def test_a_rendered_page_is_not_blank(school, tmp_path):
    out = tmp_path / "p.pdf"
    render(school, "diploma", out, student_ids=[school.ids[0]])
    pdf = pdfium.PdfDocument(str(out))
    img = pdf[0].render(scale=100 / 72).to_pil().convert("L")
    pdf.close()
    inked = sum(img.histogram()[:200])
    assert inked > 0.01 * img.width * img.height


def test_progress_and_cancel(school, tmp_path):
    seen = []
    res = render(school, "diploma", tmp_path / "a.pdf", student_ids=school.ids, progress=lambda d, n: seen.append((d, n)))
    assert seen[-1] == (4, 4) and res.pages == 4 and res.students == 4
    out = tmp_path / "b.pdf"
    with pytest.raises(Cancelled):
        render(school, "diploma", out, student_ids=school.ids, cancel=lambda: len(seen) >= 6,
               progress=lambda d, n: seen.append(d))
    assert not out.exists() and not list(tmp_path.glob(".print-*"))


def test_writes_into_a_file_object(school):
    buf = io.BytesIO()
    res = render(school, "diploma", buf, student_ids=school.ids[:2])
    assert res.path is None and res.pages == 2 and buf.getvalue().startswith(b"%PDF")


# ------------------------------------------------------------------ templates
def test_every_bundled_template_loads():
    for kind in KINDS:
        if kind == "diploma":
            for stage in ("primary", "junior", "senior"):
                assert template_for(kind, stage).stage == stage
        elif kind == "change-form":  # one template per form family (change-forms.toml)
            from app.printing.change_forms import change_forms

            for family in set(change_forms()["kinds"].values()):
                assert template_for(kind, family).id == f"change-form-{family}"
        else:
            assert template_for(kind).kind == kind
    assert set(CERT_KINDS) <= set(KINDS)


@pytest.mark.parametrize("body,needle", [
    ('id = "x"\nkind = "diploma"\n[page]\nwidth_mm = 100\n', "height_mm"),
    ('id = "x"\nkind = "diploma"\n[page]\nwidth_mm = 100\nheight_mm = 50\n[[element]]\ntype = "star"\n', "star"),
    ('id = "x"\nkind = "diploma"\n[page]\nwidth_mm = 100\nheight_mm = 50\n[[element]]\ntype = "text"\n'
     'field = "nmae"\nx = 1\ny = 1\nw = 5\nh = 5\n', "nmae"),
    ('id = "x"\nkind = "diploma"\n[page]\nwidth_mm = 100\nheight_mm = 50\n[[element]]\ntype = "text"\n'
     'field = "name"\nx = 1\ny = 1\nw = -5\nh = 5\n', "-5"),
    ('id = "x"\nkind = "diploma"\n[page]\nwidth_mm = 5\nheight_mm = 50\n[[element]]\ntype = "box"\n', "5"),
    ('id = "x"\nkind = "diploma"\n[page\nwidth_mm = 100\n', "bad.toml"),
    ('id = "x"\nkind = "diploma"\n[page]\nwidth_mm = 100\nheight_mm = 50\n[[element]]\ntype = "text"\n'
     'text = "{issue_date:roman}"\nx = 1\ny = 1\nw = 5\nh = 5\n', "roman"),
    ('id = "x"\nkind = "diploma"\n[page]\nwidth_mm = 100\nheight_mm = 50\n[[element]]\ntype = "text"\n'
     'field = "name"\nx = 1\ny = 1\nw = 5\nh = 5\nsise_pt = 12\n', "sise_pt"),
])
def test_a_bad_template_is_a_clear_error(tmp_path, body, needle):
    p = tmp_path / "bad.toml"
    p.write_text(body, encoding="utf-8")
    with pytest.raises(TemplateError) as ei:
        load_template(p)
    msg = str(ei.value)
    assert "bad.toml" in msg and needle in msg
    assert ei.value.findings[0].code == "PRINT.TEMPLATE"


def test_a_missing_template_file_is_named(tmp_path):
    with pytest.raises(TemplateError) as ei:
        load_template(tmp_path / "nowhere.toml")
    assert "nowhere.toml" in str(ei.value)


def test_unknown_kind_is_refused(school, tmp_path):
    with pytest.raises(PrintRefused):
        render(school, "passport", tmp_path / "x.pdf", student_ids=school.ids)


def test_background_art_only_in_full_mode_and_a_template_path_works(school, tmp_path):
    art = tmp_path / "scan.png"
    Image.new("RGB", (200, 100), (200, 30, 30)).save(art)
    p = tmp_path / "withart.toml"
    p.write_text('id = "withart"\nkind = "diploma"\n[page]\nwidth_mm = 100\nheight_mm = 50\n'
                 '[[element]]\ntype = "image"\npath = "scan.png"\nx = 0\ny = 0\nw = 100\nh = 50\n'
                 '[[element]]\ntype = "text"\nfield = "name"\nx = 10\ny = 10\nw = 60\nh = 10\n', encoding="utf-8")

    def red_share(pdf_path):
        pdf = pdfium.PdfDocument(str(pdf_path))
        img = pdf[0].render(scale=0.5).to_pil().convert("RGB")
        pdf.close()
        px = img.load()
        red = sum(1 for x in range(img.width) for y in range(img.height)
                  if px[x, y][0] > 150 and px[x, y][1] < 80)
        return red / (img.width * img.height)

    full, over = tmp_path / "full.pdf", tmp_path / "over.pdf"
    render(school, "diploma", full, student_ids=[school.ids[0]], template=str(p))
    render(school, "diploma", over, student_ids=[school.ids[0]], template=str(p), overlay=True)
    assert red_share(full) > 0.8 and red_share(over) < 0.05
    assert "张三" in "".join(c["text"] for c in chars_in(over)[0])


def test_a_long_wrapped_text_shrinks_to_stay_in_its_box(school, tmp_path):
    sid = school.ids[0]
    out = tmp_path / "e.pdf"
    place = "河南省周口市川汇区人民路街道办事处第一社区居民委员会第三居民小组" * 8
    res = render(school, "education-certificate", out, student_ids=[sid], values={sid: {"native_place": place}})
    e = element(template_for("education-certificate"), "body")
    chars, page_h = chars_in(out)
    body = [c for c in chars if e.x - 0.5 <= c["x0"] * PT_MM <= e.x + e.w and e.y - 1 <= c["top"] * PT_MM < e.y + e.h]
    assert place[:20] in "".join(c["text"] for c in body)
    assert body and all(c["x1"] * PT_MM <= e.x + e.w + 2.5 for c in body)   # a hanging 。 at most
    assert all(c["bottom"] * PT_MM <= e.y + e.h + 0.5 for c in body)
    assert min(c["size"] for c in body) < e.size_pt                          # it had to shrink
    assert not [w for w in res.warnings if w.code == "PRINT.OVERFLOW"]


def test_the_archives_measured_copy_of_a_template_is_used(school, tmp_path):
    from app.printing.renderer import customise_template, effective_template

    path = customise_template(school, "diploma", "junior")
    assert path.parent == Path(school.folder) / "templates" and path.read_text(encoding="utf-8").startswith("#")
    text = path.read_text(encoding="utf-8").replace("width_mm = 260.0", "width_mm = 250.0", 1)
    path.write_text(text, encoding="utf-8")
    assert effective_template(school, "diploma", "junior").width_mm == 250.0
    assert customise_template(school, "diploma", "junior").read_text(encoding="utf-8") == text  # kept
    out = tmp_path / "own.pdf"
    render(school, "diploma", out, student_ids=[school.ids[0]])
    with pdfplumber.open(str(out)) as pdf:
        assert pdf.pages[0].width == pytest.approx(250.0 * MM, abs=0.01)
    path.write_text(text.replace("[page]", "[page\n", 1), encoding="utf-8")   # a broken copy is refused
    with pytest.raises(TemplateError) as ei:
        render(school, "diploma", out, student_ids=[school.ids[0]])
    assert "diploma-junior.toml" in str(ei.value)


def test_a_table_row_with_an_undrawable_character_names_the_row_and_column(school, tmp_path):
    odd = "\U0003134A"
    rows = [{"number": "N1", "kind": "diploma", "name": "李" + odd, "issued_at": "2026-07-01", "event": "issue"}]
    out = tmp_path / "reg.pdf"
    with pytest.raises(PrintRefused) as ei:
        render(school, "issuance-register", out, register_rows=rows)
    f = ei.value.findings[0]
    assert f.code == "PRINT.GLYPH_MISSING" and "李" + odd in f.message and f.field == "姓名"
    assert not out.exists()
