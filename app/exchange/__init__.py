"""Exchanging student records with the national system's 学生基础信息 template (.xls / .xlsx)."""
from app.exchange.export_service import ExportReport, export_students
from app.exchange.import_service import ImportReport, import_students

__all__ = ["ExportReport", "ImportReport", "export_students", "import_students"]
