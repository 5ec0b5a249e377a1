"""planner import-roster: rosters in the layouts departments keep (generated here with openpyxl for Cao Bằng and
Lào Cai; the public Lạng Sơn example from ../shared when present) become staffing-ready input workbooks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from planner import vocab
from planner.cli import main
from planner.errors import InputError
from planner.roster import MAPPING_SHEET, import_roster, write_roster_workbook
from planner.sample import sample_geography
from planner.validate import load_dataset
from planner.yesno import fold

EXAMPLE = Path(__file__).resolve().parents[2] / "shared" / "examples" / "roster_lang_son.xlsx"
PROVINCE = "Cao Bằng"
HEADER = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Chức vụ", "Trình độ chuyên môn", "Chuyên ngành đào tạo",
          "Đơn vị công tác trước sắp xếp", "Nơi ở hiện nay", "Dự kiến bố trí"]


def geography(province=PROVINCE):
    communes, old_units = sample_geography(province)
    kinds = set(vocab.role_codes("old_unit_kinds", "district_office"))
    parts = old_units[~old_units["kind"].isin(kinds)]
    counts = parts.groupby("name")["old_code"].nunique()
    unique = parts[parts["name"].map(counts) == 1].drop_duplicates("old_code")
    shared = parts[parts["name"].map(counts) > 1].sort_values(["name", "district"])
    offices = old_units[old_units["kind"].isin(kinds)]
    return communes, unique, shared, offices


def person(k: int, unit: str, title="Công chức Văn phòng - Thống kê", *, birth="05/06/1985", gender="Nam",
           qualification="Đại học", training="Hành chính", home=None, post=None) -> list:
    return [k, f"Nguyễn Văn Thử {k}", birth, gender, title, qualification, training, unit, home or unit, post]


def write_roster(path: Path, rows: list[list], *, header=HEADER, title_rows=2, sub_header=None, merges=(),
                 column_numbers=False) -> Path:
    """A roster sheet: title rows merged across, the header (and a sub-header row), optional column numbers, rows."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Danh sách"
    width = len(header)
    for k in range(title_rows):
        ws.append(["DANH SÁCH CÁN BỘ, CÔNG CHỨC CẤP XÃ DỰ KIẾN BỐ TRÍ" if k == title_rows - 1 else "ỦY BAN NHÂN DÂN TỈNH"])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=width)
    ws.append(header)
    if sub_header is not None:
        ws.append(sub_header)
    for ref in merges:
        ws.merge_cells(ref)
    if column_numbers:
        ws.append([f"({k})" for k in range(1, width + 1)])
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def officials_by_name(result) -> pd.DataFrame:
    return result.dataset["officials"].set_index("name")


def unit_ids(result, names) -> list[str]:
    return officials_by_name(result).loc[names, "old_unit_id"].tolist()


# ---------------------------------------------------------------------------------------------------------------------


needs_example = pytest.mark.skipif(not EXAMPLE.exists(), reason="../shared/examples/roster_lang_son.xlsx is absent (no ../shared)")


@pytest.fixture(scope="module")
def example_input(tmp_path_factory):
    out = tmp_path_factory.mktemp("example") / "lang_son_input.xlsx"
    assert main(["import-roster", str(EXAMPLE), "--province", "Lạng Sơn", "--out", str(out)]) == 0
    return out


@needs_example
def test_public_example_imports_every_person_once_and_maps_every_row(example_input):
    roster = openpyxl.load_workbook(EXAMPLE, read_only=True).active
    persons = sum(1 for row in roster.iter_rows(values_only=True) if isinstance(row[0], int))
    ds = load_dataset(example_input)
    assert len(ds["officials"]) == persons and ds["officials"]["id"].is_unique
    mapping = pd.read_excel(example_input, sheet_name=MAPPING_SHEET["vi"], header=None)
    start = mapping.index[mapping[0] == "Dòng"][0]
    assert mapping.loc[start + 1:, 0].astype(int).tolist() == list(range(1, roster.max_row + 1))


