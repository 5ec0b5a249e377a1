"""The input workbook: one sheet per table, in Vietnamese (or English), with drop-downs, blank, pre-filled for a
province, or filled with a dataset.

Layout (planner.validate reads it): a first sheet of instructions (Hướng dẫn / README) that prints on at most two
A4 pages; then one sheet per table named by its label (`planner/schema/tables.csv`), row 1 = column headers in the
workbook's language with the description as a cell comment, data from row 2; a hidden sheet '_lists' holds the long
drop-down lists. The machine names stay readable whatever the language: the workbook-level defined name
`planner.<table>` marks each table's header row and `planner.<table>.<column>` each column's header cell (Excel keeps
them right when a sheet is renamed or a column inserted). Coded values are written as their labels; yes/no as
Có/Không (Yes/No). Text is always written as text, so a name such as '=HYPERLINK(...)' stays a name.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from .dataset import Dataset, conform
from .docs import bounds_text
from .files import save_atomic
from .schema import ColumnSpec, TableSpec, load_schema, tables_for, value_label
from .yesno import fold

LISTS_SHEET = "_lists"
DEFINED_NAME_PREFIX = "planner."
INLINE_LIST_LIMIT = 80  # Excel caps inline lists at 255 characters; longer lists (fields, item types) go to _lists
LAST_ROW = 1_048_576
REQUIRED_FILL = PatternFill("solid", fgColor="1F4E78")
OPTIONAL_FILL = PatternFill("solid", fgColor="5B7FA6")
HEADER_FONT = Font(bold=True, color="FFFFFF")
YES_NO = {"vi": ("Có", "Không"), "en": ("Yes", "No")}
README_SHEET = {"vi": "Hướng dẫn", "en": "README"}

T = {  # (vi, en) texts of the workbook
    "title": ("Hướng dẫn nhập dữ liệu lập phương án sắp xếp cấp xã", "How to fill in the commune planning workbook"),
    "province": ("Tỉnh/thành phố: {name}. Đã điền sẵn {communes} xã mới và {units} đơn vị cũ (xã, phường, thị trấn trước "
                 "sắp xếp và cơ quan cấp huyện đã giải thể) theo danh mục chính thức.",
                 "Province: {name}. Pre-filled with its {communes} new communes and {units} old units (pre-merger "
                 "communes, wards, towns and abolished district offices) from the official lists."),
    "estimates": ("Tọa độ trụ sở cũ và tỷ lệ dân số của đơn vị cũ là số ước tính: hãy thay bằng số liệu thực nếu có.",
                  "Old units' office coordinates and population shares are estimates: replace them with real figures."),
    "stages": ("Bảng này dành cho bước: {stages}. Các bảng khác không cần.",
               "This workbook is for the stage(s): {stages}. Other tables are not needed."),
    "how": ("Mỗi trang tính là một bảng. Dòng 1 là tên cột (không xóa dòng này; có thể đổi tên trang, chèn cột). "
            "Nhập dữ liệu từ dòng 2, mỗi dòng một đối tượng; không gộp ô, không dùng công thức.",
            "Every sheet is one table. Row 1 holds the column headers (keep it; sheets may be renamed and columns "
            "inserted). Type data from row 2, one item per row; no merged cells, no formulas."),
    "headers": ("Tiêu đề xanh đậm: cột bắt buộc; xanh nhạt: không bắt buộc. Di chuột lên tiêu đề để xem mô tả, đơn vị, "
                "giá trị cho phép.", "Dark blue headers are required columns, light blue optional. Hover a header for "
                "its description, unit and allowed values."),
    "values": ("Chọn giá trị trong danh sách thả xuống, hoặc gõ tên thường dùng (vd. Nữ, CNTT, Chủ tịch): chữ hoa, dấu, "
               "khoảng trắng không quan trọng. Có/Không: Có, x, 1 hoặc Không, để trống.",
               "Pick values from the drop-downs or type the usual name (e.g. Female, IT, Chair): case, accents and "
               "spacing do not matter. Yes/no: Yes, x, 1 or No, blank."),
    "refs": ("Đơn vị cũ và xã có thể ghi bằng mã hoặc bằng tên (tên trùng nhau thì thêm huyện, vd. 'Xã An Lạc, Huyện "
             "Hòa An'). Nơi ở: tên đơn vị cũ hoặc xã mới, hoặc kinh độ và vĩ độ.",
             "Old units and communes may be given by code or by name (a name used twice needs its district, e.g. "
             "'Xã An Lạc, Huyện Hòa An'). Home: an old unit or commune name, or longitude and latitude."),
    "check": ("Kiểm tra tệp: planner validate TỆP.xlsx. Lập phương án: planner solve TỆP.xlsx{stages_flag}. Mọi lỗi "
              "được liệt kê một lần, kèm trang, dòng, cột và giá trị.",
              "Check the file: planner validate FILE.xlsx. Plan: planner solve FILE.xlsx{stages_flag}. Every problem "
              "is listed at once, with sheet, row, column and value."),
    "norms": ("Định mức biên chế và định mức thiết bị đã điền sẵn theo quy định tham chiếu (có ghi căn cứ); để trống bảng "
              "thì dùng định mức tham chiếu.",
              "Staffing and equipment norms are pre-filled with the reference norms (with their sources); an empty table "
              "means the reference norms."),
    "sheet": ("Trang tính", "Sheet"),
    "needed": ("Bắt buộc", "Required"),
    "rows": ("Số dòng", "Rows"),
    "about": ("Nội dung", "Contents"),
    "yes": ("có", "yes"),
    "no": ("không", "no"),
    "source": ("Nguồn: {source}", "Source: {source}"),
    "choose": ("Chọn một giá trị", "Choose one of"),
    "invalid": ("Giá trị không hợp lệ", "Invalid value"),
    "range": ("Nhập số {bounds}", "Type a number {bounds}"),
    "between": ("từ {} đến {}", "between {} and {}"),
    "at_least": ("từ {} trở lên", "of at least {}"),
    "at_most": ("không quá {}", "of at most {}"),
    "note_code": ("Mã cột", "Column code"),
    "note_required": ("bắt buộc", "required"),
    "note_optional": ("không bắt buộc", "optional"),
    "note_default": ("mặc định", "default"),
    "note_allowed": ("Giá trị", "Values"),
    "note_names": ("Mã hoặc tên (danh sách thả xuống có tên)", "ID or name (the drop-down lists the names)"),
}


def _t(key: str, lang: str, **params) -> str:
    text = T[key][0 if lang == "vi" else 1]
    return text.format(**params) if params else text


def write_input_workbook(path: Path, dataset: Dataset | None, *, lang: str = "vi", stages=None,
                         province: str | int | None = None) -> Path:
    """Write the input workbook; atomic (temp file + rename).

    dataset None and no province: a blank template; province (name with or without accents, or code): its communes
    and old units pre-filled from the bundled geography and the reference staffing norms (when dataset has no rows for
    them); stages (e.g. ('staffing',)): only the tables those stages read, recorded in the info table so that
    `planner validate` and `planner solve` ask for nothing else.
    """
    path = Path(path)
    schema = load_schema()
    frames = {name: dataset.tables[name] for name in schema} if dataset is not None else {}
    province_name = None
    if province is not None:
        frames, province_name = _province_frames(province, frames)
    if stages is not None:
        frames["info"] = _with_info(frames.get("info"), {"stages": ",".join(stages)})
    names = tables_for(stages)
    workbook = Workbook()
    readme = workbook.active
    readme.title = README_SHEET[lang]
    lists = workbook.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    refs = _reference_lists(frames)
    for name in names:
        _table_sheet(workbook, schema[name], frames.get(name), lists, lang, refs)
    workbook.move_sheet(lists, offset=len(workbook.sheetnames))
    _readme(readme, [schema[n] for n in names], frames, lang, stages, province_name,
            dataset.source if dataset is not None else None)
    return save_atomic(path, workbook.save)


def _province_frames(province, frames: dict) -> tuple[dict, str]:
    """Communes, old units (bundled geography) and reference staffing norms of a province, where frames has none."""
    from .norms_used import REFERENCE_DIR
    from .sample import resolve_province, sample_geography

    code, name = resolve_province(province)
    communes, old_units = sample_geography(code)
    schema = load_schema()
    out = dict(frames)
    references = [(spec.name, pd.read_csv(REFERENCE_DIR / spec.fallback)) for spec in schema.values() if spec.fallback]
    for table, frame in [("communes", communes), ("old_units", old_units)] + references:
        if out.get(table) is None or not len(out[table]):
            out[table] = conform(frame, schema[table])
    out["info"] = _with_info(out.get("info"), {"province_name": name, "province_code": str(code)})
    return out, name


def _with_info(info: pd.DataFrame | None, items: dict[str, str]) -> pd.DataFrame:
    """The info table with `items` set (existing keys are kept: a dataset's own province name wins)."""
    info = info if info is not None else pd.DataFrame({"key": [], "value": []})
    known = set(info["key"].astype(str))
    extra = pd.DataFrame({"key": [k for k in items if k not in known], "value": [v for k, v in items.items() if k not in known]})
    return pd.concat([info[["key", "value"]], extra], ignore_index=True) if len(extra) else info


def _reference_lists(frames: dict) -> dict[str, list[str]]:
    """'table.column' -> names offered in the drop-down of a column that refers to another table's rows."""
    out = {}
    units = frames.get("old_units")
    if units is not None and len(units):
        out["old_units.id"] = display_names(units)
    communes = frames.get("communes")
    if communes is not None and len(communes):
        out["communes.code"] = list(dict.fromkeys(communes["name"].dropna().astype(str)))
    return out


def display_names(old_units: pd.DataFrame) -> list[str]:
    """One name per old unit as a person would pick it: the name, with its district when units of two districts
    share the name (planner.validate reads both forms back)."""
    frame = old_units[["name", "district"]].astype(str)
    districts = frame.groupby(frame["name"].map(fold))["district"].transform("nunique")
    shown = frame["name"].where(districts.le(1), frame["name"] + ", " + frame["district"])
    return list(dict.fromkeys(shown))


def _table_sheet(workbook: Workbook, spec: TableSpec, frame: pd.DataFrame | None, lists, lang: str,
                 refs: dict[str, list[str]]) -> None:
    ws = workbook.create_sheet(spec.label(lang))
    for idx, col in enumerate(spec.columns, start=1):
        cell = ws.cell(row=1, column=idx, value=col.label(lang))
        cell.font = HEADER_FONT
        cell.fill = REQUIRED_FILL if col.required else OPTIONAL_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        note = _column_note(spec, col, lang, col.references in refs)
        cell.comment = Comment(note, "planner", width=360, height=24 + 17 * (note.count("\n") + len(note) // 50 + 2))
        workbook.defined_names[f"{DEFINED_NAME_PREFIX}{spec.name}.{col.name}"] = DefinedName(
            f"{DEFINED_NAME_PREFIX}{spec.name}.{col.name}", attr_text=f"{quote_sheetname(ws.title)}!${get_column_letter(idx)}$1")
    last = get_column_letter(len(spec.columns))
    workbook.defined_names[f"{DEFINED_NAME_PREFIX}{spec.name}"] = DefinedName(
        f"{DEFINED_NAME_PREFIX}{spec.name}", attr_text=f"{quote_sheetname(ws.title)}!$A$1:${last}$1")
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 32
    n_rows = 0 if frame is None else len(frame)
    if n_rows:
        _write_rows(ws, spec, frame, lang)
    ws.auto_filter.ref = f"A1:{last}{n_rows + 1}"
    for idx, col in enumerate(spec.columns, start=1):
        letter = get_column_letter(idx)
        validation = _validation(spec.name, col, lists, lang, refs.get(col.references or ""))
        if validation is not None:
            validation.add(f"{letter}2:{letter}{LAST_ROW}")
            ws.add_data_validation(validation)
        ws.column_dimensions[letter].width = _width(col.label(lang), None if frame is None else frame[col.name])


def _column_note(spec: TableSpec, col: ColumnSpec, lang: str, by_name: bool) -> str:
    """The hover note of a header: description, code, required or default, allowed values as labels, bounds, unit."""
    description = col.description_vi if lang == "vi" else col.description_en
    need = _t("note_required", lang) if col.required and col.default is None else _t("note_optional", lang)
    if col.default is not None:
        shown = _cell_value(spec.name, col, col.default_value, lang)
        need += f"; {_t('note_default', lang)}: {shown}"
    lines = [description, f"{_t('note_code', lang)}: {col.name} ({need})"]
    if col.dtype == "category":
        lines.append(f"{_t('note_allowed', lang)}: " + " / ".join(value_label(spec.name, col.name, c, lang) for c in col.allowed))
    elif col.dtype == "bool":
        lines.append(f"{_t('note_allowed', lang)}: {' / '.join(YES_NO[lang])}")
    if by_name:
        lines.append(_t("note_names", lang))
    bounds = _bounds(col, lang)
    if bounds or col.unit:
        lines.append(" ".join(x for x in (bounds, f"({col.unit})" if col.unit else "") if x))
    return "\n".join(lines)


def _bounds(col: ColumnSpec, lang: str) -> str:
    return bounds_text(col, between=_t("between", lang), at_least=_t("at_least", lang), at_most=_t("at_most", lang))


def _cell_value(table: str, col: ColumnSpec, value, lang: str):
    """A value as the workbook shows it: codes as labels, yes/no as Có/Không."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if col.dtype == "category":
        return value_label(table, col.name, value, lang)
    if col.dtype == "bool":
        return YES_NO[lang][0 if bool(value) else 1]
    return value


def _write_rows(ws, spec: TableSpec, frame: pd.DataFrame, lang: str) -> None:
    columns = []
    for c in spec.columns:
        values = frame[c.name].astype(object).where(frame[c.name].notna(), None)
        if c.dtype in ("category", "bool"):
            values = values.map(lambda v, c=c: _cell_value(spec.name, c, v, lang))
        columns.append(values.tolist())
    money = [idx for idx, c in enumerate(spec.columns, start=1) if "VND" in c.unit]
    for offset, values in enumerate(zip(*columns)):
        ws.append(values)
        row = offset + 2
        for idx, value in enumerate(values, start=1):
            if isinstance(value, str) and value[:1] in ("=", "#"):
                ws.cell(row=row, column=idx).data_type = "s"  # text, never a formula or an error code such as #N/A
        for idx in money:
            ws.cell(row=row, column=idx).number_format = "#,##0"


def _validation(table: str, col: ColumnSpec, lists, lang: str, names: list[str] | None) -> DataValidation | None:
    """Drop-down of labels (codes lists, yes/no, names of the rows a column refers to) or a numeric range check.

    Lists only warn on other input: synonyms such as 'CNTT', or an ID instead of a name, are accepted by the reader.
    """
    prompt = _clip(col.description_vi if lang == "vi" else col.description_en, 250)
    title = _clip(col.label(lang), 32)
    if col.dtype in ("int", "float") and (col.min is not None or col.max is not None) and not col.references:
        kind = "whole" if col.dtype == "int" else "decimal"
        low = col.min if col.min is not None else -1e15
        high = col.max if col.max is not None else 1e15
        text = _t("range", lang, bounds=_bounds(col, lang))
        return DataValidation(type=kind, operator="between", formula1=_number(low), formula2=_number(high), allow_blank=True,
                              showErrorMessage=True, errorTitle=_t("invalid", lang), error=_clip(text, 225),
                              promptTitle=title, prompt=prompt, showInputMessage=True)
    if col.dtype == "bool":
        values = list(YES_NO[lang])
    elif col.dtype == "category":
        values = [value_label(table, col.name, c, lang) for c in col.allowed]
    elif names:
        values = names
    else:
        return None
    inline = '"' + ",".join(values) + '"'
    if len(inline) <= INLINE_LIST_LIMIT and not any("," in v or '"' in v for v in values):
        formula = inline
    else:
        list_col = 1 if lists["A1"].value is None else lists.max_column + 1
        lists.cell(row=1, column=list_col, value=f"{table}.{col.name}")
        for row, value in enumerate(values, start=2):
            lists.cell(row=row, column=list_col, value=value).data_type = "s"
        letter = get_column_letter(list_col)
        formula = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(values) + 1}"
    shown = " / ".join(values[:12]) + (" ..." if len(values) > 12 else "")
    return DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True, errorStyle="warning",
                          errorTitle=_t("invalid", lang), error=_clip(f"{_t('choose', lang)}: {shown}", 225),
                          promptTitle=title, prompt=prompt, showInputMessage=True)


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _width(header: str, values: pd.Series | None) -> float:
    longest = min(len(header), 24)
    if values is not None and len(values):
        sample = values.dropna().head(500).astype(str)
        if len(sample):
            longest = max(longest, int(sample.str.len().max()))
    return float(min(max(longest + 3, 10), 45))


def _readme(ws, specs: list[TableSpec], frames: dict, lang: str, stages, province: str | None, source: str | None) -> None:
    """Instructions and the list of sheets; printed on A4, fitted to one page wide and at most two tall."""
    def rows_of(name):
        frame = frames.get(name)
        return 0 if frame is None else len(frame)

    lines = [_t("title", lang)]
    if province:
        lines.append(_t("province", lang, name=province, communes=rows_of("communes"), units=rows_of("old_units")))
        lines.append(_t("estimates", lang))
    if stages is not None:
        from . import vocab
        lines.append(_t("stages", lang, stages=", ".join(vocab.label("stages", s, lang) for s in stages)))
    lines += [_t("how", lang), _t("headers", lang), _t("values", lang), _t("refs", lang),
              _t("check", lang, stages_flag=f" --stages {','.join(stages)}" if stages else "")]
    if province:
        lines.append(_t("norms", lang))
    wrap = Alignment(wrap_text=True, vertical="top")
    for k, text in enumerate(lines):
        ws.append([text])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=4)
        cell = ws.cell(row=ws.max_row, column=1)
        cell.font, cell.alignment = Font(bold=k == 0, size=14 if k == 0 else 11), wrap
        ws.row_dimensions[ws.max_row].height = 22 if k == 0 else 15 * (1 + len(text) // 90)
    ws.append([])
    ws.append([_t("sheet", lang), _t("needed", lang), _t("rows", lang), _t("about", lang)])
    for idx in range(1, 5):
        cell = ws.cell(row=ws.max_row, column=idx)
        cell.font, cell.fill = HEADER_FONT, REQUIRED_FILL
    for spec in specs:
        needed = spec.needed_for(stages) and not spec.fallback
        about = spec.description_vi if lang == "vi" else spec.description_en
        ws.append([spec.label(lang), _t("yes" if needed else "no", lang), rows_of(spec.name), about])
        for idx in range(1, 5):
            ws.cell(row=ws.max_row, column=idx).alignment = wrap
        ws.row_dimensions[ws.max_row].height = 15 * (1 + len(about) // 60)
    if source:
        ws.append([])
        ws.append([_t("source", lang, source=source)])
    for letter, width in zip("ABCD", (22, 10, 9, 64)):
        ws.column_dimensions[letter].width = width
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 2
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.5
