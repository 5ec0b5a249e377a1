"""Code lists as data: every code labelled in both languages, roles resolved, and a new field and a new item
type added by data rows alone (a copy of the lists with two more rows, PLANNER_VOCAB_DIR; no Python edit)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from planner import labels, vocab
from planner.errors import VocabError
from planner.schema import load_schema

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", vocab.list_names())
def test_every_code_has_vietnamese_and_english_labels(name):
    frame = vocab.table(name)
    assert len(frame) and frame["code"].is_unique
    assert (frame["label_vi"].str.len() > 0).all() and (frame["label_en"].str.len() > 0).all()


def test_every_schema_list_reference_names_a_list():
    refs = {col.vocab for spec in load_schema().values() for col in spec.columns if col.vocab}
    assert refs and refs <= set(vocab.list_names())


@pytest.mark.parametrize("name,role,expected", [
    ("fields", "it", "it_digital"), ("fields", "counter", "public_service_centre"), ("fields", "total", "total"),
    ("positions", "any", "any"), ("commune_types", "any", "any"), ("building_uses", "sale", "sale_or_lease")])
def test_roles_resolve_to_one_code(name, role, expected):
    assert vocab.role_code(name, role) == expected


def test_pseudo_codes_only_in_rules():
    assert "total" not in load_schema()["officials"].column("field").allowed
    assert "total" in load_schema()["staffing_norms"].column("field").allowed
    assert vocab.role_codes("positions", "leadership") == ("chair", "vice_chair")


def test_workbook_labels_come_from_the_lists():
    for code, vi in vocab.labels("item_types", "vi").items():
        assert labels.value_label("item_type", code, "vi") == vi
    assert labels.value_label("field", "total", "vi") == vocab.label("fields", "total", "vi")


def test_a_malformed_list_is_refused(tmp_path, monkeypatch):
    frame = vocab.table("genders").copy()
    frame.loc[1, "label_vi"] = ""
    frame.assign(pseudo=frame["pseudo"].map(str).str.lower()).to_csv(tmp_path / "genders.csv", index=False)
    monkeypatch.setenv("PLANNER_VOCAB_DIR", str(tmp_path))
    vocab.clear_cache()
    try:
        with pytest.raises(VocabError, match="label_vi"):
            vocab.table("genders")
    finally:
        monkeypatch.delenv("PLANNER_VOCAB_DIR")
        vocab.clear_cache()


# A child process with the extended lists: the new codes go through validation, every stage and the workbook.
SCRIPT = r"""
import json, sys
import pandas as pd
sys.path.insert(0, sys.argv[1])
from tiny import tiny_frames
from planner.dataset import Dataset
from planner.pipeline import run_plan
from planner.report import write_plan_workbook
from planner.scenario import Scenario
from planner.template import write_input_workbook
from planner.validate import load_dataset
import openpyxl

frames = tiny_frames()
new = [{"id": f"KS{k}", "name": f"Cán bộ ký số {k}", "old_unit_id": unit, "home_lon": pd.NA, "home_lat": pd.NA,
        "home_old_unit_id": unit, "position": "specialist", "field": "digital_signature", "secondary_field": pd.NA,
        "qualification": "bachelor", "grade": "specialist", "birth_year": 1990, "gender": "female",
        "eligible_for_leadership": False, "fixed_commune": pd.NA, "fixed_position": pd.NA, "willing_to_relocate": True}
       for k, unit in enumerate(["OU1", "OU3"])]
frames["officials"] = pd.concat([frames["officials"], pd.DataFrame(new)], ignore_index=True)
frames["staffing_norms"] = pd.concat([frames["staffing_norms"], pd.DataFrame([
    {"rule_id": "KS", "commune_type": "any", "min_population": 0, "field": "digital_signature", "position": "specialist",
     "min_count": 1, "max_count": 1, "per_10k_residents": 0.0}])], ignore_index=True)
