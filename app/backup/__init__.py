"""Verified backups (optionally encrypted), restore, integrity checks; the backup log's SQL (store) and the
``backup``/``restore`` verbs."""
