"""Edits of the input a user makes before solving (from the app, a notebook or a script).

`with_pins` fixes officials to a commune and position, as decisions already taken: the staffing model
keeps them there (the officials table's fixed_commune / fixed_position columns).
"""

from __future__ import annotations

import pandas as pd

from .dataset import Dataset

PIN_COLUMNS = ["official_id", "commune_code", "position"]


def with_pins(ds: Dataset, pins: pd.DataFrame) -> Dataset:
    """A copy of the dataset where the pinned officials (rows of PIN_COLUMNS; the last pin of an official
    wins) have fixed_commune / fixed_position set; the dataset itself when there is no pin."""
    if pins.empty:
        return ds
    officials = ds["officials"].copy()
    chosen = pins.drop_duplicates("official_id", keep="last").set_index("official_id")
    hit = officials["id"].isin(chosen.index)
    officials.loc[hit, "fixed_commune"] = officials.loc[hit, "id"].map(chosen["commune_code"]).astype("Int64")
    officials.loc[hit, "fixed_position"] = officials.loc[hit, "id"].map(chosen["position"]).astype("string")
    return Dataset(tables={**ds.tables, "officials": officials}, source=ds.source)
