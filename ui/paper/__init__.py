"""The paper archive: folder panel, loans, discrepancies, semester review, reconciliation, school-archive snapshots,
scans."""