@needs_example
@pytest.mark.slow
def test_public_example_solves_with_every_official_exactly_once(example_input):
    from planner.pipeline import run_plan
    from planner.scenario import Scenario

    ds = load_dataset(example_input)
    plan = run_plan(ds, Scenario(), stages=("staffing",))
    placed = list(plan.tables["assignments"]["official_id"]) + list(plan.tables["surplus_officials"]["official_id"])
    assert sorted(placed) == sorted(ds["officials"]["id"])


@pytest.mark.parametrize("title_rows", [1, 5])
def test_title_rows_above_the_header(tmp_path, title_rows):
    _, unique, _, _ = geography()
    rows = [person(k, unique["name"].iloc[k]) for k in range(1, 4)]
    path = write_roster(tmp_path / "r.xlsx", rows, title_rows=title_rows)
    result = import_roster(path, PROVINCE)
    assert len(result.dataset["officials"]) == 3
    skipped = result.rows[result.rows["Kết quả"].str.startswith("bỏ qua: dòng tiêu đề của danh sách")]
    assert list(skipped["Dòng"]) == list(range(1, title_rows + 1))
    assert result.rows["Kết quả"].tolist()[title_rows + 1:] == list(result.dataset["officials"]["id"])


def test_two_row_header_birth_date_under_nam_or_nu_gives_the_gender(tmp_path):
    _, unique, _, _ = geography("Lào Cai")
    header = ["STT", "Họ và tên", "Ngày, tháng, năm sinh", None, "Chức danh", "Trình độ", None, "Đơn vị công tác",
              "Nơi cư trú"]
    sub = [None, None, "Nam", "Nữ", None, "Chuyên môn", "Lý luận chính trị", None, None]
    merges = ["A3:A4", "B3:B4", "C3:D3", "E3:E4", "F3:G3", "H3:H4", "I3:I4"]
    units = unique["name"].iloc[:3].tolist()
    rows = [[1, "Giàng A Tủa", "12/03/1980", None, "Công chức Tư pháp - Hộ tịch", "Đại học", "Trung cấp", units[0], units[0]],
            [2, "Lò Thị Mai", None, dt.datetime(1991, 7, 2), "Công chức Văn hóa - Xã hội", "Thạc sĩ", "Cao cấp", units[1],
             units[1]],
            [3, "Vàng Thị Dung", None, 1979, "Phó Chủ tịch UBND", "Cao đẳng", None, units[2], units[2]]]
    path = write_roster(tmp_path / "r.xlsx", rows, header=header, sub_header=sub, merges=merges, column_numbers=True)
    result = import_roster(path, "lao cai")
    got = officials_by_name(result)
    assert got.loc[["Giàng A Tủa", "Lò Thị Mai", "Vàng Thị Dung"], "gender"].tolist() == ["male", "female", "female"]
    assert got.loc[["Giàng A Tủa", "Lò Thị Mai", "Vàng Thị Dung"], "birth_year"].tolist() == [1980, 1991, 1979]
    assert got.loc[["Giàng A Tủa", "Lò Thị Mai", "Vàng Thị Dung"], "qualification"].tolist() == ["bachelor", "master", "college"]
    used = dict(zip(result.columns["Tiêu đề trong danh sách"], result.columns["Dùng cho"]))
    assert used["Trình độ / Lý luận chính trị"] == "không dùng"
    assert used["Ngày, tháng, năm sinh / Nữ"].startswith("Năm sinh")
    assert "bỏ qua: dòng đánh số cột" in set(result.rows["Kết quả"])


def test_birth_dates_under_both_nam_and_nu_are_reported(tmp_path):
    _, unique, _, _ = geography("Lào Cai")
    header = ["STT", "Họ và tên", "Ngày sinh", None, "Chức vụ", "Đơn vị công tác"]
    sub = [None, None, "Nam", "Nữ", None, None]
    rows = [[1, "Giàng A Tủa", "12/03/1980", "12/03/1980", "Công chức Tư pháp - Hộ tịch", unique["name"].iloc[0]]]
    path = write_roster(tmp_path / "r.xlsx", rows, header=header, sub_header=sub, merges=["C3:D3"])
    with pytest.raises(InputError) as err:
        import_roster(path, "Lào Cai")
    (problem,) = err.value.problems
    assert (problem.row, problem.letter) == (5, "C")


