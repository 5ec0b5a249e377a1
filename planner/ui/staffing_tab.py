"""The staffing tab: field priorities, commute threshold, fairness, IT radius and pins -> the staffing plan,
its shortage map, the people tables and plain-words explanations (planner.explain)."""

from __future__ import annotations

import html

import ipywidgets as widgets
import pandas as pd

from .. import vocab
from ..dataset import Dataset
from ..edits import PIN_COLUMNS, with_pins
from ..explain import Explanation, explain_commune, explain_official
from ..labels import column_label, sheet_label, text
from ..scenario import Scenario
from . import charts, maps
from .common import figure_widget, message_html, table_html
from .panel import Explorer, kpi_table, side_by_side, tabs
from .settings import WIDE, heading
from .text import ui_text


def commune_options(ds: Dataset) -> list[tuple[str, int]]:
    communes = ds["communes"].sort_values("name")
    return [(f"{n} ({c})", int(c)) for n, c in zip(communes["name"], communes["code"])]


def official_options(ds: Dataset) -> list[str]:
    return [f"{i} · {n}" for i, n in zip(ds["officials"]["id"], ds["officials"]["name"])]


def official_id(choice: str) -> str:
    """The id of an official chosen in a menu ('CB001 · Name'), or typed as an id."""
    return choice.split(" · ", 1)[0].strip()


def explanation_html(explanation: Explanation, lang: str | None = None, ds=None) -> str:
    """An explanation as shown in the app: the plain-words lines first, the table of technical values (costs,
    distances) folded under an "advanced" toggle."""
    words = message_html(explanation.title, explanation.lines, kind="info")
    if explanation.table is not None:
        words += (f"<details class='planner-advanced-details'><summary style='cursor:pointer;color:#1a5276'>"
                  f"{html.escape(ui_text('explain_advanced', lang))}</summary>"
                  f"{table_html(explanation.table, explanation.table_title, lang=lang, ds=ds)}</details>")
    return words


def no_effect_lines(plan, ds: Dataset, scenario: Scenario, lang: str) -> list[str]:
    """Fields still short where no unplaced official of that field (first or second) is left: raising their
    priority cannot change the plan, and the user should hear why instead of seeing nothing change."""
    by_commune = plan.tables.get("staffing_by_commune")
    if by_commune is None or by_commune.empty or "field" not in by_commune:
        return []
    total = vocab.role_code("fields", "total")
    missing = by_commune[(by_commune["field"] != total) & (by_commune["shortage"] > 0)].groupby("field")["shortage"].sum()
    surplus = plan.tables.get("surplus_officials", pd.DataFrame())
    officials = ds["officials"].set_index("id")
    spare = officials.loc[officials.index.intersection(surplus.get("official_id", pd.Series(dtype=str)))]
    spare_fields = set(spare.get("field", pd.Series(dtype=str)).dropna()) | set(
        spare.get("secondary_field", pd.Series(dtype=str)).dropna())
    fields = vocab.labels("fields", lang)
    return [ui_text("no_effect_field", lang, field=fields.get(field, field), missing=f"{int(count):,}",
                    radius=f"{scenario.staffing.candidate_radius_km:g}")
            for field, count in missing.sort_values(ascending=False).items() if field not in spare_fields]


