-- 0002: student photos. The spec JPEG (small, < 60 KB) lives here; the original is in files/ by SHA-256.
-- Rows are never deleted: a new photo turns the old one's `current` off (history in change_history).
CREATE TABLE photos (
    id               INTEGER PRIMARY KEY,
    student_id       INTEGER NOT NULL REFERENCES students(id),
    original_sha256  TEXT NOT NULL,
    original_ext     TEXT NOT NULL DEFAULT 'jpg',
    original_bytes   INTEGER NOT NULL DEFAULT 0,
    spec_jpeg        BLOB NOT NULL,
    width            INTEGER NOT NULL,
    height           INTEGER NOT NULL,
    size             INTEGER NOT NULL,
    preset           TEXT NOT NULL,
    crop             TEXT NOT NULL DEFAULT '',   -- JSON [left, top, right, bottom] in the original's pixels
    rotate           INTEGER NOT NULL DEFAULT 0 CHECK (rotate IN (0, 90, 180, 270)),
    source           TEXT NOT NULL CHECK (source IN ('camera', 'file', 'import', 'recrop')),
    created_at       TEXT NOT NULL,
    created_by       TEXT NOT NULL DEFAULT '',
    current          INTEGER NOT NULL DEFAULT 1 CHECK (current IN (0, 1))
);
CREATE UNIQUE INDEX photos_current ON photos(student_id) WHERE current = 1;
CREATE INDEX photos_student ON photos(student_id, id);
CREATE TRIGGER photos_no_delete BEFORE DELETE ON photos
BEGIN SELECT RAISE(ABORT, 'photos are never deleted: a newer photo replaces the current one'); END;
