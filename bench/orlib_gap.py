"""OR-Library generalised assignment (gap1..12, gapa..gapd), minimisation, solved with the IT-support model's GAP core.

Agents are IT officers (capacity = hours per month), jobs are communes (load = hours), every commune
must be covered: planner.models.it_support.solve_gap with no uncovered option.

Format (gapinfo): P problems, each `m n`, m x n costs, m x n resource uses, m capacities. Files of the
large sets may hold one problem without the leading P: detected from the number of values.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.models.it_support import solve_gap  # noqa: E402
from planner.scenario import SolverOptions  # noqa: E402


def read_gap(path: str | Path) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """[(cost m x n, load m x n, capacity m)] for every problem in the file."""
    tokens = np.array(Path(path).read_text().split(), dtype=float)
    m, n = int(tokens[0]), int(tokens[1]) if len(tokens) > 1 else 0
    if len(tokens) == 2 + 2 * m * n + m:  # a single problem without the leading count
        count, at = 1, 0
    else:
        count, at = int(tokens[0]), 1
    problems = []
    for _ in range(count):
        m, n = int(tokens[at]), int(tokens[at + 1])
        at += 2
        cost = tokens[at:at + m * n].reshape(m, n)
        at += m * n
        load = tokens[at:at + m * n].reshape(m, n)
        at += m * n
        capacity = tokens[at:at + m]
        at += m
        problems.append((cost, load, capacity))
    if at != len(tokens):
        raise ValueError(f"{path}: {len(tokens) - at} numbers left over after {count} problems")
    return problems


def gap_pairs(cost: np.ndarray, load: np.ndarray) -> pd.DataFrame:
    """Every (agent, job) pair with its cost and load: the IT-support model's input."""
    m, n = cost.shape
    agent, job = np.divmod(np.arange(m * n), n)
    return pd.DataFrame({"agent": agent, "job": job, "cost": cost.ravel(), "load": load.ravel()})


def solve_problem(cost, load, capacity, solver: str = "highs") -> float | None:
    options = SolverOptions(name=solver, time_limit_s=600, mip_gap=0.0)
    result = solve_gap(gap_pairs(cost, load), pd.Series(capacity), range(cost.shape[1]), options, model="orlib_gap")
    if result.info.status not in ("optimal", "time_limit") or len(result.uncovered):
        return None
    if result.info.status == "time_limit":
        print("warning: time limit reached, best value found is not proven optimal", file=sys.stderr)
    return float(result.assignment["cost"].sum())


def solve_file(path: str | Path, **options) -> list[tuple[str, float | None, float]]:
    rows = []
    for number, (cost, load, capacity) in enumerate(read_gap(path), start=1):
        start = time.perf_counter()
        objective = solve_problem(cost, load, capacity, **options)
        rows.append((f"{Path(path).stem}-{number}", objective, time.perf_counter() - start))
    return rows


if __name__ == "__main__":
    for file in sys.argv[1:]:
        for name, objective, seconds in solve_file(file):
            print(name, objective, f"{seconds:.3f}")
