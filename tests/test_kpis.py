"""KPIs as data (planner/schema/kpis.csv, planner.kpis): every emitted KPI is declared and labelled; budgets pair up."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from planner import labels as L
from planner import vocab
from planner.compare import compare_plans
from planner.docs import outputs_kpi_table
from planner.kpis import (KPI_COLUMNS, UndeclaredKpi, budget_pairs, is_breakdown, kpi_frame, kpi_label, kpi_labels,
                          kpi_row, kpi_specs)
from planner.plan import Plan
from planner.report import write_plan_workbook
from planner.report.plan_workbook import budget_rows, meeting_tables
from planner.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]


def test_declarations_are_complete():
    specs = kpi_specs()
    assert specs and all(key == spec.key for key, spec in specs.items())
    for spec in specs.values():
        assert spec.label_vi.strip() and spec.label_en.strip() and spec.unit and spec.description_en, spec.key
        assert spec.stage in vocab.codes("stages"), spec.key
        assert spec.budget_of is None or spec.budget_of in specs, spec.key
        assert spec.breakdown is None or spec.breakdown in vocab.list_names(), spec.key
    assert {(p.budget, p.used) for p in budget_pairs()} == {("equipment_budget", "equipment_budget_used"),
                                                            ("renovation_budget", "renovation_budget_used")}


def test_kpi_row_takes_stage_and_unit_from_the_declaration():
    assert kpi_row("equipment_budget_used", 5.0) == {"stage": "equipment", "kpi": "equipment_budget_used", "code": None,
                                                     "param": None, "value": 5.0, "unit": "VND"}
    assert kpi_row("it_officers", 3)["stage"] == "staffing"  # IT support is part of the staffing stage
    assert list(kpi_frame([kpi_row("total_shortage", 1)]).columns) == KPI_COLUMNS
    with pytest.raises(UndeclaredKpi, match="not declared"):
        kpi_row("equipment budget used (purchases)", 1.0)
    with pytest.raises(ValueError, match="fields code"):
        kpi_row("shortage_by_field", 1)  # a breakdown needs its code
    with pytest.raises(ValueError, match="no code"):
        kpi_row("total_shortage", 1, code="office")
    with pytest.raises(ValueError, match="km"):
        kpi_row("population_within_service_distance", 98.0)  # the label's number is required
    with pytest.raises(ValueError):
        kpi_row("total_shortage", 1, km=15)


def test_labels_fill_in_the_code_and_the_number():
    row = kpi_row("population_within_service_distance", 98.5, km=12.5)
    assert kpi_label(row, "vi") == "Tỷ lệ dân trong bán kính 12.5 km của trụ sở hoặc điểm phục vụ"
    assert kpi_label(kpi_row("population_within_service_distance", 98.5, km=15.0), "en") == \
        "Population within 15 km of HQ or service point"
    shortage = kpi_row("shortage_by_field", 2, code="it_digital")
    assert kpi_label(shortage, "vi") == f"Thiếu - {L.value_label('field', 'it_digital', 'vi')}"
    assert kpi_label(kpi_row("buildings_by_use", 4, code="sale_or_lease"), "en") == "Buildings: Sale or lease"
    assert kpi_label("renovation_budget", "vi") == "Dự toán kinh phí cải tạo"
    assert kpi_label("made_up_figure", "en") == "Made up figure"  # a plan made by hand may hold any key
    frame = kpi_frame([shortage, kpi_row("total_shortage", 2)])
    assert kpi_labels(frame, "en") == ["Shortage - IT and digital transformation", "Total shortage"]
    assert kpi_labels(frame[["stage", "kpi"]], "en")[1] == "Total shortage"  # code and param columns are optional
    assert is_breakdown("shortage_by_field") and not is_breakdown("total_shortage")


def test_labels_no_longer_parse_kpi_names():
    assert not any(hasattr(L, name) for name in ("KPIS", "KPI_PATTERNS", "KPI_USE_PATTERN", "kpi_label",
                                                 "is_breakdown_kpi"))


def test_comparison_keeps_breakdown_rows_apart():
    def plan(office: int) -> Plan:
        kpis = kpi_frame([kpi_row("shortage_by_field", office, code="office"),
                          kpi_row("shortage_by_field", 1, code="it_digital"),
                          kpi_row("population_within_service_distance", 90.0, km=15)])
        return Plan(tables={}, kpis=kpis, solves=pd.DataFrame(), provenance={})

    kpis = compare_plans({"a": plan(2), "b": plan(5)})["kpis"]
    assert len(kpis) == 3
    office = kpis[kpis["code"] == "office"].iloc[0]
    assert office["delta [b]"] == 3
    assert kpis.loc[kpis["kpi"] == "population_within_service_distance", "delta [b]"].iloc[0] == 0


def test_committed_kpi_table_matches_the_declaration():
    outputs = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    assert outputs_kpi_table(outputs) == outputs, "docs/outputs.md KPI table is out of date: run `make docs`"


def _check_emitted(plan: Plan) -> None:
    specs = kpi_specs()
    assert list(plan.kpis.columns) == KPI_COLUMNS
    assert len(plan.kpis)
    for row in plan.kpis.itertuples(index=False):
        assert row.kpi in specs, f"KPI {row.kpi!r} is not declared in planner/schema/kpis.csv"
        spec = specs[row.kpi]
        assert row.stage == spec.stage and row.unit == spec.unit, row.kpi
        for lang in L.LANGS:
            label = kpi_label(row, lang)
            assert label.strip() and "{" not in label and "…" not in label, (row.kpi, lang, label)
        if spec.breakdown:
            assert row.code in vocab.codes(spec.breakdown, pseudo=True), (row.kpi, row.code)
    assert not plan.kpis.duplicated(["stage", "kpi", "code"]).any()


def _budget_items(path: Path, lang: str) -> dict[str, tuple]:
    ws = openpyxl.load_workbook(path)[L.sheet_label("summary", lang)]
    rows = list(ws.iter_rows(values_only=True))
    start = next(k for k, r in enumerate(rows) if r[0] == L.text("budget", lang))
    items = {}
    for r in rows[start + 2:]:
        if r[0] is None:
            break
        items[r[0]] = r[1:4]
    return items


def _check_budget_block(plan: Plan, dataset, tmp_path: Path, lang: str = "vi") -> None:
    values = plan.kpis.set_index("kpi")["value"]
    frame = budget_rows(plan, lang)
    items = _budget_items(write_plan_workbook(plan, dataset, tmp_path / f"plan_{lang}.xlsx", lang=lang), lang)
    for pair in budget_pairs():
        label = kpi_label(pair.budget, lang)
        assert label in set(frame["budget_item"]) and label in items, (pair, items)
        budget, used, share = items[label]
        assert budget == pytest.approx(float(values[pair.budget]))
        assert used == pytest.approx(float(values[pair.used]))
        assert share == pytest.approx(used / budget)


def test_tiny_plan_emits_only_declared_kpis(tiny_ds, tmp_path):
    from planner.pipeline import run_plan

    plan = run_plan(tiny_ds, Scenario())
    _check_emitted(plan)
    assert set(plan.kpis["stage"]) == {"sites", "staffing", "buildings", "equipment"}
    _check_budget_block(plan, tiny_ds, tmp_path, "en")


@pytest.mark.slow
def test_bundled_sample_emits_only_declared_kpis_and_both_budgets(tmp_path):
    """A full run of the bundled Lạng Sơn sample: every KPI declared and labelled; the Summary pairs both budgets."""
    from planner.validate import load_dataset
    from planner.pipeline import run_plan

    dataset = load_dataset(ROOT / "data" / "lang_son.xlsx")
    plan = run_plan(dataset, Scenario())
    _check_emitted(plan)
    assert set(plan.kpis.loc[plan.kpis["code"].notna(), "kpi"]) == {"shortage_by_field", "buildings_by_use"}
    _check_budget_block(plan, dataset, tmp_path, "vi")