def test_blank_group_and_subtotal_rows_are_skipped_with_their_reason(tmp_path):
    _, unique, _, offices = geography()
    district = offices["district"].iloc[0]
    rows = [[district.upper()], person(1, unique["name"].iloc[0]), person(2, unique["name"].iloc[1]), ["Cộng: 2 người"],
            [], ["II", "Khối cơ quan huyện"], person(3, f"Phòng Tư pháp {district}", "Chuyên viên"),
            [None, "Cộng", None, None, None, None, None, None, None, None], [None, "Tổng cộng", 3]]
    path = write_roster(tmp_path / "r.xlsx", rows)
    result = import_roster(path, PROVINCE)
    assert len(result.dataset["officials"]) == 3
    reasons = dict(zip(result.rows["Dòng"], result.rows["Kết quả"]))
    assert [reasons[r] for r in (4, 7, 8, 9, 11, 12)] == [
        "bỏ qua: dòng tiêu đề nhóm (không có STT, ngày sinh, giới tính)", "bỏ qua: dòng cộng / tổng cộng", "bỏ qua: dòng trống",
        "bỏ qua: dòng tiêu đề nhóm (không có STT, ngày sinh, giới tính)", "bỏ qua: dòng cộng / tổng cộng",
        "bỏ qua: dòng cộng / tổng cộng"]
    assert len(reasons) == 12  # every row of the roster is listed


SYNONYMS = {
    "Họ và tên": "Họ tên", "Ngày sinh": "Ngày tháng năm sinh", "Chức vụ": "Chức danh", "Trình độ chuyên môn": "Trình độ",
    "Chuyên ngành đào tạo": "Chuyên ngành (đào tạo)", "Đơn vị công tác trước sắp xếp": "Đơn vị công tác (trước sắp xếp)",
    "Nơi ở hiện nay": "Nơi cư trú", "Dự kiến bố trí": "Chức vụ mới",
}


@pytest.mark.parametrize("standard,synonym", list(SYNONYMS.items()) + [("Ngày sinh", "Năm sinh"), ("STT", "Số TT"),
                                                                          ("Nơi ở hiện nay", "NƠI Ở HIỆN NAY")])
def test_each_header_synonym_reads_like_the_usual_header(tmp_path, standard, synonym):
    communes, unique, _, _ = geography()
    post = f"Phó Chủ tịch UBND {communes['name'].iloc[0]}"
    rows = [person(1, unique["name"].iloc[0], "Chủ tịch UBND", post=post, training="Công nghệ thông tin"),
            person(2, unique["name"].iloc[1], "Công chức Tài chính - Kế toán", gender="Nữ", birth="1990")]
    usual = import_roster(write_roster(tmp_path / "a.xlsx", rows), PROVINCE).dataset["officials"]
    header = [synonym if h == standard else h for h in HEADER]
    other = import_roster(write_roster(tmp_path / "b.xlsx", rows, header=header), PROVINCE).dataset["officials"]
    pd.testing.assert_frame_equal(usual, other)
    assert usual["fixed_commune"].iloc[0] == communes["code"].iloc[0]


