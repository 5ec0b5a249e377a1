"""The stage contract: what a planning stage needs and what it returns.

A stage is a name, the stages whose results it reads (`requires`), and a `run(context)` function;
the pipeline (planner.pipeline) keeps the registry and runs them in order. Models import this
module, never the pipeline, so there is no cycle between the pipeline and the models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from .solver import SolveInfo


@dataclass
class StageResult:
    """What one model returns: named result tables, KPI rows, solver runs, remarks."""

    tables: dict[str, pd.DataFrame]
    kpis: list[dict] = field(default_factory=list)  # planner.kpis.kpi_row: stage, kpi, code, param, value, unit
    solves: list[SolveInfo] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Stage:
    """One step of the plan: `run(context)` reads the dataset, the scenario and earlier results from the context.

    `requires` names the stages whose results it uses when they ran (it falls back on norms otherwise);
    the registry lists stages after the ones they require."""

    name: str
    requires: tuple[str, ...]
    run: Callable[["StageContext"], StageResult]
    enabled: Callable[[object], bool] = lambda scenario: True


@dataclass
class StageContext:
    """Everything a stage may read: the input, the scenario, results of earlier stages, derived inputs."""

    dataset: object
    scenario: object
    results: dict[str, StageResult] = field(default_factory=dict)
    previous_assignments: pd.DataFrame | None = None
    stages: tuple[str, ...] = ()  # the stages this run will run, in order (a stage may leave work to a later one)
    models: dict[str, object] = field(default_factory=dict)  # models kept for a later stage to re-solve
    side: object = None  # a planner.side.SideProcess, for work a stage can start early and run beside the others
    started: dict[str, tuple] = field(default_factory=dict)  # stage -> (its job in the side process, the job's inputs)
