"""OR-Library capacitated warehouse location, solved by the service-point model (bench/orlib_cap.py)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

import orlib_cap  # noqa: E402

CAP = BENCH / "orlib" / "cap"
OPTIMA = pd.read_csv(BENCH / "orlib" / "optima.csv")
CAP_OPTIMA = OPTIMA[OPTIMA["family"] == "cap"].set_index("instance")["optimum"]
CAPACITIES_NEVER_BIND = ("cap71", "cap101", "cap131")  # README: single source reaches capopt there


@pytest.mark.parametrize("instance", list(CAP_OPTIMA.index))
def test_split_demand_reproduces_published_optimum(instance):
    [(name, objective, seconds)] = orlib_cap.solve_file(CAP / f"{instance}.txt", single_source=False)
    assert name == instance
    assert objective == pytest.approx(CAP_OPTIMA[instance], abs=1e-3)


@pytest.mark.parametrize("instance", CAPACITIES_NEVER_BIND)
def test_single_source_reaches_the_same_value_where_capacity_never_binds(instance):
    [(_, objective, _)] = orlib_cap.solve_file(CAP / f"{instance}.txt", single_source=True)
    assert objective == pytest.approx(CAP_OPTIMA[instance], abs=1e-3)


def test_single_source_cap41_is_infeasible_with_explanation():
    [result] = orlib_cap.solve_file(CAP / "cap41.txt", single_source=True, explain=False)
    name, objective, _ = result
    assert name == "cap41" and objective is None and result.status == "infeasible"
    text = " ".join(result.explanation)
    assert "12912" in text and "5000" in text and "single sourcing" in text


def _write_capacity_word_file(path: Path, rng) -> tuple:
    """A small file in the capa/capb/capc notation (capacity written as the word 'capacity')."""
    m, n = 4, 9
    fixed = rng.integers(100, 300, m).astype(float)
    demand = rng.integers(5, 30, n).astype(float)
    cost = rng.integers(1, 40, (n, m)) * demand[:, None]
    lines = [f" {m} {n}"] + [f" capacity {f:.0f}." for f in fixed]
    for j in range(n):
        lines += [f" {demand[j]:.0f}", " " + " ".join(f"{c:.5f}" for c in cost[j])]
    path.write_text("\n".join(lines) + "\n")
    return fixed, demand, cost


def test_capacity_word_notation_expands_to_one_problem_per_capacity(tmp_path):
    rng = np.random.default_rng(7)
    path = tmp_path / "capa.txt"
    fixed, demand, cost = _write_capacity_word_file(path, rng)
    results = orlib_cap.solve_file(path, capacities=(60.0, 200.0))
    assert [r[0] for r in results] == ["capa_60", "capa_200"]
    # each equals the same instance written with numeric capacities
    numeric = tmp_path / "numeric.txt"
    numeric.write_text(path.read_text().replace("capacity", "60"))
    [(_, expected, _)] = orlib_cap.solve_file(numeric)
    assert results[0][1] == pytest.approx(expected, abs=1e-6)
    assert results[1][1] <= results[0][1] + 1e-6  # more capacity never costs more
    # without explicit capacities, capa uses Beasley's Table 1 values
    assert [name for name, _ in orlib_cap.instances(path)] == ["capa_8000", "capa_10000", "capa_12000", "capa_14000"]


def test_unknown_capacity_word_is_a_plain_error(tmp_path):
    path = tmp_path / "mystery.txt"
    _write_capacity_word_file(path, np.random.default_rng(1))
    with pytest.raises(orlib_cap.CapFormatError, match="capacities"):
        orlib_cap.solve_file(path)


@pytest.mark.skipif(not all((BENCH / f"orlib_{f}.py").exists() for f in ("assign", "gap")),
                    reason="bench/orlib.py also needs orlib_assign.py and orlib_gap.py (other parts)")
def test_command_line_prints_name_objective_seconds():
    files = [str(CAP / "cap71.txt"), str(CAP / "cap41.txt")]
    split = subprocess.run([sys.executable, str(BENCH / "orlib.py"), "cap", *files], capture_output=True, text=True, check=True)
    lines = [line.split() for line in split.stdout.strip().splitlines()]
    assert [line[0] for line in lines] == ["cap71", "cap41"]
    assert float(lines[0][1]) == pytest.approx(CAP_OPTIMA["cap71"], abs=1e-3)
    assert float(lines[1][1]) == pytest.approx(CAP_OPTIMA["cap41"], abs=1e-3)
    single = subprocess.run([sys.executable, str(BENCH / "orlib.py"), "cap", files[1], "--single-source"],
                            capture_output=True, text=True)
    assert single.returncode == 0 and single.stdout.split()[:2] == ["cap41", "infeasible"]
    assert "12912" in single.stderr
