"""The app (served by Voila from notebooks/app.ipynb): every tab over one province, a language menu."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Callable

import ipywidgets as widgets

from ..dataset import Dataset
from ..scenario import Scenario
from .assets_tab import AssetsExplorer
from .common import default_scenario, describe_error, message_html, open_province
from .data_check_tab import DataCheckExplorer
from .panel import PlanStore, tabs
from .scenarios_tab import ScenarioExplorer
from .staffing_tab import StaffingExplorer
from .text import language_options, ui_lang, ui_text


class App:
    """All explorers in tabs over one province; uploading a workbook in the first tab switches every tab.

    The language menu in the header rebuilds every tab in the chosen language, keeping the settings,
    the plans solved so far and the kept plans.
    """

    def __init__(self, ds: Dataset, scenario: Scenario | None = None, *, sync: bool = False, run: Callable | None = None,
                 lang: str | None = None):
        self.store = PlanStore()
        self.sync, self.run = sync, run
        self.language = widgets.Dropdown(options=language_options(), value=ui_lang(lang),
                                         layout=widgets.Layout(width="230px"))
        self.language.add_class("planner-language")
        self.language.observe(lambda change: self.set_lang(change["new"]), names="value")
        self.widget = widgets.VBox()
        scenario = scenario or default_scenario()
        self._build(ds, dict(staffing=scenario, assets=scenario, scenarios=scenario), selected_tab=1)

    @property
    def lang(self) -> str:
        return self.language.value

    def _build(self, ds: Dataset, settings: dict[str, Scenario], selected_tab: int) -> None:
        """Every tab in the current language; `settings` is the scenario each explorer starts from."""
        lang, common = self.lang, dict(store=self.store, sync=self.sync, run=self.run, lang=self.lang)
        self.staffing = StaffingExplorer(ds, settings["staffing"], **common)
        self.assets = AssetsExplorer(ds, settings["assets"], **common)
        self.scenarios = ScenarioExplorer(ds, settings["scenarios"], **common)
        self.data = DataCheckExplorer(ds, sync=self.sync, lang=lang,
                                      on_dataset=[self.staffing.set_dataset, self.assets.set_dataset,
                                                  self.scenarios.set_dataset])
        self.tabs = tabs([(ui_text("tab_data", lang), self.data.widget),
                          (ui_text("tab_staffing", lang), self.staffing.widget),
                          (ui_text("tab_assets", lang), self.assets.widget),
                          (ui_text("tab_scenarios", lang), self.scenarios.widget)])
        self.tabs.selected_index = selected_tab
        title = widgets.HTML(f"<h2 style='margin:4px 0'>{html.escape(ui_text('app_title', lang, province=ds.province))}</h2>")
        self.language.description = ui_text("language", lang)
        self.language.style.description_width = "initial"
        header = widgets.HBox([title, self.language], layout=widgets.Layout(justify_content="space-between",
                                                                            align_items="center"))
        self.widget.children = [header, self.tabs]

    def set_lang(self, lang: str) -> None:
        """Show every tab in another language (refused while a solve runs)."""
        busy = [e for e in (self.data, self.staffing, self.assets, self.scenarios) if e.task.running]
        if busy:
            busy[0].status.value = message_html(ui_text("language_busy", busy[0].ui_lang), kind="info")
            self.language.value = busy[0].ui_lang  # the menu shows the language still on screen
            return
        old = dict(staffing=self.staffing, assets=self.assets, scenarios=self.scenarios)
        self._build(self.staffing.ds, {name: e.current_settings() for name, e in old.items()}, self.tabs.selected_index)
        for name, previous in old.items():
            getattr(self, name).carry_over(previous)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def start_app(path: str | Path | None = None, lang: str | None = None) -> widgets.Widget:
    """The Voila app: open the province ($PLANNER_DATA or the bundled one) and show every explorer,
    in `lang` ($PLANNER_LANG, else Vietnamese).

    A broken or missing workbook shows its problems instead of a traceback.
    """
    try:
        ds = open_province(path, lang)
        scenario = default_scenario()
    except Exception as exc:
        data = DataCheckExplorer(None, lang=lang)
        data._show_problems(exc)
        data.status.value = message_html(*describe_error(exc, data.ui_lang))
        return data.widget
    return App(ds, scenario, lang=lang).widget
