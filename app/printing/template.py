"""Templates: TOML files in resources/templates/ (format: resources/templates/README.md).

Everything is in millimetres from the top-left corner of the physical sheet. A template is checked
completely when it is loaded; a bad file raises :class:`TemplateError` (a refusal naming the file, the
element and the key) before anything is drawn.
"""
from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import lru_cache
from pathlib import Path

from app.core.errors import Finding, Refused
from app.core.i18n import tr
from app.students.fields import member_fields as _member_fields
from app.students.fields import student_fields as _student_fields
from app.core.paths import resource
from app.printing import cnum
from app.printing.fonts import FACES, FONT_FILES

TEMPLATE_DIR_PARTS = ("templates",)
ELEMENT_TYPES = ("text", "photo", "qr", "line", "box", "circle", "image", "table", "ruler", "crosshair",
                 "template_boxes")
ALIGNS = ("left", "center", "right")
COMMON_KEYS = frozenset("type id art font size_pt min_size_pt align valign width_mm".split())
TYPE_KEYS = {
    "text": frozenset("x y w h field format text wrap line_height letter_spacing_mm blank".split()),
    "photo": frozenset("x y w h print".split()),
    "qr": frozenset("x y size text".split()),
    "line": frozenset("x1 y1 x2 y2 dash".split()),
    "box": frozenset("x y w h dash".split()),
    "circle": frozenset("cx cy r dash label".split()),
    "image": frozenset("x y w h path".split()),
    "table": frozenset("x y w bottom header_h row_h header_font columns".split()),
    "ruler": frozenset("edge x y length".split()),
    "crosshair": frozenset("x y size label".split()),
    "template_boxes": frozenset("x y template".split()),
}
VALIGNS = ("top", "middle", "bottom")

# The record fields templates may name (documents.py fills them; README.md explains each).
FIELDS = frozenset("""
school_name school_code school_address principal registrar school_phone profile
name gender birth_date id_number id_type xueji_no ethnicity native_place nationality name_pinyin former_name
class_name class_code grade_name stage stage_name entry_date leave_date study_years seat_no status_name
birthplace current_address home_address phone postcode hukou_division hukou_type health political
entry_mode study_mode only_child preschool left_behind migrant_child disability needs_aid orphan
martyr_child commute distance_km school_bus specialty id_validity blood_type email student_source
m1_name m1_relation m1_phone m1_id_number m1_employer m1_address m1_is_guardian
m2_name m2_relation m2_phone m2_id_number m2_employer m2_address m2_is_guardian
cert_number issue_date original_number reason province county age
qr title school_year school_year_next page pages printed_at count male female
plan_total actual_total apply_total xh_from xh_to
form_title form_note event_no event_kind event_date from_school to_school target_class period_from period_to
evidence_text from_state_name to_state_name
""".split())
FIELDS = FIELDS | frozenset(f.key for f in _student_fields()) | frozenset(
    f"m{n}_{f.key}" for n in (1, 2) for f in _member_fields())
ROW_FIELDS = FIELDS | frozenset("""
seq event_date event_kind direction from_school to_school note doc_number
number kind issued_at event verified verified_at operator item count_text pages_text
exam_no exam_score signature receive_date conclusion
party decision decided_by decided_on decided_on_text
""".split())


class PrintRefused(Refused):
    """Printing refused (a character no bundled font has, a bad template, nobody to print); nothing written."""


class TemplateError(PrintRefused):
    """A template file that cannot be used; the message names the file and what is wrong."""


def _err(path, message: str) -> TemplateError:
    return TemplateError([Finding("PRINT.TEMPLATE", message, field=Path(str(path)).name)])


@dataclass
class Element:
    type: str
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0
    id: str = ""
    field: str = ""
    text: str = ""
    font: str = "song"
    size_pt: float = 12.0
    min_size_pt: float = 6.0
    align: str = "left"
    valign: str = "middle"
    wrap: bool = False
    line_height: float = 1.4
    letter_spacing_mm: float = 0.0
    art: bool = False
    width_mm: float = 0.3
    dash: tuple = ()
    x2: float = 0.0
    y2: float = 0.0
    r: float = 0.0
    path: str = ""
    print_photo: bool = True
    edge: str = "top"
    length: float = 0.0
    header_h: float = 8.0
    row_h: float = 7.0
    bottom: float = 0.0
    columns: list = dc_field(default_factory=list)
    header_font: str = ""
    placeholders: tuple = ()
    label: str = ""
    blank: str = ""


