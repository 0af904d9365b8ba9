"""``xueji`` verbs for the audit log: verify and list (issue: security and reliability): registered into app/cli.py's parser."""
from __future__ import annotations

NESTED: set[str] = set()  # verbs that take an ACTION (e.g. "cert")
COMMANDS: dict = {}  # "verb" or "verb_action" -> function(args, out) -> exit code


def register(sub, add, parser_class, groups) -> None:
    """Add this module's verbs to the top-level subparsers ``sub`` (``add(parent, name, help)`` makes one;
    ``groups["student"]`` etc. are the existing action subparsers)."""
