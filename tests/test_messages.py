"""The message catalogue, and model sentences shown in the workbook's language."""

import string

import openpyxl
import pytest
from tiny import tiny_dataset

from planner.messages import CATALOGUE, message
from planner.plan import run_plan
from planner.report import write_plan_workbook
from planner.report.labels import column_label, sheet_label
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
    vietnamese = {"reason": "không còn chỉ tiêu trống thuộc lĩnh vực Văn phòng - Thống kê",
                  "note": "bán hoặc cho thuê theo giá trị sổ sách", "summary": "Bố trí cán bộ:"}
    english = {"reason": "no vacancy in field office", "note": "sale or lease at book value", "summary": "Staffing:"}
    shown, hidden = (vietnamese, english) if lang == "vi" else (english, vietnamese)
    for text, where in ((reasons, "reason"), (notes, "note"), (summary, "summary")):
        assert shown[where] in text
        assert hidden[where] not in text
    assert ("trụ sở Xã An" if lang == "vi" else "headquarters of Xã An") in notes
