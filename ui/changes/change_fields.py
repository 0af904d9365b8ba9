"""The kind's own fields in the change dialog (ui.changes.change_dialog): which request fields a kind may need,
their labels, the input widget for each (class, grade, dates, ticks, initiator, cause, the profile's discipline
levels …), reading and filling those widgets, and completing a transferring-in student's identity.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox, QWidget

from ui.changes.change_widgets import item_name
from ui.common.i18n import tr
from ui.common.values import field

# Request fields a kind may need (kind_info(kind)["needs"]); anything else goes into ``details``.
REQUEST_FIELDS = ("to_school", "from_school", "grade", "class_id")
DATE_FIELDS = ("until",)
OPTIONAL_DATE_FIELDS = ("learned_on",)                 # typed; empty = not given
INT_FIELDS = {"grade": (1, 12)}
OPTIONAL_INT_FIELDS = {"weeks": (0, 104), "weeks_continuous": (0, 52), "weeks_cumulative": (0, 52)}  # 0 = not given
BOOL_FIELDS = ("cross_province", "in_progress", "from_vocational", "auto")
CHOICE_FIELDS = ("initiator",)
SKIPPED = ("date", "reason", "evidence", "override", "approvals", "student_id", "details")
STUDENT_FIELDS = ("name", "id_number", "ethnicity")   # transfer-in: the incoming student's identity
NEW_STUDENT_DEFAULTS = {"id_type": "1", "nationality": "CHN", "hmt_overseas": "00"}  # as the student editor's


def field_label(name: str, info: dict | None = None) -> str:
    labels = {
        "cross_province": tr("change_ui.field.cross_province"), "in_progress": tr("change_ui.field.in_progress"),
        "from_vocational": tr("change_ui.field.from_vocational"), "auto": tr("change_ui.field.auto"),
        "initiator": tr("change_ui.field.initiator"), "weeks_continuous": tr("change_ui.field.weeks_continuous"),
        "weeks_cumulative": tr("change_ui.field.weeks_cumulative"), "learned_on": tr("change_ui.field.learned_on"),
        "to_school": tr("change_ui.field.to_school"), "from_school": tr("change_ui.field.from_school"),
        "grade": tr("change_ui.field.grade"), "class_id": tr("change_ui.field.class"),
        "until": tr("change_ui.field.until"), "level": tr("change_ui.field.level"), "weeks": tr("change_ui.field.weeks"),
        "name": tr("change_ui.field.name"), "id_number": tr("change_ui.field.id_number"),
        "ethnicity": tr("change_ui.field.ethnicity"), "cause": tr("change_ui.field.cause"),
    }
    if name in labels:
        return labels[name]
    extra = (info or {}).get("labels") or {}
    return str(extra.get(name) or name)


def causes() -> dict[str, dict]:
    """The causes a change may give (resources/changes.json ``causes``: code -> name, words)."""
    import json

    from app.core.paths import resource

    data = json.loads(resource("changes.json").read_text(encoding="utf-8")).get("causes", {})
    return {k: v for k, v in data.items() if not k.startswith("_") and isinstance(v, dict)}



def level_options(session, kind: str, student: dict | None) -> list[str]:
    """Discipline levels the profile's ``level_allowed`` rule lists for the student's stage (Shanxi: 警告 …);
    without such a rule the field is typed freely (an editable combo)."""
    from app.changes.kinds import stage_group

    stage = ((student or {}).get("class") or {}).get("stage", "")
    out: list[str] = []
    for r in session.profile.rules_for(f"change.{kind}"):
        if r.check != "level_allowed":
            continue
        lists = [r.params.get(stage_group(stage)) or r.params.get(stage)] if stage else list(r.params.values())
        for lst in lists:
            for x in lst or ():
                if isinstance(x, str) and x not in out:
                    out.append(x)
    return out


def field_widget(name: str, info: dict, *, session, kind: str, student: dict | None, class_id: int | None,
                 changed: Callable[[], None]) -> QWidget:
    """The input for one of the kind's fields, calling ``changed()`` whenever its value changes."""
    options = (info.get("options") or {}).get(name) or (level_options(session, kind, student) if name == "level"
                                                         else None)
    if name == "class_id":
        from app.school.classes import list_classes

        w = QComboBox()
        w.addItem(tr("change_ui.choose_class"), None)
        for k in list_classes(session):
            if k.get("status", "active") == "active":
                w.addItem(tr("change_ui.class_item", stage=k.get("stage_name", ""), name=k["display_name"]), k["id"])
        cur = class_id or (student or {}).get("class_id")
        if cur is not None and w.findData(cur) >= 0:
            w.setCurrentIndex(w.findData(cur))
        w.currentIndexChanged.connect(lambda _i: changed())
    elif name in INT_FIELDS:
        lo, hi = INT_FIELDS[name]
        w = QSpinBox()
        w.setRange(lo, hi)
        if name == "grade":
            w.setValue(int((student or {}).get("grade") or lo))
        w.valueChanged.connect(lambda _v: changed())
    elif name in OPTIONAL_INT_FIELDS:
        lo, hi = OPTIONAL_INT_FIELDS[name]
        w = QSpinBox()
        w.setRange(lo, hi)
        w.setSpecialValueText(tr("change_ui.not_given"))
        w.valueChanged.connect(lambda _v: changed())
    elif name in DATE_FIELDS or name in OPTIONAL_DATE_FIELDS:
        w = QLineEdit()
        w.setPlaceholderText(tr("change_ui.until_placeholder") if name == "until" else tr("change_ui.date_placeholder"))
        w.textChanged.connect(lambda _t: changed())
    elif name in BOOL_FIELDS:
        w = QCheckBox()
        w.toggled.connect(lambda _on: changed())
    elif name in CHOICE_FIELDS:
        w = QComboBox()
        w.addItem(tr("change_ui.initiator.family"), "family")
        w.addItem(tr("change_ui.initiator.school"), "school")
        w.currentIndexChanged.connect(lambda _i: changed())
    elif name == "cause":
        w = QComboBox()
        w.addItem(tr("change_ui.cause_from_reason"), "")
        for code, c in causes().items():
            w.addItem(c["name"], code)
        w.currentIndexChanged.connect(lambda _i: changed())
    elif options:
        w = QComboBox()
        w.setEditable(True)
        w.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        w.addItem("", "")
        for o in options:
            w.addItem(item_name(o), field(o, "code") or item_name(o))
        w.currentTextChanged.connect(lambda _t: changed())
    else:
        w = QLineEdit()
        w.textChanged.connect(lambda _t: changed())
    w.setObjectName(f"input_{name}")
    return w


