"""The explorers behind the notebooks and the Voila app: settings widgets, a Solve button, results.

Each explorer solves only when its button is clicked (never on slider moves), in a background thread
with a progress bar, and shows errors as plain-words messages. `sync=True` (tests) or
`solve(wait=True)` (notebooks run top to bottom) run the same code in the caller's thread.
Plans solved anywhere can be saved in a shared PlanStore and compared in the scenarios explorer.
Every word on screen comes from planner.ui.text (Vietnamese by default, `lang="en"` for English).
"""

from __future__ import annotations

import html
from collections import OrderedDict
from pathlib import Path
from typing import Callable

import ipywidgets as widgets
import pandas as pd

from ..dataset import Dataset
from ..messages import in_language
from ..models.headquarters import cost_parameter
from ..labels import column_label, sheet_label, text, value_label, value_labels
from ..scenario import Scenario
from . import charts, maps
from .common import (BackgroundTask, bundled_provinces, default_data_path, default_scenario, describe_error,
                     download_link, figure_widget, message_html, open_province, output_folder, table_widget, TABLE_ROWS)
from .text import TEXT, language_options, ui_lang, ui_text

WIDE = widgets.Layout(width="540px")
LABEL_STYLE = {"description_width": "280px"}  # room for the longest Vietnamese field names
# input columns shown under the names of planner.labels (e.g. a commune's 'name' is not a person's)
INPUT_COLUMNS = {"communes": {"code": "commune_code", "name": "commune_name", "type": "commune_type"},
                 "old_units": {"id": "old_unit_id", "name": "old_unit_name", "kind": "old_unit_kind"}}


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


def with_pins(ds: Dataset, pins: pd.DataFrame) -> Dataset:
    """A copy of the dataset where the pinned officials have fixed_commune / fixed_position set."""
    if pins.empty:
        return ds
    officials = ds["officials"].copy()
    chosen = pins.drop_duplicates("official_id", keep="last").set_index("official_id")
    hit = officials["id"].isin(chosen.index)
    officials.loc[hit, "fixed_commune"] = officials.loc[hit, "id"].map(chosen["commune_code"]).astype("Int64")
    officials.loc[hit, "fixed_position"] = officials.loc[hit, "id"].map(chosen["position"]).astype("string")
    return Dataset(tables={**ds.tables, "officials": officials}, source=ds.source)


def scenario_with(base: Scenario, changes: dict) -> Scenario:
    """A validated copy of `base` with nested changes, e.g. {"staffing": {"fairness": False}}."""
    data = base.model_dump(mode="json")

    def merge(target: dict, update: dict) -> None:
        for key, value in update.items():
            if isinstance(value, dict) and isinstance(target.get(key), dict) and key != "shortage_penalty":
                merge(target[key], value)
            else:
                target[key] = value

    merge(data, changes)
    return Scenario.from_dict(data, source="the settings")


def default_budgets(ds: Dataset, assets) -> tuple[float, float]:
    """(renovation, equipment) budgets in VND: the scenario's, else the costs table's (read as the models
    read it), else 10 bn / 1 bn as a starting point for the sliders."""
    def budget(scenario_value, parameter, start):
        return scenario_value if scenario_value is not None else cost_parameter(ds, parameter, start)

    return (budget(assets.renovation_budget_vnd, "renovation_budget", 10e9),
            budget(assets.equipment_budget_vnd, "equipment_budget", 1e9))


def commune_options(ds: Dataset) -> list[tuple[str, int]]:
    communes = ds["communes"].sort_values("name")
    return [(f"{n} ({c})", int(c)) for n, c in zip(communes["name"], communes["code"])]


def official_options(ds: Dataset) -> list[str]:
    return [f"{i} · {n}" for i, n in zip(ds["officials"]["id"], ds["officials"]["name"])]


def _official_id(choice: str) -> str:
    return choice.split(" · ", 1)[0].strip()


def _slider(description: str, value: float, low: float, high: float, step: float, fmt: str = ".0f") -> widgets.FloatSlider:
    return widgets.FloatSlider(value=value, min=low, max=max(high, value), step=step, description=description,
                               readout_format=fmt, continuous_update=False, style=LABEL_STYLE, layout=WIDE)


