"""The saved-plans tab: solve the whole plan under a scenario name, save it to the plan register, list the saved
plans, reopen one, compare two side by side, mark one reviewed or approved (who and when are recorded by the
register), download a saved workbook or the comparison.

Used alone in a notebook it keeps plans in memory (every solve kept under its scenario name) and shows its own
settings; in the app the register keeps them and the settings are the app's one settings panel.
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
from ..labels import sheet_label, text, value_label
from ..scenario import Scenario
from . import charts
from .common import default_data_path, default_scenario, describe_error, download_html, figure_widget, message_html
from .panel import Explorer, button_layout, file_name, kpi_table, tabs
from .settings import LABEL_STYLE, WIDE, heading
from .text import TEXT, scenario_label


REGISTER_WORDS = {"status": "plan_status", "from_status": "plan_status", "to_status": "plan_status",
                  "event": "register_event"}  # column -> kind of value (planner.labels)


def in_words(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Plan statuses and register events as words (Dự thảo, Đã phê duyệt...) instead of their codes; the history's
    'from' and 'to' under the names of their labels."""
    frame = frame.rename(columns={"from": "from_status", "to": "to_status"})
    return frame.assign(**{column: frame[column].map(lambda v, kind=kind: value_label(kind, v, lang))
                           for column, kind in REGISTER_WORDS.items() if column in frame})


