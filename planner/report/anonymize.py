"""Anonymization of the workbooks: officials' names replaced by their ids, in name columns and inside any text."""

from __future__ import annotations

import re

import pandas as pd

from .. import labels as L
from ..dataset import Dataset


class Anonymizer:
    """Replaces officials' names with their ids, in name columns and inside any text."""

    def __init__(self, name_to_id: dict[str, str]):
        self.name_to_id = name_to_id
        names = sorted(name_to_id, key=len, reverse=True)
        self.pattern = (re.compile(r"(?<!\w)(" + "|".join(map(re.escape, names)) + r")(?!\w)")
                        if names else None)

    @classmethod
    def build(cls, dataset: Dataset | None, tables: dict[str, pd.DataFrame]) -> "Anonymizer":
        """Names and ids from the dataset's officials and from every table holding both."""
        pairs = []
        if dataset is not None and len(dataset["officials"]):
            pairs.append(dataset["officials"][["name", "id"]].rename(columns={"id": "official_id"}))
        for df in tables.values():
            if {"name", "official_id"} <= set(df.columns):
                pairs.append(df[["name", "official_id"]])
        if not pairs:
            return cls({})
        both = pd.concat(pairs).dropna().astype(str).drop_duplicates()
        both = both[both["name"].str.strip() != ""]
        ids = both.groupby("name")["official_id"].agg(lambda s: "/".join(sorted(set(s))))
        return cls(ids.to_dict())

    def frame(self, df: pd.DataFrame) -> pd.DataFrame:
        out = df.copy()
        id_col = next((c for c in ("official_id", "officer_id") if c in out.columns), None)
        if id_col is not None and "name" in out.columns:
            out["name"] = out[id_col]
        if self.pattern is None:
            return out
        for col in out.columns:
            if _is_free_text(col) and (out[col].dtype == object or pd.api.types.is_string_dtype(out[col])):
                out[col] = out[col].map(self.text, na_action="ignore")
        return out

    def text(self, value):
        if self.pattern is None or not isinstance(value, str):
            return value
        return self.pattern.sub(lambda m: self.name_to_id[m.group(1)], value)


def _is_free_text(column: str) -> bool:
    """Columns that may mention people in words (notes, reasons), unlike ids, codes, place names, categories."""
    base = L.base_column(column)
    return not (base in L.VALUE_KIND or base in ("name", "unit") or base.endswith(("_id", "_code", "_name")))
