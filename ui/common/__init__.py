"""Pieces every window uses: fonts, the translation catalog, message boxes, background workers, list tables, history
tables, the archive job runner."""
