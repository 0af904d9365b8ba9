-- 0010: local accounts and roles (issue 7 "Accounts and roles"). Passwords and recovery codes are stored
-- only as scrypt hashes (app/accounts.py: "scrypt$N$r$p$salt$hash"); a role is one of the three the issue
-- names, its permissions are data (resources/security/roles.toml). Accounts are never deleted (their
-- names stay in the history and the audit log): they are disabled. Every account action (created,
-- password changed or reset, locked, unlocked, role or classes changed, sign-in, sign-out, failed
-- attempt) is an audit_log entry written by app/accounts.py in the same transaction.
CREATE TABLE accounts (
    id                  INTEGER PRIMARY KEY,
    username            TEXT NOT NULL COLLATE NOCASE UNIQUE,
    display_name        TEXT NOT NULL DEFAULT '',
    role                TEXT NOT NULL CHECK (role IN ('registrar', 'approver', 'head_teacher')),
    password_hash       TEXT NOT NULL,
    recovery_hash       TEXT NOT NULL DEFAULT '',       -- '' = no recovery code (ask a registrar to reset)
    must_change         INTEGER NOT NULL DEFAULT 0,     -- 1 after a reset or a first password set by someone else
    failed_count        INTEGER NOT NULL DEFAULT 0,     -- consecutive failed attempts
    locked_until        TEXT NOT NULL DEFAULT '',       -- ISO time; '' = not locked
    active              INTEGER NOT NULL DEFAULT 1,
    created_at          TEXT NOT NULL,
    created_by          TEXT NOT NULL DEFAULT '',
    password_changed_at TEXT NOT NULL DEFAULT '',
    last_signin_at      TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER accounts_no_delete BEFORE DELETE ON accounts
BEGIN SELECT RAISE(ABORT, 'accounts are never deleted: disable them'); END;

-- A head teacher reads only the classes listed here.
CREATE TABLE account_classes (
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    class_id    INTEGER NOT NULL REFERENCES classes(id),
    PRIMARY KEY (account_id, class_id)
);
