"""Key data as the registrar types it in the student editor (ui.students.student_editor_dialog): an 18-character
ID number fills 出生日期, 性别 and (when empty) 证件类型 and shows what it says under the field; a 12-digit
division code (籍贯, 出生地 …) shows the division's name.
"""
from __future__ import annotations

from app.students import codes
from app.students.idcard import IdError, division_name, normalize_id, parse_id
from ui.common.i18n import tr


def fill_from_id_number(inputs: dict, text: str) -> None:
    """The ID number as typed (``inputs``: the editor's field inputs by key)."""
    n = normalize_id(text)
    fi = inputs["id_number"]
    if len(n) < 18 or inputs["id_type"].value() not in ("", "1", "C", "9"):
        fi.set_error("")
        fi.set_hint("")
        return
    try:
        info = parse_id(n)
    except IdError as e:
        fi.set_error(e.message)
        fi.set_hint("")
        return
    fi.set_error("")
    if info.birth_date:
        inputs["birth_date"].set_value(info.birth_date.strftime("%Y%m%d"))
        inputs["birth_date"].set_error("")
    if info.gender:
        inputs["gender"].set_value(info.gender)
        inputs["gender"].set_error("")
    if not inputs["id_type"].value():
        inputs["id_type"].set_value("9" if info.kind.startswith("foreign") else "1")
    parts = [tr("editor.id_hint_birth", date=info.birth_date.isoformat())] if info.birth_date else []
    if info.gender:
        parts.append(codes.name_of("gender", info.gender))
    if info.division_name:
        parts.append(info.division_name)
    fi.set_hint(tr("editor.id_hint", text="，".join(parts)))


def show_division_hints(inputs: dict) -> None:
    """Each division-code field's hint: the division's name (or nothing)."""
    for fi in inputs.values():
        if fi.fd.kind != "division12":
            continue
        v = fi.value()
        name = division_name(v[:6]) if len(v) in (6, 12) and v.isdigit() else None
        fi.set_hint(name or "")