frames["staffing_norms"].loc[frames["staffing_norms"]["field"] == "total", "max_count"] = 15
frames["equipment"] = pd.concat([frames["equipment"], pd.DataFrame([
    {"id": "EQ-TOKEN", "old_unit_id": "D1", "item_type": "signature_token", "count": 2, "condition": "good",
     "age_years": 1.0, "unit_value_vnd": 1e6}])], ignore_index=True)
frames["equipment_norms"] = pd.concat([frames["equipment_norms"], pd.DataFrame([
    {"rule_id": "TK", "item_type": "signature_token", "basis": "per_commune", "quantity": 1.0, "priority": 1,
     "commune_type": "any"}])], ignore_index=True)
frames["costs"] = pd.concat([frames["costs"], pd.DataFrame([
    {"parameter": p, "item_type": "signature_token", "value": v, "unit": "VND", "note": ""}
    for p, v in (("new_unit_price", 2e6), ("transport_cost_per_km", 500.0), ("repair_cost", 3e5))])], ignore_index=True)

out = sys.argv[2]
write_input_workbook(out + "/input.xlsx", Dataset.from_frames(frames, source="extended"))
ds = load_dataset(out + "/input.xlsx")  # validation accepts the new codes
plan = run_plan(ds, Scenario())
path = write_plan_workbook(plan, ds, out + "/plan.xlsx", lang="vi")
cells = {str(c.value) for ws in openpyxl.load_workbook(path, read_only=True) for row in ws.iter_rows() for c in row
         if c.value is not None}
a = plan.tables["assignments"]
demand = plan.tables["equipment_demand"]
print(json.dumps({
    "placed_new_field": int((a["field"] == "digital_signature").sum()),
    "token_demand": int(demand.loc[demand["item_type"] == "signature_token", "demand"].sum()),
    "token_moved": int(plan.tables["equipment_transfers"].query("item_type == 'signature_token'")["count"].sum()),
    "token_bought": int(plan.tables["equipment_purchases"].query("item_type == 'signature_token'")["count"].sum()),
    "field_label_shown": "Chữ ký số" in cells,
    "item_label_shown": "Thiết bị ký số" in cells,
    "raw_codes_shown": sorted({"digital_signature", "signature_token"} & cells),
}))
"""


def test_new_field_and_item_type_are_data_rows_only(tmp_path):
    lists = tmp_path / "vocab"
    lists.mkdir()
    for name in ("fields", "item_types"):
        shutil.copy(vocab.BUNDLED_DIR / f"{name}.csv", lists / f"{name}.csv")
    with open(lists / "fields.csv", "a", encoding="utf-8") as f:
        f.write("digital_signature,Chữ ký số,Digital signature,,false,500\n")
    with open(lists / "item_types.csv", "a", encoding="utf-8") as f:
        f.write("signature_token,Thiết bị ký số,Signature token,,false,0,0,0,0\n")
    env = {**os.environ, "PLANNER_VOCAB_DIR": str(lists)}
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT / "tests"), str(tmp_path)], capture_output=True,
                         text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["placed_new_field"] >= 1
    assert result["token_demand"] == 3  # one per commune
    assert result["token_moved"] + result["token_bought"] == 3  # two from the district office, one bought
    assert result["token_moved"] == 2
    assert result["field_label_shown"] and result["item_label_shown"]
    assert result["raw_codes_shown"] == []


def test_without_the_rows_the_new_codes_are_rejected(tmp_path):
    frames = __import__("tiny").tiny_frames()
    frames["officials"].loc[0, "field"] = "digital_signature"
    from planner.dataset import Dataset
    from planner.errors import InputError
    from planner.template import write_input_workbook
    from planner.validate import load_dataset

    write_input_workbook(tmp_path / "x.xlsx", Dataset.from_frames(frames, source="x"))
    with pytest.raises(InputError) as info:
        load_dataset(tmp_path / "x.xlsx")
    assert any(p.column == "field" and p.value == "digital_signature" for p in info.value.problems)


def test_sample_inventory_covers_every_item_type():
    from planner.sample import build_sample

    ds = build_sample("Lạng Sơn", seed=7)
    assert set(ds["equipment"]["item_type"]) <= set(vocab.codes("item_types"))
    assert isinstance(ds["equipment"], pd.DataFrame)
