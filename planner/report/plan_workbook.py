"""The leadership workbook for one plan: what a meeting prints first, lookup tables after, technical last.

Sheet 1 is the leadership summary (planner.report.summary: headline figures in plain sentences, the
decisions for the meeting, budget, charts, the shortage map) on one A4 landscape page. Then the meeting
sheets in reading order (the staffing grid, surplus staff, HQs, buildings, equipment, norms), then the
lookup tables (assignments, long staffing table, equipment balance ...), which are kept on screen but
not printed, then "Thông tin kỹ thuật" / "Technical information" (provenance, every KPI, solver runs,
scenario parameters, model notes). Which sheet prints what is data: planner/schema/outputs/workbook_sheets.csv.

Written with openpyxl: styled headers, frozen panes, filters, locale-tagged number formats, conditional
formatting, print setup (A4, fit to width, header row repeated, footer with plan name and page); the tables' data
rows go straight into the sheets' XML (planner.report.bulk), not through one openpyxl cell each. Every
plan table keeps its full form and the workbook-level defined name `planner_<table>`, so programs find it
whatever the language (planner.readback). Text from the data is always stored as text, never as a formula;
`anonymize` replaces officials' names with their ids. No server path is written: the input is named by its
file name only. The file is written to a temporary name beside the target and renamed, never over the input.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePath

import pandas as pd
import yaml

from .. import labels as L
from .. import vocab
from ..dataset import Dataset
from ..kpis import KPI_COLUMNS
from ..messages import translated
from ..norms_used import quota_sources, status_counts
from ..payload import embed_plan, plan_payload
from ..plan import Plan
from ..side import outcome
from . import words as W
from .anonymize import Anonymizer
from .comparison import COMPARISON_ORDER
from .sheets import SheetView, SheetWriter, ordered
from .style import (AMBER_FILL, BLOCK_FONT, BOLD, LEFT, STATUS_FILL, SUBTITLE_FONT, TITLE_FONT, UNIT_ALIGNMENT,
                    formats_by_unit, localized, number_format, number_or_text, put, write_rows)
from .summary import budget_table, write_summary

LAYOUT_FILE = Path(__file__).resolve().parents[1] / "schema" / "outputs" / "workbook_sheets.csv"
GRID_FORMAT = '#,##0;-#,##0;""'  # people short per field: a blank for none
BUDGET_COLUMNS = ["budget_item", "budget_limit", "budget_used", "budget_share"]
DRAW = object()  # write_plan_workbook's map_png when the map is to be drawn there


def layout() -> dict[str, SheetView]:
    """table -> what of it prints, in workbook order (planner/schema/outputs/workbook_sheets.csv)."""
    frame = pd.read_csv(LAYOUT_FILE, dtype=str, keep_default_na=False)
    return {r.table: SheetView(printed=r.printed or "all", rows_when=r.rows_when, columns=tuple(r.columns.split()),
                               wrap=tuple(r.wrap.split())) for r in frame.itertuples()}


def write_plan_workbook(plan: Plan, dataset: Dataset, path: Path, lang: str = "vi", anonymize: bool = False,
                        comparison: dict[str, pd.DataFrame] | None = None, embedded: Plan | None = None,
                        map_png=DRAW, side=None, early: "EarlyWorkbook | None" = None) -> Path:
    """Write the leadership workbook for one plan (plus comparison sheets when given); return its path. `embedded`
    (the plan, or its anonymized copy) goes into the same file as the very hidden sheet that planner compare and the
    register read back (planner.payload.embed_plan): one save, not a second pass over the file. `map_png`: the
    summary's map already drawn (PNG bytes; None: no map), or a function giving it when the summary is written
    (EarlyMap.png); by default it is drawn here. `side` (planner.side): the embedded plan's payload is made there
    while the sheets are written here, when it is idle. `early`: sheets already written (EarlyWorkbook), kept when
    they are this plan's; the summary and the other sheets are added and every sheet put in its place."""
    # the embedded plan's payload is made in the side process when it is free (it then runs while the sheets are
    # written here); while it still draws the map, here, before the summary waits for the map
    beside = side is not None and embedded is not None and side.idle()
    payload_job = side.submit(plan_payload, embedded) if beside else None
    tables = meeting_tables(plan.tables)
    writer, done = early.take(plan, tables, lang, anonymize, comparison) if early is not None else (None, ())
    if writer is None:
        writer = _PlanWriter(lang, dataset, plan.provenance.get("province") or dataset.province,
                             plan.provenance.get("scenario_name", ""), plan.status,
                             Anonymizer.build(dataset, plan.tables) if anonymize else None)
    norms = norms_line(tables["norms_used"], lang) if tables.get("norms_used") is not None else None
    _write_tables(writer, {name: df for name, df in tables.items() if name not in done}, lang)
    comparison = ordered(comparison or {}, COMPARISON_ORDER)
    for name, df in comparison.items():
        writer.table(name, df)
    writer.technical(plan, tables)
    if embedded is not None:
        embed_plan(writer.wb, embedded, outcome(payload_job, plan_payload, embedded))
    # the summary last, so that a map still being drawn in the side process is waited for as late as possible
    if callable(map_png):
        map_png = map_png()
    write_summary(writer, plan, tables, shortage_map(plan, dataset, lang) if map_png is DRAW else map_png, norms)
    writer.put_in_order(["summary", *tables, *comparison, "technical"])
    return writer.save(Path(path), protected=[dataset.source])


