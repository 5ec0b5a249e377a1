"""The solver layer every model solves through: one status enum, one option map, one session type.

A `SolverSession` flattens a PuLP problem into arrays once (`pulp_arrays`) and hands them to HiGHS
(highspy); it solves once (`solve_fast`) or again after bound and objective changes (`set_bounds`,
`set_objective`), warm-starting from the previous basis. Values (and the row duals of an LP) are
written back onto the PuLP objects. CBC through PuLP solves when the scenario asks for it and is the
fallback whenever HiGHS raises or ends in an error status.

Every outcome is one `SolveStatus`. A time limit is always `time_limit`, never an infeasibility:
`SolveInfo.has_solution` says whether the solver left a plan (its gap is reported), and
`usable(info, stage)` raises `SolveTimeLimit` when it did not.

The solver prints nothing unless `solver.msg` is true: every `highspy.Highs` is created by
`new_highs`, which silences the banner some HiGHS versions print from their constructor.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from enum import Enum
from functools import lru_cache

import pulp

from .errors import SolverFailed, SolveTimeLimit
from .messages import Message, message
from .scenario import SolverOptions


class SolveStatus(str, Enum):
    """How a solve ended (a str, so it compares equal to and is stored as its value)."""

    optimal = "optimal"
    infeasible = "infeasible"
    unbounded = "unbounded"
    time_limit = "time_limit"  # stopped by a limit before proving optimality; has_solution says if a plan exists
    error = "error"

    def __str__(self) -> str:
        return self.value


@dataclass
class SolveInfo:
    """What a solve did; recorded with every result (`as_row` is one row of the solver_runs table)."""

    model: str
    solver: str
    solver_version: str
    status: SolveStatus
    has_solution: bool  # the solver left values to use (optimal, or a time limit with an incumbent)
    objective: float | None
    gap: float | None  # relative gap: 0 for a solved LP, HiGHS's figure for a MIP; None where unknown
    build_seconds: float
    solve_seconds: float
    variables: int
    constraints: int
    time_limit_s: float | None = None  # the limit the solve ran under (not part of the row)

    def as_row(self) -> dict:
        row = asdict(self)
        row["status"] = SolveStatus(self.status).value
        del row["time_limit_s"]
        return row


# ---------------------------------------------------------------- status translation
# every HiGHS model status (by name, so a newer highspy cannot break the import) -> one SolveStatus
HIGHS_STATUS: dict[str, SolveStatus] = {
    "kOptimal": SolveStatus.optimal,
    "kModelEmpty": SolveStatus.optimal,  # no columns: the session checks the rows itself
    "kInfeasible": SolveStatus.infeasible,
    "kUnboundedOrInfeasible": SolveStatus.infeasible,
    "kUnbounded": SolveStatus.unbounded,
    "kTimeLimit": SolveStatus.time_limit,
    "kIterationLimit": SolveStatus.time_limit,
    "kSolutionLimit": SolveStatus.time_limit,
    "kObjectiveBound": SolveStatus.time_limit,
    "kObjectiveTarget": SolveStatus.time_limit,
    "kInterrupt": SolveStatus.time_limit,
    "kHighsInterrupt": SolveStatus.time_limit,
    "kUnknown": SolveStatus.error,  # time_limit when HiGHS left a feasible point (see status_from_highs)
    "kMemoryLimit": SolveStatus.error,
    "kNotset": SolveStatus.error,
    "kLoadError": SolveStatus.error,
    "kModelError": SolveStatus.error,
    "kPresolveError": SolveStatus.error,
    "kSolveError": SolveStatus.error,
    "kPostsolveError": SolveStatus.error,
}


def status_from_highs(model_status, has_solution: bool) -> SolveStatus:
    """The one translation of a HiGHS model status (enum member or its name) and whether a primal solution exists."""
    name = model_status if isinstance(model_status, str) else getattr(model_status, "name", str(model_status))
    name = name.rsplit(".", 1)[-1]
    status = HIGHS_STATUS.get(name, SolveStatus.error)
    if name == "kUnknown" and has_solution:  # stopped without a proof but with a feasible point
        return SolveStatus.time_limit
    if name == "kOptimal" and not has_solution:  # never expected: an optimum without values
        return SolveStatus.error
    return status


def status_from_pulp(status: int, sol_status: int | None = None) -> SolveStatus:
    """The one translation of PuLP's status codes (CBC): 'Stopped' (a limit) is time_limit, with or without a solution."""
    if status == pulp.LpStatusOptimal:
        return SolveStatus.time_limit if sol_status == pulp.LpSolutionIntegerFeasible else SolveStatus.optimal
    if status == pulp.LpStatusInfeasible:
        return SolveStatus.infeasible
    if status == pulp.LpStatusUnbounded:
        return SolveStatus.unbounded
    if status == pulp.LpStatusNotSolved:  # CBC stopped on a limit before finding any solution
        return SolveStatus.time_limit
    return SolveStatus.error


