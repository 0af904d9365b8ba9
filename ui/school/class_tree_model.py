"""The school tree beside the roster: 全校 → stage → grade → class, each with its headcount.

Built from app.school.classes.list_classes (one query); each item carries what it selects as
(kind, key, class ids) in NODE_ROLE, so the main window can filter the roster by it.
"""
from __future__ import annotations

from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtCore import Qt

from app.school.service import STAGE_NAMES
from ui.common.i18n import tr

NODE_ROLE = Qt.ItemDataRole.UserRole + 1
STAGE_ORDER = ("primary", "junior", "senior")


def _item(text: str, node: tuple) -> QStandardItem:
    it = QStandardItem(text)
    it.setEditable(False)
    it.setData(node, NODE_ROLE)
    return it


def build_class_tree(classes: list[dict], school_name: str = "", model: QStandardItemModel | None = None,
                     include_closed: bool = False) -> QStandardItemModel:
    """Fill ``model`` (or a new one). Closed classes (graduated) go under their own node."""
    model = model or QStandardItemModel()
    model.clear()
    active = [k for k in classes if k.get("status", "active") == "active"]
    closed = [k for k in classes if k.get("status", "active") != "active"]
    total = sum(int(k.get("headcount") or 0) for k in active)
    root = _item(tr("tree.school", name=school_name or tr("tree.school_default"), count=total),
                 ("school", None, None))
    model.appendRow(root)
    by_stage: dict[str, dict[int, list[dict]]] = {}
    for k in active:
        by_stage.setdefault(k["stage"], {}).setdefault(int(k["grade"]), []).append(k)
    for stage in sorted(by_stage, key=lambda s: STAGE_ORDER.index(s) if s in STAGE_ORDER else 99):
        grades = by_stage[stage]
        stage_ids = [k["id"] for g in sorted(grades) for k in grades[g]]
        stage_count = sum(int(k.get("headcount") or 0) for g in grades.values() for k in g)
        st_item = _item(tr("tree.node", name=STAGE_NAMES.get(stage, stage), count=stage_count),
                        ("stage", stage, stage_ids))
        root.appendRow(st_item)
        for grade in sorted(grades):
            ks = sorted(grades[grade], key=lambda k: (int(k["number"]), int(k.get("entry_year") or 0)))
            g_count = sum(int(k.get("headcount") or 0) for k in ks)
            g_item = _item(tr("tree.node", name=ks[0].get("grade_name") or str(grade), count=g_count),
                           ("grade", (stage, grade), [k["id"] for k in ks]))
            st_item.appendRow(g_item)
            for k in ks:
                text = tr("tree.class", name=k["display_name"], count=int(k.get("headcount") or 0))
                c_item = _item(text, ("class", k["id"], [k["id"]]))
                tip = [tr("tree.tip.entry_year", year=k.get("entry_year") or "")]
                if k.get("code"):
                    tip.append(tr("tree.tip.code", code=k["code"]))
                if k.get("head_teacher"):
                    tip.append(tr("tree.tip.head_teacher", name=k["head_teacher"]))
                if k.get("capacity"):
                    tip.append(tr("tree.tip.capacity", capacity=k["capacity"]))
                c_item.setToolTip("\n".join(tip))
                g_item.appendRow(c_item)
    if include_closed and closed:
        cl = _item(tr("tree.closed", count=len(closed)), ("closed", None, [k["id"] for k in closed]))
        root.appendRow(cl)
        for k in closed:
            cl.appendRow(_item(tr("tree.closed_class", name=k["display_name"], year=k.get("entry_year") or ""),
                               ("class", k["id"], [k["id"]])))
    return model
