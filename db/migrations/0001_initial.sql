-- 0001: the archive's first schema. Forward-only: never edit once landed; add 0002_… instead.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE school (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    name             TEXT NOT NULL,
    code             TEXT NOT NULL,            -- 10-digit 学校标识码
    stages           TEXT NOT NULL,            -- comma list: primary,junior,senior
    profile          TEXT NOT NULL,            -- rule profile id, e.g. henan-zhoukou
    address          TEXT NOT NULL DEFAULT '',
    principal        TEXT NOT NULL DEFAULT '',
    registrar        TEXT NOT NULL DEFAULT '',
    phone            TEXT NOT NULL DEFAULT '',
    registrar_phone  TEXT NOT NULL DEFAULT '',
    division_code    TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);

CREATE TABLE classes (
    id            INTEGER PRIMARY KEY,
    stage         TEXT NOT NULL CHECK (stage IN ('primary','junior','senior')),
    grade         INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 12),
    number        INTEGER NOT NULL CHECK (number >= 1),
    entry_year    INTEGER NOT NULL,
    code          TEXT,                        -- national 班号
    name          TEXT NOT NULL DEFAULT '',
    head_teacher  TEXT NOT NULL DEFAULT '',
    capacity      INTEGER,
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','closed')),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX classes_code ON classes(code) WHERE code IS NOT NULL AND code <> '';
CREATE UNIQUE INDEX classes_slot ON classes(entry_year, stage, grade, number) WHERE status = 'active';

