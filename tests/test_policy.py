"""Policy data of the plan: retirement roadmap and surplus reasons, disruption against a previous plan,
facility-need housing values, max_count below min_count."""

import pandas as pd
import pytest

from planner import vocab
from planner.dataset import Dataset
from planner.models.buildings import plan_building_uses
from planner.models.headquarters import plan_sites
from planner.models.staffing import retirement_age, retirement_point
from planner.norms import resolve_staffing_norms
from planner.pipeline import run_plan
from planner.scenario import Scenario
from planner.stage import StageResult
from tiny import tiny_frames

STAFFING = ("sites", "staffing")


@pytest.mark.parametrize("year,gender,age", [
    (2021, "male", 60.25), (2028, "male", 62.0), (2040, "male", 62.0),
    (2021, "female", 55 + 4 / 12), (2035, "female", 60.0), (2050, "female", 60.0), (2027, "male", 61.75)])
def test_retirement_roadmap_ends(year, gender, age):
    assert retirement_age(year, gender) == pytest.approx(age)


def test_retirement_point_takes_the_age_of_the_year_it_is_reached():
    # born mid-1961: 60 y 3 m is reached in 2021 (1961.5 + 60.25 = 2021.75)
    assert retirement_point(1961, "male") == pytest.approx((60.25, 2021.75))
    # born mid-1975, a woman: 59 y 8 m would be reached in 2035, not 2034: 60 applies, reached mid-2035
    assert retirement_point(1975, "female") == pytest.approx((60.0, 2035.5))


def _surplus_frames():
    """The tiny province with one field's posts scarce: several officials surplus for different reasons."""
    frames = tiny_frames()
    norms = frames["staffing_norms"]
    norms.loc[norms["field"] == "public_service_centre", ["min_count", "max_count", "per_10k_residents"]] = [0, 0, 0.0]
    off = frames["officials"]
    off["years_of_service"] = range(len(off))
    return frames


def test_surplus_list_sorted_by_years_to_retirement_with_reasons_from_the_list():
    frames = _surplus_frames()
    scenario = Scenario.from_dict({"staffing": {"reference_date": "2026-01-01"}})
    plan = run_plan(Dataset.from_frames(frames), scenario, stages=STAFFING)
    surplus = plan.tables["surplus_officials"]
    assert len(surplus) >= 6
    assert set(surplus["surplus_reason"]) <= set(vocab.codes("surplus_reasons"))
    years = surplus["years_to_retirement"].to_numpy()
    assert (years[1:] >= years[:-1]).all()  # closest to retirement first
    off = frames["officials"].set_index("id")
    for row in surplus.itertuples():
        born = off.loc[row.official_id, "birth_year"] + 0.5
        age, at = retirement_point(off.loc[row.official_id, "birth_year"], off.loc[row.official_id, "gender"])
        assert row.age == pytest.approx(round(2026.0 - born, 1))
        assert row.retirement_age == pytest.approx(round(age, 2))
        assert row.years_to_retirement == pytest.approx(round(at - 2026.0, 1))
        assert row.years_of_service == off.loc[row.official_id, "years_of_service"]
        assert row.gender == off.loc[row.official_id, "gender"]
    # no public-service-centre post anywhere: those officials have no post in their field within reach
    centre = surplus[surplus["field"] == "public_service_centre"]
    assert len(centre) == 6 and (centre["surplus_reason"] == "no_post_in_reach").all()
    assert (centre["reason_vi"].str.len() > 0).all()


def test_surplus_reasons_too_far_and_posts_full():
    # HD3, the only agriculture official, lives in Phường Châu; close its agriculture post: the other communes'
    # posts (min 0) are ~15 km away, beyond a 5 km threshold
    frames = tiny_frames()
    frames["staffing_norms"] = pd.concat([frames["staffing_norms"], pd.DataFrame([
        {"rule_id": "G103", "commune_code": 103, "commune_type": "any", "min_population": 0, "field": "agriculture",
         "position": "specialist", "min_count": 0, "max_count": 0, "per_10k_residents": 0.0}])], ignore_index=True)
    scenario = Scenario.from_dict({"staffing": {"distance_threshold_km": 5.0, "reference_date": "2026-01-01"}})
    surplus = run_plan(Dataset.from_frames(frames), scenario, stages=STAFFING).tables["surplus_officials"]
    assert dict(zip(surplus["official_id"], surplus["surplus_reason"])) == {"HD3": "too_far"}
    assert "farther than 5 km" in surplus["reason"].iloc[0]
    # the tiny province as it is: one official too many for the posts in reach, all filled (which one of two
    # equally costly officials stays out is the solver's choice among equal-cost plans)
    surplus = run_plan(Dataset.from_frames(tiny_frames()), Scenario(), stages=STAFFING).tables["surplus_officials"]
    assert len(surplus) == 1 and surplus["surplus_reason"].tolist() == ["posts_full"]


