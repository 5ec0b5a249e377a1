"""The explorers behind the notebooks and the Voila app: settings widgets, a Solve button, results.

Each explorer solves only when its button is clicked (never on slider moves), in a background thread
with a progress bar, and shows errors as plain-words messages. `sync=True` (tests) or
`solve(wait=True)` (notebooks run top to bottom) run the same code in the caller's thread.
Plans solved anywhere can be saved in a shared PlanStore and compared in the scenarios explorer.
"""

from __future__ import annotations

import html
from collections import OrderedDict
from pathlib import Path
from typing import Callable

import ipywidgets as widgets
import pandas as pd

from ..dataset import Dataset
from ..scenario import Scenario
from . import charts, maps
from .common import (BackgroundTask, bundled_provinces, default_data_path, default_scenario, describe_error,
                     download_link, figure_widget, message_html, open_province, output_folder, table_widget,
                     UI_LANG)

WIDE = widgets.Layout(width="460px")
COMPARISON_TITLES = {"kpis": "Key figures", "moved_officials": "Who moves", "shortage_delta": "Shortage changes",
                     "building_changes": "Buildings that differ", "purchase_changes": "Purchases that differ"}
LABEL_STYLE = {"description_width": "220px"}


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


def cost_parameter(ds: Dataset, parameter: str, fallback: float) -> float:
    """A budget or price from the costs table (first row of that parameter)."""
    costs = ds["costs"]
    hit = costs.loc[costs["parameter"] == parameter, "value"]
    return float(hit.iloc[0]) if len(hit) else fallback


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


def _kpi_table(plan, stages: tuple[str, ...] | None = None) -> pd.DataFrame:
    kpis = plan.kpis if stages is None else plan.kpis[plan.kpis["stage"].isin(stages)]
    return kpis.reset_index(drop=True)


# ---------------------------------------------------------------- base explorer

class Explorer:
    """Settings on the left, Solve/Export buttons, a status line with progress, results below."""

    title = "Explorer"
    stages: tuple[str, ...] = ("sites", "staffing", "assets")
    solve_label = "Solving"

    def __init__(self, ds: Dataset, scenario: Scenario | None = None, *, store: PlanStore | None = None,
                 run: Callable | None = None, sync: bool = False):
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
        self.solve_button = widgets.Button(description="Solve", button_style="primary", icon="play",
                                           tooltip="Run the optimisation with these settings")
        self.solve_button.add_class("planner-solve")
        self.solve_button.on_click(lambda _: self.solve())
        self.export_button = widgets.Button(description="Export workbook", icon="download", disabled=True,
                                            tooltip="Write the leadership workbook (Excel) of the last plan")
        self.export_button.on_click(lambda _: self.export())
        self.lang = widgets.Dropdown(options=[("Tiếng Việt", "vi"), ("English", "en")], value="vi",
                                     description="Workbook", layout=widgets.Layout(width="220px"))
        self.save_name = widgets.Text(placeholder="name, e.g. it_priority", layout=widgets.Layout(width="200px"))
        self.save_button = widgets.Button(description="Keep for comparison", icon="bookmark", disabled=True,
                                          layout=widgets.Layout(width="200px"))
        self.save_button.on_click(lambda _: self.keep())
        self.results = widgets.VBox()
        self.results.add_class("planner-results")
        self.task = BackgroundTask(self.status, self.progress,
                                   busy=[self.solve_button, self.export_button, self.save_button],
                                   on_finish=self._enable_plan_buttons)
        self.widget = widgets.VBox([
            widgets.HTML(f"<h3 style='margin:4px 0'>{html.escape(self.title)}</h3>"),
            self.settings_panel(),
            widgets.HBox([self.solve_button, self.export_button, self.lang]),
            widgets.HBox([self.save_name, self.save_button]),
            self.progress, self.status, self.export_note, self.results,
        ])
        self.widget.add_class(f"planner-{type(self).__name__.removesuffix('Explorer').lower()}")  # a handle for tests

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    # subclasses fill these in
    def settings_panel(self) -> widgets.Widget:
        return widgets.VBox()

    def scenario(self) -> Scenario:
        return self.base

    def solve_dataset(self) -> Dataset:
        return self.ds

    def render(self) -> list[widgets.Widget]:
        return [table_widget(_kpi_table(self.plan), "Key figures")]

    def set_dataset(self, ds: Dataset) -> None:
        """Switch to another province (clears the results)."""
        self.ds = ds
        self.plan = None
        self.results.children = []
        self.export_note.value = ""
        self.export_button.disabled = self.save_button.disabled = True
        self.status.value = message_html(f"Province {ds.province} loaded; press Solve.", kind="info")

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

        self.task.start(self.solve_label, job, self._show, sync=self.sync or wait)

    def _show(self, result) -> None:
        self.plan_scenario, self.plan_ds, self.plan = result
        self.results.children = self.render()
        if not self.save_name.value:
            self.save_name.value = self.plan_scenario.name

    def export(self, wait: bool = False) -> None:
        """Write the leadership workbook of the last plan to the output folder and offer it for download."""
        if self.plan is None:
            self.status.value = message_html("Solve first, then export.", kind="info")
            return

        def job():
            from ..report import write_plan_workbook

            name = f"{self.plan_ds.province}_{self.plan_scenario.name}_plan.xlsx".replace(" ", "_")
            return write_plan_workbook(self.plan, self.plan_ds, output_folder() / name, lang=self.lang.value)

        def done(path):
            path = Path(path)
            self.export_note.value = (message_html("Workbook written", [str(path)], kind="ok")
                                      + download_link(path, f"Download {path.name}"))

        self.task.start("Writing the workbook", job, done, sync=self.sync or wait)

    def keep(self) -> None:
        """Save the last plan under the typed name for the scenarios explorer."""
        if self.plan is None:
            return
        name = self.save_name.value.strip() or self.plan_scenario.name
        self.store.save(name, self.plan_scenario.model_copy(update={"name": name}), self.plan, self.plan_ds)
        self.status.value = message_html(f"Plan kept as '{name}' ({len(self.store.entries)} kept); "
                                         "compare them in the scenarios explorer.", kind="ok")


