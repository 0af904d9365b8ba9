"""The main window: the school tree (stage → grade → class) on the left, the roster on the right,
search-as-you-type above it, and the menus that open the dialogs and background jobs.

Everything reaches the archive through app/ services; writes happen in dialogs or in jobs
(ui.common.workers), after which the roster and tree are refreshed.
"""
from __future__ import annotations


from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMainWindow, QSplitter, QTableView, QToolBar, QTreeView,
                               QVBoxLayout, QWidget)

from app.students import status as st
from app.school.classes import list_classes
from ui.common import archive_jobs, messages
from ui.common.dialogs import DialogManager
from ui.common.hub import Hub
from ui.school.class_tree_model import NODE_ROLE, build_class_tree
from ui.common.i18n import tr
from ui.common.workers import guard_session
from ui.students.roster_model import RosterModel

COLUMN_WIDTHS = (130, 130, 50, 100, 170, 180, 90, 90, 60)


class RosterView(QTableView):
    """The roster table; says once when it has first been painted (start-up timing)."""

    firstPainted = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._painted = False

    def paintEvent(self, event):
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self, self.firstPainted.emit)  # after the paint; dropped if the view dies


class MainWindow(QMainWindow):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        guard_session(session)                # its archive closes only after the background jobs are drained
        self.jobs = []                        # background jobs (ui.common.workers) that hold up closing
        self.dialogs = DialogManager(self)    # the tool windows, one of each (ui/common/dialogs.py)
        self.hub = Hub(self)                  # what changed, for whoever shows it (ui/common/hub.py)
        self.hub.students_changed.connect(self._students_changed)
        self.hub.classes_changed.connect(lambda: self.reload_tree())
        self.hub.archive_changed.connect(self._archive_changed)
        self.model = RosterModel(session, self, photos=True)
        self._build_widgets()
        self._build_actions()
        # after the account menu's own handler (ui/accounts/security_menu.py): permissions first, then the roster
        self.hub.accounts_changed.connect(self._account_changed)
        self.reload_tree()
        self.model.search("")
        self.update_title()
        self.resize(1280, 800)
        self.search_box.setFocus()
        from ui.accounts import lock_screen, security_menu

        security_menu.apply_permissions(self)  # what the signed-in role may do (ui/accounts/security_menu.py)
        lock_screen.ScreenLock.of(self).install()  # the idle screen lock, when someone is signed in

    # ------------------------------------------------------------------ widgets
    def _build_widgets(self) -> None:
        self.tree = QTreeView()
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree_model = build_class_tree([], "")
        self.tree.setModel(self.tree_model)
        self.tree.selectionModel().currentChanged.connect(self._tree_changed)

        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText(tr("main.search_placeholder"))
        self.search_box.setClearButtonEnabled(True)
        self.search_box.textChanged.connect(self._search_changed)
        self.search_box.returnPressed.connect(self._focus_roster)
        self.status_combo = QComboBox()
        self.status_combo.addItem(tr("main.status_all"), None)
        self.status_combo.addItem(tr("main.status_in_class"), list(st.in_class_codes()))
        for code in st.all_codes():
            self.status_combo.addItem(st.name(code), [code])
        self.status_combo.currentIndexChanged.connect(self._status_changed)
        self.missing_photo_box = QCheckBox(tr("main.missing_photo"))
        self.missing_photo_box.toggled.connect(self._missing_photo_changed)

        self.table = RosterView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)
        self.table.setSortingEnabled(False)
        vh = self.table.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # never measure 30,000 rows
        vh.setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.model.thumb_height = self.fontMetrics().height() + 6
        vh.setDefaultAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        hh.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for col, w in enumerate(COLUMN_WIDTHS):
            self.table.setColumnWidth(col, w)
        self.table.doubleClicked.connect(lambda idx: self.edit_student())
        self.model.modelReset.connect(self._update_counts)
        self.empty_label = QLabel(tr("main.no_match"), self.table.viewport())
        self.empty_label.setStyleSheet("color: #757575; padding: 24px;")
        self.empty_label.hide()
        # once the roster is on screen, fill the in-memory search index in the background
        self._index_timer = QTimer(self)
        self._index_timer.setSingleShot(True)
        self._index_timer.setInterval(200)
        self._index_timer.timeout.connect(self.model.enable_index)
        self.table.firstPainted.connect(self._index_timer.start)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        self.search_label = QLabel(tr("main.search_label"))
        self.search_label.setBuddy(self.search_box)
        top.addWidget(self.search_label)
        top.addWidget(self.search_box, 1)
        top.addWidget(QLabel(tr("main.status_label")))
        top.addWidget(self.status_combo)
        top.addWidget(self.missing_photo_box)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addLayout(top)
        rl.addWidget(self.table, 1)

        splitter = QSplitter()
        splitter.addWidget(self.tree)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([250, 1030])
        central = QWidget()
        cl = QVBoxLayout(central)
        cl.setContentsMargins(6, 6, 6, 0)
        cl.addWidget(splitter)
        self.setCentralWidget(central)

        self.count_label = QLabel()
        self.statusBar().addPermanentWidget(self.count_label)
        self.setTabOrder(self.search_box, self.status_combo)
        self.setTabOrder(self.status_combo, self.missing_photo_box)
        self.setTabOrder(self.missing_photo_box, self.table)
        self.setTabOrder(self.table, self.tree)

    def _action(self, text: str, slot, shortcut=None, *, status_tip: str | None = None) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            shortcuts = shortcut if isinstance(shortcut, list) else [shortcut]
            a.setShortcuts([QKeySequence(s) for s in shortcuts])
        if status_tip:
            a.setStatusTip(status_tip)
        a.triggered.connect(lambda checked=False: slot())
        return a

    def _build_actions(self) -> None:
        self.act_new = self._action(tr("action.new_student"), self.new_student, QKeySequence.StandardKey.New)
        self.act_edit = self._action(tr("action.edit_student"), self.edit_student)
        self.act_import = self._action(tr("action.import"), self.import_template)
        self.act_export = self._action(tr("action.export"), self.export_template)
        self.act_class = self._action(tr("action.new_class"), self.new_class)
        self.act_school = self._action(tr("action.school_info"), self.school_info)
        self.act_demo = self._action(tr("action.demo"), self.generate_demo)
        self.act_photo_intake = self._action(tr("action.photo_intake"), self.photo_intake)
        self.act_photo_import = self._action(tr("action.photo_import"), self.import_photos)
        self.act_photo_export = self._action(tr("action.photo_export"), self.export_photos)
        self.act_quit = self._action(tr("action.quit"), self.close, QKeySequence.StandardKey.Quit)
        self.act_find = self._action(tr("action.find"), self.focus_search, QKeySequence.StandardKey.Find)
        # the permission each action needs (ui/accounts/security_menu.py greys out what the signed-in role lacks)
        for act, permission in ((self.act_new, "write"), (self.act_edit, "read"), (self.act_import, "write"),
                                (self.act_export, "export_national"), (self.act_class, "write"),
                                (self.act_school, "settings"), (self.act_demo, "write"),
                                (self.act_photo_intake, "write"), (self.act_photo_import, "write"),
                                (self.act_photo_export, "export_national"), (self.act_quit, "none"),
                                (self.act_find, "read")):
            act.setProperty("xueji_permission", permission)
        # Enter opens the selected student, but only while the roster has the focus.
        self.act_edit.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        self.act_edit.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.table.addAction(self.act_edit)
        self.addAction(self.act_find)

        mb = self.menuBar()
        m = mb.addMenu(tr("menu.student"))
        m.addActions([self.act_new, self.act_edit])
        m.addSeparator()
        m.addAction(self.act_find)
        m.addSeparator()
        m.addAction(self.act_photo_intake)
        m.addSeparator()
        m.addAction(self.act_quit)
        m = mb.addMenu(tr("menu.data"))
        m.addActions([self.act_import, self.act_export])
        m.addSeparator()
        m.addActions([self.act_photo_import, self.act_photo_export])
        m.addSeparator()
        m.addAction(self.act_demo)
        m = mb.addMenu(tr("menu.school"))
        m.addActions([self.act_class, self.act_school])

        tb = QToolBar(tr("toolbar.main"))
        tb.setObjectName("main_toolbar")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        tb.addActions([self.act_new, self.act_edit])
        tb.addSeparator()
        tb.addActions([self.act_import, self.act_export])
        tb.addSeparator()
        tb.addActions([self.act_class, self.act_school])
        self.addToolBar(tb)
        self.main_toolbar = tb
        # Menus of the printing and status-change work live in their own modules.
        from ui.backup import backup_menu
        from ui.changes import changes_menu
        from ui.paper import paper_menu
        from ui.printing import print_menu

        print_menu.install(self)
        changes_menu.install(self)
        backup_menu.install(self)
        paper_menu.install(self)
        from ui.accounts import security_menu

        security_menu.install(self)  # 账户: passwords, accounts, lock, sign-out, audit log

        esc = QShortcut(QKeySequence(Qt.Key.Key_Escape), self.search_box)
        esc.setContext(Qt.ShortcutContext.WidgetShortcut)
        esc.activated.connect(self.clear_search)

    # ------------------------------------------------------------------ tree, search, counts
    def reload_tree(self, classes: list[dict] | None = None) -> None:
        node = self.current_node()
        if classes is None:
            classes = list_classes(self.session)
        self._classes = classes
        active = [k for k in classes if k.get("status", "active") == "active"]
        self._totals = (sum(int(k.get("headcount") or 0) for k in active), len(active))
        self.model.reload_classes(classes)
        school = self.session.school or {}
        self.tree.selectionModel().blockSignals(True)
        build_class_tree(classes, school.get("name", ""), self.tree_model, include_closed=True)
        if len(classes) <= 40:
            self.tree.expandAll()
        else:
            self.tree.expandToDepth(1)
        self.tree.selectionModel().blockSignals(False)
        self._select_node(node)
        self._update_counts()

    def _select_node(self, node) -> None:
        target = self.tree_model.index(0, 0)
        if node is not None:
            found = self._find_node(self.tree_model.index(0, 0), node[:2])
            if found is not None:
                target = found
        sm = self.tree.selectionModel()
        sm.blockSignals(True)
        sm.setCurrentIndex(target, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        sm.blockSignals(False)
        self.tree.scrollTo(target)

    def _find_node(self, index: QModelIndex, key) -> QModelIndex | None:
        if not index.isValid():
            return None
        data = index.data(NODE_ROLE)
        if data and tuple(data[:2]) == tuple(key):
            return index
        for r in range(self.tree_model.rowCount(index)):
            hit = self._find_node(self.tree_model.index(r, 0, index), key)
            if hit is not None:
                return hit
        return None

    def current_node(self):
        if not hasattr(self, "tree"):
            return None
        idx = self.tree.currentIndex()
        return idx.data(NODE_ROLE) if idx.isValid() else None

    def class_name(self, class_id: int) -> str | None:
        """The display name of a class in the tree (None: not there)."""
        return next((k["display_name"] for k in self._classes if k["id"] == class_id), None)

    def current_class_id(self) -> int | None:
        node = self.current_node()
        return node[1] if node and node[0] == "class" else None

    def _tree_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        node = current.data(NODE_ROLE) if current.isValid() else None
        class_ids = None if not node or node[0] == "school" else node[2]
        self.model.search(class_ids=class_ids)

    def _search_changed(self, text: str) -> None:
        self.model.search(text)

    def _status_changed(self, i: int) -> None:
        self.model.search(statuses=self.status_combo.itemData(i))

    def _missing_photo_changed(self, on: bool) -> None:
        self.model.search(missing_photo=on)

    def _update_counts(self) -> None:
        in_class, n_classes = getattr(self, "_totals", (0, 0))
        self.count_label.setText(tr("main.counts", shown=self.model.rowCount(), in_class=in_class,
                                    classes=n_classes))
        if hasattr(self, "act_edit"):
            self.act_edit.setEnabled(self.model.rowCount() > 0)
        if hasattr(self, "empty_label"):
            empty = self.model.rowCount() == 0
            self.empty_label.setText(tr("main.no_match") if self.model.query_text.strip() else tr("main.no_students"))
            self.empty_label.adjustSize()
            self.empty_label.setVisible(empty)

    def update_title(self) -> None:
        from app.core.permissions import role_name

        school = self.session.school or {}
        acc = self.session.account
        if acc and not acc.get("signed_out"):
            self.setWindowTitle(tr("main.title_user", school=school.get("name", ""),
                                   name=acc.get("display_name") or acc["username"], role=role_name(acc["role"])))
        else:
            self.setWindowTitle(tr("main.title", school=school.get("name", "")))
        self.statusBar().showMessage(tr("main.archive_at", folder=str(self.session.folder)), 8000)

    def focus_search(self) -> None:
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def clear_search(self) -> None:
        self.search_box.clear()

    def _focus_roster(self) -> None:
        if self.model.rowCount():
            self.table.setFocus()
            if not self.table.currentIndex().isValid():
                self.table.selectRow(0)

    def selected_student_id(self) -> int | None:
        idx = self.table.currentIndex()
        return self.model.student_id(idx.row()) if idx.isValid() else None

    def busy(self) -> bool:
        """A background job (import, export, backup …) has not delivered yet."""
        return any(not j.delivered for j in self.jobs)

    def after_write(self, student_ids=None) -> None:
        """Say that students were written (``student_ids``, or None: any): hub.students_changed."""
        self.hub.students_changed.emit(student_ids)

    def _students_changed(self, student_ids=None) -> None:
        """Re-read what a write may have changed: class headcounts, the roster rows."""
        self.reload_tree()
        self.model.refresh(student_ids)
        self._update_counts()

    def archive_replaced(self) -> None:
        """Say that the whole archive may differ (a restore, demo data): hub.archive_changed."""
        self.hub.archive_changed.emit()

    def _archive_changed(self) -> None:
        """Everything is re-read: the school (its name, profile), the class tree, every roster row."""
        self.session.reload()
        self.update_title()
        self.hub.students_changed.emit(None)
        self.hub.deadlines_changed.emit()

    def _account_changed(self) -> None:
        """A (new) account is signed in: its classes, its name in the title, the roster following the tree."""
        self.update_title()
        self.model.refresh(None)
        self.reload_tree()
        self._tree_changed(self.tree.currentIndex(), QModelIndex())

    def show_class(self, class_id: int) -> None:
        """Select the class in the tree and show its roster."""
        self._select_node(("class", class_id))
        self._tree_changed(self.tree.currentIndex(), QModelIndex())

    def reveal_student(self, student_id: int) -> bool:
        """Select the student in the roster, clearing the search and the status filter when they hide them."""
        if self.select_student(student_id):
            return True
        self.status_combo.setCurrentIndex(0)
        self.search_box.clear()
        return self.select_student(student_id)

    def select_student(self, student_id: int) -> bool:
        row = self.model.row_of(student_id)
        if row < 0:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    # ------------------------------------------------------------------ students
    def open_editor(self, student_id: int | None = None):
        """The student editor (read-only for a role without "write"); None when the record is not the
        account's to read (the refusal is shown)."""
        from app.core.errors import Forbidden
        from ui.students.student_editor_dialog import StudentEditorDialog

        try:
            dlg = StudentEditorDialog(self.session, student_id=student_id, class_id=self.current_class_id(),
                                      parent=self, read_only=not self.session.can("write"))
        except Forbidden as e:
            messages.error(self, messages.findings_text(e.findings))
            return None
        dlg.saved.connect(lambda sid, d=dlg: self._student_saved(sid, d))
        dlg.photoChanged.connect(lambda sid: self.after_write([sid]))
        dlg.finished.connect(dlg.deleteLater)
        return dlg

    def new_student(self) -> None:
        dlg = self.open_editor()
        if dlg is not None:
            dlg.open()

    def edit_student(self) -> None:
        sid = self.selected_student_id()
        if sid is None:
            if self.model.rowCount() == 1:
                sid = self.model.student_id(0)
            else:
                return
        dlg = self.open_editor(sid)
        if dlg is not None:
            dlg.open()

    def _student_saved(self, student_id: int, dlg=None) -> None:
        self.after_write([student_id])
        notes = len(getattr(getattr(dlg, "result_obj", None), "notes", None) or [])
        msg = tr("main.saved_with_notes", count=notes) if notes else tr("main.saved")
        if not self.select_student(student_id):
            msg += tr("main.saved_not_shown")
        self.statusBar().showMessage(msg, 10000)

    # ------------------------------------------------------------------ school and classes
    def new_class(self) -> None:
        from ui.school.class_dialog import ClassDialog

        node = self.current_node()
        dlg = ClassDialog(self.session, self, node=node)
        if dlg.exec():
            self.hub.classes_changed.emit()
            self.show_class(dlg.class_id)

    def school_info(self) -> None:
        from ui.school.school_dialog import SchoolDialog

        if SchoolDialog(self.session, self).exec():
            self.update_title()
            self.hub.classes_changed.emit()

    # ------------------------------------------------------------------ background jobs (ui/common/archive_jobs.py)
    def import_template(self) -> None:
        archive_jobs.import_template(self)

    def export_template(self) -> None:
        archive_jobs.export_template(self)

    def generate_demo(self) -> None:
        archive_jobs.generate_demo(self)

    # ------------------------------------------------------------------ photos (ui/photos/photo_intake.py)
    def photo_intake(self, *, frame_input=None):
        from ui.photos import photo_intake

        dlg = photo_intake.open_intake(self, self.current_class_id(), frame_input=frame_input)
        if dlg is not None:
            dlg.finished.connect(lambda _r, d=dlg: (self.after_write(d.saved_ids or []), d.deleteLater()))
            dlg.open()
        return dlg

    def import_photos(self) -> None:
        from ui.photos import photo_intake

        photo_intake.import_photos(self)

    def export_photos(self) -> None:
        from ui.photos import photo_intake

        photo_intake.export_photos(self)

    def closeEvent(self, event) -> None:
        if self.busy():
            if not messages.confirm(self, tr("main.job_running_quit")):
                event.ignore()
                return
            for j in self.jobs:
                j.cancel()
        self._index_timer.stop()
        from ui.accounts.lock_screen import ScreenLock

        ScreenLock.of(self).stop()  # a closed window does not lock
        if self.model.search_index is not None:
            self.model.search_index.stop()
        super().closeEvent(event)
