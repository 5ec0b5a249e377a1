"""The law as data: the staff quota rule at its edges, every reference rule with its source, a province's own rows
against the reference (planner.norms_used), `planner norms`, and the norms sheet of the leadership workbook."""

from __future__ import annotations

import string
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from tiny import tiny_frames

from planner import labels as L
from planner.cli import main
from planner.dataset import Dataset
from planner.norms import commune_quotas, resolve_staffing_norms, total_field
from planner.norms_used import (LEGAL_BASES, PHRASES, REFERENCE_DIR, STATUSES, building_priorities, legal_basis_column,
                                norms_by_commune, norms_used, short_source)
from planner.pipeline import run_plan
from planner.report import write_plan_workbook
from planner.sample import resolve_province, sample_geography
from planner.scenario import Scenario
from planner.template import write_input_workbook

REFERENCE_NORMS = pd.read_csv(REFERENCE_DIR / "staffing_norms.csv")


def _quota(population: int, commune_type: str = "xa", mountainous: bool = False) -> int:
    communes = pd.DataFrame({"code": [1], "type": [commune_type], "population": [population], "mountainous": [mountainous]})
    return int(commune_quotas(communes)["quota"].iloc[0])


@pytest.mark.parametrize("population,commune_type,mountainous,expected", [
    (16_000, "xa", False, 32), (16_001, "xa", False, 32), (17_999, "xa", False, 32), (18_000, "xa", False, 33),
    (3_000, "xa", False, 32), (17_000, "xa", True, 33), (16_999, "xa", True, 32), (20_153, "xa", True, 36),
    (200_000, "phuong", False, 70), (100_000, "xa", False, 50), (100_000, "xa", True, 50), (50_436, "phuong", False, 49),
])
def test_the_quota_rule_at_its_edges(population, commune_type, mountainous, expected):
    assert _quota(population, commune_type, mountainous) == expected


def test_the_quota_rule_names_its_source():
    communes = pd.DataFrame({"code": [1, 2], "type": ["xa", "phuong"], "population": [18_000, 18_000],
                             "mountainous": [True, False]})
    quotas = commune_quotas(communes)
    assert quotas["rule_id"].tolist() == ["Q-xa-mn", "Q-phuong"]
    assert quotas["source"].str.contains("09/CV-BCĐ").all() and set(quotas["basis"]) <= set(LEGAL_BASES)


RULE_FILES = sorted(p.stem for p in REFERENCE_DIR.glob("*.csv") if "source" in pd.read_csv(p, nrows=0).columns)


def test_the_rule_files_are_found():
    assert {"staffing_quota", "staffing_norms", "equipment_norms", "unit_costs"} <= set(RULE_FILES)


@pytest.mark.parametrize("name", RULE_FILES)
def test_every_reference_rule_has_a_source_and_a_basis(name):
    frame = pd.read_csv(REFERENCE_DIR / f"{name}.csv", dtype=str, keep_default_na=False)
    legal = legal_basis_column(name, frame)
    assert legal is not None, f"{name}.csv has no basis column"
    empty = frame[frame["source"].str.strip() == ""]
    assert empty.empty, f"{name}.csv rows without a source: {empty.index.tolist()}"
    wrong = frame[~frame[legal].isin(LEGAL_BASES)]
    assert wrong.empty, f"{name}.csv rows whose {legal} is not law/guidance/assumption: {wrong[legal].tolist()}"
    if "confidence" in frame.columns:
        assert frame["confidence"].isin(["high", "medium", "low"]).all()


def test_building_priorities_and_office_areas_have_sources():
    priorities = building_priorities()
    assert len(priorities) and (priorities["source"].str.strip() != "").all()
    assert priorities["basis"].isin(LEGAL_BASES).all()
    assert "213/CĐ-TTg" in priorities["source"].iloc[0]
    office = norms_used(_dataset(REFERENCE_NORMS))
    office = office[office["kind"] == "office_area"]
    assert (office["source"].str.strip() != "").all() and office["basis"].isin(LEGAL_BASES).all()
    assert office.loc[office["rule_id"] == "shared_area_factor", "basis"].item() == "assumption"
    assert "152/2017" in office.loc[office["rule_id"] == "shared_area_factor", "source"].item()


