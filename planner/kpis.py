"""KPIs as data: every key figure a model reports is declared once in planner/schema/kpis.csv.

One row per KPI: `key` (snake_case, what the models emit and programs read), `stage` (the stage
that reports it), `unit`, `label_vi` / `label_en`, `budget_of` (the KPI that is the budget this one
consumes: the Summary's budget block pairs them), `breakdown` (a code list from planner/vocab when
the KPI is one row per code, e.g. per field; the code goes in the row's `code` column) and
`description_en`. A label may hold placeholders: `{code}` for the breakdown code (shown with its
label) and at most one number such as `{km}`, whose value goes in the row's `param` column.

Models build rows with `kpi_row(key, value, code=..., km=...)`, which refuses undeclared keys; the
report, the comparison and the app take labels, units and budget pairs from here and never parse
KPI names. A plan's KPI table has the columns KPI_COLUMNS.
"""

from __future__ import annotations

import math
import re
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from . import vocab
from .errors import KpiDeclarationError, UndeclaredKpi
from .labels import check_lang, humanize

KPI_FILE = Path(__file__).parent / "schema" / "kpis.csv"
KPI_COLUMNS = ["stage", "kpi", "code", "param", "value", "unit"]
CSV_COLUMNS = ("key", "stage", "unit", "label_vi", "label_en", "budget_of", "breakdown", "description_en")
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
MISSING = "…"  # stands for a code or number a label needs but the caller did not give

__all__ = ["KPI_COLUMNS", "BudgetPair", "KpiDeclarationError", "KpiSpec", "UndeclaredKpi", "budget_pairs", "is_breakdown",
           "kpi_frame", "kpi_label", "kpi_labels", "kpi_row", "kpi_spec", "kpi_specs", "unit_of"]


@dataclass(frozen=True)
class KpiSpec:
    key: str
    stage: str
    unit: str
    label_vi: str
    label_en: str
    budget_of: str | None
    breakdown: str | None
    description_en: str

    @property
    def param(self) -> str | None:
        """Name of the number placeholder in the labels (e.g. 'km'), None without one."""
        names = _placeholders(self.label_en) - {"code"}
        return next(iter(names)) if names else None

    def template(self, lang: str) -> str:
        return self.label_vi if check_lang(lang) == "vi" else self.label_en

    def label(self, lang: str, code=None, param=None) -> str:
        """The label in `lang`, the breakdown code spelled out with its list's label, the number filled in."""
        values = {}
        if self.breakdown:
            values["code"] = vocab.label(self.breakdown, code, lang) if _present(code) else MISSING
        if self.param:
            values[self.param] = _number_text(param) if _present(param) else MISSING
        return self.template(lang).format(**values)


class BudgetPair(NamedTuple):
    budget: str  # key of the KPI holding the budget
    used: str  # key of the KPI holding what the plan spends of it


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _text(value) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


@cache
def kpi_specs() -> dict[str, KpiSpec]:
    """Every declared KPI by key, in declaration order (the CSV is read once and checked)."""
    frame = pd.read_csv(KPI_FILE, dtype=str, keep_default_na=False)
    if tuple(frame.columns) != CSV_COLUMNS:
        raise KpiDeclarationError(f"{KPI_FILE}: columns must be {', '.join(CSV_COLUMNS)}")
    specs: dict[str, KpiSpec] = {}
    for row in frame.itertuples(index=False):
        spec = KpiSpec(key=row.key.strip(), stage=row.stage.strip(), unit=row.unit.strip(), label_vi=row.label_vi.strip(),
                       label_en=row.label_en.strip(), budget_of=_text(row.budget_of), breakdown=_text(row.breakdown),
                       description_en=row.description_en.strip())
        if spec.key in specs:
            raise KpiDeclarationError(f"{KPI_FILE}: KPI {spec.key!r} is declared twice")
        specs[spec.key] = spec
    for spec in specs.values():
        _check(spec, specs)
    return specs


