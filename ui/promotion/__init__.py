"""Promotion, graduation and high-school record dialogs."""
