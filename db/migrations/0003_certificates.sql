-- 0003: certificates, their serial numbers and the issuance register (printing issue).
-- Append-only: a certificate is never edited or deleted; what happens to it later (printed, reprinted,
-- voided, stamped by the bureau) is a new row in cert_events. Its state is read from those events.

-- One counter per (kind, year): the next serial is taken by UPDATE inside BEGIN IMMEDIATE, in the same
-- transaction as the certificate row, so two issues can never get the same number and a rolled-back
-- issue gives its number back (no silent gaps).
CREATE TABLE cert_counters (
    kind      TEXT NOT NULL,
    year      INTEGER NOT NULL,
    next_seq  INTEGER NOT NULL CHECK (next_seq >= 1),
    PRIMARY KEY (kind, year)
);
CREATE TRIGGER cert_counters_forward_only BEFORE UPDATE ON cert_counters
WHEN NEW.next_seq <= OLD.next_seq OR NEW.kind <> OLD.kind OR NEW.year <> OLD.year
BEGIN SELECT RAISE(ABORT, 'certificate counters only move forward: numbers are never reused'); END;
CREATE TRIGGER cert_counters_no_delete BEFORE DELETE ON cert_counters
BEGIN SELECT RAISE(ABORT, 'certificate counters are never deleted: numbers are never reused'); END;

CREATE TABLE certificates (
    id               INTEGER PRIMARY KEY,
    number           TEXT NOT NULL,               -- as printed: from the pattern, or the authority's number
    kind             TEXT NOT NULL,               -- diploma, completion-certificate, … (CLI KIND names)
    student_id       INTEGER NOT NULL REFERENCES students(id),
    year             INTEGER NOT NULL,            -- the issue year the serial counts in
    seq              INTEGER,                     -- the serial within (kind, year); NULL for an authority's number
    issue_date       TEXT NOT NULL,               -- ISO date printed on the certificate
    issued_at        TEXT NOT NULL,
    issued_by        TEXT NOT NULL DEFAULT '',
    replaces_id      INTEGER REFERENCES certificates(id),  -- re-issue after a voided (spoiled) form
    original_number  TEXT NOT NULL DEFAULT '',    -- 学历证明: the lost diploma's number
    override_reason  TEXT NOT NULL DEFAULT '',    -- BLOCK* rule let through (e.g. a second 学历证明)
    approved_by      TEXT NOT NULL DEFAULT '',
    snapshot         TEXT NOT NULL DEFAULT '{}'   -- JSON: name, ID number, 学籍号, class as issued
);
CREATE UNIQUE INDEX certificates_number ON certificates(number);
CREATE UNIQUE INDEX certificates_serial ON certificates(kind, year, seq) WHERE seq IS NOT NULL;
CREATE INDEX certificates_student ON certificates(student_id, kind, id);
CREATE TRIGGER certificates_no_update BEFORE UPDATE ON certificates
BEGIN SELECT RAISE(ABORT, 'certificates are never edited: void and re-issue'); END;
CREATE TRIGGER certificates_no_delete BEFORE DELETE ON certificates
BEGIN SELECT RAISE(ABORT, 'certificates are never deleted: void them with a reason'); END;

-- The issuance register: issue, print, reprint (same number, with why), void (spoiled form, with why),
-- verify (the bureau's 验印 recorded).
CREATE TABLE cert_events (
    id              INTEGER PRIMARY KEY,
    certificate_id  INTEGER NOT NULL REFERENCES certificates(id),
    action          TEXT NOT NULL CHECK (action IN ('issue','print','reprint','void','verify')),
    at              TEXT NOT NULL,
    by              TEXT NOT NULL DEFAULT '',
    reason          TEXT NOT NULL DEFAULT '',
    approved_by     TEXT NOT NULL DEFAULT '',
    details         TEXT NOT NULL DEFAULT '{}'    -- JSON: file printed, calibration, stamp date …
);
CREATE INDEX cert_events_cert ON cert_events(certificate_id, id);
CREATE TRIGGER cert_events_no_update BEFORE UPDATE ON cert_events
BEGIN SELECT RAISE(ABORT, 'the issuance register is append-only'); END;
CREATE TRIGGER cert_events_no_delete BEFORE DELETE ON cert_events
BEGIN SELECT RAISE(ABORT, 'the issuance register is append-only'); END;
CREATE TRIGGER cert_events_none_after_void BEFORE INSERT ON cert_events
WHEN EXISTS (SELECT 1 FROM cert_events WHERE certificate_id = NEW.certificate_id AND action = 'void')
BEGIN SELECT RAISE(ABORT, 'a voided certificate takes no further events'); END;
