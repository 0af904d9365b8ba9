-- 0006: backups, restores and integrity checks, one row each (issue 7 "Backups and integrity").
-- Append-only: a row is never edited or deleted. The audit log (later) may read or mirror it.
CREATE TABLE backup_log (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('backup', 'verify', 'restore', 'check', 'thin')),
    trigger     TEXT NOT NULL DEFAULT 'manual',   -- manual | close | daily | cli
    at          TEXT NOT NULL,                    -- ISO time the action ended
    by          TEXT NOT NULL DEFAULT '',
    path        TEXT NOT NULL DEFAULT '',         -- the backup folder (or the destination when it failed)
    ok          INTEGER NOT NULL CHECK (ok IN (0, 1)),
    detail      TEXT NOT NULL DEFAULT '{}'        -- JSON: counts, bytes, seconds, the error, the safety copy …
);
CREATE INDEX backup_log_kind ON backup_log(kind, id);
CREATE TRIGGER backup_log_no_update BEFORE UPDATE ON backup_log
BEGIN SELECT RAISE(ABORT, 'backup_log is append-only'); END;
CREATE TRIGGER backup_log_no_delete BEFORE DELETE ON backup_log
BEGIN SELECT RAISE(ABORT, 'backup_log is append-only'); END;
