"""The solver layer (planner/solver.py): one status enum, one option map, one session, silent HiGHS.

A time limit is always `time_limit` (with or without a plan), through one-shot solves, warm-started
re-solves and CBC alike; the models raise SolveTimeLimit, never PlanInfeasible, when no plan exists.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pulp
import pytest

from planner import solver as solver_module
from planner.dataset import Dataset
from planner.errors import PlanInfeasible, SolveTimeLimit
from planner.models.staffing import plan_staffing
from planner.scenario import Scenario, SolverOptions
from planner.solver import (HIGHS_STATUS, ArraySession, SolverSession, SolveStatus, highs_options, new_highs, quiet_fds, solve,
                            solve_fast, solver_version, status_from_highs, status_from_pulp, time_limit_notes, usable)

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- models for the tests
def knapsack(n: int = 300, m: int = 10, seed: int = 1) -> tuple[pulp.LpProblem, list, list]:
    """A multi-dimensional 0-1 knapsack that HiGHS cannot close within seconds (but finds plans at once)."""
    rng = random.Random(seed)
    problem = pulp.LpProblem("mkp", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{i}", cat=pulp.LpBinary) for i in range(n)]
    problem += pulp.lpSum(rng.randint(10, 100) * v for v in x)
    weights = []
    for j in range(m):
        w = [rng.randint(5, 60) for _ in x]
        weights.append((w, sum(w) // 4))
        problem += pulp.lpSum(a * v for a, v in zip(w, x)) <= sum(w) // 4, f"capacity_{j}"
    return problem, x, weights


def small_mip() -> pulp.LpProblem:
    """A 4 x 3 generalized assignment problem (optimum 15)."""
    cost = [[9, 2, 7], [6, 4, 3], [5, 8, 1], [7, 6, 9]]
    load = [[3, 2, 4], [2, 3, 2], [4, 2, 3], [1, 2, 2]]
    problem = pulp.LpProblem("gap", pulp.LpMinimize)
    y = {(i, j): pulp.LpVariable(f"y{i}{j}", cat=pulp.LpBinary) for i in range(4) for j in range(3)}
    problem += pulp.lpSum(cost[i][j] * y[i, j] for i, j in y)
    for i in range(4):
        problem += pulp.lpSum(y[i, j] for j in range(3)) == 1, f"job_{i}"
    for j in range(3):
        problem += pulp.lpSum(load[i][j] * y[i, j] for i in range(4)) <= 4, f"agent_{j}"
    return problem


def transport_lp(n: int = 80, seed: int = 3) -> tuple[pulp.LpProblem, list]:
    """A dense n x n transportation LP (each re-solve after a cost change takes real simplex work)."""
    rng = np.random.default_rng(seed)
    problem = pulp.LpProblem("transport", pulp.LpMinimize)
    x = [[pulp.LpVariable(f"t{i}_{j}", 0) for j in range(n)] for i in range(n)]
    problem += pulp.lpSum(float(c) * v for row, crow in zip(x, rng.random((n, n))) for v, c in zip(row, crow))
    for i in range(n):
        problem += pulp.lpSum(x[i]) <= 2.0, f"supply_{i}"
        problem += pulp.lpSum(x[k][i] for k in range(n)) >= 1.0, f"demand_{i}"
    return problem, [v for row in x for v in row]


# ---------------------------------------------------------------- the translation tables
def test_the_status_enum_has_exactly_five_plain_string_values():
    assert [s.value for s in SolveStatus] == ["optimal", "infeasible", "unbounded", "time_limit", "error"]
    assert SolveStatus.time_limit == "time_limit" and f"{SolveStatus.optimal}" == "optimal"
    assert str(SolveStatus.infeasible) == "infeasible"


def test_every_highs_model_status_maps_to_one_solve_status():
    import highspy

    names = list(highspy.HighsModelStatus.__members__)
    assert set(names) <= set(HIGHS_STATUS), f"place new HiGHS statuses in HIGHS_STATUS: {set(names) - set(HIGHS_STATUS)}"
    for name, member in highspy.HighsModelStatus.__members__.items():
        for has_solution in (True, False):
            assert isinstance(status_from_highs(member, has_solution), SolveStatus)
            assert status_from_highs(member, has_solution) == status_from_highs(name, has_solution)
    expected = {"kOptimal": "optimal", "kInfeasible": "infeasible", "kUnboundedOrInfeasible": "infeasible",
                "kUnbounded": "unbounded", "kTimeLimit": "time_limit", "kIterationLimit": "time_limit",
                "kInterrupt": "time_limit", "kSolutionLimit": "time_limit", "kSolveError": "error",
                "kLoadError": "error", "kModelError": "error", "kPresolveError": "error", "kPostsolveError": "error",
                "kMemoryLimit": "error", "kNotset": "error"}
    for name, status in expected.items():
        has_solution = name == "kOptimal"
        assert status_from_highs(getattr(highspy.HighsModelStatus, name), has_solution) == status, name
    # a time limit is a time limit with or without a plan, never an infeasibility
    for has_solution in (True, False):
        assert status_from_highs(highspy.HighsModelStatus.kTimeLimit, has_solution) == SolveStatus.time_limit
    assert status_from_highs(highspy.HighsModelStatus.kUnknown, True) == SolveStatus.time_limit
    assert status_from_highs(highspy.HighsModelStatus.kUnknown, False) == SolveStatus.error
    assert status_from_highs("kSomethingNew", False) == SolveStatus.error


def test_pulp_status_codes_map_to_one_solve_status():
    assert status_from_pulp(pulp.LpStatusOptimal, pulp.LpSolutionOptimal) == SolveStatus.optimal
    assert status_from_pulp(pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible) == SolveStatus.time_limit
    assert status_from_pulp(pulp.LpStatusInfeasible, pulp.LpSolutionInfeasible) == SolveStatus.infeasible
    assert status_from_pulp(pulp.LpStatusUnbounded, pulp.LpSolutionUnbounded) == SolveStatus.unbounded
    assert status_from_pulp(pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound) == SolveStatus.time_limit
    assert status_from_pulp(pulp.LpStatusUndefined, None) == SolveStatus.error


def test_one_option_map_for_every_highs_solve():
    options = SolverOptions(time_limit_s=5, threads=3, seed=7, mip_gap=0.01, msg=False)
    assert highs_options(options, presolve=False) == {
        "output_flag": False, "time_limit": 5.0, "threads": 3, "mip_rel_gap": 0.01, "random_seed": 7, "presolve": "off"}
    assert highs_options(SolverOptions(msg=True))["output_flag"] is True
    assert highs_options(SolverOptions())["presolve"] == "on"
    highs = new_highs()
    for key, value in highs_options(options).items():  # every value is one HiGHS accepts
        assert str(highs.setOptionValue(key, value)).endswith("kOk"), key


# ---------------------------------------------------------------- time limits
def test_a_time_limit_with_an_incumbent_is_time_limit_with_a_plan_and_its_gap():
    problem, x, weights = knapsack()
    info = solve_fast(problem, SolverOptions(time_limit_s=0.5), "mkp", 0.0)
    assert info.status == SolveStatus.time_limit and info.solver == "highs"
    assert info.has_solution and info.objective is not None and info.objective > 0
    assert info.gap is not None and 0 < info.gap < 1
    assert info.time_limit_s == 0.5
    chosen = np.array([v.varValue for v in x]) > 0.5  # the plan is written back and feasible
    assert all(np.dot(w, chosen) <= cap for w, cap in weights)
    assert usable(info, "test") is True
    notes = time_limit_notes([info, info])
    assert len(notes) == 1 and "mkp" in notes[0] and "time limit" in notes[0] and "giây" in notes[0].vi


def test_a_time_limit_without_an_incumbent_has_no_plan_and_raises_in_models():
    problem, _, _ = knapsack()
    info = solve_fast(problem, SolverOptions(time_limit_s=1e-6), "mkp", 0.0)
    assert info.status == SolveStatus.time_limit and not info.has_solution
    assert info.objective is None and info.gap is None
    assert time_limit_notes([info]) == []
    with pytest.raises(SolveTimeLimit) as err:
        usable(info, "assets")
    assert err.value.stage == "assets" and err.value.model == "mkp" and err.value.seconds == 1e-6
    assert not isinstance(err.value, PlanInfeasible) and err.value.exit_code == 1


def test_cbc_time_limits_are_time_limits_too():
    problem, _, _ = knapsack()
    info = solve(problem, SolverOptions(name="cbc", time_limit_s=0.3), "mkp", 0.0)
    assert info.solver == "cbc" and info.status == SolveStatus.time_limit
    assert info.has_solution == (info.objective is not None)


def test_warm_started_re_solves_report_time_limits_never_infeasible():
    problem, x, _ = knapsack(seed=2)
    session = SolverSession(problem, SolverOptions(time_limit_s=0.3))
    first = session.solve("mkp")
    assert first.status == SolveStatus.time_limit and first.has_solution
    rng = random.Random(5)
    session.set_objective(pulp.LpAffineExpression({v: rng.randint(10, 100) for v in x}))
    infos = [session.solve("mkp_new_profits")]
    assert infos[-1].objective == pytest.approx(pulp.value(problem.objective))  # values written back
    session.set_bounds(x[:20], 0.0, 0.0)
    infos.append(session.solve("mkp_fewer_items"))
    assert infos[-1].objective == pytest.approx(pulp.value(problem.objective))
    third = infos[-1]
    for info in infos:
        assert info.status == SolveStatus.time_limit and info.solver == "highs"
        assert info.has_solution and info.gap is not None and info.gap > 0
    assert all(v.varValue < 0.5 for v in x[:20]) and all(v.upBound == 0.0 for v in x[:20])
    assert third.build_seconds == 0.0 and first.build_seconds > 0  # the hand-off counts once


def test_the_time_limit_is_per_solve_in_a_warm_session():
    """HiGHS's clock keeps running across run() calls: re-solves must not inherit the time already spent."""
    problem, flows = transport_lp()
    limit = 0.4
    session = SolverSession(problem, SolverOptions(time_limit_s=limit), mip=False)
    rng = np.random.default_rng(0)
    statuses = []
    while session.highs.getRunTime() < 2.5 * limit and len(statuses) < 400:
        session.set_objective(pulp.LpAffineExpression(dict(zip(flows, rng.random(len(flows)).tolist()))))
        statuses.append(session.solve("transport").status)
    assert session.highs.getRunTime() >= 2.5 * limit, "re-solves too fast to pass the limit in total"
    assert set(statuses) == {SolveStatus.optimal}


