"""The widget layer on the tiny province: settings reach the scenario, Solve renders tables and maps,
errors become messages, pins reach the dataset, explanations name the right places.

Solves go through an injected `run` that builds a plan of the documented shape from the data, so these
tests check the UI alone; test_ui_pipeline at the end runs the real pipeline once.
The UI speaks Vietnamese unless asked for English; expected words come from planner.ui.text and
planner.labels, never typed here twice.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner import vocab
from planner.explain import SENTENCES, Explanation, sentence
from planner.norms import resolve_staffing_norms
from planner.template import write_input_workbook
from planner.errors import PlanInfeasible
from planner.plan import Plan
from planner.kpis import kpi_label
from planner.labels import sheet_label, value_label
from planner.scenario import Scenario
from planner.ui import (App, AssetsExplorer, DataCheckExplorer, PlanStore, ScenarioExplorer, StaffingExplorer,
                        describe_error, explain_commune, explain_official, scenario_with, with_pins)
from planner.ui import charts, maps
from planner.ui.common import table_html
from planner.ui.staffing_tab import explanation_html
from planner.ui.text import LANG_ENV, TEXT, language_options, ui_text


@pytest.fixture(autouse=True)
def _outputs_in_tmp(tmp_path, monkeypatch):
    """Exports and saved scenarios go to the test's tmp dir, never into the repository."""
    monkeypatch.setenv("PLANNER_OUT", str(tmp_path / "out"))
    monkeypatch.delenv("PLANNER_SCENARIO", raising=False)
    monkeypatch.delenv(LANG_ENV, raising=False)  # the default language


def shaped_plan(ds, scenario: Scenario, stages=("sites", "staffing", "buildings", "equipment")) -> Plan:
    """A plan with the documented table shapes: everyone stays in the commune of their old unit."""
    officials = ds["officials"].merge(ds["old_units"][["id", "commune_code"]], left_on="old_unit_id", right_on="id",
                                      suffixes=("", "_unit"))
    pinned = officials["fixed_commune"].notna()
    officials.loc[pinned, "commune_code"] = officials.loc[pinned, "fixed_commune"]
    codes = ds["communes"]["code"].astype(int).to_numpy()
    assignments = pd.DataFrame({
        "official_id": officials["id"], "commune_code": officials["commune_code"].astype(int),
        "position": officials["position"], "field": officials["field"],
        "distance_km": np.linspace(1, 45, len(officials)),
        "cost_distance": np.linspace(1, 45, len(officials)), "cost_field": 0.0, "total_cost": 1.0,
        "runner_up_commune": [codes[(k + 1) % len(codes)] for k in range(len(officials))],
        "runner_up_extra_cost": 7.5,
    })
    surplus = assignments.iloc[-1:][["official_id"]].assign(reason="no slot")
    assignments = assignments.iloc[:-1]
    need = resolve_staffing_norms(ds["communes"], ds["staffing_norms"])
    have = assignments.groupby(["commune_code", "field", "position"]).size().rename("assigned").reset_index()
    by_commune = need.merge(have, on=["commune_code", "field", "position"], how="left").fillna({"assigned": 0})
    by_commune["shortage"] = (by_commune["required_min"] - by_commune["assigned"]).clip(lower=0)
    by_commune["surplus"] = 0
    by_commune["shortage_ratio"] = by_commune["shortage"] / by_commune["required_min"].replace(0, 1)
    by_commune["marginal_value"] = by_commune["shortage"] * scenario.staffing.penalty(vocab.role_code("fields", "it")) / 10
    by_commune["commune_name"] = by_commune["commune_code"].map(ds["communes"].set_index("code")["name"])
    b = ds["buildings"]
    hq_buildings = b[b["kind"] == "commune_hq"].merge(ds["old_units"][["id", "commune_code"]], left_on="old_unit_id",
                                                      right_on="id", suffixes=("", "_u")).drop_duplicates("commune_code")
    hq = pd.DataFrame({"commune_code": hq_buildings["commune_code"], "building_id": hq_buildings["id"],
                       "lon": hq_buildings["lon"], "lat": hq_buildings["lat"]})
    points = b[b["kind"] == "district_office"]
    service_points = pd.DataFrame({"building_id": points["id"], "commune_code": 103, "lon": points["lon"],
                                   "lat": points["lat"], "residents_served": 1000})
    ou = ds["old_units"]
    coverage = pd.DataFrame({"old_unit_id": ou["id"], "commune_code": ou["commune_code"],
                             "served_by_building_id": ou["commune_code"].map(hq.set_index("commune_code")["building_id"]),
                             "site_kind": "hq", "distance_km": np.linspace(0, 20, len(ou)), "residents": 100, "share": 1.0})
    uses = pd.DataFrame({"building_id": b["id"], "use": np.where(b["id"].isin(hq["building_id"]), "hq", "sale"),
                         "commune_code": 101})
    transfers = pd.DataFrame({"from_old_unit_id": ["OU1", "D1"], "to_commune_code": [102, 101],
                              "item_type": ["desktop", "desk"], "count": [3, 5], "km": [20.0, 12.0]})
    purchases = pd.DataFrame({"commune_code": [102], "item_type": ["printer"], "count": [1], "cost_vnd": [5e6]})
    kpis = pd.DataFrame([
        {"stage": "staffing", "kpi": "total_shortage", "value": float(by_commune["shortage"].sum()), "unit": "officials"},
        {"stage": "staffing", "kpi": "mean_commute_km", "value": scenario.staffing.distance_threshold_km, "unit": "km"},
        {"stage": "sites", "kpi": "service_points_opened", "value": float(len(service_points)), "unit": "buildings"},
        {"stage": "equipment", "kpi": "equipment_items_moved", "value": float(transfers["count"].sum()), "unit": "items"},
    ])
    tables = {"assignments": assignments, "surplus_officials": surplus, "staffing_by_commune": by_commune,
              "recruitment_needs": by_commune[by_commune["shortage"] > 0], "it_coverage": pd.DataFrame(),
              "hq_plan": hq, "service_points": service_points, "service_coverage": coverage, "building_uses": uses,
              "equipment_transfers": transfers, "equipment_purchases": purchases}
    return Plan(tables=tables, kpis=kpis, solves=pd.DataFrame(),
                provenance={"province": ds.province, "scenario_name": scenario.name, "scenario_yaml": scenario.to_yaml()})


class Recorder:
    """A run function that remembers what it was asked to solve."""

    def __init__(self, fail: Exception | None = None):
        self.calls = []
        self.fail = fail

    def __call__(self, ds, scenario, stages):
        self.calls.append((ds, scenario, stages))
        if self.fail is not None:
            raise self.fail
        return shaped_plan(ds, scenario, stages)