# ---------------------------------------------------------------- staffing

class StaffingExplorer(Explorer):
    """Field priorities, commute threshold, fairness, IT radius and pins -> staffing plan, map and explanations."""

    title = "Staffing: who goes where"
    stages = ("sites", "staffing")
    solve_label = "Solving the staffing plan"

    def settings_panel(self) -> widgets.Widget:
        staffing = self.base.staffing
        from ..report.labels import value_label

        self.penalties = {
            field: _slider("Other fields" if field == "default" else value_label("field", field, UI_LANG),
                           value, 0, 5000, 50)
            for field, value in staffing.shortage_penalty.items()
        }
        self.threshold = _slider("Commute threshold (km)", staffing.distance_threshold_km, 0, 100, 1)
        self.fairness = widgets.Checkbox(value=staffing.fairness, description="Fairness first (worst commune's gap)",
                                         indent=False)
        self.it_radius = _slider("IT support radius (km)", staffing.it_support.radius_km, 5, 150, 5)
        self.pins = pd.DataFrame(columns=["official_id", "commune_code", "position"])
        self.pin_official = widgets.Combobox(placeholder="type an id or a name", options=official_options(self.ds),
                                             ensure_option=True, description="Official", layout=WIDE)
        self.pin_commune = widgets.Dropdown(options=commune_options(self.ds), description="Commune", layout=WIDE)
        self.pin_position = widgets.Dropdown(options=["specialist", "vice_chair", "chair"], description="Position",
                                             layout=widgets.Layout(width="220px"))
        add = widgets.Button(description="Pin", icon="thumb-tack")
        add.on_click(lambda _: self.add_pin())
        clear = widgets.Button(description="Clear pins", icon="times")
        clear.on_click(lambda _: self.clear_pins())
        self.pins_view = widgets.HTML()
        priorities = widgets.VBox([widgets.HTML("<b>Penalty per missing official, by field</b> (higher = filled first)"),
                                   *self.penalties.values()])
        others = widgets.VBox([widgets.HTML("<b>Commute, fairness, IT support</b>"), self.threshold, self.fairness,
                               self.it_radius, widgets.HTML("<b>Decisions already taken (pins)</b>"),
                               self.pin_official, widgets.HBox([self.pin_commune]),
                               widgets.HBox([self.pin_position, add, clear]), self.pins_view])
        self.explain_official = widgets.Combobox(placeholder="type an id or a name", options=official_options(self.ds),
                                                 ensure_option=True, description="Official", layout=WIDE)
        self.explain_commune = widgets.Dropdown(options=[("—", None)] + commune_options(self.ds), value=None,
                                                description="Commune", layout=WIDE)
        self.explanation = widgets.HTML()
        self.explain_official.observe(lambda change: self.explain(official=change["new"]), names="value")
        self.explain_commune.observe(lambda change: self.explain(commune=change["new"]), names="value")
        return widgets.HBox([priorities, others])

    def add_pin(self, official: str | None = None, commune: int | None = None, position: str | None = None) -> None:
        official = _official_id(official or self.pin_official.value or "")
        if official not in set(self.ds["officials"]["id"]):
            self.status.value = message_html("Choose an official from the list before pinning.", kind="info")
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
        self.pins_view.value = (table_widget(view[["official_id", "name", "commune", "position"]], "Pinned").value
                                if len(view) else "")

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
        self.pin_commune.options = commune_options(ds)
        self.explain_commune.options = [("—", None)] + commune_options(ds)
        self.clear_pins()

    def render(self) -> list[widgets.Widget]:
        t = self.plan.tables
        by_commune = t["staffing_by_commune"]
        short = by_commune[by_commune["shortage"] > 0].sort_values("shortage", ascending=False)
        summary = _side_by_side(figure_widget(maps.shortage_map(self.plan_ds, by_commune), "planner-map"),
                                table_widget(_kpi_table(self.plan, ("staffing", "it_support")), "Key figures"))
        shortages = widgets.VBox([figure_widget(charts.shortage_by_field_chart(by_commune)),
                                  figure_widget(charts.shortage_by_commune_chart(by_commune)),
                                  table_widget(short, "Communes and fields short of staff")])
        threshold = self.plan_scenario.staffing.distance_threshold_km
        commute = widgets.VBox([figure_widget(charts.commute_chart(t["assignments"], threshold))])
        people = widgets.VBox([self._assignments_by_commune(t["assignments"]),
                               table_widget(t.get("surplus_officials", pd.DataFrame()), "Surplus officials"),
                               table_widget(t.get("recruitment_needs", pd.DataFrame()), "Recruitment needs")])
        it = widgets.VBox([table_widget(t.get("it_coverage", pd.DataFrame()), "IT support: who covers which commune"),
                           table_widget(t.get("it_officer_load", pd.DataFrame()), "IT officers' monthly hours")])
        explain = widgets.VBox([widgets.HTML("Choose an official or a commune to see why the plan looks this way."),
                                self.explain_official, self.explain_commune, self.explanation])
        return [_tabs([("Summary and map", summary), ("Shortages", shortages), ("Commute", commute),
                       ("People", people), ("IT support", it), ("Explain", explain)])]

    def _assignments_by_commune(self, assignments: pd.DataFrame) -> widgets.Widget:
        """The assignments table with a commune filter (a province has thousands of rows)."""
        choice = widgets.Dropdown(options=[("all communes", None)] + commune_options(self.plan_ds), value=None,
                                  description="Show", layout=WIDE)
        view = table_widget(assignments, "Assignments")

        def show(change) -> None:
            rows = assignments if change["new"] is None else assignments[assignments["commune_code"] == change["new"]]
            view.value = table_widget(rows, "Assignments").value

        choice.observe(show, names="value")
        return widgets.VBox([choice, view])

    # explanations
    def explain(self, official: str | None = None, commune: int | None = None) -> str:
        """Plain-words reasons for one official's placement or one commune's staffing (also shown in the UI)."""
        if self.plan is None:
            text = message_html("Solve first; then choose an official or a commune.", kind="info")
        elif official:
            text = explain_official(self.plan, self.plan_ds, _official_id(official))
        elif commune is not None:
            text = explain_commune(self.plan, self.plan_ds, int(commune))
        else:
            return self.explanation.value
        self.explanation.value = text
        return text


