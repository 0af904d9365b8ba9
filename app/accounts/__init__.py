"""Accounts, roles and signing in: password and recovery-code hashes, lock-out, the registrar's account management; its
SQL (store) and the ``account`` verbs."""
