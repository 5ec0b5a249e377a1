"""The data model, declared once as CSV files in this folder.

`tables.csv` lists the input tables; `<table>.csv` declares each table's columns (dtype, unit,
required, default, allowed values, bounds, reference, synthetic flag, English and Vietnamese
descriptions). Validation, the Excel input template and docs/data_dictionary.md all read these.
A categorical column names its code list in `allowed` ('@fields', '@positions*' with the pseudo codes of
rules, '@building_uses[facility_need]' for the flagged codes); the lists are in vocab/ (planner.vocab).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from .. import vocab
from ..yesno import fold

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
    label_vi: str = ""
    label_en: str = ""
    aliases: tuple[str, ...] = ()  # other headers people write for this column (any case or accents)

    def label(self, lang: str) -> str:
        """Header shown in the input workbook ('vi' or 'en'); the machine name when no label is declared."""
        return (self.label_vi if lang == "vi" else self.label_en) or self.name

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
    label_vi: str = ""
    label_en: str = ""
    stages: tuple[str, ...] = ()  # stages that read this table (a required table is asked for only when one runs)
    fallback: str | None = None  # planner/reference file used when the table is absent (e.g. the reference norms)

    def label(self, lang: str) -> str:
        """Sheet name in the input workbook ('vi' or 'en'; at most 31 characters)."""
        return (self.label_vi if lang == "vi" else self.label_en) or self.name

    def needed_for(self, stages) -> bool:
        """Whether running `stages` (None = every stage) needs this table filled in."""
        return self.required and (stages is None or bool(set(stages) & set(self.stages)))

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
                label_vi=getattr(c, "label_vi", ""),
                label_en=getattr(c, "label_en", ""),
                aliases=tuple(a for a in getattr(c, "aliases", "").split("|") if a.strip()),
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
            label_vi=row.label_vi,
            label_en=row.label_en,
            stages=tuple(s for s in row.stages.split("|") if s),
            fallback=row.fallback or None,
        )
    return specs


def allowed_values(table: str, column: str) -> tuple[str, ...]:
    """Allowed values of a categorical column, e.g. allowed_values('officials', 'field')."""
    return load_schema()[table].column(column).allowed


def _without_brackets(text: str) -> str:
    return " ".join(re.sub(r"\([^)]*\)", " ", str(text)).split())


@cache
def header_keys(table: str) -> dict[str, tuple[str, ...]]:
    """Folded header -> the column(s) it may name: machine name, Vietnamese and English label, aliases, and the labels
    without their bracketed part ('Diện tích (km²)' -> 'Diện tích'). A key naming two columns is ambiguous."""
    spec = load_schema()[table]
    keys: dict[str, list[str]] = {}
    for col in spec.columns:
        strong = [col.name, col.label_vi, col.label_en]
        for text in strong + list(col.aliases) + [_without_brackets(t) for t in strong[1:]]:
            key = fold(text)
            if key and col.name not in keys.setdefault(key, []):
                keys[key].append(col.name)
    exact = {fold(t): col.name for col in spec.columns for t in (col.name, col.label_vi, col.label_en) if t}
    return {k: (exact[k],) if k in exact else tuple(v) for k, v in keys.items()}


def column_for_header(table: str, header) -> tuple[str, ...]:
    """The column(s) a header names (empty when none); the exact label wins over an alias or a shortened label."""
    keys = header_keys(table)
    key = fold(header)
    return keys.get(key) or keys.get(fold(_without_brackets(header)), ())


@cache
def sheet_keys() -> dict[str, str]:
    """Folded sheet name (machine name, Vietnamese or English label) -> table."""
    return {fold(text): spec.name for spec in load_schema().values() for text in (spec.name, spec.label_vi, spec.label_en)
            if text}


@cache
def value_keys(table: str, column: str) -> dict[str, tuple[str, ...]]:
    """Folded value -> code(s) of a categorical column: the code, its labels in both languages and the aliases of its
    code list (planner/schema/vocab/<list>.csv, column `aliases`, separated by |). A key naming two codes is ambiguous."""
    col = load_schema()[table].column(column)
    keys: dict[str, list[str]] = {}

    def add(text, code):
        key = fold(text)
        if key and code not in keys.setdefault(key, []):
            keys[key].append(code)

    for code in col.allowed:
        add(code, code)
    if col.vocab:
        frame = vocab.table(col.vocab)
        frame = frame[frame["code"].isin(col.allowed)]
        aliases = frame["aliases"] if "aliases" in frame.columns else [""] * len(frame)
        for code, vi, en, more in zip(frame["code"], frame["label_vi"], frame["label_en"], aliases):
            for text in [vi, en, *str(more).split("|")]:
                add(text, code)
    exact = {fold(code): code for code in col.allowed}
    return {k: (exact[k],) if k in exact else tuple(v) for k, v in keys.items()}


def value_label(table: str, column: str, code, lang: str) -> str:
    """Label of a categorical code as the input workbook shows it (the code itself for literal lists)."""
    col = load_schema()[table].column(column)
    if col.vocab and code is not None:
        return vocab.label(col.vocab, code, lang)
    return str(code)


def required_tables(stages=None) -> list[str]:
    """Tables that must be filled in to run `stages` (None = every stage), in declaration order."""
    return [name for name, spec in load_schema().items() if spec.needed_for(stages)]


def tables_for(stages=None) -> list[str]:
    """Tables a workbook for `stages` holds: those a stage reads (required or not) plus the ones for every stage."""
    if stages is None:
        return list(load_schema())
    return [name for name, spec in load_schema().items() if not spec.stages or set(stages) & set(spec.stages)]