def _tabs(pages: list[tuple[str, widgets.Widget]]) -> widgets.Tab:
    tab = widgets.Tab(children=[page for _, page in pages])
    for index, (title, _) in enumerate(pages):
        tab.set_title(index, title)
    return tab


def _side_by_side(picture: widgets.Widget, table: widgets.Widget) -> widgets.Widget:
    """A map on the left and its key figures on the right (wrapping below on narrow screens)."""
    picture.layout = widgets.Layout(width="640px", min_width="400px")
    table.layout = widgets.Layout(flex="1 1 380px", margin="0 0 0 12px")
    return widgets.HBox([picture, table], layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start"))


def _button_layout() -> widgets.Layout:
    """A button as wide as its label (in either language); every button needs its own Layout."""
    return widgets.Layout(width="auto", min_width="140px")


def _heading(title: str, hint: str = "") -> widgets.HTML:
    """A bold line of settings, with an optional hint after it."""
    return widgets.HTML(f"<b>{html.escape(title)}</b> {html.escape(hint)}")


def _kpi_table(plan, stages: tuple[str, ...] | None = None) -> pd.DataFrame:
    kpis = plan.kpis if stages is None else plan.kpis[plan.kpis["stage"].isin(stages)]
    return kpis.reset_index(drop=True)


# ---------------------------------------------------------------- base explorer

class _Panel:
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


class Explorer(_Panel):
    """Settings on the left, Solve/Export buttons, a status line with progress, results below."""

    title_key = solve_key = ""  # each explorer names its planner.ui.text keys
    stages: tuple[str, ...] = ("sites", "staffing", "assets")

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
                                           tooltip=self.t("solve_tip"), layout=_button_layout())
        self.solve_button.add_class("planner-solve")
        self.solve_button.on_click(lambda _: self.solve())
        self.export_button = widgets.Button(description=self.t("export"), icon="download", disabled=True,
                                            tooltip=self.t("export_tip"), layout=_button_layout())
        self.export_button.on_click(lambda _: self.export())
        self.workbook_lang = widgets.Dropdown(options=language_options(), value=self.ui_lang,
                                              description=self.t("workbook_lang"), layout=widgets.Layout(width="240px"))
        self.save_name = widgets.Text(placeholder=self.t("keep_placeholder"), layout=widgets.Layout(width="200px"))
        self.save_button = widgets.Button(description=self.t("keep"), icon="bookmark", disabled=True, layout=_button_layout())
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
        return [self.table(_kpi_table(self.plan), text("key_figures", self.ui_lang))]

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
                from ..plan import run_plan as run
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
        """Save the last plan under the typed name for the scenarios explorer."""
        if self.plan is None:
            return
        name = self.save_name.value.strip() or self.plan_scenario.name
        self.store.save(name, self.plan_scenario.model_copy(update={"name": name}), self.plan, self.plan_ds)
        self.status.value = message_html(self.t("plan_kept", name=name, count=len(self.store.entries)), kind="ok")


# ---------------------------------------------------------------- staffing

