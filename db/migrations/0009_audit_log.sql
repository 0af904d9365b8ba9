-- 0009: the tamper-evident audit log (issue 7 "Audit log"). Append-only and hash-chained: each entry's
-- hash = SHA-256 over the previous entry's hash and a canonical serialisation of its own fields, computed by
-- the application function xueji_audit_hash(prev_hash, id, at, actor, action, entity, entity_id, student_id,
-- detail) that db/archive.connect registers on every connection (db/audit.py). A write from a connection
-- without it (a raw sqlite3 shell) fails, so writes outside Xueji cannot extend the chain unnoticed.
-- Entries come from AFTER INSERT triggers on the history tables (same transaction as the action) and from
-- the application for what has no row of its own (views of a full record, prints, exports).
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,           -- 1, 2, 3 … without gaps (part of the hash)
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,                 -- change.edit, status.transfer-out, override, view, print, export, backup.backup …
    entity      TEXT NOT NULL DEFAULT '',
    entity_id   INTEGER,
    student_id  INTEGER,
    detail      TEXT NOT NULL DEFAULT '{}',    -- JSON
    prev_hash   BLOB NOT NULL,                 -- the previous entry's hash (32 bytes; empty for the first)
    hash        BLOB NOT NULL                  -- SHA-256, 32 bytes (shown as hex)
);
CREATE INDEX audit_log_student ON audit_log(student_id, id) WHERE student_id IS NOT NULL;
CREATE INDEX audit_log_action ON audit_log(action, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- Genesis: an existing archive's chain starts here; what happened before cannot be proven by it.
INSERT INTO audit_log(id, at, actor, action, entity, entity_id, student_id, detail, prev_hash, hash)
SELECT 1, v.at, '', 'genesis', 'archive', NULL, NULL, v.detail, X'',
       xueji_audit_hash(X'', 1, v.at, '', 'genesis', 'archive', NULL, NULL, v.detail)
FROM (SELECT strftime('%Y-%m-%dT%H:%M:%S', 'now', 'localtime') AS at,
             json_object('change_history', (SELECT count(*) FROM change_history),
                         'status_events', (SELECT count(*) FROM status_events),
                         'cert_events', (SELECT count(*) FROM cert_events),
                         'rule_findings', (SELECT count(*) FROM rule_findings),
                         'folder_loans', (SELECT count(*) FROM folder_loans),
                         'backup_log', (SELECT count(*) FROM backup_log)) AS detail) v;

CREATE TRIGGER audit_change_history AFTER INSERT ON change_history
BEGIN
INSERT INTO audit_log(id, at, actor, action, entity, entity_id, student_id, detail, prev_hash, hash)
SELECT v.id, v.at, v.actor, v.action, v.entity, v.entity_id, v.student_id, v.detail, v.prev,
       xueji_audit_hash(v.prev, v.id, v.at, v.actor, v.action, v.entity, v.entity_id, v.student_id, v.detail)
FROM (SELECT (SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log) AS id,
             COALESCE((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), X'') AS prev,
             NEW.changed_at AS at, NEW.changed_by AS actor, 'change.' || NEW.action AS action,
             NEW.entity AS entity, NEW.entity_id AS entity_id, NEW.student_id AS student_id,
             json_object('table', 'change_history', 'row', NEW.id, 'field', NEW.field, 'reason', NEW.reason,
                         'evidence', NEW.evidence_ref, 'batch', NEW.batch) AS detail) v;
END;

CREATE TRIGGER audit_status_events AFTER INSERT ON status_events
BEGIN
INSERT INTO audit_log(id, at, actor, action, entity, entity_id, student_id, detail, prev_hash, hash)
SELECT v.id, v.at, v.actor, v.action, v.entity, v.entity_id, v.student_id, v.detail, v.prev,
       xueji_audit_hash(v.prev, v.id, v.at, v.actor, v.action, v.entity, v.entity_id, v.student_id, v.detail)
FROM (SELECT (SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log) AS id,
             COALESCE((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), X'') AS prev,
             NEW.recorded_at AS at, NEW.recorded_by AS actor, 'status.' || NEW.kind AS action,
             'status_event' AS entity, NEW.id AS entity_id, NEW.student_id AS student_id,
             json_object('table', 'status_events', 'row', NEW.id, 'from', NEW.from_state, 'to', NEW.to_state,
                         'effective', NEW.effective_date, 'reason', NEW.reason, 'batch', NEW.batch) AS detail) v;
END;

CREATE TRIGGER audit_cert_events AFTER INSERT ON cert_events
BEGIN
INSERT INTO audit_log(id, at, actor, action, entity, entity_id, student_id, detail, prev_hash, hash)
SELECT v.id, v.at, v.actor, v.action, v.entity, v.entity_id, v.student_id, v.detail, v.prev,
       xueji_audit_hash(v.prev, v.id, v.at, v.actor, v.action, v.entity, v.entity_id, v.student_id, v.detail)
FROM (SELECT (SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log) AS id,
             COALESCE((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), X'') AS prev,
             NEW.at AS at, NEW.by AS actor, 'cert.' || NEW.action AS action,
             'certificate' AS entity, NEW.certificate_id AS entity_id,
             (SELECT student_id FROM certificates WHERE id = NEW.certificate_id) AS student_id,
             json_object('table', 'cert_events', 'row', NEW.id,
                         'number', (SELECT number FROM certificates WHERE id = NEW.certificate_id),
                         'reason', NEW.reason, 'approved_by', NEW.approved_by) AS detail) v;
END;

CREATE TRIGGER audit_rule_findings AFTER INSERT ON rule_findings
BEGIN
INSERT INTO audit_log(id, at, actor, action, entity, entity_id, student_id, detail, prev_hash, hash)
SELECT v.id, v.at, v.actor, v.action, v.entity, v.entity_id, v.student_id, v.detail, v.prev,
       xueji_audit_hash(v.prev, v.id, v.at, v.actor, v.action, v.entity, v.entity_id, v.student_id, v.detail)
FROM (SELECT (SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log) AS id,
             COALESCE((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), X'') AS prev,
             NEW.decided_at AS at, NEW.decided_by AS actor,
             CASE WHEN NEW.override_reason <> '' OR NEW.approved_by <> '' THEN 'override' ELSE 'finding' END AS action,
             'rule_finding' AS entity, NEW.id AS entity_id, NEW.student_id AS student_id,
             json_object('table', 'rule_findings', 'row', NEW.id, 'rule', NEW.rule_id, 'article', NEW.article,
                         'outcome', NEW.outcome, 'reason', NEW.override_reason, 'approved_by', NEW.approved_by,
                         'evidence', NEW.evidence_ref) AS detail) v;
END;

CREATE TRIGGER audit_folder_loans AFTER INSERT ON folder_loans
BEGIN
INSERT INTO audit_log(id, at, actor, action, entity, entity_id, student_id, detail, prev_hash, hash)
SELECT v.id, v.at, v.actor, v.action, v.entity, v.entity_id, v.student_id, v.detail, v.prev,
       xueji_audit_hash(v.prev, v.id, v.at, v.actor, v.action, v.entity, v.entity_id, v.student_id, v.detail)
FROM (SELECT (SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log) AS id,
             COALESCE((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), X'') AS prev,
             NEW.recorded_at AS at, NEW.lent_by AS actor, 'folder.lend' AS action,
             'folder_loan' AS entity, NEW.id AS entity_id, NEW.student_id AS student_id,
             json_object('table', 'folder_loans', 'row', NEW.id, 'item', NEW.item_key, 'borrower', NEW.borrower,
                         'purpose', NEW.purpose, 'approved_by', NEW.approved_by, 'due', NEW.due_on) AS detail) v;
END;

CREATE TRIGGER audit_folder_returns AFTER UPDATE OF returned_on ON folder_loans
WHEN OLD.returned_on IS NULL AND NEW.returned_on IS NOT NULL
BEGIN
INSERT INTO audit_log(id, at, actor, action, entity, entity_id, student_id, detail, prev_hash, hash)
SELECT v.id, v.at, v.actor, v.action, v.entity, v.entity_id, v.student_id, v.detail, v.prev,
       xueji_audit_hash(v.prev, v.id, v.at, v.actor, v.action, v.entity, v.entity_id, v.student_id, v.detail)
FROM (SELECT (SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log) AS id,
             COALESCE((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), X'') AS prev,
             strftime('%Y-%m-%dT%H:%M:%S', 'now', 'localtime') AS at, NEW.returned_to AS actor,
             'folder.return' AS action, 'folder_loan' AS entity, NEW.id AS entity_id, NEW.student_id AS student_id,
             json_object('table', 'folder_loans', 'row', NEW.id, 'returned_on', NEW.returned_on,
                         'note', NEW.return_note) AS detail) v;
END;

CREATE TRIGGER audit_backup_log AFTER INSERT ON backup_log
BEGIN
INSERT INTO audit_log(id, at, actor, action, entity, entity_id, student_id, detail, prev_hash, hash)
SELECT v.id, v.at, v.actor, v.action, v.entity, v.entity_id, v.student_id, v.detail, v.prev,
       xueji_audit_hash(v.prev, v.id, v.at, v.actor, v.action, v.entity, v.entity_id, v.student_id, v.detail)
FROM (SELECT (SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log) AS id,
             COALESCE((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), X'') AS prev,
             NEW.at AS at, NEW.by AS actor, 'backup.' || NEW.kind AS action,
             'backup_log' AS entity, NEW.id AS entity_id, NULL AS student_id,
             json_object('table', 'backup_log', 'row', NEW.id, 'trigger', NEW.trigger, 'path', NEW.path,
                         'ok', NEW.ok) AS detail) v;
END;
