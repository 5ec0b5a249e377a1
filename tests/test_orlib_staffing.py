"""OR-Library checks: linear assignment through the staffing model, GAP through the IT-support model."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
ORLIB = ROOT / "bench" / "orlib"
sys.path.insert(0, str(ROOT / "bench"))

import orlib_assign  # noqa: E402
import orlib_gap  # noqa: E402

OPTIMA = pd.read_csv(ORLIB / "optima.csv")


def optimum(family: str, instance: str) -> float:
    return float(OPTIMA.loc[(OPTIMA["family"] == family) & (OPTIMA["instance"] == instance), "optimum"].iloc[0])


@pytest.mark.parametrize("name", ["assign100", "assign400"])
def test_assignment_optimum(name):
    [(stem, objective, _)] = orlib_assign.solve_file(ORLIB / "assign" / f"{name}.txt")
    assert stem == name
    assert objective == pytest.approx(optimum("assign", name), abs=1e-3)


def test_gap_minimisation_optima():
    rows = orlib_gap.solve_file(ORLIB / "gap" / "gap1.txt") + orlib_gap.solve_file(ORLIB / "gap" / "gap5.txt")
    names = {f"gap1-{k}": f"c515-{k}" for k in range(1, 6)} | {f"gap5-{k}": f"c824-{k}" for k in range(1, 6)}
    assert [r[0] for r in rows] == list(names)
    for name, objective, _ in rows:
        assert objective == pytest.approx(optimum("gap_min", names[name]), abs=1e-3), name


def test_gap_single_problem_file_without_count(tmp_path):
    """Large-set files may hold one problem without the leading count."""
    tokens = (ORLIB / "gap" / "gap1.txt").read_text().split()
    m, n = int(tokens[1]), int(tokens[2])
    single = tmp_path / "gapx.txt"
    single.write_text(" ".join(tokens[1:3 + 2 * m * n + m]))
    [(name, objective, _)] = orlib_gap.solve_file(single)
    assert name == "gapx-1"
    assert objective == pytest.approx(optimum("gap_min", "c515-1"), abs=1e-3)


def test_sparse_and_dense_assignment_formats_agree(tmp_path):
    rng = np.random.default_rng(7)
    n = 6
    cost = rng.integers(1, 100, (n, n))
    keep = rng.random((n, n)) < 0.6
    keep[np.arange(n), rng.permutation(n)] = True  # a complete assignment exists
    rows, cols = np.nonzero(keep)
    sparse = tmp_path / "assignp6.txt"
    sparse.write_text(f"{n}\n" + "\n".join(f"{i + 1} {j + 1} {cost[i, j]}" for i, j in zip(rows, cols)))
    dense = tmp_path / "assign6.txt"
    dense.write_text(f"{n}\n" + " ".join(map(str, cost.ravel())))
    expected_sparse = min(sum(cost[i, p[i]] for i in range(n)) for p in itertools.permutations(range(n))
                          if all(keep[i, p[i]] for i in range(n)))
    expected_dense = min(sum(cost[i, p[i]] for i in range(n)) for p in itertools.permutations(range(n)))
    assert orlib_assign.read_assignment(sparse)[1].shape[0] == keep.sum()
    assert orlib_assign.solve_file(sparse)[0][1] == pytest.approx(expected_sparse)
    assert orlib_assign.solve_file(dense)[0][1] == pytest.approx(expected_dense)


def test_command_line_prints_name_objective_seconds():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "orlib.py"), "assign", str(ORLIB / "assign" / "assign100.txt")],
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout.split()
    assert out[0] == "assign100"
    assert float(out[1]) == pytest.approx(optimum("assign", "assign100"), abs=1e-3)
    assert float(out[2]) >= 0
