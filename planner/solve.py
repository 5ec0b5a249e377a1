"""One solver wrapper for every model: HiGHS by default, CBC as fallback, timings and status."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import pulp

from .scenario import SolverOptions


@dataclass
class SolveInfo:
    """What a solve did; recorded with every result."""

    model: str
    solver: str
    solver_version: str
    status: str  # optimal | infeasible | unbounded | time_limit | not_solved | error
    objective: float | None
    gap: float | None
    build_seconds: float
    solve_seconds: float
    variables: int
    constraints: int

    def as_row(self) -> dict:
        return asdict(self)


class SolverFailed(RuntimeError):
    """No solver could solve the model (not an infeasibility: that is a status)."""


def solver_version(name: str) -> str:
    if name == "highs":
        import highspy

        return f"HiGHS {highspy.Highs().version()}"
    cbc = pulp.PULP_CBC_CMD(msg=False)
    return f"CBC (PuLP {pulp.__version__} bundled)" if cbc.available() else "CBC unavailable"


def make_solver(name: str, options: SolverOptions, mip: bool = True):
    if name == "highs":
        return pulp.HiGHS(
            mip=mip,
            msg=options.msg,
            timeLimit=options.time_limit_s,
            threads=options.threads,
            gapRel=options.mip_gap,
            random_seed=options.seed,
        )
    return pulp.PULP_CBC_CMD(
        mip=mip,
        msg=options.msg,
        timeLimit=options.time_limit_s,
        threads=options.threads,
        gapRel=options.mip_gap,
        options=[f"randomSeed {options.seed}"] if options.seed else None,
    )


_STATUS = {
    pulp.LpStatusOptimal: "optimal",
    pulp.LpStatusInfeasible: "infeasible",
    pulp.LpStatusUnbounded: "unbounded",
    pulp.LpStatusNotSolved: "not_solved",
    pulp.LpStatusUndefined: "not_solved",
}


def solve(problem: pulp.LpProblem, options: SolverOptions, model: str, build_seconds: float, mip: bool = True) -> SolveInfo:
    """Solve with the scenario's solver; on a solver error fall back to the other one.

    Infeasibility is reported in the status, never raised: callers explain it in plain words.
    """
    order = [options.name] + [s for s in ("highs", "cbc") if s != options.name]
    errors = []
    for name in order:
        start = time.perf_counter()
        try:
            code = problem.solve(make_solver(name, options, mip=mip))
        except Exception as exc:  # a broken solver install must not stop the plan
            errors.append(f"{name}: {exc}")
            continue
        seconds = time.perf_counter() - start
        status = _STATUS.get(code, "error")
        sol_status = getattr(problem, "sol_status", None)
        if status == "optimal" and sol_status == pulp.LpSolutionIntegerFeasible:
            status = "time_limit"
        objective = pulp.value(problem.objective) if status in ("optimal", "time_limit") else None
        return SolveInfo(
            model=model,
            solver=name,
            solver_version=solver_version(name),
            status=status,
            objective=None if objective is None else float(objective),
            gap=None,
            build_seconds=round(build_seconds, 4),
            solve_seconds=round(seconds, 4),
            variables=problem.numVariables(),
            constraints=problem.numConstraints(),
        )
    raise SolverFailed("; ".join(errors))
