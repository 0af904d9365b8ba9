"""The student editor: the national 学生基本信息表 fields in one tab per section, the two family
members, the student's change history; inline validation as the registrar types, and the save path
through app.students.service with its refusals (rule + article at the field and in a list at the
top), key-data evidence and BLOCK* overrides.

Keyboard: Enter in any field saves, Ctrl+Enter saves from anywhere, Esc cancels, Ctrl+Tab changes tab.

``read_only=True`` (a role without "write": 校领导, 班主任): the record is shown, nothing can be changed —
fields read-only or disabled, no 保存 (the button is hidden, Enter and Ctrl+S do nothing), no photo buttons
(ui.students.editor_read_only). What a typed ID number fills in and the division-code hints:
ui.students.id_number_hints.
"""
from __future__ import annotations

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QGroupBox, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QPushButton, QTabWidget, QVBoxLayout, QWidget)

from app.students import fields as F
from app.students import service as ss
from app.school.classes import list_classes
from app.core.errors import BLOCK_STAR, EVIDENCE, Refused
from app.students.validation import validate_student
from ui.common import messages
from ui.students.field_widgets import ERROR_STYLE, FieldInput, lay_out_grid, scrolled
from ui.common.history_table import HistoryTable
from ui.common.i18n import tr
from ui.students.editor_read_only import make_read_only
from ui.students.id_number_hints import fill_from_id_number, show_division_hints
from ui.students.key_change_dialog import EvidenceDialog, OverrideDialog

# Keyboard-first order inside the first tab: the ID number right after the name, since it fills
# 出生日期 and 性别.
FIRST_KEYS = ("name", "id_number", "id_type", "gender", "birth_date", "ethnicity")
NOT_EDITED = ("school_code", "class_code")       # derived from the school and the class combo
NEW_DEFAULTS = {"id_type": "1", "nationality": "CHN", "hmt_overseas": "00"}  # most students; visible, changeable
CLASS_HEADER = "班号"                            # findings about the class carry the 班号 header


def _section_title(section: str) -> str:
    for prefix in ("学生个人", "学生"):
        if section.startswith(prefix) and len(section) > len(prefix) + 1:
            return section[len(prefix):]
    return section