def explain_official(plan, ds: Dataset, official_id: str) -> str:
    """Where one official goes, how far, what it costs, and the next-best commune."""
    people = ds["officials"].set_index("id")
    if official_id not in people.index:
        return message_html(f"No official with id {official_id}.", kind="info")
    person = people.loc[official_id]
    communes = ds["communes"].set_index("code")["name"]
    units = ds["old_units"].set_index("id")["name"]
    now_at = units.get(person["old_unit_id"], person["old_unit_id"])
    intro = f"{person['name']} ({official_id}), {person['field']} {person['position']} now at {now_at}"
    assignments = plan.tables.get("assignments", pd.DataFrame())
    row = assignments[assignments["official_id"] == official_id] if len(assignments) else assignments
    if len(row):
        r = row.iloc[0]
        lines = [f"Placed in {communes.get(int(r['commune_code']), r['commune_code'])} as {r['position']} "
                 f"({r['field']}), {float(r.get('distance_km', float('nan'))):.1f} km from home."]
        if pd.notna(person.get("fixed_commune")):
            lines.append("This was pinned as a decision already taken.")
        runner = r.get("runner_up_commune")
        if runner is not None and pd.notna(runner):
            extra = r.get("runner_up_extra_cost")
            lines.append(f"Next best: {communes.get(int(runner), runner)}, which would cost "
                         f"{float(extra):,.1f} cost points more." if pd.notna(extra) else
                         f"Next best: {communes.get(int(runner), runner)}.")
        else:
            lines.append("No other commune was open to this official (pinned, or no other candidate).")
        costs = [c for c in row.columns if c.startswith(("cost_", "bonus_")) or c == "total_cost"]
        detail = table_widget(row[costs], "Cost components (cost points)").value if costs else ""
        return message_html(intro, lines, kind="info") + detail
    surplus = plan.tables.get("surplus_officials", pd.DataFrame())
    hit = surplus[surplus["official_id"] == official_id] if len(surplus) else surplus
    if len(hit):
        reason = [f"{c}: {v}" for c, v in hit.iloc[0].items() if c not in ("official_id", "name") and pd.notna(v)]
        return message_html(intro, ["Listed as surplus (no slot needs them more than it costs to place them)."] + reason,
                            kind="info")
    return message_html(intro, ["This official is not in the plan (the staffing stage did not run)."], kind="info")