def _write_tables(writer: "_PlanWriter", tables: dict[str, pd.DataFrame], lang: str) -> None:
    """The plan's tables on their sheets, as the layout says (the grid and surplus overview with their own headers)."""
    views = layout()
    for name, df in tables.items():
        if name in ("staffing_grid", "surplus_summary"):
            writer.table(name, df, views[name], headers=view_headers(df, lang),
                         formats={c: localized(GRID_FORMAT, lang) for c in df.columns if c.endswith("]")},
                         note=W.text("grid_note", lang) if name == "staffing_grid" else "")
        else:
            writer.table(name, df, views.get(name))


class EarlyWorkbook:
    """The result workbook's sheets of the stages already planned, written while the side process (planner.side)
    finishes its stage: `planner solve` passes `prepare` to run_plan as while_waiting, and this object to
    write_plan_workbook as `early`. Their XML is made then too (SheetWriter.render), so saving only writes it. On
    Lào Cai the main process would otherwise wait about 0.5 s for the equipment plan and then write every sheet.

    What it writes is what write_plan_workbook would write for the same tables: `take` hands the sheets over only
    when the plan is written in the same language and status, without anonymizing or comparison sheets, and every
    early table is the very object the plan holds (and each view, e.g. the staffing grid, comes from such a table);
    otherwise the workbook is written from the start as usual."""

    def __init__(self, dataset: Dataset, scenario_name: str, lang: str, status: str):
        self.dataset, self.scenario_name, self.lang, self.status = dataset, scenario_name, lang, status
        self.writer: _PlanWriter | None = None
        self.sources: dict[str, pd.DataFrame] = {}  # plan table -> the object its early sheets were written from
        self.done: tuple[str, ...] = ()  # meeting tables written early

    def prepare(self, results: dict) -> None:
        """Write the sheets of these stage results' tables (run_plan's while_waiting)."""
        self.sources = {name: df for result in results.values() for name, df in result.tables.items()}
        tables = meeting_tables(self.sources)
        self.done = tuple(name for name in tables if name in self.sources or VIEW_SOURCES.get(name) in self.sources)
        self.writer = _PlanWriter(self.lang, self.dataset, self.dataset.province, self.scenario_name, self.status, None)
        _write_tables(self.writer, {name: tables[name] for name in self.done}, self.lang)
        self.writer.render()  # their XML too: saving then only writes it

    def take(self, plan: Plan, tables: dict[str, pd.DataFrame], lang: str, anonymize: bool,
             comparison) -> tuple["_PlanWriter | None", tuple[str, ...]]:
        """(the writer with the early sheets, the tables written) when they are this plan's, else (None, ())."""
        writer, self.writer = self.writer, None  # handed over once
        same = (writer is not None and lang == self.lang and not anonymize and not comparison
                and plan.status == self.status and writer.scenario == str(plan.provenance.get("scenario_name", ""))
                and writer.province == str(plan.provenance.get("province") or self.dataset.province)
                and all(plan.tables.get(name) is df for name, df in self.sources.items())
                and all(name in tables for name in self.done))
        return (writer, self.done) if same else (None, ())


def shortage_map(plan: Plan, dataset: Dataset, lang: str) -> bytes | None:
    """The summary's map (PNG), when the plan has a staffing table and the communes have coordinates."""
    inputs = shortage_map_inputs(plan.tables, dataset, lang)
    return None if inputs is None else shortage_map_png_or_none(*inputs)


def shortage_map_inputs(tables: dict[str, pd.DataFrame], dataset: Dataset | None, lang: str) -> tuple | None:
    """shortage_map_png_or_none's arguments from the staffing tables (None: no staffing plan, no map); the map can be
    drawn as soon as the staffing stage ends (`planner solve` draws it in its side process, planner.side)."""
    staffing = tables.get("staffing_by_commune")
    if staffing is None or "shortage" not in staffing.columns or dataset is None:
        return None
    return staffing, dataset["communes"], lang, dataset["old_units"]


