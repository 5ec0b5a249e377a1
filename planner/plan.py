"""Plan: result tables + KPIs + solver runs + provenance, and the pipeline that runs the stages.

Stages (each can run alone; it falls back on norms or commune centres when an earlier stage did not run):
  1. sites     headquarters + service points            planner.models.headquarters.plan_sites
  2. staffing  officials -> communes, IT support         planner.models.staffing.plan_staffing
  3. assets    building uses, equipment                  planner.models.buildings / planner.models.equipment
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import __version__
from .dataset import Dataset
from .scenario import Scenario
from .solve import SolveInfo
from .stage import StageResult

STAGES = ("sites", "staffing", "assets")


@dataclass
class Plan:
    tables: dict[str, pd.DataFrame]
    kpis: pd.DataFrame
    solves: pd.DataFrame
    provenance: dict
    notes: list[str] = field(default_factory=list)
    status: str = "draft"  # draft | reviewed | approved

    def kpi(self, name: str, stage: str | None = None):
        rows = self.kpis[self.kpis["kpi"] == name]
        if stage is not None:
            rows = rows[rows["stage"] == stage]
        return rows["value"].iloc[0] if len(rows) else None

    def write_csv(self, folder: str | Path) -> list[Path]:
        """Every result table as <folder>/<table>.csv (names documented in docs/outputs.md)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, df in self.all_tables().items():
            path = folder / f"{name}.csv"
            df.to_csv(path, index=False, encoding="utf-8")
            written.append(path)
        return written

    def all_tables(self) -> dict[str, pd.DataFrame]:
        """Result tables plus KPI tables per stage, solver runs and provenance."""
        out = dict(self.tables)
        for stage in self.kpis["stage"].unique():
            out[f"{stage}_kpis"] = self.kpis[self.kpis["stage"] == stage].reset_index(drop=True)
        out["solver_runs"] = self.solves
        out["provenance"] = pd.DataFrame({"key": list(self.provenance), "value": [str(v) for v in self.provenance.values()]})
        return out


def headcount_from_assignments(assignments: pd.DataFrame) -> pd.DataFrame:
    """Planned headcount per commune, position and field, from the staffing plan."""
    return (assignments.groupby(["commune_code", "position", "field"], as_index=False).size()
            .rename(columns={"size": "headcount"}))


def run_plan(ds: Dataset, scenario: Scenario, stages: tuple[str, ...] = STAGES) -> Plan:
    """Run the chosen stages in order; raise PlanInfeasible with an explanation when one cannot be met."""
    from .models.buildings import plan_building_uses
    from .models.equipment import plan_equipment
    from .models.headquarters import plan_sites
    from .models.staffing import plan_staffing

    results: dict[str, StageResult] = {}
    if "sites" in stages and scenario.assets.enabled:
        results["sites"] = plan_sites(ds, scenario, headcount=None)
    hq = results["sites"].tables["hq_plan"] if "sites" in results else None
    if "staffing" in stages and scenario.staffing.enabled:
        results["staffing"] = plan_staffing(ds, scenario, hq=hq)
    if "assets" in stages and scenario.assets.enabled:
        headcount = (headcount_from_assignments(results["staffing"].tables["assignments"])
                     if "staffing" in results else None)
        results["buildings"] = plan_building_uses(ds, scenario, sites=results.get("sites"),
                                                  staffing=results.get("staffing"))
        results["equipment"] = plan_equipment(ds, scenario, headcount=headcount, sites=results.get("sites"))

    tables: dict[str, pd.DataFrame] = {}
    kpis, solves, notes = [], [], []
    for result in results.values():
        tables.update(result.tables)
        kpis.extend(result.kpis)
        solves.extend(s.as_row() for s in result.solves)
        notes.extend(result.notes)
    provenance = {
        "province": ds.province,
        "data_source": ds.source,
        "data_hash": ds.data_hash(),
        "scenario_name": scenario.name,
        "scenario_digest": scenario.digest(),
        "scenario_yaml": scenario.to_yaml(),
        "stages": ",".join(results),
        "planner_version": __version__,
        "created_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
    }
    return Plan(
        tables=tables,
        kpis=pd.DataFrame(kpis, columns=["stage", "kpi", "value", "unit"]),
        solves=pd.DataFrame(solves, columns=list(SolveInfo.__dataclass_fields__)),
        provenance=provenance,
        notes=notes,
    )