def explain_commune(plan, ds: Dataset, commune_code: int) -> str:
    """A commune's required, assigned and missing staff by field, and what one more official would be worth."""
    communes = ds["communes"].set_index("code")
    if commune_code not in communes.index:
        return message_html(f"No commune with code {commune_code}.", kind="info")
    name = communes.loc[commune_code, "name"]
    rows = plan.tables["staffing_by_commune"]
    rows = rows[rows["commune_code"] == commune_code]
    assigned = int(rows.loc[rows["field"] != "total", "assigned"].sum())
    lines = [f"Population {int(communes.loc[commune_code, 'population']):,}; {assigned} officials assigned."]
    for r in rows[rows["shortage"] > 0].itertuples():
        lines.append(f"Missing {int(r.shortage)} in {r.field} ({r.position}): "
                     f"needs {int(r.required_min)}, has {int(r.assigned)}.")
    if "marginal_value" in rows and rows["marginal_value"].abs().max() > 1e-9:
        best = rows.loc[rows["marginal_value"].abs().idxmax()]
        lines.append(f"One more official in {best['field']} ({best['position']}) would lower the plan's cost by about "
                     f"{abs(float(best['marginal_value'])):,.1f} cost points (dual value from the linear relaxation).")
    hq = plan.tables.get("hq_plan", pd.DataFrame())
    hq = hq[hq["commune_code"] == commune_code] if len(hq) else hq
    if len(hq):
        building = hq.iloc[0]
        lines.append(f"Headquarters: {building.get('building_name', building['building_id'])} "
                     f"(building {building['building_id']}).")
    shown = [c for c in ("field", "position", "required_min", "required_max", "assigned", "shortage", "surplus",
                         "marginal_value") if c in rows]
    return message_html(name, lines, kind="info") + table_widget(rows[shown], f"Staffing of {name}").value


