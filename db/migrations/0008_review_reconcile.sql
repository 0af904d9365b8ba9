-- 0008: reconciliation with the national roster, school-archive snapshots (学校学籍档案), the guardian's
-- signature on the printed 学生基本信息表, and semester reviews (国家 第二十四条). Forward-only.
-- Everything here is history: rows are added, never edited or deleted (a review's end is the one update).

-- One reconciliation: a roster exported from the national system compared with Xueji.
CREATE TABLE reconcile_runs (
    id             INTEGER PRIMARY KEY,
    file_name      TEXT NOT NULL,
    file_sha256    TEXT NOT NULL,
    run_at         TEXT NOT NULL,
    run_by         TEXT NOT NULL DEFAULT '',
    national_rows  INTEGER NOT NULL,
    matched        INTEGER NOT NULL,
    history_mark   INTEGER NOT NULL DEFAULT 0,  -- max(change_history.id) when the run was made
    events_mark    INTEGER NOT NULL DEFAULT 0   -- max(status_events.id) when the run was made
);

-- One difference found by a run.
CREATE TABLE reconcile_lines (
    id             INTEGER PRIMARY KEY,
    run_id         INTEGER NOT NULL REFERENCES reconcile_runs(id),
    kind           TEXT NOT NULL CHECK (kind IN ('only_xueji','only_national','field')),
    student_id     INTEGER REFERENCES students(id),
    national_row   INTEGER,                     -- the row number in the national file
    field          TEXT NOT NULL DEFAULT '',    -- field key (name, id_number, birth_date, gender, class_code, status, xueji_no)
    xueji_value    TEXT NOT NULL DEFAULT '',
    national_value TEXT NOT NULL DEFAULT '',
    matched_by     TEXT NOT NULL DEFAULT '',    -- xueji_no | id_number | name_birth
    name           TEXT NOT NULL DEFAULT '',
    suggestion     TEXT NOT NULL DEFAULT ''     -- suggested action code (resources/reconcile.json)
);
CREATE INDEX reconcile_lines_run ON reconcile_lines(run_id);

-- What the registrar did about a line (the latest row counts; earlier ones stay).
CREATE TABLE reconcile_resolutions (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER NOT NULL REFERENCES reconcile_runs(id),
    line_id      INTEGER NOT NULL REFERENCES reconcile_lines(id),
    action       TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    resolved_at  TEXT NOT NULL,
    resolved_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX reconcile_resolutions_line ON reconcile_resolutions(line_id, id);

-- Exports of the changes since a reconciliation, in the national template.
CREATE TABLE reconcile_exports (
    id           INTEGER PRIMARY KEY,
    since_run_id INTEGER REFERENCES reconcile_runs(id),
    exported_at  TEXT NOT NULL,
    exported_by  TEXT NOT NULL DEFAULT '',
    path         TEXT NOT NULL,
    students     INTEGER NOT NULL
);

-- The school's own archive: frozen PDFs, content-addressed in files/ (SHA-256). Re-filing adds a version.
CREATE TABLE school_snapshots (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,                 -- new-student-roster, class-roster, change-register, graduate-roster, completion-stub, education-stub
    school_year  INTEGER NOT NULL,              -- the school year starting 1 August of this year
    version      INTEGER NOT NULL,
    file_sha256  TEXT NOT NULL,
    size         INTEGER NOT NULL,
    pages        INTEGER NOT NULL,
    filed_at     TEXT NOT NULL,
    filed_by     TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    UNIQUE (kind, school_year, version)
);

-- The guardian's signature on a printed 学生基本信息表.
CREATE TABLE form_signatures (
    id           INTEGER PRIMARY KEY,
    student_id   INTEGER NOT NULL REFERENCES students(id),
    signed_on    TEXT NOT NULL,                 -- ISO date on the form
    signed_by    TEXT NOT NULL DEFAULT '',      -- the guardian
    recorded_at  TEXT NOT NULL,
    recorded_by  TEXT NOT NULL DEFAULT '',
    history_mark INTEGER NOT NULL DEFAULT 0     -- max(change_history.id) of the student when recorded
);
CREATE INDEX form_signatures_student ON form_signatures(student_id, id);

-- A semester review of a class or the whole school.
CREATE TABLE review_sessions (
    id           INTEGER PRIMARY KEY,
    class_id     INTEGER REFERENCES classes(id), -- NULL = the whole school
    term         TEXT NOT NULL,                 -- e.g. 2026-1 (上学期) / 2026-2 (下学期)
    started_at   TEXT NOT NULL,
    started_by   TEXT NOT NULL DEFAULT '',
    finished_at  TEXT,
    finished_by  TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT ''
);

-- Each step done for a student in a review: folder seen (scan or tick), checklist confirmed, key data confirmed.
CREATE TABLE review_marks (
    id           INTEGER PRIMARY KEY,
    review_id    INTEGER NOT NULL REFERENCES review_sessions(id),
    student_id   INTEGER NOT NULL REFERENCES students(id),
    step         TEXT NOT NULL CHECK (step IN ('folder','checklist','key_data')),
    how          TEXT NOT NULL DEFAULT 'tick' CHECK (how IN ('tick','scan')),
    marked_at    TEXT NOT NULL,
    marked_by    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX review_marks_review ON review_marks(review_id, student_id);

-- Findings of a review, and their fixes (a fix is its own row pointing at the finding).
CREATE TABLE review_findings (
    id           INTEGER PRIMARY KEY,
    review_id    INTEGER NOT NULL REFERENCES review_sessions(id),
    student_id   INTEGER REFERENCES students(id),
    what         TEXT NOT NULL,
    fixes        INTEGER REFERENCES review_findings(id),  -- set on a fix row
    recorded_at  TEXT NOT NULL,
    recorded_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX review_findings_review ON review_findings(review_id);

CREATE TRIGGER reconcile_runs_no_update BEFORE UPDATE ON reconcile_runs BEGIN SELECT RAISE(ABORT, 'reconciliation runs are history'); END;
CREATE TRIGGER reconcile_runs_no_delete BEFORE DELETE ON reconcile_runs BEGIN SELECT RAISE(ABORT, 'reconciliation runs are history'); END;
CREATE TRIGGER reconcile_lines_no_update BEFORE UPDATE ON reconcile_lines BEGIN SELECT RAISE(ABORT, 'reconciliation lines are history'); END;
CREATE TRIGGER reconcile_lines_no_delete BEFORE DELETE ON reconcile_lines BEGIN SELECT RAISE(ABORT, 'reconciliation lines are history'); END;
CREATE TRIGGER reconcile_resolutions_no_update BEFORE UPDATE ON reconcile_resolutions BEGIN SELECT RAISE(ABORT, 'resolutions are append-only'); END;
CREATE TRIGGER reconcile_resolutions_no_delete BEFORE DELETE ON reconcile_resolutions BEGIN SELECT RAISE(ABORT, 'resolutions are append-only'); END;
CREATE TRIGGER reconcile_exports_no_update BEFORE UPDATE ON reconcile_exports BEGIN SELECT RAISE(ABORT, 'exports are history'); END;
CREATE TRIGGER reconcile_exports_no_delete BEFORE DELETE ON reconcile_exports BEGIN SELECT RAISE(ABORT, 'exports are history'); END;
CREATE TRIGGER school_snapshots_no_update BEFORE UPDATE ON school_snapshots BEGIN SELECT RAISE(ABORT, 'a filed snapshot is never edited: file a new version'); END;
CREATE TRIGGER school_snapshots_no_delete BEFORE DELETE ON school_snapshots BEGIN SELECT RAISE(ABORT, 'the school archive is kept permanently'); END;
CREATE TRIGGER form_signatures_no_update BEFORE UPDATE ON form_signatures BEGIN SELECT RAISE(ABORT, 'signatures are append-only'); END;
CREATE TRIGGER form_signatures_no_delete BEFORE DELETE ON form_signatures BEGIN SELECT RAISE(ABORT, 'signatures are append-only'); END;
CREATE TRIGGER review_sessions_no_delete BEFORE DELETE ON review_sessions BEGIN SELECT RAISE(ABORT, 'reviews are history'); END;
CREATE TRIGGER review_sessions_finish_once BEFORE UPDATE ON review_sessions
WHEN OLD.finished_at IS NOT NULL OR NEW.id <> OLD.id OR NEW.class_id IS NOT OLD.class_id OR NEW.term <> OLD.term
     OR NEW.started_at <> OLD.started_at OR NEW.started_by <> OLD.started_by
BEGIN SELECT RAISE(ABORT, 'a review is only ever finished, once'); END;
CREATE TRIGGER review_marks_no_update BEFORE UPDATE ON review_marks BEGIN SELECT RAISE(ABORT, 'review marks are append-only'); END;
CREATE TRIGGER review_marks_no_delete BEFORE DELETE ON review_marks BEGIN SELECT RAISE(ABORT, 'review marks are append-only'); END;
CREATE TRIGGER review_findings_no_update BEFORE UPDATE ON review_findings BEGIN SELECT RAISE(ABORT, 'review findings are append-only'); END;
CREATE TRIGGER review_findings_no_delete BEFORE DELETE ON review_findings BEGIN SELECT RAISE(ABORT, 'review findings are append-only'); END;
