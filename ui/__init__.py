"""The PySide6 user interface (windows, dialogs, Qt models, workers); it calls app/ only."""