def set_field_value(w: QWidget, value) -> None:
    """Fill one field's input with ``value``."""
    if isinstance(w, QSpinBox):
        w.setValue(int(value))
    elif isinstance(w, QCheckBox):
        w.setChecked(bool(value))
    elif isinstance(w, QComboBox):
        i = w.findData(value)
        if i < 0 and w.isEditable():
            w.setEditText(str(value))
        else:
            w.setCurrentIndex(i if i >= 0 else w.findText(str(value)))
    else:
        w.setText(str(value))


def field_value(name: str, w: QWidget):
    """One field's value as the request takes it (None or "" when not given)."""
    if isinstance(w, QSpinBox):
        return None if (name in OPTIONAL_INT_FIELDS and w.value() == w.minimum()) else w.value()
    if isinstance(w, QCheckBox):
        return True if w.isChecked() else None
    if isinstance(w, QComboBox):
        return w.currentText().strip() if w.isEditable() else w.currentData()
    return w.text().strip()


def complete_new_student(student: dict) -> dict:
    """The incoming student's birth date and gender read from the ID number (as the editor does);
    the usual defaults for the rest. The full record is completed later in the student editor."""
    from app.students.idcard import IdError, normalize_id, parse_id

    out = dict(NEW_STUDENT_DEFAULTS, **student)
    n = normalize_id(out.get("id_number", ""))
    if len(n) == 18:
        try:
            info = parse_id(n)
        except IdError:
            return out
        if info.birth_date:
            out.setdefault("birth_date", info.birth_date.strftime("%Y%m%d"))
        if info.gender:
            out.setdefault("gender", info.gender)
    return out