def test_work_units_as_people_write_them(tmp_path):
    _, unique, _, offices = geography()
    unit = unique.iloc[0]
    office = offices[offices["district"].str.startswith("Huyện ")].iloc[0]
    district = office["district"]
    written = {
        "a": f"UBND {unit['name'][0].lower()}{unit['name'][1:]}, {unit['district'].lower()}",
        "b": unit["name"],
        "c": fold(unit["name"]).upper(),
        "d": f"Ủy ban nhân dân {unit['name']}",
        "e": f"Phòng Tài chính - Kế hoạch {district}",
        "f": f"Văn phòng HĐND và UBND {district.lower()}",
        "g": f"Ban Tổ chức Huyện ủy {district.removeprefix('Huyện ')}",
        "h": f"Phòng TC-KH H. {district.removeprefix('Huyện ')}",
    }
    titles = {"e": "Chuyên viên", "f": "Chuyên viên", "g": "Chuyên viên", "h": "Chuyên viên"}
    rows = [[k, f"Người {key}", "01/01/1980", "Nam", titles.get(key, "Công chức Tư pháp - Hộ tịch"), "Đại học", "Luật", text,
             None, None] for k, (key, text) in enumerate(written.items(), 1)]
    result = import_roster(write_roster(tmp_path / "r.xlsx", rows), PROVINCE)
    got = officials_by_name(result)
    assert unit_ids(result, [f"Người {k}" for k in "abcd"]) == [unit["id"]] * 4
    assert unit_ids(result, [f"Người {k}" for k in "efgh"]) == [office["id"]] * 4
    assert got.loc[[f"Người {k}" for k in "efgh"], "field"].tolist() == ["accounting_finance", "office", "party_mass",
                                                                          "accounting_finance"]
    assert got.loc["Người a", "home_old_unit_id"] == unit["id"]  # no home given: the work unit, with a note
    assert "nơi ở trống" in result.rows.set_index("Họ và tên").loc["Người a", "Ghi chú"]


def test_homes_as_addresses_units_or_new_communes(tmp_path):
    communes, unique, _, _ = geography()
    home, work = unique.iloc[3], unique["name"].iloc[0]
    commune = communes[~communes["name"].isin(unique["name"])].iloc[0]
    rows = [person(1, work, home=f"Thôn Nà Mò, {home['name'].lower()}, {home['district']}"),
            person(2, work, home=f"Tổ 3, {fold(home['name'])}"),
            person(3, work, home=commune["name"])]
    result = import_roster(write_roster(tmp_path / "r.xlsx", rows), PROVINCE)
    got = result.dataset["officials"]["home_old_unit_id"].tolist()
    assert got[:2] == [home["id"]] * 2
    assert result.dataset["old_units"].set_index("id").loc[got[2], "commune_code"] == commune["code"]


def test_field_from_title_office_and_training(tmp_path):
    _, unique, _, offices = geography()
    unit, district = unique["name"].iloc[0], offices["district"].iloc[0]
    rows = [person(1, unit, "Công chức Tài chính - Kế toán", training="Công nghệ thông tin"),
            person(2, unit, "Công chức Văn phòng - Thống kê", training="Văn thư"),
            person(3, f"Phòng Tài chính - Kế hoạch {district}", "Chuyên viên", training="Kinh tế"),
            person(4, unit, "Chuyên viên", training="CNTT"),
            person(5, unit, "Công chức Địa chính - Xây dựng - Đô thị và Môi trường", training="Quản lý đất đai")]
    got = import_roster(write_roster(tmp_path / "r.xlsx", rows), PROVINCE).dataset["officials"]
    assert got["field"].tolist() == ["accounting_finance", "office", "accounting_finance", "it_digital", "land_environment"]
    assert got["secondary_field"].fillna("").tolist() == ["it_digital", "", "", "", "construction_transport"]


def test_birth_dates_in_the_three_forms(tmp_path):
    _, unique, _, _ = geography()
    unit = unique["name"].iloc[0]
    births = ["07/11/1983", 1975, dt.datetime(1990, 2, 28), "1968", "3/4/2001"]
    rows = [person(k, unit, birth=b) for k, b in enumerate(births, 1)]
    got = import_roster(write_roster(tmp_path / "r.xlsx", rows), PROVINCE).dataset["officials"]
    assert got["birth_year"].tolist() == [1983, 1975, 1990, 1968, 2001]


def test_a_shared_unit_name_is_read_by_its_district_or_reported_with_the_candidates(tmp_path):
    _, unique, shared, _ = geography()
    name = shared["name"].iloc[0]
    first, second = shared[shared["name"] == name].iloc[0], shared[shared["name"] == name].iloc[1]
    rows = [person(1, f"{name}, {second['district']}"), person(2, name)]
    with pytest.raises(InputError) as err:
        import_roster(write_roster(tmp_path / "r.xlsx", rows), PROVINCE)
    (problem,) = err.value.problems
    assert (problem.row, problem.letter, problem.value) == (5, "H", name)
    assert first["district"] in problem.expected.vi and second["district"] in problem.expected.vi
    # a group heading naming the district says which one
    rows = [[first["district"]], person(1, name), person(2, f"{name}, {second['district']}")]
    result = import_roster(write_roster(tmp_path / "h.xlsx", rows), PROVINCE)
    assert result.dataset["officials"]["old_unit_id"].tolist() == [first["id"], second["id"]]


