"""The message catalogue, and model sentences shown in the workbook's language."""

import string

import openpyxl
import pandas as pd
import pytest
from tiny import tiny_dataset

from planner.cli import main
from planner.template import write_input_workbook
from planner.messages import CATALOGUE, message
from planner.models.facility_location import explain_infeasible
from planner.errors import PlanInfeasible
from planner.pipeline import run_plan
from planner.report import write_infeasibility, write_plan_workbook
from planner.labels import column_label, sheet_label, text
from planner.scenario import Scenario


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_message_has_vietnamese_and_english_with_the_same_placeholders(key):
    vi, en = CATALOGUE[key]
    assert vi.strip() and en.strip() and vi != en
    assert _placeholders(vi) == _placeholders(en)


def test_message_spells_out_codes_and_nested_messages_in_vietnamese():
    fields = message("field_or_field", field="office", other_field="health")
    reason = message("no_post_in_field", field=fields, reach=message("within_km", km="60"))
    assert reason == "no post in field office or health within 60 km"
    assert reason.vi == "không có vị trí thuộc lĩnh vực Văn phòng - Thống kê hoặc Y tế trong bán kính 60 km"


@pytest.fixture(scope="module")
def tiny_plan():
    ds = tiny_dataset()
    return ds, run_plan(ds, Scenario())


def _column(path, table: str, column: str, lang: str) -> list[str]:
    ws = openpyxl.load_workbook(path)[sheet_label(table, lang)]
    header_row = next(row for row in ws.iter_rows() if any(c.value == column_label(column, lang) for c in row))
    headers = [c.value for c in header_row]
    assert column_label(column + "_vi", lang) not in headers  # one language per sheet
    k = headers.index(column_label(column, lang))
    return [row[k].value for row in ws.iter_rows(min_row=header_row[0].row + 1) if row[k].value]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_workbook_shows_model_sentences_in_its_language(tiny_plan, tmp_path, lang):
    ds, plan = tiny_plan
    path = write_plan_workbook(plan, ds, tmp_path / f"plan_{lang}.xlsx", lang=lang)
    reasons = " | ".join(_column(path, "surplus_officials", "reason", lang))
    notes = " | ".join(_column(path, "building_uses", "note", lang))
    summary = " | ".join(str(c.value) for row in openpyxl.load_workbook(path)[sheet_label("summary", lang)].iter_rows()
                         for c in row if c.value)
    # the surplus official's field is the solver's choice among equal-cost plans: the sentence is what is checked
    vietnamese = {"reason": "không còn chỉ tiêu trống thuộc lĩnh vực ",
                  "note": "bán hoặc cho thuê theo giá trị sổ sách", "summary": "Bố trí cán bộ:"}
    english = {"reason": "no vacancy in field ", "note": "sale or lease at book value", "summary": "Staffing:"}
    shown, hidden = (vietnamese, english) if lang == "vi" else (english, vietnamese)
    for text, where in ((reasons, "reason"), (notes, "note"), (summary, "summary")):
        assert shown[where] in text
        assert hidden[where] not in text
    assert ("trụ sở Xã An" if lang == "vi" else "headquarters of Xã An") in notes


NO_ROOM = {"name": "no room", "norm_overrides": [{"field": "total", "position": "any", "max_count": 0}]}
CEILING_VI = "Xã An (101): 1 cán bộ đã được chốt nhưng biên chế tối đa chỉ là 0 (vượt 1)."
CEILING_EN = "Xã An (101): 1 officials are pinned but the headcount ceiling is 0 (1 over)."


@pytest.fixture(scope="module")
def no_room():
    ds = tiny_dataset()
    assert ds["officials"]["fixed_commune"].notna().any()  # a pinned leader: the zero ceiling cannot hold
    with pytest.raises(PlanInfeasible) as err:
        run_plan(ds, Scenario.from_dict(NO_ROOM))
    return ds, err.value


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_infeasibility_is_written_in_the_workbook_language(no_room, tmp_path, lang):
    ds, err = no_room
    path = write_infeasibility(err, tmp_path / "plan.xlsx", scenario=Scenario.from_dict(NO_ROOM), dataset=ds, lang=lang)
    cells = " | ".join(str(c.value) for ws in openpyxl.load_workbook(path) for row in ws.iter_rows() for c in row if c.value)
    txt = path.with_suffix(".txt").read_text(encoding="utf-8")
    shown, hidden = (CEILING_VI, CEILING_EN) if lang == "vi" else (CEILING_EN, CEILING_VI)
    for text in (cells, txt):
        assert shown in text and hidden not in text


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_cli_prints_the_explanation_in_its_language(tmp_path, capsys, lang):
    source, scenario = tmp_path / "input.xlsx", tmp_path / "no_room.yaml"
    write_input_workbook(source, tiny_dataset())
    scenario.write_text(Scenario.from_dict(NO_ROOM).to_yaml(), encoding="utf-8")
    assert main(["solve", str(source), "--scenario", str(scenario), "--out", str(tmp_path / "plan.xlsx"), "--lang", lang]) == 3
    err = capsys.readouterr().err
    shown, hidden = (CEILING_VI, CEILING_EN) if lang == "vi" else (CEILING_EN, CEILING_VI)
    assert shown in err and hidden not in err
    assert text("infeasible_title", lang) in err


def test_facility_location_reasons_speak_the_callers_words_in_both_languages():
    sites = pd.DataFrame({"site_id": ["S1"], "capacity": [10.0], "fixed_cost": [1.0]})
    customers = pd.DataFrame({"customer_id": ["U1", "U2"], "demand": [12.0, 3.0]})
    arcs = pd.DataFrame({"customer_id": ["U1"], "site_id": ["S1"], "cost": [1.0]})
    generic = explain_infeasible(sites, customers, arcs, single_source=True)
    assert generic[0] == "Customer U2 (3 units of demand) has no facility it may use."
    lines = explain_infeasible(sites, customers, arcs, single_source=True, customer_word=message("word_old_unit"),
                               facility_word=message("word_service_point"), demand_word=message("word_residents"))
    assert lines[0] == "Old unit U2 (3 residents) has no service point it may use."
    assert lines[0].vi == "Đơn vị cũ U2 (3 người dân) không có điểm phục vụ nào được phép sử dụng."
    assert lines[2] == ("With single sourcing each old unit is served by one service point, so this is infeasible; "
                        "allowing split demand would serve them.")
    assert lines[2].vi.startswith("Khi mỗi đơn vị cũ chỉ do một điểm phục vụ phục vụ")