def _find(widget, kind, css: str | None = None):
    """Every descendant of `widget` of a type (and CSS class)."""
    found = []
    stack = [widget]
    while stack:
        w = stack.pop()
        if isinstance(w, kind) and (css is None or css in getattr(w, "_dom_classes", ())):
            found.append(w)
        stack.extend(getattr(w, "children", ()))
    return found


def visible_text(widget) -> str:
    """Every word a user can see in a widget tree: HTML (tags stripped), descriptions, button labels, menu options,
    placeholders, tab and accordion titles."""
    import html as html_module
    import re

    import ipywidgets as w

    words, stack = [], [widget]
    while stack:
        x = stack.pop()
        if isinstance(x, w.HTML):
            words.append(html_module.unescape(re.sub(r"<style.*?</style>|<[^>]+>", " ", x.value, flags=re.S)))
        for attribute in ("description", "placeholder"):
            words.append(str(getattr(x, attribute, "") or ""))
        if isinstance(x, (w.Dropdown, w.SelectMultiple, w.Select, w.Combobox)):
            words.extend(str(label) for label in (x.options if isinstance(x, w.Combobox) else x._options_labels))
        if isinstance(x, (w.Tab, w.Accordion)):
            words.extend(str(t) for t in x.titles)
        stack.extend(getattr(x, "children", ()))
    return "\n".join(words)


def _table(widget, title: str):
    """The DataTable (planner.ui.table) under `widget` whose caption is `title`."""
    import ipywidgets as w

    for box in _find(widget, w.VBox, "planner-datatable"):
        if title in visible_text(box.children[0]):
            return box.datatable
    raise AssertionError(f"no table titled {title!r}")


def _done(label_key: str, lang: str = "vi") -> str:
    """The start of the success message of a task, e.g. 'Lập phương án bố trí cán bộ: xong sau '."""
    return ui_text("task_done", lang, label=ui_text(label_key, lang), seconds="§").split("§")[0]


def _is_png(data: bytes) -> bool:
    return bytes(data[:8]) == b"\x89PNG\r\n\x1a\n"


def test_staffing_explorer_solves_on_click_only_and_renders(tiny_ds):
    import ipywidgets as w

    run = Recorder()
    explorer = StaffingExplorer(tiny_ds, run=run, sync=True)
    explorer.threshold.value = 12
    explorer.fairness.value = False
    explorer.penalties["it_digital"].value = 2500
    assert run.calls == []  # slider moves never solve
    explorer.solve_button.click()
    assert len(run.calls) == 1
    _, scenario, stages = run.calls[0]
    assert scenario.staffing.distance_threshold_km == 12
    assert scenario.staffing.fairness is False
    assert scenario.staffing.shortage_penalty["it_digital"] == 2500
    assert "staffing" in stages
    maps_shown = _find(explorer.results, w.Image, "planner-map")
    assert maps_shown and _is_png(maps_shown[0].value)
    tables = [h.value for h in _find(explorer.results, w.HTML) if "planner-table" in h.value]
    assert any(kpi_label("total_shortage", "vi") in t for t in tables)
    assert _done("staffing_solving") in explorer.status.value
    assert not explorer.solve_button.disabled and not explorer.export_button.disabled


def test_pins_reach_the_solved_dataset(tiny_ds):
    run = Recorder()
    explorer = StaffingExplorer(tiny_ds, run=run, sync=True)
    explorer.add_pin("HD1 · Cán bộ huyện 1", 102, "specialist")
    explorer.add_pin("HD1", 101, "specialist")  # re-pinning replaces the earlier pin
    explorer.solve()
    officials = run.calls[0][0]["officials"].set_index("id")
    assert officials.loc["HD1", "fixed_commune"] == 101
    assert officials.loc["HD1", "fixed_position"] == "specialist"
    assert pd.isna(tiny_ds["officials"].set_index("id").loc["HD1", "fixed_commune"])  # the original is untouched
    assert "Cán bộ huyện 1" in visible_text(explorer.pins_view)
    explorer.clear_pins()
    assert with_pins(tiny_ds, explorer.pins) is tiny_ds


def test_infeasible_and_unexpected_errors_are_messages(tiny_ds):
    infeasible = PlanInfeasible("staffing", ["Xã An needs 1 chair but no eligible official can reach it."])
    explorer = StaffingExplorer(tiny_ds, run=Recorder(fail=infeasible), sync=True)
    explorer.solve()  # must not raise
    assert "Xã An needs 1 chair" in explorer.status.value
    assert "Traceback" not in explorer.status.value
    assert explorer.plan is None and explorer.export_button.disabled
    explorer.run = Recorder(fail=ZeroDivisionError("division by zero"))
    explorer.solve()
    assert "ZeroDivisionError" in explorer.status.value and "planner-error" in explorer.status.value


def test_invalid_settings_are_messages(tiny_ds):
    explorer = StaffingExplorer(tiny_ds, run=Recorder(), sync=True)
    explorer.penalties["it_digital"].value = 100
    explorer.base = explorer.base.model_copy(update={"staffing": explorer.base.staffing.model_copy(
        update={"fairness_tolerance": -1.0})})  # bypasses validation, as a hand-edited scenario could
    explorer.solve()
    assert ui_text("err_settings") in explorer.status.value and "fairness_tolerance" in explorer.status.value


def test_background_solve_keeps_ui_free_and_finishes(tiny_ds):
    import threading

    gate = threading.Event()

    def slow_run(ds, scenario, stages):
        gate.wait(5)
        return shaped_plan(ds, scenario, stages)

    explorer = StaffingExplorer(tiny_ds, run=slow_run)
    explorer.solve()
    assert explorer.task.running and explorer.solve_button.disabled  # returned at once, button locked
    explorer.solve()  # a second click while running is refused politely
    assert ui_text("busy") in explorer.status.value
    gate.set()
    explorer.task.wait(10)
    assert explorer.plan is not None and not explorer.solve_button.disabled
    assert _done("staffing_solving") in explorer.status.value


