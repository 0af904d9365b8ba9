"""Printing: certificates, forms, rosters and registers to PDF with reportlab (no Qt).

renderer (documents to PDF pages), engine (drawing), template (TOML templates), fonts, cnum (Chinese dates and
numbers), documents (what each document prints), store (read-only SQL), service (which students, numbers,
calibration), cli (the ``print`` and ``calibration`` verbs)."""
