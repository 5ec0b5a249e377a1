"""The leadership workbook: structure, formats, numbers read back, text safety, anonymity, atomic writes."""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import openpyxl
import pandas as pd
import pytest

from planner.dataset import Dataset
from planner.errors import PlanInfeasible
from planner.plan import Plan
from planner.kpis import kpi_frame, kpi_label, kpi_row
from planner.readback import read_plan_assignments, read_table
from planner.report import OutputError, print_summary, write_infeasibility, write_plan_workbook
from planner.report.plan_workbook import layout, meeting_tables
from planner.report.summary import MAX_FIGURES, PAGE_HEIGHT_PT, headline_figures
from planner.report import words as W
from planner import labels as L
from planner.scenario import Scenario
from tiny import tiny_frames

INJECTIONS = ['=HYPERLINK("http://x","y")', "+1+1", "@SUM(A1)", "-1"]


def hand_made_plan(ds: Dataset, moved: int = 0, status: str = "draft", scenario: str = "baseline") -> Plan:
    """Every contract table, consistent with the tiny province; `moved` officials go to the next commune."""
    officials = ds["officials"]
    units = ds["old_units"].set_index("id")
    communes = ds["communes"].set_index("code")
    home_commune = officials["old_unit_id"].map(units["commune_code"]).astype(int).to_numpy()
    surplus_mask = officials["field"].eq("agriculture").to_numpy()
    codes = communes.index.to_numpy()
    placed = officials[~surplus_mask].reset_index(drop=True)
    commune = home_commune[~surplus_mask].copy()
    movers = np.flatnonzero(placed["position"].eq("specialist").to_numpy())[:moved]
    commune[movers] = codes[(np.searchsorted(codes, commune[movers]) + 1) % len(codes)]
    n = len(placed)
    distance = np.round(np.linspace(0.5, 42.0, n), 1)
    assignments = pd.DataFrame({
        "official_id": placed["id"], "name": placed["name"], "old_unit_id": placed["old_unit_id"],
        "commune_code": commune, "commune_name": communes.loc[commune, "name"].to_numpy(),
        "position": placed["position"], "field": placed["field"],
        "match": np.where(np.arange(n) % 5 == 0, "secondary", "primary"),
        "pinned": placed["fixed_commune"].notna().to_numpy(), "own_area": commune == home_commune[~surplus_mask],
        "distance_km": distance, "cost_distance": distance * 1.5, "cost_field": np.where(np.arange(n) % 5 == 0, 20.0, 0.0),
        "bonus_continuity": -15.0, "cost_disruption": 0.0, "cost_pair": 0.0, "total_cost": distance * 1.5 - 15.0,
        "runner_up_commune": codes[(np.searchsorted(codes, commune) + 1) % len(codes)],
        "runner_up_extra_cost": np.round(np.linspace(1, 30, n), 2),
    })
    surplus = officials[surplus_mask]
    surplus_officials = pd.DataFrame({
        "official_id": surplus["id"], "name": surplus["name"], "old_unit_id": surplus["old_unit_id"],
        "field": surplus["field"], "position": surplus["position"], "qualification": surplus["qualification"],
        "birth_year": surplus["birth_year"], "reason": "no_slot_in_field",
    })
    fields = ["leadership", "accounting_finance", "it_digital", "office", "public_service_centre", "culture_social"]
    sbc = pd.DataFrame([(c, f) for c in codes for f in fields], columns=["commune_code", "field"])
    sbc.insert(1, "commune_name", communes.loc[sbc["commune_code"], "name"].to_numpy())
    sbc["position"] = np.where(sbc["field"] == "leadership", "any", "specialist")
    sbc["required_min"] = np.where(sbc["field"] == "leadership", 3, 2)
    sbc["required_max"] = sbc["required_min"] + 2
    sbc["assigned"] = [(assignments["commune_code"].eq(c) & assignments["field"].eq(f)).sum()
                       for c, f in zip(sbc["commune_code"], sbc["field"])]
    sbc["shortage"] = (sbc["required_min"] - sbc["assigned"]).clip(lower=0)
    sbc["surplus"] = (sbc["assigned"] - sbc["required_max"]).clip(lower=0)
    sbc["shortage_ratio"] = sbc["shortage"] / sbc["required_min"]
    sbc["marginal_value"] = sbc["shortage"] * 300.0
    sbc["marginal_value_basis"] = "lp_relaxation"
    recruitment = sbc.loc[sbc["shortage"] > 0, ["commune_code", "commune_name", "field", "shortage"]].rename(
        columns={"shortage": "count"}).reset_index(drop=True)
    it_coverage = pd.DataFrame({"commune_code": codes, "commune_name": communes["name"].to_numpy(),
                                "officer_id": ["CB004", "CB004", pd.NA], "officer_commune_code": [101, 101, pd.NA],
                                "travel_km": [0.0, 21.5, np.nan], "hours": [40.0, 55.5, np.nan],
                                "covered": [True, True, False]})
    it_load = pd.DataFrame({"official_id": ["CB004"], "commune_code": [101], "communes_served": [2], "hours": [95.5],
                            "capacity": [160.0]})
    hq_plan = pd.DataFrame({"commune_code": codes, "commune_name": communes["name"].to_numpy(),
                            "building_id": ["B1", "B3", "B7"], "building_name": ["Trụ sở UBND xã An cũ", "Trụ sở UBND xã Bình cũ",
                                                                                 "Trụ sở Huyện ủy - UBND huyện Mẫu"],
                            "lon": [106.58, 106.78, 106.70], "lat": [21.79, 21.79, 21.90],
                            "floor_area_m2": [400.0, 300.0, 1500.0], "required_area_m2": [320.0, 352.0, 400.0],
                            "extension_m2": [0.0, 52.0, 0.0], "renovation_cost_vnd": [0.0, 2e8, 0.0],
                            "extension_cost_vnd": [0.0, 3.12e8, 0.0], "planned_staff": [12, 11, 14],
                            "citizen_mean_km": [3.2, 4.1, 1.7]})
    service_points = pd.DataFrame({"building_id": ["B4"], "building_name": ["Trụ sở UBND xã Bình Hạ cũ"],
                                   "commune_code": [102], "lon": [106.83], "lat": [21.82], "residents_served": [4000],
                                   "capacity": [40000.0], "fixed_cost_vnd": [150e6]})
    service_coverage = pd.DataFrame({"old_unit_id": ["OU1", "OU4"], "old_unit_name": ["Xã An Cũ", "Xã Bình Hạ"],
                                     "commune_code": [101, 102], "served_by_building_id": ["B1", "B4"],
                                     "site_kind": ["hq", "service_point"], "distance_km": [0.0, 0.0],
                                     "residents": [7200, 4000], "share": [1.0, 1.0]})
    uses = ["hq", "housing", "hq", "service_point", "lease" if moved % 2 == 0 else "education", "idle", "hq"]
    building_uses = pd.DataFrame({"building_id": [f"B{k}" for k in range(1, 8)],
                                  "building_name": ds["buildings"]["name"].to_numpy(),
                                  "old_unit_id": ds["buildings"]["old_unit_id"].to_numpy(),
                                  "commune_code": [101, 101, 102, 102, 103, 103, 103], "use": uses,
                                  "serves_commune_code": [101, 101, 102, 102, 103, pd.NA, 103],
                                  "value_vnd": [0, 0, 0, 0, 6e9, 0, 0], "cost_vnd": [0, 8e8, 2e8, 0, 0, 62.5e6, 0],
                                  "note": ["", "", "", "", "", "", ""]})
    transfers = pd.DataFrame({"from_old_unit_id": ["D1", "OU5"], "to_commune_code": [101, 102],
                              "to_building_id": ["B1", "B3"], "item_type": ["desktop", "desk"], "count": [4, 3 + moved],
                              "repaired": [0, 0], "km": [12.3, 14.0], "transport_cost_vnd": [98400.0, 210000.0]})
    repairs = pd.DataFrame({"old_unit_id": ["OU2"], "item_type": ["desktop"], "count": [3], "cost_vnd": [6e6]})
    purchases = pd.DataFrame({"commune_code": [102, 103], "commune_name": ["Xã Bình", "Phường Châu"],
                              "item_type": ["desktop", "printer"], "count": [5 + moved, 1],
                              "unit_price_vnd": [15e6, 5e6]})
    purchases["cost_vnd"] = purchases["count"] * purchases["unit_price_vnd"]
    balance = pd.DataFrame({"old_unit_id": ["OU1", "OU3", "D1"], "item_type": ["desktop", "desktop", "desk"],
                            "inventory": [6, 2, 20], "kept": [6, 0, 12], "moved": [0, 0, 0], "repaired": [0, 0, 0],
                            "surplus": [0, 0, 8], "disposed": [0, 2, 0]})
    unmet = pd.DataFrame({"commune_code": [102], "item_type": ["printer"], "demand": [2], "supplied_existing": [1],
                          "purchased": [0], "unmet": [1]})
    kpis = kpi_frame([
        kpi_row("total_shortage", float(sbc["shortage"].sum())),
        kpi_row("max_shortage_ratio", float(sbc["shortage_ratio"].max())),
        kpi_row("mean_commute_km", float(distance.mean())),
        kpi_row("surplus_count", float(len(surplus_officials))),
        kpi_row("equipment_purchases_cost", float(purchases["cost_vnd"].sum())),
        kpi_row("equipment_demand_covered", 97.5),
        # the budget pairs the models report (planner/schema/kpis.csv budget_of): the Summary's budget block
        kpi_row("equipment_budget", 300e6),
        kpi_row("equipment_budget_used", float(purchases["cost_vnd"].sum())),
        kpi_row("renovation_budget", 2e9),
        kpi_row("renovation_budget_used", float(hq_plan[["renovation_cost_vnd", "extension_cost_vnd"]].to_numpy().sum())),
    ])
    solves = pd.DataFrame([
        {"model": "staffing", "solver": "highs", "solver_version": "HiGHS 1.15.1", "status": "optimal",
         "objective": 1234.5, "gap": 0.0, "build_seconds": 0.05, "solve_seconds": 0.02, "variables": 120, "constraints": 60},
        {"model": "equipment", "solver": "highs", "solver_version": "HiGHS 1.15.1", "status": "optimal",
         "objective": 9.1e7, "gap": 0.0, "build_seconds": 0.01, "solve_seconds": 0.01, "variables": 40, "constraints": 20},
    ])
    sc = Scenario(name=scenario)
    provenance = {"province": ds.province, "data_source": ds.source, "data_hash": ds.data_hash(),
                  "scenario_name": sc.name, "scenario_digest": sc.digest(), "scenario_yaml": sc.to_yaml(),
                  "stages": "sites,staffing,buildings,equipment", "planner_version": "0.1.0",
                  "created_utc": "2026-11-22 05:00:00"}
    tables = {"assignments": assignments, "surplus_officials": surplus_officials.reset_index(drop=True),
              "staffing_by_commune": sbc, "recruitment_needs": recruitment, "it_coverage": it_coverage,
              "it_officer_load": it_load, "hq_plan": hq_plan, "service_points": service_points,
              "service_coverage": service_coverage, "building_uses": building_uses, "equipment_transfers": transfers,
              "equipment_repairs": repairs, "equipment_purchases": purchases, "equipment_balance": balance,
              "unmet_equipment": unmet}
    return Plan(tables=tables, kpis=kpis, solves=solves, provenance=provenance,
                notes=[f"{placed['name'].iloc[1]} keeps the post decided earlier."], status=status)


