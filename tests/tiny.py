"""A hand-made three-commune province for unit tests (small enough to check by hand)."""

from __future__ import annotations

import pandas as pd

from planner.dataset import Dataset


def tiny_frames() -> dict[str, pd.DataFrame]:
    communes = pd.DataFrame({
        "code": [101, 102, 103],
        "name": ["Xã An", "Xã Bình", "Phường Châu"],
        "type": ["xa", "xa", "phuong"],
        "area_km2": [120.0, 90.0, 15.0],
        "population": [12000, 8000, 30000],
        "lon": [106.60, 106.80, 106.70],
        "lat": [21.80, 21.80, 21.90],
    })
    old_units = pd.DataFrame({
        "id": ["OU1", "OU2", "OU3", "OU4", "OU5", "OU6", "D1"],
        "old_code": [1, 2, 3, 4, 5, 6, 0],
        "name": ["Xã An Cũ", "Xã An Hạ", "Xã Bình Cũ", "Xã Bình Hạ", "Phường Châu Cũ", "Thị trấn Châu", "Huyện Mẫu"],
        "kind": ["xa", "xa", "xa", "xa", "phuong", "thi_tran", "district_office"],
        "district": ["Huyện Mẫu"] * 7,
        "commune_code": [101, 101, 102, 102, 103, 103, 103],
        "lon": [106.58, 106.63, 106.78, 106.83, 106.69, 106.72, 106.70],
        "lat": [21.79, 21.82, 21.79, 21.82, 21.89, 21.91, 21.90],
        "population_share": [0.6, 0.4, 0.5, 0.5, 0.7, 0.3, 0.0],
    })
    fields = ["leadership", "leadership", "leadership", "accounting_finance", "it_digital", "office",
              "public_service_centre", "public_service_centre", "culture_social", "land_environment"]
    positions = ["chair", "vice_chair", "vice_chair"] + ["specialist"] * 7
    rows = []
    for c_idx, (ou_a, ou_b, code) in enumerate([("OU1", "OU2", 101), ("OU3", "OU4", 102), ("OU5", "OU6", 103)]):
        for k, (f, p) in enumerate(zip(fields, positions)):
            unit = ou_a if k % 2 == 0 else ou_b
            src = old_units.set_index("id").loc[unit]
            rows.append({
                "id": f"CB{c_idx}{k:02d}", "name": f"Cán bộ {c_idx}-{k}", "old_unit_id": unit,
                "home_lon": float(src.lon) + 0.01, "home_lat": float(src.lat), "home_old_unit_id": pd.NA,
                "position": p, "field": f, "secondary_field": "office" if f == "culture_social" else pd.NA,
                "qualification": "bachelor", "grade": "specialist", "birth_year": 1975 + k, "gender": "female" if k % 2 else "male",
                "eligible_for_leadership": p != "specialist",
                "fixed_commune": code if p == "chair" else pd.NA, "fixed_position": "chair" if p == "chair" else pd.NA,
                "willing_to_relocate": k % 3 == 0,
            })
    # district staff with no post of their own yet
    for k, f in enumerate(["accounting_finance", "it_digital", "office", "agriculture"]):
        rows.append({"id": f"HD{k}", "name": f"Cán bộ huyện {k}", "old_unit_id": "D1", "home_lon": pd.NA, "home_lat": pd.NA,
                     "home_old_unit_id": "OU5", "position": "specialist", "field": f, "secondary_field": pd.NA,
                     "qualification": "master", "grade": "principal_specialist", "birth_year": 1968 + k, "gender": "male",
                     "eligible_for_leadership": False, "fixed_commune": pd.NA, "fixed_position": pd.NA,
                     "willing_to_relocate": False})
    officials = pd.DataFrame(rows)
    staffing_norms = pd.DataFrame([
        {"rule_id": "L1", "commune_type": "any", "min_population": 0, "field": "leadership", "position": "chair", "min_count": 1, "max_count": 1, "per_10k_residents": 0.0},
        {"rule_id": "L2", "commune_type": "any", "min_population": 0, "field": "leadership", "position": "vice_chair", "min_count": 2, "max_count": 2, "per_10k_residents": 0.0},
        {"rule_id": "A1", "commune_type": "any", "min_population": 0, "field": "accounting_finance", "position": "specialist", "min_count": 1, "max_count": 2, "per_10k_residents": 0.0},
        {"rule_id": "I1", "commune_type": "any", "min_population": 0, "field": "it_digital", "position": "specialist", "min_count": 1, "max_count": 2, "per_10k_residents": 0.0},
        {"rule_id": "O1", "commune_type": "any", "min_population": 0, "field": "office", "position": "specialist", "min_count": 1, "max_count": 2, "per_10k_residents": 0.0},
        {"rule_id": "P1", "commune_type": "any", "min_population": 0, "field": "public_service_centre", "position": "specialist", "min_count": 1, "max_count": 4, "per_10k_residents": 1.0},
        {"rule_id": "C1", "commune_type": "any", "min_population": 0, "field": "culture_social", "position": "specialist", "min_count": 1, "max_count": 2, "per_10k_residents": 0.0},
        {"rule_id": "E1", "commune_type": "any", "min_population": 0, "field": "land_environment", "position": "specialist", "min_count": 0, "max_count": 2, "per_10k_residents": 0.0},
        {"rule_id": "G1", "commune_type": "any", "min_population": 0, "field": "agriculture", "position": "specialist", "min_count": 0, "max_count": 1, "per_10k_residents": 0.0},
        {"rule_id": "T1", "commune_type": "any", "min_population": 0, "field": "total", "position": "any", "min_count": 0, "max_count": 14, "per_10k_residents": 0.0},
    ])
    equipment = pd.DataFrame([
        {"id": f"EQ{i}", "old_unit_id": ou, "item_type": t, "count": n, "condition": cond, "age_years": 4.0, "unit_value_vnd": v}
        for i, (ou, t, n, cond, v) in enumerate([
            ("OU1", "desktop", 6, "good", 8e6), ("OU2", "desktop", 3, "repairable", 5e6), ("OU3", "desktop", 2, "unusable", 1e6),
            ("OU5", "desktop", 14, "good", 9e6), ("D1", "desktop", 10, "good", 9e6), ("OU1", "printer", 2, "good", 3e6),
            ("OU4", "printer", 1, "repairable", 2e6), ("D1", "desk", 20, "good", 2e6), ("OU3", "desk", 5, "good", 2e6),
            ("OU6", "queue_machine", 1, "good", 30e6),
        ])
    ])
    equipment_norms = pd.DataFrame([
        {"rule_id": "N1", "item_type": "desktop", "basis": "per_official", "quantity": 1.0, "priority": 2, "commune_type": "any"},
        {"rule_id": "N2", "item_type": "printer", "basis": "per_commune", "quantity": 2.0, "priority": 2, "commune_type": "any"},
        {"rule_id": "N3", "item_type": "desk", "basis": "per_official", "quantity": 1.0, "priority": 3, "commune_type": "any"},
        {"rule_id": "N4", "item_type": "queue_machine", "basis": "per_counter", "quantity": 0.5, "priority": 1, "commune_type": "any"},
        {"rule_id": "N5", "item_type": "desktop", "basis": "per_counter", "quantity": 1.0, "priority": 1, "commune_type": "any"},
    ])
    buildings = pd.DataFrame([
        {"id": "B1", "name": "Trụ sở UBND xã An cũ", "old_unit_id": "OU1", "kind": "commune_hq", "lon": 106.58, "lat": 21.79, "floor_area_m2": 400.0, "land_area_m2": 2000.0, "condition": "good", "renovation_cost_vnd": 0.0, "book_value_vnd": 3e9, "current_use": "commune_hq"},
        {"id": "B2", "name": "Trụ sở UBND xã An Hạ cũ", "old_unit_id": "OU2", "kind": "commune_hq", "lon": 106.63, "lat": 21.82, "floor_area_m2": 150.0, "land_area_m2": 1200.0, "condition": "poor", "renovation_cost_vnd": 8e8, "book_value_vnd": 1e9, "current_use": "commune_hq"},
        {"id": "B3", "name": "Trụ sở UBND xã Bình cũ", "old_unit_id": "OU3", "kind": "commune_hq", "lon": 106.78, "lat": 21.79, "floor_area_m2": 300.0, "land_area_m2": 1500.0, "condition": "fair", "renovation_cost_vnd": 2e8, "book_value_vnd": 2e9, "current_use": "commune_hq"},
        {"id": "B4", "name": "Trụ sở UBND xã Bình Hạ cũ", "old_unit_id": "OU4", "kind": "commune_hq", "lon": 106.83, "lat": 21.82, "floor_area_m2": 350.0, "land_area_m2": 1500.0, "condition": "good", "renovation_cost_vnd": 0.0, "book_value_vnd": 2.5e9, "current_use": "commune_hq"},
        {"id": "B5", "name": "Trụ sở UBND phường Châu cũ", "old_unit_id": "OU5", "kind": "commune_hq", "lon": 106.69, "lat": 21.89, "floor_area_m2": 500.0, "land_area_m2": 2500.0, "condition": "good", "renovation_cost_vnd": 0.0, "book_value_vnd": 6e9, "current_use": "commune_hq"},
        {"id": "B6", "name": "Trụ sở thị trấn Châu cũ", "old_unit_id": "OU6", "kind": "commune_hq", "lon": 106.72, "lat": 21.91, "floor_area_m2": 250.0, "land_area_m2": 1000.0, "condition": "good", "renovation_cost_vnd": 0.0, "book_value_vnd": 4e9, "current_use": "commune_hq"},
        {"id": "B7", "name": "Trụ sở Huyện ủy - UBND huyện Mẫu", "old_unit_id": "D1", "kind": "district_office", "lon": 106.70, "lat": 21.90, "floor_area_m2": 1500.0, "land_area_m2": 6000.0, "condition": "good", "renovation_cost_vnd": 0.0, "book_value_vnd": 20e9, "current_use": "district_office"},
    ])
    costs = pd.DataFrame(
        [{"parameter": "new_unit_price", "item_type": t, "value": v, "unit": "VND", "note": ""} for t, v in
         [("desktop", 15e6), ("printer", 5e6), ("desk", 3e6), ("queue_machine", 40e6)]]
        + [{"parameter": "transport_cost_per_km", "item_type": t, "value": v, "unit": "VND/km/item", "note": ""} for t, v in
           [("desktop", 2000.0), ("printer", 2000.0), ("desk", 5000.0), ("queue_machine", 5000.0)]]
        + [{"parameter": "repair_cost", "item_type": t, "value": v, "unit": "VND", "note": ""} for t, v in
           [("desktop", 2e6), ("printer", 1e6), ("desk", 5e5), ("queue_machine", 5e6)]]
        + [{"parameter": p, "item_type": pd.NA, "value": v, "unit": "VND", "note": ""} for p, v in
           [("equipment_budget", 300e6), ("renovation_budget", 2e9), ("extension_cost_per_m2", 6e6),
            ("idle_cost_per_m2_year", 50e3), ("service_point_fixed_cost", 150e6)]]
    )
    info = pd.DataFrame({"key": ["province_name", "province_code", "generator"], "value": ["Tỉnh Mẫu", "99", "tests/tiny.py (hand-made)"]})
    return {"communes": communes, "old_units": old_units, "officials": officials, "staffing_norms": staffing_norms,
            "equipment": equipment, "equipment_norms": equipment_norms, "buildings": buildings, "costs": costs, "info": info}


def tiny_dataset() -> Dataset:
    return Dataset.from_frames(tiny_frames(), source="tiny")
