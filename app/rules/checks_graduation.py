"""Rule checks for promotion and graduation: general functions ``check(ctx, params) -> list[dict]`` whose
numbers and lists come from the rule's params (resources/rules/graduation/<profile>.toml)."""
from __future__ import annotations

CHECKS: dict = {}