@dataclass
class Template:
    id: str
    kind: str
    name: str
    page_size_mm: tuple[float, float]
    elements: list[Element]
    stage: str = ""
    orientation: str = "portrait"
    feed: str = "top"
    path: Path | None = None
    per: str = "student"       # "student": one sheet per record; "list": one table document

    @property
    def width_mm(self) -> float:
        return self.page_size_mm[0]

    @property
    def height_mm(self) -> float:
        return self.page_size_mm[1]

    def fields(self) -> set[str]:
        out: set[str] = set()
        for e in self.elements:
            out.update(e.placeholders)
        return out


_FORMATTER = string.Formatter()


def placeholders_of(text: str) -> list[tuple[str, str]]:
    """``[(field, style), …]`` named in ``text`` ("{issue_date:cn_ym}" → ("issue_date", "cn_ym"))."""
    out = []
    for _, fname, spec, _ in _FORMATTER.parse(text):
        if fname is not None:
            out.append((fname, spec or ""))
    return out


def _num(path, n, etype, d: dict, key: str, default=None, *, positive=False) -> float:
    if key not in d:
        if default is None:
            raise _err(path, tr("print.template_missing_key", path=str(path), n=n, type=etype, key=key))
        return default
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (positive and v <= 0) or v < -1000 or v > 5000:
        raise _err(path, tr("print.template_bad_value", path=str(path), n=n, type=etype, key=key, value=v))
    return float(v)


def _choice(path, n, etype, d: dict, key: str, allowed, default):
    v = d.get(key, default)
    if v not in allowed:
        raise _err(path, tr("print.template_bad_value", path=str(path), n=n, type=etype, key=key, value=v))
    return v


def _check_text(path, n, etype, text: str, allowed_fields) -> tuple:
    try:
        names = placeholders_of(text)
    except ValueError:
        raise _err(path, tr("print.template_bad_value", path=str(path), n=n, type=etype, key="text", value=text)) from None
    for fname, spec in names:
        if fname not in allowed_fields:
            raise _err(path, tr("print.template_unknown_field", path=str(path), n=n, type=etype, field=fname))
        if spec and spec not in cnum.STYLES:
            raise _err(path, tr("print.template_bad_value", path=str(path), n=n, type=etype, key="text", value=text))
    return tuple(f for f, _ in names)