def tiny_with_names(names: list[str]) -> Dataset:
    frames = tiny_frames()
    frames["officials"].loc[: len(names) - 1, "name"] = names
    return Dataset.from_frames(frames, source="tiny")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """One plan written in both languages (shared by the structure tests)."""
    ds = tiny_with_names(INJECTIONS)
    plan = hand_made_plan(ds, status="reviewed")
    folder = tmp_path_factory.mktemp("wb")
    paths = {lang: write_plan_workbook(plan, ds, folder / f"plan_{lang}.xlsx", lang=lang) for lang in L.LANGS}
    return ds, plan, paths


def _sheet(wb, table, lang):
    return wb[L.sheet_label(table, lang)]


@pytest.mark.parametrize("lang", L.LANGS)
def test_sheets_for_every_table_with_labels(written, lang):
    _, plan, paths = written
    wb = openpyxl.load_workbook(paths[lang])
    views = layout()
    meeting = [t for t, v in views.items() if v.printed != "none"]
    tables = meeting_tables(plan.tables)
    expected = (["summary"] + [t for t in meeting if t in tables] + [t for t in views if t not in meeting and t in tables]
                + ["technical"])
    assert wb.sheetnames == [L.sheet_label(t, lang) for t in expected]
    assert set(plan.tables) <= set(expected)  # every plan table keeps its sheet
    assert all(len(name) <= 31 for name in wb.sheetnames)
    ws = _sheet(wb, "assignments", lang)
    header = [c.value for c in ws[3]]
    assert header[:2] == ([L.COLUMNS["official_id"][0], L.COLUMNS["name"][0]] if lang == "vi"
                          else ["Official ID", "Name"])
    if lang == "vi":
        assert "Phân công cán bộ" in wb.sheetnames and wb.sheetnames[0] == "Tóm tắt cho lãnh đạo"
        assert wb.sheetnames[-1] == "Thông tin kỹ thuật"
        fields = {c.value for (c,) in _sheet(wb, "staffing_by_commune", lang).iter_rows(min_row=4, min_col=3, max_col=3)}
        assert {"Tài chính - Kế toán", "Công nghệ thông tin - Chuyển đổi số"} <= fields
        positions = {c.value for (c,) in ws.iter_rows(min_row=4, min_col=7, max_col=7)}
        assert {"Chủ tịch", "Phó Chủ tịch"} <= positions
    else:
        assert "Chair" in {c.value for (c,) in ws.iter_rows(min_row=4, min_col=7, max_col=7)}