def test_planned_posts_become_pins_and_too_many_leaders_are_reported(tmp_path):
    communes, unique, _, _ = geography()
    commune = communes["name"].iloc[1]
    unit = unique["name"].iloc[0]
    rows = [person(k, unit, "Chủ tịch UBND", post=f"Phó Chủ tịch UBND {commune}") for k in range(1, 4)]
    rows.append(person(4, unit, "Chuyên viên", training="Luật", post=f"Chủ tịch {commune.upper()}"))
    result = import_roster(write_roster(tmp_path / "r.xlsx", rows), PROVINCE)
    got = result.dataset["officials"]
    assert got["fixed_commune"].tolist() == [communes["code"].iloc[1]] * 4
    assert got["fixed_position"].tolist() == ["vice_chair"] * 3 + ["chair"]
    assert got["eligible_for_leadership"].all()
    norms = result.dataset["staffing_norms"]
    added = norms[norms["commune_code"] == communes["code"].iloc[1]]
    assert added[["position", "min_count", "max_count"]].values.tolist() == [["vice_chair", 3, 3]]
    rows.append(person(5, unit, "Chủ tịch UBND", post=f"Phó Chủ tịch UBND {commune}"))
    with pytest.raises(InputError) as err:
        import_roster(write_roster(tmp_path / "r2.xlsx", rows), PROVINCE)
    (problem,) = err.value.problems
    assert problem.letter == "J" and "4" in problem.expected.vi and "tối đa 3" in problem.expected.vi


def test_planted_mistakes_are_all_reported_in_vietnamese_and_nothing_is_written(tmp_path, capsys):
    communes, unique, _, _ = geography("Lào Cai")
    unit = unique["name"].iloc[0]
    rows = [person(1, unit),
            person(2, unit, birth="31/02/1990"),  # C: no such date
            person(3, unit, gender="Khác"),  # D: not a gender
            person(4, unit, title="Thủ quỹ kiêm nhiệm"),  # E: title not in the mapping table
            person(5, unit, qualification="Tiểu học"),  # F: not a qualification
            person(6, "Xã Không Có Thật", home=unit),  # H: no such unit
            person(7, unit, home="Phường Mặt Trăng"),  # I: no such home
            person(8, unit, post="Phó Chủ tịch UBND Xã Sao Hỏa"),  # J: no such commune
            [9, None, "01/01/1980", "Nam", "Chuyên viên", "Đại học", "Luật", unit, unit, None]]  # B: no name
    path = write_roster(tmp_path / "r.xlsx", rows, title_rows=3)
    out = tmp_path / "out" / "input.xlsx"
    assert main(["import-roster", str(path), "--province", "Lào Cai", "--out", str(out)]) == 2
    assert not out.exists() and not out.parent.exists()
    text = capsys.readouterr().err
    expected = {(6, "C"), (7, "D"), (8, "E"), (9, "F"), (10, "H"), (11, "I"), (12, "J"), (13, "B")}
    for row, letter in expected:
        assert f"dòng {row}, cột {letter} (" in text
    assert text.startswith("8 lỗi") and "cần" in text
    with pytest.raises(InputError) as err:
        import_roster(path, "Lào Cai")
    assert {(p.row, p.letter) for p in err.value.problems} == expected
    assert main(["import-roster", str(path), "--province", "Lào Cai", "--out", str(out), "--lang", "en"]) == 2
    english = capsys.readouterr().err
    assert english.startswith("8 problems") and "row 8, column E (Chức vụ)" in english and "expected" in english


