"""Signing in, the screen lock, account management and security settings (账户 menu)."""