# ---------------------------------------------------------------- the session
def test_session_writes_values_and_lp_duals_and_re_solves_warm():
    problem = pulp.LpProblem("lp", pulp.LpMinimize)
    x, y = pulp.LpVariable("x", 0, 4), pulp.LpVariable("y", 0, 4)
    problem += x + 2 * y
    problem += x + y >= 3, "cover"
    session = SolverSession(problem, SolverOptions(), mip=False)
    info = session.solve("lp")
    assert (info.status, info.objective, info.gap, info.has_solution) == ("optimal", 3.0, 0.0, True)
    assert (x.varValue, y.varValue) == (3.0, 0.0) and problem.constraints()[0].pi == pytest.approx(1.0)
    session.set_bounds([x], 0.0, 1.0)
    info = session.solve("lp_capped")
    assert info.objective == pytest.approx(5.0) and y.varValue == pytest.approx(2.0) and x.upBound == 1.0
    assert problem.constraints()[0].pi == pytest.approx(2.0)
    z = pulp.LpVariable("z", 0, 10)  # in no row: HiGHS has not seen it, the session reloads the model
    session.set_objective(x + 2 * y - z + 1)
    info = session.solve("lp_new_column")
    assert info.objective == pytest.approx(5.0 - 10.0 + 1.0) and z.varValue == pytest.approx(10.0)
    session.set_bounds([x, y], 0.0, 0.0)
    assert session.solve("lp_infeasible").status == SolveStatus.infeasible