@pytest.mark.parametrize("key", sorted(PHRASES))
def test_every_phrase_has_vietnamese_and_english_with_the_same_placeholders(key):
    vi, en = PHRASES[key]
    names = [{n for _, n, _, _ in string.Formatter().parse(t) if n} for t in (vi, en)]
    assert vi.strip() and en.strip() and names[0] == names[1]


def test_short_source():
    assert short_source("Official Dispatch 09/CV-BCĐ, 30 May 2025 (as reported)") == "Official Dispatch 09/CV-BCĐ"
    assert short_source("Official Dispatch 09/CV-BCĐ, 30 May 2025", "vi") == "Công văn 09/CV-BCĐ"
    assert short_source("Decree 150/2025/NĐ-CP Art. 15–16", "vi") == "Nghị định 150/2025/NĐ-CP"
    assert short_source("an assumption") == ""


# ---------------------------------------------------------------- a province's own rows against the reference
def _dataset(staffing_norms: pd.DataFrame, communes: pd.DataFrame | None = None) -> Dataset:
    frames = tiny_frames()
    frames["staffing_norms"] = staffing_norms
    if communes is not None:
        frames["communes"] = communes
    return Dataset.from_frames(frames, source="tiny")


def test_a_province_override_is_reported_and_replaces_exactly_that_row():
    norms = REFERENCE_NORMS.copy()
    norms.loc[norms["rule_id"] == "IT", "max_count"] = 3
    ds, reference = _dataset(norms), _dataset(REFERENCE_NORMS)
    used = norms_used(ds)
    staffing = used[used["kind"] == "staffing_norm"].set_index("rule_id")
    assert staffing.loc["IT", "status"] == "overridden" and staffing.loc["IT", "changed"] == "max_count"
    assert (staffing.drop(index="IT")["status"] == "reference").all()
    assert "2" in staffing.loc["IT", "note"]  # what the reference said
    assert staffing.loc["IT", "source"] == norms.loc[norms["rule_id"] == "IT", "source"].item()
    quota = used[used["kind"] == "staffing_quota"]
    assert set(quota["rule_id"]) == {"Q-xa", "Q-phuong"} and (quota["status"] == "reference").all()
    assert (norms_used(reference).query("kind == 'staffing_norm'")["status"] == "reference").all()
    # the resolved norms differ only in that rule's slots
    keys = ["commune_code", "field", "position"]
    new = resolve_staffing_norms(ds["communes"], ds["staffing_norms"]).set_index(keys)
    old = resolve_staffing_norms(reference["communes"], reference["staffing_norms"]).set_index(keys)
    differs = ~((new["required_max"] == old["required_max"]) | (new["required_max"].isna() & old["required_max"].isna()))
    assert set(new.index[differs]) == set(new.index[new["rule_id"] == "IT"]) and len(new.index[differs]) == 3
    assert (new.loc[differs, "required_max"] == 3).all()
    assert (new["required_min"] == old["required_min"]).all()


