"""Printing: certificates, forms, rosters and registers to PDF with reportlab (no Qt).

kinds (the printable kinds and their titles: a leaf), service (which students, certificate numbers, the print
plan behind the preview and ``xueji print --dry-run``, calibrations), renderer (documents to PDF pages),
documents (what each document prints), change_forms (the forms of status changes), engine (drawing), template
(TOML templates), fonts, cnum (Chinese dates and numbers), store (read-only SQL), cli (the ``print``, ``cert``
and ``calibration`` verbs)."""
