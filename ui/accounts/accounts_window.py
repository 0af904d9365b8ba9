"""账户管理 (registrar only): the archive's accounts with role, classes, state and last sign-in; adding,
editing (role, name, a head teacher's classes), disabling / enabling, unlocking, resetting a password —
and 安全设置, the lock-out / idle-lock / password-length policy.

Each button is one app.accounts.service call; app/ checks the permission and the rules (the last registrar stays,
passwords long enough …) and every refusal is shown with its own message. Nothing here reads the archive
except through app.accounts.service and app.school.classes.
"""
from __future__ import annotations

import datetime as _dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QPushButton, QSpinBox, QTableWidget, QTableWidgetItem,
                               QVBoxLayout)

from app.accounts import service as accounts
from app.school.classes import list_classes
from app.core.errors import NotFound, Refused
from app.core.permissions import ROLES, role_name
from ui.common import messages
from ui.accounts.account_dialogs import ResetPasswordDialog, FormDialog, password_edit, refusal_text
from ui.common.i18n import tr

COLUMNS = ("username", "display_name", "role", "classes", "state", "last_signin")


def _when(iso: str | None) -> str:
    return (iso or "").replace("T", " ")[:16]


def state_text(a: dict, now: _dt.datetime | None = None) -> str:
    now = now or _dt.datetime.now()
    if not a["active"]:
        return tr("accountsui.state.disabled")
    if a.get("locked_until") and _dt.datetime.fromisoformat(a["locked_until"]) > now:
        return tr("accountsui.state.locked", until=_when(a["locked_until"]))
    if a.get("must_change"):
        return tr("accountsui.state.must_change")
    return tr("accountsui.state.active")


