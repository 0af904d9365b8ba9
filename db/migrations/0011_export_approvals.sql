-- 0011: written approvals for giving student data to parties outside the school (国家 第二十五条:
-- "非经学籍主管部门书面批准，学籍信息一律不得向外提供"). An export with the purpose "external" names one of
-- these; it must be valid (not expired, not revoked) on the day of the export (app/export_approvals.py).
-- Append-only: an approval is never edited or deleted; a revocation is a row of its own. Both tables write
-- their audit_log entry from an AFTER INSERT trigger, in the same transaction (as 0009's triggers do).
CREATE TABLE export_approvals (
    id            INTEGER PRIMARY KEY,
    reference     TEXT NOT NULL CHECK (trim(reference) <> ''),     -- 审批单号 / 文号
    recipient     TEXT NOT NULL CHECK (trim(recipient) <> ''),     -- 接收单位
    purpose       TEXT NOT NULL CHECK (trim(purpose) <> ''),       -- 用途
    allow_full_id INTEGER NOT NULL DEFAULT 0 CHECK (allow_full_id IN (0, 1)),
    approved_by   TEXT NOT NULL CHECK (trim(approved_by) <> ''),   -- who approved (an approver account's name)
    approved_on   TEXT NOT NULL,                                   -- YYYY-MM-DD
    valid_until   TEXT NOT NULL,                                   -- YYYY-MM-DD, inclusive
    recorded_at   TEXT NOT NULL,
    recorded_by   TEXT NOT NULL DEFAULT '',
    CHECK (valid_until >= approved_on)
);
CREATE INDEX export_approvals_reference ON export_approvals(reference);
CREATE TRIGGER export_approvals_no_update BEFORE UPDATE ON export_approvals
BEGIN SELECT RAISE(ABORT, 'export_approvals is append-only: revoke instead'); END;
CREATE TRIGGER export_approvals_no_delete BEFORE DELETE ON export_approvals
BEGIN SELECT RAISE(ABORT, 'export_approvals is append-only: revoke instead'); END;

CREATE TABLE export_approval_revocations (
    id           INTEGER PRIMARY KEY,
    approval_id  INTEGER NOT NULL UNIQUE REFERENCES export_approvals(id),
    reason       TEXT NOT NULL CHECK (trim(reason) <> ''),
    revoked_at   TEXT NOT NULL,
    revoked_by   TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER export_approval_revocations_no_update BEFORE UPDATE ON export_approval_revocations
BEGIN SELECT RAISE(ABORT, 'export_approval_revocations is append-only'); END;
CREATE TRIGGER export_approval_revocations_no_delete BEFORE DELETE ON export_approval_revocations
BEGIN SELECT RAISE(ABORT, 'export_approval_revocations is append-only'); END;

CREATE TRIGGER audit_export_approvals AFTER INSERT ON export_approvals
BEGIN
INSERT INTO audit_log(id, at, actor, action, entity, entity_id, student_id, detail, prev_hash, hash)
SELECT v.id, v.at, v.actor, v.action, v.entity, v.entity_id, v.student_id, v.detail, v.prev,
       xueji_audit_hash(v.prev, v.id, v.at, v.actor, v.action, v.entity, v.entity_id, v.student_id, v.detail)
FROM (SELECT (SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log) AS id,
             COALESCE((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), X'') AS prev,
             NEW.recorded_at AS at, NEW.recorded_by AS actor, 'export-approval.add' AS action,
             'export_approval' AS entity, NEW.id AS entity_id, NULL AS student_id,
             json_object('table', 'export_approvals', 'row', NEW.id, 'reference', NEW.reference,
                         'recipient', NEW.recipient, 'purpose', NEW.purpose, 'allow_full_id', NEW.allow_full_id,
                         'approved_by', NEW.approved_by, 'approved_on', NEW.approved_on,
                         'valid_until', NEW.valid_until) AS detail) v;
END;

CREATE TRIGGER audit_export_approval_revocations AFTER INSERT ON export_approval_revocations
BEGIN
INSERT INTO audit_log(id, at, actor, action, entity, entity_id, student_id, detail, prev_hash, hash)
SELECT v.id, v.at, v.actor, v.action, v.entity, v.entity_id, v.student_id, v.detail, v.prev,
       xueji_audit_hash(v.prev, v.id, v.at, v.actor, v.action, v.entity, v.entity_id, v.student_id, v.detail)
FROM (SELECT (SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log) AS id,
             COALESCE((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), X'') AS prev,
             NEW.revoked_at AS at, NEW.revoked_by AS actor, 'export-approval.revoke' AS action,
             'export_approval' AS entity, NEW.approval_id AS entity_id, NULL AS student_id,
             json_object('table', 'export_approval_revocations', 'row', NEW.id,
                         'reference', (SELECT reference FROM export_approvals WHERE id = NEW.approval_id),
                         'reason', NEW.reason) AS detail) v;
END;
