"""The paper archive (档案袋): where each student's folder is (locations), what is in it (checklist: the profile's
items and the status changes' evidence), scanned copies (scans), the borrow register and hand-over (loans), the
files/ integrity sweep (sweep); discrepancies between paper and records, the semester review, reconciliation with
the national system and the school's own archive snapshots; their SQL (store, review_store) and CLI verbs.

Every service takes an open app.core.session.Session; writes are one transaction each with change_history rows
and raise app.core.errors.Refused on bad input."""