class StaffingExplorer(Explorer):
    """Field priorities, commute threshold, fairness, IT radius and pins -> staffing plan, map and explanations."""

    title_key = "staffing_title"
    solve_key = "staffing_solving"
    stages = ("sites", "staffing")

    def settings_panel(self) -> widgets.Widget:
        staffing = self.base.staffing
        self.penalties = {
            field: _slider(self.t("other_fields") if field == "default" else value_label("field", field, self.ui_lang),
                           value, 0, 5000, 50)
            for field, value in staffing.shortage_penalty.items()
        }
        self.threshold = _slider(self.t("commute_threshold"), staffing.distance_threshold_km, 0, 100, 1)
        self.fairness = widgets.Checkbox(value=staffing.fairness, description=self.t("fairness_long"), indent=False,
                                         layout=widgets.Layout(width="auto"))
        self.it_radius = _slider(self.t("it_radius"), staffing.it_support.radius_km, 5, 150, 5)
        self.pins = pd.DataFrame(columns=["official_id", "commune_code", "position"])
        officials, communes = official_options(self.ds), commune_options(self.ds)
        self.pin_official = widgets.Combobox(placeholder=self.t("id_or_name"), options=officials,
                                             ensure_option=True, description=self.t("official"), layout=WIDE)
        self.pin_commune = widgets.Dropdown(options=communes, description=self.t("commune"), layout=WIDE)
        positions = value_labels("position", self.ui_lang)
        self.pin_position = widgets.Dropdown(options=[(positions[p], p) for p in ("specialist", "vice_chair", "chair")],
                                             description=column_label("position", self.ui_lang), layout=widgets.Layout(width="300px"))
        add = widgets.Button(description=self.t("pin"), icon="thumb-tack", layout=widgets.Layout(width="auto"))
        add.on_click(lambda _: self.add_pin())
        clear = widgets.Button(description=self.t("clear_pins"), icon="times", layout=widgets.Layout(width="auto"))
        clear.on_click(lambda _: self.clear_pins())
        self.pins_view = widgets.HTML()
        priorities = widgets.VBox([_heading(self.t("penalties_heading"), self.t("penalties_hint")),
                                   *self.penalties.values()])
        others = widgets.VBox([_heading(self.t("commute_heading")), self.threshold, self.fairness,
                               self.it_radius, _heading(self.t("pins_heading")),
                               self.pin_official, widgets.HBox([self.pin_commune]),
                               widgets.HBox([self.pin_position, add, clear]), self.pins_view])
        self.explain_official = widgets.Combobox(placeholder=self.t("id_or_name"), options=officials,
                                                 ensure_option=True, description=self.t("official"), layout=WIDE)
        self.explain_commune = widgets.Dropdown(options=[("—", None)] + communes, value=None,
                                                description=self.t("commune"), layout=WIDE)
        self.explanation = widgets.HTML()
        self.explain_official.observe(lambda change: self.explain(official=change["new"]), names="value")
        self.explain_commune.observe(lambda change: self.explain(commune=change["new"]), names="value")
        return widgets.HBox([priorities, others], layout=widgets.Layout(flex_flow="row wrap"))

    def add_pin(self, official: str | None = None, commune: int | None = None, position: str | None = None) -> None:
        official = _official_id(official or self.pin_official.value or "")
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
        self.pins_view.value = (self.table(view[["official_id", "name", "commune_name", "position"]],
                                           self.t("pinned")).value if len(view) else "")

    def scenario(self) -> Scenario:
        return scenario_with(self.base, {"staffing": {
            "shortage_penalty": {field: float(s.value) for field, s in self.penalties.items()},
            "distance_threshold_km": float(self.threshold.value),
            "fairness": bool(self.fairness.value),
            "it_support": {"radius_km": float(self.it_radius.value)},
        }})

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
        summary = _side_by_side(figure_widget(maps.shortage_map(self.plan_ds, by_commune, lang), "planner-map"),
                                self.table(_kpi_table(self.plan, ("staffing", "it_support")), text("key_figures", lang)))
        shortages = widgets.VBox([figure_widget(charts.shortage_by_field_chart(by_commune, lang)),
                                  figure_widget(charts.shortage_by_commune_chart(by_commune, lang=lang)),
                                  self.table(short, self.t("short_table"))])
        threshold = self.plan_scenario.staffing.distance_threshold_km
        commute = widgets.VBox([figure_widget(charts.commute_chart(t["assignments"], threshold, lang))])
        people = widgets.VBox([self._assignments_by_commune(t["assignments"]),
                               self.table(t.get("surplus_officials", pd.DataFrame()), sheet_label("surplus_officials", lang)),
                               self.table(t.get("recruitment_needs", pd.DataFrame()), sheet_label("recruitment_needs", lang))])
        it = widgets.VBox([self.table(t.get("it_coverage", pd.DataFrame()), sheet_label("it_coverage", lang)),
                           self.table(t.get("it_officer_load", pd.DataFrame()), sheet_label("it_officer_load", lang))])
        explain = widgets.VBox([widgets.HTML(html.escape(self.t("explain_hint"))),
                                self.explain_official, self.explain_commune, self.explanation])
        return [_tabs([(self.t("tab_summary"), summary), (self.t("tab_shortages"), shortages),
                       (self.t("tab_commute"), commute), (self.t("tab_people"), people), (self.t("tab_it"), it),
                       (self.t("tab_explain"), explain)])]

    def _assignments_by_commune(self, assignments: pd.DataFrame) -> widgets.Widget:
        """The assignments table with a commune filter (a province has thousands of rows)."""
        choice = widgets.Dropdown(options=[(self.t("all_communes"), None)] + commune_options(self.plan_ds), value=None,
                                  description=self.t("show"), layout=WIDE)
        title = sheet_label("assignments", self.ui_lang)
        view = self.table(assignments, title)

        def show(change) -> None:
            rows = assignments if change["new"] is None else assignments[assignments["commune_code"] == change["new"]]
            view.value = self.table(rows, title).value

        choice.observe(show, names="value")
        return widgets.VBox([choice, view])

    # explanations
    def explain(self, official: str | None = None, commune: int | None = None) -> str:
        """Plain-words reasons for one official's placement or one commune's staffing (also shown in the UI)."""
        if self.plan is None:
            words = message_html(self.t("explain_solve_first"), kind="info")
        elif official:
            words = explain_official(self.plan, self.plan_ds, _official_id(official), self.ui_lang)
        elif commune is not None:
            words = explain_commune(self.plan, self.plan_ds, int(commune), self.ui_lang)
        else:
            return self.explanation.value
        self.explanation.value = words
        return words