def test_models_without_columns_are_judged_by_their_rows():
    for rhs, status in ((1.0, SolveStatus.infeasible), (-1.0, SolveStatus.optimal)):
        problem = pulp.LpProblem("empty", pulp.LpMinimize)
        problem.extend({"row": pulp.LpConstraint(pulp.LpAffineExpression(), pulp.LpConstraintGE, rhs=rhs)})
        info = solve_fast(problem, SolverOptions(), "empty", 0.0)
        assert info.status == status and info.solver == "highs"


@pytest.mark.parametrize("mip", [True, False])
def test_cbc_and_highs_agree_on_a_small_model(mip):
    results = {}
    for name in ("highs", "cbc"):
        info = solve_fast(small_mip(), SolverOptions(name=name), "gap", 0.0, mip=mip)
        assert info.status == SolveStatus.optimal and info.solver == name and info.has_solution
        results[name] = info.objective
    assert results["highs"] == pytest.approx(results["cbc"], abs=1e-6)
    if mip:
        assert results["highs"] == pytest.approx(15.0)


def test_cbc_is_the_fallback_when_highs_raises(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("no HiGHS here")

    monkeypatch.setattr(solver_module, "new_highs", broken)
    info = solve_fast(small_mip(), SolverOptions(), "gap", 0.0)
    assert info.solver == "cbc" and info.status == SolveStatus.optimal and info.objective == pytest.approx(15.0)
    monkeypatch.undo()

    def error_status(self, model, build_seconds):
        raise RuntimeError("HiGHS stopped with status Solve error")

    monkeypatch.setattr(SolverSession, "_solve_highs", error_status)
    session = SolverSession(small_mip(), SolverOptions())
    assert session.solve("gap").solver == "cbc" and session.solve("gap_again").solver == "cbc"


def test_solve_info_row_has_plain_values():
    info = solve_fast(small_mip(), SolverOptions(), "gap", 0.0)
    row = info.as_row()
    assert type(row["status"]) is str and row["status"] == "optimal" and row["has_solution"] is True
    assert "time_limit_s" not in row


# ---------------------------------------------------------------- staffing under a time limit
LAT, LON = 21.0, [106.0, 106.1]


def two_communes(n_it: int = 2) -> Dataset:
    """Two communes 10 km apart that both need 2 IT officials; n_it IT officials live in A (fairness re-solves)."""
    communes = pd.DataFrame({"code": [1, 2], "name": ["Xã A", "Xã B"], "type": "xa", "area_km2": 50.0,
                             "population": 5000, "lon": LON, "lat": LAT})
    old_units = pd.DataFrame({"id": ["U1", "U2"], "old_code": [1, 2], "name": ["Unit 1", "Unit 2"], "kind": "xa",
                              "district": "D", "commune_code": [1, 2], "lon": LON, "lat": LAT, "population_share": 1.0})
    officials = pd.DataFrame([{"id": f"O{k}", "name": f"Official {k}", "old_unit_id": "U1", "position": "specialist",
                               "field": "it_digital", "qualification": "bachelor", "grade": "specialist",
                               "birth_year": 1980, "gender": "female", "eligible_for_leadership": False,
                               "willing_to_relocate": False} for k in range(1, n_it + 1)])
    norms = pd.DataFrame([{"rule_id": "R0", "commune_type": "any", "min_population": 0, "position": "specialist",
                           "per_10k_residents": 0.0, "field": "it_digital", "min_count": 2, "max_count": 2}])
    return Dataset.from_frames({"communes": communes, "old_units": old_units, "officials": officials,
                                "staffing_norms": norms}, source="test")


def staffing_scenario(**solver) -> Scenario:
    return Scenario.from_dict({"staffing": {"fairness": True, "it_support": {"enabled": False}}, "solver": solver})


def report_time_limit(monkeypatch, models: set[str], with_plan: bool, solver: str = "highs") -> list[str]:
    """Let the session's solves of `models` end as a time limit (the tiny model solves at once otherwise)."""
    seen = []
    method = "_solve_highs" if solver == "highs" else "_solve_cbc"

    def patched(original):
        def run(self, model, build_seconds, *rest):
            info = original(self, model, build_seconds, *rest)
            seen.append(model)
            if model not in models:
                return info
            if with_plan:
                return replace(info, status=SolveStatus.time_limit, gap=0.25)
            return replace(info, status=SolveStatus.time_limit, has_solution=False, objective=None, gap=None)
        return run

    for session in (SolverSession, ArraySession):  # models built with PuLP, and models built as arrays
        monkeypatch.setattr(session, method, patched(getattr(session, method)))
    return seen


def test_staffing_under_a_tiny_time_limit_plans_or_says_time_limit(tiny_ds):
    for limit in (1e-6, 1e-3, 120.0):
        try:
            result = plan_staffing(tiny_ds, Scenario.from_dict({"solver": {"time_limit_s": limit}}), hq=None)
        except SolveTimeLimit as err:  # never PlanInfeasible: the tiny province has a plan
            assert err.stage == "staffing" and err.model.startswith(("staffing", "it_support")) and err.seconds == limit
            assert limit < 1
        else:
            assert len(result.tables["assignments"]) > 0
    with pytest.raises(SolveTimeLimit):  # HiGHS stops before its first iteration at 1 microsecond
        plan_staffing(tiny_ds, Scenario.from_dict({"solver": {"time_limit_s": 1e-6}}), hq=None)


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_staffing_time_limit_without_a_plan_is_not_an_infeasible_scenario(monkeypatch, solver):
    report_time_limit(monkeypatch, {"staffing"}, with_plan=False, solver=solver)
    with pytest.raises(SolveTimeLimit) as err:
        plan_staffing(two_communes(), staffing_scenario(name=solver, time_limit_s=7), hq=None)
    assert (err.value.stage, err.value.model, err.value.seconds) == ("staffing", "staffing", 7)
    assert "time limit" in str(err.value)


def test_warm_started_fairness_search_time_limit_raises_time_limit(monkeypatch):
    seen = report_time_limit(monkeypatch, {"staffing_fairness"}, with_plan=False)
    with pytest.raises(SolveTimeLimit) as err:
        plan_staffing(two_communes(), staffing_scenario(), hq=None)
    assert err.value.model == "staffing_fairness" and "staffing_fairness" in seen


def test_warm_started_fairness_search_uses_time_limited_plans_with_a_note(monkeypatch):
    fair = plan_staffing(two_communes(), staffing_scenario(), hq=None)
    seen = report_time_limit(monkeypatch, {"staffing_fairness", "staffing"}, with_plan=True)
    result = plan_staffing(two_communes(), staffing_scenario(), hq=None)
    assert "staffing_fairness" in seen
    notes = [n for n in result.notes if "time limit" in n]
    assert {n.split(":")[0] for n in notes} == {"staffing", "staffing_fairness"} and "25.00%" in notes[0]
    assert all(s.status == "time_limit" and s.has_solution for s in result.solves if s.model.startswith("staffing"))
    assert sorted(result.tables["assignments"]["commune_code"]) == sorted(fair.tables["assignments"]["commune_code"])


def test_cli_exits_with_the_time_limit_code_and_message(tmp_path, tiny_ds, capsys):
    from planner.cli import main

    source = tmp_path / "tiny"
    tiny_ds.save_csv(source)
    scenario = tmp_path / "fast.yaml"
    scenario.write_text("solver:\n  time_limit_s: 0.000001\n", encoding="utf-8")
    code = main(["solve", str(source), "--scenario", str(scenario), "--out", str(tmp_path / "plan.xlsx")])
    err = capsys.readouterr().err
    assert code == SolveTimeLimit("s", "m", 1).exit_code == 1
    assert "hết thời gian" in err and "time_limit_s" in err and not (tmp_path / "plan.xlsx").exists()  # vi default
    code = main(["solve", str(source), "--scenario", str(scenario), "--out", str(tmp_path / "plan.xlsx"), "--lang", "en"])
    assert code == 1 and "time limit" in capsys.readouterr().err


def test_the_app_explains_a_time_limit_in_plain_words():
    from planner.ui.common import describe_error

    err = SolveTimeLimit("staffing", "staffing_fairness", 2.0, None)
    for lang, word in (("en", "time limit"), ("vi", "hết thời gian")):
        title, lines = describe_error(err, lang)
        assert "thời gian" in title or "time" in title
        assert len(lines) == 1 and word in lines[0] and "time_limit_s" in lines[0]


# ---------------------------------------------------------------- silence
def run_python(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, **env})


