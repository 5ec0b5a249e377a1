"""Asset stages end to end on the bundled provinces: build and solve seconds per stage.

    .venv/bin/python bench/assets_bench.py [data/lang_son.xlsx data/lao_cai.xlsx] [--staffing] [--dense-equipment]

Prints one line per stage (sites, building uses, equipment): build s, solve s, total s, model sizes,
and the headline KPIs. Target: each asset stage under 10 s for Lào Cai on a 2-core machine.
--staffing runs the staffing model first (when present) so headcounts and housing demand come from it.
--dense-equipment also solves equipment with every old unit -> commune arc and prints the cost
difference against the pruned candidate set (equipment_candidate_communes).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planner.validate import load_dataset  # noqa: E402
from planner.models.buildings import plan_building_uses  # noqa: E402
from planner.models.equipment import plan_equipment  # noqa: E402
from planner.models.headquarters import plan_sites  # noqa: E402
from planner.derived import headcount_from_assignments  # noqa: E402
from planner.scenario import Scenario  # noqa: E402

DEFAULT_FILES = [ROOT / "data" / "lang_son.xlsx", ROOT / "data" / "lao_cai.xlsx"]


def _timed(label: str, func, *args):
    start = time.perf_counter()
    result = func(*args)
    total = time.perf_counter() - start
    build = sum(s.build_seconds for s in result.solves)
    solve = sum(s.solve_seconds for s in result.solves)
    size = max((s.variables for s in result.solves), default=0)
    print(f"  {label:<14} total {total:6.2f} s   build {build:6.2f} s   solve {solve:6.2f} s   "
          f"solves {len(result.solves):2d}   largest model {size} variables", flush=True)
    return result


def _kpis(result, names):
    values = {k["kpi"]: k["value"] for k in result.kpis}
    return "; ".join(f"{n} = {values[n]:,.2f}" if isinstance(values.get(n), float) else f"{n} = {values.get(n)}" for n in names)


def bench(path: Path, with_staffing: bool, dense_equipment: bool) -> None:
    start = time.perf_counter()
    ds = load_dataset(path)
    print(f"{ds.province} ({path.name}): {len(ds['communes'])} communes, {len(ds['old_units'])} old units, "
          f"{len(ds['buildings'])} buildings, {int(ds['equipment']['count'].sum())} equipment items; "
          f"loaded in {time.perf_counter() - start:.2f} s", flush=True)
    scenario = Scenario()
    sites = _timed("sites", plan_sites, ds, scenario, None)
    staffing, headcount = None, None
    if with_staffing:
        from planner.models.staffing import plan_staffing

        staffing = _timed("(staffing)", plan_staffing, ds, scenario, sites.tables["hq_plan"])
        headcount = headcount_from_assignments(staffing.tables["assignments"])
    uses = _timed("building uses", plan_building_uses, ds, scenario, sites, staffing)
    equipment = _timed("equipment", plan_equipment, ds, scenario, headcount, sites)
    print("    " + _kpis(sites, ["service_points_opened", "max_service_travel_km", "renovation_budget_used"]))
    print("    " + "; ".join(f"{k['code']} {k['value']}" for k in uses.kpis if k["kpi"] == "buildings_by_use"))
    print("    " + _kpis(equipment, ["equipment_demand_covered", "equipment_items_moved", "equipment_purchases_cost",
                                     "equipment_transport_cost"]))
    if dense_equipment:
        dense = Scenario.from_dict({"assets": {"equipment_candidate_communes": max(len(ds["communes"]), 1)}})
        full = _timed("equipment dense", plan_equipment, ds, dense, headcount, sites)

        def figures(result):
            kpi = {k["kpi"]: k["value"] for k in result.kpis}
            unmet = int(result.tables["unmet_equipment"]["unmet"].sum())
            return unmet, kpi["equipment_purchases_cost"], kpi["equipment_transport_cost"] + kpi["equipment_repair_cost"]

        (u1, p1, c1), (u2, p2, c2) = figures(equipment), figures(full)
        print(f"    pruned vs dense: unmet {u1} vs {u2} items; purchases {p1:,.0f} vs {p2:,.0f} VND; "
              f"transport+repair {c1:,.0f} vs {c2:,.0f} VND")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--staffing", action="store_true")
    parser.add_argument("--dense-equipment", action="store_true")
    args = parser.parse_args(argv)
    for path in args.files or DEFAULT_FILES:
        bench(path, args.staffing, args.dense_equipment)
    return 0


if __name__ == "__main__":
    sys.exit(main())
