"""到期事项: everything due or overdue (app.changes.deadlines.list_deadlines) — party responses within 10
working days, archive hand-over within a month, death cancellation, suspension expiry and the
extension window, registration deadlines, compulsory graduation by 30 July, rosters due — most
urgent first, overdue in red. Double-click (or Enter) opens the student; 标记已办结 closes an item.

At start-up (ui.changes.changes_menu) the list is read once the roster is on screen and the view shows
itself only when something is due or overdue.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QHBoxLayout, QHeaderView, QInputDialog, QLabel,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout)

from app.core.errors import Refused
from ui.common import messages
from ui.common.i18n import tr
from ui.common.values import field

COLUMNS = 6
SOON_DAYS = 3
STARTUP_HORIZON_DAYS = 7
OVERDUE_BG, OVERDUE_FG = "#ffebee", "#b71c1c"
SOON_BG, SOON_FG = "#fff8e1", "#8d4e00"




def urgency(item) -> tuple:
    """Sort key: overdue first (most overdue on top), then by days left, then by date."""
    days = field(item, "days_left")
    days = 0 if days is None else int(days)
    return (0 if field(item, "overdue") else 1, days, str(field(item, "due") or ""), str(field(item, "student_name") or ""))


def when_text(item) -> str:
    days = field(item, "days_left")
    if days is None:
        return ""
    days = int(days)
    if field(item, "overdue") or days < 0:
        return tr("deadlines_ui.overdue_days", days=abs(days))
    if days == 0:
        return tr("deadlines_ui.today")
    return tr("deadlines_ui.days_left", days=days)


def title_text(item) -> str:
    """A computed item carries its rule's message; a stored row its kind (and the party it waits for)."""
    title = field(item, "title") or ""
    kind = field(item, "kind") or ""
    if field(item, "computed"):
        return title or kind
    from ui.changes.change_widgets import deadline_kind_label

    label = deadline_kind_label(kind)
    if title and title not in (kind, label):
        return tr("change_ui.deadline_party", title=label, party=title)
    return label


def needs_attention(items, horizon_days: int = STARTUP_HORIZON_DAYS) -> bool:
    """Anything overdue or due within ``horizon_days``: what makes the view show itself at start-up."""
    for it in items:
        days = field(it, "days_left")
        if field(it, "overdue") or (days is not None and int(days) <= horizon_days):
            return True
    return False


def load(session, as_of=None) -> list:
    from app.changes.deadlines import list_deadlines

    items = list(list_deadlines(session, as_of=as_of) if as_of else list_deadlines(session))
    return sorted(items, key=urgency)