def assert_silent(text: str) -> None:
    assert "Running HiGHS" not in text and "Copyright" not in text and "HiGHS run time" not in text


def test_planner_version_prints_only_the_versions():
    planner = Path(sys.executable).with_name("planner")
    done = subprocess.run([str(planner), "version"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0
    assert_silent(done.stdout + done.stderr)
    assert done.stderr == "" and done.stdout.startswith("planner ") and len(done.stdout.splitlines()) == 1


SOLVE_SMALL_LP = """
import pulp
from planner.scenario import SolverOptions
from planner.solver import SolverSession
p = pulp.LpProblem("lp", pulp.LpMinimize)
x = pulp.LpVariable("x", 0, 4); y = pulp.LpVariable("y", 0, 4)
p += x + 2 * y
p += x + y >= 3
session = SolverSession(p, SolverOptions(msg={msg}), mip=False)
first = session.solve("lp")
session.set_bounds([x], 0, 1)
print("RESULT", first.status, session.solve("lp").objective)
"""


def test_solves_are_silent_unless_msg_and_print_the_log_with_msg():
    quiet = run_python(SOLVE_SMALL_LP.format(msg=False))
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == "RESULT optimal 5.0\n" and quiet.stderr == ""
    assert "HiGHS" not in quiet.stdout + quiet.stderr
    loud = run_python(SOLVE_SMALL_LP.format(msg=True))
    assert loud.returncode == 0 and "HiGHS" in loud.stdout and "RESULT optimal 5.0" in loud.stdout


def test_the_fd_redirect_hides_c_output_and_restores_stdout():
    done = run_python("import os, sys\n"
                      "from planner.solver import quiet_fds\n"
                      "print('before')\n"
                      "with quiet_fds():\n"
                      "    print('hidden print'); os.write(1, b'hidden fd1\\n'); os.write(2, b'hidden fd2\\n')\n"
                      "print('after'); sys.stderr.write('err after\\n')\n"
                      "os.write(1, b'fd after\\n')\n")
    assert done.returncode == 0
    assert done.stdout == "before\nafter\nfd after\n" and done.stderr == "err after\n"


def test_every_highs_comes_through_the_silent_constructor(monkeypatch, capfd):
    """A HiGHS whose constructor prints (as 1.16 does, from C++) stays silent, in solves and in solver_version."""
    import highspy

    class Banner:
        def __init__(self):
            os.write(1, b"Running HiGHS 9.9.9: Copyright (c) banner\n")
            os.write(2, b"Copyright on stderr\n")
            self._real = real()

        def version(self):
            return "9.9.9"

        def __getattr__(self, name):
            return getattr(self._real, name)

    real = highspy.Highs
    monkeypatch.setattr(highspy, "Highs", Banner)
    solver_version.cache_clear()
    try:
        assert solver_version("highs") == "HiGHS 9.9.9"
        info = solve_fast(small_mip(), SolverOptions(), "gap", 0.0)
        assert info.solver == "highs" and info.objective == pytest.approx(15.0)
        with quiet_fds():
            os.write(1, b"inside\n")
        print("after")
        out, err = capfd.readouterr()
        assert out == "after\n" and err == ""
        new_highs(msg=True)
        assert "Running HiGHS 9.9.9" in capfd.readouterr().out  # with msg the solver may talk
    finally:
        solver_version.cache_clear()


def _transport_arrays():
    """Two sources (supply 3, 2) and two sinks (demand 2, 2) with unmet columns: x00 x01 x10 x11 u0 u1.
    Rows: supply (<=), demand (=). Costs of the routes: 1 4 / 2 1."""
    from planner.solver import ArrayModel

    start = np.array([0, 2, 4, 7, 10], dtype=np.int32)
    index = np.array([0, 1, 2, 3, 0, 2, 4, 1, 3, 5], dtype=np.int32)
    return ArrayModel(cost=np.zeros(6), lower=np.zeros(6), upper=np.array([np.inf] * 4 + [2.0, 2.0]),
                      row_lower=np.array([-np.inf, -np.inf, 2.0, 2.0]), row_upper=np.array([3.0, 2.0, 2.0, 2.0]),
                      start=start, index=index, value=np.ones(10))


@pytest.mark.parametrize("name", ["highs", "cbc"])
def test_array_sessions_keep_each_levels_optimum_by_bounds(name):
    """Level 1 (nothing unmet) then routing cost on its optimal face: the face is kept by bounds, not by rows,
    and HiGHS and CBC (the fallback, built from the same arrays) agree."""
    from planner.solver import ArraySession

    session = ArraySession(_transport_arrays(), SolverOptions(name=name))
    session.set_objective([0, 0, 0, 0, 1, 1])
    first = session.solve("unmet")
    assert first.status == "optimal" and first.objective == pytest.approx(0.0)
    session.fix_optimal_face(0.5)
    assert session.upper[4] == session.upper[5] == 0.0  # unmet columns pinned at 0 by their reduced costs
    session.set_objective([1, 4, 2, 1, 0, 0])
    second = session.solve("route", primal=True)
    assert second.objective == pytest.approx(4.0) and np.allclose(session.x, [2, 0, 0, 2, 0, 0])
    session.reset_bounds()
    session.set_column_bounds([0, 1, 2, 3], 0.0, 0.0)  # no routes at all: everything unmet, still optimal
    session.set_objective([0, 0, 0, 0, 1, 1])
    assert session.solve("unmet").objective == pytest.approx(4.0)
