"""Reading a service's answer: the services return dataclasses or dicts, the views read either."""
from __future__ import annotations


def field(obj, key, default=None):
    """``key`` of a dict, or the attribute ``key`` of an object; ``default`` when absent."""
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)
