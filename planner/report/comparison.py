"""The scenario-comparison workbook: the tables of planner.compare.compare_plans, one formatted sheet each.

The first sheet ("plans") carries the provenance of every plan compared: name, status, who reviewed and approved it
and when, when it was saved and by whom, input data hash, scenario, when it was solved.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import labels as L
from .anonymize import Anonymizer
from .sheets import SheetWriter, ordered

COMPARISON_ORDER = ["plans", "kpis", "moved_officials", "shortage_delta", "building_changes", "purchase_changes"]


def write_comparison_workbook(comparison: dict[str, pd.DataFrame], path: Path, lang: str = "vi",
                              anonymize: bool = False) -> Path:
    """Write only the scenario comparison (tables from planner.compare.compare_plans)."""
    writer = SheetWriter(lang, None, "", ", ".join(scenarios_in(comparison)), None,
                         Anonymizer.build(None, comparison) if anonymize else None)
    for name, df in ordered(comparison, COMPARISON_ORDER).items():
        writer.table(name, df)
    return writer.save(Path(path), protected=[])


def scenarios_in(comparison: dict[str, pd.DataFrame]) -> list[str]:
    """The plans compared, from the 'value [<plan>]' columns of the KPI table."""
    kpis = comparison.get("kpis")
    if kpis is None:
        return []
    hits = (L.SCENARIO_COLUMN.match(c) for c in kpis.columns)
    return [hit["scenario"] for hit in hits if hit and hit["base"] == "value"]