class EarlyMap:
    """The summary's map drawn in the side process (planner.side) while the later stages run: pass it to run_plan as
    on_result (it starts the drawing when the staffing stage ends) and `png` to write_plan_workbook as map_png.
    Without a side process, or when it fails, the map is drawn by `png()` here, the same picture."""

    def __init__(self, side, dataset: Dataset, lang: str):
        self.side, self.dataset, self.lang = side, dataset, lang
        self.job = None  # (future, inputs)

    def __call__(self, stage: str, result) -> None:
        inputs = shortage_map_inputs(result.tables, self.dataset, self.lang) if stage == "staffing" else None
        if self.side is not None and inputs is not None:
            self.job = (self.side.submit(shortage_map_png_or_none, *inputs), inputs)

    def png(self):
        """The map's PNG (None: no map) once started, else DRAW (write_plan_workbook draws it from the plan)."""
        if self.job is None:
            return DRAW
        future, inputs = self.job
        return outcome(future, shortage_map_png_or_none, *inputs)


def shortage_map_png_or_none(staffing: pd.DataFrame, communes: pd.DataFrame, lang: str,
                             old_units: pd.DataFrame | None) -> bytes | None:
    """The map as PNG bytes, or None when no commune has coordinates."""
    from .map_image import shortage_map_png

    try:
        return shortage_map_png(staffing, communes, lang, old_units)
    except ValueError:  # no commune has coordinates
        return None


VIEW_SOURCES = {"staffing_grid": "staffing_by_commune", "surplus_summary": "surplus_officials",
                "surplus_buildings": "building_uses", "surplus_equipment": "equipment_balance"}  # meeting_tables' views


def meeting_tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The plan's tables plus derived views (staffing grid, surplus overview, surplus buildings, surplus equipment),
    in workbook order: the layout's order, then tables it does not name."""
    out = dict(tables)
    staffing = tables.get("staffing_by_commune")
    if staffing is not None and {"commune_code", "field", "shortage", "required_min", "assigned"} <= set(staffing.columns):
        out["staffing_grid"] = staffing_grid(staffing)
    surplus = tables.get("surplus_officials")
    if surplus is not None and "field" in surplus.columns:
        out["surplus_summary"] = surplus_summary(surplus)
    uses = tables.get("building_uses")
    if uses is not None and "use" in uses.columns:
        kept = {vocab.role_code("building_uses", role) for role in ("headquarters", "service_point")}
        out["surplus_buildings"] = uses[~uses["use"].isin(kept)].reset_index(drop=True)
    balance = tables.get("equipment_balance")
    if balance is not None and {"surplus", "disposed"} <= set(balance.columns):
        keep = [c for c in ("old_unit_id", "item_type", "inventory", "surplus", "disposed", "surplus_value_vnd")
                if c in balance.columns]
        rows = (balance["surplus"].astype(float) > 0) | (balance["disposed"].astype(float) > 0)
        out["surplus_equipment"] = balance.loc[rows, keep].reset_index(drop=True)
    return ordered(out, list(layout()))


def staffing_grid(staffing: pd.DataFrame) -> pd.DataFrame:
    """One row per commune: minimum, assigned, short, surplus, and one column 'shortage [<field>]' per field short
    somewhere (people short there; a field short nowhere would be a blank column); they add up to the shortage."""
    by_commune = staffing.groupby("commune_code", sort=False).agg(
        required_min=("required_min", "sum"), assigned=("assigned", "sum"), shortage=("shortage", "sum"),
        **({"surplus": ("surplus", "sum")} if "surplus" in staffing.columns else {}))
    names = staffing.drop_duplicates("commune_code").set_index("commune_code")
    if "commune_name" in names.columns:
        by_commune.insert(0, "commune_name", names["commune_name"].reindex(by_commune.index))
    active = staffing.groupby("field", sort=False)["shortage"].sum()
    order = [f for f in vocab.codes("fields") if f in active.index] + [f for f in active.index
                                                                        if f not in vocab.codes("fields")]
    fields = [f for f in order if active[f] > 0]
    short = staffing.pivot_table(index="commune_code", columns="field", values="shortage", aggfunc="sum",
                                 fill_value=0).reindex(index=by_commune.index, fill_value=0)
    for field in fields:
        by_commune[f"shortage [{field}]"] = short[field].astype(int).to_numpy() if field in short.columns else 0
    return by_commune.reset_index()