def test_a_commune_total_row_replaces_the_quota_of_that_commune_only():
    total = {"rule_id": "OV-101-total", "commune_code": 101, "commune_type": "any", "min_population": 0,
             "field": total_field(), "position": "any", "min_count": 0, "max_count": 40, "per_10k_residents": 0.0,
             "source": "Decision of the provincial People's Committee (example)", "basis": "law", "confidence": "high"}
    ds = _dataset(pd.concat([REFERENCE_NORMS, pd.DataFrame([total])], ignore_index=True))
    by_commune = norms_by_commune(ds).set_index("commune_code")
    rule_quota = commune_quotas(ds["communes"]).set_index("commune_code")
    assert by_commune.loc[101, "quota"] == 40 and by_commune.loc[101, "quota_rule"] == "OV-101-total"
    for code in (102, 103):
        assert by_commune.loc[code, "quota"] == rule_quota.loc[code, "quota"]
        assert by_commune.loc[code, "quota_rule"] == rule_quota.loc[code, "rule_id"]
    used = norms_used(ds).set_index("rule_id")
    assert used.loc["OV-101-total", "kind"] == "staffing_quota" and used.loc["OV-101-total", "status"] == "province"
    assert used.loc["OV-101-total", "communes"] == 1 and used.loc["Q-xa", "communes"] == 1
    assert used.loc["Q-phuong", "communes"] == 1


def test_mountainous_communes_get_the_mountain_rule():
    communes = tiny_frames()["communes"].assign(population=[17_000, 17_000, 17_000], mountainous=[True, False, True])
    by_commune = norms_by_commune(_dataset(REFERENCE_NORMS, communes)).set_index("commune_code")
    assert by_commune["quota"].to_dict() == {101: 33, 102: 32, 103: 33}
    assert by_commune["quota_rule"].to_dict() == {101: "Q-xa-mn", 102: "Q-xa", 103: "Q-phuong-mn"}


def test_scenario_changes_are_rows_of_their_own():
    scenario = Scenario.from_dict({"norm_overrides": [{"field": "it_digital", "max_count": 3, "commune_type": "phuong"}],
                                   "assets": {"price_uplift": 0.1, "m2_per_official": {"chair": 25}}})
    used = norms_used(_dataset(REFERENCE_NORMS), scenario)
    mine = used[used["status"] == "scenario"]
    assert set(mine["kind"]) == {"staffing_norm", "price", "office_area"} and len(mine) == 3
    norm = mine[mine["kind"] == "staffing_norm"].iloc[0]
    assert norm["changed"] == "max_count" and norm["communes"] == 1 and "IT" in norm["note"]
    assert mine.loc[mine["kind"] == "price", "rule"].item() == "every new-item price raised by 10%"
    assert set(used["status"]) <= set(STATUSES)


# ---------------------------------------------------------------- planner norms
def test_planner_norms_for_a_bundled_province(capsys):
    assert main(["norms", "--province", "Lạng Sơn"]) == 0
    out = capsys.readouterr().out
    code, _ = resolve_province("Lạng Sơn")
    communes, _ = sample_geography(code)
    quotas = commune_quotas(communes).set_index("commune_code")["quota"]
    lines = out.splitlines()
    for commune in communes.itertuples():
        line = next(x for x in lines if x.startswith(f"{commune.code} "))
        assert commune.name in line and f"  {quotas[commune.code]}  " in line and "09/CV-BCĐ" in line
    assert "Công văn 09/CV-BCĐ" in lines[0]  # Vietnamese by default


def test_planner_norms_writes_one_row_per_commune(tmp_path, capsys):
    out = tmp_path / "ls.xlsx"
    assert main(["norms", "--province", "lang son", "--lang", "en", "--mountainous-codes", "6001", "--out", str(out)]) == 0
    communes, _ = sample_geography("Lạng Sơn")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [L.sheet_label(t, "en") for t in ("norms_by_commune", "norms_by_field", "norms_used")]
    ws = wb[L.sheet_label("norms_by_commune", "en")]
    header = [c.value for c in ws[3]]
    rows = [r for r in ws.iter_rows(min_row=4, values_only=True) if r[0] is not None]
    assert len(rows) == len(communes)
    assert {"Staff quota", "Quota rule", "Quota source"} <= set(header)
    first = dict(zip(header, next(r for r in rows if r[0] == 6001)))
    assert first["Quota rule"] == "Q-xa-mn" and first["Mountainous"] == "Yes"
    csv = tmp_path / "ls.csv"
    assert main(["norms", "--province", "20", "--out", str(csv)]) == 0
    frame = pd.read_csv(csv)
    assert frame["commune_code"].nunique() == len(communes) and (frame["field"] == total_field()).sum() == len(communes)
    assert frame["source"].notna().all()


