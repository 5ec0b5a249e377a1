"""One solver wrapper for every model: HiGHS by default, CBC as fallback, timings and status."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import pulp

from .errors import SolverFailed
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


def _reported_gap(problem: pulp.LpProblem, name: str, status: str, mip: bool) -> float | None:
    """Relative optimality gap: 0 for a solved LP, HiGHS's own figure for a MIP; None where unknown (CBC MIP)."""
    if status not in ("optimal", "time_limit"):
        return None
    integer = mip and any(v.cat == pulp.LpInteger for v in problem.variables())
    if not integer:
        return 0.0 if status == "optimal" else None
    highs = getattr(problem, "solverModel", None)
    if name == "highs" and highs is not None and hasattr(highs, "getInfo"):
        return float(highs.getInfo().mip_gap)
    return None


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
            gap=_reported_gap(problem, name, status, mip),
            build_seconds=round(build_seconds, 4),
            solve_seconds=round(seconds, 4),
            variables=problem.numVariables(),
            constraints=problem.numConstraints(),
        )
    raise SolverFailed("; ".join(errors))


def pulp_arrays(problem: pulp.LpProblem) -> dict:
    """The PuLP model as numpy arrays (row-wise CSR), with its variables and constraints in order.

    Flattening the rows once (vectorized over object ids) and handing arrays to highspy is several
    times faster than pulp.HiGHS, which adds columns and rows one at a time (see design.md).
    """
    from itertools import chain

    import numpy as np

    constraints = list(problem._constraints.values())
    objective = problem.objective if problem.objective is not None else pulp.LpAffineExpression()
    row_keys = list(chain.from_iterable(c.keys() for c in constraints))
    all_keys = list(objective.keys()) + row_keys
    ids = np.fromiter(map(id, all_keys), dtype=np.int64, count=len(all_keys))
    unique_ids, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # columns in order of first appearance
    column_of = np.empty(len(order), dtype=np.int64)
    column_of[order] = np.arange(len(order))
    columns = column_of[inverse]
    variables = [all_keys[k] for k in first[order]]
    n_obj = len(objective)
    cost = np.zeros(len(variables))
    cost[columns[:n_obj]] = np.fromiter(objective.values(), dtype=float, count=n_obj)
    lengths = np.fromiter((len(c.expr) for c in constraints), dtype=np.int64, count=len(constraints))
    value = np.fromiter(chain.from_iterable(c.values() for c in constraints), dtype=float, count=len(row_keys))
    lower = np.array([-np.inf if v.lowBound is None else v.lowBound for v in variables], dtype=float)
    upper = np.array([np.inf if v.upBound is None else v.upBound for v in variables], dtype=float)
    integer = np.array([v.cat == pulp.LpInteger for v in variables], dtype=bool)
    rhs = -np.array([c.constant for c in constraints], dtype=float)
    sense = np.array([c.sense for c in constraints], dtype=int)
    return {
        "variables": variables, "constraints": constraints, "cost": cost, "offset": float(objective.constant),
        "lower": lower, "upper": upper, "integer": integer,
        "row_lower": np.where(sense == pulp.LpConstraintLE, -np.inf, rhs),
        "row_upper": np.where(sense == pulp.LpConstraintGE, np.inf, rhs),
        "start": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32),
        "index": columns[n_obj:].astype(np.int32), "value": value,
    }


def _solve_highs_arrays(problem: pulp.LpProblem, options: SolverOptions, mip: bool,
                        presolve: bool = True) -> tuple[str, int, int, float | None]:
    """Solve the flattened model with highspy; write values and duals back onto the PuLP objects.

    Returns status, number of variables, number of constraints and the relative gap (0 for an LP)."""
    import highspy
    import numpy as np

    arrays = pulp_arrays(problem)
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", bool(options.msg))
    highs.setOptionValue("time_limit", float(options.time_limit_s))
    highs.setOptionValue("threads", int(options.threads))
    highs.setOptionValue("mip_rel_gap", float(options.mip_gap))
    highs.setOptionValue("random_seed", int(options.seed))
    highs.setOptionValue("presolve", "on" if presolve else "off")
    n, m = len(arrays["variables"]), len(arrays["constraints"])
    integrality = (arrays["integer"] & mip).astype(np.int32)
    sense = highspy.ObjSense.kMaximize if problem.sense == pulp.LpMaximize else highspy.ObjSense.kMinimize
    highs.passModel(n, m, len(arrays["index"]), int(highspy.MatrixFormat.kRowwise), int(sense), arrays["offset"],
                    arrays["cost"], arrays["lower"], arrays["upper"], arrays["row_lower"], arrays["row_upper"],
                    arrays["start"], arrays["index"], arrays["value"], integrality)
    highs.run()
    status = highs.getModelStatus()
    statuses = highspy.HighsModelStatus
    info = highs.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if has_solution:
        solution = highs.getSolution()
        for var, val in zip(arrays["variables"], solution.col_value):
            var.varValue = val
        if not mip or not arrays["integer"].any():
            for con, dual in zip(arrays["constraints"], solution.row_dual):
                con.pi = dual
    gap = (float(info.mip_gap) if mip and arrays["integer"].any() else 0.0) if has_solution else None
    if status == statuses.kOptimal:
        return "optimal", n, m, gap
    if status in (statuses.kInfeasible, statuses.kUnboundedOrInfeasible):
        return "infeasible", n, m, None
    if status == statuses.kUnbounded:
        return "unbounded", n, m, None
    if status in (statuses.kTimeLimit, statuses.kIterationLimit, statuses.kInterrupt):
        return ("time_limit" if has_solution else "not_solved"), n, m, gap
    raise RuntimeError(f"HiGHS stopped with status {highs.modelStatusToString(status)}")


