"""The roster: a Qt table model over student ids (Anki's browser model).

The model holds only the ordered list of student ids the current query returned, plus a small
LRU cache of display rows. Rows are fetched from app.students.service.rows in blocks, and only
when the view asks for them (i.e. when they are painted), so a new query on 30,000 students costs
one ``search_ids`` call and a model reset.

Attributes:
    _ids           ordered student ids of the current query
    _rows          LRU cache id -> tuple of display strings (one per column)
    _class_names   class id -> "一年级（1）班"
    _blocked       while a background job writes to the archive the model does not touch the
                   database: cached rows are shown, uncached ones are blank until unblocked
    search_index   optional ui.students.search_index.SearchIndex: once complete, queries are answered
                   from memory instead of one search_ids call per keystroke
"""
from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer

from app.students import codes
from app.students import status as st
from app.students import service as student_service
from app.school.classes import list_classes
from ui.common.i18n import tr

COLUMNS = ("class", "name", "gender", "birth_date", "id_number", "xueji_no", "ethnicity", "status")
HEADER_KEYS = {c: f"roster.col.{c}" for c in COLUMNS}
BLOCK = 64          # rows fetched per query when the view paints an uncached row
CACHE_ROWS = 2048   # rows kept in the LRU cache
ID_ROLE = Qt.ItemDataRole.UserRole + 1
PHOTO_COLUMN = "photo"  # the optional last column (RosterModel(photos=True)): ✓ and a lazy thumbnail
THUMB_CACHE = 512       # thumbnails kept
THUMB_BATCH = 48        # thumbnails loaded per idle pass
HAS_PHOTO_MARK = "\u2713"


def mask_id_number(number: str) -> str:
    """Keep the first 6 and last 4 characters (110105********002X); short numbers keep less."""
    n = (number or "").strip()
    if len(n) > 10:
        return n[:6] + "*" * (len(n) - 10) + n[-4:]
    if len(n) > 4:
        return n[:2] + "*" * (len(n) - 4) + n[-2:]
    return "*" * len(n)


def mask_xueji_no(number: str) -> str:
    """A 学籍号 is G + the ID number (or L + division + birth date …): keep the letter, the 6-digit
    area code and the last 4, as for the ID number column, so the list never shows a full ID."""
    n = (number or "").strip()
    if len(n) >= 15 and n[:1].isalpha():
        return n[:7] + "*" * (len(n) - 11) + n[-4:]
    return mask_id_number(n) if len(n) >= 15 else n


def _date(s: str) -> str:
    s = s or ""
    return f"{s[:4]}-{s[4:6]}-{s[6:8]}" if len(s) == 8 and s.isdigit() else s


