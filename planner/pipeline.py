"""The pipeline: a registry of stages run in order, each reading the results of the stages before it.

  sites      headquarters + service points      planner.models.headquarters.SitesPlanner
  staffing   officials -> communes, IT support   planner.models.staffing.plan_staffing
  buildings  use of every other building         planner.models.buildings.plan_building_uses
  equipment  transfers, repairs, purchases       planner.models.equipment.plan_equipment

Each stage can run alone: without sites, staffing uses commune centres; without staffing, the asset
stages size headquarters and equipment on the norms' minimums. Stage names are the `stages` code list.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

import numpy as np
import pandas as pd

from . import __version__, vocab
from .dataset import Dataset
from .derived import cost_parameter, headcount_from_assignments, required_office_area
from .errors import InputError, PlanInfeasible, Problem
from .kpis import kpi_row
from .messages import message
from .models.buildings import plan_building_uses
from .models.equipment import plan_equipment
from .models.headquarters import SitesPlanner
from .models.staffing import StaffingPlanner
from .norms_used import norms_used
from .plan import Plan
from .readback import read_plan_assignments
from .scenario import Scenario
from .side import outcome
from .solver import SolveInfo
from .stage import Stage, StageContext, StageResult


def _sites(ctx: StageContext) -> StageResult:
    """HQs on the norms' minimum headcount and service points. When staffing runs next, it re-fits the HQs to the
    staff it assigns: this stage then chooses the HQs alone (staffing needs them) and leaves the service points to
    the end of the re-fit, which plans them once, for the final HQs (planner.models.headquarters.SitesPlanner)."""
    planner = ctx.models["sites"] = SitesPlanner(ctx.dataset, ctx.scenario)
    hq, solves = planner.choose(None)
    if "staffing" in ctx.stages:
        return StageResult(tables={"hq_plan": hq}, solves=solves)
    _start_equipment(ctx, hq, None)
    return planner.finish(hq, solves)


def _staffing(ctx: StageContext) -> StageResult:
    """Officials to communes. When the sites stage ran, the headquarters are re-chosen and re-sized for the staff the
    plan assigns, and staffing is re-solved for the new headquarters (the same model, new commute costs:
    planner.models.staffing.StaffingPlanner), until the HQ buildings stop changing (at most FIT_ROUNDS sizings; the
    last one sizes the HQs for the final staffing plan, whose commutes were then computed to the HQs of the round
    before); then the service points are planned for the final HQs, the sites result is replaced and an area check
    added to it."""
    ds, scenario = ctx.dataset, ctx.scenario
    sites = ctx.results.get("sites")
    staffing = StaffingPlanner(ds, scenario, previous=ctx.previous_assignments)
    headcount = staffing.place(sites.tables["hq_plan"] if sites else None)
    if sites is None:
        return staffing.result()
    planner = ctx.models.get("sites") or SitesPlanner(ds, scenario)
    hq, solves, notes = sites.tables["hq_plan"], list(sites.solves), []
    rounds = 0
    while rounds < FIT_ROUNDS:
        try:
            fitted, fitted_solves = planner.choose(headcount)
        except PlanInfeasible as exc:  # e.g. the renovation budget cannot extend the HQs for the assigned staff
            notes.append(message("sites_not_refitted", reason=" ".join(str(line) for line in exc.lines)))
            break
        rounds += 1
        moved = not _same_buildings(hq, fitted)
        hq, solves = fitted, solves + fitted_solves
        if not moved or rounds == FIT_ROUNDS:  # the last sizing is for the staff of the final staffing plan
            break
        headcount = staffing.place(hq)
    _start_equipment(ctx, hq, headcount)  # the last placement's headcount: what the staffing result will hold
    result = staffing.result()
    sites = planner.finish(hq, solves, notes)
    check = hq_area_check(ds, scenario, hq, result.tables["assignments"])
    sites.tables["hq_area_check"] = check
    sites.kpis += [kpi_row("hq_short_of_area", int((check["missing_m2"] > 0).sum())),
                   kpi_row("sites_staffing_rounds", rounds)]
    if rounds:
        sites.notes.append(message("sites_fitted", rounds=rounds))
    ctx.results["sites"] = sites
    return result


FIT_ROUNDS = 3


def _same_buildings(before: pd.DataFrame, after: pd.DataFrame) -> bool:
    key = ["commune_code", "building_id"]
    return before[key].astype(str).sort_values(key).values.tolist() == after[key].astype(str).sort_values(key).values.tolist()


def hq_area_check(ds: Dataset, scenario: Scenario, hq_plan: pd.DataFrame, assignments: pd.DataFrame) -> pd.DataFrame:
    """Per commune: officials assigned, the floor area their norm needs, the HQ's area with its planned extension,
    the m² still missing and what extending by that much would cost (extension_cost_per_m2 of the costs table)."""
    hq = hq_plan.set_index(pd.to_numeric(hq_plan["commune_code"]).astype(int))
    need = required_office_area(scenario, headcount_from_assignments(assignments), hq.index)
    available = (hq["floor_area_m2"].astype(float) + hq["extension_m2"].astype(float)).reindex(need["commune_code"]).to_numpy()
    missing = np.maximum(need["required_area_m2"].to_numpy() - available, 0.0).round(1)
    return pd.DataFrame({
        "commune_code": need["commune_code"], "commune_name": hq["commune_name"].reindex(need["commune_code"]).to_numpy(),
        "building_id": hq["building_id"].reindex(need["commune_code"]).to_numpy(),
        "assigned": need["planned_staff"].astype(int), "required_area_m2": need["required_area_m2"].round(1),
        "available_m2": available.round(1), "missing_m2": missing,
        "extension_cost_vnd": missing * (cost_parameter(ds, "extension_cost_per_m2", 0.0) or 0.0),
    }).sort_values(["missing_m2", "commune_code"], ascending=[False, True]).reset_index(drop=True)


def _buildings(ctx: StageContext) -> StageResult:
    return plan_building_uses(ctx.dataset, ctx.scenario, sites=ctx.results.get("sites"),
                              staffing=ctx.results.get("staffing"))


def _equipment_inputs(ctx: StageContext, hq: pd.DataFrame | None, headcount: pd.DataFrame | None) -> tuple:
    """plan_equipment's arguments: the final HQs (None without sites) and the staffing plan's headcount (None
    without staffing)."""
    return ctx.dataset, ctx.scenario, headcount, StageResult(tables={"hq_plan": hq}) if hq is not None else None


def _start_equipment(ctx: StageContext, hq: pd.DataFrame, headcount: pd.DataFrame | None) -> None:
    """Hand the equipment plan to the side process (planner.side) as soon as the HQs and the headcount are final,
    so it runs while this process extracts the staffing plan and plans the service points and building uses."""
    if ctx.side is not None and "equipment" in ctx.stages:
        inputs = _equipment_inputs(ctx, hq, headcount)
        ctx.started["equipment"] = (ctx.side.submit(plan_equipment, *inputs), inputs)


def _equipment(ctx: StageContext) -> StageResult:
    """The equipment plan: the side process's, when it was started there (the same result), else planned here."""
    future, inputs = ctx.started.pop("equipment", (None, None))
    if inputs is None:
        sites, staffing = ctx.results.get("sites"), ctx.results.get("staffing")
        headcount = headcount_from_assignments(staffing.tables["assignments"]) if staffing else None
        inputs = _equipment_inputs(ctx, sites.tables["hq_plan"] if sites else None, headcount)
    return outcome(future, plan_equipment, *inputs)


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
                                  message("previous_plan_unreadable", error=exc))],
                         str(path)) from None


