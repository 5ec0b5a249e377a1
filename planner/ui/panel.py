"""What every tab of the app shares: the Explorer base (settings, Solve/Export/Keep buttons, a status line
with progress, results), the store of kept plans, and small widget helpers.

An explorer solves only when its button is clicked (never on slider moves), in a background thread
with a progress bar, and shows errors as plain-words messages. `sync=True` (tests) or
`solve(wait=True)` (notebooks run top to bottom) run the same code in the caller's thread.
Plans solved anywhere can be saved in a shared PlanStore and compared in the scenarios tab.
Every word on screen comes from planner.ui.text (Vietnamese by default, `lang="en"` for English).
"""

from __future__ import annotations

import html
from collections import OrderedDict
from pathlib import Path
from typing import Callable

import ipywidgets as widgets
import pandas as pd

from .. import derived, vocab
from ..dataset import Dataset
from ..labels import text
from ..scenario import Scenario, deep_merge
from .common import (BackgroundTask, default_scenario, download_link, message_html, output_folder, table_widget,
                     TABLE_ROWS)
from .text import language_options, ui_lang, ui_text

WIDE = widgets.Layout(width="540px")
LABEL_STYLE = {"description_width": "280px"}  # room for the longest Vietnamese field names
START_BUDGETS = {"renovation_budget": 10e9, "equipment_budget": 1e9}  # VND, when neither scenario nor costs give one


# ---------------------------------------------------------------- shared state

class PlanStore:
    """Named plans kept for comparison (name -> scenario, plan, dataset), with change listeners."""

    def __init__(self):
        self.entries: OrderedDict[str, tuple[Scenario, object, Dataset]] = OrderedDict()
        self.listeners: list[Callable[[], None]] = []

    def save(self, name: str, scenario: Scenario, plan, ds: Dataset) -> None:
        self.entries[name] = (scenario, plan, ds)
        for listener in self.listeners:
            listener()

    def plans(self, names) -> dict:
        return {name: self.entries[name][1] for name in names}


# ---------------------------------------------------------------- settings

def scenario_with(base: Scenario, changes: dict) -> Scenario:
    """A validated copy of `base` with nested changes, e.g. {"staffing": {"fairness": False}}
    (mappings are merged key by key: {"staffing": {"shortage_penalty": {field: 900}}} changes one penalty)."""
    return Scenario.from_dict(deep_merge(base.model_dump(mode="json"), changes), source="the settings")


def default_budgets(ds: Dataset, scenario: Scenario) -> tuple[float, float]:
    """(renovation, equipment) budgets in VND for the sliders: the scenario's, else the costs table's
    (planner.derived, as the models read them), else START_BUDGETS as a starting point."""
    return tuple(derived.budget(ds, scenario, role, start) for role, start in START_BUDGETS.items())


# ---------------------------------------------------------------- widget helpers

def slider(description: str, value: float, low: float, high: float, step: float, fmt: str = ".0f") -> widgets.FloatSlider:
    return widgets.FloatSlider(value=value, min=low, max=max(high, value), step=step, description=description,
                               readout_format=fmt, continuous_update=False, style=LABEL_STYLE, layout=WIDE)


def tabs(pages: list[tuple[str, widgets.Widget]]) -> widgets.Tab:
    tab = widgets.Tab(children=[page for _, page in pages])
    for index, (title, _) in enumerate(pages):
        tab.set_title(index, title)
    return tab