def _assignments_csv(plan, path):
    plan.tables["assignments"][["official_id", "commune_code", "position", "field"]].to_csv(path, index=False)
    return str(path)


def test_previous_plan_costs_moves_by_default(tmp_path):
    first = run_plan(Dataset.from_frames(tiny_frames()), Scenario(), stages=STAFFING)
    previous = _assignments_csv(first, tmp_path / "assignments.csv")
    # a small change: Xã An needs no office specialist any more, Phường Châu may take three
    frames = tiny_frames()
    frames["staffing_norms"] = pd.concat([frames["staffing_norms"], pd.DataFrame([
        {"rule_id": "O101", "commune_code": 101, "commune_type": "any", "min_population": 0, "field": "office",
         "position": "specialist", "min_count": 0, "max_count": 0, "per_10k_residents": 0.0},
        {"rule_id": "O103", "commune_code": 103, "commune_type": "any", "min_population": 0, "field": "office",
         "position": "specialist", "min_count": 1, "max_count": 3, "per_10k_residents": 0.0},
        {"rule_id": "P101", "commune_code": 101, "commune_type": "any", "min_population": 0, "field": "public_service_centre",
         "position": "specialist", "min_count": 1, "max_count": 1, "per_10k_residents": 0.0},
    ])], ignore_index=True)
    ds = Dataset.from_frames(frames)
    sticky = run_plan(ds, Scenario.from_dict({"staffing": {"previous_plan": previous}}), stages=STAFFING)
    free = run_plan(ds, Scenario.from_dict({"staffing": {"previous_plan": previous, "disruption_weight": 0}}), stages=STAFFING)

    def moved(plan):
        kpis = plan.kpis.set_index("kpi")["value"]
        before = first.tables["assignments"].set_index("official_id")
        now = plan.tables["assignments"].set_index("official_id")["commune_code"].reindex(before.index)
        by_hand = int((now.isna() | (now != before["commune_code"])).sum())
        assert int(kpis["officials_moved_from_previous"]) == by_hand
        both = now.notna()
        after = plan.tables["assignments"].set_index("official_id").reindex(before.index)
        changed = both & ((after["position"] != before["position"]) | (after["field"] != before["field"]))
        assert int(kpis["positions_changed_from_previous"]) == int(changed.sum())
        return by_hand

    assert moved(sticky) < moved(free)
    assert moved(sticky) >= 1  # Xã An's office specialist has to go
    assert any("previous plan" in str(note) for note in sticky.notes)


def test_no_change_kpis_without_a_previous_plan():
    plan = run_plan(Dataset.from_frames(tiny_frames()), Scenario(), stages=STAFFING)
    assert "officials_moved_from_previous" not in set(plan.kpis["kpi"])


def test_disruption_weight_default_is_50_only_with_a_previous_plan():
    options = Scenario().staffing
    assert options.disruption_weight is None
    assert options.disruption(True) == 50.0 and options.disruption(False) == 0.0
    assert Scenario.from_dict({"staffing": {"disruption_weight": 7}}).staffing.disruption(True) == 7.0


def test_facility_housing_keeps_its_value():
    # a housing need of Xã Bình worth 3.2 bn: the building given to it keeps 3.2 bn, not the officials'-housing
    # per-m² valuation (which has no far officials to house here)
    frames = tiny_frames()
    frames["facility_needs"] = pd.DataFrame([{"commune_code": 102, "use": "housing", "buildings_needed": 1,
                                              "min_floor_area_m2": 100, "value_vnd": 3.2e9}])
    ds = Dataset.from_frames(frames)
    sites = plan_sites(ds, Scenario(), None)
    staffing = StageResult(tables={"assignments": pd.DataFrame(
        [("X0", 102, 45.0), ("Y", 101, 5.0)], columns=["official_id", "commune_code", "distance_km"])})
    scenario = Scenario.from_dict({"assets": {"housing_for_officials": True}})
    uses = plan_building_uses(ds, scenario, sites, staffing).tables["building_uses"]
    housing = uses[uses["use"] == "housing"].set_index("building_id")
    assert housing.loc["B2", "value_vnd"] == pytest.approx(3.2e9)  # the facility need (B2: 150 m² >= 100)
    # the officials' housing building is valued per m² covered: 1 official far x 20 m² x 5 M VND
    assert housing.loc["B3", "value_vnd"] == pytest.approx(20 * 5e6)