# ---------------------------------------------------------------- assets

class AssetsExplorer(Explorer):
    """Service distance and budgets -> headquarters, service points, building uses, equipment flows."""

    title = "Assets: headquarters, service points, buildings, equipment"
    stages = ("sites", "staffing", "assets")
    solve_label = "Solving the asset plan"

    def settings_panel(self) -> widgets.Widget:
        assets = self.base.assets
        renovation = assets.renovation_budget_vnd or cost_parameter(self.ds, "renovation_budget", 10e9)
        equipment = assets.equipment_budget_vnd or cost_parameter(self.ds, "equipment_budget", 1e9)
        self.service_distance = _slider("Service distance (km)", assets.service_distance_km, 2, 50, 1)
        self.renovation_budget = _slider("Renovation budget (bn VND)", renovation / 1e9, 0, 3 * renovation / 1e9,
                                         0.1, ".1f")
        self.equipment_budget = _slider("Equipment budget (mn VND)", equipment / 1e6, 0, 3 * equipment / 1e6, 10)
        self.single_source = widgets.Checkbox(value=assets.single_source, indent=False,
                                              description="Each old unit served by one point")
        return widgets.VBox([widgets.HTML("<b>Service and budgets</b>"), self.service_distance,
                             self.renovation_budget, self.equipment_budget, self.single_source])

    def scenario(self) -> Scenario:
        return scenario_with(self.base, {"assets": {
            "service_distance_km": float(self.service_distance.value),
            "renovation_budget_vnd": float(self.renovation_budget.value) * 1e9,
            "equipment_budget_vnd": float(self.equipment_budget.value) * 1e6,
            "single_source": bool(self.single_source.value),
        }})

    def render(self) -> list[widgets.Widget]:
        t = self.plan.tables
        empty = pd.DataFrame()
        hq, points, coverage = t.get("hq_plan", empty), t.get("service_points", empty), t.get("service_coverage", empty)
        asset_stages = tuple(stage for stage in self.plan.kpis["stage"].unique() if stage != "staffing")
        coverage_map = maps.coverage_map(self.plan_ds, hq, points, coverage, self.plan_scenario.assets.service_distance_km)
        pages = [("Summary and map", _side_by_side(figure_widget(coverage_map, "planner-map"),
                                                   table_widget(_kpi_table(self.plan, asset_stages), "Key figures")))]
        pages.append(("Headquarters", table_widget(hq, "Headquarters of each commune")))
        pages.append(("Service points", widgets.VBox([table_widget(points, "Service points"),
                                                      table_widget(coverage, "Which site serves each old unit")])))
        uses = t.get("building_uses", empty)
        pages.append(("Buildings", widgets.VBox([figure_widget(charts.building_uses_chart(uses)) if len(uses) else widgets.HTML(),
                                                 table_widget(uses, "Use of every building")])))
        transfers, purchases = t.get("equipment_transfers", empty), t.get("equipment_purchases", empty)
        pages.append(("Equipment", widgets.VBox([
            figure_widget(maps.equipment_flow_map(self.plan_ds, transfers, purchases, hq), "planner-map"),
            figure_widget(charts.purchases_chart(purchases)),
            table_widget(purchases, "Purchases"), table_widget(transfers, "Transfers"),
            table_widget(t.get("equipment_repairs", empty), "Repairs"),
            table_widget(t.get("unmet_equipment", empty), "Needs left unmet"),
            table_widget(t.get("equipment_balance", empty), "Balance per old unit and item type")])))
        return [_tabs(pages)]


# ---------------------------------------------------------------- scenarios