def side_by_side(picture: widgets.Widget, table: widgets.Widget) -> widgets.Widget:
    """A map on the left and its key figures on the right (wrapping below on narrow screens)."""
    picture.layout = widgets.Layout(width="640px", min_width="400px")
    table.layout = widgets.Layout(flex="1 1 380px", margin="0 0 0 12px")
    return widgets.HBox([picture, table], layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start"))


def button_layout() -> widgets.Layout:
    """A button as wide as its label (in either language); every button needs its own Layout."""
    return widgets.Layout(width="auto", min_width="140px")


def heading(title: str, hint: str = "") -> widgets.HTML:
    """A bold line of settings, with an optional hint after it."""
    return widgets.HTML(f"<b>{html.escape(title)}</b> {html.escape(hint)}")


def kpi_table(plan, stages: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The plan's key figures, only those of `stages` (names of the `stages` code list) when given."""
    kpis = plan.kpis if stages is None else plan.kpis[plan.kpis["stage"].isin(stages)]
    return kpis.reset_index(drop=True)


# ---------------------------------------------------------------- base of every tab

class Panel:
    """What every tab has: its words in its language (`ui_lang`), tables, and `widget` shown in a notebook."""

    ui_lang: str
    widget: widgets.Widget

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def t(self, key: str, **values) -> str:
        """The tab's words (planner.ui.text) in its language."""
        return ui_text(key, self.ui_lang, **values)

    def table(self, df: pd.DataFrame, title: str = "", max_rows: int = TABLE_ROWS) -> widgets.HTML:
        return table_widget(df, title, max_rows, lang=self.ui_lang)


class Explorer(Panel):
    """Settings on the left, Solve/Export buttons, a status line with progress, results below."""

    title_key = solve_key = ""  # each explorer names its planner.ui.text keys
    stages: tuple[str, ...] = vocab.codes("stages")  # the stages a solve runs (planner.pipeline.run_plan)

    def __init__(self, ds: Dataset, scenario: Scenario | None = None, *, store: PlanStore | None = None,
                 run: Callable | None = None, sync: bool = False, lang: str | None = None):
        self.ui_lang = ui_lang(lang)
        self.ds = ds
        self.base = scenario or default_scenario()
        self.store = store if store is not None else PlanStore()
        self.run = run
        self.sync = sync
        self.plan = None
        self.plan_ds: Dataset | None = None
        self.plan_scenario: Scenario | None = None
        self.status = widgets.HTML()
        self.progress = widgets.FloatProgress(value=0, min=0, max=1,
                                              layout=widgets.Layout(width="420px", visibility="hidden"))
        self.export_note = widgets.HTML()  # where the last exported workbook can be downloaded
        self.solve_button = widgets.Button(description=self.t("solve"), button_style="primary", icon="play",
                                           tooltip=self.t("solve_tip"), layout=button_layout())
        self.solve_button.add_class("planner-solve")
        self.solve_button.on_click(lambda _: self.solve())
        self.export_button = widgets.Button(description=self.t("export"), icon="download", disabled=True,
                                            tooltip=self.t("export_tip"), layout=button_layout())
        self.export_button.on_click(lambda _: self.export())
        self.workbook_lang = widgets.Dropdown(options=language_options(), value=self.ui_lang,
                                              description=self.t("workbook_lang"), layout=widgets.Layout(width="240px"))
        self.save_name = widgets.Text(placeholder=self.t("keep_placeholder"), layout=widgets.Layout(width="200px"))
        self.save_button = widgets.Button(description=self.t("keep"), icon="bookmark", disabled=True, layout=button_layout())
        self.save_button.on_click(lambda _: self.keep())
        self.results = widgets.VBox()
        self.results.add_class("planner-results")
        self.task = BackgroundTask(self.status, self.progress,
                                   busy=[self.solve_button, self.export_button, self.save_button],
                                   on_finish=self._enable_plan_buttons, lang=self.ui_lang)
        self.widget = widgets.VBox([
            widgets.HTML(f"<h3 style='margin:4px 0'>{html.escape(self.t(self.title_key))}</h3>"),
            self.settings_panel(),
            widgets.HBox([self.solve_button, self.export_button, self.workbook_lang]),
            widgets.HBox([self.save_name, self.save_button]),
            self.progress, self.status, self.export_note, self.results,
        ])
        self.widget.add_class(f"planner-{type(self).__name__.removesuffix('Explorer').lower()}")  # a handle for tests

    def carry_over(self, old: "Explorer") -> None:
        """Take the last plan (and its results) of an explorer this one replaces, e.g. in another language."""
        if old.plan is not None:
            self.plan_scenario, self.plan_ds, self.plan = old.plan_scenario, old.plan_ds, old.plan
            self.results.children = self.render()
            self._enable_plan_buttons()
        self.save_name.value = old.save_name.value

    def current_settings(self) -> Scenario:
        """The scenario the widgets describe now (the starting one if they do not make a valid scenario)."""
        try:
            return self.scenario()
        except Exception:
            return self.base

    # subclasses fill these in
    def settings_panel(self) -> widgets.Widget:
        return widgets.VBox()

    def scenario(self) -> Scenario:
        return self.base

    def solve_dataset(self) -> Dataset:
        return self.ds

    def render(self) -> list[widgets.Widget]:
        return [self.table(kpi_table(self.plan), text("key_figures", self.ui_lang))]

    def set_dataset(self, ds: Dataset) -> None:
        """Switch to another province (clears the results)."""
        self.ds = ds
        self.plan = None
        self.results.children = []
        self.export_note.value = ""
        self.export_button.disabled = self.save_button.disabled = True
        self.status.value = message_html(self.t("province_loaded", province=ds.province, solve=self.t("solve")),
                                         kind="info")

    def _enable_plan_buttons(self) -> None:
        self.export_button.disabled = self.save_button.disabled = self.plan is None

    # actions
    def solve(self, wait: bool = False) -> None:
        """Read the settings, run the plan off the UI thread, show results (or the reason it failed).

        The previous results are cleared first, so what is shown always matches the settings.
        """

        def job():
            self.plan = None
            self.results.children = []
            self.export_note.value = ""
            scenario = self.scenario()
            ds = self.solve_dataset()
            run = self.run
            if run is None:
                from ..pipeline import run_plan as run
            return scenario, ds, run(ds, scenario, stages=self.stages)

        self.task.start(self.t(self.solve_key), job, self._show, sync=self.sync or wait)

    def _show(self, result) -> None:
        self.plan_scenario, self.plan_ds, self.plan = result
        self.results.children = self.render()
        if not self.save_name.value:
            self.save_name.value = self.plan_scenario.name

    def export(self, wait: bool = False) -> None:
        """Write the leadership workbook of the last plan to the output folder and offer it for download."""
        if self.plan is None:
            self.status.value = message_html(self.t("solve_first_export"), kind="info")
            return

        def job():
            from ..report import write_plan_workbook

            name = f"{self.plan_ds.province}_{self.plan_scenario.name}_plan.xlsx".replace(" ", "_")
            return write_plan_workbook(self.plan, self.plan_ds, output_folder() / name, lang=self.workbook_lang.value)

        self.task.start(self.t("writing_workbook"), job, lambda path: self._written(path, "workbook_written"),
                        sync=self.sync or wait)

    def _written(self, path, title_key: str) -> None:
        """Say where an exported workbook went, with a download link."""
        path = Path(path)
        self.export_note.value = (message_html(self.t(title_key), [str(path)], kind="ok")
                                  + download_link(path, self.t("download", name=path.name)))

    def keep(self) -> None:
        """Save the last plan under the typed name for the scenarios tab."""
        if self.plan is None:
            return
        name = self.save_name.value.strip() or self.plan_scenario.name
        self.store.save(name, self.plan_scenario.model_copy(update={"name": name}), self.plan, self.plan_ds)
        self.status.value = message_html(self.t("plan_kept", name=name, count=len(self.store.entries)), kind="ok")
