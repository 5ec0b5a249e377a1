"""Dataset: one province's input tables, loaded from an Excel workbook or a folder of CSVs.

The column declarations in planner/schema drive typing; planner.validate reports every problem at
once (InputError) before any model sees the data.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .files import save_atomic
from .schema import TableSpec, load_schema
from .yesno import parse_yes_no

PANDAS_DTYPE = {"int": "Int64", "float": "float64", "bool": "boolean", "str": "string", "category": "string"}


def empty_table(spec: TableSpec) -> pd.DataFrame:
    """A table with the declared columns and dtypes and no rows."""
    return pd.DataFrame({c.name: pd.Series(dtype=PANDAS_DTYPE[c.dtype]) for c in spec.columns})


def conform(df: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Declared columns in declared order, defaults filled, declared dtypes (assumes valid values).

    Text is trimmed and NFC-normalized; empty text counts as missing (so it round-trips through Excel and CSV).

    Integer columns are nullable Int64, text is pandas 'string', booleans are nullable 'boolean',
    so optional cells stay <NA> instead of turning into floats or 'nan' strings.
    """
    out = {}
    for col in spec.columns:
        values = df[col.name] if col.name in df.columns else pd.Series([pd.NA] * len(df), index=df.index)
        if col.dtype in ("str", "category"):
            values = values.map(_clean_text, na_action="ignore")
        if col.default_value is not None:
            values = values.where(values.notna(), col.default_value)
        if col.dtype == "int":
            values = pd.to_numeric(values, errors="coerce").round().astype("Int64")
        elif col.dtype == "float":
            values = pd.to_numeric(values, errors="coerce").astype("float64")
        elif col.dtype == "bool":
            values = values.map(parse_yes_no, na_action="ignore").astype("boolean")
        else:
            values = values.astype("string")
        out[col.name] = values
    return pd.DataFrame(out).reset_index(drop=True)


def _clean_text(value):
    """Text trimmed and in composed Unicode (NFC), so 'Xã' typed on any system compares equal; blank is missing."""
    return _clean_str(str(value))


@functools.lru_cache(maxsize=1 << 16)
def _clean_str(text: str):
    """_clean_text of one text, remembered (a column repeats the same labels thousands of times)."""
    text = unicodedata.normalize("NFC", text).strip()
    return text if text else pd.NA


@dataclass
class Dataset:
    """One province: a typed DataFrame per schema table (optional tables may be empty)."""

    tables: dict[str, pd.DataFrame]
    source: str = "<memory>"
    sheet_rows: dict[str, pd.Series] = field(default_factory=dict, repr=False)
    notes: list = field(default_factory=list, repr=False)  # what loading filled in (e.g. reference norms), for the plan
    stages: tuple[str, ...] | None = None  # stages the data was checked for (None: every stage)

    @classmethod
    def from_frames(cls, frames: dict[str, pd.DataFrame], source: str = "<memory>") -> "Dataset":
        """Conform raw frames to the schema (no validation; use planner.validate for that)."""
        schema = load_schema()
        unknown = set(frames) - set(schema)
        if unknown:
            raise KeyError(f"unknown tables: {sorted(unknown)}")
        tables = {name: conform(frames[name], spec) if name in frames else empty_table(spec)
                  for name, spec in schema.items()}
        return cls(tables=tables, source=source)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    @property
    def province(self) -> str:
        """Province name from the info table, else the source file's stem."""
        info = self.tables.get("info")
        if info is not None and len(info):
            hit = info.loc[info["key"] == "province_name", "value"]
            if len(hit):
                return str(hit.iloc[0])
        return Path(self.source).stem if self.source != "<memory>" else "province"

    def data_hash(self) -> str:
        """Hash of every table's content, recorded with each result (provenance)."""
        digest = hashlib.sha256()
        for name in sorted(self.tables):
            digest.update(name.encode())
            digest.update(self.tables[name].to_csv(index=False).encode())
        return digest.hexdigest()[:16]

    def save_csv(self, folder: str | Path) -> Path:
        """Write <table>.csv per non-empty table."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        schema = load_schema()
        for name, df in self.tables.items():
            if len(df) or schema[name].required:
                save_atomic(folder / f"{name}.csv", lambda tmp, df=df: df.to_csv(tmp, index=False))
        return folder

