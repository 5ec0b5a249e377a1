"""Where the app keeps saved plans: the plan register (planner.register, a SQL database that survives a page
reload and an app restart) or, for a notebook without one, memory. Both answer the same questions, so the
explorers do not care which one they were given.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable

import pandas as pd
import yaml

from ..dataset import Dataset
from ..scenario import Scenario


def plan_scenario(plan, fallback: Scenario | None = None) -> Scenario:
    """The scenario a plan was solved with (its provenance), else `fallback` renamed after the plan."""
    text = (getattr(plan, "provenance", None) or {}).get("scenario_yaml")
    if text:
        try:
            return Scenario.from_dict(yaml.safe_load(text) or {}, source="the saved plan")
        except Exception:
            pass
    return fallback or Scenario()


class PlanStore:
    """Named plans kept in memory (name -> scenario, plan, dataset), with change listeners."""

    persistent = False

    def __init__(self):
        self.entries: OrderedDict[str, tuple[Scenario, object, Dataset]] = OrderedDict()
        self.listeners: list[Callable[[], None]] = []

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener()

    def exists(self, name: str) -> bool:
        return name in self.entries

    def names(self) -> list[str]:
        return list(self.entries)

    def save(self, name: str, scenario: Scenario, plan, ds: Dataset, *, by: str | None = None,
             overwrite: bool = True, workbook: bytes | None = None) -> None:
        self.entries[name] = (scenario, plan, ds)
        self._changed()

    def load(self, name: str):
        return self.entries[name][1]

    def plans(self, names) -> dict:
        return {name: self.load(name) for name in names}

    def table(self) -> pd.DataFrame:
        rows = [{"name": name, "province": ds.province, "status": getattr(plan, "status", "draft")}
                for name, (_, plan, ds) in self.entries.items()]
        return pd.DataFrame(rows, columns=["name", "province", "status"])

    def workbook(self, name: str) -> bytes | None:
        return None


class RegisterStore(PlanStore):
    """The plan register behind the same questions; `register` is a planner.register.PlanRegister (or any
    object with its methods), opened on first use when not given."""

    persistent = True

    def __init__(self, register=None):
        super().__init__()
        self._register = register

    @property
    def register(self):
        if self._register is None:
            from ..register import PlanRegister

            self._register = PlanRegister()
        return self._register

    def exists(self, name: str) -> bool:
        return bool(self.register.exists(name))

    def names(self) -> list[str]:
        frame = self.register.list()
        return [] if frame is None or frame.empty else frame["name"].astype(str).tolist()

    @property
    def entries(self) -> dict:  # the names, for code that counts or lists the kept plans
        return dict.fromkeys(self.names())

    @entries.setter
    def entries(self, _value) -> None:  # the base class sets it; the register holds the plans
        pass

    def save(self, name: str, scenario: Scenario, plan, ds: Dataset, *, by: str | None = None,
             overwrite: bool = False, workbook: bytes | None = None) -> None:
        self.register.save(name, plan, workbook=workbook, by=by or None, overwrite=overwrite)
        self._changed()

    def load(self, name: str):
        return self.register.load(name)

    def table(self) -> pd.DataFrame:
        return self.register.list()

    def workbook(self, name: str) -> bytes | None:
        return self.register.workbook(name)

    def review(self, name: str, by: str, note: str | None = None) -> None:
        self.register.review(name, by, note)
        self._changed()

    def approve(self, name: str, by: str, note: str | None = None) -> None:
        self.register.approve(name, by, note)
        self._changed()

    def back_to_draft(self, name: str, by: str, reason: str) -> None:
        self.register.back_to_draft(name, by, reason)
        self._changed()

    def history(self, name: str) -> pd.DataFrame:
        return self.register.history(name)