CREATE TABLE students (
    id            INTEGER PRIMARY KEY,
    class_id      INTEGER REFERENCES classes(id),
    status        TEXT NOT NULL DEFAULT 'enrolled',
    name             TEXT NOT NULL DEFAULT '',
    gender           TEXT NOT NULL DEFAULT '',
    birth_date       TEXT NOT NULL DEFAULT '',
    birthplace_code  TEXT NOT NULL DEFAULT '',
    native_place     TEXT NOT NULL DEFAULT '',
    ethnicity        TEXT NOT NULL DEFAULT '',
    nationality      TEXT NOT NULL DEFAULT '',
    id_type          TEXT NOT NULL DEFAULT '',
    hmt_overseas     TEXT NOT NULL DEFAULT '',
    health           TEXT NOT NULL DEFAULT '',
    political        TEXT NOT NULL DEFAULT '',
    id_number        TEXT NOT NULL DEFAULT '',
    hukou_type       TEXT NOT NULL DEFAULT '',
    hukou_division   TEXT NOT NULL DEFAULT '',
    entry_ym         TEXT NOT NULL DEFAULT '',
    entry_mode       TEXT NOT NULL DEFAULT '',
    study_mode       TEXT NOT NULL DEFAULT '',
    current_address  TEXT NOT NULL DEFAULT '',
    mailing_address  TEXT NOT NULL DEFAULT '',
    home_address     TEXT NOT NULL DEFAULT '',
    phone            TEXT NOT NULL DEFAULT '',
    postcode         TEXT NOT NULL DEFAULT '',
    only_child       TEXT NOT NULL DEFAULT '',
    preschool        TEXT NOT NULL DEFAULT '',
    left_behind      TEXT NOT NULL DEFAULT '',
    needs_aid        TEXT NOT NULL DEFAULT '',
    one_subsidy      TEXT NOT NULL DEFAULT '',
    orphan           TEXT NOT NULL DEFAULT '',
    martyr_child     TEXT NOT NULL DEFAULT '',
    distance_km      TEXT NOT NULL DEFAULT '',
    commute          TEXT NOT NULL DEFAULT '',
    school_bus       TEXT NOT NULL DEFAULT '',
    former_name      TEXT NOT NULL DEFAULT '',
    id_validity      TEXT NOT NULL DEFAULT '',
    blood_type       TEXT NOT NULL DEFAULT '',
    specialty        TEXT NOT NULL DEFAULT '',
    aux_xjh          TEXT NOT NULL DEFAULT '',
    seat_no          TEXT NOT NULL DEFAULT '',
    student_source   TEXT NOT NULL DEFAULT '',
    email            TEXT NOT NULL DEFAULT '',
    homepage         TEXT NOT NULL DEFAULT '',
    disability       TEXT NOT NULL DEFAULT '',
    gov_paid_place   TEXT NOT NULL DEFAULT '',
    inclusive_ed     TEXT NOT NULL DEFAULT '',
    migrant_child    TEXT NOT NULL DEFAULT '',
    xueji_no         TEXT NOT NULL DEFAULT '',
    name_pinyin      TEXT NOT NULL DEFAULT '',
    name_initials TEXT NOT NULL DEFAULT '',
    search_text   TEXT NOT NULL DEFAULT '',     -- lower-case name|pinyin|initials|id|xjh for search-as-you-type
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX students_class ON students(class_id);
CREATE INDEX students_id_number ON students(id_number) WHERE id_number <> '';
CREATE INDEX students_xueji_no ON students(xueji_no) WHERE xueji_no <> '';
CREATE INDEX students_name_dob ON students(name, birth_date);

CREATE TABLE family_members (
    id            INTEGER PRIMARY KEY,
    student_id    INTEGER NOT NULL REFERENCES students(id),
    seq           INTEGER NOT NULL,
    name           TEXT NOT NULL DEFAULT '',
    relation       TEXT NOT NULL DEFAULT '',
    relation_note  TEXT NOT NULL DEFAULT '',
    address        TEXT NOT NULL DEFAULT '',
    hukou_division TEXT NOT NULL DEFAULT '',
    phone          TEXT NOT NULL DEFAULT '',
    is_guardian    TEXT NOT NULL DEFAULT '',
    id_type        TEXT NOT NULL DEFAULT '',
    id_number      TEXT NOT NULL DEFAULT '',
    ethnicity      TEXT NOT NULL DEFAULT '',
    employer       TEXT NOT NULL DEFAULT '',
    position       TEXT NOT NULL DEFAULT '',
    UNIQUE (student_id, seq)
);

-- Every change to a record: what, from, to, when, who, why, on which evidence. Append-only.
CREATE TABLE change_history (
    id            INTEGER PRIMARY KEY,
    student_id    INTEGER REFERENCES students(id),
    entity        TEXT NOT NULL,               -- student | member1 | member2 | class | school
    entity_id     INTEGER,
    action        TEXT NOT NULL,               -- create | edit | import | status
    field         TEXT NOT NULL DEFAULT '',
    old_value     TEXT NOT NULL DEFAULT '',
    new_value     TEXT NOT NULL DEFAULT '',
    changed_at    TEXT NOT NULL,
    changed_by    TEXT NOT NULL DEFAULT '',
    reason        TEXT NOT NULL DEFAULT '',
    evidence_ref  TEXT NOT NULL DEFAULT '',
    batch         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX change_history_student ON change_history(student_id, id);
CREATE TRIGGER change_history_no_update BEFORE UPDATE ON change_history
BEGIN SELECT RAISE(ABORT, 'change_history is append-only'); END;
CREATE TRIGGER change_history_no_delete BEFORE DELETE ON change_history
BEGIN SELECT RAISE(ABORT, 'change_history is append-only'); END;
CREATE TRIGGER students_no_delete BEFORE DELETE ON students
BEGIN SELECT RAISE(ABORT, 'students are never deleted: end the record with a status change'); END;
CREATE TRIGGER family_members_no_delete BEFORE DELETE ON family_members
BEGIN SELECT RAISE(ABORT, 'family members are never deleted'); END;
CREATE TRIGGER classes_no_delete BEFORE DELETE ON classes
BEGIN SELECT RAISE(ABORT, 'classes are never deleted: close them'); END;

-- Rule findings the registrar saw and accepted (WARN acknowledged, BLOCK* overridden).
CREATE TABLE rule_findings (
    id            INTEGER PRIMARY KEY,
    student_id    INTEGER REFERENCES students(id),
    rule_id       TEXT NOT NULL,
    article       TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    message       TEXT NOT NULL,
    decided_at    TEXT NOT NULL,
    decided_by    TEXT NOT NULL DEFAULT '',
    override_reason TEXT NOT NULL DEFAULT '',
    approved_by   TEXT NOT NULL DEFAULT '',
    evidence_ref  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
