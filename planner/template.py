"""The input workbook: one sheet per table, described and with drop-downs, blank or filled with a dataset.

Layout (planner.validate reads exactly this): a first sheet README (Hướng dẫn); then one sheet per
table named as the table, row 1 = column names with their descriptions as cell comments, data from
row 2; a hidden sheet '_lists' holds the long drop-down lists. Text is always written as text, so a
name such as '=HYPERLINK(...)' stays a name and never becomes a formula.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from .dataset import Dataset
from .docs import allowed_text, column_note
from .files import save_atomic
from .schema import ColumnSpec, TableSpec, load_schema

LISTS_SHEET = "_lists"
INLINE_LIST_LIMIT = 80  # Excel caps inline lists at 255 characters; longer lists (fields, item types) go to _lists
LAST_ROW = 1_048_576
REQUIRED_FILL = PatternFill("solid", fgColor="1F4E78")
OPTIONAL_FILL = PatternFill("solid", fgColor="5B7FA6")
HEADER_FONT = Font(bold=True, color="FFFFFF")


def write_input_workbook(path: Path, dataset: Dataset | None) -> Path:
    """Write the input workbook: blank template (dataset None) or the dataset's tables; atomic (temp file + rename)."""
    path = Path(path)
    workbook = Workbook()
    readme = workbook.active
    readme.title = "README"
    schema = load_schema()
    lists = workbook.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    for spec in schema.values():
        frame = dataset.tables[spec.name] if dataset is not None else None
        _table_sheet(workbook, spec, frame, lists)
    workbook.move_sheet(lists, offset=len(workbook.sheetnames))
    _readme(readme, schema, dataset)
    return save_atomic(path, workbook.save)


def _table_sheet(workbook: Workbook, spec: TableSpec, frame: pd.DataFrame | None, lists) -> None:
    ws = workbook.create_sheet(spec.name)
    for idx, col in enumerate(spec.columns, start=1):
        cell = ws.cell(row=1, column=idx, value=col.name)
        cell.font = HEADER_FONT
        cell.fill = REQUIRED_FILL if col.required else OPTIONAL_FILL
        cell.alignment = Alignment(vertical="center")
        note = column_note(col)
        cell.comment = Comment(note, "planner", width=360, height=24 + 17 * (note.count("\n") + 2))
    ws.freeze_panes = "A2"
    n_rows = 0 if frame is None else len(frame)
    if n_rows:
        _write_rows(ws, spec, frame)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(spec.columns))}{n_rows + 1}"
    for idx, col in enumerate(spec.columns, start=1):
        letter = get_column_letter(idx)
        validation = _dropdown(spec.name, col, lists)
        if validation is not None:
            validation.add(f"{letter}2:{letter}{LAST_ROW}")
            ws.add_data_validation(validation)
        ws.column_dimensions[letter].width = _width(col, None if frame is None else frame[col.name])


def _write_rows(ws, spec: TableSpec, frame: pd.DataFrame) -> None:
    columns = [frame[c.name].astype(object).where(frame[c.name].notna(), None).tolist() for c in spec.columns]
    money = [idx for idx, c in enumerate(spec.columns, start=1) if "VND" in c.unit]
    for offset, values in enumerate(zip(*columns)):
        ws.append(values)
        row = offset + 2
        for idx, value in enumerate(values, start=1):
            if isinstance(value, str) and value[:1] in ("=", "#"):
                ws.cell(row=row, column=idx).data_type = "s"  # text, never a formula or an error code such as #N/A
        for idx in money:
            ws.cell(row=row, column=idx).number_format = "#,##0"


def _dropdown(table: str, col: ColumnSpec, lists) -> DataValidation | None:
    """A list drop-down for a categorical or bool column; long lists live on the hidden _lists sheet."""
    if col.dtype == "bool":
        values = ["TRUE", "FALSE"]
    elif col.dtype == "category":
        values = list(col.allowed)
    else:
        return None
    inline = '"' + ",".join(values) + '"'
    if len(inline) <= INLINE_LIST_LIMIT:
        formula = inline
    else:
        list_col = 1 if lists["A1"].value is None else lists.max_column + 1
        lists.cell(row=1, column=list_col, value=f"{table}.{col.name}")
        for row, value in enumerate(values, start=2):
            lists.cell(row=row, column=list_col, value=value)
        letter = get_column_letter(list_col)
        formula = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(values) + 1}"
    shown = allowed_text(col)
    return DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                          errorTitle="Giá trị không hợp lệ", error=_clip(f"Chọn một giá trị / choose one of: {shown}", 225),
                          promptTitle=col.name[:32], prompt=_clip(col.description_vi, 250), showInputMessage=True)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _width(col: ColumnSpec, values: pd.Series | None) -> float:
    longest = len(col.name)
    if values is not None and len(values):
        sample = values.dropna().head(500).astype(str)
        if len(sample):
            longest = max(longest, int(sample.str.len().max()))
    return float(min(max(longest + 3, 10), 45))


def _readme(ws, schema: dict[str, TableSpec], dataset: Dataset | None) -> None:
    lines = [
        ("Hướng dẫn nhập dữ liệu / How to fill in this workbook", True),
        ("Mỗi bảng là một trang tính mang đúng tên bảng. Dòng 1 là tên cột (không đổi tên); di chuột lên tên cột để xem "
         "mô tả, đơn vị, giá trị cho phép. Nhập dữ liệu từ dòng 2. Không dùng công thức: hãy nhập giá trị.", False),
        ("Every table is a sheet named as the table. Row 1 holds the column names (do not rename them); hover a column "
         "name for its description, unit and allowed values. Type data from row 2. Formulas are not accepted: type values.",
         False),
        ("Trang README và trang có tên bắt đầu bằng '_' bị bỏ qua khi đọc. Kiểm tra tệp bằng: planner validate TỆP.xlsx "
         "/ Sheets named README or starting with '_' are ignored. Check the file with: planner validate FILE.xlsx", False),
        ("Cột tiêu đề xanh đậm là bắt buộc, xanh nhạt là không bắt buộc / Dark blue headers are required columns, light "
         "blue ones optional.", False),
        ("", False),
    ]
    for text, bold in lines:
        ws.append([text])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=bold, size=14 if bold else 11)
    header = ["Trang / sheet", "Bắt buộc / required", "Khóa / key", "Số dòng / rows", "Mô tả", "Description"]
    ws.append(header)
    for idx in range(1, len(header) + 1):
        cell = ws.cell(row=ws.max_row, column=idx)
        cell.font, cell.fill = HEADER_FONT, REQUIRED_FILL
    for spec in schema.values():
        rows = len(dataset.tables[spec.name]) if dataset is not None else 0
        ws.append([spec.name, "có / yes" if spec.required else "không / no", " + ".join(spec.key), rows,
                   spec.description_vi, spec.description_en])
    if dataset is not None:
        ws.append([])
        ws.append([f"Nguồn / source: {dataset.source}"])
    for letter, width in zip("ABCDEF", (18, 18, 26, 14, 70, 70)):
        ws.column_dimensions[letter].width = width

