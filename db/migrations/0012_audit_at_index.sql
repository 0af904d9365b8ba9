-- 0012: the audit log window filters by date (ui/audit_view.py); without an index on the time a range far back
-- in a million-entry log scanned the whole table (about 300 ms, docs/benchmarks.md).
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log(at);
