"""Fast PuLP construction helpers shared by every model: arrays in, rows of expressions out.

Building rows from numpy group indices (instead of per-row Python sums) and pausing the garbage
collector while PuLP creates many objects are what make model builds fast (see design.md).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

import numpy as np
import pulp


@contextmanager
def gc_paused():
    """Pause the garbage collector while building a large model (halves build time, design notes)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def make_variables(prefix: str, count: int, low: float | None = 0.0, up: float | None = None,
                   cat: str = pulp.LpContinuous, problem: pulp.LpProblem | None = None) -> list[pulp.LpVariable]:
    """`count` variables named prefix_0, prefix_1, ...

    With `problem`, they come from problem.add_variable (no deprecation warning per variable: on models
    with tens of thousands of variables that warning is a third of the build time)."""
    make = pulp.LpVariable if problem is None else problem.add_variable
    return [make(f"{prefix}_{k}", low, up, cat) for k in range(count)]


def linear_rows(groups: np.ndarray, n_groups: int, variables: list, coefs: np.ndarray | None = None) -> list[pulp.LpAffineExpression]:
    """One expression per group: sum of coef * variable over the entries whose group is g.

    Built from dicts in one pass (builtin sum() or lpSum on large models is orders of magnitude slower).
    """
    groups = np.asarray(groups, dtype=np.int64)
    order = np.argsort(groups, kind="stable")
    bounds = np.searchsorted(groups[order], np.arange(n_groups + 1)).tolist()
    ordered = [variables[k] for k in order.tolist()]  # plain lists: no numpy scalar per entry
    coefs = [1.0] * len(ordered) if coefs is None else np.asarray(coefs, dtype=float)[order].tolist()
    return [pulp.LpAffineExpression(dict(zip(ordered[a:b], coefs[a:b]))) for a, b in zip(bounds, bounds[1:])]


def add_rows(problem: pulp.LpProblem, prefix: str, expressions: list, sense: int, rhs) -> None:
    """Add `expression sense rhs` rows in one call (prob.extend skips per-row registration)."""
    rhs = np.broadcast_to(np.asarray(rhs, dtype=float), (len(expressions),))
    problem.extend({f"{prefix}_{k}": pulp.LpConstraint(e, sense, rhs=float(r))
                    for k, (e, r) in enumerate(zip(expressions, rhs))})


def values(variables) -> np.ndarray:
    """Solution values as an array (0 for variables the solver did not report, and for None placeholders)."""
    return np.array([0.0 if v is None or v.varValue is None else v.varValue for v in variables], dtype=float)