def test_explanations_name_the_places(tiny_ds):
    explorer = StaffingExplorer(tiny_ds, run=Recorder(), sync=True, lang="en")
    assert "Solve first" in explorer.explain(official="CB000")
    explorer.solve()
    explanation = explain_official(explorer.plan, explorer.plan_ds, "CB003", "en")
    assert isinstance(explanation, Explanation) and "Xã An" in str(explanation)
    text = explanation_html(explanation, "en")
    assert "Xã An" in text and "Next best" in text and "7.5" in text and "Commute cost" in text
    assert text == explorer.explain(official="CB003 · whatever") == explorer.explanation.value  # the tab shows the same
    surplus_id = explorer.plan.tables["surplus_officials"]["official_id"].iloc[0]
    assert "surplus" in str(explain_official(explorer.plan, explorer.plan_ds, surplus_id, "en"))
    short = explorer.plan.tables["staffing_by_commune"].query("shortage > 0")["commune_code"].iloc[0]
    text = explorer.explain(commune=int(short))
    assert "Missing" in text and "lower the plan" in text and explorer.explanation.value == text
    assert "No commune" in explain_commune(explorer.plan, explorer.plan_ds, 999, "en").title
    assert "No official" in explain_official(explorer.plan, explorer.plan_ds, "nobody", "en").title


def test_explanations_speak_vietnamese_by_default(tiny_ds):
    explorer = StaffingExplorer(tiny_ds, run=Recorder(), sync=True)
    explorer.solve()
    text = explanation_html(explain_official(explorer.plan, explorer.plan_ds, "CB003"))
    assert "Nơi thay thế tốt nhất" in text and "Chi phí đi lại" in text and "Next best" not in text
    row = explorer.plan.tables["assignments"].set_index("official_id").loc["CB003"]
    assert value_label("field", row["field"], "vi") in text  # the field in words, not its code
    short = explorer.plan.tables["staffing_by_commune"].query("shortage > 0").iloc[0]
    text = explorer.explain(commune=int(short["commune_code"]))
    assert text.count("Thiếu ") >= 1 and "Missing" not in text


def test_assets_explorer_budgets_and_maps(tiny_ds):
    import ipywidgets as w

    run = Recorder()
    explorer = AssetsExplorer(tiny_ds, run=run, sync=True)
    assert explorer.renovation_budget.value == pytest.approx(2.0)  # 2e9 VND from the costs table
    explorer.renovation_budget.value = 1.5
    explorer.equipment_budget.value = 120
    explorer.service_distance.value = 8
    explorer.solve()
    scenario = run.calls[0][1]
    assert scenario.assets.renovation_budget_vnd == pytest.approx(1.5e9)
    assert scenario.assets.equipment_budget_vnd == pytest.approx(120e6)
    assert scenario.assets.service_distance_km == 8
    images = _find(explorer.results, w.Image, "planner-map")
    assert len(images) == 2 and all(_is_png(i.value) for i in images)  # coverage map and equipment flows


def test_scenarios_keep_compare_and_export(tiny_ds, tmp_path, monkeypatch):
    store = PlanStore()
    explorer = ScenarioExplorer(tiny_ds, run=Recorder(), sync=True, store=store, scenario_folder="/nonexistent")
    assert explorer.solve_button.layout.display != "none" and explorer.export_button.layout.display != "none"
    assert explorer.start_from.label == ui_text("defaults")  # the menu names where the settings start
    explorer.name.value = "wide"
    explorer.threshold.value = 50
    explorer.solve()
    explorer.name.value = "narrow"
    explorer.threshold.value = 10
    explorer.solve()  # in memory (a notebook) every solve is kept under its name
    assert store.names() == ["wide", "narrow"]
    assert store.entries["narrow"][0].staffing.distance_threshold_km == 10
    assert set(explorer.plan_a.options) == {"wide", "narrow"} and explorer.plan_a.value != explorer.plan_b.value
    explorer.compare(["wide"])
    assert ui_text("choose_two") in explorer.status.value
    explorer.compare()  # plan A against plan B
    assert explorer.task.error is None, explorer.status.value
    assert set(explorer.compared) == {"wide", "narrow"}
    assert set(explorer.comparison) >= {"kpis", "moved_officials", "shortage_delta"}
    _, chart, tabs = explorer.comparison_view.children
    assert _is_png(chart.value) and len(tabs.children) == len(explorer.comparison)
    explorer.export_comparison()
    assert explorer.task.error is None, explorer.status.value
    link = explorer.export_note.value
    import re

    name = re.search(r"download='([^']*)'", link).group(1)
    assert name.endswith(".xlsx") and "/" not in name and "base64," in link and str(tmp_path) not in link


