"""The family-sharing part of `load_reference_data` (the command calls `load` of every one of our
apps that has a `reference` module, in INSTALLED_APPS order, so accounts' regions exist already):
the default policy versions of every pooling region. Why these dates: docs/decisions/0007-policy-dates.md."""

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from family_sharing.models import PolicyScope
from family_sharing.policy import PolicyDefault, policy_defaults_load

POLICY_DEFAULTS = (
    # 国办发〔2021〕14号《关于建立健全职工基本医疗保险门诊共济保障机制的指导意见》, issued 2021-04-13
    # and published 2021-04-22: the personal account may pay for the holder's spouse, parents and
    # children. Regions adopted it on their own dates from 2021; the day of publication is the
    # earliest date any region could have applied it.
    PolicyDefault(
        dt.date(2021, 4, 22),
        PolicyScope.CORE_FAMILY,
        "默认：国办发〔2021〕14号，个人账户可用于本人配偶、父母、子女",
    ),
    # 国办发〔2024〕38号《关于健全基本医疗保险参保长效机制的指导意见》 (published August 2024): sharing
    # extends to near relatives; every province had done so by the end of 2024 (DESIGN.md section 5),
    # so 2024-12-31 is the date from which every region is certain to allow it.
    PolicyDefault(
        dt.date(2024, 12, 31),
        PolicyScope.NEAR_RELATIVES,
        "默认：国办发〔2024〕38号，共济范围扩大到近亲属（各省2024年底前实现）",
    ),
)


def load(*, data_dir: Path, options: Mapping[str, Any]) -> list[str]:
    """Inserts the default versions a region lacks; never changes a stored version."""
    loaded = policy_defaults_load(defaults=POLICY_DEFAULTS)
    return [
        f"default policy versions: {loaded.inserted + loaded.kept} "
        f"(inserted {loaded.inserted}, kept {loaded.kept})"
    ]