# ---------------------------------------------------------------- options and a silent HiGHS
def highs_options(options: SolverOptions, presolve: bool = True) -> dict[str, object]:
    """The one map from the scenario's solver options to HiGHS option values (every HiGHS solve uses it)."""
    return {
        "output_flag": bool(options.msg),
        "time_limit": float(options.time_limit_s),
        "threads": int(options.threads),
        "mip_rel_gap": float(options.mip_gap),
        "random_seed": int(options.seed),
        "presolve": "on" if presolve else "off",
    }


def cbc_solver(options: SolverOptions, mip: bool = True) -> pulp.PULP_CBC_CMD:
    """CBC (bundled with PuLP) with the scenario's options."""
    return pulp.PULP_CBC_CMD(mip=mip, msg=bool(options.msg), timeLimit=options.time_limit_s, threads=options.threads,
                             gapRel=options.mip_gap, options=[f"randomSeed {options.seed}"] if options.seed else None)


@lru_cache(maxsize=None)
def _libc():
    try:
        import ctypes

        return ctypes.CDLL(None)
    except Exception:  # noqa: BLE001 - no C library to load (not Linux/macOS)
        return None


def _flush_c_stdio() -> None:
    """Flush C stdio buffers, so text a library buffered while redirected is written (or dropped) in place."""
    libc = _libc()
    if libc is not None:
        try:
            libc.fflush(None)
        except Exception:  # noqa: BLE001
            pass


def _flush_python_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed or missing stream
            pass


@contextmanager
def quiet_fds():
    """File descriptors 1 and 2 go to /dev/null inside the block (C/C++ output too); restored afterwards."""
    _flush_python_streams()
    _flush_c_stdio()
    try:
        saved = [os.dup(1), os.dup(2)]
        null = os.open(os.devnull, os.O_WRONLY)
    except OSError:  # no descriptors 1/2 to redirect (detached process): nothing can be printed anyway
        saved = None
    if saved is None:
        yield
        return
    try:
        os.dup2(null, 1)
        os.dup2(null, 2)
        yield
    finally:
        _flush_python_streams()
        _flush_c_stdio()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, null):
            os.close(fd)


def new_highs(msg: bool = False):
    """A `highspy.Highs`, silent unless msg: its constructor's banner (HiGHS 1.16 prints one) goes to /dev/null."""
    import highspy

    if msg:
        highs = highspy.Highs()
    else:
        with quiet_fds():
            highs = highspy.Highs()
    highs.setOptionValue("output_flag", bool(msg))
    return highs


@lru_cache(maxsize=None)
def solver_version(name: str) -> str:
    if name == "highs":
        try:
            return f"HiGHS {new_highs().version()}"
        except Exception:  # noqa: BLE001 - highspy missing or broken
            return "HiGHS unavailable"
    cbc = pulp.PULP_CBC_CMD(msg=False)
    return f"CBC (PuLP {pulp.__version__} bundled)" if cbc.available() else "CBC unavailable"