class ScenarioExplorer(Explorer):
    """Solve named scenarios, keep them, compare two or more side by side, export the comparison."""

    title = "Scenarios: save, compare, export"
    solve_label = "Solving the scenario"

    def __init__(self, ds: Dataset, scenario: Scenario | None = None, *, scenario_folder: str | Path | None = None, **kw):
        repo_scenarios = default_data_path().parent.parent / "scenarios"
        self.scenario_folder = Path(scenario_folder) if scenario_folder else repo_scenarios
        self.comparison: dict | None = None
        super().__init__(ds, scenario, **kw)
        self.save_name.layout.display = self.save_button.layout.display = "none"  # every solve here is kept
        self.store.listeners.append(self._refresh_saved)
        self._refresh_saved()

    def settings_panel(self) -> widgets.Widget:
        files = sorted(self.scenario_folder.glob("*.yaml")) if self.scenario_folder.exists() else []
        self.start_from = widgets.Dropdown(options=[("defaults", None)] + [(p.stem, str(p)) for p in files],
                                           description="Start from", layout=WIDE, style=LABEL_STYLE)
        self.start_from.observe(lambda change: self.load_start(change["new"]), names="value")
        self.name = widgets.Text(value=self.base.name, description="Scenario name", layout=WIDE, style=LABEL_STYLE)
        self.threshold = _slider("Commute threshold (km)", 0, 0, 100, 1)
        self.fairness = widgets.Checkbox(description="Fairness first", indent=False)
        self.it_radius = _slider("IT support radius (km)", 5, 5, 150, 5)
        self.it_penalty = _slider("Penalty: missing IT official", 0, 0, 5000, 50)
        self.service_distance = _slider("Service distance (km)", 2, 2, 50, 1)
        self.renovation_budget = _slider("Renovation budget (bn VND)", 0, 0, 100, 0.1, ".1f")
        self.equipment_budget = _slider("Equipment budget (mn VND)", 0, 0, 10000, 10)
        self._fill(self.base)
        self.saved = widgets.SelectMultiple(options=[], description="Kept plans", rows=5, layout=WIDE, style=LABEL_STYLE)
        self.compare_button = widgets.Button(description="Compare", icon="columns", button_style="info")
        self.compare_button.on_click(lambda _: self.compare())
        self.export_comparison_button = widgets.Button(description="Export comparison", icon="download", disabled=True)
        self.export_comparison_button.on_click(lambda _: self.export_comparison())
        self.comparison_view = widgets.VBox()
        self.comparison_view.add_class("planner-comparison")
        return widgets.HBox([
            widgets.VBox([self.start_from, self.name, self.threshold, self.fairness, self.it_radius, self.it_penalty]),
            widgets.VBox([self.service_distance, self.renovation_budget, self.equipment_budget]),
        ])

    def _fill(self, scenario: Scenario) -> None:
        s, a = scenario.staffing, scenario.assets
        self.name.value = scenario.name
        self.threshold.value = s.distance_threshold_km
        self.fairness.value = s.fairness
        self.it_radius.value = s.it_support.radius_km
        self.it_penalty.value = s.penalty("it_digital")
        self.service_distance.value = a.service_distance_km
        renovation = a.renovation_budget_vnd or cost_parameter(self.ds, "renovation_budget", 10e9)
        equipment = a.equipment_budget_vnd or cost_parameter(self.ds, "equipment_budget", 1e9)
        self.renovation_budget.max = max(self.renovation_budget.max, 3 * renovation / 1e9)
        self.equipment_budget.max = max(self.equipment_budget.max, 3 * equipment / 1e6)
        self.renovation_budget.value = renovation / 1e9
        self.equipment_budget.value = equipment / 1e6

    def load_start(self, path: str | None) -> None:
        """Fill the widgets from a scenario YAML file (or the defaults)."""
        try:
            self.base = Scenario.from_yaml(path) if path else default_scenario()
        except Exception as exc:
            self.status.value = message_html(*describe_error(exc))
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

    def render(self) -> list[widgets.Widget]:
        last = widgets.Accordion(children=[table_widget(_kpi_table(self.plan))], selected_index=None)
        last.set_title(0, f"Key figures of '{self.plan_scenario.name}' (the scenario just solved)")
        return [widgets.HTML("<b>Compare kept plans</b> (choose two or more; Ctrl-click to select several)"),
                widgets.HBox([self.saved, widgets.VBox([self.compare_button, self.export_comparison_button])]),
                self.comparison_view, last]

    def _refresh_saved(self) -> None:
        names = list(self.store.entries)
        self.saved.options = names
        self.saved.value = tuple(names[-2:]) if len(names) >= 2 else tuple(names)
        if not self.results.children and names:
            self.results.children = [widgets.HBox([self.saved, widgets.VBox([self.compare_button,
                                                                             self.export_comparison_button])]),
                                     self.comparison_view]

    def compare(self, names: list[str] | None = None, wait: bool = False) -> None:
        """Compare the chosen kept plans: KPIs, who moves, shortage deltas, buildings and purchases that differ."""
        names = list(names or self.saved.value)
        if len(names) < 2:
            self.status.value = message_html("Choose at least two kept plans to compare.", kind="info")
            return

        def job():
            from ..compare import compare_plans

            return names, compare_plans(self.store.plans(names))

        def done(result):
            chosen, self.comparison = result
            pages = [(COMPARISON_TITLES.get(key, key.replace("_", " ")),
                      table_widget(frame, COMPARISON_TITLES.get(key, key.replace("_", " "))))
                     for key, frame in self.comparison.items() if isinstance(frame, pd.DataFrame)]
            kpis = self.comparison.get("kpis")
            differs = isinstance(kpis, pd.DataFrame) and not charts.kpi_differences(kpis, chosen).empty
            chart = (figure_widget(charts.kpi_comparison_chart(kpis, chosen)) if differs else
                     widgets.HTML(message_html("The plans have the same key figures; the tabs show what differs.",
                                               kind="info")))
            self.comparison_view.children = [chart, _tabs(pages)]
            self.export_comparison_button.disabled = False

        self.task.start("Comparing " + ", ".join(names), job, done, sync=self.sync or wait)

    def export_comparison(self, wait: bool = False) -> None:
        if self.comparison is None:
            return

        def job():
            from ..compare import write_comparison_workbook

            return write_comparison_workbook(self.comparison, output_folder() / "scenario_comparison.xlsx",
                                             lang=self.lang.value)

        def done(path):
            path = Path(path)
            self.export_note.value = (message_html("Comparison written", [str(path)], kind="ok")
                                      + download_link(path, f"Download {path.name}"))

        self.task.start("Writing the comparison workbook", job, done, sync=self.sync or wait)


