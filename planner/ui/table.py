"""Tables a planner can read in the browser: names beside or instead of IDs, Có/Không for yes/no, headers and
coded values in the screen's language, sorting by any column, a text filter and pages of rows at full height
(no small scroll boxes). Built from plain ipywidgets, so it works the same in Jupyter and Voila.
"""

from __future__ import annotations

import html
import unicodedata

import ipywidgets as widgets
import numpy as np
import pandas as pd

from .boxes import message_html
from .text import ui_lang, ui_text

PAGE_ROWS = 25  # rows per page; every row can be reached with the page buttons or the filter
SMALL_TABLE = 10
UNSORTED = -1  # the sort menu's "original order" (a None value would show an empty menu)  # tables this short show no filter or sort controls

# ID columns shown as names: column -> (input table, key column, name column). Commune codes are replaced by the
# commune's name (unique in a province); people, buildings and old units keep their ID with the name beside it.
COMMUNE_COLUMNS = ("commune_code", "runner_up_commune", "to_commune_code", "fixed_commune", "hq_commune_code",
                   "from_commune_code", "previous_commune")
NAMED_IDS = {"official_id": ("officials", "id", "name"),
             "building_id": ("buildings", "id", "name"),
             "served_by_building_id": ("buildings", "id", "name"),
             "old_unit_id": ("old_units", "id", "name"),
             "from_old_unit_id": ("old_units", "id", "name"),
             "home_old_unit_id": ("old_units", "id", "name")}


def _lookup(ds, table: str, key: str, name: str) -> dict:
    if ds is None or table not in getattr(ds, "tables", {}):
        return {}
    frame = ds[table]
    if key not in frame or name not in frame:
        return {}
    return dict(zip(frame[key].astype(str), frame[name].astype(str)))


def with_names(df: pd.DataFrame, ds) -> pd.DataFrame:
    """Commune codes replaced by commune names; officials, buildings and old units named beside their ID.

    Codes that are not in the dataset stay as they are (e.g. a plan opened against another province).
    """
    if ds is None or df is None or df.empty:
        return df
    out = df.copy()
    communes = _lookup(ds, "communes", "code", "name")
    for column in COMMUNE_COLUMNS:
        if column in out and communes:
            codes = out[column]
            named = codes.map(lambda v: communes.get(_code_text(v), v) if _present(v) else v)
            if column == "commune_code" and "commune_name" in out:
                out = out.drop(columns=column)  # the name is already there
            else:
                out[column] = named
    for column, (table, key, name) in NAMED_IDS.items():
        target = f"{column}__name"
        if column in out and target not in out:
            names = _lookup(ds, table, key, name)
            if names and not (column == "official_id" and "name" in out):
                position = out.columns.get_loc(column) + 1
                out.insert(position, target, out[column].astype(str).map(names).fillna(""))
    return out


def _present(value) -> bool:
    return not (value is None or value is pd.NA or (isinstance(value, float) and value != value))


def _code_text(value) -> str:
    """'101' for 101, 101.0 and '101' alike."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def fold(text: str) -> str:
    """Lower case without accents (đ -> d), to filter 'lang son' and 'Lạng Sơn' alike."""
    text = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def format_cell(value, lang: str) -> str:
    """A cell as shown: blank for missing, Có/Không for yes/no, thousands separators in the language's style."""
    if not _present(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return ui_text("yes" if value else "no", lang)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, float):
        shown = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}".rstrip("0").rstrip(".")
    elif isinstance(value, int) or type(value).__name__.startswith("int"):
        shown = f"{int(value):,}" if abs(int(value)) >= 10000 else str(int(value))
    else:
        return str(value)
    return shown.translate(str.maketrans(",.", ".,")) if lang == "vi" else shown