def run_highs(highs, time_limit_s: float) -> float:
    """Run a loaded Highs object with `time_limit_s` for this run alone; the seconds it took. HiGHS measures its time
    limit on a clock that keeps running across run() calls of one Highs object: without this, a warm-started
    re-solve would hit the limit once the earlier solves add up to it."""
    spent = float(highs.getRunTime()) if hasattr(highs, "getRunTime") else 0.0
    highs.setOptionValue("time_limit", float(time_limit_s) + spent)
    start = time.perf_counter()
    highs.run()
    return time.perf_counter() - start


# ---------------------------------------------------------------- the PuLP model as arrays
def pulp_arrays(problem: pulp.LpProblem) -> dict:
    """The PuLP model as numpy arrays (row-wise CSR), with its variables and constraints in order.

    Flattening the rows once (vectorized over object ids) and handing arrays to highspy is several
    times faster than PuLP's own HiGHS interface, which adds columns and rows one at a time (see design.md).
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


# ---------------------------------------------------------------- the session
class SolverSession:
    """One PuLP model kept loaded in the solver across solves: a one-shot solve, or warm-started re-solves.

    HiGHS gets the flattened arrays once; `set_bounds` and `set_objective` change both the PuLP objects
    and HiGHS, so each `solve` starts from the previous basis. With `options.name == "cbc"`, or when
    HiGHS raises or ends in an error status, the PuLP model (which always carries the current bounds and
    objective) is solved by CBC instead. mip=False solves the LP relaxation.
    """

    def __init__(self, problem: pulp.LpProblem, options: SolverOptions, *, mip: bool = True, presolve: bool = True):
        self.problem, self.options, self.mip, self.presolve = problem, options, mip, presolve
        self.highs = None
        self.arrays: dict | None = None
        self.failures: list[str] = []
        self._handoff = 0.0  # flattening and loading the model: counted as build time of the first solve
        self._solved = False
        self._stale = False
        if options.name == "highs":
            self._load_highs()

    # -- HiGHS
    def _load_highs(self) -> bool:
        start = time.perf_counter()
        try:
            import highspy
            import numpy as np

            arrays = pulp_arrays(self.problem)
            highs = new_highs(self.options.msg)
            for key, value in highs_options(self.options, self.presolve).items():
                highs.setOptionValue(key, value)
            integer = arrays["integer"] & self.mip
            sense = highspy.ObjSense.kMaximize if self.problem.sense == pulp.LpMaximize else highspy.ObjSense.kMinimize
            status = highs.passModel(len(arrays["variables"]), len(arrays["constraints"]), len(arrays["index"]),
                                     int(highspy.MatrixFormat.kRowwise), int(sense), arrays["offset"], arrays["cost"],
                                     arrays["lower"], arrays["upper"], arrays["row_lower"], arrays["row_upper"],
                                     arrays["start"], arrays["index"], arrays["value"], integer.astype(np.int32))
            if status == highspy.HighsStatus.kError:
                raise RuntimeError("HiGHS rejected the model")
        except Exception as exc:  # noqa: BLE001 - a broken HiGHS install must not stop the plan: CBC solves
            self.failures.append(f"highs: {exc}")
            self.highs = self.arrays = None
            return False
        finally:
            self._handoff += time.perf_counter() - start
        self.highs, self.arrays, self._stale = highs, arrays, False
        self.column = {id(v): k for k, v in enumerate(arrays["variables"])}
        self.integer = bool(integer.any())
        return True

    def _solve_highs(self, model: str, build_seconds: float) -> SolveInfo:
        import numpy as np

        a, highs = self.arrays, self.highs
        seconds = run_highs(highs, self.options.time_limit_s)
        model_status = highs.getModelStatus()
        info = highs.getInfo()
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        status = status_from_highs(model_status, has_solution)
        if len(a["variables"]) == 0:  # HiGHS calls a model without columns 'empty' whatever its rows say
            has_solution = bool(np.all(a["row_lower"] <= 1e-9) and np.all(a["row_upper"] >= -1e-9))
            status = SolveStatus.optimal if has_solution else SolveStatus.infeasible
        if status == SolveStatus.error:
            raise RuntimeError(f"HiGHS stopped with status {highs.modelStatusToString(model_status)}")
        has_solution = has_solution and status in (SolveStatus.optimal, SolveStatus.time_limit)
        if has_solution and len(a["variables"]):
            solution = highs.getSolution()
            for var, val in zip(a["variables"], solution.col_value):
                var.varValue = val
            if status == SolveStatus.optimal and not self.integer:
                for con, dual in zip(a["constraints"], solution.row_dual):
                    con.pi = dual
            else:  # no duals from a MIP or a time-limited LP: none left over from an earlier solve either
                for con in a["constraints"]:
                    con.pi = None
        gap = None
        if has_solution:
            if not self.integer:
                gap = 0.0 if status == SolveStatus.optimal else None
            elif np.isfinite(info.mip_gap):
                gap = float(info.mip_gap)
        return self._info(model, "highs", status, has_solution, gap, build_seconds, seconds,
                          len(a["variables"]), len(a["constraints"]))

    # -- CBC through PuLP
    def _solve_cbc(self, model: str, build_seconds: float) -> SolveInfo:
        start = time.perf_counter()
        code = self.problem.solve(cbc_solver(self.options, mip=self.mip))
        seconds = time.perf_counter() - start
        status = status_from_pulp(code, getattr(self.problem, "sol_status", None))
        has_solution = code == pulp.LpStatusOptimal  # also when stopped at a limit with an integer solution
        integer = self.mip and any(v.cat == pulp.LpInteger for v in self.problem.variables())
        gap = 0.0 if status == SolveStatus.optimal and not integer else None  # CBC does not report its MIP gap
        return self._info(model, "cbc", status, has_solution, gap, build_seconds, seconds,
                          self.problem.numVariables(), self.problem.numConstraints())

    def _info(self, model, solver, status, has_solution, gap, build_seconds, seconds, n_variables, n_constraints):
        objective = pulp.value(self.problem.objective) if has_solution and self.problem.objective is not None else None
        if has_solution and self.problem.objective is None:
            objective = 0.0
        handoff = 0.0 if self._solved else self._handoff
        self._solved = True
        return SolveInfo(model=model, solver=solver, solver_version=solver_version(solver), status=status,
                         has_solution=bool(has_solution), objective=None if objective is None else float(objective),
                         gap=gap, build_seconds=round(build_seconds + handoff, 4), solve_seconds=round(seconds, 4),
                         variables=n_variables, constraints=n_constraints, time_limit_s=float(self.options.time_limit_s))

    # -- public
    def set_bounds(self, variables, lower, upper) -> None:
        """New bounds for these variables (scalars or one per variable; +-inf for none), in PuLP and HiGHS."""
        import numpy as np

        n = len(variables)
        lower = np.ascontiguousarray(np.broadcast_to(np.asarray(lower, float), (n,)))
        upper = np.ascontiguousarray(np.broadcast_to(np.asarray(upper, float), (n,)))
        for var, lo, up in zip(variables, lower, upper):
            var.lowBound, var.upBound = (None if np.isinf(lo) else float(lo)), (None if np.isinf(up) else float(up))
        if self.highs is None or self._stale:
            return
        known = [k for k, v in enumerate(variables) if id(v) in self.column]  # others are in no row and no cost
        index = np.array([self.column[id(variables[k])] for k in known], dtype=np.int32)
        if len(index):
            self.highs.changeColsBounds(len(index), index, np.ascontiguousarray(lower[known]),
                                        np.ascontiguousarray(upper[known]))

    def set_objective(self, expression: pulp.LpAffineExpression) -> None:
        """A new objective (same sense), in PuLP and HiGHS; a variable HiGHS has not seen reloads the model."""
        import numpy as np

        self.problem.objective = expression
        if self.highs is None or self._stale:
            return
        if any(id(v) not in self.column for v in expression.keys()):
            self._stale = True  # reloaded (cold) at the next solve
            return
        cost = np.zeros(len(self.arrays["variables"]))
        cost[[self.column[id(v)] for v in expression.keys()]] = list(expression.values())
        self.highs.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), cost)
        self.highs.changeObjectiveOffset(float(expression.constant))

    def solve(self, model: str, build_seconds: float = 0.0) -> SolveInfo:
        """Solve (warm after the first time); infeasibility and time limits are statuses, never raised.

        Raises SolverFailed only when neither HiGHS nor CBC could solve the model at all."""
        if self.highs is not None and self._stale:
            self._load_highs()
        if self.highs is not None:
            try:
                return self._solve_highs(model, build_seconds)
            except Exception as exc:  # noqa: BLE001 - HiGHS failed on this model: CBC from now on
                self.failures.append(f"highs: {exc}")
                self.highs = None
        try:
            return self._solve_cbc(model, build_seconds)
        except Exception as exc:  # noqa: BLE001 - a broken CBC: HiGHS if not tried yet
            self.failures.append(f"cbc: {exc}")
        if self.options.name == "cbc" and not any(f.startswith("highs") for f in self.failures) and self._load_highs():
            try:
                return self._solve_highs(model, build_seconds)
            except Exception as exc:  # noqa: BLE001
                self.failures.append(f"highs: {exc}")
                self.highs = None
        raise SolverFailed("; ".join(self.failures))


def solve_fast(problem: pulp.LpProblem, options: SolverOptions, model: str, build_seconds: float,
               mip: bool = True, presolve: bool = True) -> SolveInfo:
    """Solve once with the scenario's solver (HiGHS on arrays, CBC as fallback); see SolverSession.

    presolve=False helps pure network LPs (assignment-like), where HiGHS presolve costs more than it saves.
    """
    return SolverSession(problem, options, mip=mip, presolve=presolve).solve(model, build_seconds)


solve = solve_fast  # one path for every model


# ---------------------------------------------------------------- what models do with a status
def usable(info: SolveInfo, stage: str) -> bool:
    """Does the solve leave a plan? True when optimal or stopped at the time limit with a solution
    (`time_limit_notes` tells the reader); False for infeasible, unbounded and error (each caller explains).

    A time limit without a solution raises SolveTimeLimit: it is never reported as an infeasible scenario.
    """
    if info.status == SolveStatus.time_limit and not info.has_solution:
        raise SolveTimeLimit(stage, info.model, info.time_limit_s or info.solve_seconds, info.gap)
    return info.has_solution and info.status in (SolveStatus.optimal, SolveStatus.time_limit)


def time_limit_notes(solves) -> list:
    """One note per model whose solve stopped at the time limit with a plan (the best found, not proven optimal)."""
    notes, seen = [], set()
    for info in solves:
        if info is None or info.status != SolveStatus.time_limit or not info.has_solution or info.model in seen:
            continue
        seen.add(info.model)
        gaps = [s.gap for s in solves
                if s is not None and s.model == info.model and s.status == SolveStatus.time_limit and s.gap is not None]
        if gaps:
            gap = f"{max(gaps):.2%}"
        else:
            gap = Message("unknown")
            gap.vi = "không rõ"
        notes.append(message("solve_time_limit", model=info.model, seconds=f"{info.time_limit_s or info.solve_seconds:g}",
                             gap=gap))
    return notes


# ---------------------------------------------------------------- models built as arrays
@dataclass
class ArrayModel:
    """A minimization LP given directly as arrays (no PuLP objects): cost, column bounds, row bounds and the
    rows in CSR form (start, index, value). Models whose structure is known (networks) build these with numpy
    in milliseconds, where building PuLP expressions takes seconds."""

    cost: object
    lower: object
    upper: object
    row_lower: object
    row_upper: object
    start: object
    index: object
    value: object

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.row_lower), len(self.cost)


def _positions(count: int, selector):
    """The positions (int32, as HiGHS takes them) that an index, a list, a mask or a slice selects of `count`."""
    import numpy as np

    return np.atleast_1d(np.arange(count, dtype=np.int32)[selector])


#: the dual simplex's pricing in ArraySession: Devex (1) instead of HiGHS's choice (steepest edge). These network-like
#: LPs re-solved warm after bound changes took 0.67-0.86 x the time (equipment) and 0.83-0.91 x (staffing) on Lạng Sơn,
#: Lào Cai and the Hà Nội and Hồ Chí Minh samples, the same optima (interleaved A/B, medians of 3)
DUAL_EDGE_WEIGHTS = 1


class ArraySession:
    """An ArrayModel kept loaded in HiGHS across solves (warm starts), with the duals of the last LP solve and
    `fix_optimal_face`, which restricts the model to the optimal solutions of the last objective by bounds alone
    (complementary slackness: a column with a non-zero reduced cost stays at its bound, a row with a non-zero dual
    stays active). Bounds keep a network matrix a network matrix, where an objective row ('keep' row) would not:
    lexicographic levels solved this way keep integral vertices. CBC (PuLP built from the arrays) solves when the
    scenario asks for it or HiGHS fails."""

    def __init__(self, model: ArrayModel, options: SolverOptions, presolve: bool = True):
        import numpy as np

        self.model, self.options, self.presolve = model, options, presolve
        self.reset_bounds(load=False)
        self.cost = np.array(model.cost, float)
        self.x = self.col_dual = self.row_dual = self.activity = None
        self.highs, self.failures, self._pulp = None, [], None
        self._handoff, self._solved = 0.0, False
        if options.name == "highs":
            self._load_highs()

    def _load_highs(self) -> None:
        import highspy
        import numpy as np

        start = time.perf_counter()
        try:
            m, (rows, cols) = self.model, self.model.shape
            highs = new_highs(self.options.msg)
            for key, value in highs_options(self.options, self.presolve).items():
                highs.setOptionValue(key, value)
            status = highs.passModel(cols, rows, len(m.index), int(highspy.MatrixFormat.kRowwise),
                                     int(highspy.ObjSense.kMinimize), 0.0, self.cost, self.lower, self.upper,
                                     self.row_lower, self.row_upper, np.asarray(m.start, np.int32),
                                     np.asarray(m.index, np.int32), np.asarray(m.value, float), np.zeros(cols, np.int32))
            if status == highspy.HighsStatus.kError:
                raise RuntimeError("HiGHS rejected the model")
            self.highs = highs
        except Exception as exc:  # noqa: BLE001 - a broken HiGHS install must not stop the plan: CBC solves
            self.failures.append(f"highs: {exc}")
            self.highs = None
        finally:
            self._handoff += time.perf_counter() - start

    def set_objective(self, cost) -> None:
        import numpy as np

        self.cost = np.asarray(cost, float)
        if self.highs is not None:
            n = len(self.cost)
            self.highs.changeColsCost(n, np.arange(n, dtype=np.int32), self.cost)

    def reset_bounds(self, load: bool = True) -> None:
        """Back to the model's own bounds (undoes fix_optimal_face and set_*_bounds)."""
        import numpy as np

        m = self.model
        self.lower, self.upper = np.array(m.lower, float), np.array(m.upper, float)
        self.row_lower, self.row_upper = np.array(m.row_lower, float), np.array(m.row_upper, float)
        if load:
            self._set_bounds()

    def set_column_bounds(self, columns, lower, upper) -> None:
        self.lower[columns], self.upper[columns] = lower, upper
        if self.highs is not None:  # only these columns: passing all of them costs 16 ms a call on Hà Nội's staffing LP
            changed = _positions(self.model.shape[1], columns)
            self.highs.changeColsBounds(len(changed), changed, self.lower[changed], self.upper[changed])

    def set_row_bounds(self, rows, lower, upper) -> None:
        self.row_lower[rows], self.row_upper[rows] = lower, upper
        if self.highs is not None:
            changed = _positions(self.model.shape[0], rows)
            self.highs.changeRowsBounds(len(changed), changed, self.row_lower[changed], self.row_upper[changed])

    def _set_bounds(self) -> None:
        import numpy as np

        if self.highs is not None:
            rows, cols = self.model.shape
            self.highs.changeColsBounds(cols, np.arange(cols, dtype=np.int32), self.lower, self.upper)
            self.highs.changeRowsBounds(rows, np.arange(rows, dtype=np.int32), self.row_lower, self.row_upper)

    def fix_optimal_face(self, tolerance: float) -> None:
        """Keep only the optimal solutions of the last (optimal) LP solve: every column whose reduced cost exceeds
        `tolerance` in size is fixed at the bound it sits on, every row whose dual does is fixed at its activity's bound."""
        import numpy as np

        cols = np.abs(self.col_dual) > tolerance
        at_lower = np.abs(self.x - self.lower) <= np.abs(self.x - self.upper)
        value = np.where(at_lower, self.lower, self.upper)
        self.lower[cols] = self.upper[cols] = value[cols]
        rows = np.abs(self.row_dual) > tolerance
        at_lower = np.abs(self.activity - self.row_lower) <= np.abs(self.activity - self.row_upper)
        value = np.where(at_lower, self.row_lower, self.row_upper)
        self.row_lower[rows] = self.row_upper[rows] = value[rows]
        self._set_bounds()

    def solve(self, model: str, build_seconds: float = 0.0, integer=False, primal: bool = False) -> SolveInfo:
        """Solve the current objective (warm from the last basis); integer=True makes every column integral (a boolean
        array: those columns), for this and every later solve of the session.
        primal=True uses the primal simplex: after only the objective changed, the last basis stays feasible
        and the primal simplex goes on from it (the dual simplex, HiGHS's default, suits bound changes)."""
        if self.highs is not None:
            try:
                self.highs.setOptionValue("simplex_strategy", 4 if primal else 1)
                self.highs.setOptionValue("simplex_dual_edge_weight_strategy", DUAL_EDGE_WEIGHTS)
                return self._solve_highs(model, build_seconds, integer)
            except Exception as exc:  # noqa: BLE001 - HiGHS failed on this model: CBC from now on
                self.failures.append(f"highs: {exc}")
                self.highs = None
        try:
            return self._solve_cbc(model, build_seconds, integer)
        except Exception as exc:  # noqa: BLE001
            self.failures.append(f"cbc: {exc}")
        raise SolverFailed("; ".join(self.failures))

    def _integer_mask(self, integer):
        import numpy as np

        return np.broadcast_to(np.asarray(integer, dtype=bool), (self.model.shape[1],))

    def _solve_highs(self, model: str, build_seconds: float, integer) -> SolveInfo:
        import numpy as np

        highs = self.highs
        rows, cols = self.model.shape
        mask = self._integer_mask(integer)
        integer = bool(mask.any())
        if integer:
            highs.changeColsIntegrality(cols, np.arange(cols, dtype=np.int32), mask.astype(np.uint8))
        seconds = run_highs(highs, self.options.time_limit_s)
        info = highs.getInfo()
        has_solution = info.primal_solution_status == 2
        status = status_from_highs(highs.getModelStatus(), has_solution)
        if cols == 0:
            has_solution = bool(np.all(self.row_lower <= 1e-9) and np.all(self.row_upper >= -1e-9))
            status = SolveStatus.optimal if has_solution else SolveStatus.infeasible
        if status == SolveStatus.error:
            raise RuntimeError(f"HiGHS stopped with status {highs.modelStatusToString(highs.getModelStatus())}")
        has_solution = has_solution and status in (SolveStatus.optimal, SolveStatus.time_limit)
        if has_solution and cols:
            solution = highs.getSolution()
            self.x, self.activity = np.array(solution.col_value), np.array(solution.row_value)
            lp_optimum = status == SolveStatus.optimal and not integer
            self.col_dual = np.array(solution.col_dual) if lp_optimum else None
            self.row_dual = np.array(solution.row_dual) if lp_optimum else None
        elif has_solution:
            self.x, self.activity, self.col_dual, self.row_dual = (np.zeros(0), np.zeros(rows), np.zeros(0), np.zeros(rows))
        gap = (0.0 if status == SolveStatus.optimal else None) if not integer else (
            float(info.mip_gap) if has_solution and np.isfinite(info.mip_gap) else None)
        return self._info(model, "highs", status, has_solution, gap, build_seconds, seconds)

    def _solve_cbc(self, model: str, build_seconds: float, integer) -> SolveInfo:
        import numpy as np

        rows, cols = self.model.shape
        mask = self._integer_mask(integer)
        integer = bool(mask.any())
        if self._pulp is None:  # the same model as PuLP objects, built once
            m = self.model
            problem = pulp.LpProblem("arrays", pulp.LpMinimize)
            variables = [pulp.LpVariable(f"x_{k}") for k in range(cols)]
            index, value = np.asarray(m.index).tolist(), np.asarray(m.value, float).tolist()
            constraints = []
            for i in range(rows):
                a, b = int(m.start[i]), int(m.start[i + 1])
                con = pulp.LpConstraint(pulp.LpAffineExpression(dict(zip([variables[j] for j in index[a:b]], value[a:b]))),
                                        pulp.LpConstraintLE, name=f"r_{i}")
                constraints.append(con)
                problem += con
            self._pulp = (problem, variables, constraints)
        problem, variables, constraints = self._pulp
        for k, var in enumerate(variables):
            var.lowBound = None if np.isinf(self.lower[k]) else float(self.lower[k])
            var.upBound = None if np.isinf(self.upper[k]) else float(self.upper[k])
            var.cat = pulp.LpInteger if mask[k] else pulp.LpContinuous
        for i, con in enumerate(constraints):  # every row has one finite side or is an equality (no ranged rows)
            lo, up = self.row_lower[i], self.row_upper[i]
            if np.isfinite(lo) and np.isfinite(up) and lo != up:
                raise ValueError(f"row {i} is ranged ({lo} .. {up}): not supported by the CBC path")
            con.sense = pulp.LpConstraintEQ if lo == up else (pulp.LpConstraintGE if np.isinf(up) else pulp.LpConstraintLE)
            con.constant = -float(up if np.isfinite(up) else lo)
        problem.setObjective(pulp.LpAffineExpression(dict(zip(variables, self.cost.tolist()))))
        start = time.perf_counter()
        code = problem.solve(cbc_solver(self.options, mip=integer))
        seconds = time.perf_counter() - start
        status = status_from_pulp(code, getattr(problem, "sol_status", None))
        has_solution = code == pulp.LpStatusOptimal
        if has_solution:
            self.x = np.array([v.varValue or 0.0 for v in variables])
            starts = np.asarray(self.model.start)
            self.activity = np.add.reduceat(np.asarray(self.model.value, float) * self.x[np.asarray(self.model.index)],
                                            starts[:-1]) if len(self.model.index) else np.zeros(rows)
            self.activity[starts[:-1] == starts[1:]] = 0.0  # reduceat repeats a value for an empty row
            lp = not integer and status == SolveStatus.optimal
            self.col_dual = np.array([v.dj or 0.0 for v in variables]) if lp else None
            self.row_dual = np.array([c.pi or 0.0 for c in constraints]) if lp else None
        gap = 0.0 if status == SolveStatus.optimal and not integer else None
        return self._info(model, "cbc", status, has_solution, gap, build_seconds, seconds)

    def _info(self, model, solver, status, has_solution, gap, build_seconds, seconds) -> SolveInfo:
        import numpy as np

        objective = float(np.dot(self.cost, self.x)) if has_solution and self.x is not None else None
        handoff = 0.0 if self._solved else self._handoff
        self._solved = True
        rows, cols = self.model.shape
        return SolveInfo(model=model, solver=solver, solver_version=solver_version(solver), status=status,
                         has_solution=bool(has_solution), objective=objective, gap=gap,
                         build_seconds=round(build_seconds + handoff, 4), solve_seconds=round(seconds, 4),
                         variables=cols, constraints=rows, time_limit_s=float(self.options.time_limit_s))
