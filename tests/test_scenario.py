"""planner.scenario: documented defaults, YAML overrides, errors that name the key, stable digest."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from planner.docs import EXAMPLE_SCENARIO
from planner.errors import ScenarioError
from planner.scenario import NormOverride, Scenario, SolverOptions


def write(tmp_path, text: str, name: str = "s.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults():
    s = Scenario()
    assert s.name == "baseline" and s.solver.name == "highs" and s.solver.time_limit_s == 120.0
    assert s.staffing.penalty("it_digital") == 1000.0 and s.staffing.penalty("culture_social") == 300.0
    assert s.assets.equipment_budget_vnd is None and s.norm_overrides == []


def test_yaml_overrides_merge_over_defaults(tmp_path):
    s = Scenario.from_yaml(write(tmp_path, "name: tight\nsolver:\n  time_limit_s: 30\nstaffing:\n  cost_per_km: 2\n"
                                           "norm_overrides:\n  - field: it_digital\n    min_count: 2\n"))
    assert s.name == "tight" and s.solver.time_limit_s == 30.0 and s.staffing.cost_per_km == 2.0
    assert s.solver.threads == Scenario().solver.threads  # untouched keys of the same section keep defaults
    assert s.staffing.far_cost_per_km == Scenario().staffing.far_cost_per_km
    assert s.norm_overrides == [NormOverride(field="it_digital", min_count=2)]
    assert s.norm_overrides[0].position == "specialist"


def test_empty_yaml_is_the_defaults(tmp_path):
    assert Scenario.from_yaml(write(tmp_path, "# nothing changed\n")) == Scenario()


def test_documented_example_is_valid():
    s = Scenario.from_dict(yaml.safe_load(EXAMPLE_SCENARIO))
    assert s.assets.equipment_budget_vnd == 150_000_000 and s.norm_overrides[0].min_count == 2


@pytest.mark.parametrize("text,key", [
    ("solver:\n  time_limt_s: 5\n", "solver.time_limt_s"),
    ("staffing:\n  it_support:\n    hours_capacty: 100\n", "staffing.it_support.hours_capacty"),
    ("norm_overrides:\n  - field: office\n    minimum: 3\n", "norm_overrides.0.minimum"),
    ("nme: x\n", "nme"),
])
def test_unknown_key_named_with_its_path(tmp_path, text, key):
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(write(tmp_path, text))
    assert info.value.problems == [f"{key}: unknown key"]
    assert key in str(info.value) and "s.yaml" in str(info.value)


@pytest.mark.parametrize("text,key,shown", [
    ("solver:\n  time_limit_s: soon\n", "solver.time_limit_s", "'soon'"),
    ("solver:\n  name: gurobi\n", "solver.name", "'gurobi'"),
    ("solver:\n  threads: 0\n", "solver.threads", "0"),
    ("assets:\n  single_source: perhaps\n", "assets.single_source", "'perhaps'"),
    ("staffing:\n  shortage_penalty: 5\n", "staffing.shortage_penalty", "5"),
])
def test_wrong_type_or_range_named(tmp_path, text, key, shown):
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(write(tmp_path, text))
    [problem] = info.value.problems
    assert problem.startswith(f"{key}: ") and f"(got {shown})" in problem


def test_invalid_yaml_and_non_mapping(tmp_path):
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(write(tmp_path, "solver:\n  name: [highs\n"))
    assert "not valid YAML" in info.value.problems[0]
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(write(tmp_path, "- just\n- a list\n"))
    assert "mapping" in info.value.problems[0]


def test_digest_is_stable_and_sensitive(tmp_path):
    a = Scenario.from_yaml(write(tmp_path, "solver:\n  threads: 1\nname: x\n", "a.yaml"))
    b = Scenario.from_yaml(write(tmp_path, "name: x\nsolver:\n  threads: 1\n", "b.yaml"))
    assert a.digest() == b.digest() == Scenario.from_dict({"name": "x", "solver": {"threads": 1}}).digest()
    assert len(a.digest()) == 12
    assert Scenario.from_dict({"name": "x", "solver": {"threads": 2}}).digest() != a.digest()


def test_to_yaml_round_trips():
    s = Scenario.from_dict({"name": "Kịch bản A", "norm_overrides": [{"field": "total", "position": "any", "max_count": 40}]})
    assert Scenario.from_dict(yaml.safe_load(s.to_yaml())) == s


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_solver_runs_record_status_objective_and_gap(solver):
    import pulp

    from planner.solver import solve, solve_fast

    def model():
        problem = pulp.LpProblem("knapsack", pulp.LpMaximize)
        x = [pulp.LpVariable(f"x{i}", cat=pulp.LpBinary) for i in range(4)]
        problem += pulp.lpSum(v * w for v, w in zip(x, (5, 4, 3, 2)))
        problem += pulp.lpSum(v * w for v, w in zip(x, (4, 3, 2, 1))) <= 7
        return problem

    options = SolverOptions(name=solver)
    for run in (solve, solve_fast):
        info = run(model(), options, "knapsack", 0.0)
        assert info.status == "optimal" and info.objective == pytest.approx(10.0) and info.solver == solver
        assert info.gap is None or info.gap <= options.mip_gap + 1e-12
        if solver == "highs":
            assert info.gap is not None
    lp = solve(model(), options, "knapsack_lp", 0.0, mip=False)
    assert lp.objective == pytest.approx(10.25) and lp.gap == 0.0  # LP relaxation: x1..x3 (weight 6, value 9) + x0 / 4


@pytest.mark.parametrize("path", sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_bundled_scenarios_load_and_differ_from_the_defaults(path):
    scenario = Scenario.from_yaml(path)
    assert scenario.name == path.stem
    if path.stem != "baseline":
        assert scenario.digest() != Scenario(name=path.stem).digest()


def test_partial_penalty_override_keeps_the_other_defaults(tmp_path):
    s = Scenario.from_yaml(write(tmp_path, "staffing:\n  shortage_penalty:\n    it_digital: 1500\n"))
    defaults = Scenario().staffing.shortage_penalty
    assert s.staffing.shortage_penalty == {**defaults, "it_digital": 1500.0}
    assert s.staffing.penalty("leadership") == defaults["leadership"] == 2000.0


def test_partial_area_norm_override_keeps_the_other_positions(tmp_path):
    s = Scenario.from_yaml(write(tmp_path, "assets:\n  m2_per_official:\n    chair: 20\n"))
    assert s.assets.m2_per_official == {**Scenario().assets.m2_per_official, "chair": 20.0}


@pytest.mark.parametrize("text,key,code", [
    ("staffing:\n  shortage_penalty:\n    it_digtal: 1500\n", "staffing.shortage_penalty.it_digtal", "it_digital"),
    ("assets:\n  m2_per_official:\n    chairman: 20\n", "assets.m2_per_official.chairman", "vice_chair"),
])
def test_misspelled_code_key_is_named_with_the_allowed_codes(tmp_path, text, key, code):
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(write(tmp_path, text))
    [problem] = info.value.problems
    assert problem.startswith(f"{key}: unknown key") and code in problem and "s.yaml" in str(info.value)


@pytest.mark.parametrize("entry,column", [("field: it_digtal", "field"), ("field: office\n    position: boss", "position"),
                                          ("field: office\n    commune_type: town", "commune_type")])
def test_norm_override_codes_are_checked_against_the_code_lists(tmp_path, entry, column):
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(write(tmp_path, f"norm_overrides:\n  - {entry}\n"))
    assert info.value.problems[0].startswith(f"norm_overrides.0.{column}: unknown code")


def test_bundled_scenarios_load_and_it_priority_changes_only_two_penalties():
    folder = Path(__file__).resolve().parents[1] / "scenarios"
    for path in folder.glob("*.yaml"):
        Scenario.from_yaml(path)
    it = Scenario.from_yaml(folder / "it_priority.yaml").staffing.shortage_penalty
    changed = {k for k, v in it.items() if v != Scenario().staffing.shortage_penalty[k]}
    assert changed == {"it_digital", "accounting_finance"}


def test_cli_exits_2_naming_a_misspelled_scenario_key(tmp_path):
    import subprocess
    import sys

    path = write(tmp_path, "staffing:\n  shortage_penalty:\n    it_digtal: 1500\n")
    data = Path(__file__).resolve().parents[1] / "data" / "lang_son.xlsx"
    run = subprocess.run([sys.executable, "-m", "planner.cli", "solve", str(data), "--scenario", str(path),
                          "--out", str(tmp_path / "plan.xlsx")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 2
    assert "staffing.shortage_penalty.it_digtal" in run.stderr and "s.yaml" in run.stderr
    assert not (tmp_path / "plan.xlsx").exists()