def solve_fast(problem: pulp.LpProblem, options: SolverOptions, model: str, build_seconds: float,
               mip: bool = True, presolve: bool = True) -> SolveInfo:
    """Like solve(), but HiGHS gets the model as arrays (fast hand-off); CBC (via PuLP) stays the fallback.

    Variable values (and row duals of LPs, as constraint.pi) are written back onto the PuLP objects.
    presolve=False helps pure network LPs (assignment-like), where HiGHS presolve costs more than it saves.
    """
    if options.name != "highs":
        return solve(problem, options, model, build_seconds, mip=mip)
    start = time.perf_counter()
    try:
        status, n_variables, n_constraints, gap = _solve_highs_arrays(problem, options, mip, presolve)
    except Exception:  # a broken HiGHS install must not stop the plan: CBC through PuLP
        fallback = options.model_copy(update={"name": "cbc"})
        return solve(problem, fallback, model, build_seconds, mip=mip)
    seconds = time.perf_counter() - start
    objective = pulp.value(problem.objective) if status in ("optimal", "time_limit") else None
    return SolveInfo(
        model=model, solver="highs", solver_version=solver_version("highs"), status=status,
        objective=None if objective is None else float(objective), gap=gap,
        build_seconds=round(build_seconds, 4), solve_seconds=round(seconds, 4),
        variables=n_variables, constraints=n_constraints,
    )


class HighsSession:
    """One HiGHS LP kept alive across re-solves of the same PuLP model.

    Bound and objective changes go to both the PuLP variables and HiGHS, so each re-solve warm-starts
    from the previous basis (a sequence of related LPs costs little more than one). Values and row
    duals are written back onto the PuLP objects after every solve.
    """

    def __init__(self, problem: pulp.LpProblem, options: SolverOptions, presolve: bool = True):
        import highspy
        import numpy as np

        self.problem, self.options = problem, options
        self.arrays = pulp_arrays(problem)
        self.column = {id(v): k for k, v in enumerate(self.arrays["variables"])}
        self.highs = highspy.Highs()
        for name, value in (("output_flag", bool(options.msg)), ("time_limit", float(options.time_limit_s)),
                            ("threads", int(options.threads)), ("random_seed", int(options.seed)),
                            ("presolve", "on" if presolve else "off")):
            self.highs.setOptionValue(name, value)
        a = self.arrays
        self.highs.passModel(len(a["variables"]), len(a["constraints"]), len(a["index"]), int(highspy.MatrixFormat.kRowwise),
                             int(highspy.ObjSense.kMinimize), a["offset"], a["cost"], a["lower"], a["upper"],
                             a["row_lower"], a["row_upper"], a["start"], a["index"], a["value"],
                             np.zeros(len(a["variables"]), dtype=np.int32))

    def set_bounds(self, variables, lower, upper) -> None:
        import numpy as np

        lower, upper = np.broadcast_to(np.asarray(lower, float), (len(variables),)), np.broadcast_to(np.asarray(upper, float), (len(variables),))
        for var, lo, up in zip(variables, lower, upper):
            var.lowBound, var.upBound = (None if np.isinf(lo) else float(lo)), (None if np.isinf(up) else float(up))
        index = np.array([self.column[id(v)] for v in variables], dtype=np.int32)
        self.highs.changeColsBounds(len(index), index, np.ascontiguousarray(lower), np.ascontiguousarray(upper))

    def set_objective(self, expression: pulp.LpAffineExpression) -> None:
        import numpy as np

        self.problem.objective = expression
        cost = np.zeros(len(self.arrays["variables"]))
        cost[[self.column[id(v)] for v in expression.keys()]] = list(expression.values())
        self.highs.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), cost)

    def solve(self, model: str) -> SolveInfo:
        import highspy

        start = time.perf_counter()
        self.highs.run()
        seconds = time.perf_counter() - start
        statuses = highspy.HighsModelStatus
        status = self.highs.getModelStatus()
        if status == statuses.kOptimal:
            solution = self.highs.getSolution()
            for var, value in zip(self.arrays["variables"], solution.col_value):
                var.varValue = value
            for con, dual in zip(self.arrays["constraints"], solution.row_dual):
                con.pi = dual
            label, objective = "optimal", float(pulp.value(self.problem.objective))
        else:
            label = "infeasible" if status in (statuses.kInfeasible, statuses.kUnboundedOrInfeasible) else "not_solved"
            objective = None
        return SolveInfo(model=model, solver="highs", solver_version=solver_version("highs"), status=label,
                         objective=objective, gap=0.0 if label == "optimal" else None,  # an LP: solved means gap 0
                         build_seconds=0.0, solve_seconds=round(seconds, 4),
                         variables=len(self.arrays["variables"]), constraints=len(self.arrays["constraints"]))
