"""A table's data rows prepared column by column, written as openpyxl cells or straight as the sheet's XML.

openpyxl builds one Python object per cell and serialises each through a pure-Python XML writer: for the plan's
long lookup tables (tens of thousands of cells) that is most of the workbook's writing time. `Rows` prepares the
rows' values, data types and cell styles a column at a time (text always text, illegal characters dropped, a quote
prefix where it looks like a formula), then either adds them to the sheet as cells (`to_cells`) or is kept aside
(`SheetWriter.table`) and written by `save_workbook`: openpyxl writes the workbook and each such sheet's title,
header, widths, panes, filters, formats and print setup, and the rows' XML goes into that sheet's <sheetData>, every
cell as openpyxl writes it (inline text, numbers as '%.16g', the same style indexes, registered in the order of
first use), the sheet's <dimension> widened to the rows. Row heights set on the sheet for those rows are kept.
A sheet finished early can be rendered to XML before the save (Rendered; planner solve's early sheets).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from io import BytesIO
from zipfile import ZIP_DEFLATED, ZipFile

import numpy as np
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.styles import Alignment
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

from ..files import FORMULA_START

CHUNK_ROWS = 5000  # rows turned into XML text at a time
_KIND = {type(None): "n", bool: "b", int: "n", float: "n", str: "s"}  # openpyxl's data type by Python type
_DIMENSION = re.compile(rb'<dimension ref="[^"]*" />')
_FORMULA_LOOK = re.compile("(?:^|\n)[" + re.escape("".join(FORMULA_START)) + "]")  # a value may start a formula


class Rows:
    """Data rows from `first_row` down, one column per frame column: `values` (Python scalars), `kinds` (openpyxl data
    type per row: 'n', 'b', 's', or None for values openpyxl converts itself, e.g. dates) and `styles` (StyleArray or
    None per row); a column whose rows all share a kind or style holds it once instead of a list."""

    def __init__(self, ws, first_row: int, df: pd.DataFrame, formats: dict | None = None,
                 alignments: dict[int, Alignment] | None = None):
        self.first_row, self.count = first_row, len(df)
        formats, alignments = formats or {}, alignments or {}
        cache: dict[tuple, StyleArray | None] = {}

        def style(fmt: str | None, quote: bool, alignment: Alignment | None) -> StyleArray | None:
            key = (fmt, quote, alignment)
            if key not in cache:
                if fmt is None and not quote and alignment is None:
                    cache[key] = None
                else:
                    probe = Cell(ws)  # detached: only registers the format and alignment in the workbook
                    if fmt is not None:
                        probe.number_format = fmt
                    if alignment is not None:
                        probe.alignment = alignment
                    probe.quotePrefix = quote
                    cache[key] = probe._style
            return cache[key]

        self.columns = [self._column(df.iloc[:, j], formats.get(j), alignments.get(j), style) for j in range(df.shape[1])]

    def _column(self, series: pd.Series, fmt, alignment, style) -> tuple[list, str | list, object]:
        """(values, kinds, styles) of one column."""
        values = column_values(series)
        per_row = fmt if isinstance(fmt, list) else None
        dtype = series.dtype if isinstance(series.dtype, np.dtype) else None
        if dtype is not None and (dtype.kind in "iub" or dtype.kind == "f" and not np.isinf(series.to_numpy()).any()):
            kinds: str | list = "b" if dtype.kind == "b" else "n"
            quotes: list[int] = []
        else:
            if pd.api.types.infer_dtype(values, skipna=False) == "string":
                kinds, text = "s", range(len(values))
            else:
                kinds = [_KIND.get(type(v)) or _kind(v) for v in values]
                text = [k for k, kind in enumerate(kinds) if kind == "s"]
                if kinds and kinds[0] is not None and all(kind == kinds[0] for kind in kinds):
                    kinds = kinds[0]
            # the column's text searched at once; only a column with a hit is cleaned or checked value by value
            joined = "\n".join(values[k] for k in text)
            if ILLEGAL_CHARACTERS_RE.search(joined):
                for k in text:
                    values[k] = ILLEGAL_CHARACTERS_RE.sub("", values[k])
                joined = "\n".join(values[k] for k in text)
            quotes = [k for k in text if values[k].startswith(FORMULA_START)] if _FORMULA_LOOK.search(joined) else []
        if per_row is None and not quotes:
            return values, kinds, style(fmt, False, alignment)
        looks = [style(f, False, alignment) for f in per_row] if per_row is not None \
            else [style(fmt, False, alignment)] * len(values)
        for k in quotes:
            looks[k] = style(per_row[k] if per_row is not None else fmt, True, alignment)
        return values, kinds, looks

    @property
    def deferrable(self) -> bool:
        """True when every value is written by type alone (no dates or other values openpyxl converts)."""
        return all(kinds is not None and (isinstance(kinds, str) or None not in kinds) for _, kinds, _ in self.columns)

    @property
    def last_row(self) -> int:
        return self.first_row + self.count - 1

    def to_cells(self, ws) -> None:
        """The rows as openpyxl cells of `ws` (each cell with its own copy of its style, as openpyxl expects)."""
        cells, n = ws._cells, self.count
        for column, (values, kinds, looks) in enumerate(self.columns, start=1):
            kinds = [kinds] * n if isinstance(kinds, str) else kinds
            looks = looks if isinstance(looks, list) else [looks] * n
            for k in range(n):
                r = self.first_row + k
                cell = Cell(ws, row=r, column=column, style_array=looks[k])
                if kinds[k] is None:
                    cell.value = values[k]
                else:
                    cell._value = values[k]
                    cell.data_type = kinds[k]
                cells[(r, column)] = cell

    def xml(self, wb, row_attributes: dict[int, dict]) -> Iterator[bytes]:
        """The rows' <row> elements as openpyxl writes them (UTF-8, CHUNK_ROWS rows at a time: bounded memory);
        registers the cell styles (xf) in order of first use, row by row, as openpyxl does while writing cells;
        `row_attributes` {row: attributes} from the row dimensions."""
        first_use: dict[int, tuple[int, int, StyleArray]] = {}
        for c, (_, _, looks) in enumerate(self.columns):
            if isinstance(looks, list):
                for k, look in enumerate(looks):
                    if look is not None and id(look) not in first_use:
                        first_use[id(look)] = (k, c, look)
            elif looks is not None:
                first_use.setdefault(id(looks), (0, c, looks))
        ids = {key: (f' s="{wb._cell_styles.add(look)}"' if any(look) else "")
               for key, (_, _, look) in sorted(first_use.items(), key=lambda item: item[1][:2])}
        letters = [get_column_letter(c) for c in range(1, len(self.columns) + 1)]
        for start in range(0, self.count, CHUNK_ROWS):
            part = slice(start, start + CHUNK_ROWS)
            numbers = [str(r) for r in range(self.first_row + start, self.first_row + min(start + CHUNK_ROWS, self.count))]
            columns = [_column_xml(letter, numbers, values[part], kinds if isinstance(kinds, str) else kinds[part],
                                   looks[part] if isinstance(looks, list) else looks, ids)
                       for letter, (values, kinds, looks) in zip(letters, self.columns)]
            heads = [f'<row r="{r}"' + "".join(f' {k}="{_attribute(v)}"' for k, v in row_attributes[int(r)].items())
                     + ">" if int(r) in row_attributes else f'<row r="{r}">' for r in numbers] if row_attributes \
                else [f'<row r="{r}">' for r in numbers]
            yield "".join(head + "".join(cells) + "</row>" for head, cells in zip(heads, zip(*columns))).encode("utf-8")


def _kind(value) -> str | None:
    if isinstance(value, bool):
        return "b"
    if isinstance(value, (int, float)):
        return "n"
    return "s" if isinstance(value, str) else None


def _column_xml(letter: str, numbers: list[str], values: list, kinds, looks, ids: dict[int, str]) -> list[str]:
    """One column's <c> elements (or '' where openpyxl writes nothing: no value and no style)."""
    if isinstance(kinds, str) and not isinstance(looks, list):
        s = ids[id(looks)] if looks is not None else ""
        head = f'<c r="{letter}'
        if kinds == "s":  # each distinct text escaped once
            texts = {v: f'"{s} t="inlineStr"><is><t{_space(v)}>{_escape(v)}</t></is></c>' if v
                     else f'"{s} t="inlineStr" />' for v in set(values)}
            return [f"{head}{r}{texts[v]}" for r, v in zip(numbers, values)]
        empty = f'"{s} t="{kinds}" />' if s else None
        full = f'"{s} t="{kinds}"><v>'
        return [f"{head}{r}{full}{'%.16g' % v}</v></c>" if v is not None else (head + r + empty if empty else "")
                for r, v in zip(numbers, values)]
    n = len(values)
    kinds = [kinds] * n if isinstance(kinds, str) else kinds
    looks = looks if isinstance(looks, list) else [looks] * n
    return [_cell(f"{letter}{r}", ids[id(look)] if look is not None else "", kind, v)
            for r, v, kind, look in zip(numbers, values, kinds, looks)]


