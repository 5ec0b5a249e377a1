"""CLI: `planner validate` on a deliberately broken workbook lists every planted problem; solve refuses it; docs in sync."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl.utils import get_column_letter

from planner.cli import main
from planner.schema import load_schema
from test_validate import edit_workbook, excel_row, tiny_workbook
from tiny import tiny_frames

DOCS = Path(__file__).resolve().parents[1] / "docs"


def broken_workbook(folder: Path) -> tuple[Path, list[tuple[str, int | None, str]]]:
    """The tiny province with ten planted problems across sheets; returns (path, [(sheet, row, column)])."""
    frames = tiny_frames()
    chair = excel_row(frames, "officials", "id", "CB100")
    planted = [
        ("communes", 3, "population", "tám nghìn"),             # text in a number column
        ("communes", 4, "lat", 25.7),                           # outside Vietnam
        ("old_units", 3, "kind", "huyen"),                      # not an allowed value
        ("officials", 2, "old_unit_id", "OU42"),                # unknown old unit
        ("officials", 5, "birth_year", 1971.5),                 # not a whole number
        ("officials", chair, "eligible_for_leadership", False),  # pinned chair not eligible
        ("officials", 9, "id", "CB000"),                        # duplicate id
        ("equipment", 4, "count", -2),                          # negative count
        ("buildings", 3, "floor_area_m2", "=B2*2"),             # formula
        ("staffing_norms", 3, "max_count", 1),                  # max below min (min 2)
    ]
    edits: dict[str, list] = {}
    for sheet, row, column, value in planted:
        edits.setdefault(sheet, []).append((row, column, value))
    path = edit_workbook(tiny_workbook(folder, name="broken.xlsx"), edits)
    return path, [(sheet, row, column) for sheet, row, column, _ in planted]


def _letter(sheet: str, column: str) -> str:
    return get_column_letter(load_schema()[sheet].column_names.index(column) + 1)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_validate_lists_every_planted_problem(tmp_path, capsys, lang):
    """Every planted problem once, with sheet, row, column letter and header as written (Vietnamese by default)."""
    path, planted = broken_workbook(tmp_path)
    assert main(["validate", str(path), "--lang", lang]) == 2
    report = capsys.readouterr().err
    lines = report.splitlines()
    assert lines[0].startswith(f"{len(planted)} lỗi trong " if lang == "vi" else f"{len(planted)} problems in ")
    words = ("trang", "dòng", "cột") if lang == "vi" else ("sheet", "row", "column")
    for sheet, row, column in planted:
        where = f"broken.xlsx, {words[0]} {sheet}, {words[1]} {row}, {words[2]} {_letter(sheet, column)} ({column}): "
        assert sum(where in line for line in lines) == 1, f"{where!r} missing from\n{report}"
    assert "Traceback" not in report


def test_validate_valid_workbook(tmp_path, capsys):
    assert main(["validate", str(tiny_workbook(tmp_path))]) == 0
    assert "hợp lệ (Xã mới: 3" in capsys.readouterr().out
    assert main(["validate", str(tiny_workbook(tmp_path)), "--lang", "en"]) == 0
    assert "valid (New communes: 3" in capsys.readouterr().out


def test_solve_refuses_broken_input_and_writes_nothing(tmp_path, capsys):
    pytest.importorskip("planner.report")  # the solve command imports the report writer first
    path, _ = broken_workbook(tmp_path)
    out = tmp_path / "out" / "plan.xlsx"
    csv_dir = tmp_path / "out" / "csv"
    assert main(["solve", str(path), "--out", str(out), "--csv-dir", str(csv_dir)]) == 2
    assert not out.exists() and not csv_dir.exists() and not out.parent.exists()
    assert "10 lỗi trong" in capsys.readouterr().err


def test_committed_docs_match_the_code(tmp_path):
    assert main(["dictionary", str(tmp_path / "data_dictionary.md")]) == 0
    for name in ("data_dictionary.md", "scenario.md"):
        fresh = (tmp_path / name).read_text(encoding="utf-8")
        committed = (DOCS / name).read_text(encoding="utf-8")
        assert fresh == committed, f"docs/{name} is out of date: run `planner dictionary`"


def test_readme_data_model_matches_the_schema():
    from planner.docs import readme_data_model

    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    assert readme_data_model(readme) == readme, "README data model is out of date: run `make docs`"
