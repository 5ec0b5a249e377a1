"""Scenario comparison: KPI deltas, who moves, shortage/building/purchase differences, the comparison sheets."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

from planner.compare import compare_plans
from planner.dataset import Dataset
from planner.plan import Plan
from planner import labels as L
from planner.readback import read_table
from planner.report import write_comparison_workbook, write_plan_workbook
from test_report import hand_made_plan
from tiny import tiny_frames


@pytest.fixture(scope="module")
def three_plans():
    ds = Dataset.from_frames(tiny_frames(), source="tiny")
    return ds, {"baseline": hand_made_plan(ds, moved=0), "move two": hand_made_plan(ds, moved=2, scenario="move two"),
                "move five": hand_made_plan(ds, moved=5, scenario="move five")}


def test_kpis_side_by_side_with_deltas(three_plans):
    _, plans = three_plans
    kpis = compare_plans(plans)["kpis"]
    assert list(kpis.columns) == ["stage", "kpi", "code", "param", "unit", "value [baseline]", "value [move two]", "value [move five]",
                                  "delta [move two]", "delta [move five]"]
    row = kpis.set_index("kpi").loc["equipment_purchases_cost"]
    base = plans["baseline"].kpi("equipment_purchases_cost")
    assert row["value [baseline]"] == base
    assert row["delta [move five]"] == pytest.approx(plans["move five"].kpi("equipment_purchases_cost") - base)
    assert row["delta [move five]"] == pytest.approx(5 * 15e6)


def test_moved_officials_lists_exactly_the_movers(three_plans):
    _, plans = three_plans
    moved = compare_plans(plans)["moved_officials"]
    a0 = plans["baseline"].tables["assignments"].set_index("official_id")["commune_code"]
    a5 = plans["move five"].tables["assignments"].set_index("official_id")["commune_code"]
    expected = sorted(a0.index[a0 != a5])
    assert len(expected) == 5
    assert sorted(moved["official_id"]) == expected
    assert set(moved["changes"]) == {"commune"}
    first = moved.iloc[0]
    assert first["commune_code [baseline]"] == a0[first["official_id"]]
    assert first["commune_code [move five]"] == a5[first["official_id"]]
    # the first two movers are the same in 'move two'
    two = moved.set_index("official_id")["commune_code [move two]"]
    assert (two.loc[expected[:2]].to_numpy() == a5.loc[expected[:2]].to_numpy()).all()


def test_surplus_counts_as_an_outcome():
    ds = Dataset.from_frames(tiny_frames(), source="tiny")
    a, b = hand_made_plan(ds), hand_made_plan(ds)
    who = b.tables["assignments"].iloc[[3]]
    b.tables["assignments"] = b.tables["assignments"].drop(index=who.index)
    b.tables["surplus_officials"] = pd.concat([b.tables["surplus_officials"],
                                               who[["official_id", "name", "field", "position"]]], ignore_index=True)
    moved = compare_plans({"a": a, "b": b})["moved_officials"]
    assert list(moved["official_id"]) == list(who["official_id"])
    assert pd.isna(moved["commune_code [b]"].iloc[0]) and moved["changes"].iloc[0] == "commune, position, field"


def test_shortage_buildings_purchases(three_plans):
    _, plans = three_plans
    cmp = compare_plans(plans)
    short = cmp["shortage_delta"]
    base = plans["baseline"].tables["staffing_by_commune"].groupby(["commune_code", "field"])["shortage"].sum()
    five = plans["move five"].tables["staffing_by_commune"].groupby(["commune_code", "field"])["shortage"].sum()
    keyed = short.set_index(["commune_code", "field"])
    for key in keyed.index:
        assert keyed.loc[key, "delta [move five]"] == five[key] - base[key]
    assert ((base > 0) | (five != base)).sum() <= len(short)
    assert "commune_name" in short.columns

    buildings = cmp["building_changes"]
    assert list(buildings["building_id"]) == ["B5"]  # lease in even variants, education in odd ones
    assert buildings.loc[0, "use [baseline]"] == "lease" and buildings.loc[0, "use [move five]"] == "education"

    purchases = cmp["purchase_changes"]
    assert list(purchases["item_type"]) == ["desktop"]
    assert purchases.loc[0, "count_delta [move five]"] == 5
    assert purchases.loc[0, "cost_delta_vnd [move two]"] == pytest.approx(2 * 15e6)


def test_plans_with_missing_tables():
    ds = Dataset.from_frames(tiny_frames(), source="tiny")
    full = hand_made_plan(ds)
    staffing_only = Plan(tables={k: full.tables[k] for k in ("assignments", "surplus_officials", "staffing_by_commune")},
                         kpis=full.kpis[full.kpis["stage"] == "staffing"], solves=full.solves, provenance=full.provenance)
    cmp = compare_plans({"full": full, "staffing": staffing_only})
    assert cmp["building_changes"].empty and cmp["purchase_changes"].empty
    assert np.isnan(cmp["kpis"].set_index("kpi").loc["equipment_purchases_cost", "value [staffing]"])
    with pytest.raises(ValueError):
        compare_plans({})


@pytest.mark.parametrize("lang", L.LANGS)
def test_comparison_sheets(three_plans, tmp_path, lang):
    ds, plans = three_plans
    cmp = compare_plans(plans)
    path = write_comparison_workbook(cmp, tmp_path / "cmp.xlsx", lang=lang)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [L.sheet_label(t, lang) for t in ("plans", "kpis", "moved_officials", "shortage_delta",
                                                               "building_changes", "purchase_changes")]
    ws = wb[L.sheet_label("kpis", lang)]
    headers = [c.value for c in ws[3]]
    assert headers[:3] == [L.column_label(c, lang) for c in ("stage", "kpi", "unit")]  # code and param are in the label
    assert f"{L.column_label('value', lang)} [move two]" in headers and f"{L.column_label('delta', lang)} [move five]" in headers
    assert "move two" in ws.oddHeader.center.text
    back = read_table(path, "purchase_changes")
    assert back["count_delta [move five]"].tolist() == cmp["purchase_changes"]["count_delta [move five]"].tolist()
    short = wb[L.sheet_label("shortage_delta", lang)]
    assert any(r.type == "cellIs" for cf in short.conditional_formatting for r in cf.rules)

    with_plan = write_plan_workbook(plans["move five"], ds, tmp_path / "plan.xlsx", lang=lang, comparison=cmp)
    names = openpyxl.load_workbook(with_plan).sheetnames
    assert names[0] == L.sheet_label("summary", lang) and L.sheet_label("kpis", lang) in names


def test_anonymized_comparison(three_plans, tmp_path):
    ds, plans = three_plans
    cmp = compare_plans(plans)
    assert len(cmp["moved_officials"]) and cmp["moved_officials"]["name"].notna().all()
    wb = openpyxl.load_workbook(write_comparison_workbook(cmp, tmp_path / "anon.xlsx", anonymize=True))
    texts = {str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None}
    assert not set(ds["officials"]["name"]) & texts
    assert set(cmp["moved_officials"]["official_id"]) <= texts


def test_same_plan_read_from_csv_shows_no_moves(three_plans, tmp_path):
    """Codes that come back as floats (e.g. from CSV) are not differences."""
    _, plans = three_plans
    base = plans["baseline"]
    again = Plan(tables={k: v.copy() for k, v in base.tables.items()}, kpis=base.kpis, solves=base.solves,
                 provenance=base.provenance)
    again.tables["assignments"]["commune_code"] = again.tables["assignments"]["commune_code"].astype(float)
    again.tables["building_uses"]["serves_commune_code"] = pd.to_numeric(
        again.tables["building_uses"]["serves_commune_code"]).astype(float)
    cmp = compare_plans({"a": base, "b": again})
    assert cmp["moved_officials"].empty and cmp["building_changes"].empty and cmp["purchase_changes"].empty
    assert (cmp["kpis"]["delta [b]"] == 0).all()


def test_provenance_of_every_plan(three_plans, tmp_path):
    """The comparison names each plan's status, approver, input hash, scenario and save time (from the register's
    provenance keys when the plan was loaded from it), and its workbook shows them on the first sheet."""
    ds, plans = three_plans
    approved = Plan(tables=plans["move two"].tables, kpis=plans["move two"].kpis, solves=plans["move two"].solves,
                    provenance=plans["move two"].provenance | {"plan_name": "Phương án 2", "plan_status": "approved",
                                                               "approved_by": "Lê Văn B", "approved_at": "2026-01-02T03:04:05Z",
                                                               "saved_at": "2026-01-01T00:00:00Z", "plan_version": 3,
                                                               "data_source": "/srv/planner/uploads/lao_cai.xlsx"})
    cmp = compare_plans({"baseline": plans["baseline"], "move two": approved})
    prov = cmp["plans"].set_index("plan")
    assert list(prov.index) == ["baseline", "move two"]
    assert prov.loc["baseline", "plan_name"] == "baseline" and prov.loc["baseline", "plan_status"] == "draft"
    assert prov.loc["move two", "approved_by"] == "Lê Văn B" and prov.loc["move two", "plan_status"] == "approved"
    assert prov.loc["move two", "data_hash"] == ds.data_hash() == plans["baseline"].provenance["data_hash"]
    assert prov.loc["move two", "scenario_name"] == "move two"
    assert pd.isna(prov.loc["baseline", "approved_by"])
    assert prov.loc["move two", "data_source"] == "lao_cai.xlsx" and prov.loc["move two", "plan_version"] == 3
    path = write_comparison_workbook(cmp, tmp_path / "cmp.xlsx", lang="vi")
    back = read_table(path, "plans").set_index("plan")
    assert back.loc["move two", "plan_status"] == "Đã phê duyệt" and back.loc["move two", "approved_by"] == "Lê Văn B"
    assert back.loc["move two", "approved_at"] == "2026-01-02T03:04:05Z"