def _element(path, n: int, d: dict, defaults: dict) -> Element:
    if not isinstance(d, dict):
        raise _err(path, tr("print.template_unknown_type", path=str(path), n=n, type=str(d)[:30]))
    etype = d.get("type", "")
    if etype not in ELEMENT_TYPES:
        raise _err(path, tr("print.template_unknown_type", path=str(path), n=n, type=etype))
    unknown = sorted(set(d) - COMMON_KEYS - TYPE_KEYS[etype])
    if unknown:  # a misspelt key would otherwise be ignored without a word
        raise _err(path, tr("print.template_unknown_key", path=str(path), n=n, type=etype, key=unknown[0]))
    merged = {**defaults, **d}
    e = Element(type=etype, id=str(d.get("id", "")), art=bool(d.get("art", False)))
    known_fonts = set(FACES) | set(FONT_FILES)
    e.font = _choice(path, n, etype, merged, "font", known_fonts, "song")
    e.size_pt = _num(path, n, etype, merged, "size_pt", 12.0, positive=True)
    e.min_size_pt = min(_num(path, n, etype, merged, "min_size_pt", 6.0, positive=True), e.size_pt)
    e.align = _choice(path, n, etype, merged, "align", ALIGNS, "left")
    e.valign = _choice(path, n, etype, merged, "valign", VALIGNS, "middle")
    e.width_mm = _num(path, n, etype, merged, "width_mm", 0.3, positive=True)
    if etype in ("text", "photo", "box", "image", "template_boxes", "qr", "table"):
        e.x = _num(path, n, etype, d, "x")
        e.y = _num(path, n, etype, d, "y")
    if etype in ("text", "photo", "box", "image"):
        e.w = _num(path, n, etype, d, "w", positive=True)
        e.h = _num(path, n, etype, d, "h", positive=True)
    if etype == "text":
        if "field" in d:
            f = d["field"]
            style = d.get("format", "")
            if f not in FIELDS:
                raise _err(path, tr("print.template_unknown_field", path=str(path), n=n, type=etype, field=f))
            if style and style not in cnum.STYLES:
                raise _err(path, tr("print.template_bad_value", path=str(path), n=n, type=etype, key="format", value=style))
            e.field = f
            e.text = "{" + f + (":" + style if style else "") + "}"
        elif "text" in d and isinstance(d["text"], str):
            e.text = d["text"]
        else:
            raise _err(path, tr("print.template_missing_key", path=str(path), n=n, type=etype, key="field"))
        e.placeholders = _check_text(path, n, etype, e.text, FIELDS)
        e.wrap = bool(d.get("wrap", False))
        e.blank = str(d.get("blank", ""))
        e.line_height = _num(path, n, etype, merged, "line_height", 1.4, positive=True)
        e.letter_spacing_mm = _num(path, n, etype, merged, "letter_spacing_mm", 0.0)
        if not e.placeholders and "art" not in d:
            e.art = True  # fixed text is pre-printed on a blank unless the template says otherwise
    elif etype == "photo":
        e.print_photo = bool(d.get("print", True))
    elif etype == "qr":
        e.w = e.h = _num(path, n, etype, d, "size", positive=True)
        e.text = d.get("text", "{qr}")
        e.placeholders = _check_text(path, n, etype, e.text, FIELDS)
    elif etype == "line":
        e.x = _num(path, n, etype, d, "x1")
        e.y = _num(path, n, etype, d, "y1")
        e.x2 = _num(path, n, etype, d, "x2")
        e.y2 = _num(path, n, etype, d, "y2")
        e.dash = tuple(d.get("dash", ()))
    elif etype == "box":
        e.dash = tuple(d.get("dash", ()))
    elif etype == "circle":
        e.x = _num(path, n, etype, d, "cx")
        e.y = _num(path, n, etype, d, "cy")
        e.r = _num(path, n, etype, d, "r", positive=True)
        e.dash = tuple(d.get("dash", ()))
        e.text = str(d.get("label", ""))
    elif etype == "image":
        e.path = str(d.get("path", ""))
        e.art = True
        if not e.path:
            raise _err(path, tr("print.template_missing_key", path=str(path), n=n, type=etype, key="path"))
    elif etype == "ruler":
        e.edge = _choice(path, n, etype, d, "edge", ("top", "left"), "top")
        e.x = _num(path, n, etype, d, "x", 0.0)
        e.y = _num(path, n, etype, d, "y", 0.0)
        e.length = _num(path, n, etype, d, "length", positive=True)
    elif etype == "crosshair":
        e.x = _num(path, n, etype, d, "x")
        e.y = _num(path, n, etype, d, "y")
        e.r = _num(path, n, etype, d, "size", 10.0, positive=True)
        e.text = str(d.get("label", ""))
    elif etype == "table":
        e.w = _num(path, n, etype, d, "w", positive=True)
        e.bottom = _num(path, n, etype, d, "bottom", positive=True)
        e.header_h = _num(path, n, etype, d, "header_h", 8.0, positive=True)
        e.row_h = _num(path, n, etype, d, "row_h", 7.0, positive=True)
        e.header_font = _choice(path, n, etype, d, "header_font", known_fonts, e.font)
        cols = d.get("columns")
        if not isinstance(cols, list) or not cols:
            raise _err(path, tr("print.template_missing_key", path=str(path), n=n, type=etype, key="columns"))
        total = 0.0
        for c in cols:
            if not isinstance(c, dict) or "header" not in c or "w" not in c:
                raise _err(path, tr("print.template_missing_key", path=str(path), n=n, type=etype, key="columns.header/w"))
            text = c.get("text") or ("{" + c["field"] + (":" + c["format"] if c.get("format") else "") + "}"
                                     if c.get("field") else "")
            _check_text(path, n, etype, text, ROW_FIELDS)
            cw = _num(path, n, etype, c, "w", positive=True)
            total += cw
            e.columns.append({"header": str(c["header"]), "text": text, "w": cw, "field": str(c.get("field", "")),
                              "align": _choice(path, n, etype, c, "align", ALIGNS, "center")})
        if total > e.w + 0.01:
            raise _err(path, tr("print.template_bad_value", path=str(path), n=n, type=etype, key="columns.w", value=round(total, 2)))
        if e.bottom <= e.y + e.header_h + e.row_h:
            raise _err(path, tr("print.template_bad_value", path=str(path), n=n, type=etype, key="bottom", value=e.bottom))
    elif etype == "template_boxes":
        e.text = str(d.get("template", ""))
    return e