# ---------------------------------------------------------------- data check

class DataCheckExplorer:
    """Open the bundled province or an uploaded workbook; show the validation report or an overview."""

    def __init__(self, ds: Dataset | None = None, *, sync: bool = False, on_dataset: list[Callable] | None = None):
        self.ds = ds
        self.sync = sync
        self.error: BaseException | None = None
        self.on_dataset = on_dataset if on_dataset is not None else []
        provinces = bundled_provinces()
        self.choice = widgets.Dropdown(options=[(k, str(v)) for k, v in provinces.items()] or [("(none bundled)", None)],
                                       description="Province", layout=widgets.Layout(width="300px"))
        if ds is not None and str(Path(ds.source)) in {str(v) for v in provinces.values()}:
            self.choice.value = str(Path(ds.source))
        self.open_button = widgets.Button(description="Open", icon="folder-open", button_style="primary")
        self.open_button.on_click(lambda _: self.load(self.choice.value))
        self.upload = widgets.FileUpload(accept=".xlsx", multiple=False, description="Upload workbook")
        self.upload.observe(lambda change: self.load_upload(change["new"]), names="value")
        self.status = widgets.HTML()
        self.progress = widgets.FloatProgress(value=0, min=0, max=1, layout=widgets.Layout(width="420px", visibility="hidden"))
        self.results = widgets.VBox()
        self.results.add_class("planner-results")
        self.task = BackgroundTask(self.status, self.progress, busy=[self.open_button])
        self.widget = widgets.VBox([widgets.HTML("<h3 style='margin:4px 0'>Data check</h3>"),
                                    widgets.HBox([self.choice, self.open_button, self.upload]),
                                    self.progress, self.status, self.results])
        if ds is not None:
            self.results.children = self.render(ds)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def load(self, path, wait: bool = False) -> None:
        """Validate a workbook; show every problem, or the overview when it is valid."""
        if not path:
            self.status.value = message_html("No province file chosen.", kind="info")
            return
        def job():
            try:
                return open_province(path)
            except Exception as exc:
                self._show_problems(exc)
                raise

        self.task.start(f"Checking {Path(path).name}", job, self._loaded, sync=self.sync or wait)

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
        frame = exc.to_frame() if hasattr(exc, "to_frame") else pd.DataFrame({"problem": describe_error(exc)[1]})
        self.results.children = [table_widget(frame, "Problems to fix in the workbook", max_rows=500)]

    def render(self, ds: Dataset) -> list[widgets.Widget]:
        counts = pd.DataFrame({"table": list(ds.tables), "rows": [len(df) for df in ds.tables.values()]})
        officials = ds["officials"]
        key = pd.DataFrame({"figure": ["communes", "old units", "officials", "eligible for leadership",
                                       "equipment items", "buildings", "population"],
                            "value": [len(ds["communes"]), len(ds["old_units"]), len(officials),
                                      int(officials["eligible_for_leadership"].fillna(False).sum()),
                                      int(ds["equipment"]["count"].fillna(0).sum()), len(ds["buildings"]),
                                      int(ds["communes"]["population"].fillna(0).sum())]})
        return [
            widgets.HTML(message_html(f"{ds.province}: the workbook is valid", [f"source: {ds.source}"], kind="ok")),
            _tabs([
                ("Overview and map", widgets.VBox([widgets.HBox([table_widget(key, "Key figures"),
                                                                 table_widget(counts, "Rows per table")]),
                                                   figure_widget(maps.overview_map(ds), "planner-map")])),
                ("Staff", figure_widget(charts.staff_by_field_chart(ds))),
                ("Equipment", figure_widget(charts.equipment_chart(ds))),
                ("Buildings", figure_widget(charts.buildings_chart(ds))),
                ("Communes", table_widget(ds["communes"], "New communes")),
                ("Old units", table_widget(ds["old_units"], "Old units")),
            ]),
        ]