@pytest.mark.parametrize("lang", L.LANGS)
def test_meeting_formatting(written, lang):
    ds, plan, paths = written
    wb = openpyxl.load_workbook(paths[lang])
    for title in wb.sheetnames[1:-1]:
        ws = wb[title]
        assert ws.freeze_panes in ("A4", "B4"), title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A3:"), title
        assert ws.print_title_rows == "$3:$3", title
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) and ws.page_setup.fitToWidth == 1, title
        assert ds.province in ws.oddHeader.center.text and "baseline" in ws.oddHeader.center.text, title
        assert ws.oddFooter.right.text.endswith(L.text("page", lang)) and ds.province in ws.oddFooter.left.text, title
        assert ws["A3"].font.bold and ws["A3"].fill.fgColor.rgb.endswith("1F4E78"), title
        assert ws.print_area, title  # a lookup sheet prints an empty cell, i.e. nothing
    staffing = _sheet(wb, "staffing_by_commune", lang)
    rules = [r for cf in staffing.conditional_formatting for r in cf.rules]
    assert any(r.type == "expression" for r in rules) and any(r.type == "cellIs" for r in rules)
    summary = _sheet(wb, "summary", lang)
    assert 2 <= len(summary._charts) <= 3 and len(summary._images) == 1  # the shortage map
    assert summary.page_setup.orientation == "landscape" and summary.page_setup.fitToHeight == 1
    budget_rules = [r for cf in summary.conditional_formatting for r in cf.rules]
    assert any(r.operator == "greaterThan" and r.formula == ["1"] for r in budget_rules)
    # number formats: VND, km, percentage, thousands
    hq = _sheet(wb, "hq_plan", lang)
    formats = {hq.cell(3, j).value: hq.cell(4, j).number_format for j in range(1, hq.max_column + 1)}
    tag = {"vi": "[$-42A]", "en": "[$-409]"}[lang]
    assert formats[L.column_label("renovation_cost_vnd", lang)] == tag + "#,##0"  # no currency sign: "(đồng)" once
    assert formats[L.column_label("citizen_mean_km", lang)] == tag + "#,##0.0"
    assert formats[L.column_label("commune_code", lang)] == "0"
    sbc = _sheet(wb, "staffing_by_commune", lang)
    formats = {sbc.cell(3, j).value: sbc.cell(4, j).number_format for j in range(1, sbc.max_column + 1)}
    assert formats[L.column_label("shortage_ratio", lang)] == tag + "0.0%"
    assert formats[L.column_label("required_min", lang)] == tag + "#,##0"