def test_a_roster_without_the_needed_columns_names_them(tmp_path):
    path = write_roster(tmp_path / "r.xlsx", [[1, "A", "1980", "Nam"]], header=["STT", "Họ và tên", "Năm sinh", "Giới tính"])
    with pytest.raises(InputError) as err:
        import_roster(path, PROVINCE)
    assert len(err.value.problems) == 2 and all(p.row == 3 for p in err.value.problems)
    other = tmp_path / "x.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Không phải danh sách"])
    book.save(other)
    with pytest.raises(InputError) as err:
        import_roster(other, PROVINCE)
    assert "Họ và tên" in err.value.problems[0].expected


def test_users_extend_the_title_table(tmp_path):
    _, unique, _, _ = geography()
    rows = [person(1, unique["name"].iloc[0], title="Thủ quỹ")]
    path = write_roster(tmp_path / "r.xlsx", rows)
    with pytest.raises(InputError):
        import_roster(path, PROVINCE)
    own = tmp_path / "titles.csv"
    own.write_text("kind,pattern,position,field,secondary_field,eligible_for_leadership,grade,note\n"
                   "title,Thủ quỹ,Công chức chuyên môn,Tài chính - Kế toán,,Không,,our province\n", encoding="utf-8")
    got = import_roster(path, PROVINCE, titles=own).dataset["officials"]
    assert got[["position", "field"]].values.tolist() == [["specialist", "accounting_finance"]]
    own.write_text("kind,pattern,position,field,secondary_field,eligible_for_leadership,grade\n"
                   "title,Thủ quỹ,specialist,Quỹ,,,\ntitle,Thủ kho,specialist,office,,,\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        import_roster(path, PROVINCE, titles=own)
    assert [(p.row, p.column, p.value) for p in err.value.problems] == [(2, "field", "Quỹ")]


def test_written_workbook_validates_for_staffing_and_solves(tmp_path):
    communes, unique, _, offices = geography()
    titles = ["Chủ tịch UBND", "Phó Chủ tịch UBND", "Công chức Văn phòng - Thống kê", "Công chức Tài chính - Kế toán",
              "Công chức Tư pháp - Hộ tịch", "Công chức Văn hóa - Xã hội", "Bí thư Đảng ủy"]
    rows, k = [], 0
    for u in range(12):
        for title in titles:
            k += 1
            rows.append(person(k, unique["name"].iloc[u], title, gender="Nữ" if k % 3 else "Nam"))
    rows.append(person(k + 1, f"Phòng Tài chính - Kế hoạch {offices['district'].iloc[0]}", "Chuyên viên"))
    result = import_roster(write_roster(tmp_path / "r.xlsx", rows), PROVINCE, lang="en")
    out = write_roster_workbook(result, tmp_path / "input.xlsx")
    ds = load_dataset(out)
    assert len(ds["officials"]) == len(rows) and len(ds["communes"]) == len(communes)
    assert MAPPING_SHEET["en"] in openpyxl.load_workbook(out, read_only=True).sheetnames
    csv = tmp_path / "plan_csv"
    assert main(["solve", str(out), "--stages", "staffing", "--out", str(tmp_path / "plan.xlsx"), "--csv-dir", str(csv)]) == 0
    placed = pd.concat([pd.read_csv(csv / "assignments.csv"), pd.read_csv(csv / "surplus_officials.csv")])["official_id"]
    assert sorted(placed) == sorted(ds["officials"]["id"])


def test_files_that_are_not_rosters_are_refused_without_writing(tmp_path, capsys):
    fake = tmp_path / "roster.xlsx"
    fake.write_text("STT;Họ và tên\n1;A\n", encoding="utf-8")
    out = tmp_path / "input.xlsx"
    assert main(["import-roster", str(fake), "--province", PROVINCE, "--out", str(out)]) == 2
    assert "tệp Excel .xlsx" in capsys.readouterr().err and not out.exists()
    old = tmp_path / "roster.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    assert main(["import-roster", str(old), "--province", PROVINCE, "--out", str(out)]) == 2
    assert main(["import-roster", str(fake), "--province", "Atlantis", "--out", str(out)]) == 2
    assert main(["import-roster", str(fake), "--province", PROVINCE, "--out", str(fake)]) == 2
    assert not out.exists() and fake.read_text(encoding="utf-8").startswith("STT")
