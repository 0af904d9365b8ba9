"""The audit log window (审计日志) and the access register's print."""