def explain_official(plan, ds: Dataset, official_id: str, lang: str | None = None) -> str:
    """Where one official goes, how far, what it costs, and the next-best commune."""
    lang = ui_lang(lang)
    people = ds["officials"].set_index("id")
    if official_id not in people.index:
        return message_html(ui_text("no_official", lang, id=official_id), kind="info")
    person = people.loc[official_id]
    communes = ds["communes"].set_index("code")["name"]
    units = ds["old_units"].set_index("id")["name"]
    intro = ui_text("official_intro", lang, name=person["name"], id=official_id,
                    field=value_label("field", person["field"], lang),
                    position=value_label("position", person["position"], lang),
                    now_at=units.get(person["old_unit_id"], person["old_unit_id"]))
    assignments = plan.tables.get("assignments", pd.DataFrame())
    row = assignments[assignments["official_id"] == official_id] if len(assignments) else assignments
    if len(row):
        r = row.iloc[0]
        lines = [ui_text("placed", lang, commune=communes.get(int(r["commune_code"]), r["commune_code"]),
                         position=value_label("position", r["position"], lang),
                         field=value_label("field", r["field"], lang),
                         km=f"{float(r.get('distance_km', float('nan'))):.1f}")]
        if pd.notna(person.get("fixed_commune")):
            lines.append(ui_text("pinned_decision", lang))
        runner = r.get("runner_up_commune")
        if runner is not None and pd.notna(runner):
            extra = r.get("runner_up_extra_cost")
            runner_name = communes.get(int(runner), runner)
            lines.append(ui_text("next_best_cost", lang, commune=runner_name, extra=f"{float(extra):,.1f}")
                         if pd.notna(extra) else ui_text("next_best", lang, commune=runner_name))
        else:
            lines.append(ui_text("no_other_commune", lang))
        costs = [c for c in row.columns if c.startswith(("cost_", "bonus_")) or c == "total_cost"]
        detail = table_widget(row[costs], ui_text("cost_components", lang), lang=lang).value if costs else ""
        return message_html(intro, lines, kind="info") + detail
    surplus = plan.tables.get("surplus_officials", pd.DataFrame())
    hit = surplus[surplus["official_id"] == official_id] if len(surplus) else surplus
    if len(hit):
        reason = [f"{column_label(c, lang)}: {v}" for c, v in in_language(hit, lang).iloc[0].items()
                  if c not in ("official_id", "name") and pd.notna(v)]
        return message_html(intro, [ui_text("listed_surplus", lang)] + reason, kind="info")
    return message_html(intro, [ui_text("not_in_plan", lang)], kind="info")