class StudentEditorDialog(QDialog):
    saved = Signal(int)
    photoChanged = Signal(int)  # a photo was stored for this student (the 照片 button)

    def __init__(self, session, student_id: int | None = None, class_id: int | None = None, parent=None, *,
                 read_only: bool = False):
        super().__init__(parent)
        self.session = session
        self.read_only = bool(read_only)
        self.student_id = student_id
        self.original: dict | None = None
        self.inputs: dict[str, FieldInput] = {}   # "name", "m1.name", …
        self.by_header: dict[str, FieldInput] = {}
        self.touched: set[str] = set()
        self.show_all_errors = False
        self.reason = ""
        self.evidence: list[str] = []
        self.overrides: dict = {}
        self.result_obj = None
        self._refusal: list = []  # findings of the last refused save, until their field is edited
        self.setWindowTitle(tr("editor.title_new") if student_id is None else tr("editor.title_edit"))
        self.setSizeGripEnabled(True)
        self._build(class_id)
        if student_id is not None:
            self._load(student_id)
        else:
            for k, v in NEW_DEFAULTS.items():
                self.inputs[k].set_value(v)
        self.resize(980, 700)
        self.inputs["name"].widget.setFocus()
        if self.read_only:
            self._make_read_only()

    # ------------------------------------------------------------------ building
    def _build(self, class_id) -> None:
        lay = QVBoxLayout(self)
        head = QHBoxLayout()
        self.class_combo = QComboBox()
        self.class_combo.setObjectName("field_class")
        self.class_combo.addItem(tr("editor.choose_class"), None)
        for k in list_classes(self.session):
            if k.get("status", "active") != "active" and k["id"] != class_id:
                continue
            label = tr("editor.class_item", stage=k["stage_name"], name=k["display_name"],
                       year=k.get("entry_year") or "", count=k.get("headcount") or 0)
            self.class_combo.addItem(label, k["id"])
        if class_id is not None:
            i = self.class_combo.findData(class_id)
            if i >= 0:
                self.class_combo.setCurrentIndex(i)
        self.class_combo.currentIndexChanged.connect(lambda _i: self._touch(CLASS_HEADER))
        class_label = QLabel(tr("field.label_required", header=tr("editor.class")))
        class_label.setBuddy(self.class_combo)
        head.addWidget(class_label)
        head.addWidget(self.class_combo, 1)
        self.class_error = QLabel()
        self.class_error.setStyleSheet(ERROR_STYLE)
        self.class_error.hide()
        self.status_label = QLabel()
        head.addWidget(self.status_label)
        lay.addLayout(head)
        lay.addWidget(self.class_error)

        self.findings_list = QListWidget()
        self.findings_list.setObjectName("findings_list")
        self.findings_list.setStyleSheet("QListWidget { color: #b71c1c; background: #fff5f5; }")
        self.findings_list.setWordWrap(True)
        self.findings_list.setMaximumHeight(110)
        self.findings_list.itemActivated.connect(self._go_to_finding)
        self.findings_list.itemClicked.connect(self._go_to_finding)
        self.findings_list.hide()
        lay.addWidget(self.findings_list)

        self.tabs = QTabWidget()
        self.tabs.setUsesScrollButtons(True)
        lay.addWidget(self.tabs, 1)
        by_section: dict[str, list] = {}
        for fd in F.student_fields():
            if fd.key not in NOT_EDITED:
                by_section.setdefault(fd.section, []).append(fd)
        for section in F.sections():
            fds = by_section.get(section, [])
            first = [fd for k in FIRST_KEYS for fd in fds if fd.key == k]
            fds = first + [fd for fd in fds if fd not in first]
            page = QWidget()
            lay_out_grid(page, [self._input(fd) for fd in fds], columns=2)
            self.tabs.addTab(scrolled(page), _section_title(section))
        self.tabs.addTab(self._members_page(), tr("editor.tab_members"))
        self.history_table = None
        if self.student_id is not None:
            self.history_table = HistoryTable()
            self.tabs.addTab(self.history_table, tr("editor.tab_history"))
            from ui.students.state_history import add_state_tab  # 学籍状态: status events (ui/students/state_history.py)

            self.state_history = add_state_tab(self)
            from ui.paper.folder_panel import add_folder_tab  # 档案袋: the paper folder (ui/paper/folder_panel.py)

            self.folder_panel = add_folder_tab(self)

        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton(tr("editor.save"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(tr("common.cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        for b in (self.save_button, self.cancel_button):
            b.setAutoDefault(False)  # Enter is handled by the fields themselves (see _input)
            b.setDefault(False)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        hint = QLabel(tr("editor.keys_hint"))
        hint.setStyleSheet("color: #757575;")
        self.keys_hint = hint
        self.photo_button = QPushButton(tr("editor.photo"))
        self.photo_button.setAutoDefault(False)
        self.photo_button.setEnabled(self.student_id is not None)   # a photo needs a saved student
        self.photo_button.setToolTip(tr("editor.photo_tip") if self.student_id is not None
                                     else tr("editor.photo_unsaved"))
        self.photo_button.clicked.connect(self.open_photo)
        self.recrop_button = QPushButton(tr("editor.recrop"))
        self.recrop_button.setAutoDefault(False)
        self.recrop_button.setEnabled(False)   # until a photo is found (_show_photo_thumb)
        self.recrop_button.setToolTip(tr("editor.recrop_none"))
        self.recrop_button.clicked.connect(self.open_recrop)
        bottom = QHBoxLayout()
        bottom.addWidget(self.photo_button)
        bottom.addWidget(self.recrop_button)
        bottom.addWidget(hint, 1)
        bottom.addWidget(buttons)
        lay.addLayout(bottom)
        for seq in ("Ctrl+Return", "Ctrl+Enter", "Ctrl+S"):
            QShortcut(QKeySequence(seq), self, activated=self.save)
        self._tab_titles = [self.tabs.tabText(i) for i in range(self.tabs.count())]
        self._set_tab_order()

        idn = self.inputs["id_number"]
        idn.widget.textEdited.connect(self._id_number_edited)

    def _input(self, fd, *, key: str | None = None, header: str | None = None) -> FieldInput:
        fi = FieldInput(fd, key=key, header=header, parent=self)
        self.inputs[fi.key] = fi
        self.by_header[fi.header] = fi
        fi.changed.connect(self._field_changed)
        fi.line_edit().returnPressed.connect(self._enter_pressed)
        return fi

    def _members_page(self) -> QWidget:
        page = QWidget()
        lay = QHBoxLayout(page)
        for n in range(1, F.member_count() + 1):
            box = QGroupBox(tr("editor.member", n=n))
            inputs = []
            for fd in F.member_fields():
                fi = self._input(fd, key=f"m{n}.{fd.key}", header=f"成员{n}{fd.header}")
                fi.label.setText(tr("field.label", header=fd.header))
                inputs.append(fi)
            lay_out_grid(box, inputs, columns=1)
            lay.addWidget(box)
        self.by_header["家庭成员"] = self.inputs["m1.name"]
        return scrolled(page)

    def _set_tab_order(self) -> None:
        chain = [self.class_combo] + [fi.widget for fi in self.inputs.values()] + [self.save_button, self.cancel_button]
        for a, b in zip(chain, chain[1:]):
            QWidget.setTabOrder(a, b)

    def _show_photo_thumb(self) -> None:
        try:
            from app.photos import service as photo_service
            data = photo_service.get_photo(self.session, self.student_id)
        except Exception:
            data = None
        from ui.photos.photo_widgets import thumbnail

        pix = thumbnail(data, 44)
        if not pix.isNull():
            self.photo_button.setIcon(pix)
            self.photo_button.setIconSize(pix.size())
        self.recrop_button.setEnabled(data is not None and not getattr(self, "read_only", False))
        self.recrop_button.setToolTip(tr("editor.recrop_tip") if data is not None else tr("editor.recrop_none"))

    def open_photo(self, *, frame_input=None):
        """The 照片 button: the capture dialog for this (saved) student."""
        if self.student_id is None or self.read_only:
            return None
        from ui.photos.photo_capture_dialog import PhotoCaptureDialog

        dlg = PhotoCaptureDialog(self.session, self.student_id, self, frame_input=frame_input)
        dlg.photoSaved.connect(self._photo_saved)
        dlg.finished.connect(dlg.deleteLater)
        dlg.open()
        return dlg

    def open_recrop(self):
        """The 重新裁剪 button: re-crop / rotate the current photo from its kept original."""
        if self.student_id is None or not self.recrop_button.isEnabled():
            return None
        from ui.photos.photo_recrop_dialog import PhotoRecropDialog

        dlg = PhotoRecropDialog(self.session, self.student_id, self)
        dlg.photoSaved.connect(self._photo_saved)
        dlg.finished.connect(dlg.deleteLater)
        dlg.open()
        return dlg

    def _photo_saved(self, sid: int) -> None:
        self._show_photo_thumb()
        self.photoChanged.emit(sid)

    def _make_read_only(self) -> None:
        make_read_only(self)

    # ------------------------------------------------------------------ loading
    def _load(self, student_id: int) -> None:
        s = ss.view_student(self.session, student_id, where="gui")  # an access-register line (audit log)
        self.original = s
        for fd in F.student_fields():
            if fd.key in self.inputs:
                self.inputs[fd.key].set_value(s.get(fd.key))
        for m in s.get("members", []):
            for fd in F.member_fields():
                key = f"m{m['seq']}.{fd.key}"
                if key in self.inputs:
                    self.inputs[key].set_value(m.get(fd.key))
        i = self.class_combo.findData(s.get("class_id"))
        if i >= 0:
            self.class_combo.setCurrentIndex(i)
        self.status_label.setText(tr("editor.status", status=s.get("status_name", "")))
        self.setWindowTitle(tr("editor.title_edit_named", name=s.get("name", "")))
        self._fill_history()
        self._update_division_hints()
        self._show_photo_thumb()

    def _fill_history(self) -> None:
        if self.history_table is not None and self.student_id is not None:
            self.history_table.fill(ss.history(self.session, self.student_id))

    # ------------------------------------------------------------------ collecting
    def class_id(self) -> int | None:
        return self.class_combo.currentData()

    def record(self) -> dict:
        return {k: fi.value() for k, fi in self.inputs.items() if "." not in k}

    def members(self) -> list[dict]:
        out = []
        for n in range(1, F.member_count() + 1):
            m = {fd.key: self.inputs[f"m{n}.{fd.key}"].value() for fd in F.member_fields()}
            if any(m.values()):
                out.append(dict(m, seq=n))
        return out

    def changes(self) -> dict:
        """What differs from the stored student (edit mode), as edit_student wants it."""
        s = self.original or {}
        out = {k: v for k, v in self.record().items() if v != (s.get(k) or "")}
        old_members = {int(m["seq"]): m for m in s.get("members", [])}
        for key, fi in self.inputs.items():
            if "." in key:
                n, fk = key[1:].split(".", 1)
                if fi.value() != (old_members.get(int(n), {}).get(fk) or ""):
                    out[key] = fi.value()
        if self.class_id() is not None and self.class_id() != s.get("class_id"):
            out["class_id"] = self.class_id()
        return out

    # ------------------------------------------------------------------ inline validation
    def _touch(self, header: str) -> None:
        self.touched.add(header)
        self._refusal = [f for f in self._refusal if f.field != header]
        self.validate()

    def _field_changed(self, key: str) -> None:
        self._touch(self.inputs[key].header)
        if self.inputs[key].fd.kind == "division12":
            self._update_division_hints()

    def validate(self):
        """Field-level checks of what is on screen; messages under the fields the user has been in."""
        _rec, _members, findings = validate_student(self.record(), self.members())
        self._show_findings(findings + self._refusal, list_them=False)
        return findings

    def _show_findings(self, findings, *, list_them: bool) -> None:
        per_field: dict[str, list[str]] = {}
        loose = []
        for f in findings:
            target = f.field if (f.field in self.by_header or f.field == CLASS_HEADER) else None
            if target is None:
                loose.append(f)
                continue
            cite = tr("editor.cite", rule=f.rule, article=f.article) if f.rule else ""
            per_field.setdefault(target, []).append(f.message + cite)
        for header, fi in self.by_header.items():
            if header == "家庭成员":
                continue
            shown = self.show_all_errors or list_them or header in self.touched
            fi.set_error("\n".join(per_field.get(header, [])) if shown else "")
        if "家庭成员" in per_field and (self.show_all_errors or list_them):
            self.inputs["m1.name"].set_error("\n".join(per_field["家庭成员"]))
        class_msgs = per_field.get(CLASS_HEADER, [])
        self.class_error.setText("\n".join(class_msgs))
        self.class_error.setVisible(bool(class_msgs) and (list_them or self.show_all_errors or CLASS_HEADER in self.touched))
        self._mark_tabs()
        if list_them:
            self.findings_list.clear()
            for f in findings:
                item = QListWidgetItem(f.text())
                item.setData(Qt.ItemDataRole.UserRole, f.field)
                self.findings_list.addItem(item)
            self.findings_list.setVisible(bool(findings))
            fm = self.findings_list.fontMetrics()
            width = max(200, self.width() - 60)
            height = sum(fm.boundingRect(QRect(0, 0, width, 10000), Qt.TextFlag.TextWordWrap, f.text()).height() + 4
                         for f in findings[:5])
            self.findings_list.setFixedHeight(min(max(height, fm.height()) + 10, 170))
        elif not findings:
            self.findings_list.hide()

    def _mark_tabs(self) -> None:
        """Tabs holding a field with a message say how many, in red."""
        counts = {i: 0 for i in range(self.tabs.count())}
        for fi in self.inputs.values():
            if fi.error.text():
                i = self._tab_of(fi)
                if i is not None:
                    counts[i] += 1
        bar = self.tabs.tabBar()
        for i, n in counts.items():
            title = self._tab_titles[i]
            self.tabs.setTabText(i, tr("editor.tab_with_errors", title=title, count=n) if n else title)
            bar.setTabTextColor(i, QColor("#c62828") if n else bar.palette().color(bar.foregroundRole()))

    def _tab_of(self, fi) -> int | None:
        page = fi.cell.parentWidget()
        while page is not None and self.tabs.indexOf(page) < 0:
            page = page.parentWidget()
        return self.tabs.indexOf(page) if page is not None else None

    def _go_to_finding(self, item: QListWidgetItem) -> None:
        header = item.data(Qt.ItemDataRole.UserRole)
        if header == CLASS_HEADER:
            self.class_combo.setFocus()
            return
        fi = self.by_header.get(header)
        if fi is None:
            return
        i = self._tab_of(fi)
        if i is not None:
            self.tabs.setCurrentIndex(i)
        fi.widget.setFocus()

    # ------------------------------------------------------------------ ID number → birth date, gender
    def _id_number_edited(self, text: str) -> None:
        fill_from_id_number(self.inputs, text)

    def _update_division_hints(self) -> None:
        show_division_hints(self.inputs)

    # ------------------------------------------------------------------ saving
    def _enter_pressed(self) -> None:
        popup = self.focusWidget()
        if isinstance(popup, QComboBox) and popup.view().isVisible():
            return
        self.save()

    def save(self) -> bool:
        """Validate, then create or edit through app.students.service; True when saved."""
        if self.read_only:
            return False
        self.show_all_errors = True
        self._refusal = []
        confirmed = False
        for _attempt in range(4):  # each retry adds what the previous refusal asked for
            try:
                if self.student_id is None:
                    kw = dict(class_id=self.class_id(), reason=self.reason, evidence=self.evidence,
                              overrides=self.overrides)
                    if not confirmed and not self._confirm_warnings(
                            ss.create_student(self.session, self.record(), self.members(), dry_run=True, **kw)):
                        return False
                    confirmed = True
                    result = ss.create_student(self.session, self.record(), self.members(), **kw)
                else:
                    changes = self.changes()
                    if not changes:
                        self.accept()
                        return True
                    kw = dict(reason=self.reason, evidence=self.evidence, overrides=self.overrides)
                    if not confirmed and not self._confirm_warnings(
                            ss.edit_student(self.session, self.student_id, changes, dry_run=True, **kw)):
                        return False
                    confirmed = True
                    result = ss.edit_student(self.session, self.student_id, changes, **kw)
            except Refused as e:
                if not self._resolve_refusal(e.findings):
                    return False
                continue  # retry with the reason / evidence / overrides just given
            break
        else:
            return False
        self.result_obj = result
        self.student_id = result.id
        self._show_findings([], list_them=True)
        self.saved.emit(result.id)
        self.accept()
        return True

    def _confirm_warnings(self, preview) -> bool:
        """Warnings (a possible duplicate, a full class …) are confirmed before anything is saved."""
        if not preview.warnings:
            return True
        return messages.confirm(self, tr("editor.confirm_warnings", text=messages.findings_text(preview.warnings)),
                                title=tr("editor.confirm_title"))

    def is_dirty(self) -> bool:
        if self.result_obj is not None or self.read_only:
            return False
        if self.original is not None:
            return bool(self.changes())
        blank = {k: v for k, v in self.record().items() if v and NEW_DEFAULTS.get(k) != v}
        return bool(blank or self.members())

    def reject(self) -> None:
        """Esc / 取消: ask before throwing typed data away."""
        if self.is_dirty() and not messages.confirm(self, tr("editor.discard")):
            return
        super().reject()

    def _resolve_refusal(self, findings) -> bool:
        """Show the refusal; ask for evidence or an override when that is all it needs. True: retry."""
        # kept beside live validation until their field is edited (validation recomputes its own)
        self._refusal = [f for f in findings if f.rule or f.field == CLASS_HEADER]
        self._show_findings(findings, list_them=True)
        hard = [f for f in findings if f.outcome not in (EVIDENCE, BLOCK_STAR)]
        if hard:
            self._go_to_finding(self.findings_list.item(0))
            return False
        evidence = [f for f in findings if f.outcome == EVIDENCE]
        if evidence:
            dlg = EvidenceDialog(evidence, self, reason=self.reason, evidence=self.evidence)
            if not dlg.exec():
                return False
            self.reason, self.evidence = dlg.reason(), dlg.evidence()
        blocked = [f for f in findings if f.outcome == BLOCK_STAR]
        if blocked:
            dlg = OverrideDialog(blocked, self)
            if not dlg.exec():
                return False
            self.overrides = dict(self.overrides, **dlg.overrides())
        return True
