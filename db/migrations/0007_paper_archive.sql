-- 0007: the paper archive (档案袋). Every student's paper folder, where it is, what is in it, which pages
-- have an electronic copy, and who borrowed it (查阅登记, 长治 第四十四条). Forward-only; history never deleted.

-- One folder per student. `location` is the CURRENT path (JSON array of strings, any depth the school uses,
-- e.g. ["柜 A","层 2","盒 5","位 12"]); every move is a row in folder_moves (append-only).
CREATE TABLE paper_folders (
    student_id   INTEGER PRIMARY KEY REFERENCES students(id),
    location     TEXT NOT NULL DEFAULT '[]',     -- JSON array, outermost first; '[]' = no location yet
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL DEFAULT '',
    updated_at   TEXT NOT NULL
);
CREATE TRIGGER paper_folders_no_delete BEFORE DELETE ON paper_folders
BEGIN SELECT RAISE(ABORT, 'paper folders are never deleted: hand them over instead'); END;

CREATE TABLE folder_moves (
    id            INTEGER PRIMARY KEY,
    student_id    INTEGER NOT NULL REFERENCES students(id),
    from_location TEXT NOT NULL DEFAULT '[]',    -- JSON array
    to_location   TEXT NOT NULL,                 -- JSON array
    moved_at      TEXT NOT NULL,
    moved_by      TEXT NOT NULL DEFAULT '',
    reason        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX folder_moves_student ON folder_moves(student_id, id);
CREATE TRIGGER folder_moves_no_update BEFORE UPDATE ON folder_moves
BEGIN SELECT RAISE(ABORT, 'folder moves are append-only'); END;
CREATE TRIGGER folder_moves_no_delete BEFORE DELETE ON folder_moves
BEGIN SELECT RAISE(ABORT, 'folder moves are append-only'); END;

-- The state of one checklist item of one student. Items themselves come from data
-- (resources/checklists/<profile>.toml) plus the status events' event_evidence rows, so a row here exists
-- only once someone checked the item. item_key: "<toml key>" or "<toml key>@<year>" for per-year items,
-- or "evidence:<event_evidence.id>" for a status change's evidence.
CREATE TABLE checklist_marks (
    student_id  INTEGER NOT NULL REFERENCES students(id),
    item_key    TEXT NOT NULL,
    paper       TEXT NOT NULL CHECK (paper IN ('present','missing','lent','handed_over','unknown')),
    note        TEXT NOT NULL DEFAULT '',
    checked_at  TEXT NOT NULL,
    checked_by  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (student_id, item_key)
);
CREATE TRIGGER checklist_marks_no_delete BEFORE DELETE ON checklist_marks
BEGIN SELECT RAISE(ABORT, 'checklist marks are never deleted: mark the item again'); END;
-- Every mark (including the first) is also kept here, append-only: who said what, when.
CREATE TABLE checklist_mark_log (
    id          INTEGER PRIMARY KEY,
    student_id  INTEGER NOT NULL REFERENCES students(id),
    item_key    TEXT NOT NULL,
    paper       TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    checked_at  TEXT NOT NULL,
    checked_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX checklist_mark_log_student ON checklist_mark_log(student_id, item_key, id);
CREATE TRIGGER checklist_mark_log_no_update BEFORE UPDATE ON checklist_mark_log
BEGIN SELECT RAISE(ABORT, 'checklist log is append-only'); END;
CREATE TRIGGER checklist_mark_log_no_delete BEFORE DELETE ON checklist_mark_log
BEGIN SELECT RAISE(ABORT, 'checklist log is append-only'); END;

-- Scanned copies. The bytes live once in files/ab/<sha256>.<ext>; a row links one file to one item of one
-- student (the same file may be linked to several items). A scan is withdrawn (withdrawn_at), never deleted.
CREATE TABLE scans (
    id            INTEGER PRIMARY KEY,
    student_id    INTEGER NOT NULL REFERENCES students(id),
    item_key      TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    ext           TEXT NOT NULL,                 -- pdf | jpg | png
    bytes         INTEGER NOT NULL,
    pages         INTEGER NOT NULL DEFAULT 1,
    mime          TEXT NOT NULL,
    original_name TEXT NOT NULL DEFAULT '',
    attached_at   TEXT NOT NULL,
    attached_by   TEXT NOT NULL DEFAULT '',
    withdrawn_at  TEXT,
    withdrawn_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX scans_student ON scans(student_id, item_key);
CREATE INDEX scans_sha ON scans(sha256);
CREATE UNIQUE INDEX scans_once ON scans(student_id, item_key, sha256) WHERE withdrawn_at IS NULL;
CREATE TRIGGER scans_no_delete BEFORE DELETE ON scans
BEGIN SELECT RAISE(ABORT, 'scans are withdrawn, never deleted'); END;

-- 查阅登记: who took the folder (item_key '') or one item, why, approved by whom, due back; returned_at
-- closes it. Only the return columns are ever updated.
CREATE TABLE folder_loans (
    id           INTEGER PRIMARY KEY,
    student_id   INTEGER NOT NULL REFERENCES students(id),
    item_key     TEXT NOT NULL DEFAULT '',       -- '' = the whole folder
    borrower     TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    approved_by  TEXT NOT NULL,
    lent_on      TEXT NOT NULL,                  -- ISO date
    due_on       TEXT NOT NULL,                  -- ISO date
    lent_by      TEXT NOT NULL DEFAULT '',
    recorded_at  TEXT NOT NULL,
    returned_on  TEXT,                           -- ISO date; NULL while out
    returned_to  TEXT NOT NULL DEFAULT '',
    return_note  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX folder_loans_open ON folder_loans(due_on) WHERE returned_on IS NULL;
CREATE INDEX folder_loans_student ON folder_loans(student_id, id);
CREATE TRIGGER folder_loans_no_delete BEFORE DELETE ON folder_loans
BEGIN SELECT RAISE(ABORT, 'the borrow register is never deleted'); END;
CREATE TRIGGER folder_loans_only_return BEFORE UPDATE ON folder_loans
WHEN OLD.returned_on IS NOT NULL OR NEW.student_id IS NOT OLD.student_id OR NEW.item_key IS NOT OLD.item_key
  OR NEW.borrower IS NOT OLD.borrower OR NEW.purpose IS NOT OLD.purpose OR NEW.approved_by IS NOT OLD.approved_by
  OR NEW.lent_on IS NOT OLD.lent_on OR NEW.due_on IS NOT OLD.due_on OR NEW.recorded_at IS NOT OLD.recorded_at
BEGIN SELECT RAISE(ABORT, 'a loan is only ever closed by its return'); END;

-- The folder handed over (转出 to the receiving school, 辽宁 第十六条 sealed and carried by the guardian, or on a
-- school merge/closure): to whom, when, who carried it, the receipt's scan. Append-only; the school keeps copies.
CREATE TABLE folder_handovers (
    id              INTEGER PRIMARY KEY,
    student_id      INTEGER NOT NULL REFERENCES students(id),
    event_id        INTEGER REFERENCES status_events(id),   -- the transfer-out / graduation it belongs to
    handed_on       TEXT NOT NULL,                          -- ISO date
    handed_to       TEXT NOT NULL,                          -- receiving school or unit
    carried_by      TEXT NOT NULL DEFAULT '',               -- guardian who carried the sealed folder, if so
    receipt_sha256  TEXT,                                   -- files/ store key of the signed receipt
    note            TEXT NOT NULL DEFAULT '',
    recorded_at     TEXT NOT NULL,
    recorded_by     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX folder_handovers_student ON folder_handovers(student_id, id);
CREATE TRIGGER folder_handovers_no_update BEFORE UPDATE ON folder_handovers
BEGIN SELECT RAISE(ABORT, 'hand-overs are append-only'); END;
CREATE TRIGGER folder_handovers_no_delete BEFORE DELETE ON folder_handovers
BEGIN SELECT RAISE(ABORT, 'hand-overs are append-only'); END;
