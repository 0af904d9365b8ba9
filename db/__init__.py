"""The archive on disk: the SQLite connection and its PRAGMAs, the single-writer lock, numbered migrations, generic row
helpers. Imports nothing from app/."""