# ---------------------------------------------------------------- the app

class App:
    """All explorers in tabs over one province; uploading a workbook in the first tab switches every tab."""

    def __init__(self, ds: Dataset, scenario: Scenario | None = None, *, sync: bool = False, run: Callable | None = None):
        self.store = PlanStore()
        self.staffing = StaffingExplorer(ds, scenario, store=self.store, sync=sync, run=run)
        self.assets = AssetsExplorer(ds, scenario, store=self.store, sync=sync, run=run)
        self.scenarios = ScenarioExplorer(ds, scenario, store=self.store, sync=sync, run=run)
        self.data = DataCheckExplorer(ds, sync=sync, on_dataset=[self.staffing.set_dataset, self.assets.set_dataset,
                                                                 self.scenarios.set_dataset])
        self.widget = widgets.VBox([
            widgets.HTML(f"<h2 style='margin:4px 0'>Commune merger planner — {html.escape(ds.province)}</h2>"),
            _tabs([("1 · Data", self.data.widget), ("2 · Staffing", self.staffing.widget),
                   ("3 · Assets", self.assets.widget), ("4 · Scenarios", self.scenarios.widget)]),
        ])
        self.widget.children[1].selected_index = 1

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def start_app(path: str | Path | None = None) -> widgets.Widget:
    """The Voila app: open the province ($PLANNER_DATA or the bundled one) and show every explorer.

    A broken or missing workbook shows its problems instead of a traceback.
    """
    try:
        ds = open_province(path)
        scenario = default_scenario()
    except Exception as exc:
        data = DataCheckExplorer(None)
        data._show_problems(exc)
        data.status.value = message_html(*describe_error(exc))
        return data.widget
    return App(ds, scenario).widget
