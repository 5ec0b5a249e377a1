"""The assets tab: service distance and budgets -> headquarters, service points, building uses and
equipment flows, with the coverage and flow maps."""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd

from ..labels import sheet_label, text
from ..scenario import Scenario
from . import charts, maps
from .common import figure_widget
from .panel import Explorer, default_budgets, heading, kpi_table, scenario_with, side_by_side, slider, tabs

ASSET_STAGES = ("sites", "buildings", "equipment")  # the stages whose key figures this tab shows


class AssetsExplorer(Explorer):
    """Service distance and budgets -> headquarters, service points, building uses, equipment flows."""

    title_key = "assets_title"
    solve_key = "assets_solving"
    stages = ("sites", "staffing", "buildings", "equipment")  # staffing sizes the headquarters and the equipment

    def settings_panel(self) -> widgets.Widget:
        assets = self.base.assets
        renovation, equipment = default_budgets(self.ds, self.base)
        self.service_distance = slider(self.t("service_distance"), assets.service_distance_km, 2, 50, 1)
        self.renovation_budget = slider(self.t("renovation_budget"), renovation / 1e9, 0, 3 * renovation / 1e9,
                                        0.1, ".1f")
        self.equipment_budget = slider(self.t("equipment_budget"), equipment / 1e6, 0, 3 * equipment / 1e6, 10)
        self.single_source = widgets.Checkbox(value=assets.single_source, indent=False,
                                              description=self.t("single_source"), layout=widgets.Layout(width="auto"))
        return widgets.VBox([heading(self.t("service_heading")), self.service_distance,
                             self.renovation_budget, self.equipment_budget, self.single_source])

    def scenario(self) -> Scenario:
        return scenario_with(self.base, {"assets": {
            "service_distance_km": float(self.service_distance.value),
            "renovation_budget_vnd": float(self.renovation_budget.value) * 1e9,
            "equipment_budget_vnd": float(self.equipment_budget.value) * 1e6,
            "single_source": bool(self.single_source.value),
        }})

    def render(self) -> list[widgets.Widget]:
        t, lang = self.plan.tables, self.ui_lang
        empty = pd.DataFrame()

        def sheet(name: str) -> widgets.HTML:
            """A result table titled like its sheet in the workbook."""
            return self.table(t.get(name, empty), sheet_label(name, lang))

        hq, points, coverage = t.get("hq_plan", empty), t.get("service_points", empty), t.get("service_coverage", empty)
        coverage_map = maps.coverage_map(self.plan_ds, hq, points, coverage, self.plan_scenario.assets.service_distance_km,
                                         lang)
        uses = t.get("building_uses", empty)
        transfers, purchases = t.get("equipment_transfers", empty), t.get("equipment_purchases", empty)
        return [tabs([
            (self.t("tab_summary"), side_by_side(figure_widget(coverage_map, "planner-map"),
                                                 self.table(kpi_table(self.plan, ASSET_STAGES), text("key_figures", lang)))),
            (self.t("tab_headquarters"), sheet("hq_plan")),
            (self.t("tab_service_points"), widgets.VBox([sheet("service_points"), sheet("service_coverage")])),
            (self.t("tab_buildings"), widgets.VBox([figure_widget(charts.building_uses_chart(uses, lang)) if len(uses)
                                                    else widgets.HTML(), sheet("building_uses")])),
            (self.t("tab_equipment"), widgets.VBox([
                figure_widget(maps.equipment_flow_map(self.plan_ds, transfers, purchases, hq, lang), "planner-map"),
                figure_widget(charts.purchases_chart(purchases, lang)),
                sheet("equipment_purchases"), sheet("equipment_transfers"), sheet("equipment_repairs"),
                sheet("unmet_equipment"), sheet("equipment_balance")])),
        ])]