def test_scenario_start_from_yaml(tiny_ds, tmp_path):
    (tmp_path / "it_first.yaml").write_text("name: it_first\nstaffing:\n  distance_threshold_km: 44\n", encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("staffing:\n  no_such_key: 1\n", encoding="utf-8")
    explorer = ScenarioExplorer(tiny_ds, run=Recorder(), sync=True, scenario_folder=tmp_path)
    explorer.start_from.value = str(tmp_path / "it_first.yaml")
    assert explorer.threshold.value == 44 and explorer.name.value == "it_first"
    explorer.start_from.value = str(tmp_path / "broken.yaml")
    assert "no_such_key" in explorer.status.value


def test_data_check_reports_problems_and_overview(tiny_ds, tmp_path):
    import ipywidgets as w

    seen = []
    data = DataCheckExplorer(tiny_ds, sync=True, on_dataset=[seen.append])
    assert _find(data.results, w.Image, "planner-map")
    data.load(str(tmp_path / "missing.xlsx"))
    assert "missing.xlsx" in data.status.value and ui_text("err_file") in data.status.value and seen == []
    assert "missing.xlsx" in visible_text(data.results)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    data.load_upload(({"name": "bad.xlsx", "content": memoryview(bad.read_bytes())},))
    assert "planner-error" in data.status.value and seen == []


def test_app_switches_province_everywhere(tiny_ds):
    app = App(tiny_ds, sync=True, run=Recorder())
    app.data._loaded(tiny_ds)
    loaded = ui_text("province_loaded", province=tiny_ds.province, solve=ui_text("solve"))
    assert loaded in app.staffing.status.value and loaded in app.assets.status.value


def test_maps_and_charts_render_on_plain_background(tiny_ds):
    plan = shaped_plan(tiny_ds, Scenario())
    t = plan.tables
    figures = [maps.overview_map(tiny_ds), maps.shortage_map(tiny_ds, t["staffing_by_commune"]),
               maps.coverage_map(tiny_ds, t["hq_plan"], t["service_points"], t["service_coverage"], 10),
               maps.equipment_flow_map(tiny_ds, t["equipment_transfers"], t["equipment_purchases"], t["hq_plan"]),
               maps.equipment_flow_map(tiny_ds, t["equipment_transfers"].iloc[0:0], t["equipment_purchases"].iloc[0:0]),
               charts.staff_by_field_chart(tiny_ds), charts.equipment_chart(tiny_ds), charts.buildings_chart(tiny_ds),
               charts.shortage_by_field_chart(t["staffing_by_commune"]),
               charts.shortage_by_commune_chart(t["staffing_by_commune"]),
               charts.commute_chart(t["assignments"], 30), charts.building_uses_chart(t["building_uses"]),
               charts.purchases_chart(t["equipment_purchases"])]
    for fig in figures:
        ax = fig.axes[0]
        assert ax.has_data() or ax.texts  # something drawn (or an explicit "nothing" note)
    ax = figures[1].axes[0]
    assert ax.get_aspect() == pytest.approx(1 / np.cos(np.radians(tiny_ds["communes"]["lat"].mean())))
    from matplotlib.collections import LineCollection

    coverage_lines = next(c for c in figures[2].axes[0].collections if isinstance(c, LineCollection))
    assert len(coverage_lines.get_segments()) == len(tiny_ds["old_units"])  # one line per old unit
    far = figures[2].axes[0].get_legend().get_texts()
    assert any(t.get_text() == ui_text("old_unit_beyond", km="10") for t in far)


def test_maps_and_charts_speak_the_chosen_language(tiny_ds):
    plan = shaped_plan(tiny_ds, Scenario())
    by_commune = plan.tables["staffing_by_commune"]
    vi, en = charts.shortage_by_field_chart(by_commune), charts.shortage_by_field_chart(by_commune, "en")
    assert "thiếu" in vi.axes[0].get_title() and "missing" in en.axes[0].get_title()
    assert value_label("field", "it_digital", "vi") in [t.get_text() for t in vi.axes[0].get_yticklabels()]
    legend = [t.get_text() for t in vi.axes[0].get_legend().get_texts()]
    assert legend == ["Định mức tối thiểu", "Đã bố trí", "Thiếu"]
    vi_map, en_map = maps.overview_map(tiny_ds), maps.overview_map(tiny_ds, "en")
    assert vi_map.axes[0].get_xlabel() == ui_text("longitude", "vi") != en_map.axes[0].get_xlabel()
    assert "Xã" in [t.get_text() for t in vi_map.axes[0].get_legend().get_texts()]


def test_tables_escape_data_and_limit_rows():
    frame = pd.DataFrame({"name": ["<script>x</script>", "=HYPERLINK(1)"], "value": [1234567.0, 0.5]})
    text = table_html(frame, "t", max_rows=1, lang="en")
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "1,234,567" in text and "Showing 1 of 2" in text
    assert "Đang hiển thị 1 trên 2" in table_html(frame, "t", max_rows=1)


def test_tables_spell_out_headers_and_codes_in_the_language():
    frame = pd.DataFrame({"field": ["it_digital"], "position": ["vice_chair"], "kpi": ["total_shortage"]})
    vi, en = table_html(frame), table_html(frame, lang="en")
    assert all(word in vi for word in ("Lĩnh vực", "Công nghệ thông tin - Chuyển đổi số", "Phó Chủ tịch",
                                       kpi_label("total_shortage", "vi")))
    assert all(word in en for word in ("Field", "IT and digital transformation", "Vice-chair", "Total shortage"))


def test_describe_error_plain_words():
    title, lines = describe_error(PlanInfeasible("sites", ["Renovation budget short by 1.2 billion VND."]), "en")
    assert "cannot be met" in title and lines == ["Renovation budget short by 1.2 billion VND."]
    title, _ = describe_error(PlanInfeasible("buildings", []))
    assert title == f"Kịch bản không thể đáp ứng ({vocab.label('stages', 'buildings', 'vi')})"
    title, lines = describe_error(KeyError("x"))
    assert lines == ["KeyError: 'x'"]


def test_scenario_with_validates_nested_changes():
    s = scenario_with(Scenario(), {"staffing": {"it_support": {"radius_km": 77}}})
    assert s.staffing.it_support.radius_km == 77 and s.staffing.it_support.hours_capacity == 160
    with pytest.raises(Exception, match="radius_km"):
        scenario_with(Scenario(), {"staffing": {"it_support": {"radius_km": -1}}})


def test_ui_pipeline_on_tiny_province(tiny_ds):
    """The real models behind the staffing explorer: a plan, a map, and no error."""
    import ipywidgets as w

    explorer = StaffingExplorer(tiny_ds, sync=True)
    explorer.add_pin("HD2", 102, "specialist")  # a district office clerk pinned to Xã Bình
    explorer.solve()
    assert explorer.task.error is None, explorer.status.value
    assert _find(explorer.results, w.Image, "planner-map")
    assignments = explorer.plan.tables["assignments"]
    surplus = explorer.plan.tables["surplus_officials"]["official_id"]
    assert sorted(assignments["official_id"].tolist() + surplus.tolist()) == sorted(tiny_ds["officials"]["id"])
    assert assignments.set_index("official_id").loc["HD2", "commune_code"] == 102
    assert "Xã Bình" in explorer.explain(official="HD2") and sentence("pinned_decision") in explorer.explanation.value


def test_export_offers_a_download_and_never_a_server_path(tiny_ds, tmp_path, monkeypatch):
    monkeypatch.setenv("PLANNER_OUT", str(tmp_path))
    explorer = StaffingExplorer(tiny_ds, run=Recorder(), sync=True)
    explorer.export()
    assert ui_text("solve_first_export") in explorer.status.value
    explorer.solve()
    assert explorer.workbook_lang.value == "vi"  # the workbook follows the screen unless changed
    explorer.workbook_lang.value = "en"
    explorer.export()
    assert explorer.task.error is None, explorer.status.value
    assert list(tmp_path.glob("**/*.xlsx")) == []  # nothing left on the server
    link = explorer.export_note.value
    assert "download='Tỉnh_Mẫu_Phương_án_cơ_sở.xlsx'" in link and "base64," in link  # the default scenario's name
    import base64
    import io

    from openpyxl import load_workbook

    data = base64.b64decode(link.split("base64,")[1].split("'")[0])
    assert load_workbook(io.BytesIO(data)).sheetnames  # a real workbook
    shown = visible_text(explorer.widget)
    assert str(tmp_path) not in shown and "/tmp" not in shown and "\\" not in shown


def test_app_page_on_a_broken_workbook_shows_problems(tmp_path, monkeypatch):
    from planner.ui import start_app
    from planner.ui.common import default_data_path, default_scenario

    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK not really")
    monkeypatch.setenv("PLANNER_DATA", str(bad))
    monkeypatch.setenv("PLANNER_OUT", str(tmp_path / "out"))
    assert default_data_path() == bad
    page = start_app()  # must not raise
    import ipywidgets as w
    messages = " ".join(h.value for h in _find(page, w.HTML))
    assert "planner-error" in messages and ui_text("err_input") in messages
    (tmp_path / "s.yaml").write_text("staffing:\n  fairness: false\n", encoding="utf-8")
    monkeypatch.setenv("PLANNER_SCENARIO", str(tmp_path / "s.yaml"))
    assert default_scenario().staffing.fairness is False


def test_assignments_filter_sort_and_page(tiny_ds):
    explorer = StaffingExplorer(tiny_ds, run=Recorder(), sync=True)
    explorer.solve()
    table = _table(explorer.results, sheet_label("assignments", "vi"))
    everyone = len(explorer.plan.tables["assignments"])
    assert len(table.rows) == everyone  # every row reachable, page by page
    table.filter.value = "xa binh"  # without accents, any case
    assert len(table.rows) > 0 and table.rows.apply(lambda r: "Xã Bình" in " ".join(map(str, r)), axis=1).all()
    assert len(table.rows) < everyone
    table.filter.value = ""
    column = table.headers.index(ui_text("name_column"))  # officials named beside their ID
    table.sort.value = column
    table.descending.value = True
    names = table.page_frame().iloc[:, column].tolist()
    assert names == sorted(names, key=lambda n: __import__("planner.ui.table", fromlist=["fold"]).fold(n), reverse=True)
    assert "CB000" not in table.view.value or "Cán bộ" in table.view.value


def test_tables_page_every_row_and_say_yes_no(tiny_ds):
    from planner.ui.table import DataTable

    frame = pd.DataFrame({"commune_code": [101, 102, 103] * 20, "eligible_for_leadership": [True, False, True] * 20,
                          "value": range(60)})
    table = DataTable(frame, "t", "vi", tiny_ds, page_rows=25)
    assert table.pages == 3 and len(table.page_frame()) == 25
    assert "Có" in table.view.value and "Không" in table.view.value and "True" not in table.view.value
    names = set(tiny_ds["communes"]["name"])
    assert set(table.frame.iloc[:, 0]) <= names  # commune names, not codes
    table.turn(+1)
    table.turn(+1)
    assert table.page == 2 and len(table.page_frame()) == 10 and table.next.disabled
    table.sort.value = table.headers.index(table.headers[2])
    table.descending.value = True
    assert table.page == 0 and table.page_frame().iloc[0, 2] == 59
    english = DataTable(frame, "t", "en", tiny_ds)
    assert "Yes" in english.view.value and "Có" not in english.view.value


def test_uploading_a_valid_workbook_switches_the_app(tiny_ds, tmp_path):
    workbook = write_input_workbook(tmp_path / "tiny.xlsx", tiny_ds)
    app = App(tiny_ds, sync=True, run=Recorder())
    app.data.load_upload(({"name": "my_province.xlsx", "content": memoryview(Path(workbook).read_bytes())},))
    assert app.data.error is None, app.data.status.value
    assert ui_text("workbook_valid", province=app.data.ds.province) in app.data.results.children[0].value
    assert app.staffing.ds is app.data.ds and app.scenarios.ds is app.data.ds
    assert app.data.ds.source.endswith("my_province.xlsx")


# ---------------------------------------------------------------- language

def test_every_ui_text_has_both_languages_and_vietnamese_differs():
    placeholders = __import__("string").Formatter()
    for key, words in TEXT.items():
        assert set(words) == {"vi", "en"} and all(w.strip() for w in words.values()), key
        assert words["vi"] != words["en"], f"{key}: the Vietnamese text is the English one"
        fields = [{name for _, name, _, _ in placeholders.parse(w) if name} for w in words.values()]
        assert fields[0] == fields[1], f"{key}: both languages need the same {{placeholders}}"
    assert dict(language_options()) == {"Tiếng Việt": "vi", "English": "en"}


def test_explorers_speak_vietnamese_by_default_and_english_on_request(tiny_ds, monkeypatch):
    staffing = StaffingExplorer(tiny_ds, run=Recorder(), sync=True)
    assert staffing.solve_button.description == "Giải bài toán"
    assert staffing.export_button.description == "Xuất Excel"
    assert staffing.it_radius.description == "Bán kính hỗ trợ CNTT (km)"
    assert staffing.fairness.description.startswith("Công bằng giữa các xã")
    assert staffing.penalties["it_digital"].description == value_label("field", "it_digital", "vi")
    assert dict(staffing.pin_position.options)["Phó Chủ tịch"] == "vice_chair"
    english = StaffingExplorer(tiny_ds, run=Recorder(), sync=True, lang="en")
    assert english.solve_button.description == "Solve" and english.it_radius.description == "IT support radius (km)"
    monkeypatch.setenv(LANG_ENV, "en")  # what the notebooks and the app read
    assert AssetsExplorer(tiny_ds, run=Recorder(), sync=True).solve_button.description == "Solve"
    with pytest.raises(ValueError, match="language"):
        StaffingExplorer(tiny_ds, run=Recorder(), sync=True, lang="fr")


def test_results_tabs_and_titles_in_the_language(tiny_ds):
    import ipywidgets as w

    explorer = AssetsExplorer(tiny_ds, run=Recorder(), sync=True)
    explorer.solve()
    tabs = _find(explorer.results, w.Tab)[0]
    assert tabs.titles[:2] == (ui_text("tab_summary"), "Trụ sở")
    html_text = " ".join(h.value for h in _find(explorer.results, w.HTML))
    assert sheet_label("service_points", "vi") in html_text and "Service points" not in html_text


def test_app_language_menu_rebuilds_in_english_and_keeps_the_work(tiny_ds):
    import ipywidgets as w

    app = App(tiny_ds, sync=True, run=Recorder(), store=PlanStore())
    assert app.tabs.titles == tuple(ui_text(k) for k in ("tab_data", "tab_settings", "tab_staffing", "tab_assets",
                                                          "tab_scenarios"))
    app.staffing.threshold.value = 33
    app.staffing.add_pin("HD1", 101, "specialist")
    app.staffing.solve()
    app.staffing.keep()
    app.language.value = "en"
    assert app.tabs.titles[2] == "3 · Staffing" and app.staffing.solve_button.description == "Solve"
    assert app.staffing.threshold.value == 33 and list(app.staffing.pins["official_id"]) == ["HD1"]
    assert app.staffing.plan is not None and not app.staffing.export_button.disabled
    tables = " ".join(h.value for h in _find(app.staffing.results, w.HTML))
    assert "Total shortage" in tables
    assert app.widget.children[-1] is app.tabs and "Commune merger planner" in app.title.value
    assert list(app.scenarios.plan_a.options) == list(app.store.entries)
    assert len(app.store.listeners) == 1  # the replaced scenarios explorer no longer listens
    app.language.value = "vi"
    assert app.staffing.solve_button.description == "Giải bài toán"


def test_infeasibility_lines_follow_the_ui_language():
    from planner.messages import message

    line = message("pins_over_ceiling", commune="Xã An (101)", pinned=3, ceiling=2, over=1)
    err = PlanInfeasible("staffing", [line])
    assert describe_error(err, "vi")[1] == [line.vi] and describe_error(err, "en")[1] == [str(line)]
    assert line.vi != str(line)


# ---------------------------------------------------------------- stages, code lists, layers

def test_tabs_run_and_show_the_stages_of_the_code_list(tiny_ds):
    import ipywidgets as w

    assert set(AssetsExplorer.stages) == set(vocab.codes("stages")) == {"sites", "staffing", "buildings", "equipment"}
    staffing, assets = Recorder(), Recorder()
    staffing_tab = StaffingExplorer(tiny_ds, run=staffing, sync=True, lang="en")
    assets_tab = AssetsExplorer(tiny_ds, run=assets, sync=True, lang="en")
    staffing_tab.solve()
    assets_tab.solve()
    assert staffing.calls[0][2] == ("sites", "staffing") and assets.calls[0][2] == vocab.codes("stages")

    def key_figures(explorer) -> str:
        return next(h.value for h in _find(explorer.results, w.HTML) if kpi_label("total_shortage", "en") in h.value
                    or kpi_label("service_points_opened", "en") in h.value)

    shown = key_figures(staffing_tab)
    assert kpi_label("total_shortage", "en") in shown and kpi_label("service_points_opened", "en") not in shown
    shown = key_figures(assets_tab)  # sites, buildings and equipment; not staffing
    assert kpi_label("service_points_opened", "en") in shown and kpi_label("equipment_items_moved", "en") in shown
    assert kpi_label("total_shortage", "en") not in shown


def test_settings_name_codes_through_the_code_lists(tiny_ds):
    staffing = StaffingExplorer(tiny_ds, run=Recorder(), sync=True)
    assert [code for _, code in staffing.pin_position.options] == list(vocab.codes("positions"))
    assert staffing.pin_position.value == vocab.role_code("positions", "staff")
    it_field = vocab.role_code("fields", "it")
    scenarios = ScenarioExplorer(tiny_ds, run=Recorder(), sync=True, scenario_folder="/nonexistent")
    assert scenarios.it_penalty.value == Scenario().staffing.penalty(it_field)
    scenarios.it_penalty.value = 4321
    penalties = scenarios.scenario().staffing.shortage_penalty
    assert penalties[it_field] == 4321
    assert {k: v for k, v in penalties.items() if k != it_field} == {
        k: v for k, v in Scenario().staffing.shortage_penalty.items() if k != it_field}  # the others unchanged


def test_budgets_come_from_the_scenario_else_the_costs_table(tiny_ds):
    from planner import derived

    explorer = AssetsExplorer(tiny_ds, run=Recorder(), sync=True)
    scenario = Scenario()
    assert explorer.renovation_budget.value * 1e9 == pytest.approx(derived.budget(tiny_ds, scenario, "renovation_budget"))
    assert explorer.equipment_budget.value * 1e6 == pytest.approx(derived.budget(tiny_ds, scenario, "equipment_budget"))
    chosen = scenario_with(scenario, {"assets": {"renovation_budget_vnd": 3e9}})
    assert AssetsExplorer(tiny_ds, chosen, run=Recorder(), sync=True).renovation_budget.value == pytest.approx(3.0)


def test_explanations_and_pins_are_not_widget_code():
    """planner.explain and planner.edits stand below the UI and the report: a script can use them alone."""
    import subprocess
    import sys

    code = ("import sys, planner.explain, planner.edits; "
            "print(sorted(m for m in sys.modules if m.startswith(('planner.ui', 'planner.report', 'planner.models'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    code = "import sys, planner.ui; print(sorted(m for m in sys.modules if m.startswith('planner.models')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"  # the UI reaches the models only through planner.pipeline, when it solves


def test_explanation_sentences_have_both_languages():
    placeholders = __import__("string").Formatter()
    for key, (vi, en) in SENTENCES.items():
        assert vi.strip() and en.strip() and vi != en, key
        fields = [{name for _, name, _, _ in placeholders.parse(w) if name} for w in (vi, en)]
        assert fields[0] == fields[1], f"{key}: both languages need the same {{placeholders}}"
    assert sentence("no_commune", "en", code=7) == "No commune with code 7."


def test_invalid_workbook_problems_are_a_table(tmp_path):
    from planner.errors import InputError, Problem

    data = DataCheckExplorer(None, sync=True, lang="en")
    problem = Problem("x.xlsx", "communes", 3, "population", "-5", "a number of 0 or more")
    data._show_problems(InputError([problem], "x.xlsx"))
    shown = visible_text(data.results)
    assert "communes" in shown and "a number of 0 or more" in shown and data.error is not None


# ---------------------------------------------------------------- one settings panel, levels, saved plans

class FakeRegister:
    """planner.register.PlanRegister's methods over a dict (the app is tested alone; test_register tests the SQL)."""

    def __init__(self):
        self.rows: dict[str, dict] = {}

    def exists(self, name):
        return name in self.rows

    def save(self, name, plan, workbook=None, by=None, overwrite=False):
        from planner.errors import PlanExists, PlanLocked

        old = self.rows.get(name)
        if old and old["status"] == "approved":
            raise PlanLocked(name, approved_by=old["approved_by"], approved_at="2026-11-29 10:00")
        if old and not overwrite:
            raise PlanExists(name, status=old["status"])
        self.rows[name] = {"name": name, "province": plan.provenance.get("province", ""), "status": "draft",
                           "saved_by": by, "approved_by": None, "plan": plan, "workbook": workbook}
        return {"name": name}

    def list(self):
        return pd.DataFrame([{k: v for k, v in r.items() if k not in ("plan", "workbook")} for r in self.rows.values()],
                            columns=["name", "province", "status", "saved_by", "approved_by"])

    def load(self, name):
        return self.rows[name]["plan"]

    def workbook(self, name):
        return self.rows[name]["workbook"]

    def review(self, name, by, note=None):
        self.rows[name]["status"] = "reviewed"

    def approve(self, name, by, note=None):
        self.rows[name].update(status="approved", approved_by=by)

    def back_to_draft(self, name, by, reason):
        self.rows[name]["status"] = "draft"

    def history(self, name):
        return pd.DataFrame([{"status": self.rows[name]["status"]}])


@pytest.fixture
def fast_workbook(monkeypatch):
    """Saving writes a stand-in workbook (the leadership workbook has its own tests)."""
    import planner.ui.panel as panel

    monkeypatch.setattr(panel, "workbook_bytes", lambda plan, ds, name, lang: f"xlsx:{name}:{lang}".encode())


def test_app_has_one_settings_panel_used_by_every_tab(tiny_ds):
    import ipywidgets as w

    run = Recorder()
    app = App(tiny_ds, sync=True, run=run, store=PlanStore())
    sliders = _find(app.widget, w.FloatSlider)
    descriptions = [s.description for s in sliders]
    assert len(descriptions) == len(set(descriptions)), "a setting appears twice"
    assert all(s in _find(app.tabs.children[1], w.FloatSlider) for s in sliders)  # all in the settings tab
    app.settings.threshold.value = 17
    app.settings.renovation_budget.value = 1.25
    app.staffing.solve()
    app.assets.solve()
    app.scenarios.solve()
    assert [call[1].staffing.distance_threshold_km for call in run.calls] == [17, 17, 17]
    assert all(call[1].assets.renovation_budget_vnd == pytest.approx(1.25e9) for call in run.calls)
    assert "17" in app.staffing.settings_line.value  # the tab says which settings it used


def test_penalties_are_levels_with_their_meaning_and_the_number_behind(tiny_ds):
    from planner.ui.settings import PENALTY_LEVELS, Settings

    settings = Settings(tiny_ds, Scenario(), "vi")
    it = settings.penalties[vocab.role_code("fields", "it")]
    default = Scenario().staffing.penalty(vocab.role_code("fields", "it"))
    assert it.level.label == ui_text("level_high") and it.value == default
    assert [label for label, _ in it.level.options] == [ui_text(f"level_{k}") for k in PENALTY_LEVELS]
    it.level.value = "mandatory"
    assert it.value == PENALTY_LEVELS["mandatory"]
    assert settings.scenario().staffing.penalty(vocab.role_code("fields", "it")) == PENALTY_LEVELS["mandatory"]
    it.number.value = 350  # an exact number (advanced) shows the nearest level
    assert it.level.value == "low" and settings.scenario().staffing.penalty(vocab.role_code("fields", "it")) == 350
    meaning = visible_text(settings.widget)
    assert all(ui_text(f"level_{k}") in meaning for k in PENALTY_LEVELS) and "km" in meaning
    assert settings.advanced.selected_index is None  # the numbers stay folded away


def test_a_setting_that_cannot_change_the_answer_says_why(tiny_ds):
    from planner.ui.staffing_tab import no_effect_lines

    scenario = Scenario()
    plan = shaped_plan(tiny_ds, scenario)
    by_commune = plan.tables["staffing_by_commune"]
    short = by_commune[(by_commune["shortage"] > 0) & (by_commune["field"] != vocab.role_code("fields", "total"))]
    assert len(short)
    surplus_id = plan.tables["surplus_officials"]["official_id"].iloc[0]
    spare = tiny_ds["officials"].set_index("id").loc[surplus_id]
    lines = no_effect_lines(plan, tiny_ds, scenario, "vi")
    fields = vocab.labels("fields", "vi")
    for field in short["field"].unique():
        said = any(line.startswith(fields[field] + ":") for line in lines)
        assert said == (field not in {spare["field"], spare.get("secondary_field")}), field
    explorer = StaffingExplorer(tiny_ds, run=Recorder(), sync=True)
    explorer.solve()
    if lines:
        assert ui_text("no_effect_title") in visible_text(explorer.results)


def test_save_asks_before_overwriting_and_plans_survive_a_new_app(tiny_ds, fast_workbook):
    register = FakeRegister()
    app = App(tiny_ds, sync=True, run=Recorder(), register=register)
    app.user.value = "Nguyễn Văn An"
    app.staffing.solve()
    app.staffing.save_name.value = "phương án 1"
    app.staffing.keep()
    assert register.rows["phương án 1"]["saved_by"] == "Nguyễn Văn An"
    assert register.rows["phương án 1"]["workbook"].startswith(b"xlsx:")
    first = register.rows["phương án 1"]["plan"]
    app.settings.threshold.value = 44
    app.staffing.solve()
    app.staffing.keep()  # the same name: asks first, saves nothing yet
    assert app.staffing.confirm.layout.display != "none" and register.rows["phương án 1"]["plan"] is first
    assert ui_text("overwrite_question", name="phương án 1") in visible_text(app.staffing.confirm)
    app.staffing.cancel_button.click()
    assert app.staffing.confirm.layout.display == "none" and register.rows["phương án 1"]["plan"] is first
    app.staffing.keep()
    app.staffing.confirm_button.click()
    assert register.rows["phương án 1"]["plan"] is app.staffing.plan

    again = App(tiny_ds, sync=True, run=Recorder(), register=register)  # a page reload or an app restart
    assert list(again.scenarios.plan_a.options) == ["phương án 1"]
    again.scenarios.open_plan("phương án 1")
    assert again.scenarios.task.error is None, again.scenarios.status.value
    assert again.staffing.plan is register.rows["phương án 1"]["plan"]
    assert again.staffing.plan_scenario.staffing.distance_threshold_km == 44  # from the plan's provenance
    assert again.assets.plan is again.staffing.plan


def test_compare_review_approve_and_download_from_the_register(tiny_ds, fast_workbook):
    register = FakeRegister()
    app = App(tiny_ds, sync=True, run=Recorder(), register=register)
    plans = app.scenarios
    for name, km in (("gần", 10), ("xa", 50)):
        app.settings.threshold.value = km
        app.staffing.solve()
        app.staffing.save_name.value = name
        app.staffing.keep()
    assert set(plans.plan_a.options) == {"gần", "xa"} and plans.plan_a.value != plans.plan_b.value
    plans.compare()
    assert plans.task.error is None, plans.status.value
    assert set(plans.compared) == {"gần", "xa"} and "kpis" in plans.comparison
    plans.plan_a.value = "gần"
    plans.approve()
    assert ui_text("need_user") in plans.status.value and register.rows["gần"]["status"] == "draft"
    app.user.value = "Trần Thị Bình"
    plans.review()
    plans.approve()
    assert register.rows["gần"]["status"] == "approved" and register.rows["gần"]["approved_by"] == "Trần Thị Bình"
    app.staffing.save_name.value = "gần"
    app.staffing.keep()
    app.staffing.confirm_button.click()  # approved: the register refuses, in words
    assert "planner-error" in app.staffing.status.value and ui_text("err_register") in app.staffing.status.value
    plans.download_saved("gần")
    assert "download=" in plans.export_note.value and "base64," in plans.export_note.value
    plans.back_to_draft()  # needs a reason
    assert ui_text("need_reason") in plans.status.value


def test_upload_switches_title_menu_budgets_and_tabs(tiny_ds, tmp_path):
    from planner.dataset import Dataset

    app = App(tiny_ds, sync=True, run=Recorder(), store=PlanStore())
    costs = tiny_ds["costs"].copy()
    renovation = vocab.role_code("cost_parameters", "renovation_budget")
    costs.loc[costs["parameter"] == renovation, "value"] = 7.5e9
    tables = dict(tiny_ds.tables, costs=costs, info=tiny_ds["info"].replace({"Tỉnh Mẫu": "Tỉnh Khác"}))
    other = Dataset.from_frames(tables, source=str(tmp_path / "khac.xlsx"))
    workbook = write_input_workbook(tmp_path / "khac.xlsx", other)
    app.data.load_upload(({"name": "khac.xlsx", "content": memoryview(Path(workbook).read_bytes())},))
    assert app.data.error is None, app.data.status.value
    province = app.data.ds.province
    assert province in app.title.value
    assert app.data.choice.label.startswith(province) and "khac.xlsx" in app.data.choice.label
    assert app.settings.renovation_budget.value == pytest.approx(7.5)
    assert app.staffing.ds is app.assets.ds is app.scenarios.ds is app.data.ds
    assert "/" not in visible_text(app.data.widget).replace("·", "")  # no server path on screen


def test_province_menus_show_names_and_the_template_downloads(tiny_ds, monkeypatch):
    import planner.ui.data_check_tab as data_tab

    data = DataCheckExplorer(tiny_ds, sync=True)
    labels = [label for label, _ in data.choice.options]
    assert "Lạng Sơn" in labels and "lang_son" not in labels
    assert "Cao Bằng" in data.template_province.options
    monkeypatch.setattr(data_tab, "template_bytes", lambda province, lang: f"{province}:{lang}".encode())
    data.template("Cao Bằng")
    link = data.template_link.value
    assert "download='cao_bang_mau_nhap_lieu.xlsx'" in link and "base64," in link


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_input_template_of_a_province_is_a_workbook(lang):
    from openpyxl import load_workbook
    import io

    from planner.ui.data_check_tab import template_bytes

    book = load_workbook(io.BytesIO(template_bytes("Cao Bằng", lang)))
    text = " ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows(max_row=60) for c in row if c.value)
    assert "Cao Bằng" in text or "Hòa An" in text or "Xã" in text  # the province's communes are filled in


# ---------------------------------------------------------------- every screen in one language

def _catalogue_words(lang: str) -> set[str]:
    """Words of the screen catalogue (planner.ui.text) that belong to one language only."""
    import re

    def words(texts) -> set[str]:
        return {w for t in texts for w in re.findall(r"[^\W\d_]+", re.sub(r"\{[^}]*\}", " ", t)) if len(w) >= 4}

    mine = words(v[lang] for v in TEXT.values())
    other = words(v["vi" if lang == "en" else "en"] for v in TEXT.values())
    return mine - other


def _solved_app(tiny_ds, lang: str) -> App:
    register = FakeRegister()
    app = App(tiny_ds, sync=True, run=Recorder(), register=register, lang=lang)
    app.user.value = "Lê Văn Cường"
    for name in ("một", "hai"):
        app.staffing.solve()
        app.assets.solve()
        app.staffing.save_name.value = name
        app.staffing.keep()
    app.scenarios.compare()
    app.scenarios.open_plan("một")
    app.staffing.explain(official="CB003")
    return app


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_tab_speaks_only_the_chosen_language(tiny_ds, lang, fast_workbook):
    import re

    app = _solved_app(tiny_ds, lang)
    assert app.scenarios.task.error is None and app.scenarios.comparison is not None
    shown = visible_text(app.widget)
    words = set(re.findall(r"[^\W\d_]+", shown))
    from planner.sample import province_names

    typed = [app.user.value, tiny_ds.province, *province_names()]  # proper names: the user's, the provinces'
    data_words = {w for frame in tiny_ds.tables.values() for column in frame.columns
                  if not pd.api.types.is_numeric_dtype(frame[column])
                  for value in frame[column].dropna().astype(str) for w in re.findall(r"[^\W\d_]+", value)}
    data_words |= {w for name in typed for w in re.findall(r"[^\W\d_]+", name)}
    foreign = _catalogue_words("en" if lang == "vi" else "vi")
    leaks = sorted((words & foreign) - data_words)
    assert not leaks, f"{lang} screens show words of the other language: {leaks}"
    english_ui = {"True", "False", "None", "nan", "Solve", "Export", "Download", "Settings", "Staffing", "Assets",
                  "shortage", "Shortage", "commune", "official", "baseline", "default", "problem", "problems"}
    if lang == "vi":
        assert not (words & english_ui) - data_words, sorted(words & english_ui)
    else:
        vietnamese = {w for w in words - data_words if re.search(r"[ăâđêôơưàáạảãèéẹẻẽìíịỉĩòóọỏõùúụủũỳýỵỷỹ]", w.lower())}
        assert not vietnamese, sorted(vietnamese)


def test_the_app_on_the_real_register_survives_a_restart(tiny_ds, tmp_path, fast_workbook):
    """planner.register.PlanRegister on a SQLite file: save, reopen in a new app, review, approve, locked."""
    from planner.register import PlanRegister

    url = f"sqlite:///{tmp_path / 'plans.db'}"
    app = App(tiny_ds, sync=True, run=Recorder(), register=PlanRegister(url))
    app.user.value = "Phạm Thu"
    app.staffing.solve()
    app.staffing.save_name.value = "thử"
    app.staffing.keep()
    assert app.staffing.task.error is None, app.staffing.status.value
    again = App(tiny_ds, sync=True, run=Recorder(), register=PlanRegister(url))  # a new process would see the same
    plans = again.scenarios
    assert list(plans.plan_a.options) == ["thử"]
    plans.open_plan("thử")
    assert plans.task.error is None, plans.status.value
    assert again.staffing.plan is not None and len(again.staffing.plan.tables["assignments"]) == len(
        app.staffing.plan.tables["assignments"])
    again.user.value = "Đỗ Minh"
    plans.review()
    plans.approve()
    assert plans.task.error is None, plans.status.value
    listed = PlanRegister(url).list().set_index("name")
    assert listed.loc["thử", "status"] == "approved" and listed.loc["thử", "approved_by"] == "Đỗ Minh"
    shown = visible_text(plans.register_view)
    assert value_label("plan_status", "approved", "vi") in shown and "approved" not in shown
    plans.download_saved("thử")
    assert "base64," in plans.export_note.value
    again.staffing.keep()
    again.staffing.confirm_button.click()  # an approved plan is read-only
    assert ui_text("err_register") in again.staffing.status.value
