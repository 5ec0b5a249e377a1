"""OR-Library linear assignment (assign*, assignp*) solved with the planner's own staffing model.

Each instance becomes a province: n communes with one office post each (minimum 1 = maximum 1 =
headcount ceiling), n officials whose only candidate communes are the pair_costs rows carrying the
cost, distances weighted zero, shortages priced out. plan_staffing solves it; the objective is the
sum of the placed pairs' costs.

Formats (detected from the content): dense `n` then n*n costs row by row (assign100..800), or sparse
`n` then triples `i j cost` with 1-based i, j (assignp800..5000).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.dataset import Dataset  # noqa: E402
from planner.models.staffing import plan_staffing  # noqa: E402
from planner.scenario import Scenario  # noqa: E402

FIELD = "office"


def read_assignment(path: str | Path) -> tuple[int, pd.DataFrame]:
    """(n, pairs [row, col, cost] with 1-based row/col) from a dense or sparse OR-Library file."""
    tokens = np.array(Path(path).read_text().split(), dtype=float)
    n, body = int(tokens[0]), tokens[1:]
    if len(body) % 3 == 0 and _valid_triples(n, body.reshape(-1, 3)):
        triples = body.reshape(-1, 3)
        return n, pd.DataFrame({"row": triples[:, 0].astype(np.int64), "col": triples[:, 1].astype(np.int64),
                                "cost": triples[:, 2]})
    if len(body) != n * n:
        raise ValueError(f"{path}: {len(body)} numbers after n={n}: neither {n * n} dense costs nor i j cost triples")
    rows, cols = np.divmod(np.arange(n * n), n)
    return n, pd.DataFrame({"row": rows + 1, "col": cols + 1, "cost": body})


def _valid_triples(n: int, triples: np.ndarray) -> bool:
    """Sparse triples have in-range integer indices and no repeated (i, j) pair."""
    ij = triples[:, :2]
    if not (np.all(ij == np.round(ij)) and ij.min(initial=1) >= 1 and ij.max(initial=1) <= n):
        return False
    keys = (ij[:, 0].astype(np.int64) - 1) * n + ij[:, 1].astype(np.int64) - 1
    return len(np.unique(keys)) == len(keys)


def assignment_dataset(n: int, pairs: pd.DataFrame) -> Dataset:
    """The instance as the project's own input: communes, one post each, officials, pair_costs."""
    codes = np.arange(1, n + 1)
    communes = pd.DataFrame({"code": codes, "name": [f"Commune {j}" for j in codes], "type": "xa", "area_km2": 1.0,
                             "population": 0, "lon": 106.0, "lat": 21.0})
    old_units = pd.DataFrame({"id": [f"U{j}" for j in codes], "old_code": codes, "name": [f"Unit {j}" for j in codes],
                              "kind": "xa", "district": "OR-Library", "commune_code": codes, "lon": 106.0, "lat": 21.0,
                              "population_share": 1.0})
    officials = pd.DataFrame({"id": [f"O{i}" for i in codes], "name": [f"Official {i}" for i in codes],
                              "old_unit_id": "U1", "home_lon": 106.0, "home_lat": 21.0, "position": "specialist",
                              "field": FIELD, "qualification": "bachelor", "grade": "specialist", "birth_year": 1980,
                              "gender": "male", "eligible_for_leadership": False, "willing_to_relocate": True})
    norms = pd.DataFrame([
        {"rule_id": "post", "commune_type": "any", "min_population": 0, "field": FIELD, "position": "specialist",
         "min_count": 1, "max_count": 1, "per_10k_residents": 0.0},
        {"rule_id": "total", "commune_type": "any", "min_population": 0, "field": "total", "position": "any",
         "min_count": 0, "max_count": 1, "per_10k_residents": 0.0},
    ])
    pair_costs = pd.DataFrame({"official_id": "O" + pairs["row"].astype(str), "commune_code": pairs["col"].to_numpy(),
                               "cost": pairs["cost"].to_numpy(dtype=float), "forbidden": False})
    return Dataset.from_frames({"communes": communes, "old_units": old_units, "officials": officials,
                                "staffing_norms": norms, "pair_costs": pair_costs}, source="orlib")


def assignment_scenario(n: int, pairs: pd.DataFrame, solver: str = "highs") -> Scenario:
    """Candidates from pair_costs only, distances and bonuses weighted zero, shortage priced out."""
    price_out = float(n * max(pairs["cost"].abs().max(), 1.0) + 1.0)
    return Scenario.from_dict({
        "name": "orlib-assign",
        "solver": {"name": solver},
        "staffing": {"candidates": "pair_costs", "cost_per_km": 0, "far_cost_per_km": 0, "continuity_bonus": 0,
                     "secondary_field_cost": 0, "surplus_cost": 0, "fairness": False,
                     "shortage_penalty": {"default": price_out}, "it_support": {"enabled": False}},
        "assets": {"enabled": False},
    })


def solve_instance(n: int, pairs: pd.DataFrame, solver: str = "highs") -> float | None:
    """Optimal assignment cost by plan_staffing (None if no complete assignment exists)."""
    result = plan_staffing(assignment_dataset(n, pairs), assignment_scenario(n, pairs, solver), hq=None)
    assignments = result.tables["assignments"]
    if len(assignments) != n or assignments["commune_code"].nunique() != n:
        return None
    return float(assignments["cost_pair"].sum())


def solve_file(path: str | Path, **options) -> list[tuple[str, float | None, float]]:
    start = time.perf_counter()
    n, pairs = read_assignment(path)
    objective = solve_instance(n, pairs, **options)
    return [(Path(path).stem, objective, time.perf_counter() - start)]


if __name__ == "__main__":
    for file in sys.argv[1:]:
        for name, objective, seconds in solve_file(file):
            print(name, objective, f"{seconds:.3f}")
