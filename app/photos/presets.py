"""Photo presets as data: resources/photo_presets.json (national 358×441 @ 350 dpi < 60 KB, 307×378, custom).

``custom`` is the one a user may edit: :func:`custom_preset` builds one from given values."""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import lru_cache

from app.core.paths import resource

DEFAULT = "national"


@dataclass(frozen=True)
class Preset:
    name: str
    width: int
    height: int
    dpi: int
    max_bytes: int
    bg_rgb: tuple[int, int, int]
    bg_tolerance: float
    editable: bool = False

    @property
    def aspect(self) -> float:
        return self.width / self.height


@lru_cache(maxsize=1)
def _load() -> dict[str, Preset]:
    data = json.loads(resource("photo_presets.json").read_text(encoding="utf-8"))
    out = {}
    for name, v in data.items():
        if name.startswith("_"):
            continue
        out[name] = Preset(name, int(v["width"]), int(v["height"]), int(v["dpi"]), int(v["max_bytes"]),
                           tuple(int(c) for c in v["bg_rgb"]), float(v["bg_tolerance"]), bool(v.get("editable")))
    return out


def names() -> list[str]:
    return list(_load())


def get_preset(name: str | Preset = DEFAULT) -> Preset:
    if isinstance(name, Preset):
        return name
    try:
        return _load()[name]
    except KeyError:
        from app.photos.errors import PhotoError
        from app.core.i18n import tr
        raise PhotoError("PHOTO.PRESET", tr("photo.err.preset", name=name, names=tr("common.item_sep").join(_load()))) from None


def custom_preset(**values) -> Preset:
    """The ``custom`` preset with ``values`` (width, height, dpi, max_bytes, bg_rgb, bg_tolerance) applied."""
    return replace(_load()["custom"], **values)