def _cell(ref: str, s: str, kind: str, value) -> str:
    """One cell as openpyxl's etree_write_cell writes it."""
    if kind == "s":
        if value == "":
            return f'<c r="{ref}"{s} t="inlineStr" />'
        return f'<c r="{ref}"{s} t="inlineStr"><is><t{_space(value)}>{_escape(value)}</t></is></c>'
    if value is None:
        return f'<c r="{ref}"{s} t="{kind}" />' if s else ""
    return f'<c r="{ref}"{s} t="{kind}"><v>{"%.16g" % value}</v></c>'


def _space(text: str) -> str:
    """xml:space="preserve" where openpyxl adds it (leading or trailing white space around other text)."""
    stripped = text.strip()
    return ' xml:space="preserve"' if stripped and stripped != text else ""


def _escape(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _attribute(text) -> str:
    text = _escape(str(text))
    for raw, code in (('"', "&quot;"), ("\r", "&#13;"), ("\n", "&#10;"), ("\t", "&#09;")):
        if raw in text:
            text = text.replace(raw, code)
    return text


def column_values(values: pd.Series) -> list:
    """A column as Python scalars: missing -> None, infinities -> '∞' / '-∞' (no spreadsheet number for them)."""
    if pd.api.types.is_float_dtype(values.dtype) and isinstance(values.dtype, np.dtype):
        array = values.to_numpy()
        out = array.tolist()
        for k in np.flatnonzero(~np.isfinite(array)):
            out[k] = python_scalar(array[k])
        return out
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iub":
        return values.tolist()
    return [v if type(v) is str else python_scalar(v)
            for v in values.astype(object).where(values.notna(), None).tolist()]


def python_scalar(value):
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None if np.isnan(value) else ("∞" if value > 0 else "-∞")
    return value


# ----- the file
def save_workbook(wb, filename, rows: dict, rendered: dict | None = None) -> None:
    """openpyxl's save (Workbook.save) with the data rows of the sheets in `rows` {worksheet: Rows} written as XML;
    `rendered` {worksheet: Rendered}: sheets rendered before, written as they were unless changed since."""
    wb.properties.modified = datetime.datetime.now(tz=datetime.timezone.utc).replace(tzinfo=None)
    with ZipFile(filename, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        _Writer(wb, archive, rows, rendered or {}).write_data()


class Rendered:
    """A sheet's XML and relationships made before its workbook is saved (e.g. while the plan's last stage runs),
    with what it looked like then: a sheet given cells, pictures, charts, merges or rows since is rendered again."""

    def __init__(self, ws, rows: Rows | None):
        self.seen = _looks(ws, rows)
        self.xml, self.rels = render_sheet(ws, rows)


def _looks(ws, rows: Rows | None) -> tuple:
    return (len(ws._cells), len(ws._images), len(ws._charts), len(ws.merged_cells.ranges), id(rows),
            rows.count if rows is not None else 0)


def render_sheet(ws, rows: Rows | None) -> tuple[bytes, object]:
    """The sheet's XML as the saved file holds it, and its relationships: openpyxl's writer, and the data rows
    (when given) written into its <sheetData>."""
    ws._drawing = SpreadsheetDrawing()
    ws._drawing.charts = ws._charts
    ws._drawing.images = ws._images
    if rows is None or not rows.count:
        writer = WorksheetWriter(ws, out=BytesIO())
        writer.write()
        return writer.out.getvalue(), writer._rels
    span = range(rows.first_row, rows.last_row + 1)
    # cells read (not written) in the rows' range, e.g. by ws.cell(), are set aside; any other is an error
    aside = {key: cell for key, cell in ws._cells.items() if key[0] in span}
    touched = [cell.coordinate for cell in aside.values() if not _pristine(cell)]
    if touched:
        raise RuntimeError(f"{ws.title}: cells {', '.join(touched[:5])} were changed after their rows were "
                           "prepared for bulk writing")
    dims = {r: ws.row_dimensions[r] for r in list(ws.row_dimensions.keys()) if r in span}
    for key in aside:
        del ws._cells[key]
    for r in dims:
        del ws.row_dimensions[r]
    try:
        writer = WorksheetWriter(ws, out=BytesIO())
        writer.write()
        xml = writer.out.getvalue()
        keys = [*ws._cells, *aside, (rows.first_row, 1), (rows.last_row, max(len(rows.columns), 1))]
        ref = (f"{get_column_letter(min(c for _, c in keys))}{min(r for r, _ in keys)}:"
               f"{get_column_letter(max(c for _, c in keys))}{max(r for r, _ in keys)}")
    finally:
        ws._cells.update(aside)
        for r, dim in dims.items():
            ws.row_dimensions[r] = dim
    body = b"".join(rows.xml(ws.parent, {r: dict(dim) for r, dim in dims.items()}))
    start = xml.index(b"<sheetData")
    head, found = _DIMENSION.subn(f'<dimension ref="{ref}" />'.encode(), xml[:start], count=1)
    tail = xml[start:]
    if not found:
        raise RuntimeError(f"{ws.title}: no <dimension> in the sheet written by openpyxl")
    if tail.startswith(b"<sheetData />"):
        tail = b"<sheetData>" + body + b"</sheetData>" + tail[len(b"<sheetData />"):]
    else:
        end = tail.index(b"</sheetData>")
        tail = tail[:end] + body + tail[end:]
    return head + tail, writer._rels


class _Writer(ExcelWriter):
    """openpyxl's package writer; each sheet's XML from render_sheet, or from before (`rendered`) when unchanged."""

    def __init__(self, wb, archive, rows: dict, rendered: dict):
        super().__init__(wb, archive)
        self.rows, self.rendered = rows, rendered

    def write_worksheet(self, ws):
        rows = self.rows.get(ws)
        before = self.rendered.pop(ws, None)
        if before is not None and before.seen == _looks(ws, rows):
            xml, ws._rels = before.xml, before.rels
        else:
            xml, ws._rels = render_sheet(ws, rows)
        self._archive.writestr(ws.path[1:], xml)
        self.manifest.append(ws)


def _pristine(cell) -> bool:
    """A cell openpyxl made on reading it (ws.cell(r, c)): no value, style, link or comment."""
    return (type(cell) is Cell and cell._value is None and not cell.has_style and cell.hyperlink is None
            and cell._comment is None)