def test_technical_sheet_names_provenance_and_status(written):
    ds, plan, paths = written
    wb = openpyxl.load_workbook(paths["vi"])
    ws = wb["Thông tin kỹ thuật"]
    texts = {str(c.value) for row in ws.iter_rows() for c in row if c.value is not None}
    assert ds.province in ws["A1"].value and ds.province in wb["Tóm tắt cho lãnh đạo"]["A1"].value
    for value in (plan.provenance["data_hash"], plan.provenance["scenario_digest"], "Đã rà soát", "HiGHS 1.15.1",
                  "staffing.distance_threshold_km", "Ngưỡng đi làm xa (km)", plan.provenance["created_utc"]):
        assert value in texts
    assert kpi_label("total_shortage", "vi") in texts
    assert "True" not in texts and "False" not in texts  # booleans of the scenario in words


@pytest.mark.parametrize("lang", L.LANGS)
def test_numbers_read_back_equal_the_tables(written, lang):
    _, plan, paths = written
    for table, columns in {
        "assignments": ["commune_code", "distance_km", "total_cost", "runner_up_extra_cost"],
        "staffing_by_commune": ["commune_code", "required_min", "assigned", "shortage", "shortage_ratio"],
        "hq_plan": ["floor_area_m2", "renovation_cost_vnd", "extension_cost_vnd", "planned_staff", "lon", "lat"],
        "equipment_purchases": ["count", "unit_price_vnd", "cost_vnd"],
        "equipment_balance": ["inventory", "kept", "surplus", "disposed"],
    }.items():
        back = read_table(paths[lang], table)
        expected = plan.tables[table]
        assert len(back) == len(expected), table
        for col in columns:
            np.testing.assert_allclose(back[col].astype(float), expected[col].astype(float), err_msg=f"{table}.{col}")
    # the same through pandas, as a user would read it
    sheet = L.sheet_label("equipment_purchases", lang)
    raw = pd.read_excel(paths[lang], sheet_name=sheet, header=2)
    np.testing.assert_allclose(raw[L.column_label("cost_vnd", lang)], plan.tables["equipment_purchases"]["cost_vnd"])


def test_formula_injection_comes_back_as_text(written):
    _, _, paths = written
    for lang, path in paths.items():
        wb = openpyxl.load_workbook(path)
        ws = _sheet(wb, "assignments", lang)
        cells = {c.value: c for (c,) in ws.iter_rows(min_row=4, min_col=2, max_col=2)}
        for text in INJECTIONS[:3]:  # '-1' belongs to a specialist with no formula look
            assert text in cells, (lang, text)
            assert cells[text].data_type == "s" and cells[text].quotePrefix
        assert all(c.data_type != "f" for sheet in wb for row in sheet.iter_rows() for c in row)