def readable(df: pd.DataFrame, lang: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Rows with KPI names and coded values (fields, positions, uses...) spelled out, and the column headers
    used in the workbook (planner.labels)."""
    from ..messages import in_language
    from ..kpis import kpi_labels
    from ..labels import VALUE_KIND, base_column, column_label, value_label

    lang = ui_lang(lang)
    df = in_language(df, lang)
    if "kpi" in df.columns:  # KPI keys as their labels, with the row's code and number (those columns left out)
        df = df.assign(kpi=kpi_labels(df, lang)).drop(columns=["code", "param"], errors="ignore")
    spelled = {}
    for column in df.columns:
        name = base_column(str(column))
        if name in VALUE_KIND or name == "unit":  # units are spelled out as in the workbook's key figures
            kind = VALUE_KIND.get(name, "unit")
            spelled[column] = df[column].map(lambda v, kind=kind: value_label(kind, v, lang))
    return df.assign(**spelled) if spelled else df, [column_label(str(c), lang) for c in df.columns]


def shown_frame(df: pd.DataFrame, lang: str, ds=None) -> tuple[pd.DataFrame, list[str]]:
    """The rows as the screen shows them (names, labels) and their headers in the language."""
    named = with_names(df, ds)
    renamed = {c: c.removesuffix("__name") for c in named.columns if str(c).endswith("__name")}
    frame, headers = readable(named.rename(columns={c: f"__{c}" for c in renamed}), lang)
    name_header = ui_text("name_column", lang)
    headers = [name_header if str(c).startswith("__") and str(c).endswith("__name") else h
               for c, h in zip(frame.columns, headers)]
    return frame, headers


def html_table(frame: pd.DataFrame, headers: list[str], lang: str, sorted_by: int | None = None,
               descending: bool = False) -> str:
    """An HTML table of already readable rows (escaped text, numbers right-aligned)."""
    arrows = {True: " ▼", False: " ▲"}
    head = "".join(
        f"<th style='text-align:left;padding:3px 8px;border-bottom:2px solid #777;background:#f2f4f4;"
        f"position:sticky;top:0'>{html.escape(h)}{arrows[descending] if k == sorted_by else ''}</th>"
        for k, h in enumerate(headers))
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) for c in frame.columns]
    rows = []
    for index, row in enumerate(frame.itertuples(index=False, name=None)):
        shade = "background:#fafafa;" if index % 2 else ""
        cells = "".join(f"<td style='padding:2px 8px;{'text-align:right;' if num else ''}'>"
                        f"{html.escape(format_cell(v, lang))}</td>" for v, num in zip(row, numeric))
        rows.append(f"<tr style='{shade}border-bottom:1px solid #eee'>{cells}</tr>")
    return (f"<table class='planner-table' style='border-collapse:collapse;font-size:90%'><thead><tr>{head}</tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table>")


class DataTable:
    """A table with a filter box, a sort menu (any column, ascending or descending) and pages of rows.

    `widget` is what the tab shows; `page_frame()` is the rows on screen (tests read it).
    """

    def __init__(self, df: pd.DataFrame | None, title: str = "", lang: str | None = None, ds=None,
                 page_rows: int = PAGE_ROWS):
        self.lang = ui_lang(lang)
        self.page_rows = page_rows
        self.page = 0
        df = df if df is not None else pd.DataFrame()
        caption = widgets.HTML(f"<div style='font-weight:bold;margin:8px 0 2px 0'>{html.escape(title)}</div>"
                               if title else "")
        if df.empty:
            self.frame, self.headers, self.rows = pd.DataFrame(), [], pd.DataFrame()
            self.view = widgets.HTML(message_html(title or ui_text("table", self.lang),
                                                  [ui_text("no_rows", self.lang)], kind="info"))
            self.widget = widgets.VBox([self.view])
            self.widget.add_class("planner-datatable")
            self.widget.datatable = self
            return
        self.frame, self.headers = shown_frame(df.reset_index(drop=True), self.lang, ds)
        self.search = pd.Series([fold(" ".join(format_cell(v, self.lang) for v in row))
                                 for row in self.frame.itertuples(index=False, name=None)], index=self.frame.index)
        self.rows = self.frame
        self.filter = widgets.Text(placeholder=ui_text("filter_placeholder", self.lang), continuous_update=False,
                                   layout=widgets.Layout(width="260px"))
        self.filter.add_class("planner-filter")
        self.sort = widgets.Dropdown(options=[(ui_text("sort_none", self.lang), UNSORTED)]
                                     + [(h, k) for k, h in enumerate(self.headers)],
                                     description=ui_text("sort_by", self.lang), layout=widgets.Layout(width="320px"),
                                     style={"description_width": "initial"})
        self.descending = widgets.Checkbox(value=False, description=ui_text("descending", self.lang), indent=False,
                                           layout=widgets.Layout(width="auto"))
        self.previous = widgets.Button(icon="chevron-left", tooltip=ui_text("previous_page", self.lang),
                                       layout=widgets.Layout(width="40px"))
        self.next = widgets.Button(icon="chevron-right", tooltip=ui_text("next_page", self.lang),
                                   layout=widgets.Layout(width="40px"))
        self.position = widgets.HTML()
        self.view = widgets.HTML()
        self.filter.observe(lambda _: self.refresh(first_page=True), names="value")
        self.sort.observe(lambda _: self.refresh(first_page=True), names="value")
        self.descending.observe(lambda _: self.refresh(first_page=True), names="value")
        self.previous.on_click(lambda _: self.turn(-1))
        self.next.on_click(lambda _: self.turn(+1))
        controls = widgets.HBox([self.filter, self.sort, self.descending],
                                layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        if len(self.frame) <= SMALL_TABLE:  # a few rows are read at a glance: no filter or sort controls
            controls.layout.display = "none"
        pager = widgets.HBox([self.previous, self.position, self.next], layout=widgets.Layout(align_items="center"))
        self.pager = pager
        self.widget = widgets.VBox([caption, controls, self.view, pager])
        self.widget.add_class("planner-datatable")
        self.widget.datatable = self  # the table behind the widget, for code that holds only the widget
        self.refresh()

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.rows) // self.page_rows))

    def turn(self, step: int) -> None:
        self.page = min(max(self.page + step, 0), self.pages - 1)
        self.refresh()

    def refresh(self, first_page: bool = False) -> None:
        """Apply the filter and the sort, then show the current page."""
        rows = self.frame
        words = fold(self.filter.value).split()
        if words:
            keep = self.search.map(lambda line: all(w in line for w in words))
            rows = rows[keep.to_numpy()]
        if self.sort.value != UNSORTED:
            column = rows.columns[self.sort.value]
            rows = rows.sort_values(column, ascending=not self.descending.value, kind="stable",
                                    key=lambda s: s if pd.api.types.is_numeric_dtype(s) else s.astype(str).map(fold))
        self.rows = rows
        if first_page:
            self.page = 0
        self.page = min(self.page, self.pages - 1)
        self.view.value = html_table(self.page_frame(), self.headers, self.lang, self.sort.value, self.descending.value)
        start = self.page * self.page_rows
        self.position.value = (f"<span style='margin:0 8px'>{html.escape(ui_text('rows_of', self.lang, first=f'{start + 1 if len(rows) else 0:,}', last=f'{min(start + self.page_rows, len(rows)):,}', total=f'{len(rows):,}', all=f'{len(self.frame):,}'))}</span>")
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1
        self.pager.layout.display = "none" if len(self.frame) <= self.page_rows else ""

    def page_frame(self) -> pd.DataFrame:
        start = self.page * self.page_rows
        return self.rows.iloc[start:start + self.page_rows]
