"""Rule checks for status changes (学籍异动): general functions ``check(ctx, params) -> list[dict]`` whose
numbers and lists come from the rule's params (resources/rules/changes/<profile>.toml)."""
from __future__ import annotations

CHECKS: dict = {}