class StaffingExplorer(Explorer):
    """Field priorities, commute threshold, fairness, IT radius and pins -> staffing plan, map and explanations."""

    title_key = "staffing_title"
    solve_key = "staffing_solving"
    stages = ("sites", "staffing")

    def settings_panel(self) -> widgets.Widget:
        self.pins = pd.DataFrame(columns=PIN_COLUMNS)
        officials, communes = official_options(self.ds), commune_options(self.ds)
        self.pin_official = widgets.Combobox(placeholder=self.t("id_or_name"), options=officials,
                                             ensure_option=True, description=self.t("official"), layout=WIDE)
        self.pin_commune = widgets.Dropdown(options=communes, description=self.t("commune"), layout=WIDE)
        positions = vocab.labels("positions", self.ui_lang)
        self.pin_position = widgets.Dropdown(options=[(positions[p], p) for p in vocab.codes("positions")],
                                             value=vocab.role_code("positions", "staff"),
                                             description=column_label("position", self.ui_lang),
                                             layout=widgets.Layout(width="300px"))
        add = widgets.Button(description=self.t("pin"), icon="thumb-tack", layout=widgets.Layout(width="auto"))
        add.on_click(lambda _: self.add_pin())
        clear = widgets.Button(description=self.t("clear_pins"), icon="times", layout=widgets.Layout(width="auto"))
        clear.on_click(lambda _: self.clear_pins())
        self.pins_view = widgets.VBox()
        pins = widgets.VBox([heading(self.t("pins_heading")), self.pin_official, widgets.HBox([self.pin_commune]),
                             widgets.HBox([self.pin_position, add, clear]), self.pins_view])
        self.explain_official = widgets.Combobox(placeholder=self.t("id_or_name"), options=officials,
                                                 ensure_option=True, description=self.t("official"), layout=WIDE)
        self.explain_commune = widgets.Dropdown(options=[("—", None)] + communes, value=None,
                                                description=self.t("commune"), layout=WIDE)
        self.explanation = widgets.HTML()
        self.explain_official.observe(lambda change: self.explain(official=change["new"]), names="value")
        self.explain_commune.observe(lambda change: self.explain(commune=change["new"]), names="value")
        if self.shared_settings:  # the app shows the settings once, in its settings tab
            return pins
        return widgets.HBox([self.settings.staffing_box, widgets.VBox([self.settings.others_box, pins])],
                            layout=widgets.Layout(flex_flow="row wrap"))

    def add_pin(self, official: str | None = None, commune: int | None = None, position: str | None = None) -> None:
        official = official_id(official or self.pin_official.value or "")
        if official not in set(self.ds["officials"]["id"]):
            self.status.value = message_html(self.t("choose_official_first"), kind="info")
            return
        row = pd.DataFrame([{"official_id": official, "commune_code": int(commune or self.pin_commune.value),
                             "position": position or self.pin_position.value}])
        self.pins = pd.concat([self.pins[self.pins["official_id"] != official], row], ignore_index=True)
        self._show_pins()

    def clear_pins(self) -> None:
        self.pins = self.pins.iloc[0:0]
        self._show_pins()

    def _show_pins(self) -> None:
        names = self.ds["officials"].set_index("id")["name"]
        communes = self.ds["communes"].set_index("code")["name"]
        view = self.pins.assign(name=self.pins["official_id"].map(names),
                                commune=self.pins["commune_code"].map(communes))
        view = view.rename(columns={"commune": "commune_name"})
        self.pins_view.children = ([self.table(view[["official_id", "name", "commune_name", "position"]],
                                               self.t("pinned"))] if len(view) else [])

    def solve_dataset(self) -> Dataset:
        return with_pins(self.ds, self.pins)

    def set_dataset(self, ds: Dataset) -> None:
        super().set_dataset(ds)
        self.pin_official.options = self.explain_official.options = official_options(ds)
        communes = commune_options(ds)
        self.pin_commune.options = communes
        self.explain_commune.options = [("—", None)] + communes
        self.clear_pins()

    def carry_over(self, old: "StaffingExplorer") -> None:
        self.pins = old.pins
        self._show_pins()
        super().carry_over(old)

    def render(self) -> list[widgets.Widget]:
        t, lang = self.plan.tables, self.ui_lang
        by_commune = t["staffing_by_commune"]
        short = by_commune[by_commune["shortage"] > 0].sort_values("shortage", ascending=False)
        ds = self.plan_ds
        notes = no_effect_lines(self.plan, ds, self.plan_scenario, lang)
        summary = widgets.VBox(
            ([widgets.HTML(message_html(self.t("no_effect_title"), notes, kind="info"))] if notes else [])
            + [side_by_side(figure_widget(maps.shortage_map(ds, by_commune, lang), "planner-map"),
                            self.table(kpi_table(self.plan, ("staffing",)), text("key_figures", lang), ds))])
        shortages = widgets.VBox([figure_widget(charts.shortage_by_field_chart(by_commune, lang)),
                                  figure_widget(charts.shortage_by_commune_chart(by_commune, lang=lang)),
                                  self.table(short, self.t("short_table"), ds)])
        threshold = self.plan_scenario.staffing.distance_threshold_km
        commute = widgets.VBox([figure_widget(charts.commute_chart(t["assignments"], threshold, lang))])

        def sheet(name: str) -> widgets.Widget:
            return self.table(t.get(name, pd.DataFrame()), sheet_label(name, lang), ds)

        people = widgets.VBox([sheet("assignments"), sheet("surplus_officials"), sheet("recruitment_needs")])
        it = widgets.VBox([sheet("it_coverage"), sheet("it_officer_load")])
        explain = widgets.VBox([widgets.HTML(html.escape(self.t("explain_hint"))),
                                self.explain_official, self.explain_commune, self.explanation])
        return [tabs([(self.t("tab_summary"), summary), (self.t("tab_shortages"), shortages),
                      (self.t("tab_commute"), commute), (self.t("tab_people"), people), (self.t("tab_it"), it),
                      (self.t("tab_explain"), explain)])]

    def explain(self, official: str | None = None, commune: int | None = None) -> str:
        """Plain-words reasons for one official's placement or one commune's staffing (planner.explain), as
        shown in the tab's explanation; returns its HTML."""
        if self.plan is None:
            words = message_html(self.t("explain_solve_first"), kind="info")
        elif official:
            words = explanation_html(explain_official(self.plan, self.plan_ds, official_id(official), self.ui_lang),
                                     self.ui_lang, self.plan_ds)
        elif commune is not None:
            words = explanation_html(explain_commune(self.plan, self.plan_ds, int(commune), self.ui_lang), self.ui_lang,
                                     self.plan_ds)
        else:
            return self.explanation.value
        self.explanation.value = words
        return words
