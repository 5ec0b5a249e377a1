"""The pipeline: a registry of stages run in order, each reading the results of the stages before it.

  sites      headquarters + service points      planner.models.headquarters.plan_sites
  staffing   officials -> communes, IT support   planner.models.staffing.plan_staffing
  buildings  use of every other building         planner.models.buildings.plan_building_uses
  equipment  transfers, repairs, purchases       planner.models.equipment.plan_equipment

Each stage can run alone: without sites, staffing uses commune centres; without staffing, the asset
stages size headquarters and equipment on the norms' minimums. Stage names are the `stages` code list.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from . import __version__, vocab
from .dataset import Dataset
from .derived import headcount_from_assignments
from .errors import InputError, Problem
from .models.buildings import plan_building_uses
from .models.equipment import plan_equipment
from .models.headquarters import plan_sites
from .models.staffing import plan_staffing
from .norms_used import norms_used
from .plan import Plan
from .readback import read_plan_assignments
from .scenario import Scenario
from .solver import SolveInfo
from .stage import Stage, StageContext, StageResult


def _sites(ctx: StageContext) -> StageResult:
    return plan_sites(ctx.dataset, ctx.scenario, headcount=None)


def _staffing(ctx: StageContext) -> StageResult:
    sites = ctx.results.get("sites")
    return plan_staffing(ctx.dataset, ctx.scenario, hq=sites.tables["hq_plan"] if sites else None,
                         previous=ctx.previous_assignments)


def _buildings(ctx: StageContext) -> StageResult:
    return plan_building_uses(ctx.dataset, ctx.scenario, sites=ctx.results.get("sites"),
                              staffing=ctx.results.get("staffing"))


def _equipment(ctx: StageContext) -> StageResult:
    staffing = ctx.results.get("staffing")
    headcount = headcount_from_assignments(staffing.tables["assignments"]) if staffing else None
    return plan_equipment(ctx.dataset, ctx.scenario, headcount=headcount, sites=ctx.results.get("sites"))


def _assets_on(scenario: Scenario) -> bool:
    return scenario.assets.enabled


REGISTRY: tuple[Stage, ...] = (
    Stage("sites", requires=(), run=_sites, enabled=_assets_on),
    Stage("staffing", requires=("sites",), run=_staffing, enabled=lambda scenario: scenario.staffing.enabled),
    Stage("buildings", requires=("sites", "staffing"), run=_buildings, enabled=_assets_on),
    Stage("equipment", requires=("sites", "staffing"), run=_equipment, enabled=_assets_on),
)
STAGES: tuple[str, ...] = tuple(stage.name for stage in REGISTRY)


def previous_assignments(scenario: Scenario) -> pd.DataFrame | None:
    """The earlier plan's assignments (staffing.previous_plan: a result workbook or CSV), or None."""
    path = scenario.staffing.previous_plan
    if not path:
        return None
    try:
        return read_plan_assignments(path)
    except (OSError, ValueError) as exc:
        raise InputError([Problem(str(path), None, None, None, None,
                                  f"an earlier plan (result workbook or assignments CSV) that can be read ({exc})")],
                         str(path)) from None


def run_plan(ds: Dataset, scenario: Scenario, stages: tuple[str, ...] | None = None) -> Plan:
    """Run the chosen stages (default: all) in registry order; raise PlanInfeasible with an explanation
    when one cannot be met."""
    chosen = STAGES if stages is None else tuple(stages)
    unknown = sorted(set(chosen) - set(STAGES))
    if unknown:
        raise ValueError(f"unknown stage(s) {', '.join(unknown)}; stages are {', '.join(vocab.codes('stages'))}")
    ctx = StageContext(dataset=ds, scenario=scenario, previous_assignments=previous_assignments(scenario))
    for stage in REGISTRY:
        if stage.name in chosen and stage.enabled(scenario):
            ctx.results[stage.name] = stage.run(ctx)
    return assemble(ds, scenario, ctx.results)


def assemble(ds: Dataset, scenario: Scenario, results: dict[str, StageResult]) -> Plan:
    """One Plan from the stage results, with provenance (input hash, scenario, versions, time)."""
    tables: dict[str, pd.DataFrame] = {}
    kpis, solves, notes = [], [], []
    for result in results.values():
        tables.update(result.tables)
        kpis.extend(result.kpis)
        solves.extend(s.as_row() for s in result.solves)
        notes.extend(result.notes)
    tables["norms_used"] = norms_used(ds, scenario)  # the rules in force and their legal sources
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
        kpis=pd.DataFrame(kpis, columns=["stage", "kpi", "code", "param", "value", "unit"]),  # planner.kpis.KPI_COLUMNS
        solves=pd.DataFrame(solves, columns=list(SolveInfo.__dataclass_fields__)),
        provenance=provenance,
        notes=notes,
    )
