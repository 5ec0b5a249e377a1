"""The data model, declared once as CSV files in this folder.

`tables.csv` lists the input tables; `<table>.csv` declares each table's columns (dtype, unit,
required, default, allowed values, bounds, reference, synthetic flag, English and Vietnamese
descriptions). Validation, the Excel input template and docs/data_dictionary.md all read these.
A categorical column names its code list in `allowed` ('@fields', '@positions*' with the pseudo codes of
rules, '@building_uses[facility_need]' for the flagged codes); the lists are in vocab/ (planner.vocab).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from .. import vocab

SCHEMA_DIR = Path(__file__).parent


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    dtype: str  # int | float | str | bool | category
    unit: str
    required: bool
    default: str | None
    allowed: tuple[str, ...]
    min: float | None
    max: float | None
    references: str | None  # "table.column"
    vocab: str | None  # code list the allowed values come from (planner/schema/vocab/<vocab>.csv)
    synthetic: bool
    description_en: str
    description_vi: str

    @property
    def default_value(self):
        """The default converted to the column's dtype (None when there is none)."""
        if self.default is None:
            return None
        if self.dtype == "int":
            return int(self.default)
        if self.dtype == "float":
            return float(self.default)
        if self.dtype == "bool":
            return self.default.lower() == "true"
        return self.default


@dataclass(frozen=True)
class TableSpec:
    name: str
    required: bool
    key: tuple[str, ...]  # column(s) that must be unique together; empty = none
    description_en: str
    description_vi: str
    columns: tuple[ColumnSpec, ...]

    def column(self, name: str) -> ColumnSpec:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _text(value) -> str | None:
    if pd.isna(value) or str(value).strip() == "":
        return None
    return str(value).strip()


def _number(value) -> float | None:
    text = _text(value)
    return None if text is None else float(text)


def _vocab_name(allowed: str) -> str | None:
    """'@fields*' -> 'fields' (a reference to a code list), else None."""
    if not allowed.startswith("@"):
        return None
    return allowed[1:].split("[")[0].rstrip("*")


def _allowed(allowed: str) -> tuple[str, ...]:
    """Allowed values: '@list' = the list's codes, '@list*' = with pseudo codes ('total', 'any'),
    '@list[flag]' = codes whose boolean column `flag` is true, 'a|b|c' = literal values."""
    if not allowed:
        return ()
    if not allowed.startswith("@"):
        return tuple(allowed.split("|"))
    name = _vocab_name(allowed)
    if "[" in allowed:
        return vocab.flagged(name, allowed[allowed.index("[") + 1:allowed.index("]")])
    return vocab.codes(name, pseudo=allowed.endswith("*"))


@cache
def load_schema() -> dict[str, TableSpec]:
    """All table specs in declaration order (cached; the CSVs are package data)."""
    tables = pd.read_csv(SCHEMA_DIR / "tables.csv", dtype=str, keep_default_na=False)
    specs: dict[str, TableSpec] = {}
    for row in tables.itertuples(index=False):
        cols = pd.read_csv(SCHEMA_DIR / f"{row.table}.csv", dtype=str, keep_default_na=False)
        columns = tuple(
            ColumnSpec(
                name=c.column,
                dtype=c.dtype,
                unit=c.unit,
                required=c.required == "true",
                default=_text(c.default),
                allowed=_allowed(c.allowed),
                vocab=_vocab_name(c.allowed),
                min=_number(c.min),
                max=_number(c.max),
                references=_text(c.references),
                synthetic=c.synthetic == "true",
                description_en=c.description_en,
                description_vi=c.description_vi,
            )
            for c in cols.itertuples(index=False)
        )
        specs[row.table] = TableSpec(
            name=row.table,
            required=row.required == "true",
            key=tuple(row.id_column.split("+")) if row.id_column else (),
            description_en=row.description_en,
            description_vi=row.description_vi,
            columns=columns,
        )
    return specs


def allowed_values(table: str, column: str) -> tuple[str, ...]:
    """Allowed values of a categorical column, e.g. allowed_values('officials', 'field')."""
    return load_schema()[table].column(column).allowed
