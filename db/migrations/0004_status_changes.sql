-- Status changes (学籍异动, rules-digest §4): every change of a student's state is an event with an
-- effective date; a student's state on any date is the to_state of the last event effective on or
-- before it (students.status is the current state, kept equal in the same transaction).
CREATE TABLE status_events (
    id             INTEGER PRIMARY KEY,
    student_id     INTEGER NOT NULL REFERENCES students(id),
    kind           TEXT NOT NULL,               -- transfer-out, suspend, promote, graduate … (CLI KIND names)
    transition     TEXT NOT NULL DEFAULT '',    -- T01..T41 of rules-digest §4.2
    from_state     TEXT NOT NULL,               -- statuses.json codes
    to_state       TEXT NOT NULL,
    effective_date TEXT NOT NULL,               -- ISO date the change takes effect
    recorded_at    TEXT NOT NULL,
    recorded_by    TEXT NOT NULL DEFAULT '',
    reason         TEXT NOT NULL DEFAULT '',
    from_class_id  INTEGER REFERENCES classes(id),
    to_class_id    INTEGER REFERENCES classes(id),
    from_grade     INTEGER,
    to_grade       INTEGER,
    details        TEXT NOT NULL DEFAULT '{}',  -- JSON: to_school, from_school, until, level, weeks …
    batch          TEXT NOT NULL DEFAULT '',    -- one id for a whole promotion / graduation
    cancels_event  INTEGER REFERENCES status_events(id)  -- a revocation or correction points at what it undoes
);
CREATE INDEX status_events_student ON status_events(student_id, effective_date, id);
CREATE INDEX status_events_kind ON status_events(kind, effective_date);
CREATE TRIGGER status_events_no_update BEFORE UPDATE ON status_events
BEGIN SELECT RAISE(ABORT, 'status events are append-only: record a correcting event'); END;
CREATE TRIGGER status_events_no_delete BEFORE DELETE ON status_events
BEGIN SELECT RAISE(ABORT, 'status events are append-only: record a correcting event'); END;

-- The evidence each change required (rules' EVIDENCE lists): attached as a file or noted as in the paper folder.
CREATE TABLE event_evidence (
    id          INTEGER PRIMARY KEY,
    event_id    INTEGER NOT NULL REFERENCES status_events(id),
    name        TEXT NOT NULL,                  -- the document as the rule names it
    how         TEXT NOT NULL CHECK (how IN ('attached','in_folder','missing')),
    file_sha256 TEXT,                           -- files/ store key when attached
    note        TEXT NOT NULL DEFAULT '',
    noted_at    TEXT NOT NULL,
    noted_by    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX event_evidence_event ON event_evidence(event_id);

-- Each party's decision on a change: who, when, document number.
CREATE TABLE event_approvals (
    id          INTEGER PRIMARY KEY,
    event_id    INTEGER NOT NULL REFERENCES status_events(id),
    party       TEXT NOT NULL,                  -- 转出学校, 转入学校, 县级教育行政部门 …
    decision    TEXT NOT NULL CHECK (decision IN ('pending','approved','refused')),
    decided_by  TEXT NOT NULL DEFAULT '',
    decided_on  TEXT,                           -- ISO date
    doc_number  TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX event_approvals_event ON event_approvals(event_id);

-- Everything with a due date: written by the service that creates the obligation, closed when fulfilled.
CREATE TABLE deadlines (
    id          INTEGER PRIMARY KEY,
    student_id  INTEGER REFERENCES students(id),   -- NULL for school-level items (rosters due …)
    event_id    INTEGER REFERENCES status_events(id),
    kind        TEXT NOT NULL,                  -- party_response, archive_handover, death_cancel, suspension_expiry, extension_window …
    due_date    TEXT NOT NULL,                  -- ISO date
    rule        TEXT NOT NULL DEFAULT '',
    article     TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    done_at     TEXT,
    done_by     TEXT NOT NULL DEFAULT '',
    done_note   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX deadlines_open ON deadlines(due_date) WHERE done_at IS NULL;
CREATE INDEX deadlines_student ON deadlines(student_id);
CREATE TRIGGER deadlines_no_delete BEFORE DELETE ON deadlines
BEGIN SELECT RAISE(ABORT, 'deadlines are closed, never deleted'); END;

-- Discipline (处分, Shanxi levels) and its revocation: a flag on the student, not a state.
CREATE TABLE sanctions (
    id           INTEGER PRIMARY KEY,
    student_id   INTEGER NOT NULL REFERENCES students(id),
    level        TEXT NOT NULL,                 -- 警告, 严重警告, 记过, 留校察看 … (profile data)
    decided_on   TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    event_id     INTEGER REFERENCES status_events(id),
    revoked_on   TEXT,
    revoke_event INTEGER REFERENCES status_events(id)
);
CREATE INDEX sanctions_student ON sanctions(student_id);
CREATE TRIGGER sanctions_no_delete BEFORE DELETE ON sanctions
BEGIN SELECT RAISE(ABORT, 'sanctions are revoked, never deleted'); END;

-- Every existing student gets its starting state as an event, so "state on a date" has a beginning.
INSERT INTO status_events (student_id, kind, transition, from_state, to_state, effective_date, recorded_at,
                           recorded_by, reason, from_class_id, to_class_id, batch)
SELECT id, 'baseline', '', status, status, COALESCE(NULLIF(substr(created_at, 1, 10), ''), date('now')),
       datetime('now'), 'migration', '', class_id, class_id, 'migration-0004'
FROM students;
