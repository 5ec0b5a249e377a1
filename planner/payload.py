"""A plan inside a result workbook and plans read back from files, without the register's database.

The plan travels as zlib-compressed JSON (column names, dtypes, values; never pickled: reading must not run code),
embedded in a result workbook as the very hidden sheet `planner_data` (embed_plan, called by the writer before
its one save), so that
`planner compare a.xlsx b.xlsx` reads the plan exactly as it was solved (read_plan_file). planner.register stores
tables in the same encoding. Kept apart from the register so that `planner solve` does not import SQLAlchemy.
"""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path

import pandas as pd

from . import labels as L
from .plan import Plan
from .validate import MAX_UNPACKED_BYTES

PAYLOAD_SHEET = "planner_data"  # the hidden sheet of a result workbook holding the plan (embed_plan)
PAYLOAD_FORMAT = "planner-plan/1"
CELL_CHARS = 32000  # below Excel's 32,767 characters per cell
STATUSES = ("draft", "reviewed", "approved")


# ----- tables as compressed JSON (no pickle: loading never runs code)
def frame_dict(df: pd.DataFrame) -> dict:
    """A frame as plain JSON values: columns, dtypes and values column by column (NaN/NA as null)."""
    data = []
    for j in range(df.shape[1]):
        col = df.iloc[:, j]
        if pd.api.types.is_datetime64_any_dtype(col):
            values = [None if pd.isna(v) else v.isoformat() for v in col]
        else:
            values = col.astype(object).where(col.notna(), None).tolist()
        data.append(values)
    return {"columns": [str(c) for c in df.columns], "dtypes": [str(t) for t in df.dtypes], "data": data}


def frame_from_dict(d: dict) -> pd.DataFrame:
    """The frame of frame_dict, dtypes restored where pandas knows them (else left as read)."""
    columns, dtypes, data = list(d["columns"]), list(d["dtypes"]), list(d["data"])
    if not (len(columns) == len(dtypes) == len(data)) or len({len(v) for v in data}) > 1:
        raise ValueError("malformed table")
    out = pd.DataFrame({j: pd.Series(values, dtype=object) for j, values in enumerate(data)})
    if not len(columns):
        return pd.DataFrame()
    for j, dtype in enumerate(dtypes):
        col = out[j]
        try:
            if dtype.startswith("datetime64"):
                col = pd.to_datetime(col, utc="UTC" in dtype)
            elif dtype != "object":
                col = col.astype(dtype)
        except (TypeError, ValueError):
            pass  # e.g. a dtype this pandas does not know: keep the values as read
        out[j] = col
    out.columns = columns
    return out


def frame_blob(df: pd.DataFrame) -> bytes:
    return zlib.compress(json.dumps(frame_dict(df), ensure_ascii=False, default=_json_default).encode("utf-8"), 6)


def frame_from_blob(blob: bytes) -> pd.DataFrame:
    return frame_from_dict(json.loads(_inflate(blob)))


def _inflate(blob: bytes, limit: int = MAX_UNPACKED_BYTES) -> bytes:
    """zlib data unpacked, refused beyond `limit` bytes (a crafted blob must not fill the memory)."""
    d = zlib.decompressobj()
    out = d.decompress(blob, limit)
    if d.unconsumed_tail:
        raise ValueError(f"packed table larger than {limit:,} bytes once unpacked")
    return out


