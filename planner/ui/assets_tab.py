"""The assets tab: service distance and budgets (planner.ui.settings) -> headquarters, service points, building uses and
equipment flows, with the coverage and flow maps."""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd

from ..labels import sheet_label, text
from . import charts, maps
from .common import figure_widget
from .panel import Explorer, kpi_table, side_by_side, tabs

ASSET_STAGES = ("sites", "buildings", "equipment")  # the stages whose key figures this tab shows


class AssetsExplorer(Explorer):
    """Service distance and budgets -> headquarters, service points, building uses, equipment flows."""

    title_key = "assets_title"
    solve_key = "assets_solving"
    stages = ("sites", "staffing", "buildings", "equipment")  # staffing sizes the headquarters and the equipment

    def settings_panel(self) -> widgets.Widget:
        return widgets.VBox() if self.shared_settings else self.settings.assets_box

    def render(self) -> list[widgets.Widget]:
        t, lang = self.plan.tables, self.ui_lang
        empty = pd.DataFrame()

        def sheet(name: str) -> widgets.Widget:
            """A result table titled like its sheet in the workbook."""
            return self.table(t.get(name, empty), sheet_label(name, lang), self.plan_ds)

        hq, points, coverage = t.get("hq_plan", empty), t.get("service_points", empty), t.get("service_coverage", empty)
        coverage_map = maps.coverage_map(self.plan_ds, hq, points, coverage, self.plan_scenario.assets.service_distance_km,
                                         lang)
        uses = t.get("building_uses", empty)
        transfers, purchases = t.get("equipment_transfers", empty), t.get("equipment_purchases", empty)
        return [tabs([
            (self.t("tab_summary"), side_by_side(figure_widget(coverage_map, "planner-map"),
                                                 self.table(kpi_table(self.plan, ASSET_STAGES), text("key_figures", lang),
                                                            self.plan_ds))),
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
