"""Qualification rules as data: posts that need a level or training in their field, retraining limits, training needs."""

from __future__ import annotations

import pandas as pd

from planner import vocab
from planner.dataset import Dataset
from planner.derived import post_rules, qualification_rules
from planner.models.staffing import plan_staffing
from planner.scenario import Scenario
from tiny import tiny_frames


def staffing(frames, **options):
    scenario = Scenario.from_dict({"staffing": {"fairness": False, "it_support": {"enabled": False}, **options}})
    return plan_staffing(Dataset.from_frames(frames, source="tiny"), scenario, hq=None)


def test_every_rule_has_a_source_and_known_codes():
    rules = qualification_rules()
    assert (rules["source"].str.len() > 0).all() and rules["basis"].isin(["law", "guidance", "assumption"]).all()
    assert set(rules["field"]) <= set(vocab.codes("fields"))
    assert set(rules["min_qualification"]) - {""} <= set(vocab.codes("qualifications"))
    looked_up = post_rules(pd.Series(["leadership", "it_digital", "office"]), pd.Series(["vice_chair", "specialist", "specialist"]))
    assert looked_up["min_rank"].tolist() == [3.0, 0.0, 0.0] and looked_up["field_training"].tolist() == [False, True, False]


def test_an_official_below_the_leaders_level_is_not_made_vice_chair():
    frames = tiny_frames()
    officials = frames["officials"]
    vice = officials.index[(officials["position"] == "vice_chair")]
    officials.loc[vice, "qualification"] = "college"  # below the bachelor's degree of the leaders' rule
    officials.loc[vice, "fixed_commune"] = pd.NA
    result = staffing(frames)
    placed = result.tables["assignments"].set_index("official_id")
    for official in officials.loc[vice, "id"]:
        assert official not in placed.index or placed.loc[official, "position"] != "vice_chair"


def test_no_one_is_placed_in_it_without_training_even_when_mismatch_is_allowed():
    frames = tiny_frames()
    frames["officials"] = frames["officials"][frames["officials"]["field"] != "it_digital"].reset_index(drop=True)
    result = staffing(frames, allow_mismatch=True)
    a = result.tables["assignments"].merge(frames["officials"][["id", "field", "secondary_field"]],
                                           left_on="official_id", right_on="id", suffixes=("", "_official"))
    in_it = a[a["field"] == "it_digital"]
    assert (in_it["secondary_field"] == "it_digital").all()  # only those trained in IT as their second field
    assert len(a[(a["match"] == "mismatch") & a["field"].isin(["it_digital", "accounting_finance"])]) == 0


def test_retraining_is_limited_per_field_and_listed_as_training_needs():
    frames = tiny_frames()
    officials = frames["officials"]
    officials.loc[officials["field"] == "office", "secondary_field"] = "it_digital"
    officials.loc[officials["field"] == "culture_social", "secondary_field"] = "it_digital"
    officials.loc[officials["field"] == "it_digital", "field"] = "office"  # nobody is trained in IT first
    free = staffing(frames)
    retrained = free.tables["training_needs"]
    assert (retrained["field"] == "it_digital").sum() >= 2
    assert set(retrained["match"]) <= {"secondary", "mismatch"} and retrained["reason_vi"].str.len().gt(0).all()
    limited = staffing(frames, retraining_limit={"it_digital": 1})
    needs = limited.tables["training_needs"]
    assert (needs["field"] == "it_digital").sum() <= 1
    a = limited.tables["assignments"]
    assert ((a["field"] == "it_digital") & (a["match"] != "primary")).sum() <= 1
