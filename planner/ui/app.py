"""The app (served by Voila from notebooks/app.ipynb): every tab over one province, one settings panel, the plan
register, a language menu and the user's name (recorded when saving, reviewing, approving)."""

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
from .panel import tabs
from .plans import PlanStore, RegisterStore
from .scenarios_tab import ScenarioExplorer
from .settings import Settings
from .staffing_tab import StaffingExplorer
from .text import language_options, ui_lang, ui_text

# Tab titles in full (ipywidgets cuts them at 144 px by default), tables at full width, figures not stretched.
APP_CSS = """<style>
.planner-app .lm-TabBar-tab, .planner-app .p-TabBar-tab { flex: 0 0 auto !important; min-width: fit-content !important;
  max-width: none !important; padding: 0 14px !important; }
.planner-app .lm-TabBar-tabLabel, .planner-app .p-TabBar-tabLabel { overflow: visible !important; text-overflow: clip !important; }
.planner-app .widget-dropdown > select { max-width: none; }
.planner-app .widget-label { white-space: normal; }
.planner-app { --jp-widgets-horizontal-tab-width: auto; }
</style>"""


class App:
    """All explorers in tabs over one province; uploading a workbook in the first tab switches every tab.

    The language menu in the header rebuilds every tab in the chosen language, keeping the settings,
    the plans solved so far and the saved plans. Plans are saved in the plan register (`store`, else
    `register`, else planner.register.PlanRegister() on $PLANNER_DB or its default SQLite file).
    """

    def __init__(self, ds: Dataset, scenario: Scenario | None = None, *, sync: bool = False, run: Callable | None = None,
                 lang: str | None = None, register=None, store: PlanStore | None = None):
        self.store = store if store is not None else RegisterStore(register)
        self.sync, self.run = sync, run
        self.language = widgets.Dropdown(options=language_options(), value=ui_lang(lang),
                                         layout=widgets.Layout(width="230px"))
        self.language.add_class("planner-language")
        self.language.observe(lambda change: self.set_lang(change["new"]), names="value")
        self.user = widgets.Text(layout=widgets.Layout(width="360px"))
        self.user.add_class("planner-user")
        self.title = widgets.HTML()
        self.widget = widgets.VBox()
        self.widget.add_class("planner-app")
        self._build(ds, scenario or default_scenario(), selected_tab=2)

    @property
    def lang(self) -> str:
        return self.language.value

    def _build(self, ds: Dataset, scenario: Scenario, selected_tab: int) -> None:
        """Every tab in the current language, the settings starting from `scenario`."""
        lang = self.lang
        self.settings = Settings(ds, scenario, lang)
        common = dict(store=self.store, sync=self.sync, run=self.run, lang=lang, settings=self.settings, user=self.user)
        self.staffing = StaffingExplorer(ds, scenario, **common)
        self.assets = AssetsExplorer(ds, scenario, **common)
        self.scenarios = ScenarioExplorer(ds, scenario, on_open=self._opened, **common)
        self.data = DataCheckExplorer(ds, sync=self.sync, lang=lang, on_dataset=[self.set_dataset])
        heading, *rest = self.settings.widget.children
        self.settings.widget.children = [heading, self.scenarios.start_from, *rest]  # start from a scenario file
        settings_tab = self.settings.widget
        self.tabs = tabs([(ui_text("tab_data", lang), self.data.widget),
                          (ui_text("tab_settings", lang), settings_tab),
                          (ui_text("tab_staffing", lang), self.staffing.widget),
                          (ui_text("tab_assets", lang), self.assets.widget),
                          (ui_text("tab_scenarios", lang), self.scenarios.widget)])
        self.tabs.selected_index = selected_tab
        self.tabs.observe(lambda change: self._tab_shown(change["new"]), names="selected_index")
        self.language.description = ui_text("language", lang)
        self.language.style.description_width = "initial"
        self.user.description = ui_text("user_name", lang)
        self.user.placeholder = ui_text("user_placeholder", lang)
        self.user.style.description_width = "initial"
        self._set_title(ds)
        header = widgets.HBox([self.title, widgets.HBox([self.user, self.language])],
                              layout=widgets.Layout(justify_content="space-between", align_items="center",
                                                    flex_flow="row wrap"))
        self.widget.children = [widgets.HTML(APP_CSS), header, self.tabs]

    def _set_title(self, ds: Dataset) -> None:
        self.title.value = (f"<h2 class='planner-title' style='margin:4px 0'>"
                            f"{html.escape(ui_text('app_title', self.lang, province=ds.province))}</h2>")

    def _tab_shown(self, index: int) -> None:
        """Tabs that solve show the settings in use when they come into view (they may have changed)."""
        for explorer in (self.staffing, self.assets, self.scenarios):
            explorer.show_settings_line()

    def set_dataset(self, ds: Dataset) -> None:
        """Another province everywhere: the title, the budgets, every tab."""
        self._set_title(ds)
        self.settings.set_dataset(ds)
        for explorer in (self.staffing, self.assets, self.scenarios):
            explorer.set_dataset(ds)
            explorer.show_settings_line()

    def _opened(self, name: str, plan) -> None:
        """A saved plan reopened in the plans tab: show it in the staffing and assets tabs too."""
        for explorer in (self.staffing, self.assets):
            explorer.show_plan(name, plan, self.staffing.ds)

    def set_lang(self, lang: str) -> None:
        """Show every tab in another language (refused while a solve runs)."""
        busy = [e for e in (self.data, self.staffing, self.assets, self.scenarios) if e.task.running]
        if busy:
            busy[0].status.value = message_html(ui_text("language_busy", busy[0].ui_lang), kind="info")
            self.language.value = busy[0].ui_lang  # the menu shows the language still on screen
            return
        old = dict(staffing=self.staffing, assets=self.assets, scenarios=self.scenarios)
        self.store.listeners.clear()
        self._build(self.staffing.ds, self.settings.current(), self.tabs.selected_index)
        for name, previous in old.items():
            getattr(self, name).carry_over(previous)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def start_app(path: str | Path | None = None, lang: str | None = None, register=None) -> widgets.Widget:
    """The Voila app: open the province ($PLANNER_DATA or the bundled one) and show every explorer,
    in `lang` ($PLANNER_LANG, else Vietnamese), saving plans in the register ($PLANNER_DB or its default file).

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
    return App(ds, scenario, lang=lang, register=register).widget
