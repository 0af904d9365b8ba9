"""Print preview, printing jobs, calibration, the certificate register (打印 menu)."""