def test_max_below_min_is_not_raised_silently():
    frames = tiny_frames()
    norms = frames["staffing_norms"]
    norms.loc[norms["rule_id"] == "A1", "max_count"] = 0  # min 1
    ds = Dataset.from_frames(frames)
    resolved = resolve_staffing_norms(ds["communes"], ds["staffing_norms"])
    row = resolved[resolved["field"] == "accounting_finance"].iloc[0]
    assert row["required_max"] == 0 and row["required_min"] == 1
    # per_10k growth still lifts the maximum: P1 has min 1, max 4, +1 per 10,000 residents (Phường Châu: 30,000)
    centre = resolved[(resolved["field"] == "public_service_centre") & (resolved["commune_code"] == 103)].iloc[0]
    assert centre["required_min"] == 4 and centre["required_max"] == 4


def test_max_below_min_is_an_input_error(tmp_path):
    from planner.errors import InputError
    from planner.validate import load_dataset

    frames = tiny_frames()
    norms = frames["staffing_norms"]
    norms.loc[norms["rule_id"] == "A1", "max_count"] = 0
    folder = Dataset.from_frames(frames).save_csv(tmp_path / "in")
    with pytest.raises(InputError) as err:
        load_dataset(folder)
    report = err.value.report(lang="en")
    assert "max_count" in report and "min_count (1)" in report


def test_norm_override_max_below_min_is_a_scenario_error():
    from planner.errors import ScenarioError

    with pytest.raises(ScenarioError, match="below min_count"):
        Scenario.from_dict({"norm_overrides": [{"field": "office", "min_count": 3, "max_count": 1}]})


def test_unmet_priority_1_equipment_is_said_at_the_top_of_the_summary(tiny_ds, tmp_path):
    import openpyxl

    from planner import labels as L
    from planner.kpis import kpi_frame, kpi_row
    from planner.report import write_plan_workbook

    plan = run_plan(tiny_ds, Scenario(), stages=("staffing",))
    plan.kpis = pd.concat([plan.kpis, kpi_frame([kpi_row("equipment_unmet_priority_1", 7)])], ignore_index=True)
    for lang, word in (("vi", "ưu tiên 1"), ("en", "priority-1")):
        ws = openpyxl.load_workbook(write_plan_workbook(plan, tiny_ds, tmp_path / f"w_{lang}.xlsx", lang=lang))[
            L.sheet_label("summary", lang)]
        assert word in str(ws["A3"].value).lower() and "7" in str(ws["A3"].value)
    plan.kpis = plan.kpis[plan.kpis["kpi"] != "equipment_unmet_priority_1"]
    ws = openpyxl.load_workbook(write_plan_workbook(plan, tiny_ds, tmp_path / "ok.xlsx"))[L.sheet_label("summary", "vi")]
    assert ws["A3"].value is None


# --- text the CSV writer neutralised reads back as written -------------------------------------------------------

TRICKY_TEXTS = ["=cmd|'/c calc'!A1", "+84 912", "-001", "@SUM(A1)", "\tX", "'=x", "''-y", "'\nz", "'abc", "'", "''",
                "a=b", "Cán bộ", "", "=", "\nY"]


def test_unneutralise_takes_back_exactly_the_apostrophe_added():
    from planner.files import looks_like_formula, neutralise, unneutralise

    for text in TRICKY_TEXTS:
        written = neutralise(text)
        assert not looks_like_formula(written)
        assert unneutralise(written) == text, (text, written)
    for value in (None, 3, -2.5, True):
        assert unneutralise(value) is value


def test_previous_plan_csv_reads_back_neutralised_ids_as_written(tmp_path):
    from planner.plan import write_table_csv
    from planner.readback import read_plan_assignments

    ids = ["=HYPERLINK(\"x\")", "-001", "'=x", "+84", "CB01"]
    table = pd.DataFrame({"official_id": ids, "commune_code": [1, 2, 3, 4, 5], "position": ["staff"] * 5,
                          "field": ["office"] * 5})
    write_table_csv(table, tmp_path / "assignments.csv")
    assert "'=HYPERLINK" in (tmp_path / "assignments.csv").read_text(encoding="utf-8-sig")
    back = read_plan_assignments(tmp_path / "assignments.csv")
    assert list(back["official_id"]) == ids
    assert list(back["commune_code"]) == [1, 2, 3, 4, 5]