class DeadlinesView(QDialog):
    """``openStudent(student_id)`` on double-click; ``closed_item(deadline_id)`` after 标记已办结."""

    openStudent = Signal(int)
    openClass = Signal(int)
    itemClosed = Signal(int)

    def __init__(self, session, parent=None, *, items=None, as_of=None):
        super().__init__(parent)
        self.session = session
        self.as_of = as_of
        self.items: list = []
        self.all_items: list = []
        self.setWindowTitle(tr("deadlines_ui.title"))
        self.setSizeGripEnabled(True)
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.summary = QLabel()
        self.summary.setObjectName("deadlines_summary")
        self.summary.setWordWrap(True)
        top.addWidget(self.summary, 1)
        top.addWidget(QLabel(tr("deadlines_ui.show")))
        self.scope_combo = QComboBox()
        self.scope_combo.setObjectName("deadlines_scope")
        self.scope_combo.addItem(tr("deadlines_ui.scope_all"), None)
        self.scope_combo.addItem(tr("deadlines_ui.scope_week", days=STARTUP_HORIZON_DAYS), STARTUP_HORIZON_DAYS)
        self.scope_combo.addItem(tr("deadlines_ui.scope_overdue"), -1)
        self.scope_combo.currentIndexChanged.connect(lambda _i: self.set_items(self.all_items))
        top.addWidget(self.scope_combo)
        lay.addLayout(top)
        self.table = QTableWidget(0, COLUMNS)
        self.table.setObjectName("deadlines_table")
        self.table.setHorizontalHeaderLabels([tr("deadlines_ui.col_when"), tr("deadlines_ui.col_due"),
                                              tr("deadlines_ui.col_student"), tr("deadlines_ui.col_class"),
                                              tr("deadlines_ui.col_title"), tr("deadlines_ui.col_rule")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        hh = self.table.horizontalHeader()
        hh.setStretchLastSection(True)
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for c, w in enumerate((80, 100, 80, 120, 380)):
            self.table.setColumnWidth(c, w)
        self.table.cellDoubleClicked.connect(lambda r, _c: self.open_row(r))
        self.table.itemSelectionChanged.connect(self._selection_changed)
        lay.addWidget(self.table, 1)
        bottom = QHBoxLayout()
        hint = QLabel(tr("deadlines_ui.hint"))
        hint.setStyleSheet("color: #616161;")
        bottom.addWidget(hint, 1)
        self.open_button = QPushButton(tr("deadlines_ui.open"))
        self.open_button.clicked.connect(lambda: self.open_row(self.table.currentRow()))
        self.done_button = QPushButton(tr("deadlines_ui.done"))
        self.done_button.clicked.connect(lambda: self.close_row(self.table.currentRow()))
        self.refresh_button = QPushButton(tr("deadlines_ui.refresh"))
        self.refresh_button.clicked.connect(lambda: self.reload())
        close = QPushButton(tr("common.close"))
        close.clicked.connect(self.reject)
        for b in (self.open_button, self.done_button, self.refresh_button, close):
            b.setAutoDefault(False)
            bottom.addWidget(b)
        lay.addLayout(bottom)
        self.resize(1100, 480)
        if items is None:
            self.reload()
        else:
            self.set_items(items)

    def reload(self) -> None:
        self.set_items(load(self.session, self.as_of))

    def reload_if_shown(self, *_changed) -> None:
        """hub.students_changed / deadlines_changed: re-read while the view is on screen."""
        if self.isVisible():
            try:
                self.reload()
            except Exception:  # a view left open on a closed archive: keep what it shows
                pass

    def changeEvent(self, event) -> None:
        """Coming back to the view re-reads it (a change or an approval recorded meanwhile): a few ms."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.ActivationChange and self.isActiveWindow():
            try:
                self.reload()
            except Exception:  # a view left open on a closed archive: keep what it shows
                pass

    @staticmethod
    def _key(item) -> tuple:
        return (field(item, "deadline_id"), field(item, "kind"), field(item, "student_id"), field(item, "class_id"),
                str(field(item, "due")))

    def set_items(self, items) -> None:
        r = self.table.currentRow()
        keep = self._key(self.items[r]) if 0 <= r < len(self.items) else None
        self.all_items = list(items)
        horizon = self.scope_combo.currentData()
        if horizon is not None:
            items = [it for it in items if field(it, "overdue") or (
                horizon >= 0 and field(it, "days_left") is not None and int(field(it, "days_left")) <= horizon)]
        self.items = sorted(items, key=urgency)
        self.table.setRowCount(len(self.items))
        for r, it in enumerate(self.items):
            rule, article = field(it, "rule") or "", field(it, "article") or ""
            title = title_text(it)
            if field(it, "note"):
                title = tr("deadlines_ui.with_note", title=title, note=field(it, "note"))
            who = field(it, "student_name") or (tr("deadlines_ui.class_item") if field(it, "class_name")
                                               else tr("deadlines_ui.school_item"))
            vals = (when_text(it), str(field(it, "due") or ""), who, field(it, "class_name") or "", title,
                    tr("deadlines_ui.rule", rule=rule, article=article) if article else rule)
            days = field(it, "days_left")
            overdue = bool(field(it, "overdue")) or (days is not None and int(days) < 0)
            soon = not overdue and days is not None and int(days) <= SOON_DAYS
            for c, v in enumerate(vals):
                cell = QTableWidgetItem(str(v))
                cell.setToolTip(str(v))
                if overdue or soon:
                    cell.setBackground(QBrush(QColor(OVERDUE_BG if overdue else SOON_BG)))
                    cell.setForeground(QBrush(QColor(OVERDUE_FG if overdue else SOON_FG)))
                self.table.setItem(r, c, cell)
        n_over = sum(1 for it in self.all_items if field(it, "overdue"))
        self.summary.setText(tr("deadlines_ui.summary", count=len(self.all_items), overdue=n_over,
                                shown=len(self.items)) if self.all_items
                             else tr("deadlines_ui.none"))
        self.summary.setStyleSheet(f"color: {OVERDUE_FG}; font-weight: bold;" if n_over else "")
        if self.items:
            keys = [self._key(it) for it in self.items]
            self.table.selectRow(keys.index(keep) if keep in keys else 0)
        self._selection_changed()

    def _selection_changed(self) -> None:
        r = self.table.currentRow()
        ok = 0 <= r < len(self.items)
        self.open_button.setEnabled(ok and (field(self.items[r], "student_id") is not None
                                            or field(self.items[r], "class_id") is not None))
        self.done_button.setEnabled(ok)

    def open_row(self, r: int) -> None:
        if 0 <= r < len(self.items):
            sid, cid = field(self.items[r], "student_id"), field(self.items[r], "class_id")
            if sid is not None:
                self.openStudent.emit(int(sid))
            elif cid is not None:  # a class item (graduation by 30 July …): show the class
                self.openClass.emit(int(cid))

    def close_row(self, r: int, note: str | None = None) -> bool:
        if not (0 <= r < len(self.items)):
            return False
        item = self.items[r]
        did = field(item, "deadline_id")
        if note is None:
            note, ok = QInputDialog.getText(self, tr("deadlines_ui.done"), tr("deadlines_ui.done_note"))
            if not ok:
                return False
        from app.changes.deadlines import close_deadline

        try:
            if did is not None:
                close_deadline(self.session, did, note=note)
            else:  # computed from the rules: a done row is recorded for it
                close_deadline(self.session, note=note, item=item)
        except Refused as e:
            messages.error(self, messages.findings_text(e.findings))
            return False
        self.reload()
        self.itemClosed.emit(int(did or 0))
        hub = getattr(self.parent(), "hub", None)
        if hub is not None:
            hub.deadlines_changed.emit()
        return True


def show_deadlines(win, items=None, *, urgent_only: bool = False, on_closed_item=None) -> DeadlinesView:
    """The view as a window beside the main window (one: window.dialogs "deadlines"); double-click selects and
    opens the student. ``urgent_only`` (start-up): show what is overdue or due within a week; the combo shows the
    rest. ``on_closed_item(view)`` runs after a deadline was closed in it (the menu's count follows)."""
    def make():
        view = DeadlinesView(win.session, win, items=items)
        view.setModal(False)
        view.openStudent.connect(lambda sid: open_student(win, sid))
        view.openClass.connect(lambda cid: win.show_class(cid))
        if on_closed_item is not None:
            view.itemClosed.connect(lambda _d: on_closed_item(view))
        # a change, an approval or a restore elsewhere: the open view follows (a few ms)
        win.hub.students_changed.connect(view.reload_if_shown)
        win.hub.deadlines_changed.connect(view.reload_if_shown)
        if urgent_only:
            view.scope_combo.setCurrentIndex(view.scope_combo.findData(STARTUP_HORIZON_DAYS))
        return view

    def again(view):
        view.set_items(items) if items is not None else view.reload()

    return win.dialogs.open("deadlines", make, again=again)


def open_student(win, student_id: int):
    """Select the student in the roster (clearing filters that hide them) and open the editor on its
    学籍状态 tab."""
    win.reveal_student(student_id)
    dlg = win.open_editor(student_id)
    if dlg is None:  # outside the signed-in account's classes: the editor said why
        return None
    tab = getattr(dlg, "state_history", None)
    if tab is not None:  # the 学籍状态 tab: the change, its approvals and deadlines
        dlg.tabs.setCurrentWidget(tab)
    dlg.open()
    return dlg