def view_headers(view: pd.DataFrame, lang: str) -> dict[str, str]:
    """Headers of the views' per-code columns: 'shortage [<field>]' -> the field's name, 'surplus_reason [<code>]'
    -> the reason's name."""
    out = {}
    for col in view.columns:
        hit = L.SCENARIO_COLUMN.match(col)
        if hit and hit["base"] in ("shortage", "surplus_reason"):
            kind = "field" if hit["base"] == "shortage" else "surplus_reason"
            out[col] = str(L.value_label(kind, hit["scenario"], lang))
    return out


def surplus_summary(surplus: pd.DataFrame) -> pd.DataFrame:
    """Surplus staff per field: how many, how many reach retirement age within 5 years, and per reason code."""
    frame = surplus.assign(_soon=pd.to_numeric(surplus.get("years_to_retirement"), errors="coerce") <= 5
                           if "years_to_retirement" in surplus.columns else False)
    out = frame.groupby("field", sort=False).agg(count=("field", "size"), retire_soon=("_soon", "sum"))
    if "surplus_reason" in frame.columns:
        reasons = pd.crosstab(frame["field"], frame["surplus_reason"])
        for code in [c for c in vocab.codes("surplus_reasons") if c in reasons.columns]:
            out[f"surplus_reason [{code}]"] = reasons[code].reindex(out.index).to_numpy()
    return out.sort_values("count", ascending=False).reset_index()


def budget_rows(plan: Plan, lang: str) -> pd.DataFrame:
    """The Summary's budget block (planner.report.summary.budget_table): budget_item, budget_limit, budget_used,
    budget_share."""
    return budget_table(plan, lang)