def parse(data: dict, path) -> Template:
    page = data.get("page")
    if not isinstance(page, dict):
        raise _err(path, tr("print.template_missing_key", path=str(path), n=0, type="page", key="page"))
    w = _num(path, 0, "page", page, "width_mm", positive=True)
    h = _num(path, 0, "page", page, "height_mm", positive=True)
    if not (20 <= w <= 1200 and 20 <= h <= 1200):
        raise _err(path, tr("print.template_page", path=str(path), w=w, h=h))
    orientation = page.get("orientation", "landscape" if w > h else "portrait")
    if orientation not in ("portrait", "landscape") or (orientation == "landscape") != (w > h) and w != h:
        raise _err(path, tr("print.template_bad_value", path=str(path), n=0, type="page", key="orientation", value=orientation))
    for key in ("id", "kind"):
        if not isinstance(data.get(key), str) or not data.get(key):
            raise _err(path, tr("print.template_missing_key", path=str(path), n=0, type="template", key=key))
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise _err(path, tr("print.template_bad_value", path=str(path), n=0, type="template", key="defaults", value=defaults))
    raw = data.get("element", [])
    if not isinstance(raw, list) or not raw:
        raise _err(path, tr("print.template_missing_key", path=str(path), n=0, type="template", key="element"))
    elements = [_element(path, i + 1, d, defaults) for i, d in enumerate(raw)]
    per = data.get("per", "student")
    if per not in ("student", "list", "sheet"):
        raise _err(path, tr("print.template_bad_value", path=str(path), n=0, type="template", key="per", value=per))
    return Template(id=data["id"], kind=data["kind"], name=str(data.get("name", data["id"])),
                    page_size_mm=(w, h), elements=elements, stage=str(data.get("stage", "")),
                    orientation=orientation, feed=str(page.get("feed", "top")),
                    path=Path(str(path)), per=per)


def load_template(path) -> Template:
    """Read and check one template file (TOML); a bad file raises :class:`TemplateError`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _err(p, tr("print.template_not_found", path=str(p))) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _err(p, tr("print.template_unreadable", path=str(p), error=exc.__class__.__name__)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _err(p, tr("print.template_unreadable", path=str(p), error=str(exc))) from None
    return parse(data, p)


def template_dir() -> Path:
    return resource(*TEMPLATE_DIR_PARTS)


@lru_cache(maxsize=64)
def bundled(template_id: str) -> Template:
    p = template_dir() / f"{template_id}.toml"
    if not p.exists():
        raise _err(template_id, tr("print.template_not_found", path=str(template_id)))
    return load_template(p)


def template_for(kind: str, stage: str | None = None) -> Template:
    """The bundled template for ``kind`` (for diplomas: ``stage`` primary/junior/senior, default junior)."""
    if stage:
        p = template_dir() / f"{kind}-{stage}.toml"
        if p.exists():
            return bundled(f"{kind}-{stage}")
    if kind == "diploma":
        return bundled(f"{kind}-{stage or 'junior'}")
    return bundled(kind)


def resolve(ref, kind: str, stage: str | None = None) -> Template:
    """``ref``: None (bundled for kind/stage), a Template, a path to a .toml file, or a bundled id."""
    if ref is None:
        return template_for(kind, stage)
    if isinstance(ref, Template):
        return ref
    s = str(ref)
    if s.endswith(".toml") or "/" in s or "\\" in s:
        return load_template(s)
    return bundled(s)