def explain_commune(plan, ds: Dataset, commune_code: int, lang: str | None = None) -> str:
    """A commune's required, assigned and missing staff by field, and what one more official would be worth."""
    lang = ui_lang(lang)
    communes = ds["communes"].set_index("code")
    if commune_code not in communes.index:
        return message_html(ui_text("no_commune", lang, code=commune_code), kind="info")
    name = communes.loc[commune_code, "name"]
    rows = plan.tables["staffing_by_commune"]
    rows = rows[rows["commune_code"] == commune_code]
    assigned = int(rows.loc[rows["field"] != "total", "assigned"].sum())
    lines = [ui_text("commune_population", lang, population=f"{int(communes.loc[commune_code, 'population']):,}",
                     assigned=assigned)]
    for r in rows[rows["shortage"] > 0].itertuples():
        lines.append(ui_text("commune_missing", lang, shortage=int(r.shortage), field=value_label("field", r.field, lang),
                             position=value_label("position", r.position, lang), required=int(r.required_min),
                             assigned=int(r.assigned)))
    if "marginal_value" in rows and rows["marginal_value"].abs().max() > 1e-9:
        best = rows.loc[rows["marginal_value"].abs().idxmax()]
        lines.append(ui_text("commune_marginal", lang, field=value_label("field", best["field"], lang),
                             position=value_label("position", best["position"], lang),
                             value=f"{abs(float(best['marginal_value'])):,.1f}"))
    hq = plan.tables.get("hq_plan", pd.DataFrame())
    hq = hq[hq["commune_code"] == commune_code] if len(hq) else hq
    if len(hq):
        building = hq.iloc[0]
        lines.append(ui_text("commune_hq", lang, name=building.get("building_name", building["building_id"]),
                             id=building["building_id"]))
    shown = [c for c in ("field", "position", "required_min", "required_max", "assigned", "shortage", "surplus",
                         "marginal_value") if c in rows]
    return (message_html(name, lines, kind="info")
            + table_widget(rows[shown], ui_text("staffing_of", lang, name=name), lang=lang).value)


# ---------------------------------------------------------------- assets

