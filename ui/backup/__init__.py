"""Backup and restore dialogs (备份 menu)."""
