"""Code lists (fields, positions, item types, uses, ...), declared once as CSV files in planner/schema/vocab.

Each list has one row per code with `code, label_vi, label_en, role, pseudo` and list-specific columns
(e.g. fields.default_shortage_penalty). Models ask for a *role* ("leadership", "counter", "it",
"accounting", "total") instead of naming codes; validation, the template, labels in the workbook and
the app, docs, scenario keys and the sample generator all read these lists, so adding a field or an
item type is one data row. `pseudo` marks codes that only appear in rules (e.g. the field 'total' of
a headcount ceiling, the position 'any'); they are not values an official or item can have.

A province can replace the bundled lists with its own folder of CSVs through PLANNER_VOCAB_DIR
(missing files fall back to the bundled ones).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pandas as pd

from .errors import VocabError

BUNDLED_DIR = Path(__file__).parent / "schema" / "vocab"
REQUIRED_COLUMNS = ("code", "label_vi", "label_en", "role", "pseudo")


def _path(name: str) -> Path:
    override = os.environ.get("PLANNER_VOCAB_DIR")
    if override and (Path(override) / f"{name}.csv").exists():
        return Path(override) / f"{name}.csv"
    return BUNDLED_DIR / f"{name}.csv"


@cache
def list_names() -> tuple[str, ...]:
    """Names of every code list, in declaration order (planner/schema/vocab/lists.csv)."""
    return tuple(pd.read_csv(BUNDLED_DIR / "lists.csv", dtype=str)["list"])


@cache
def list_descriptions() -> pd.DataFrame:
    return pd.read_csv(BUNDLED_DIR / "lists.csv", dtype=str, keep_default_na=False)


@cache
def table(name: str) -> pd.DataFrame:
    """The whole list as a DataFrame (codes as text, `pseudo` as bool, other columns as read)."""
    if name not in list_names():
        raise VocabError(f"unknown code list {name!r}; known lists: {', '.join(list_names())}")
    path = _path(name)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise VocabError(f"{path}: missing column(s) {', '.join(missing)}")
    frame = frame.apply(lambda col: col.str.strip())
    if frame["code"].duplicated().any():
        raise VocabError(f"{path}: code(s) listed twice: {', '.join(frame.loc[frame['code'].duplicated(), 'code'])}")
    empty = frame[(frame["code"] == "") | (frame["label_vi"] == "") | (frame["label_en"] == "")]
    if len(empty):
        raise VocabError(f"{path}: every code needs a code, label_vi and label_en (row(s) {', '.join(str(i + 2) for i in empty.index)})")
    frame["pseudo"] = frame["pseudo"].str.lower().eq("true")
    return frame


@cache
def codes(name: str, pseudo: bool = False) -> tuple[str, ...]:
    """The codes of a list; pseudo codes ('total', 'any') only when pseudo=True."""
    frame = table(name)
    return tuple(frame["code"] if pseudo else frame.loc[~frame["pseudo"], "code"])


@cache
def role_codes(name: str, role: str) -> tuple[str, ...]:
    """Codes that play a role, e.g. role_codes('positions', 'leadership') -> ('chair', 'vice_chair')."""
    frame = table(name)
    return tuple(frame.loc[frame["role"] == role, "code"])


def role_code(name: str, role: str) -> str:
    """The one code that plays a role, e.g. role_code('fields', 'it') -> 'it_digital'."""
    found = role_codes(name, role)
    if len(found) != 1:
        raise VocabError(f"code list {name!r} must have exactly one code with role {role!r} (has {len(found)})")
    return found[0]


def label(name: str, code, lang: str) -> str:
    """Label of a code in 'vi' or 'en'; an unknown code is returned as it is."""
    return labels(name, lang).get(str(code), str(code))


@cache
def labels(name: str, lang: str) -> dict[str, str]:
    frame = table(name)
    return dict(zip(frame["code"], frame[f"label_{lang}"]))


def column(name: str, col: str, numeric: bool = False) -> dict[str, object]:
    """One list-specific column as {code: value} (empty cells left out); numeric=True converts to float."""
    frame = table(name)
    if col not in frame.columns:
        raise VocabError(f"code list {name!r} has no column {col!r}")
    values = frame.loc[frame[col] != "", ["code", col]]
    if numeric:
        return {c: float(v) for c, v in zip(values["code"], values[col])}
    return dict(zip(values["code"], values[col]))


@cache
def flagged(name: str, col: str) -> tuple[str, ...]:
    """Codes whose boolean column `col` is true, e.g. flagged('building_uses', 'facility_need')."""
    frame = table(name)
    return tuple(frame.loc[frame[col].str.lower() == "true", "code"])


def clear_cache() -> None:
    """Forget loaded lists (after PLANNER_VOCAB_DIR changes)."""
    for fn in (list_names, list_descriptions, table, labels, codes, role_codes, flagged):
        fn.cache_clear()
