"""OR-Library capacitated warehouse location ("capinfo") -> the planner's facility-location input.

`solve_file(path)` reads one file, converts it to the three DataFrames of
planner.models.facility_location (sites, customers, arcs) and solves it with that model:
split demand by default (the published `capopt` optima), single-source with single_source=True.

File format (whitespace separated; line breaks carry no meaning):
  m n ; m x (capacity, fixed cost) ; n x (demand, cost of serving ALL of j's demand from each of the m sites)
In capa, capb and capc the capacity is the word 'capacity': one file stands for four problems whose
capacity comes from Table 1 of Beasley (1988), see CAPACITY_TABLE; each is reported as <name>_<capacity>.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.models.facility_location import solve_facility_location  # noqa: E402
from planner.scenario import SolverOptions  # noqa: E402

CAPACITY_TABLE = {  # Beasley, EJOR 33 (1988) Table 1, problem sets A, B, C
    "capa": (8000.0, 10000.0, 12000.0, 14000.0),
    "capb": (5000.0, 6000.0, 7000.0, 8000.0),
    "capc": (5000.0, 5750.0, 6500.0, 7250.0),
}


class CapResult(tuple):
    """(name, objective or None, seconds) that also carries `explanation` (plain-words lines) and `status`."""

    def __new__(cls, name: str, objective: float | None, seconds: float, status: str = "optimal",
                explanation: list[str] | None = None):
        result = super().__new__(cls, (name, objective, seconds))
        result.status = status
        result.explanation = explanation or []
        return result


class CapFormatError(ValueError):
    """The file is not in the OR-Library capacitated warehouse location format."""


def read_cap(path: str | Path) -> tuple[int, int, list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Parse a file into (m, n, capacity tokens, fixed costs, demands, cost matrix n x m)."""
    tokens = Path(path).read_text().split()
    try:
        m, n = int(tokens[0]), int(tokens[1])
        head = np.array(tokens[2:2 + 2 * m], dtype=object).reshape(m, 2)
        body = np.array(tokens[2 + 2 * m:2 + 2 * m + n * (m + 1)], dtype=float).reshape(n, m + 1)
        fixed = head[:, 1].astype(float)
    except (ValueError, IndexError) as exc:
        raise CapFormatError(f"{path}: not an OR-Library capacitated warehouse file ({exc})") from None
    return m, n, [str(t) for t in head[:, 0]], fixed, body[:, 0], body[:, 1:]


def to_facility_location(capacity: np.ndarray, fixed: np.ndarray, demand: np.ndarray, cost: np.ndarray):
    """Dense instance -> (sites, customers, arcs) DataFrames, vectorized (every customer may use every site)."""
    n, m = cost.shape
    sites = pd.DataFrame({"site_id": np.arange(1, m + 1), "capacity": capacity, "fixed_cost": fixed})
    customers = pd.DataFrame({"customer_id": np.arange(1, n + 1), "demand": demand})
    arcs = pd.DataFrame({"customer_id": np.repeat(np.arange(1, n + 1), m),
                         "site_id": np.tile(np.arange(1, m + 1), n), "cost": cost.ravel()})
    return sites, customers, arcs


def instances(path: str | Path, capacities: tuple[float, ...] | None = None):
    """(name, capacity array) for each problem the file stands for."""
    path = Path(path)
    m, _, cap_tokens, *_ = read_cap(path)
    try:
        return [(path.stem, np.array(cap_tokens, dtype=float))]
    except ValueError:
        pass
    table = capacities or CAPACITY_TABLE.get(path.stem.lower())
    if table is None:
        raise CapFormatError(f"{path}: capacities are written as {cap_tokens[0]!r}; give the capacities to use "
                             f"(known for {', '.join(CAPACITY_TABLE)})")
    return [(f"{path.stem}_{c:g}", np.full(m, float(c))) for c in table]


def solve_file(path: str | Path, single_source: bool = False, capacities: tuple[float, ...] | None = None,
               time_limit_s: float = 600.0, explain: bool = True) -> list[CapResult]:
    """Solve every problem in one file; objective None (with the explanation) when infeasible.

    explain=True prints explanations to stderr so the `name objective seconds` lines stay clean.
    """
    options = SolverOptions(mip_gap=0.0, time_limit_s=time_limit_s)
    _, _, _, fixed, demand, cost = read_cap(path)
    results = []
    for name, capacity in instances(path, capacities):
        start = time.perf_counter()
        sites, customers, arcs = to_facility_location(capacity, fixed, demand, cost)
        fl = solve_facility_location(sites, customers, arcs, single_source=single_source, options=options, name=name)
        seconds = time.perf_counter() - start
        explanation = list(fl.explanation)
        if fl.status == "time_limit":
            explanation.append(f"time limit of {time_limit_s:g} s reached: best plan found, not proven optimal")
        result = CapResult(name, fl.objective, seconds, fl.status, explanation)
        if explain:
            for line in explanation:
                print(f"{name}: {line}", file=sys.stderr)
        results.append(result)
    return results