def test_anonymize_removes_every_name(tmp_path):
    ds = tiny_with_names(["Nguyễn Văn An", "Trần Thị Bình"])
    plan = hand_made_plan(ds)
    names = set(ds["officials"]["name"])
    path = write_plan_workbook(plan, ds, tmp_path / "anon.xlsx", anonymize=True)
    wb = openpyxl.load_workbook(path)
    texts = [str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    leaked = {n for n in names if any(n in t for t in texts)}
    assert not leaked
    ws = wb["Phân công cán bộ"]
    assert [c.value for c in ws[4]][:2] == [plan.tables["assignments"]["official_id"][0]] * 2
    # the note naming an official now carries the id
    summary_text = " ".join(str(c.value) for row in wb["Tóm tắt cho lãnh đạo"].iter_rows() for c in row if c.value)
    assert plan.tables["assignments"]["official_id"][1] in summary_text
    # without anonymize the names are there
    plain = openpyxl.load_workbook(write_plan_workbook(plan, ds, tmp_path / "plain.xlsx"))
    assert "Nguyễn Văn An" in {c.value for (c,) in plain["Phân công cán bộ"].iter_rows(min_row=4, min_col=2, max_col=2)}


def test_atomic_write_and_refusing_the_input(tmp_path):
    frames = tiny_frames()
    source = tmp_path / "input.xlsx"
    source.write_bytes(b"original input")
    ds = Dataset.from_frames(frames, source=str(source))
    plan = hand_made_plan(ds)
    with pytest.raises(OutputError, match="refusing to overwrite"):
        write_plan_workbook(plan, ds, source)
    assert source.read_bytes() == b"original input"
    out = tmp_path / "sub" / "plan.xlsx"
    write_plan_workbook(plan, ds, out)
    write_plan_workbook(plan, ds, out)  # replacing an earlier result is fine
    assert out.stat().st_mode & 0o777 == source.stat().st_mode & 0o777  # usual permissions, not mkstemp's 0600
    assert sorted(p.name for p in out.parent.iterdir()) == ["plan.xlsx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.xlsx", "sub"]


def test_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    ds = Dataset.from_frames(tiny_frames(), source="tiny")
    plan = hand_made_plan(ds)

    def broken_write(self):  # half the package written, then the disk is full
        self._archive.writestr("xl/half.xml", b"half")
        raise OSError("disk full")

    # openpyxl's package writer, which the workbook's save uses (planner.report.bulk.save_workbook)
    monkeypatch.setattr(openpyxl.writer.excel.ExcelWriter, "write_data", broken_write)
    with pytest.raises(OSError):
        write_plan_workbook(plan, ds, tmp_path / "plan.xlsx")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("lang", L.LANGS)
def test_read_plan_assignments_round_trip(tmp_path, lang):
    ds = Dataset.from_frames(tiny_frames(), source="tiny")
    plan = hand_made_plan(ds, moved=3)
    path = write_plan_workbook(plan, ds, tmp_path / "plan.xlsx", lang=lang)
    back = read_plan_assignments(path)
    expected = plan.tables["assignments"][["official_id", "commune_code", "position", "field"]]
    assert list(back.columns) == ["official_id", "commune_code", "position", "field"]
    pd.testing.assert_frame_equal(back.astype(str), expected.astype(str).reset_index(drop=True))
    # also found after the sheet is renamed and re-sorted in Excel-like edits, and from CSV
    wb = openpyxl.load_workbook(path)
    wb[L.sheet_label("assignments", lang)].title = "edited"
    wb.save(tmp_path / "edited.xlsx")
    assert len(read_plan_assignments(tmp_path / "edited.xlsx")) == len(expected)
    plan.write_csv(tmp_path / "csv")
    from_csv = read_plan_assignments(tmp_path / "csv")
    pd.testing.assert_frame_equal(from_csv.astype(str), expected.astype(str).reset_index(drop=True))


def test_any_subset_of_tables_and_unknown_columns(tmp_path):
    ds = Dataset.from_frames(tiny_frames(), source="tiny")
    full = hand_made_plan(ds)
    only_assets = {k: v for k, v in full.tables.items() if k in ("hq_plan", "equipment_purchases")}
    only_assets["equipment_purchases"] = only_assets["equipment_purchases"].assign(supplier_note="=cmd|' /C calc'!A0")
    only_assets["brand_new_table"] = pd.DataFrame({"some_metric_km": [1.25], "flag": [True]})
    plan = Plan(tables=only_assets, kpis=full.kpis[full.kpis["stage"] == "equipment"], solves=full.solves.iloc[1:],
                provenance=full.provenance)
    wb = openpyxl.load_workbook(write_plan_workbook(plan, ds, tmp_path / "assets.xlsx", lang="en"))
    assert wb.sheetnames == ["Leadership summary", "HQ plan", "Equipment purchases", "Brand new table",
                             "Technical information"]
    ws = wb["Brand new table"]
    assert [c.value for c in ws[3]] == ["Some metric km", "Flag"]
    assert list(read_table(tmp_path / "assets.xlsx", "brand_new_table").columns) == ["some_metric_km", "flag"]
    assert ws["A4"].number_format == "[$-409]#,##0.0" and ws["B4"].value == "Yes"
    note = wb["Equipment purchases"]
    cell = next(c for row in note.iter_rows() for c in row if c.value == "=cmd|' /C calc'!A0")
    assert cell.data_type == "s"
    # a plan with no tables at all still gets a Summary
    empty = Plan(tables={}, kpis=full.kpis.iloc[:0], solves=full.solves.iloc[:0], provenance=full.provenance)
    assert openpyxl.load_workbook(write_plan_workbook(empty, ds, tmp_path / "e.xlsx")).sheetnames == [
        "Tóm tắt cho lãnh đạo", "Thông tin kỹ thuật"]


def test_infeasibility_explanation(tmp_path):
    ds = Dataset.from_frames(tiny_frames(), source="tiny")
    conflicts = pd.DataFrame({"commune_code": [101], "commune_name": ["Xã An"], "field": ["total"],
                              "ceiling": [0], "pinned": [1], "excess": [1]})
    err = PlanInfeasible("staffing", ["Xã An: 1 pinned official but the headcount ceiling is 0 (1 too many)."],
                         conflicts)
    path = write_infeasibility(err, tmp_path / "plan.xlsx", scenario=Scenario(name="tight"), dataset=ds)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Giải thích", "Xung đột"]
    words = " ".join(str(c.value) for row in wb["Giải thích"].iter_rows() for c in row if c.value)
    assert "Xã An: 1 pinned official" in words and "tight" in words and "Bố trí cán bộ" in words
    assert wb["Xung đột"]["A4"].value == 101
    text = path.with_suffix(".txt").read_text(encoding="utf-8")
    assert "ceiling is 0" in text and "Xã An" in text


def test_print_summary(capsys, tmp_path):
    ds = Dataset.from_frames(tiny_frames(), source="tiny")
    plan = hand_made_plan(ds)
    print_summary(plan, tmp_path / "x.xlsx", csv_dir=str(tmp_path / "csv"), lang="en")
    out = capsys.readouterr().out
    assert ds.province in out and "baseline" in out and "Total shortage" in out and "total_shortage" not in out
    assert "solver staffing: HiGHS 1.15.1, 1 solve(s) (1 optimal)" in out
    assert str(tmp_path / "x.xlsx") in out and "csv" in out
    print_summary(plan, tmp_path / "x.xlsx", csv_dir=str(tmp_path / "csv"))  # Vietnamese by default
    out = capsys.readouterr().out
    assert kpi_label("total_shortage", "vi") in out and "Bố trí cán bộ:" in out and "bảng tính:" in out
    assert not any(word in out for word in ("Total shortage", "solver staffing", "workbook:", "plan status"))
    # zero breakdowns are left out, non-zero ones and totals stay
    office = kpi_row("shortage_by_field", 2, code="office")
    plan.kpis = pd.concat([plan.kpis, kpi_frame([kpi_row("shortage_by_field", 0, code="it_digital"), office])],
                          ignore_index=True)
    print_summary(plan, tmp_path / "x.xlsx", lang="en")
    out = capsys.readouterr().out
    assert "IT and digital" not in out and f"{kpi_label(office, 'en')} 2" in out and "Total shortage" in out
    assert "Shortage - Office and statistics 2" in out


def test_labels_are_unique_and_fit_excel():
    for lang in L.LANGS:
        headers = [L.column_label(c, lang) for c in L.COLUMNS]
        assert len(headers) == len(set(headers))
        sheets = [L.sheet_label(t, lang) for t in L.SHEETS]
        assert all(len(s) <= 31 and not set(s) & set("[]:*?/\\") for s in sheets)
        assert len(set(sheets)) == len(sheets)
    assert L.value_label("field", "accounting_finance", "vi") == "Tài chính - Kế toán"
    assert L.value_label("position", "vice_chair", "vi") == "Phó Chủ tịch"


def test_budget_block_uses_model_kpis_and_flags_overspending(tmp_path):
    ds = Dataset.from_frames(tiny_frames(), source="tiny")
    plan = hand_made_plan(ds)
    plan.kpis = pd.concat([plan.kpis[~plan.kpis["kpi"].str.startswith("renovation_budget")], kpi_frame([
        kpi_row("renovation_budget_used", 2.4e9),
        kpi_row("renovation_budget", 2.0e9),
        kpi_row("population_within_service_distance", 98.5, km=15.0),
    ])], ignore_index=True)
    wb = openpyxl.load_workbook(write_plan_workbook(plan, ds, tmp_path / "b.xlsx"))
    ws = wb["Tóm tắt cho lãnh đạo"]
    rows = {r[0]: r[1:4] for r in ws.iter_rows(values_only=True) if r[0]}
    assert rows["Dự toán kinh phí cải tạo"] == (2.0e9, 2.4e9, pytest.approx(1.2))
    assert L.text("renovation_budget", "vi") not in rows  # the model's figure, not a second estimate
    assert rows[kpi_label("equipment_budget", "vi")][2] == pytest.approx(80e6 / 300e6)  # the model's pair
    technical = {r[0] for r in wb["Thông tin kỹ thuật"].iter_rows(values_only=True) if r[0]}
    assert "Tỷ lệ dân trong bán kính 15 km của trụ sở hoặc điểm phục vụ" in technical
    assert any("vượt dự toán" in str(r[0]) for r in ws.iter_rows(values_only=True))  # a decision for the meeting


MODELS = ("planner.models.headquarters", "planner.models.staffing", "planner.models.buildings", "planner.models.equipment")


@pytest.mark.skipif(any(importlib.util.find_spec(m) is None for m in MODELS), reason="models not written yet")
@pytest.mark.parametrize("lang", L.LANGS)
def test_real_plan_every_table_reads_back(tiny_ds, tmp_path, lang):
    """run_plan on the tiny province: every result table has its sheet and every number comes back unchanged."""
    from planner.pipeline import run_plan

    plan = run_plan(tiny_ds, Scenario())
    path = write_plan_workbook(plan, tiny_ds, tmp_path / "plan.xlsx", lang=lang)
    views = layout()
    for table, expected in plan.tables.items():
        back = read_table(path, table)
        assert len(back) == len(expected), table
        # tables printing only some rows have those rows first: compare them as sets of values
        same_order = table not in views or views[table].printed != "rows"
        for col in expected.columns:
            if pd.api.types.is_numeric_dtype(expected[col]) and not pd.api.types.is_bool_dtype(expected[col]):
                got = pd.to_numeric(back[col], errors="coerce").astype(float).to_numpy()
                want = expected[col].astype(float).to_numpy()
                if not same_order:
                    got, want = np.sort(got), np.sort(want)
                np.testing.assert_allclose(got, want, err_msg=f"{table}.{col}")


# ----- the leadership summary, the grid, what prints (issue 11)

def _texts(ws) -> list[str]:
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


@pytest.mark.parametrize("lang", L.LANGS)
def test_summary_has_at_most_eight_figures_three_decisions_and_fits_one_page(written, lang):
    _, plan, paths = written
    figures = headline_figures(plan, meeting_tables(plan.tables), lang)
    assert 1 <= len(figures) <= MAX_FIGURES
    assert all(f.sentence.strip() and "{" not in f.sentence for f in figures)
    ws = openpyxl.load_workbook(paths[lang])[L.sheet_label("summary", lang)]
    column_a = [c.value for (c,) in ws.iter_rows(min_col=1, max_col=1)]
    start = column_a.index(W.text("headline", lang))
    end = column_a.index(W.text("decisions", lang))
    assert end - start - 1 == len(figures)
    decisions = [v for v in column_a[end + 1:end + 4] if isinstance(v, str) and v[:2] in ("1.", "2.", "3.")]
    assert 1 <= len(decisions) <= 3
    # one page: fit to one page high and wide, and the print area's rows add up to no more than A4 landscape
    assert ws.page_setup.fitToHeight == 1 and ws.page_setup.fitToWidth == 1
    last_row = int(ws.print_area.split("$")[-1])
    height = sum((ws.row_dimensions[r].height or 15) for r in range(1, last_row + 1))
    assert height <= PAGE_HEIGHT_PT
    # 10 pt or more everywhere on the printed part
    sizes = {c.font.sz or 11 for row in ws.iter_rows(max_row=last_row, max_col=12) for c in row if c.value is not None}
    assert min(sizes) >= 10


def test_staffing_grid_has_one_row_per_commune_and_adds_up(written):
    _, plan, paths = written
    sbc = plan.tables["staffing_by_commune"]
    back = read_table(paths["vi"], "staffing_grid")
    assert len(back) == sbc["commune_code"].nunique()
    assert back["commune_code"].astype(int).tolist() == list(dict.fromkeys(sbc["commune_code"].astype(int)))
    per_commune = sbc.groupby("commune_code")[["required_min", "assigned", "shortage"]].sum()
    for col in ("required_min", "assigned", "shortage"):
        np.testing.assert_allclose(back[col].astype(float), per_commune.loc[back["commune_code"].astype(int), col])
    wb = openpyxl.load_workbook(paths["vi"])
    ws = wb[L.sheet_label("staffing_grid", "vi")]
    headers = [c.value for c in ws[3]]
    short_fields = sbc.groupby("field")["shortage"].sum()
    field_headers = [L.value_label("field", f, "vi") for f in short_fields[short_fields > 0].index]
    assert set(field_headers) <= set(headers)
    field_cols = [headers.index(h) for h in field_headers]
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    for r in rows:  # the field columns add up to the commune's shortage
        assert sum(r[k] or 0 for k in field_cols) == r[headers.index("Thiếu")]
    # the long table says the dual-value basis once, not on every row
    long_headers = [c.value for c in wb[L.sheet_label("staffing_by_commune", "vi")][3]]
    assert L.column_label("marginal_value_basis", "vi") not in long_headers


def test_no_server_path_or_hash_outside_the_technical_sheet(tmp_path):
    frames = tiny_frames()
    ds = Dataset.from_frames(frames, source="/srv/planner/uploads/secret/input.xlsx")
    plan = hand_made_plan(ds)
    path = write_plan_workbook(plan, ds, tmp_path / "p.xlsx")
    wb = openpyxl.load_workbook(path)
    for ws in wb:
        texts = " ".join(_texts(ws))
        assert "/srv" not in texts and "secret" not in texts, ws.title
        if ws.title != "Thông tin kỹ thuật":
            assert plan.provenance["data_hash"] not in texts and plan.provenance["scenario_digest"] not in texts, ws.title
    assert "input.xlsx" in _texts(wb["Thông tin kỹ thuật"])


@pytest.mark.parametrize("lang", L.LANGS)
def test_number_formats_are_locale_tagged_and_money_has_no_sign(written, lang):
    _, _, paths = written
    tag = {"vi": "[$-42A]", "en": "[$-409]"}[lang]
    wb = openpyxl.load_workbook(paths[lang])
    seen = 0
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, (int, float)) and ("#,##0" in c.number_format or "%" in c.number_format):
                    assert c.number_format.startswith(tag), (ws.title, c.coordinate, c.number_format)
                    assert "₫" not in c.number_format
                    seen += 1
    assert seen > 50
    texts = " ".join(t for ws in wb for t in _texts(ws))
    assert "₫ đồng" not in texts and "% tỷ lệ" not in texts


