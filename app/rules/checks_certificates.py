"""Rule checks for certificates (printing issue): general functions ``check(ctx, params) -> list[dict]`` whose
numbers and lists come from the rule's params (resources/rules/certificates/<profile>.toml)."""
from __future__ import annotations

CHECKS: dict = {}
