"""The accounts app's part of `load_reference_data` (the command calls `load` of every one of
our apps that has a `reference` module, in INSTALLED_APPS order)."""

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from accounts.imports.reference import reference_load


def load(*, data_dir: Path, options: Mapping[str, Any]) -> list[str]:
    """Provinces, relation codes, pooling regions, the cross-province first batch."""
    enabled_from: dt.date | None = options.get("cross_province_from")
    return [str(loaded) for loaded in reference_load(data_dir=data_dir, cross_province_from=enabled_from)]