def test_english_workbook_has_no_vietnamese_headers(written):
    _, _, paths = written
    wb = openpyxl.load_workbook(paths["en"])
    vietnamese = set("ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ")
    for ws in wb:
        assert not set(ws.title.lower()) & vietnamese, ws.title
        if ws.title not in ("Leadership summary", "Technical information"):
            headers = [str(c.value) for c in ws[3] if c.value]
            assert not [h for h in headers if set(h.lower()) & vietnamese], ws.title
    summary = wb["Leadership summary"]
    headings = [summary["A4"].value, summary["G4"].value]
    assert headings == [W.text("headline", "en"), W.text("map_title", "en")]


def test_staffing_only_plan_writes(tiny_ds, tmp_path):
    """A plan from `--stages sites,staffing` (no building or equipment table) still makes the whole workbook."""
    from planner.pipeline import run_plan

    plan = run_plan(tiny_ds, Scenario(), stages=("sites", "staffing"))
    assert "equipment_purchases" not in plan.tables
    for lang in L.LANGS:
        wb = openpyxl.load_workbook(write_plan_workbook(plan, tiny_ds, tmp_path / f"s_{lang}.xlsx", lang=lang))
        assert wb.sheetnames[0] == L.sheet_label("summary", lang) and wb.sheetnames[-1] == L.sheet_label("technical", lang)
        assert L.sheet_label("staffing_grid", lang) in wb.sheetnames
        texts = " ".join(_texts(wb[L.sheet_label("summary", lang)]))
        assert W.text("fig_shortage", lang) in texts and W.text("fig_equipment", lang) not in texts