def _json_default(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


# ----- the plan inside a result workbook, and plans read back from files
def plan_payload(plan: Plan) -> str:
    """The whole plan as one text (zlib + base64 JSON)."""
    body = {"format": PAYLOAD_FORMAT, "status": plan.status, "notes": [str(n) for n in plan.notes],
            "provenance": {str(k): v for k, v in plan.provenance.items()},
            "kpis": frame_dict(plan.kpis), "solves": frame_dict(plan.solves),
            "tables": {name: frame_dict(df) for name, df in plan.tables.items()}}
    raw = json.dumps(body, ensure_ascii=False, default=_json_default).encode("utf-8")
    return base64.b64encode(zlib.compress(raw, 6)).decode("ascii")


def plan_from_payload(text: str) -> Plan:
    body = json.loads(_inflate(base64.b64decode(text, validate=True)))
    if not isinstance(body, dict) or body.get("format") != PAYLOAD_FORMAT:
        raise ValueError(f"not a {PAYLOAD_FORMAT} payload")
    return Plan(tables={str(k): frame_from_dict(v) for k, v in body["tables"].items()},
                kpis=frame_from_dict(body["kpis"]), solves=frame_from_dict(body["solves"]),
                provenance=dict(body["provenance"]), notes=[str(n) for n in body.get("notes", [])],
                status=body.get("status") if body.get("status") in STATUSES else "draft")


def embed_plan(wb, plan: Plan, payload: str | None = None) -> None:
    """Add the plan to an openpyxl workbook as the very hidden sheet `planner_data` (A1 the format, then the
    payload of plan_payload in pieces of CELL_CHARS down column A). Not printed, not shown in the sheet list.
    Give an anonymized plan (names replaced) when the workbook is anonymized: the payload holds every table.
    `payload`: plan_payload(plan) when already made (e.g. in planner solve's side process)."""
    if PAYLOAD_SHEET in wb.sheetnames:
        del wb[PAYLOAD_SHEET]
    ws = wb.create_sheet(PAYLOAD_SHEET)
    ws.sheet_state = "veryHidden"
    ws.cell(1, 1, PAYLOAD_FORMAT)
    text = plan_payload(plan) if payload is None else payload
    for k in range(0, len(text), CELL_CHARS):
        ws.cell(2 + k // CELL_CHARS, 1, text[k:k + CELL_CHARS])


def read_plan_file(path: Path) -> Plan:
    """A plan from a result workbook (its `planner_data` sheet; without it the tables registered as `planner_<table>`,
    KPIs then unknown) or from a CSV folder written by `planner solve --csv-dir` (tables, <stage>_kpis,
    solver_runs, provenance)."""
    path = Path(path)
    if path.is_dir():
        return _plan_from_csv_folder(path)
    import openpyxl

    from .validate import _check_package

    refusal = _check_package(path)  # the input checks: no zip bomb, no DTD, no macros, not an old or encrypted file
    if refusal:
        raise ValueError(refusal)
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        if PAYLOAD_SHEET in wb.sheetnames:
            cells = [row[0] for row in wb[PAYLOAD_SHEET].iter_rows(min_col=1, max_col=1, values_only=True)]
            if cells and cells[0] == PAYLOAD_FORMAT:
                return plan_from_payload("".join(str(c) for c in cells[1:] if c))
        names = [n[len("planner_"):] for n in wb.defined_names if n.startswith("planner_")]
    finally:
        wb.close()
    return _plan_from_sheets(path, names)


def _plan_from_sheets(path: Path, names: list[str]) -> Plan:
    """Tables read back by their defined names (planner.readback), labels mapped back to codes."""
    from .readback import read_table

    tables = {}
    for name in names:
        df = read_table(path, name)
        for col in df.columns:
            kind = L.VALUE_KIND.get(L.base_column(col))
            if kind and not pd.api.types.is_numeric_dtype(df[col]):
                codes = L.reverse_values(kind)
                df[col] = df[col].map(lambda v: codes.get(str(v).strip(), v), na_action="ignore")
        tables[name] = df
    return Plan(tables=tables, kpis=pd.DataFrame(columns=["stage", "kpi", "code", "param", "value", "unit"]),
                solves=pd.DataFrame(), provenance={"data_source": str(path)},
                notes=[f"{path.name}: no {PAYLOAD_SHEET} sheet; KPIs not compared"])


def _plan_from_csv_folder(folder: Path) -> Plan:
    from .plan import CSV_ENCODING

    tables, kpis, solves, provenance = {}, [], pd.DataFrame(), {}
    for csv_path in sorted(folder.glob("*.csv")):
        df = pd.read_csv(csv_path, encoding=CSV_ENCODING, dtype={"official_id": str, "id": str})
        if csv_path.stem.endswith("_kpis"):
            kpis.append(df)
        elif csv_path.stem == "solver_runs":
            solves = df
        elif csv_path.stem == "provenance" and {"key", "value"} <= set(df.columns):
            provenance = dict(zip(df["key"].astype(str), df["value"].astype(object)))
        else:
            tables[csv_path.stem] = df
    if not tables and not kpis:
        raise FileNotFoundError(f"{folder}: no result tables (.csv) in this folder")
    kpis_frame = pd.concat(kpis, ignore_index=True) if kpis else pd.DataFrame(
        columns=["stage", "kpi", "code", "param", "value", "unit"])
    return Plan(tables=tables, kpis=kpis_frame, solves=solves, provenance=provenance)