class RosterModel(QAbstractTableModel):
    def __init__(self, session=None, parent=None, *, photos: bool = False):
        super().__init__(parent)
        self.session = session
        self.photos = photos
        self.columns = COLUMNS + ((PHOTO_COLUMN,) if photos else ())
        self.missing_photo = False            # the 缺照片 filter
        self._photo_ids: set[int] | None = None   # has_photo_ids(), read once and kept until refresh()
        self._thumbs: OrderedDict[int, object] = OrderedDict()
        self._thumb_queue: list[int] = []
        self.thumb_height = 22
        self._thumb_timer = QTimer(self)
        self._thumb_timer.setSingleShot(True)
        self._thumb_timer.setInterval(0)
        self._thumb_timer.timeout.connect(self._load_thumbs)
        self._ids: list[int] = []
        self._rows: OrderedDict[int, tuple[str, ...]] = OrderedDict()
        self._class_names: dict[int, str] = {}
        self._blocked = False
        self._headers = [tr(HEADER_KEYS[c]) for c in COLUMNS] + ([tr("roster.photo")] if photos else [])
        self.query_text = ""
        self.class_ids: list[int] | None = None
        self.statuses: list[str] | None = None
        self._result_cache: OrderedDict[tuple, list[int]] = OrderedDict()
        self.search_index = None
        if session is not None:
            self.reload_classes()

    # ------------------------------------------------------------------ queries
    def reload_classes(self, classes: list[dict] | None = None) -> None:
        if classes is None:
            classes = list_classes(self.session)
        self._class_names = {k["id"]: k["display_name"] for k in classes}

    def search(self, text: str | None = None, *, class_ids=..., statuses=..., missing_photo=...) -> None:
        """Run the query (unchanged parts keep their value) and reset the model to its ids."""
        if text is not None:
            self.query_text = text
        if missing_photo is not ...:
            self.missing_photo = bool(missing_photo)
        if class_ids is not ...:
            self.class_ids = list(class_ids) if class_ids is not None else None
        if statuses is not ...:
            self.statuses = list(statuses) if statuses else None
        ids = self._query()
        if self.missing_photo:
            have = self.photo_ids()
            ids = [i for i in ids if i not in have]
        self.set_ids(ids)

    def enable_index(self) -> None:
        """Start filling the in-memory search index (after the window is painted)."""
        if self.search_index is None and self.session is not None and self.session.conn is not None:
            from ui.students.search_index import SearchIndex

            self.search_index = SearchIndex(self.session, self)
            self.search_index.rebuild()

    def _query(self) -> list[int]:
        if self.search_index is not None and self.search_index.ready:
            return self.search_index.match(self.query_text, self.class_ids, self.statuses)
        if self._blocked:
            return self._ids  # a job is writing: no reads until it ends
        key = (self.query_text.strip(), tuple(sorted(self.class_ids)) if self.class_ids is not None else None,
               tuple(self.statuses or ()))
        hit = self._result_cache.get(key)
        if hit is not None:
            self._result_cache.move_to_end(key)
            return hit
        if self.class_ids is None:
            ids = student_service.search_ids(self.session, key[0], statuses=self.statuses)
        else:
            # one indexed query per class, in class-id order: the roster order of search_ids
            ids = []
            for cid in key[1]:
                ids += student_service.search_ids(self.session, key[0], class_id=cid, statuses=self.statuses)
        self._result_cache[key] = ids
        while len(self._result_cache) > 32:
            self._result_cache.popitem(last=False)
        return ids

    def set_ids(self, ids: list[int]) -> None:
        self.beginResetModel()
        self._ids = list(ids)
        self.endResetModel()

    def refresh(self, changed_ids=None) -> None:
        """After a write: forget cached results and rows (all, or just ``changed_ids``), re-query."""
        self._result_cache.clear()
        self._photo_ids = None
        if changed_ids is None:
            self._rows.clear()
            self._thumbs.clear()
        else:
            for i in changed_ids:
                self._rows.pop(i, None)
                self._thumbs.pop(i, None)
        if self.search_index is not None:
            if changed_ids is None:
                self.search_index.rebuild()
            else:
                self.search_index.update(changed_ids)
        self.reload_classes()
        self.search()

    def set_blocked(self, blocked: bool) -> None:
        self._blocked = blocked
        if self.search_index is not None:
            self.search_index.pause() if blocked else self.search_index.resume()
        if not blocked and self._ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, len(self.columns) - 1))

    # ------------------------------------------------------------------ photos
    def photo_ids(self) -> set[int]:
        """Ids of the students with a photo: one has_photo_ids() call, kept until refresh()."""
        if self._photo_ids is None:
            if self._blocked or self.session is None:
                return set()
            from app.photos import service as photo_service

            self._photo_ids = set(photo_service.has_photo_ids(self.session))
        return self._photo_ids

    def _thumbnail(self, sid: int):
        pix = self._thumbs.get(sid)
        if pix is not None:
            self._thumbs.move_to_end(sid)
            return pix
        if not self._blocked and sid not in self._thumb_queue:
            self._thumb_queue.append(sid)
            self._thumb_timer.start()
        return None

    def _load_thumbs(self) -> None:
        """Idle pass: thumbnails for the rows the view asked for (painted rows), a batch at a time."""
        if self._blocked or self.session is None:
            self._thumb_queue.clear()
            return
        from app.photos import service as photo_service
        from ui.photos.photo_widgets import thumbnail

        batch, self._thumb_queue = self._thumb_queue[-THUMB_BATCH:], []  # the latest asked: what is on screen
        for sid in batch:
            try:
                data = photo_service.get_photo(self.session, sid)
            except Exception:
                data = None
            self._thumbs[sid] = thumbnail(data, self.thumb_height)
        while len(self._thumbs) > THUMB_CACHE:
            self._thumbs.popitem(last=False)
        if batch and self._ids:
            col = len(self.columns) - 1
            self.dataChanged.emit(self.index(0, col), self.index(len(self._ids) - 1, col),
                                  [Qt.ItemDataRole.DecorationRole])

    # ------------------------------------------------------------------ access
    def ids(self) -> list[int]:
        return list(self._ids)

    def student_id(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, student_id: int) -> int:
        try:
            return self._ids.index(student_id)
        except ValueError:
            return -1

    def display_row(self, row: int) -> tuple[str, ...] | None:
        sid = self.student_id(row)
        if sid is None:
            return None
        cached = self._rows.get(sid)
        if cached is not None:
            self._rows.move_to_end(sid)
            return cached
        if self._blocked or self.session is None:
            return None
        self._fetch_around(row)
        return self._rows.get(sid)

    def _fetch_around(self, row: int) -> None:
        start = row - row % BLOCK
        want = [i for i in self._ids[start:start + BLOCK] if i not in self._rows]
        fetched = student_service.rows(self.session, want)
        for sid in want:
            r = fetched.get(sid)
            if r is not None:
                self._rows[sid] = self._display(r)
        while len(self._rows) > CACHE_ROWS:
            self._rows.popitem(last=False)

    def _display(self, r: dict) -> tuple[str, ...]:
        return (
            self._class_names.get(r.get("class_id"), ""),
            r.get("name") or "",
            codes.name_of("gender", r.get("gender") or ""),
            _date(r.get("birth_date") or ""),
            mask_id_number(r.get("id_number") or ""),
            mask_xueji_no(r.get("xueji_no") or ""),
            codes.name_of("ethnicity", r.get("ethnicity") or ""),
            st.name(r.get("status") or ""),
        )

    # ------------------------------------------------------------------ Qt model API
    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._ids) or index.column() >= len(self.columns):
            return None
        if index.column() == len(COLUMNS):  # the photo column
            return self._photo_data(self._ids[index.row()], role)
        if role == Qt.ItemDataRole.DisplayRole:
            row = self.display_row(index.row())
            return row[index.column()] if row else ""
        if role == ID_ROLE:
            return self._ids[index.row()]
        return None

    def _photo_data(self, sid: int, role):
        if role == ID_ROLE:
            return sid
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ToolTipRole):
            return None
        has = sid in self.photo_ids()
        if role == Qt.ItemDataRole.DisplayRole:
            return HAS_PHOTO_MARK if has else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            return tr("roster.has_photo") if has else tr("roster.no_photo")
        if not has:
            return None
        pix = self._thumbnail(sid)
        return pix if pix is not None and not pix.isNull() else None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._headers[section] if 0 <= section < len(self.columns) else None
        return str(section + 1)

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
