"""Every exception the planner raises on purpose, in one place (the bottom layer: imports nothing of planner).

Callers (CLI, app) catch `PlannerError` and show its plain-words text; anything else is a bug.
Exit codes of the command line follow the class: input and scenario problems 2, infeasible plans 3.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd


class PlannerError(Exception):
    """Base of every error the planner explains to its user."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One problem in the input: where it is (file, sheet, Excel row / CSV line, column), what is there, what was expected."""

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: object
    expected: str

    def line(self) -> str:
        where = [Path(self.file).name]
        if self.sheet:
            where.append(f"sheet {self.sheet}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        if self.column is None and self.value is None:  # a whole file or sheet: there is no cell value to show
            return f"{', '.join(where)}: expected {self.expected}"
        return f"{', '.join(where)}: value {show_value(self.value)}; expected {self.expected}"


def show_value(value) -> str:
    """A cell value as shown in a problem line: '(empty)' for blanks, quoted text, long text cut."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "(empty)"
    text = str(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"'{text}'" if isinstance(value, str) else text


class InputError(PlannerError):
    """The input has problems; `problems` lists all of them (in the order given), `report()` puts them in plain words."""

    exit_code = 2

    def __init__(self, problems: list[Problem], source: str = ""):
        self.source = source
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s) in {source}")

    def report(self, max_lines: int | None = 1000) -> str:
        """Readable multi-line report: a count, then one line per problem (file, sheet, row, column, value, expected)."""
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in {self.source} (nothing was written):"
        shown = self.problems if max_lines is None else self.problems[:max_lines]
        lines = [head] + [f"  {p.line()}" for p in shown]
        if len(shown) < n:
            lines.append(f"  ... and {n - len(shown)} more (InputError.to_frame() lists them all)")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """All problems as a table (file, sheet, row, column, value, expected), e.g. to save as Excel."""
        frame = pd.DataFrame([asdict(p) for p in self.problems], columns=["file", "sheet", "row", "column", "value", "expected"])
        frame["row"] = frame["row"].astype("Int64")
        frame["value"] = frame["value"].map(show_value)
        return frame


class ScenarioError(PlannerError, ValueError):
    """A scenario file with unknown keys, wrong types or values out of range; `problems` names each key path."""

    exit_code = 2

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems) or ["invalid scenario"]
        super().__init__(f"{source}: " + "; ".join(self.problems))


class PlanInfeasible(PlannerError):
    """The scenario cannot be met; `lines` say in plain words which limits conflict and by how much."""

    exit_code = 3

    def __init__(self, stage: str, lines: list[str], conflicts: pd.DataFrame | None = None):
        self.stage = stage
        self.lines = lines
        self.conflicts = conflicts if conflicts is not None else pd.DataFrame()
        super().__init__(f"{stage}: " + " ".join(lines))


class PlanInconsistent(PlannerError):
    """The solver's answer broke a constraint when re-checked in Python; the plan is not exported."""

    def __init__(self, stage: str, violations: list[str]):
        self.stage = stage
        self.violations = violations
        super().__init__(f"{stage}: {len(violations)} violated checks: " + "; ".join(violations[:10]))


class SolverFailed(PlannerError, RuntimeError):
    """No solver could solve the model (not an infeasibility: that is a status)."""


class SolveTimeLimit(PlannerError):
    """A solve hit its time limit without a usable answer; `gap` is the last known relative gap (None if unknown)."""

    def __init__(self, stage: str, model: str, seconds: float, gap: float | None = None):
        self.stage, self.model, self.seconds, self.gap = stage, model, seconds, gap
        shown = "unknown" if gap is None else f"{gap:.2%}"
        super().__init__(f"{stage}: the solver reached the time limit ({seconds:g} s) on {model} "
                         f"before a usable plan was found (gap {shown}); raise solver.time_limit_s")


class VocabError(PlannerError, ValueError):
    """A code list (planner/schema/vocab/*.csv) is malformed: missing column, duplicate code, empty label, or a
    role that must be played by exactly one code is not."""


class OutputError(PlannerError, ValueError):
    """The result cannot be written where asked (e.g. it would overwrite the input workbook)."""

    exit_code = 2


class UndeclaredKpi(KeyError):
    """A model reports a KPI key that planner/schema/kpis.csv does not declare (a bug, so not a PlannerError)."""


class KpiDeclarationError(ValueError):
    """planner/schema/kpis.csv is malformed: duplicate key, unknown stage, budget_of or code list, bad placeholder."""