def _check(spec: KpiSpec, specs: dict[str, KpiSpec]) -> None:
    where = f"{KPI_FILE}: KPI {spec.key!r}"
    if not KEY_PATTERN.fullmatch(spec.key):
        raise KpiDeclarationError(f"{where}: keys are snake_case (a-z, 0-9, _)")
    if not (spec.stage and spec.label_vi and spec.label_en):
        raise KpiDeclarationError(f"{where}: stage, label_vi and label_en are required")
    if spec.stage not in vocab.codes("stages"):
        raise KpiDeclarationError(f"{where}: unknown stage {spec.stage!r} (code list 'stages')")
    if spec.budget_of is not None and spec.budget_of not in specs:
        raise KpiDeclarationError(f"{where}: budget_of names the undeclared KPI {spec.budget_of!r}")
    if spec.breakdown is not None and spec.breakdown not in vocab.list_names():
        raise KpiDeclarationError(f"{where}: breakdown names the unknown code list {spec.breakdown!r}")
    names_vi, names_en = _placeholders(spec.label_vi), _placeholders(spec.label_en)
    if names_vi != names_en:
        raise KpiDeclarationError(f"{where}: label_vi and label_en hold different placeholders")
    if ("code" in names_en) != (spec.breakdown is not None):
        raise KpiDeclarationError(f"{where}: a label holds {{code}} exactly when the KPI has a breakdown")
    if len(names_en - {"code"}) > 1:
        raise KpiDeclarationError(f"{where}: a label holds at most one number placeholder")


def kpi_spec(key: str) -> KpiSpec:
    """The declaration of `key`; UndeclaredKpi when kpis.csv does not declare it."""
    try:
        return kpi_specs()[key]
    except KeyError:
        raise UndeclaredKpi(f"KPI {key!r} is not declared in planner/schema/kpis.csv") from None


def kpi_row(key: str, value, stage: str | None = None, code: str | None = None, **params) -> dict:
    """One KPI row (KPI_COLUMNS) with the declared stage and unit; refuses undeclared keys, missing or stray codes
    and numbers the label does not hold (e.g. kpi_row('population_within_service_distance', 98.5, km=15))."""
    spec = kpi_spec(key)
    if (code is None) != (spec.breakdown is None):
        raise ValueError(f"KPI {key!r}: " + (f"give the {spec.breakdown} code of the row" if spec.breakdown
                                              else "has no breakdown, so no code"))
    expected = {spec.param} if spec.param else set()
    if set(params) != expected:
        raise ValueError(f"KPI {key!r} takes {', '.join(sorted(expected)) or 'no'} parameter(s), "
                         f"not {', '.join(sorted(params)) or 'none'}")
    return {"stage": stage or spec.stage, "kpi": key, "code": code, "param": params.get(spec.param),
            "value": value, "unit": spec.unit}


def kpi_frame(rows: list[dict]) -> pd.DataFrame:
    """KPI rows as a plan's KPI table (columns KPI_COLUMNS)."""
    return pd.DataFrame(rows, columns=KPI_COLUMNS)


def _field(row, name: str):
    if isinstance(row, (dict, pd.Series)):
        return row.get(name)
    return getattr(row, name, None)


def _present(value) -> bool:
    if value is None or value is pd.NA:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return str(value) != ""


def _number_text(value) -> str:
    if isinstance(value, str):
        return value
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def kpi_label(row_or_key, lang: str) -> str:
    """Label of a KPI row (mapping, Series or itertuples row with kpi, code, param) or of a bare key, in `lang`.

    A key that kpis.csv does not declare (e.g. in a plan made by hand) is humanized, its code appended.
    """
    if isinstance(row_or_key, str):
        key, code, param = row_or_key, None, None
    else:
        key, code, param = str(_field(row_or_key, "kpi")), _field(row_or_key, "code"), _field(row_or_key, "param")
    spec = kpi_specs().get(key)
    if spec is None:
        check_lang(lang)
        return humanize(key) + (f" - {code}" if _present(code) else "")
    return spec.label(lang, code, param)


def kpi_labels(frame: pd.DataFrame, lang: str) -> list[str]:
    """Label of every row of a table with a `kpi` column (and, when present, `code` and `param`)."""
    rows = frame.reindex(columns=["kpi", "code", "param"]).astype(object)
    return [kpi_label({"kpi": k, "code": c, "param": p}, lang) for k, c, p in rows.itertuples(index=False, name=None)]


def is_breakdown(key: str) -> bool:
    """A KPI that repeats a total once per code (per field, per building use)."""
    spec = kpi_specs().get(str(key))
    return spec is not None and spec.breakdown is not None


def unit_of(key: str) -> str:
    return kpi_spec(key).unit


def budget_pairs() -> list[BudgetPair]:
    """(budget, used) KPI key pairs from the budget_of column, in declaration order."""
    return [BudgetPair(spec.budget_of, spec.key) for spec in kpi_specs().values() if spec.budget_of]
