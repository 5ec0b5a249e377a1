"""The scenarios tab: solve named scenarios (each kept at once and saved as YAML), compare two or more
kept plans side by side, export the comparison."""

from __future__ import annotations

from pathlib import Path

import ipywidgets as widgets
import pandas as pd

from .. import vocab
from ..dataset import Dataset
from ..labels import sheet_label, text
from ..scenario import Scenario
from . import charts
from .common import default_data_path, default_scenario, describe_error, figure_widget, message_html, output_folder
from .panel import LABEL_STYLE, WIDE, Explorer, default_budgets, heading, kpi_table, scenario_with, slider, tabs
from .text import TEXT


class ScenarioExplorer(Explorer):
    """Solve named scenarios, keep them, compare two or more side by side, export the comparison."""

    title_key = "scenarios_title"
    solve_key = "scenario_solving"

    def __init__(self, ds: Dataset, scenario: Scenario | None = None, *, scenario_folder: str | Path | None = None, **kw):
        repo_scenarios = default_data_path().parent.parent / "scenarios"
        self.scenario_folder = Path(scenario_folder) if scenario_folder else repo_scenarios
        self.comparison: dict | None = None
        self.compared: list[str] = []  # the plans in the comparison on show
        super().__init__(ds, scenario, **kw)
        self.save_name.layout.display = self.save_button.layout.display = "none"  # every solve here is kept
        self.store.listeners.append(self._refresh_saved)
        self._refresh_saved()

    @property
    def it_field(self) -> str:
        """The field whose shortage penalty the IT slider sets (role 'it' in the fields list)."""
        return vocab.role_code("fields", "it")

    def settings_panel(self) -> widgets.Widget:
        files = sorted(self.scenario_folder.glob("*.yaml")) if self.scenario_folder.exists() else []
        self.start_from = widgets.Dropdown(options=[(self.t("defaults"), "")] + [(p.stem, str(p)) for p in files],
                                           description=self.t("start_from"), layout=WIDE, style=LABEL_STYLE)
        self.start_from.observe(lambda change: self.load_start(change["new"]), names="value")
        self.name = widgets.Text(value=self.base.name, description=self.t("scenario_name"), layout=WIDE,
                                 style=LABEL_STYLE)
        self.threshold = slider(self.t("commute_threshold"), 0, 0, 100, 1)
        self.fairness = widgets.Checkbox(description=self.t("fairness_short"), indent=False,
                                         layout=widgets.Layout(width="auto"))
        self.it_radius = slider(self.t("it_radius"), 5, 5, 150, 5)
        self.it_penalty = slider(self.t("it_penalty"), 0, 0, 5000, 50)
        self.service_distance = slider(self.t("service_distance"), 2, 2, 50, 1)
        self.renovation_budget = slider(self.t("renovation_budget"), 0, 0, 100, 0.1, ".1f")
        self.equipment_budget = slider(self.t("equipment_budget"), 0, 0, 10000, 10)
        self._fill(self.base)
        self.saved = widgets.SelectMultiple(options=[], description=self.t("kept_plans"), rows=5, layout=WIDE,
                                            style=LABEL_STYLE)
        self.compare_button = widgets.Button(description=self.t("compare"), icon="columns", button_style="info")
        self.compare_button.on_click(lambda _: self.compare())
        self.export_comparison_button = widgets.Button(description=self.t("export_comparison"), icon="download",
                                                       disabled=True, layout=widgets.Layout(width="auto"))
        self.export_comparison_button.on_click(lambda _: self.export_comparison())
        self.comparison_view = widgets.VBox()
        self.comparison_view.add_class("planner-comparison")
        return widgets.HBox([
            widgets.VBox([self.start_from, self.name, self.threshold, self.fairness, self.it_radius, self.it_penalty]),
            widgets.VBox([self.service_distance, self.renovation_budget, self.equipment_budget]),
        ], layout=widgets.Layout(flex_flow="row wrap"))

    def _fill(self, scenario: Scenario) -> None:
        s, a = scenario.staffing, scenario.assets
        self.name.value = scenario.name
        self.threshold.value = s.distance_threshold_km
        self.fairness.value = s.fairness
        self.it_radius.value = s.it_support.radius_km
        self.it_penalty.value = s.penalty(self.it_field)
        self.service_distance.value = a.service_distance_km
        renovation, equipment = default_budgets(self.ds, scenario)
        self.renovation_budget.max = max(self.renovation_budget.max, 3 * renovation / 1e9)
        self.equipment_budget.max = max(self.equipment_budget.max, 3 * equipment / 1e6)
        self.renovation_budget.value = renovation / 1e9
        self.equipment_budget.value = equipment / 1e6

    def load_start(self, path: str | None) -> None:
        """Fill the widgets from a scenario YAML file (or the defaults: no path or "")."""
        try:
            self.base = Scenario.from_yaml(path) if path else default_scenario()
        except Exception as exc:
            self.status.value = message_html(*describe_error(exc, self.ui_lang))
            return
        self._fill(self.base)

    def scenario(self) -> Scenario:
        return scenario_with(self.base, {
            "name": self.name.value.strip() or "scenario",
            "staffing": {"distance_threshold_km": float(self.threshold.value), "fairness": bool(self.fairness.value),
                         "shortage_penalty": {self.it_field: float(self.it_penalty.value)},
                         "it_support": {"radius_km": float(self.it_radius.value)}},
            "assets": {"service_distance_km": float(self.service_distance.value),
                       "renovation_budget_vnd": float(self.renovation_budget.value) * 1e9,
                       "equipment_budget_vnd": float(self.equipment_budget.value) * 1e6},
        })

    def _show(self, result) -> None:
        """Every solved scenario is kept at once under its name, and its settings saved as YAML."""
        super()._show(result)
        self.keep()
        folder = output_folder() / "scenarios"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{self.plan_scenario.name}.yaml").write_text(self.plan_scenario.to_yaml(), encoding="utf-8")

    def keep(self) -> None:
        self.save_name.value = self.plan_scenario.name if self.plan_scenario else self.save_name.value
        super().keep()

    def carry_over(self, old: "ScenarioExplorer") -> None:
        """Also take the comparison on show, and stop the old explorer listening to the shared store."""
        if old._refresh_saved in self.store.listeners:
            self.store.listeners.remove(old._refresh_saved)
        super().carry_over(old)
        self._refresh_saved()
        self.saved.value = tuple(name for name in old.saved.value if name in self.saved.options)
        if old.comparison is not None:
            self._show_comparison(old.compared, old.comparison)

    def render(self) -> list[widgets.Widget]:
        last = widgets.Accordion(children=[self.table(kpi_table(self.plan))], selected_index=None)
        last.set_title(0, self.t("last_kpis", name=self.plan_scenario.name))
        return [heading(self.t("compare_heading"), self.t("compare_hint")), self._compare_controls(),
                self.comparison_view, last]

    def _compare_controls(self) -> widgets.Widget:
        return widgets.HBox([self.saved, widgets.VBox([self.compare_button, self.export_comparison_button])])

    def _refresh_saved(self) -> None:
        names = list(self.store.entries)
        self.saved.options = names
        self.saved.value = tuple(names[-2:]) if len(names) >= 2 else tuple(names)
        if not self.results.children and names:
            self.results.children = [self._compare_controls(), self.comparison_view]

    def compare(self, names: list[str] | None = None, wait: bool = False) -> None:
        """Compare the chosen kept plans: KPIs, who moves, shortage deltas, buildings and purchases that differ."""
        names = list(names or self.saved.value)
        if len(names) < 2:
            self.status.value = message_html(self.t("choose_two"), kind="info")
            return

        def job():
            from ..compare import compare_plans

            return names, compare_plans(self.store.plans(names))

        self.task.start(self.t("comparing", names=", ".join(names)), job, lambda result: self._show_comparison(*result),
                        sync=self.sync or wait)

    def _comparison_title(self, key: str) -> str:
        if key == "kpis":
            return text("key_figures", self.ui_lang)
        return self.t(f"cmp_{key}") if f"cmp_{key}" in TEXT else sheet_label(key, self.ui_lang)

    def _show_comparison(self, names: list[str], comparison: dict) -> None:
        """A chart of the key figures that differ, and one tab per comparison table."""
        self.compared, self.comparison = names, comparison
        pages = [(self._comparison_title(key), self.table(frame, self._comparison_title(key)))
                 for key, frame in comparison.items() if isinstance(frame, pd.DataFrame)]
        kpis = comparison.get("kpis")
        differs = isinstance(kpis, pd.DataFrame) and not charts.kpi_differences(kpis, names).empty
        chart = (figure_widget(charts.kpi_comparison_chart(kpis, names, self.ui_lang)) if differs else
                 widgets.HTML(message_html(self.t("same_kpis"), kind="info")))
        self.comparison_view.children = [chart, tabs(pages)]
        self.export_comparison_button.disabled = False

    def export_comparison(self, wait: bool = False) -> None:
        if self.comparison is None:
            return

        def job():
            from ..report import write_comparison_workbook

            return write_comparison_workbook(self.comparison, output_folder() / "scenario_comparison.xlsx",
                                             lang=self.workbook_lang.value)

        self.task.start(self.t("writing_comparison"), job, lambda path: self._written(path, "comparison_written"),
                        sync=self.sync or wait)
