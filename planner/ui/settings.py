"""The one settings panel of the app: what the plan should favour, in plain words, with the numbers behind an
"advanced" section.

Shortage penalties are shown as levels (Thấp / Trung bình / Cao / Bắt buộc, PENALTY_LEVELS) with what each
means; the exact number per field is in the advanced section and is what the scenario gets (choosing a level
sets the number; a number between levels shows the nearest level). Every explorer of the app reads the same
Settings, so a setting exists in one place only; an explorer used alone in a notebook makes its own.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from .. import derived, vocab
from ..dataset import Dataset
from ..scenario import DEFAULT_KEY, Scenario, deep_merge
from .text import scenario_label, ui_lang, ui_text

# level -> cost points per missing official (1 point = 1 km of commute within the threshold). The defaults of the
# fields code list fall on these levels: most fields 300, the public service centre 600, accounting and IT 1000,
# leadership 2000.
PENALTY_LEVELS = {"low": 300.0, "medium": 600.0, "high": 1000.0, "mandatory": 2000.0}
START_BUDGETS = {"renovation_budget": 10e9, "equipment_budget": 1e9}  # VND, when neither scenario nor costs give one
WIDE = widgets.Layout(width="540px")
LABEL_STYLE = {"description_width": "280px"}


def nearest_level(value: float) -> str:
    return min(PENALTY_LEVELS, key=lambda level: abs(PENALTY_LEVELS[level] - value))


def penalty_km(value: float, scenario: Scenario) -> float:
    """Commute a missing official is worth: km within the threshold, then km at the higher rate beyond it."""
    s = scenario.staffing
    inside = s.distance_threshold_km * s.cost_per_km
    if value <= inside or s.far_cost_per_km <= 0:
        return value / s.cost_per_km if s.cost_per_km else float("inf")
    return s.distance_threshold_km + (value - inside) / s.far_cost_per_km


def scenario_with(base: Scenario, changes: dict) -> Scenario:
    """A validated copy of `base` with nested changes, e.g. {"staffing": {"fairness": False}}
    (mappings are merged key by key: {"staffing": {"shortage_penalty": {field: 900}}} changes one penalty)."""
    return Scenario.from_dict(deep_merge(base.model_dump(mode="json"), changes), source="the settings")


def default_budgets(ds: Dataset, scenario: Scenario) -> tuple[float, float]:
    """(renovation, equipment) budgets in VND for the sliders: the scenario's, else the costs table's
    (planner.derived, as the models read them), else START_BUDGETS as a starting point."""
    return tuple(derived.budget(ds, scenario, role, start) for role, start in START_BUDGETS.items())


def slider(description: str, value: float, low: float, high: float, step: float, fmt: str = ".0f") -> widgets.FloatSlider:
    return widgets.FloatSlider(value=value, min=low, max=max(high, value), step=step, description=description,
                               readout_format=fmt, continuous_update=False, style=LABEL_STYLE, layout=WIDE)


def heading(title: str, hint: str = "") -> widgets.HTML:
    """A bold line of settings, with an optional hint after it."""
    return widgets.HTML(f"<b>{html.escape(title)}</b> {html.escape(hint)}")


class PenaltySetting:
    """One field's priority: a level menu with its meaning, and the exact number (advanced)."""

    def __init__(self, label: str, value: float, lang: str):
        self.lang = lang
        options = [(ui_text(f"level_{level}", lang), level) for level in PENALTY_LEVELS]
        self.level = widgets.Dropdown(options=options, value=nearest_level(value), description=label,
                                      style=LABEL_STYLE, layout=widgets.Layout(width="480px"))
        self.level.add_class("planner-level")
        self.number = widgets.FloatText(value=value, description=label, step=50, style=LABEL_STYLE,
                                        layout=widgets.Layout(width="420px"))
        self._syncing = False
        self.level.observe(self._level_chosen, names="value")
        self.number.observe(self._number_typed, names="value")

    @property
    def description(self) -> str:
        return self.level.description

    @property
    def value(self) -> float:
        return float(self.number.value)

    @value.setter
    def value(self, value: float) -> None:
        self.number.value = float(value)

    def _level_chosen(self, change) -> None:
        if not self._syncing:
            self._syncing = True
            self.number.value = PENALTY_LEVELS[change["new"]]
            self._syncing = False

    def _number_typed(self, change) -> None:
        if not self._syncing:
            self._syncing = True
            self.level.value = nearest_level(float(change["new"]))
            self._syncing = False


