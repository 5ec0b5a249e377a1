"""What every tab of the app shares: the Explorer base (Solve, Download, Save buttons, a status line with
progress, results), and small widget helpers.

An explorer solves only when its button is clicked (never on slider moves), in a background thread
with a progress bar, and shows errors as plain-words messages. `sync=True` (tests) or
`solve(wait=True)` (notebooks run top to bottom) run the same code in the caller's thread.
The settings live in one planner.ui.settings.Settings: the app gives every explorer the same one (shown once,
in its own tab); an explorer used alone in a notebook makes its own and shows its part of it.
Plans are saved in a store (planner.ui.plans: the plan register in the app, memory in a notebook); saving
over an existing name asks first. Every word on screen comes from planner.ui.text.
"""

from __future__ import annotations

import html
import tempfile
from pathlib import Path
from typing import Callable

import ipywidgets as widgets
import pandas as pd

from .. import vocab
from ..dataset import Dataset
from ..labels import text
from ..scenario import Scenario
from .common import BackgroundTask, default_scenario, download_html, message_html
from .plans import PlanStore
from .settings import Settings
from .table import DataTable
from .text import language_options, ui_lang, ui_text


# ---------------------------------------------------------------- widget helpers

def tabs(pages: list[tuple[str, widgets.Widget]]) -> widgets.Tab:
    tab = widgets.Tab(children=[page for _, page in pages])
    for index, (title, _) in enumerate(pages):
        tab.set_title(index, title)
    tab.add_class("planner-tabs")
    return tab