class _PlanWriter(SheetWriter):
    """The technical sheet: provenance, the dual-value note, every KPI, solver runs, scenario parameters, notes;
    each sheet remembered by its table, so the sheets can be put in order when some were written early."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sheets: dict[str, object] = {}  # table -> its worksheet

    def new_sheet(self, table: str):
        ws = self.sheets[table] = super().new_sheet(table)
        return ws

    def put_in_order(self, names: list[str]) -> None:
        """The sheets of these tables first, in this order (the workbook opens on the first), then any other."""
        first = [self.sheets[name] for name in names if name in self.sheets]
        self.wb._sheets = first + [ws for ws in self.wb._sheets if ws not in first]
        self.wb.active = 0

    def technical(self, plan: Plan, tables: dict[str, pd.DataFrame]) -> None:
        lang = self.lang
        ws = self.new_sheet("technical")
        prov = plan.provenance
        put(ws.cell(1, 1), f"{L.sheet_label('technical', lang)} — {self.province}").font = TITLE_FONT
        put(ws.cell(2, 1), f"{L.text('scenario', lang)}: {self.scenario} · "
                           f"{L.value_label('plan_status', plan.status, lang)}").font = SUBTITLE_FONT
        info = [("province", self.province), ("scenario", self.scenario),
                ("plan_status", L.value_label("plan_status", plan.status, lang)),
                ("created_utc", prov.get("created_utc", "")), ("data_source", file_name(prov.get("data_source", ""))),
                ("data_hash", prov.get("data_hash", "")), ("scenario_digest", prov.get("scenario_digest", "")),
                ("planner_version", prov.get("planner_version", "")),
                ("stages", ", ".join(str(L.value_label("stage", s, lang)) for s in str(prov.get("stages", "")).split(",")
                                     if s))]
        if tables.get("norms_used") is not None:
            info.append(("norms_applied", norms_line(tables["norms_used"], lang)))
        row = 4
        put(ws.cell(row, 1), W.text("provenance", lang)).font = BLOCK_FONT
        for key, value in info:
            row += 1
            put(ws.cell(row, 1), L.text(key, lang)).font = BOLD
            put(ws.cell(row, 2), self.anon.text(str(value)) if self.anon else str(value))
            if key == "plan_status":
                ws.cell(row, 2).fill = STATUS_FILL.get(plan.status, AMBER_FILL)
        staffing = plan.tables.get("staffing_by_commune")
        if staffing is not None and "marginal_value_basis" in staffing.columns and len(staffing):
            bases = self.display(staffing[["marginal_value_basis"]])["marginal_value_basis"].astype(str).unique()
            row += 2
            put(ws.cell(row, 1), W.text("dual_note", lang).format(basis="; ".join(bases)))
        row = self._block(ws, row + 2, "all_kpis", self._kpi_rows(plan.kpis), ["kpi", "value", "unit", "stage"])
        solves = plan.solves[[c for c in ("model", "solver_version", "status", "objective", "gap", "build_seconds",
                                          "solve_seconds", "variables", "constraints") if c in plan.solves.columns]]
        row = self._block(ws, row + 1, "solver_runs", self.display(solves), list(solves.columns))
        params = _flatten(yaml.safe_load(prov.get("scenario_yaml") or "") or {})
        frame = pd.DataFrame({"parameter": [W.parameter_label(k, lang) or k for k in params],
                              "parameter_code": list(params), "value": [_param_text(k, v, lang) for k, v in params.items()]})
        start = row + 3
        row = self._block(ws, row + 1, "parameters", frame, ["parameter", "parameter_code", "value"],
                          headers=[L.column_label("parameter", lang), W.text("parameter_code", lang),
                                   L.column_label("value", lang)])
        for (cell,) in ws.iter_rows(min_row=start, max_row=row - 1, min_col=3, max_col=3):
            cell.alignment = LEFT
        if plan.notes:
            put(ws.cell(row + 1, 1), L.text("notes", lang)).font = BLOCK_FONT
            for k, note in enumerate(plan.notes, start=row + 2):
                note = translated(note, lang)
                put(ws.cell(k, 1), self.anon.text(note) if self.anon else note)
            row += 1 + len(plan.notes)
        for letter, width in zip("ABCDEFGHI", (62, 30, 22, 14, 10, 10, 10, 11, 11)):
            ws.column_dimensions[letter].width = width
        self.page_setup(ws, print_area=f"A1:I{row}")

    def _block(self, ws, row: int, key: str, df: pd.DataFrame, columns: list[str],
               headers: list[str] | None = None) -> int:
        """A titled small table; returns the next free row."""
        title = W.text(key, self.lang) if key in W.TEXT else L.text(key, self.lang)
        put(ws.cell(row, 1), title).font = BLOCK_FONT
        self.header(ws, row + 1, headers or [L.column_label(c, self.lang) for c in columns])
        ws.row_dimensions[row + 1].height = 30
        body = df[columns] if len(df) else pd.DataFrame(columns=columns)
        formats: dict[int, str | list[str]] = {}
        for j, col in enumerate(columns if len(body) else ()):
            if col == "value" and "unit_code" in df.columns:
                formats[j] = formats_by_unit(body[col], df["unit_code"], self.lang)
            elif (fmt := number_format(col, body[col], self.lang)) is not None:
                formats[j] = fmt
        write_rows(ws, row + 2, body, formats)
        if "unit" in columns and len(body):
            j = columns.index("unit") + 1
            for (cell,) in ws.iter_rows(min_row=row + 2, max_row=row + 1 + len(body), min_col=j, max_col=j):
                cell.alignment = UNIT_ALIGNMENT
        return row + 2 + len(body)

    def _kpi_rows(self, kpis: pd.DataFrame) -> pd.DataFrame:
        """Every KPI in words (label with its code and number, unit, stage); unit_code keeps the unit for formats.
        Shares carry no unit word: the % of the format says it."""
        shown = self.display(kpis[[c for c in KPI_COLUMNS if c in kpis.columns]])
        shown["unit_code"] = kpis["unit"].to_numpy()
        shown["value"] = kpis["value"].map(number_or_text).to_numpy()
        shown.loc[shown["unit_code"].isin(["ratio", "%", "share"]).to_numpy(), "unit"] = ""
        return shown


def file_name(source) -> str:
    """The input named by its file name only: no folder of the machine that made the plan."""
    text = str(source or "")
    return PurePath(text.replace("\\", "/")).name if text else ""


def norms_line(norms_used: pd.DataFrame, lang: str) -> str:
    """The Summary's line on the norms: how many rules are reference / overridden / province / scenario, and what
    the staff quota follows (the documents its rules cite, e.g. Official Dispatch 09/CV-BCĐ)."""
    counts = status_counts(norms_used)
    sources = quota_sources(norms_used, lang)
    quota = ", ".join(sources) if sources else L.text("quota_by_province", lang)
    return L.text("norms_line", lang).format(total=len(norms_used), quota_source=quota, **counts)


def _flatten(data, prefix: str = "") -> dict[str, object]:
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            out |= _flatten(value, f"{prefix}{key}.")
        return out
    return {prefix.rstrip("."): data}


def _param_text(key: str, value, lang: str):
    """A scenario value as shown: paths by their file name, lists as JSON, booleans as Có/Không (Yes/No)."""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return "—"
    if isinstance(value, str) and key.endswith(("previous_plan", "_path", "_file")):
        return file_name(value)
    if isinstance(value, bool):
        return L.value_labels("bool", lang)["true" if value else "false"]
    return value if isinstance(value, (int, float)) else str(value)