class AccountsWindow(QDialog):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.accounts: list[dict] = []
        self.setWindowTitle(tr("accountsui.title"))
        self.resize(900, 480)
        self._class_names = {k["id"]: k["display_name"] for k in list_classes(session)}
        lay = QVBoxLayout(self)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("accounts_table")
        self.table.setHorizontalHeaderLabels([tr("accountsui.col.username"), tr("accountsui.col.display_name"),
                                              tr("accountsui.col.role"), tr("accountsui.col.classes"),
                                              tr("accountsui.col.state"), tr("accountsui.col.last_signin")])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _i: self.edit())
        lay.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.add_button = QPushButton(tr("accountsui.add"))
        self.edit_button = QPushButton(tr("accountsui.edit"))
        self.active_button = QPushButton(tr("accountsui.disable"))
        self.unlock_button = QPushButton(tr("accountsui.unlock"))
        self.reset_button = QPushButton(tr("accountsui.reset"))
        close = QPushButton(tr("common.close"))
        self.add_button.clicked.connect(self.add)
        self.edit_button.clicked.connect(self.edit)
        self.active_button.clicked.connect(self.toggle_active)
        self.unlock_button.clicked.connect(self.unlock)
        self.reset_button.clicked.connect(self.reset)
        close.clicked.connect(self.close)
        for b in (self.add_button, self.edit_button, self.active_button, self.unlock_button, self.reset_button):
            b.setAutoDefault(False)
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(close)
        lay.addLayout(row)
        self.reload()

    # ------------------------------------------------------------------ the list
    def reload(self, select: str | None = None) -> None:
        select = select or (self.current() or {}).get("username")
        try:
            self.accounts = accounts.list_accounts(self.session)
        except Refused as e:
            self.accounts = []
            messages.error(self, refusal_text(e))
        t = self.table
        t.setRowCount(len(self.accounts))
        for r, a in enumerate(self.accounts):
            classes = tr("common.list_sep").join(self._class_names.get(i, str(i)) for i in a.get("class_ids") or [])
            values = (a["username"], a["display_name"], a["role_name"], classes, state_text(a),
                      _when(a["last_signin_at"]))
            for c, v in enumerate(values):
                item = QTableWidgetItem(v)
                if c == 4 and not a["active"]:
                    item.setForeground(Qt.GlobalColor.gray)
                t.setItem(r, c, item)
            if a["username"] == select:
                t.selectRow(r)
        self._selection_changed()

    def current(self) -> dict | None:
        r = self.table.currentRow()
        return self.accounts[r] if 0 <= r < len(self.accounts) and self.table.selectedItems() else None

    def select(self, username: str) -> bool:
        for r, a in enumerate(self.accounts):
            if a["username"] == username:
                self.table.selectRow(r)
                return True
        return False

    def _selection_changed(self) -> None:
        a = self.current()
        for b in (self.edit_button, self.active_button, self.unlock_button, self.reset_button):
            b.setEnabled(a is not None)
        if a is not None:
            self.active_button.setText(tr("accountsui.disable") if a["active"] else tr("accountsui.enable"))
            self.unlock_button.setEnabled(bool(a.get("locked_until")))

    # ------------------------------------------------------------------ actions
    def _call(self, fn, *args, **kw):
        try:
            return fn(self.session, *args, **kw)
        except (Refused, NotFound) as e:
            messages.error(self, refusal_text(e), title=tr("accountsui.refused"))
            return None

    def add(self) -> dict | None:
        dlg = AccountEditDialog(self.session, self)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return None
        self.reload(dlg.account["username"])
        if dlg.code:
            from ui.accounts.account_dialogs import RecoveryCodeDialog

            RecoveryCodeDialog(dlg.code, self, username=dlg.account["username"]).exec()
        return dlg.account

    def edit(self) -> dict | None:
        a = self.current()
        if a is None:
            return None
        dlg = AccountEditDialog(self.session, self, account=a)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return None
        self.reload(a["username"])
        return dlg.account

    def toggle_active(self):
        a = self.current()
        if a is None:
            return None
        if a["active"] and not messages.confirm(self, tr("accountsui.confirm_disable", user=a["username"])):
            return None
        res = self._call(accounts.set_active, a["username"], not a["active"])
        self.reload(a["username"])
        return res

    def unlock(self):
        a = self.current()
        if a is None:
            return None
        res = self._call(accounts.unlock_account, a["username"])
        self.reload(a["username"])
        return res

    def reset(self) -> bool:
        a = self.current()
        if a is None:
            return False
        dlg = ResetPasswordDialog(self.session, a["username"], self)
        ok = dlg.exec() == QDialog.DialogCode.Accepted
        if ok:
            self.reload(a["username"])
            messages.info(self, tr("accountsui.reset_done", user=a["username"]))
        return ok