def run_plan(ds: Dataset, scenario: Scenario, stages: tuple[str, ...] | None = None, side=None,
             on_result: Callable[[str, StageResult], None] | None = None,
             while_waiting: Callable[[dict[str, StageResult]], None] | None = None) -> Plan:
    """Run the chosen stages (default: all) in registry order; raise PlanInfeasible with an explanation
    when one cannot be met. side: a planner.side.SideProcess for the work that can run beside (the equipment
    plan); on_result(stage, result) is called as each stage ends (e.g. to start the summary's map early);
    while_waiting(results so far) once, before the first stage whose work the side process does (e.g. to write
    the finished stages' sheets meanwhile: planner.report.plan_workbook.EarlyWorkbook)."""
    chosen = STAGES if stages is None else tuple(stages)
    unknown = sorted(set(chosen) - set(STAGES))
    if unknown:
        raise ValueError(f"unknown stage(s) {', '.join(unknown)}; stages are {', '.join(vocab.codes('stages'))}")
    running = tuple(stage.name for stage in REGISTRY if stage.name in chosen and stage.enabled(scenario))
    ctx = StageContext(dataset=ds, scenario=scenario, previous_assignments=previous_assignments(scenario), stages=running,
                       side=side)
    inputs_record = None
    for stage in REGISTRY:
        if stage.name in running:
            if stage.name in ctx.started and inputs_record is None:  # about to wait for the side process: use the time
                inputs_record = record_of_inputs(ds, scenario)
                if while_waiting is not None:
                    while_waiting(dict(ctx.results))
            ctx.results[stage.name] = stage.run(ctx)
            if on_result is not None:
                on_result(stage.name, ctx.results[stage.name])
    return assemble(ds, scenario, ctx.results, inputs_record)


def record_of_inputs(ds: Dataset, scenario: Scenario) -> tuple[pd.DataFrame, str]:
    """What a plan records of its inputs whatever the results: the norms in force with their sources, and the
    input's hash (assemble's; run_plan computes it while the side process finishes its stage)."""
    return norms_used(ds, scenario), ds.data_hash()


def assemble(ds: Dataset, scenario: Scenario, results: dict[str, StageResult],
             inputs_record: tuple[pd.DataFrame, str] | None = None) -> Plan:
    """One Plan from the stage results, with provenance (input hash, scenario, versions, time); inputs_record:
    record_of_inputs(ds, scenario) when already computed."""
    used, data_hash = inputs_record or record_of_inputs(ds, scenario)
    tables: dict[str, pd.DataFrame] = {}
    kpis, solves, notes = [], [], list(ds.notes)  # what loading filled in first (e.g. the reference staffing norms)
    for result in results.values():
        tables.update(result.tables)
        kpis.extend(result.kpis)
        solves.extend(s.as_row() for s in result.solves)
        notes.extend(result.notes)
    tables["norms_used"] = used  # the rules in force and their legal sources
    provenance = {
        "province": ds.province,
        "data_source": ds.source,
        "data_hash": data_hash,
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
