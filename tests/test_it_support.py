"""IT support (generalized assignment): hand-checked optima, capacities, uncovered communes, tiny province."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from planner.models.it_support import solve_gap
from planner.models.staffing import plan_staffing
from planner.scenario import Scenario, SolverOptions

OPTIONS = SolverOptions()


def brute_force(cost: np.ndarray, load: np.ndarray, capacity: np.ndarray) -> float | None:
    """Cheapest feasible assignment of every job by enumeration (small cases only)."""
    m, n = cost.shape
    best = None
    for choice in itertools.product(range(m), repeat=n):
        agents = np.array(choice)
        used = np.zeros(m)
        np.add.at(used, agents, load[agents, range(n)])
        if (used <= capacity + 1e-9).all():
            total = cost[agents, range(n)].sum()
            best = total if best is None or total < best else best
    return best


def pairs_of(cost, load):
    m, n = cost.shape
    agent, job = np.divmod(np.arange(m * n), n)
    return pd.DataFrame({"agent": agent, "job": job, "cost": cost.ravel(), "load": load.ravel()})


def test_capacity_forces_the_second_cheapest_agent():
    # agent 0 is cheaper for all three jobs but can carry only two of them
    cost = np.array([[1.0, 1.0, 1.0], [5.0, 4.0, 3.0]])
    load = np.array([[2.0, 2.0, 2.0], [1.0, 1.0, 1.0]])
    result = solve_gap(pairs_of(cost, load), pd.Series([4.0, 10.0]), range(3), OPTIONS)
    assert result.info.status == "optimal"
    assert result.info.objective == pytest.approx(1 + 1 + 3)
    assert result.assignment.set_index("job")["agent"].to_dict() == {0: 0, 1: 0, 2: 1}


def test_uncovered_jobs_only_with_a_penalty():
    cost = np.array([[1.0, 1.0]])
    load = np.array([[3.0, 3.0]])
    strict = solve_gap(pairs_of(cost, load), pd.Series([4.0]), range(2), OPTIONS)
    assert strict.info.status == "infeasible"
    relaxed = solve_gap(pairs_of(cost, load), pd.Series([4.0]), range(2), OPTIONS, uncovered_penalty=100.0)
    assert relaxed.info.objective == pytest.approx(101.0)
    assert len(relaxed.uncovered) == 1 and len(relaxed.assignment) == 1


@pytest.mark.parametrize("seed", range(6))
def test_random_small_gap_matches_enumeration(seed):
    rng = np.random.default_rng(seed)
    m, n = 3, 6
    cost = rng.integers(1, 30, (m, n)).astype(float)
    load = rng.integers(1, 10, (m, n)).astype(float)
    capacity = load.sum(axis=1) / 2.2
    expected = brute_force(cost, load, capacity)
    result = solve_gap(pairs_of(cost, load), pd.Series(capacity), range(n), OPTIONS)
    if expected is None:
        assert result.info.status == "infeasible"
    else:
        assert result.info.objective == pytest.approx(expected)
        used = result.assignment.groupby("agent")["load"].sum()
        assert (used <= pd.Series(capacity).reindex(used.index) + 1e-9).all()


def test_tiny_province_is_covered_within_capacity(tiny_ds):
    result = plan_staffing(tiny_ds, Scenario.from_dict({"staffing": {"it_support": {"hours_capacity": 40.0}}}), hq=None)
    coverage, load = result.tables["it_coverage"], result.tables["it_officer_load"]
    assert list(coverage.columns) == ["commune_code", "commune_name", "officer_id", "officer_commune_code",
                                      "travel_km", "hours", "covered"]
    assert coverage["covered"].all()
    assert (load["hours"] <= load["capacity"] + 1e-9).all()
    assert load["communes_served"].sum() == len(coverage)
    assignments = result.tables["assignments"].set_index("official_id")
    officers = assignments.loc[coverage["officer_id"]]
    assert (officers["commune_code"].to_numpy() == coverage["officer_commune_code"].to_numpy()).all()


def test_commune_out_of_reach_is_reported_uncovered(tiny_ds):
    scenario = Scenario.from_dict({"staffing": {"it_support": {"hours_capacity": 10.0}}})  # below any commune's load
    result = plan_staffing(tiny_ds, scenario, hq=None)
    assert not result.tables["it_coverage"]["covered"].any()
    assert next(r["value"] for r in result.kpis if r["kpi"] == "it_communes_uncovered") == 3