class ScenarioExplorer(Explorer):
    """Solve named scenarios, save them, reopen, compare two, review and approve, download."""

    title_key = "scenarios_title"
    solve_key = "scenario_solving"

    def __init__(self, ds: Dataset, scenario: Scenario | None = None, *, scenario_folder: str | Path | None = None,
                 on_open: Callable[[str, object], None] | None = None, **kw):
        repo_scenarios = default_data_path().parent.parent / "scenarios"
        self.scenario_folder = Path(scenario_folder) if scenario_folder else repo_scenarios
        self.comparison: dict | None = None
        self.compared: list[str] = []  # the plans in the comparison on show
        self.on_open = on_open
        super().__init__(ds, scenario, **kw)
        self.store.listeners.append(self.refresh_plans)
        self.refresh_plans()

    @property
    def it_field(self) -> str:
        """The field whose shortage penalty `it_penalty` sets (role 'it' in the fields list)."""
        return vocab.role_code("fields", "it")

    @property
    def it_penalty(self):
        return self.settings.penalties[self.it_field]

    def settings_panel(self) -> widgets.Widget:
        files = sorted(self.scenario_folder.glob("*.yaml")) if self.scenario_folder.exists() else []
        self.start_from = widgets.Dropdown(options=[(self.t("defaults"), "")] + [(scenario_label(p.stem, self.ui_lang), str(p)) for p in files],
                                           description=self.t("start_from"), layout=WIDE, style=LABEL_STYLE)
        self.start_from.observe(lambda change: self.load_start(change["new"]), names="value")
        wide = {"description_width": "110px"}
        self.plan_a = widgets.Dropdown(options=[], description=self.t("plan_a"), layout=widgets.Layout(width="420px"),
                                       style=wide)
        self.plan_a.add_class("planner-plan-a")
        self.plan_b = widgets.Dropdown(options=[], description=self.t("plan_b"), layout=widgets.Layout(width="420px"),
                                       style=wide)
        self.plan_b.add_class("planner-plan-b")
        self.note = widgets.Text(description=self.t("note"), layout=widgets.Layout(width="420px"), style=wide)
        self.plan_a.observe(lambda _: self._show_history(), names="value")

        def button(key: str, icon: str, action, style: str = "") -> widgets.Button:
            b = widgets.Button(description=self.t(key), icon=icon, button_style=style, layout=button_layout())
            b.add_class(f"planner-{key.replace('_', '-')}")
            b.on_click(lambda _: action())
            return b

        self.open_button = button("open_plan", "folder-open", self.open_plan, "primary")
        self.compare_button = button("compare", "columns", self.compare, "info")
        self.review_button = button("review", "check", self.review)
        self.approve_button = button("approve", "gavel", self.approve, "success")
        self.draft_button = button("back_to_draft", "undo", self.back_to_draft)
        self.download_button = button("download_saved", "download", self.download_saved)
        self.refresh_button = button("refresh", "refresh", self.refresh_plans)
        self.export_comparison_button = button("export_comparison", "download", self.export_comparison)
        self.export_comparison_button.disabled = True
        self.register_view = widgets.VBox()
        self.history_view = widgets.VBox()
        self.comparison_view = widgets.VBox()
        self.comparison_view.add_class("planner-comparison")
        self.register_box = widgets.VBox([
            heading(self.t("plans_heading"), self.t("plans_hint" if self.store.persistent else "memory_hint")),
            self.register_view,
            widgets.HBox([self.plan_a, self.open_button, self.download_button, self.refresh_button],
                         layout=widgets.Layout(flex_flow="row wrap", align_items="center")),
            widgets.HBox([self.plan_b, self.compare_button, self.export_comparison_button],
                         layout=widgets.Layout(flex_flow="row wrap", align_items="center")),
            widgets.HBox([self.note, self.review_button, self.approve_button, self.draft_button],
                         layout=widgets.Layout(flex_flow="row wrap", align_items="center")),
            self.history_view, self.comparison_view])
        self.register_box.add_class("planner-register")
        if self.shared_settings:  # the app puts start_from in its settings tab
            return widgets.VBox()
        return widgets.VBox([self.start_from, self.settings.widget])

    def load_start(self, path: str | None) -> None:
        """Fill the settings from a scenario YAML file (or the defaults: no path or "")."""
        try:
            scenario = Scenario.from_yaml(path) if path else default_scenario()
        except Exception as exc:
            self.status.value = message_html(*describe_error(exc, self.ui_lang))
            return
        self.settings.fill(scenario, self.ds)

    def _show(self, result) -> None:
        """Show the solved plan; in memory (a notebook) it is kept at once under its scenario name."""
        super()._show(result)
        self.save_name.value = self.plan_scenario.name
        if not self.store.persistent:  # in memory saving is instant: done here, inside the solve's task
            name = self.plan_scenario.name
            self.store.save(name, self.plan_scenario, self.plan, self.plan_ds)
            self._saved(name)

    def carry_over(self, old: "ScenarioExplorer") -> None:
        """Also take the comparison on show, and stop the old explorer listening to the shared store."""
        if old.refresh_plans in self.store.listeners:
            self.store.listeners.remove(old.refresh_plans)
        super().carry_over(old)
        self.refresh_plans()
        for mine, theirs in ((self.plan_a, old.plan_a), (self.plan_b, old.plan_b)):
            if theirs.value in mine.options:
                mine.value = theirs.value
        if old.comparison is not None:
            self._show_comparison(old.compared, old.comparison)

    def render(self) -> list[widgets.Widget]:
        last = widgets.Accordion(children=[self.table(kpi_table(self.plan), ds=self.plan_ds)], selected_index=None)
        last.set_title(0, self.t("last_kpis", name=self.plan_scenario.name))
        return [last]

    # ---------------------------------------------------------------- the register
    def refresh_plans(self) -> None:
        """The saved plans as a table and in the two plan menus."""
        try:
            frame, names = self.store.table(), self.store.names()
        except Exception as exc:  # the register cannot be opened: say why, keep the tab usable
            self.register_view.children = [widgets.HTML(message_html(*describe_error(exc, self.ui_lang)))]
            return
        shown = [c for c in ("name", "province", "status", "saved_at", "saved_by", "reviewed_by", "reviewed_at",
                             "approved_by", "approved_at") if frame is not None and c in frame]
        frame = in_words(frame[shown].rename(columns={"name": "plan_name"}), self.ui_lang) if names else frame
        self.register_view.children = ([self.table(frame)] if names else
                                       [widgets.HTML(message_html(self.t("no_saved_plans"), kind="info"))])
        a, b = self.plan_a.value, self.plan_b.value
        self.plan_a.options = self.plan_b.options = names
        if names:  # A stays; B is the one chosen before, else the newest other plan
            self.plan_a.value = a if a in names else names[0]
            others = [n for n in names if n != self.plan_a.value]
            self.plan_b.value = b if b in others else (others[-1] if others else self.plan_a.value)
        self._show_history()
        if self.register_box not in self.results.children:
            self.results.children = [self.register_box, *self.results.children]

    def _show_history(self) -> None:
        name = self.plan_a.value
        history = getattr(self.store, "history", None)
        if not name or history is None:
            self.history_view.children = []
            return
        try:
            frame = history(name)
        except Exception:
            frame = None
        self.history_view.children = ([self.table(in_words(frame, self.ui_lang), self.t("plan_history", name=name))]
                                      if frame is not None and len(frame) else [])

    def safe_render(self) -> list[widgets.Widget]:
        return [self.register_box, *super().safe_render()]

    def open_plan(self, name: str | None = None, wait: bool = False) -> None:
        """Load a saved plan and show it (in the app: in the staffing and assets tabs)."""
        name = name or self.plan_a.value
        if not name:
            self.status.value = message_html(self.t("no_saved_plans"), kind="info")
            return

        def job():
            return name, self.store.load(name)

        self.task.start(self.t("opening", name=name), job, lambda result: self._opened(*result),
                        sync=self.sync or wait)

    def _opened(self, name: str, plan) -> None:
        province = (getattr(plan, "provenance", None) or {}).get("province")
        if province and province != self.ds.province:
            raise ValueError(self.t("other_province", name=name, province=province))
        self.show_plan(name, plan, self.ds)
        if self.on_open is not None:
            self.on_open(name, plan)

    def _who(self) -> str:
        return self.user.value.strip() if self.user is not None else ""

    def _change_status(self, action: str, wait: bool = False) -> None:
        name, by, note = self.plan_a.value, self._who(), self.note.value.strip()
        if not name:
            self.status.value = message_html(self.t("no_saved_plans"), kind="info")
            return
        if not by:
            self.status.value = message_html(self.t("need_user"), kind="info")
            return
        if action == "back_to_draft" and not note:
            self.status.value = message_html(self.t("need_reason"), kind="info")
            return

        def job():
            getattr(self.store, action)(name, by, note or None)
            return name

        self.task.start(self.t(action), job, lambda _: self.refresh_plans(), sync=self.sync or wait)

    def review(self, wait: bool = False) -> None:
        self._change_status("review", wait)

    def approve(self, wait: bool = False) -> None:
        self._change_status("approve", wait)

    def back_to_draft(self, wait: bool = False) -> None:
        self._change_status("back_to_draft", wait)

    def download_saved(self, name: str | None = None) -> None:
        """Offer the workbook saved with a plan as a download."""
        name = name or self.plan_a.value
        if not name:
            return
        try:
            data = self.store.workbook(name)
        except Exception as exc:
            self.status.value = message_html(*describe_error(exc, self.ui_lang))
            return
        if not data:
            self.status.value = message_html(self.t("no_workbook_saved"), kind="info")
            return
        self.export_note.value = download_html(data, file_name(self.ds.province, name),
                                               self.t("download", name=file_name(self.ds.province, name)))

    # ---------------------------------------------------------------- comparison
    def compare(self, names: list[str] | None = None, wait: bool = False) -> None:
        """Compare saved plans (A and B, or `names`): key figures, who moves, shortage changes, buildings and
        purchases that differ."""
        names = list(names or [n for n in (self.plan_a.value, self.plan_b.value) if n])
        names = list(dict.fromkeys(names))
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
        self.comparison_view.children = [widgets.HTML(f"<h4>{html.escape(self.t('comparing', names=' / '.join(names)))}</h4>"),
                                         chart, tabs(pages)]
        self.export_comparison_button.disabled = False

    def export_comparison(self, wait: bool = False) -> None:
        """Write the comparison workbook and offer it as a download."""
        if self.comparison is None:
            return
        lang = self.workbook_lang.value
        name = file_name(self.ds.province, *self.compared, "comparison")

        def job():
            from ..report import write_comparison_workbook

            with tempfile.TemporaryDirectory() as folder:
                path = write_comparison_workbook(self.comparison, Path(folder) / name, lang=lang)
                return name, Path(path).read_bytes()

        self.task.start(self.t("writing_comparison"), job, lambda result: self._offer(*result), sync=self.sync or wait)