def test_planner_norms_unknown_province(capsys):
    assert main(["norms", "--province", "Lang Sonn"]) == 2
    assert "Lạng Sơn" in capsys.readouterr().err


def test_planner_norms_for_an_input_workbook(tmp_path, capsys):
    norms = REFERENCE_NORMS.copy()
    norms.loc[norms["rule_id"] == "IT", "max_count"] = 3
    communes = tiny_frames()["communes"].assign(mountainous=[True, False, False], population=[17_000, 8_000, 30_000])
    path = write_input_workbook(tmp_path / "in.xlsx", _dataset(norms, communes))
    assert main(["norms", str(path), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    it_line = next(x for x in out.splitlines() if x.strip().startswith("IT "))
    assert "Overridden" in it_line and "at most 3" in it_line
    xa_an = next(x for x in out.splitlines() if x.startswith("101 "))
    assert "Q-xa-mn" in xa_an and "  33  " in xa_an


# ---------------------------------------------------------------- the leadership workbook
@pytest.fixture(scope="module")
def tiny_plan_books(tmp_path_factory):
    from tiny import tiny_dataset
    ds = tiny_dataset()
    plan = run_plan(ds, Scenario())
    folder = tmp_path_factory.mktemp("norms")
    return ds, plan, {lang: write_plan_workbook(plan, ds, folder / f"plan_{lang}.xlsx", lang=lang) for lang in L.LANGS}


@pytest.mark.parametrize("lang", L.LANGS)
def test_the_plan_workbook_has_the_norms_sheet(tiny_plan_books, lang):
    _, plan, paths = tiny_plan_books
    table = plan.tables["norms_used"]
    assert len(table) and set(table["status"]) <= set(STATUSES)
    wb = openpyxl.load_workbook(paths[lang])
    title = L.sheet_label("norms_used", lang)
    assert title == {"vi": "Định mức áp dụng", "en": "Norms applied"}[lang]
    assert title in wb.sheetnames and wb.sheetnames[-1] == L.sheet_label("technical", lang)
    ws = wb[title]
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    header = [c.value for c in ws[3]]
    assert L.column_label("source", lang) in header and L.column_label("basis", lang) in header
    assert "rule_vi" not in header and L.column_label("rule_vi", lang) not in header
    rows = [r for r in ws.iter_rows(min_row=4, values_only=True) if r[0] is not None]
    assert len(rows) == len(table)
    status = header.index(L.column_label("status", lang))
    assert {r[status] for r in rows} <= set(L.value_labels("status", lang).values())
    summary = [str(c.value) for row in wb[L.sheet_label("summary", lang)].iter_rows() for c in row if c.value]
    line = next(s for s in summary if s.startswith(str(len(table))))
    assert L.text("norms_applied", lang) in summary
    staffing = [c.value for c in wb[L.sheet_label("staffing_by_commune", lang)][3]]
    assert {L.column_label(c, lang) for c in ("quota", "quota_rule", "quota_source")} <= set(staffing)
    assert line


def test_the_summary_names_the_quota_source(tmp_path):
    ds = _dataset(REFERENCE_NORMS)
    plan = run_plan(ds, Scenario(), stages=("staffing",))
    assert "norms_used" in plan.tables
    wb = openpyxl.load_workbook(write_plan_workbook(plan, ds, tmp_path / "p.xlsx", lang="vi"))
    summary = [str(c.value) for row in wb[L.sheet_label("summary", "vi")].iter_rows() for c in row if c.value]
    line = next(s for s in summary if "quy định:" in s)
    assert "Công văn 09/CV-BCĐ" in line and "theo mẫu" in line
    plan.write_csv(tmp_path / "csv")
    assert (Path(tmp_path / "csv") / "norms_used.csv").exists()
