"""One input per field of the national template (app.students.fields.FieldDef): a line edit or a code combo,
with its label and a red message line under it for inline validation.

Code fields show names and give back codes (app.students.codes); a typed name, code or alias is accepted
as app.students.validation accepts it, and anything else is left for validation to explain.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QComboBox, QCompleter, QGridLayout, QLabel, QLineEdit, QScrollArea, QVBoxLayout, QWidget

from app.students import codes
from ui.common.i18n import tr

ERROR_STYLE = "color: #c62828;"
HINT_STYLE = "color: #616161;"
PLACEHOLDER_KEYS = {"date8": "field.placeholder.date8", "ym6": "field.placeholder.ym6",
                    "division12": "field.placeholder.division12", "phone": "field.placeholder.phone",
                    "postcode": "field.placeholder.postcode", "number": "field.placeholder.number",
                    "idnumber": "field.placeholder.idnumber", "xjh": "field.placeholder.xjh"}
MAX_LENGTHS = {"date8": 10, "ym6": 7, "division12": 12, "postcode": 6, "phone": 20, "idnumber": 30,
               "idnumber_member": 30, "xjh": 19}


class CodeCombo(QComboBox):
    """An editable combo over one code table: type 汉 and pick 汉族; ``code()`` returns "01"."""

    def __init__(self, table: str, parent=None):
        super().__init__(parent)
        self.table = table
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.addItem("", "")
        for code, name in codes.choices(table):
            self.addItem(name, code)
        comp = QCompleter(self.model(), self)
        comp.setFilterMode(Qt.MatchFlag.MatchContains)
        comp.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        comp.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setCompleter(comp)
        self.setMaxVisibleItems(20)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(8)

    def code(self) -> str:
        text = self.currentText().strip()
        if not text:
            return ""
        i = self.findText(text, Qt.MatchFlag.MatchExactly)
        if i >= 0:
            return self.itemData(i) or ""
        found = codes.code_of(self.table, text)
        return found if found else text  # unknown text: validation names the problem

    def set_code(self, code: str) -> None:
        i = self.findData(code or "")
        if i >= 0:
            self.setCurrentIndex(i)
        else:
            self.setEditText(code or "")


class FieldInput(QObject):
    """The widgets of one field: ``label``, ``widget`` (QLineEdit or CodeCombo), ``cell`` (widget +
    message line) and ``changed`` (emitted when the user finished editing the field)."""

    changed = Signal(str)

    def __init__(self, fd, *, key: str | None = None, header: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.fd = fd
        self.key = key or fd.key
        self.header = header or fd.header
        self.cell = QWidget(parent)
        lay = QVBoxLayout(self.cell)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        if fd.kind == "code" and fd.table:
            self.widget = CodeCombo(fd.table, self.cell)
            self.widget.activated.connect(lambda _i: self.changed.emit(self.key))
            self.widget.lineEdit().editingFinished.connect(lambda: self.changed.emit(self.key))
        else:
            self.widget = QLineEdit(self.cell)
            if fd.kind in PLACEHOLDER_KEYS:
                self.widget.setPlaceholderText(tr(PLACEHOLDER_KEYS[fd.kind]))
            if fd.kind in MAX_LENGTHS:
                self.widget.setMaxLength(MAX_LENGTHS[fd.kind] + 10)  # room for spaces and dashes pasted in
            self.widget.editingFinished.connect(lambda: self.changed.emit(self.key))
        self.widget.setObjectName(f"field_{self.key}")
        self.widget.setAccessibleName(self.header)
        lay.addWidget(self.widget)
        self.hint = QLabel(self.cell)
        self.hint.setStyleSheet(HINT_STYLE)
        self.hint.setWordWrap(True)
        self.hint.hide()
        lay.addWidget(self.hint)
        self.error = QLabel(self.cell)
        self.error.setObjectName(f"error_{self.key}")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        lay.addWidget(self.error)
        lay.addStretch(1)  # keep the input at the top when the row is taller (a message beside it)
        required = fd.required == "block"
        self.label = QLabel(tr("field.label_required" if required else "field.label", header=self.header),
                            parent)
        self.label.setBuddy(self.widget)
        self.label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.label.setContentsMargins(0, 4, 0, 0)
        if fd.required == "warn":
            self.label.setToolTip(tr("field.tip_upload_required"))

    # ------------------------------------------------------------------ value
    def value(self) -> str:
        if isinstance(self.widget, CodeCombo):
            return self.widget.code()
        return self.widget.text().strip()

    def set_value(self, value) -> None:
        value = "" if value is None else str(value)
        if isinstance(self.widget, CodeCombo):
            self.widget.set_code(value)
        else:
            self.widget.setText(value)

    def line_edit(self) -> QLineEdit:
        return self.widget.lineEdit() if isinstance(self.widget, QComboBox) else self.widget

    # ------------------------------------------------------------------ messages
    def set_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def error_text(self) -> str:
        return self.error.text()

    def set_hint(self, text: str) -> None:
        self.hint.setText(text)
        self.hint.setVisible(bool(text))


def lay_out_grid(parent: QWidget, inputs: list[FieldInput], columns: int = 2) -> QGridLayout:
    """Label / input pairs row by row, ``columns`` pairs a row; Tab follows the same order."""
    grid = QGridLayout(parent)
    grid.setHorizontalSpacing(10)
    grid.setVerticalSpacing(6)
    for i, fi in enumerate(inputs):
        r, c = divmod(i, columns)
        grid.addWidget(fi.label, r, c * 2)
        grid.addWidget(fi.cell, r, c * 2 + 1)
    for c in range(columns):
        grid.setColumnStretch(c * 2 + 1, 1)
    grid.setRowStretch((len(inputs) + columns - 1) // columns, 1)
    return grid


def scrolled(page: QWidget) -> QScrollArea:
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setWidget(page)
    return scroll