class AssetsExplorer(Explorer):
    """Service distance and budgets -> headquarters, service points, building uses, equipment flows."""

    title_key = "assets_title"
    solve_key = "assets_solving"
    stages = ("sites", "staffing", "assets")

    def settings_panel(self) -> widgets.Widget:
        assets = self.base.assets
        renovation, equipment = default_budgets(self.ds, assets)
        self.service_distance = _slider(self.t("service_distance"), assets.service_distance_km, 2, 50, 1)
        self.renovation_budget = _slider(self.t("renovation_budget"), renovation / 1e9, 0, 3 * renovation / 1e9,
                                         0.1, ".1f")
        self.equipment_budget = _slider(self.t("equipment_budget"), equipment / 1e6, 0, 3 * equipment / 1e6, 10)
        self.single_source = widgets.Checkbox(value=assets.single_source, indent=False,
                                              description=self.t("single_source"), layout=widgets.Layout(width="auto"))
        return widgets.VBox([_heading(self.t("service_heading")), self.service_distance,
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
        asset_stages = tuple(stage for stage in self.plan.kpis["stage"].unique() if stage != "staffing")
        coverage_map = maps.coverage_map(self.plan_ds, hq, points, coverage, self.plan_scenario.assets.service_distance_km,
                                         lang)
        uses = t.get("building_uses", empty)
        transfers, purchases = t.get("equipment_transfers", empty), t.get("equipment_purchases", empty)
        return [_tabs([
            (self.t("tab_summary"), _side_by_side(figure_widget(coverage_map, "planner-map"),
                                                  self.table(_kpi_table(self.plan, asset_stages), text("key_figures", lang)))),
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


# ---------------------------------------------------------------- scenarios

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

    def settings_panel(self) -> widgets.Widget:
        files = sorted(self.scenario_folder.glob("*.yaml")) if self.scenario_folder.exists() else []
        self.start_from = widgets.Dropdown(options=[(self.t("defaults"), "")] + [(p.stem, str(p)) for p in files],
                                           description=self.t("start_from"), layout=WIDE, style=LABEL_STYLE)
        self.start_from.observe(lambda change: self.load_start(change["new"]), names="value")
        self.name = widgets.Text(value=self.base.name, description=self.t("scenario_name"), layout=WIDE,
                                 style=LABEL_STYLE)
        self.threshold = _slider(self.t("commute_threshold"), 0, 0, 100, 1)
        self.fairness = widgets.Checkbox(description=self.t("fairness_short"), indent=False,
                                         layout=widgets.Layout(width="auto"))
        self.it_radius = _slider(self.t("it_radius"), 5, 5, 150, 5)
        self.it_penalty = _slider(self.t("it_penalty"), 0, 0, 5000, 50)
        self.service_distance = _slider(self.t("service_distance"), 2, 2, 50, 1)
        self.renovation_budget = _slider(self.t("renovation_budget"), 0, 0, 100, 0.1, ".1f")
        self.equipment_budget = _slider(self.t("equipment_budget"), 0, 0, 10000, 10)
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
        self.it_penalty.value = s.penalty("it_digital")
        self.service_distance.value = a.service_distance_km
        renovation, equipment = default_budgets(self.ds, a)
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
        penalties = dict(self.base.staffing.shortage_penalty, it_digital=float(self.it_penalty.value))
        return scenario_with(self.base, {
            "name": self.name.value.strip() or "scenario",
            "staffing": {"distance_threshold_km": float(self.threshold.value), "fairness": bool(self.fairness.value),
                         "shortage_penalty": penalties, "it_support": {"radius_km": float(self.it_radius.value)}},
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
        last = widgets.Accordion(children=[self.table(_kpi_table(self.plan))], selected_index=None)
        last.set_title(0, self.t("last_kpis", name=self.plan_scenario.name))
        return [_heading(self.t("compare_heading"), self.t("compare_hint")), self._compare_controls(),
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
        self.comparison_view.children = [chart, _tabs(pages)]
        self.export_comparison_button.disabled = False

    def export_comparison(self, wait: bool = False) -> None:
        if self.comparison is None:
            return

        def job():
            from ..compare import write_comparison_workbook

            return write_comparison_workbook(self.comparison, output_folder() / "scenario_comparison.xlsx",
                                             lang=self.workbook_lang.value)

        self.task.start(self.t("writing_comparison"), job, lambda path: self._written(path, "comparison_written"),
                        sync=self.sync or wait)


# ---------------------------------------------------------------- data check

class DataCheckExplorer(_Panel):
    """Open the bundled province or an uploaded workbook; show the validation report or an overview."""

    def __init__(self, ds: Dataset | None = None, *, sync: bool = False, on_dataset: list[Callable] | None = None,
                 lang: str | None = None):
        self.ui_lang = ui_lang(lang)
        self.ds = ds
        self.sync = sync
        self.error: BaseException | None = None
        self.on_dataset = on_dataset if on_dataset is not None else []
        provinces = bundled_provinces()
        self.choice = widgets.Dropdown(options=[(k, str(v)) for k, v in provinces.items()] or [(self.t("none_bundled"), None)],
                                       description=text("province", self.ui_lang), layout=widgets.Layout(width="300px"))
        if ds is not None and str(Path(ds.source)) in {str(v) for v in provinces.values()}:
            self.choice.value = str(Path(ds.source))
        self.open_button = widgets.Button(description=self.t("open"), icon="folder-open", button_style="primary")
        self.open_button.on_click(lambda _: self.load(self.choice.value))
        self.upload = widgets.FileUpload(accept=".xlsx", multiple=False, description=self.t("upload"),
                                         layout=widgets.Layout(width="auto"))
        self.upload.observe(lambda change: self.load_upload(change["new"]), names="value")
        self.status = widgets.HTML()
        self.progress = widgets.FloatProgress(value=0, min=0, max=1, layout=widgets.Layout(width="420px", visibility="hidden"))
        self.results = widgets.VBox()
        self.results.add_class("planner-results")
        self.task = BackgroundTask(self.status, self.progress, busy=[self.open_button], lang=self.ui_lang)
        self.widget = widgets.VBox([widgets.HTML(f"<h3 style='margin:4px 0'>{html.escape(self.t('data_title'))}</h3>"),
                                    widgets.HBox([self.choice, self.open_button, self.upload]),
                                    self.progress, self.status, self.results])
        if ds is not None:
            self.results.children = self.render(ds)

    def load(self, path, wait: bool = False) -> None:
        """Validate a workbook; show every problem, or the overview when it is valid."""
        if not path:
            self.status.value = message_html(self.t("no_file"), kind="info")
            return

        def job():
            try:
                return open_province(path, self.ui_lang)
            except Exception as exc:
                self._show_problems(exc)
                raise

        self.task.start(self.t("checking", name=Path(path).name), job, self._loaded, sync=self.sync or wait)

    def load_upload(self, files, wait: bool = False) -> None:
        """Save an uploaded workbook to the output folder, then check it like any other."""
        if not files:
            return
        upload = files[0] if isinstance(files, (list, tuple)) else next(iter(files.values()))
        target = output_folder() / "uploads" / Path(upload["name"]).name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(bytes(upload["content"]))
        self.load(str(target), wait=wait)

    def _loaded(self, ds: Dataset) -> None:
        self.ds = ds
        self.error = None
        self.results.children = self.render(ds)
        for callback in self.on_dataset:
            callback(ds)

    def _show_problems(self, exc: BaseException) -> None:
        self.error = exc
        frame = (exc.to_frame() if hasattr(exc, "to_frame")
                 else pd.DataFrame({"problem": describe_error(exc, self.ui_lang)[1]}))
        self.results.children = [self.table(frame, self.t("problems_title"), max_rows=500)]

    def render(self, ds: Dataset) -> list[widgets.Widget]:
        lang = self.ui_lang
        counts = pd.DataFrame({"table": list(ds.tables), "rows": [len(df) for df in ds.tables.values()]})
        officials = ds["officials"]
        key = pd.DataFrame({"figure": [self.t(f"figure_{name}") for name in (
                                "communes", "old_units", "officials", "eligible", "equipment", "buildings", "population")],
                            "value": [len(ds["communes"]), len(ds["old_units"]), len(officials),
                                      int(officials["eligible_for_leadership"].fillna(False).sum()),
                                      int(ds["equipment"]["count"].fillna(0).sum()), len(ds["buildings"]),
                                      int(ds["communes"]["population"].fillna(0).sum())]})
        return [
            widgets.HTML(message_html(self.t("workbook_valid", province=ds.province),
                                      [self.t("source", source=ds.source)], kind="ok")),
            _tabs([
                (self.t("tab_overview"), widgets.VBox([widgets.HBox([self.table(key, text("key_figures", lang)),
                                                                     self.table(counts, self.t("rows_per_table"))]),
                                                       figure_widget(maps.overview_map(ds, lang), "planner-map")])),
                (self.t("tab_staff"), figure_widget(charts.staff_by_field_chart(ds, lang))),
                (self.t("tab_equipment"), figure_widget(charts.equipment_chart(ds, lang))),
                (self.t("tab_buildings"), figure_widget(charts.buildings_chart(ds, lang))),
                (self.t("tab_communes"), self.table(ds["communes"].rename(columns=INPUT_COLUMNS["communes"]),
                                                    self.t("new_communes"))),
                (self.t("tab_old_units"), self.table(ds["old_units"].rename(columns=INPUT_COLUMNS["old_units"]),
                                                     self.t("old_units"))),
            ]),
        ]


# ---------------------------------------------------------------- the app

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
        self.tabs = _tabs([(ui_text("tab_data", lang), self.data.widget),
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
