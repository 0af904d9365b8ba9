"""Exchanging student records with the national system's 学生基础信息 template (.xls / .xlsx).

template_io (reading sheets), sheet_writer (writing them), neutralise (formula-safe cells), import_service,
export_service (``import_students`` / ``export_students``), approvals (+ approvals_store: written approvals for
exports that leave the school), cli (the ``export-approval`` verbs)."""