class Settings:
    """Every setting of a plan, once: staffing (priorities, commute, fairness, IT support) and assets
    (service distance, budgets), a scenario name, and the numbers behind the levels in an advanced section."""

    def __init__(self, ds: Dataset, scenario: Scenario, lang: str | None = None):
        self.lang = ui_lang(lang)
        self.ds = ds
        self.base = scenario
        t = lambda key, **v: ui_text(key, self.lang, **v)  # noqa: E731
        staffing, assets = scenario.staffing, scenario.assets
        fields = vocab.labels("fields", self.lang)
        self.penalties = {field: PenaltySetting(t("other_fields") if field == DEFAULT_KEY else fields.get(field, field),
                                                value, self.lang)
                          for field, value in staffing.shortage_penalty.items()}
        self.name = widgets.Text(value=scenario_label(scenario.name, self.lang), description=t("scenario_name"),
                                 layout=WIDE, style=LABEL_STYLE)
        self.threshold = slider(t("commute_threshold"), staffing.distance_threshold_km, 0, 100, 1)
        self.fairness = widgets.Checkbox(value=staffing.fairness, description=t("fairness_long"), indent=False,
                                         layout=widgets.Layout(width="auto"))
        self.it_radius = slider(t("it_radius"), staffing.it_support.radius_km, 5, 150, 5)
        renovation, equipment = default_budgets(ds, scenario)
        self.service_distance = slider(t("service_distance"), assets.service_distance_km, 2, 50, 1)
        self.renovation_budget = slider(t("renovation_budget"), renovation / 1e9, 0, 3 * renovation / 1e9, 0.1, ".1f")
        self.equipment_budget = slider(t("equipment_budget"), equipment / 1e6, 0, 3 * equipment / 1e6, 10)
        self.single_source = widgets.Checkbox(value=assets.single_source, indent=False, description=t("single_source"),
                                              layout=widgets.Layout(width="auto"))
        self.meaning = widgets.HTML(self._meaning_html())
        self.threshold.observe(lambda _: self._refresh_meaning(), names="value")
        levels = widgets.VBox([heading(t("penalties_heading"), t("penalties_hint")),
                               *(p.level for p in self.penalties.values()), self.meaning])
        numbers = widgets.VBox([widgets.HTML(html.escape(t("advanced_penalties_hint"))),
                                *(p.number for p in self.penalties.values())])
        for p in self.penalties.values():
            p.number.observe(lambda _: self._refresh_meaning(), names="value")
        self.advanced = widgets.Accordion(children=[numbers], selected_index=None)
        self.advanced.set_title(0, t("advanced"))
        self.advanced.add_class("planner-advanced")
        self.staffing_box = widgets.VBox([levels, self.advanced])
        self.others_box = widgets.VBox([heading(t("commute_heading")), self.threshold, self.fairness, self.it_radius])
        self.assets_box = widgets.VBox([heading(t("service_heading")), self.service_distance, self.renovation_budget,
                                        self.equipment_budget, self.single_source])
        self.widget = widgets.VBox([
            widgets.HTML(f"<h3 style='margin:4px 0'>{html.escape(t('settings_title'))}</h3>"
                         f"<div style='color:#555'>{html.escape(t('settings_hint'))}</div>"),
            self.name,
            widgets.HBox([self.staffing_box, widgets.VBox([self.others_box, self.assets_box])],
                         layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start")),
        ])
        self.widget.add_class("planner-settings")

    def _meaning_html(self) -> str:
        try:
            scenario = self.scenario()
        except Exception:
            scenario = self.base
        items = "".join(
            f"<li><b>{html.escape(ui_text(f'level_{level}', self.lang))}</b>: "
            f"{html.escape(ui_text(f'level_{level}_meaning', self.lang, km=f'{penalty_km(value, scenario):,.0f}'))}</li>"
            for level, value in PENALTY_LEVELS.items())
        return f"<ul style='margin:2px 0 6px 0;color:#444;font-size:90%'>{items}</ul>"

    def _refresh_meaning(self) -> None:
        self.meaning.value = self._meaning_html()

    def scenario(self) -> Scenario:
        """The scenario these settings describe (validated)."""
        return scenario_with(self.base, {
            "name": self.name.value.strip() or self.base.name,
            "staffing": {"shortage_penalty": {field: p.value for field, p in self.penalties.items()},
                         "distance_threshold_km": float(self.threshold.value),
                         "fairness": bool(self.fairness.value),
                         "it_support": {"radius_km": float(self.it_radius.value)}},
            "assets": {"service_distance_km": float(self.service_distance.value),
                       "renovation_budget_vnd": float(self.renovation_budget.value) * 1e9,
                       "equipment_budget_vnd": float(self.equipment_budget.value) * 1e6,
                       "single_source": bool(self.single_source.value)},
        })

    def current(self) -> Scenario:
        """The scenario on screen, or the starting one when the widgets do not make a valid scenario."""
        try:
            return self.scenario()
        except Exception:
            return self.base

    def fill(self, scenario: Scenario, ds: Dataset | None = None) -> None:
        """Show a scenario (e.g. read from a YAML file) and, with `ds`, that province's budgets."""
        self.base = scenario
        self.ds = ds if ds is not None else self.ds
        s, a = scenario.staffing, scenario.assets
        self.name.value = scenario_label(scenario.name, self.lang)
        for field, p in self.penalties.items():
            p.value = s.penalty(field)
        self.threshold.value = s.distance_threshold_km
        self.fairness.value = s.fairness
        self.it_radius.value = s.it_support.radius_km
        self.service_distance.value = a.service_distance_km
        self.single_source.value = a.single_source
        self.set_budgets(scenario)

    def set_budgets(self, scenario: Scenario | None = None) -> None:
        """The budget sliders at the province's budgets (the scenario's, else the costs table's)."""
        renovation, equipment = default_budgets(self.ds, scenario or self.base)
        self.renovation_budget.max = max(self.renovation_budget.max, 3 * renovation / 1e9)
        self.equipment_budget.max = max(self.equipment_budget.max, 3 * equipment / 1e6)
        self.renovation_budget.value = renovation / 1e9
        self.equipment_budget.value = equipment / 1e6

    def set_dataset(self, ds: Dataset) -> None:
        """Another province: its budgets (the costs table's unless the starting scenario fixes them)."""
        self.ds = ds
        self.set_budgets(self.base)

    def summary(self) -> str:
        """One line of the settings in use, shown above a tab's results."""
        s = self.current()
        yes_no = ui_text("yes" if s.staffing.fairness else "no", self.lang)
        return ui_text("settings_summary", self.lang, name=s.name, km=f"{s.staffing.distance_threshold_km:g}",
                       fair=yes_no, radius=f"{s.staffing.it_support.radius_km:g}",
                       service=f"{s.assets.service_distance_km:g}")