def test_lookup_sheets_print_nothing_and_row_views_print_their_rows(written):
    _, plan, paths = written
    wb = openpyxl.load_workbook(paths["vi"])
    ws = wb[L.sheet_label("assignments", "vi")]
    area = ws.print_area.split("!")[-1].replace("$", "")
    first, last = (area.split(":") + [area])[:2]
    assert first == last and ws[first].value is None  # one empty cell
    assert W.text("print_none", "vi") in ws["A2"].value
    # IT coverage prints only the communes without support, sorted first
    it = wb[L.sheet_label("it_coverage", "vi")]
    uncovered = int((~plan.tables["it_coverage"]["covered"].astype(bool)).sum())
    assert it.print_area.endswith(f"${3 + uncovered}")
    covered_col = [c.value for c in it[3]].index(L.column_label("covered", "vi")) + 1
    assert [it.cell(4 + k, covered_col).value for k in range(uncovered)] == ["Không"] * uncovered


def test_shortage_map_png_and_figure():
    from planner.report.map_image import shortage_classes, shortage_map_figure, shortage_map_png

    ds = Dataset.from_frames(tiny_frames(), source="tiny")
    plan = hand_made_plan(ds)
    png = shortage_map_png(plan.tables["staffing_by_commune"], ds["communes"], "vi", ds["old_units"])
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    fig = shortage_map_figure(plan.tables["staffing_by_commune"], ds["communes"], "en", title=True)
    texts = [t.get_text() for t in fig.axes[0].texts] + [fig._suptitle.get_text()]
    assert W.text("map_title", "en") in texts
    assert shortage_classes([0, 0]) == []
    classes = shortage_classes([0, 1, 1, 2, 3, 5, 8, 13])
    assert 1 <= len(classes) <= 4 and classes[0][0] == 1 and classes[-1][1] is None
    assert shortage_classes([1, 1, 0]) == [(1, 1)]


