-- 0013: a 校领导 countersigns a BLOCK* override in their own account (issue 7: the approver role "approves
-- overrides"). The override itself (rule_findings, with the approver's name as the registrar typed it) is
-- unchanged; the decision is a separate append-only row, at most one per override, written with its audit
-- entry by the trigger below in the same transaction.
CREATE TABLE override_decisions (
    id              INTEGER PRIMARY KEY,
    finding_id      INTEGER NOT NULL UNIQUE REFERENCES rule_findings(id),
    decision        TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
    decided_by      TEXT NOT NULL,                  -- the signed-in account's user name
    decided_by_name TEXT NOT NULL DEFAULT '',       -- its display name
    decided_at      TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER override_decisions_no_update BEFORE UPDATE ON override_decisions
BEGIN SELECT RAISE(ABORT, 'override_decisions is append-only'); END;
CREATE TRIGGER override_decisions_no_delete BEFORE DELETE ON override_decisions
BEGIN SELECT RAISE(ABORT, 'override_decisions is append-only'); END;

CREATE TRIGGER audit_override_decisions AFTER INSERT ON override_decisions
BEGIN
INSERT INTO audit_log(id, at, actor, action, entity, entity_id, student_id, detail, prev_hash, hash)
SELECT v.id, v.at, v.actor, v.action, v.entity, v.entity_id, v.student_id, v.detail, v.prev,
       xueji_audit_hash(v.prev, v.id, v.at, v.actor, v.action, v.entity, v.entity_id, v.student_id, v.detail)
FROM (SELECT (SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log) AS id,
             COALESCE((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), X'') AS prev,
             NEW.decided_at AS at, NEW.decided_by AS actor, 'override.' || NEW.decision AS action,
             'rule_finding' AS entity, NEW.finding_id AS entity_id,
             (SELECT student_id FROM rule_findings WHERE id = NEW.finding_id) AS student_id,
             json_object('table', 'override_decisions', 'row', NEW.id, 'finding', NEW.finding_id,
                         'rule', (SELECT rule_id FROM rule_findings WHERE id = NEW.finding_id),
                         'note', NEW.note) AS detail) v;
END;
