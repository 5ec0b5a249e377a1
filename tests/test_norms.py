"""planner.norms: which staffing rule applies to which commune, and the headcount ceilings."""

from __future__ import annotations

import math

import pandas as pd

from planner.dataset import conform
from planner.norms import headcount_ceilings, planned_headcount_from_norms, resolve_staffing_norms
from planner.scenario import NormOverride
from planner.schema import load_schema

SCHEMA = load_schema()


def communes() -> pd.DataFrame:
    return conform(pd.DataFrame({
        "code": [1, 2, 3], "name": ["Xã Một", "Xã Hai", "Phường Ba"], "type": ["xa", "xa", "phuong"],
        "area_km2": [100.0, 80.0, 10.0], "population": [12_000, 8_000, 30_000],
        "lon": [105.0, 105.1, 105.2], "lat": [21.0, 21.1, 21.2],
    }), SCHEMA["communes"])


def norms(rows: list[dict]) -> pd.DataFrame:
    return conform(pd.DataFrame(rows), SCHEMA["staffing_norms"])


def requirement(resolved: pd.DataFrame, code: int, field: str, position: str = "specialist") -> tuple[int, float, str]:
    row = resolved[(resolved["commune_code"] == code) & (resolved["field"] == field) & (resolved["position"] == position)]
    assert len(row) == 1, resolved
    return int(row["required_min"].iloc[0]), float(row["required_max"].iloc[0]), str(row["rule_id"].iloc[0])


def test_per_commune_rule_beats_class_rules_wherever_it_is_listed():
    resolved = resolve_staffing_norms(communes(), norms([
        {"rule_id": "own", "commune_code": 2, "field": "office", "min_count": 3, "max_count": 5},
        {"rule_id": "xa", "commune_type": "xa", "field": "office", "min_count": 1, "max_count": 2},
        {"rule_id": "all", "field": "office", "min_count": 1, "max_count": 1},
    ]))
    assert requirement(resolved, 2, "office") == (3, 5.0, "own")
    assert requirement(resolved, 1, "office") == (1, 2.0, "xa")
    assert requirement(resolved, 3, "office") == (1, 1.0, "all")


def test_specific_commune_type_beats_any_then_later_row_wins():
    resolved = resolve_staffing_norms(communes(), norms([
        {"rule_id": "phuong", "commune_type": "phuong", "field": "culture_social", "min_count": 2},
        {"rule_id": "any-old", "field": "culture_social", "min_count": 1},
        {"rule_id": "any-new", "field": "culture_social", "min_count": 0},
    ]))
    assert requirement(resolved, 3, "culture_social")[::2] == (2, "phuong")
    assert requirement(resolved, 1, "culture_social")[::2] == (0, "any-new")
    assert math.isnan(requirement(resolved, 1, "culture_social")[1])  # no max_count = no limit


def test_population_bands():
    resolved = resolve_staffing_norms(communes(), norms([
        {"rule_id": "small", "field": "office", "min_count": 1, "max_population": 10_000},
        {"rule_id": "large", "field": "office", "min_count": 2, "min_population": 10_000},
    ]))
    assert requirement(resolved, 2, "office")[::2] == (1, "small")  # 8,000 residents
    assert requirement(resolved, 1, "office")[::2] == (2, "large")  # 12,000: the band's lower end is inclusive


def test_per_10k_residents_rounds_up_and_raises_the_max():
    resolved = resolve_staffing_norms(communes(), norms([
        {"rule_id": "P", "field": "public_service_centre", "min_count": 1, "max_count": 3, "per_10k_residents": 1.0},
    ]))
    assert requirement(resolved, 1, "public_service_centre")[:2] == (3, 3.0)  # 1 + ceil(1.2)
    assert requirement(resolved, 2, "public_service_centre")[:2] == (2, 3.0)  # 1 + ceil(0.8)
    assert requirement(resolved, 3, "public_service_centre")[:2] == (4, 4.0)  # 1 + 3 exactly; max lifted to the min


def test_scenario_override_changes_a_listed_rule_and_adds_an_unlisted_one():
    base = norms([{"rule_id": "I", "field": "it_digital", "min_count": 1, "max_count": 1}])
    resolved = resolve_staffing_norms(communes(), base, [
        NormOverride(field="it_digital", min_count=2, max_count=3),
        NormOverride(field="health", min_count=1),
    ])
    assert all(requirement(resolved, code, "it_digital")[:2] == (2, 3.0) for code in (1, 2, 3))
    assert all(requirement(resolved, code, "health")[0] == 1 for code in (1, 2, 3))
    assert base["min_count"].tolist() == [1]  # the input table is not modified


def test_scenario_override_for_one_commune_type_leaves_the_others():
    resolved = resolve_staffing_norms(communes(), norms([{"rule_id": "O", "field": "office", "min_count": 1, "max_count": 2}]),
                                      [NormOverride(field="office", commune_type="phuong", min_count=4)])
    assert requirement(resolved, 3, "office")[:2] == (4, 4.0)
    assert requirement(resolved, 1, "office")[:2] == (1, 2.0)


def test_headcount_ceilings_from_total_rows():
    resolved = resolve_staffing_norms(communes(), norms([
        {"rule_id": "T", "field": "total", "position": "any", "max_count": 40},
        {"rule_id": "T3", "commune_code": 3, "field": "total", "position": "any", "max_count": 55},
        {"rule_id": "O", "field": "office", "min_count": 1},
    ]))
    ceilings = headcount_ceilings(resolved)
    assert ceilings.to_dict() == {1: 40.0, 2: 40.0, 3: 55.0}


def test_headcount_from_norms_counts_minimums_without_the_total():
    resolved = resolve_staffing_norms(communes(), norms([
        {"rule_id": "T", "field": "total", "position": "any", "max_count": 40},
        {"rule_id": "C", "field": "leadership", "position": "chair", "min_count": 1, "max_count": 1},
        {"rule_id": "O", "field": "office", "min_count": 2},
    ]))
    heads = planned_headcount_from_norms(resolved)
    one = heads[heads["commune_code"] == 1].set_index(["position", "field"])["headcount"].to_dict()
    assert one == {("chair", "leadership"): 1, ("specialist", "office"): 2}
