"""The paper archive (档案袋): where each student's folder is, what is in it (checklist from the profile and the
status changes' evidence), scanned copies, the borrow register and hand-over, and the files/ integrity sweep.

API (all take an open app.core.session.Session; writes are one transaction each with change_history rows and raise
app.core.errors.Refused on bad input):
  locate, move, overview, label_key, resolve_scan            — app/paper/locations.py
  checklist, mark_item, folder_contents, load_template       — app/paper/checklist.py
  attach_scan, withdraw_scan, scan_bytes, inspect            — app/paper/scans.py
  lend, return_loan, loans, overdue, hand_over, Loan         — app/paper/loans.py
  verify_files, SweepReport                                  — app/paper/sweep.py
"""
from app.paper.checklist import (EVIDENCE_PREFIX, MARKABLE, PAPER_STATES, ChecklistItem, checklist,  # noqa: F401
                                 folder_contents, load_template, mark_item)
from app.paper.loans import Loan, hand_over, lend, loans, overdue, return_loan  # noqa: F401
from app.paper.locations import Folder, label_key, locate, move, overview, resolve_scan  # noqa: F401
from app.paper.scans import ScanResult, attach_scan, inspect, scan_bytes, withdraw_scan  # noqa: F401
from app.paper.sweep import SweepReport, verify_files  # noqa: F401
