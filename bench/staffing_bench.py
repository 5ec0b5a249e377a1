"""Staffing model speed and optimality on province-size instances: `python bench/staffing_bench.py [--quick]`.

Per instance it prints the seconds spent preparing candidates, building the PuLP model, solving,
extracting + checking, and the end-to-end total of plan_staffing (default scenario: fairness and IT
support on), and what fairness did: the largest commune shortage ratio of the least-cost plan and of
the fair plan, and the extra cost. It then proves optimality of the assignment core (fairness off, no IT support, no
mismatch) by solving the same candidate arcs independently as a min-cost flow with networkx and
comparing objectives (1e-6 relative); it prints the ratio of model time to min-cost-flow time and
the cost of candidate pruning (max_candidate_communes) against all communes within the radius.

Flow network: official -> slot (cost of the arc), official -> sink (surplus cost; not for pinned
officials), slot -> commune twice (the first required_min units earn -penalty, the rest up to
required_max cost 0), commune -> sink (headcount ceiling). Model objective = flow cost + sum of
penalty x required_min.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.models import staffing as st  # noqa: E402
from planner.scenario import Scenario  # noqa: E402

SCALE = 1_000_000  # network simplex wants integer costs: cost points x 1e6


def instances(quick: bool):
    from planner.sample import build_sample

    lang_son = Path(__file__).resolve().parents[1] / "data" / "lang_son.xlsx"
    if lang_son.exists():
        from planner.validate import load_dataset

        yield "Lạng Sơn (data/lang_son.xlsx)", lambda: load_dataset(lang_son)
    else:
        yield "Lạng Sơn (sample)", lambda: build_sample("Lạng Sơn")
    if quick:
        return
    yield "Lào Cai (sample)", lambda: build_sample("Lào Cai")
    yield "TP Hồ Chí Minh (sample, 54 per commune)", lambda: build_sample("Thành phố Hồ Chí Minh", officials_per_commune=54)


def timed_plan(ds, scenario: Scenario) -> dict:
    """The plan_staffing steps one by one (same functions), with seconds per step."""
    options = scenario.staffing
    start = time.perf_counter()
    inputs = st.prepare_inputs(ds, scenario)
    arcs = st.candidate_arcs(inputs, options)
    prepare = time.perf_counter() - start
    solution = st.solve_staffing(inputs, arcs, options, scenario.solver)
    build = sum(s.build_seconds for s in solution.solves)
    solve = sum(s.solve_seconds for s in solution.solves)
    start = time.perf_counter()
    assignments = st.assignments_table(inputs, solution)
    by_commune = st.staffing_by_commune_table(inputs, solution)
    surplus = st.surplus_table(inputs, solution, by_commune, options)
    st.verify_staffing(inputs, assignments, surplus, options)
    st.recruitment_table(by_commune)
    extract = time.perf_counter() - start
    it_seconds = 0.0
    if options.it_support.enabled:
        from planner.models.it_support import plan_it_support

        start = time.perf_counter()
        plan_it_support(inputs, assignments, options.it_support, scenario.solver)
        it_seconds = time.perf_counter() - start
    ratios = st.commune_shortage_ratios(by_commune)
    return {"arcs": len(arcs), "officials": len(inputs.officials), "prepare": prepare, "build": build,
            "solve": solve, "extract_check": extract, "it_support": it_seconds, "solves": len(solution.solves),
            "objective": solution.objective, "inputs": inputs, "arcs_frame": arcs,
            "commune_ratio": float(ratios.max()) if len(ratios) else 0.0, "best_commune_ratio": solution.best_commune_ratio,
            "least_cost_commune_ratio": solution.least_cost_commune_ratio}


def min_cost_flow_objective(inputs: st.StaffingInputs, arcs, options) -> tuple[float, float]:
    """(objective, seconds) of the assignment core solved as a min-cost flow with networkx."""
    start = time.perf_counter()
    graph = nx.DiGraph()
    officials, slots = inputs.officials, inputs.slots
    graph.add_node("sink", demand=len(officials))
    graph.add_nodes_from((("o", i), {"demand": -1}) for i in range(len(officials)))
    graph.add_edges_from((("o", i), ("s", s), {"capacity": 1, "weight": int(round(c * SCALE))})
                         for i, s, c in zip(arcs["off"].to_numpy(), arcs["slot"].to_numpy(), arcs["total_cost"].to_numpy()))
    surplus_cost = st.surplus_costs(inputs, options)
    pinned = officials["pinned"].to_numpy()
    graph.add_edges_from((("o", i), "sink", {"capacity": 1, "weight": int(round(surplus_cost[i] * SCALE))})
                         for i in np.flatnonzero(~pinned))
    minimum = slots["required_min"].to_numpy(dtype=float)
    maximum = slots["required_max"].to_numpy(dtype=float)
    for s, code, penalty in zip(slots["slot"], slots["commune_code"], slots["penalty"]):
        rest = np.inf if np.isnan(maximum[s]) else maximum[s] - minimum[s]
        if minimum[s] > 0:  # parallel arcs through a helper node (DiGraph has no multi-edges)
            graph.add_edge(("s", s), ("m", s), capacity=int(minimum[s]), weight=-int(round(penalty * SCALE)))
            graph.add_edge(("m", s), ("c", code), weight=0)
        if rest > 0:
            graph.add_edge(("s", s), ("c", code), **({} if np.isinf(rest) else {"capacity": int(rest)}), weight=0)
    for code in inputs.communes["commune_code"]:
        ceiling = inputs.ceilings.get(code, np.nan)
        graph.add_edge(("c", code), "sink", **({} if np.isnan(ceiling) else {"capacity": int(ceiling)}), weight=0)
    cost, _ = nx.network_simplex(graph)
    offset = float((slots["penalty"].to_numpy(dtype=float) * minimum).sum())
    return cost / SCALE + offset, time.perf_counter() - start


def core_scenario(**staffing) -> Scenario:
    return Scenario.from_dict({"staffing": {"fairness": False, "allow_mismatch": False, "it_support": {"enabled": False},
                                            **staffing}})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the Lạng Sơn instance")
    parser.add_argument("--repeat", type=int, default=3, help="runs per instance (median reported)")
    args = parser.parse_args(argv)
    status = 0
    for name, load in instances(args.quick):
        ds = load()
        runs = [timed_plan(ds, Scenario()) for _ in range(args.repeat)]
        totals = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            st.plan_staffing(ds, Scenario(), hq=None)
            totals.append(time.perf_counter() - start)
        med = {k: float(np.median([r[k] for r in runs])) for k in ("prepare", "build", "solve", "extract_check", "it_support")}
        print(f"{name}: {runs[0]['officials']} officials, {runs[0]['arcs']} candidate posts, {runs[0]['solves']} staffing solves")
        print("  seconds (median of {}): prepare {prepare:.2f}  build {build:.2f}  solve {solve:.2f}  "
              "extract+check {extract_check:.2f}  IT support {it_support:.2f}".format(args.repeat, **med))
        print(f"  plan_staffing end-to-end: {np.median(totals):.2f} s (runs: {', '.join(f'{t:.2f}' for t in totals)})")
        core = core_scenario()
        start = time.perf_counter()
        inputs = st.prepare_inputs(ds, core)
        arcs = st.candidate_arcs(inputs, core.staffing)
        solution = st.solve_staffing(inputs, arcs, core.staffing, core.solver)
        model_seconds = time.perf_counter() - start
        flow, flow_seconds = min_cost_flow_objective(inputs, arcs, core.staffing)
        gap = abs(solution.objective - flow) / max(1.0, abs(flow))
        ok = gap <= 1e-6
        status = status or (not ok)
        print(f"  core objective: model {solution.objective:.6f}  min-cost flow {flow:.6f}  relative difference {gap:.2e} "
              f"{'OK' if ok else 'MISMATCH'}")
        print(f"  core seconds: model {model_seconds:.2f}  min-cost flow {flow_seconds:.2f}  ratio model/flow {model_seconds / flow_seconds:.2f}")
        fair = runs[0]
        if fair["best_commune_ratio"] is None:
            print("  fairness: no commune short in the least-cost plan, nothing to do")
        else:
            extra = fair["objective"] - solution.objective
            print(f"  fairness: largest commune shortage ratio {fair['least_cost_commune_ratio']:.2%} least-cost -> "
                  f"{fair['commune_ratio']:.2%} fair (best achievable {fair['best_commune_ratio']:.2%}), "
                  f"cost +{extra:.2f} ({100 * extra / max(1.0, abs(solution.objective)):.2f}% of the least cost)")
        dense = core_scenario(max_candidate_communes=None)
        dense_inputs = st.prepare_inputs(ds, dense)
        dense_arcs = st.candidate_arcs(dense_inputs, dense.staffing)
        dense_solution = st.solve_staffing(dense_inputs, dense_arcs, dense.staffing, dense.solver)
        loss = (solution.objective - dense_solution.objective) / max(1.0, abs(dense_solution.objective))
        print(f"  pruning to {core.staffing.max_candidate_communes} nearest communes: {len(arcs)} vs {len(dense_arcs)} posts, "
              f"objective {solution.objective:.2f} vs {dense_solution.objective:.2f} (loss {100 * loss:.3f}% of |objective|)")
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