@pytest.mark.parametrize("seed", [0, 1])
def test_map_territories_equal_the_nearest_point_everywhere(seed):
    """The coarse-grid shortcut gives every pixel the owner of its nearest point (or -1 outside every disc), as a
    brute-force distance matrix does."""
    from planner.report.map_image import _radius, _territories

    rng = np.random.default_rng(seed)
    points = np.concatenate([rng.uniform(0, 80, (150, 2)), rng.normal(20, 3, (60, 2))])  # dense cluster + spread
    owner = rng.integers(0, 40, len(points))
    label, _ = _territories(points, owner, pixels=120)
    radius = _radius(points)
    (x0, y0), (x1, y1) = points.min(axis=0) - radius, points.max(axis=0) + radius
    step = max(x1 - x0, y1 - y0) / 120
    gx, gy = np.meshgrid(np.arange(x0, x1 + step, step), np.arange(y0, y1 + step, step))
    assert gx.shape == label.shape
    d2 = (gx.ravel()[:, None] - points[:, 0]) ** 2 + (gy.ravel()[:, None] - points[:, 1]) ** 2
    nearest = d2.argmin(axis=1)
    expected = np.where(d2.min(axis=1) <= radius ** 2, owner[nearest], -1).reshape(label.shape)
    assert (label == expected).mean() > 0.999  # only exact ties may go either way
    assert (label == -1).any() and (label >= 0).mean() > 0.3


def test_write_rows_types_formats_and_formula_text():
    from planner.report.style import write_rows

    wb = openpyxl.Workbook()
    ws = wb.active
    df = pd.DataFrame({"n": [1, 2, 3], "x": [1.5, np.nan, np.inf], "t": ["=SUM(A1)", "a\x01b", None],
                       "v": pd.Series([1, None, 3], dtype="Int64")})
    write_rows(ws, 5, df, {0: "#,##0", 1: ["0.0%", "#,##0", "0.00"], 2: "@"})
    assert [ws.cell(r, 1).value for r in (5, 6, 7)] == [1, 2, 3]
    assert [ws.cell(r, 1).number_format for r in (5, 6, 7)] == ["#,##0"] * 3
    assert [ws.cell(r, 2).value for r in (5, 6, 7)] == [1.5, None, "∞"]
    assert [ws.cell(r, 2).number_format for r in (5, 6, 7)] == ["0.0%", "#,##0", "0.00"]
    assert ws.cell(5, 3).value == "=SUM(A1)" and ws.cell(5, 3).data_type == "s" and ws.cell(5, 3).quotePrefix
    assert ws.cell(5, 3).number_format == "@" and ws.cell(6, 3).value == "ab" and not ws.cell(6, 3).quotePrefix
    assert [ws.cell(r, 4).value for r in (5, 6, 7)] == [1, None, 3]
    ws.cell(6, 1).font = openpyxl.styles.Font(bold=True)  # cells own their style: the others keep theirs
    assert not ws.cell(5, 1).font.bold and ws.cell(6, 1).number_format == "#,##0"
