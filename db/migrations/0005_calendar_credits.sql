-- 0005: the working-day calendar the registrar keeps (the State Council's yearly holiday notice) and
-- high-school graduation records (credits, proficiency exams, evaluation, PE, labour practice).

-- One row per date the registrar entered: it wins over the built-in holiday library for that date.
-- A correction is a new row for the same date (the latest row wins); rows are never edited or deleted.
CREATE TABLE calendar_days (
    id          INTEGER PRIMARY KEY,
    day         TEXT NOT NULL,                     -- ISO date
    kind        TEXT NOT NULL CHECK (kind IN ('holiday','workday')),
    name        TEXT NOT NULL DEFAULT '',          -- 国庆节, 春节调休上班 …
    source      TEXT NOT NULL DEFAULT '',          -- manual | file name of the imported notice
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX calendar_days_day ON calendar_days(day, id);
CREATE TRIGGER calendar_days_no_update BEFORE UPDATE ON calendar_days
BEGIN SELECT RAISE(ABORT, 'calendar days are append-only: enter the date again'); END;
CREATE TRIGGER calendar_days_no_delete BEFORE DELETE ON calendar_days
BEGIN SELECT RAISE(ABORT, 'calendar days are append-only: enter the date again'); END;

-- A student's high-school graduation record, as of its latest version (hs_record_versions keeps all).
CREATE TABLE hs_records (
    student_id          INTEGER PRIMARY KEY REFERENCES students(id),
    credits_total       REAL,                  -- 各学年获得的总学分
    credits_required    REAL,                  -- 必修学分
    credits_elective    REAL,                  -- 课程标准设置的选修模块学分
    credits_school      REAL,                  -- 学校自主开设的选修模块学分
    exams               TEXT NOT NULL DEFAULT '{}',  -- JSON {科目: 等级 A–E / 合格 / 不合格}
    evaluation          TEXT NOT NULL DEFAULT '',    -- 综合素质评价 / 基础素养评价: pass | fail | ''
    pe_standard         TEXT NOT NULL DEFAULT '',    -- 体育合格标准: pass | fail | ''
    labour_practice     TEXT NOT NULL DEFAULT '',    -- 劳动与社会实践: done | not_done | ''
    period_complete     TEXT NOT NULL DEFAULT '',    -- 修业期满: yes | no | '' (unknown = yes at graduation)
    assessment          TEXT NOT NULL DEFAULT '',    -- Liaoning compulsory 综合考核: pass | fail | ''
    note                TEXT NOT NULL DEFAULT '',
    updated_at          TEXT NOT NULL,
    updated_by          TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER hs_records_no_delete BEFORE DELETE ON hs_records
BEGIN SELECT RAISE(ABORT, 'graduation records are never deleted'); END;

CREATE TABLE hs_record_versions (
    id          INTEGER PRIMARY KEY,
    student_id  INTEGER NOT NULL REFERENCES students(id),
    data        TEXT NOT NULL,                 -- JSON of the hs_records row as saved
    source      TEXT NOT NULL DEFAULT '',      -- manual | file name
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX hs_record_versions_student ON hs_record_versions(student_id, id);
CREATE TRIGGER hs_record_versions_no_update BEFORE UPDATE ON hs_record_versions
BEGIN SELECT RAISE(ABORT, 'graduation record versions are append-only'); END;
CREATE TRIGGER hs_record_versions_no_delete BEFORE DELETE ON hs_record_versions
BEGIN SELECT RAISE(ABORT, 'graduation record versions are append-only'); END;