def side_by_side(picture: widgets.Widget, table: widgets.Widget) -> widgets.Widget:
    """A map on the left and its key figures on the right (wrapping below on narrow screens)."""
    picture.layout = widgets.Layout(width="640px", min_width="400px")
    table.layout = widgets.Layout(flex="1 1 380px", margin="0 0 0 12px")
    return widgets.HBox([picture, table], layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start"))


def button_layout() -> widgets.Layout:
    """A button as wide as its label (in either language); every button needs its own Layout."""
    return widgets.Layout(width="auto", min_width="140px")


def kpi_table(plan, stages: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The plan's key figures, only those of `stages` (names of the `stages` code list) when given."""
    kpis = plan.kpis if stages is None else plan.kpis[plan.kpis["stage"].isin(stages)]
    return kpis.reset_index(drop=True)


def workbook_bytes(plan, ds: Dataset, name: str, lang: str) -> bytes:
    """The leadership workbook of a plan, as bytes (written in a temporary folder, never shown as a path)."""
    from ..report import write_plan_workbook

    with tempfile.TemporaryDirectory() as folder:
        path = write_plan_workbook(plan, ds, Path(folder) / name, lang=lang)
        return Path(path).read_bytes()


def file_name(*parts: str, suffix: str = ".xlsx") -> str:
    """A download name from words: spaces to underscores, no path separators."""
    words = "_".join(str(p).strip() for p in parts if str(p).strip())
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in words) + suffix


# ---------------------------------------------------------------- base of every tab

class Panel:
    """What every tab has: its words in its language (`ui_lang`), tables, and `widget` shown in a notebook."""

    ui_lang: str
    widget: widgets.Widget
    ds: Dataset | None = None

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def t(self, key: str, **values) -> str:
        """The tab's words (planner.ui.text) in its language."""
        return ui_text(key, self.ui_lang, **values)

    def table(self, df: pd.DataFrame, title: str = "", ds: Dataset | None = None) -> widgets.Widget:
        """A sortable, filterable table with pages (planner.ui.table), names instead of IDs from `ds`."""
        return DataTable(df, title, self.ui_lang, ds if ds is not None else self.ds).widget


SETTING_NAMES = ("penalties", "threshold", "fairness", "it_radius", "service_distance", "renovation_budget",
                 "equipment_budget", "single_source", "name")


class Explorer(Panel):
    """Solve/Download/Save buttons, a status line with progress, results below; settings from a Settings."""

    title_key = solve_key = ""  # each explorer names its planner.ui.text keys
    stages: tuple[str, ...] = vocab.codes("stages")  # the stages a solve runs (planner.pipeline.run_plan)

    def __init__(self, ds: Dataset, scenario: Scenario | None = None, *, store: PlanStore | None = None,
                 run: Callable | None = None, sync: bool = False, lang: str | None = None,
                 settings: Settings | None = None, user: widgets.Text | None = None):
        self.ui_lang = ui_lang(lang)
        self.ds = ds
        self.shared_settings = settings is not None
        self.settings = settings if settings is not None else Settings(ds, scenario or default_scenario(), self.ui_lang)
        self.store = store if store is not None else PlanStore()
        self.user = user
        self.run = run
        self.sync = sync
        self.plan = None
        self.plan_ds: Dataset | None = None
        self.plan_scenario: Scenario | None = None
        self.status = widgets.HTML()
        self.status.add_class("planner-status")
        self.progress = widgets.FloatProgress(value=0, min=0, max=1,
                                              layout=widgets.Layout(width="420px", visibility="hidden"))
        self.export_note = widgets.HTML()  # the download link of the last workbook
        self.export_note.add_class("planner-download")
        self.solve_button = widgets.Button(description=self.t("solve"), button_style="primary", icon="play",
                                           tooltip=self.t("solve_tip"), layout=button_layout())
        self.solve_button.add_class("planner-solve")
        self.solve_button.on_click(lambda _: self.solve())
        self.export_button = widgets.Button(description=self.t("export"), icon="download", disabled=True,
                                            tooltip=self.t("export_tip"), layout=button_layout())
        self.export_button.add_class("planner-export")
        self.export_button.on_click(lambda _: self.export())
        self.workbook_lang = widgets.Dropdown(options=language_options(), value=self.ui_lang,
                                              description=self.t("workbook_lang"), layout=widgets.Layout(width="240px"))
        self.save_name = widgets.Text(placeholder=self.t("keep_placeholder"), description=self.t("plan_name"),
                                      style={"description_width": "initial"}, layout=widgets.Layout(width="360px"))
        self.save_name.add_class("planner-save-name")
        self.save_button = widgets.Button(description=self.t("keep"), icon="save", disabled=True, layout=button_layout())
        self.save_button.add_class("planner-save")
        self.save_button.on_click(lambda _: self.keep())
        self.confirm_button = widgets.Button(description=self.t("overwrite"), button_style="warning",
                                             layout=button_layout())
        self.confirm_button.add_class("planner-confirm")
        self.confirm_button.on_click(lambda _: self.keep(overwrite=True))
        self.cancel_button = widgets.Button(description=self.t("cancel"), layout=button_layout())
        self.cancel_button.on_click(lambda _: self._hide_confirm())
        self.confirm_text = widgets.HTML()
        self.confirm = widgets.HBox([self.confirm_text, self.confirm_button, self.cancel_button],
                                    layout=widgets.Layout(display="none", align_items="center"))
        self.confirm.add_class("planner-confirm-box")
        self.settings_line = widgets.HTML()
        self.results = widgets.VBox()
        self.results.add_class("planner-results")
        self.task = BackgroundTask(self.status, self.progress,
                                   busy=[self.solve_button, self.export_button, self.save_button, self.confirm_button],
                                   on_finish=self._enable_plan_buttons, lang=self.ui_lang)
        self.widget = widgets.VBox([
            widgets.HTML(f"<h3 style='margin:4px 0'>{html.escape(self.t(self.title_key))}</h3>"),
            self.settings_panel(), self.settings_line,
            widgets.HBox([self.solve_button, self.export_button, self.workbook_lang],
                         layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox([self.save_name, self.save_button], layout=widgets.Layout(flex_flow="row wrap")),
            self.confirm, self.progress, self.status, self.export_note, self.results,
        ])
        self.widget.add_class(f"planner-{type(self).__name__.removesuffix('Explorer').lower()}")  # a handle for tests
        if self.shared_settings:
            self.show_settings_line()

    # the settings' widgets under their old names (notebooks set e.g. explorer.threshold.value)
    def __getattr__(self, name: str):
        if name in SETTING_NAMES and "settings" in self.__dict__:
            return getattr(self.__dict__["settings"], name)
        raise AttributeError(name)

    @property
    def base(self) -> Scenario:
        """The scenario the settings start from (what they do not show comes from it)."""
        return self.settings.base

    @base.setter
    def base(self, scenario: Scenario) -> None:
        self.settings.base = scenario

    def show_settings_line(self) -> None:
        """The settings in use, in one line, with where to change them (the app's settings tab)."""
        self.settings_line.value = (f"<div style='color:#555;margin:2px 0 6px 0'>"
                                    f"{html.escape(self.settings.summary())} · {html.escape(self.t('settings_where'))}</div>")

    def carry_over(self, old: "Explorer") -> None:
        """Take the last plan (and its results) of an explorer this one replaces, e.g. in another language."""
        if old.plan is not None:
            self.plan_scenario, self.plan_ds, self.plan = old.plan_scenario, old.plan_ds, old.plan
            self.results.children = self.safe_render()
            self._enable_plan_buttons()
        self.save_name.value = old.save_name.value

    def current_settings(self) -> Scenario:
        return self.settings.current()

    # subclasses fill these in
    def settings_panel(self) -> widgets.Widget:
        return widgets.VBox()

    def scenario(self) -> Scenario:
        return self.settings.scenario()

    def solve_dataset(self) -> Dataset:
        return self.ds

    def render(self) -> list[widgets.Widget]:
        return [self.table(kpi_table(self.plan), text("key_figures", self.ui_lang))]

    def safe_render(self) -> list[widgets.Widget]:
        """The results, or a message when this plan lacks what the tab shows (e.g. an opened staffing-only plan)."""
        try:
            return self.render()
        except Exception as exc:  # a saved plan of other stages: say so instead of a traceback
            return [widgets.HTML(message_html(self.t("plan_lacks_tables"), [f"{type(exc).__name__}: {exc}"], kind="info"))]

    def set_dataset(self, ds: Dataset) -> None:
        """Switch to another province (clears the results)."""
        self.ds = ds
        self.plan = None
        self.results.children = []
        self.export_note.value = ""
        self.export_button.disabled = self.save_button.disabled = True
        if not self.shared_settings:
            self.settings.set_dataset(ds)
        self.status.value = message_html(self.t("province_loaded", province=ds.province, solve=self.t("solve")),
                                         kind="info")

    def show_plan(self, name: str, plan, ds: Dataset) -> None:
        """Show a plan opened from the store (its scenario from its provenance)."""
        from .plans import plan_scenario

        self.plan_scenario = plan_scenario(plan, self.settings.current()).model_copy(update={"name": name})
        self.plan_ds, self.plan = ds, plan
        self.results.children = self.safe_render()
        self.save_name.value = name
        self.export_note.value = ""
        self._enable_plan_buttons()
        self.status.value = message_html(self.t("plan_opened", name=name), kind="ok")

    def _enable_plan_buttons(self) -> None:
        self.export_button.disabled = self.save_button.disabled = self.plan is None

    # actions
    def solve(self, wait: bool = False) -> None:
        """Read the settings, run the plan off the UI thread, show results (or the reason it failed).

        The previous results are cleared first, so what is shown always matches the settings.
        """
        if self.shared_settings:
            self.show_settings_line()

        def job():
            self.plan = None
            self.results.children = []
            self.export_note.value = ""
            self._hide_confirm()
            scenario = self.scenario()
            ds = self.solve_dataset()
            run = self.run
            if run is None:
                from ..pipeline import run_plan as run
            return scenario, ds, run(ds, scenario, stages=self.stages)

        self.task.start(self.t(self.solve_key), job, self._show, sync=self.sync or wait)

    def _show(self, result) -> None:
        self.plan_scenario, self.plan_ds, self.plan = result
        self.results.children = self.safe_render()
        if not self.save_name.value:
            self.save_name.value = self.plan_scenario.name

    def export(self, wait: bool = False) -> None:
        """Write the leadership workbook of the last plan and offer it as a download (no server path shown)."""
        if self.plan is None:
            self.status.value = message_html(self.t("solve_first_export"), kind="info")
            return
        lang = self.workbook_lang.value
        name = file_name(self.plan_ds.province, self.save_name.value.strip() or self.plan_scenario.name)

        def job():
            return name, workbook_bytes(self.plan, self.plan_ds, name, lang)

        self.task.start(self.t("writing_workbook"), job, lambda result: self._offer(*result), sync=self.sync or wait)

    def _offer(self, name: str, data: bytes) -> None:
        self.export_note.value = download_html(data, name, self.t("download", name=name))

    def _hide_confirm(self) -> None:
        self.confirm.layout.display = "none"

    def keep(self, overwrite: bool = False, wait: bool = False) -> None:
        """Save the last plan under the typed name (with its workbook when the store keeps files); an existing
        name is only replaced after the user confirms (an approved plan is never replaced)."""
        if self.plan is None:
            return
        name = self.save_name.value.strip() or self.plan_scenario.name
        self._hide_confirm()
        if not overwrite and self.store.exists(name):
            self.confirm_text.value = message_html(self.t("overwrite_question", name=name), kind="info")
            self.confirm.layout.display = ""
            return
        by = self.user.value.strip() if self.user is not None else ""
        plan, ds, scenario, lang = self.plan, self.plan_ds, self.plan_scenario, self.workbook_lang.value

        def job():
            workbook = (workbook_bytes(plan, ds, file_name(ds.province, name), lang)
                        if self.store.persistent else None)
            self.store.save(name, scenario.model_copy(update={"name": name}), plan, ds, by=by or None,
                            overwrite=overwrite, workbook=workbook)
            return name

        self.task.start(self.t("saving", name=name), job, self._saved, sync=self.sync or wait)

    def _saved(self, name: str) -> None:
        self.export_note.value = message_html(self.t("plan_kept", name=name, count=len(self.store.names())), kind="ok")