class AccountEditDialog(FormDialog):
    """A new account (``account`` None: user name, initial password twice) or an existing one's role,
    name and classes. ``account`` (and ``code``: a new registrar's recovery code) after OK."""

    def __init__(self, session, parent=None, *, account: dict | None = None):
        new = account is None
        super().__init__(tr("accountsui.add_title") if new else tr("accountsui.edit_title", user=account["username"]),
                         parent, intro=tr("accountsui.add_intro") if new else "")
        self.session = session
        self.account = account
        self.code = None
        self.new = new
        self.username = QLineEdit(account["username"] if account else "")
        self.username.setObjectName("username")
        self.username.setReadOnly(not new)
        self.display_name = QLineEdit(account["display_name"] if account else "")
        self.display_name.setObjectName("display_name")
        self.role = QComboBox()
        self.role.setObjectName("role")
        for r in ROLES:
            self.role.addItem(role_name(r), r)
        if account:
            self.role.setCurrentIndex(max(0, self.role.findData(account["role"])))
        else:
            self.role.setCurrentIndex(self.role.findData("head_teacher"))
        self.classes = QListWidget()
        self.classes.setObjectName("classes")
        self.classes.setMinimumHeight(140)
        chosen = set((account or {}).get("class_ids") or [])
        for k in list_classes(session):
            if k.get("status", "active") != "active" and k["id"] not in chosen:
                continue
            item = QListWidgetItem(tr("accountsui.class_item", stage=k["stage_name"], name=k["display_name"]))
            item.setData(Qt.ItemDataRole.UserRole, k["id"])
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if k["id"] in chosen else Qt.CheckState.Unchecked)
            self.classes.addItem(item)
        self.form.addRow(tr("accountui.username"), self.username)
        self.form.addRow(tr("accountui.display_name"), self.display_name)
        self.form.addRow(tr("accountsui.role"), self.role)
        self.classes_label = QLabel(tr("accountsui.classes"))
        self.form.addRow(self.classes_label, self.classes)
        self.password = password_edit()
        self.password.setObjectName("password")
        self.password2 = password_edit()
        self.password2.setObjectName("password2")
        if new:
            self.form.addRow(tr("accountsui.initial_password"), self.password)
            self.form.addRow(tr("accountui.password2"), self.password2)
            self.form.addRow("", QLabel(tr("accountui.min_length",
                                           n=accounts.policy(session)["min_password_length"])))
        self.role.currentIndexChanged.connect(self._role_changed)
        self._role_changed()
        (self.username if new else self.display_name).setFocus()

    def _role_changed(self) -> None:
        # only a head teacher's reading is limited to classes; other roles read the whole school
        teacher = self.role.currentData() == "head_teacher"
        self.classes.setEnabled(teacher)
        self.classes_label.setEnabled(teacher)

    def class_ids(self) -> list[int]:
        if self.role.currentData() != "head_teacher":
            return []
        out = []
        for i in range(self.classes.count()):
            item = self.classes.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(int(item.data(Qt.ItemDataRole.UserRole)))
        return out

    def set_classes(self, class_ids) -> None:
        want = set(class_ids)
        for i in range(self.classes.count()):
            item = self.classes.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in want
                               else Qt.CheckState.Unchecked)

    def submit(self) -> bool:
        role = self.role.currentData()
        if role == "head_teacher" and not self.class_ids():
            self.show_error(tr("accountsui.need_class"))
            return False
        try:
            if self.new:
                if not self._pair_matches(self.password, self.password2):
                    return False
                self.account, self.code = accounts.add_account(
                    self.session, self.username.text(), self.password.text(), role,
                    display_name=self.display_name.text(), class_ids=self.class_ids())
            else:
                self.account = accounts.edit_account(self.session, self.account["username"], role=role,
                                                     display_name=self.display_name.text(),
                                                     class_ids=self.class_ids())
        except (Refused, NotFound) as e:
            self.show_error(refusal_text(e))
            return False
        return True


class PolicyDialog(FormDialog):
    """安全设置: lock-out attempts and minutes, idle-lock minutes, minimum password length."""

    RANGES = {"lockout_attempts": (3, 20), "lockout_minutes": (1, 1440), "idle_lock_minutes": (1, 240),
              "min_password_length": (6, 64)}

    def __init__(self, session, parent=None):
        super().__init__(tr("securityui.policy_title"), parent, intro=tr("securityui.policy_intro"))
        self.session = session
        pol = accounts.policy(session)
        self.spins: dict[str, QSpinBox] = {}
        for key in accounts.POLICY_KEYS:
            lo, hi = self.RANGES[key]
            sb = QSpinBox()
            sb.setObjectName(key)
            # wider than the policy allows, so that app/ says what is wrong rather than the box clamping
            sb.setRange(0, max(hi * 10, 9999))
            sb.setValue(int(pol[key]))
            sb.setToolTip(tr("securityui.policy_range", lo=lo, hi=hi))
            self.spins[key] = sb
            self.form.addRow(accounts.POLICY_NAMES[key], sb)

    def submit(self) -> bool:
        try:
            accounts.set_policy(self.session, **{k: sb.value() for k, sb in self.spins.items()})
        except Refused as e:
            self.show_error(refusal_text(e))
            return False
        return True
