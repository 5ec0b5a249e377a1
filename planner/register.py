"""The plan register: saved plans, their status (draft → reviewed → approved) and who moved it, in a SQL database.

A plan is saved under a name with its tables, KPIs, solver runs, provenance, notes and (optionally) its
workbook. Its status only moves forward, draft → reviewed → approved, or from reviewed back to draft with
a reason; every step records who and when (UTC, ISO 8601) in `status_changes`. An approved plan is
read-only: saving over it, deleting it or sending it back is refused (save a copy under a new name).

Where: `PlanRegister(url)`; without a url the environment variable PLANNER_DB, else the SQLite file
$XDG_DATA_HOME/commune-planner/plans.sqlite (~/.local/share/commune-planner/plans.sqlite), made on first
use. Any SQLAlchemy URL works (e.g. postgresql://user@host/plans for a shared register); a value without
'://' is a path to an SQLite file. Three tables: plans, plan_tables, status_changes.

Tables are stored as zlib-compressed JSON (column names, dtypes, values), never pickled: a shared database
or a workbook from elsewhere can hold anything, so reading one must not run code. The same encoding is
embedded in a result workbook as the very hidden sheet `planner_data` (embed_plan), so that
`planner compare a.xlsx b.xlsx` reads the plan exactly as it was solved (read_plan_file).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import zipfile
import zlib
from pathlib import Path

import pandas as pd
from sqlalchemy import (Column, ForeignKey, Integer, LargeBinary, MetaData, String, Table, Text, create_engine, delete,
                        event, insert, select, update)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from . import labels as L
from .errors import OutputError, PlanExists, PlanLocked, PlanNameInvalid, PlanNotFound, StatusChangeRefused
from .plan import Plan
from .validate import MAX_UNPACKED_BYTES

STATUSES = ("draft", "reviewed", "approved")
# Provenance keys the register adds on load (not stored with the plan: they change as the plan moves)
REGISTER_KEYS = ("plan_name", "plan_version", "plan_status", "saved_at", "saved_by", "reviewed_by", "reviewed_at",
                 "approved_by", "approved_at")
# KPIs shown beside each plan in list() (keys of planner/schema/kpis.csv); absent ones are left empty
HEADLINE_KPIS = ("objective", "total_shortage", "surplus_count", "hq_needing_extension", "equipment_purchases_cost")
MAX_NAME = 200
PAYLOAD_SHEET = "planner_data"  # the hidden sheet of a result workbook holding the plan (embed_plan)
PAYLOAD_FORMAT = "planner-plan/1"
CELL_CHARS = 32000  # below Excel's 32,767 characters per cell

metadata = MetaData()
plans_t = Table(
    "plans", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(MAX_NAME), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False),  # 1 when first saved, +1 at each overwrite
    Column("province", String(200)),
    Column("scenario_name", String(200)),
    Column("input_hash", String(128)),
    Column("scenario_digest", String(128)),
    Column("saved_at", String(32), nullable=False),
    Column("saved_by", String(200)),
    Column("reviewed_by", String(200)),
    Column("reviewed_at", String(32)),
    Column("approved_by", String(200)),
    Column("approved_at", String(32)),
    Column("provenance", Text, nullable=False),  # JSON object
    Column("notes", Text, nullable=False),  # JSON list
    Column("headline", Text, nullable=False),  # JSON object: HEADLINE_KPIS -> value
    Column("kpis", LargeBinary, nullable=False),  # encoded frames (frame_blob)
    Column("solves", LargeBinary, nullable=False),
    Column("workbook", LargeBinary),  # the .xlsx as written, or NULL
)
plan_tables_t = Table(
    "plan_tables", metadata,
    Column("plan_id", Integer, ForeignKey("plans.id"), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("position", Integer, nullable=False),  # table order of the plan
    Column("rows", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)
status_changes_t = Table(
    "status_changes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", Integer, ForeignKey("plans.id"), nullable=False, index=True),
    Column("event", String(16), nullable=False),  # saved | overwritten | review | approve | draft
    Column("from_status", String(16)),
    Column("to_status", String(16), nullable=False),
    Column("by", String(200)),
    Column("at", String(32), nullable=False),
    Column("note", Text),
)


def default_url() -> str:
    """PLANNER_DB, else the SQLite file in the user's data folder (XDG_DATA_HOME or ~/.local/share)."""
    env = os.environ.get("PLANNER_DB", "").strip()
    if env:
        return env
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'commune-planner' / 'plans.sqlite'}"


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class PlanRegister:
    """Saved plans in a SQL database (see the module docstring); every method is one transaction."""

    def __init__(self, url: str | None = None):
        url = str(url).strip() if url else default_url()
        if "://" not in url:  # a plain path: an SQLite file
            url = f"sqlite:///{Path(url).expanduser().resolve()}"
        parsed = make_url(url)
        self.url = parsed.render_as_string(hide_password=True)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(parsed, connect_args={"timeout": 60})
            _serialise_sqlite_writes(self.engine)
        else:
            self.engine = create_engine(parsed, pool_pre_ping=True)
        metadata.create_all(self.engine)

    # ----- saving and reading
    def save(self, name: str, plan: Plan, workbook: bytes | Path | str | None = None, by: str | None = None,
             overwrite: bool = False) -> dict:
        """Save `plan` as `name` (always as a draft); refuse an existing name unless `overwrite`, and an approved one
        always. Overwriting a reviewed plan sends it back to draft (what was reviewed has changed)."""
        name = check_name(name)
        if isinstance(workbook, (str, Path)):
            workbook = Path(workbook).read_bytes()
        provenance = {k: v for k, v in plan.provenance.items() if k not in REGISTER_KEYS}
        values = {
            "province": _short(provenance.get("province")), "scenario_name": _short(provenance.get("scenario_name")),
            "input_hash": _short(provenance.get("data_hash"), 128),
            "scenario_digest": _short(provenance.get("scenario_digest"), 128),
            "saved_by": _who(by) if by else None, "provenance": json.dumps(provenance, ensure_ascii=False, default=str),
            "notes": json.dumps([str(n) for n in plan.notes], ensure_ascii=False),
            "headline": json.dumps(headline(plan), default=_json_default),
            "kpis": frame_blob(plan.kpis), "solves": frame_blob(plan.solves), "workbook": workbook,
            "status": "draft", "reviewed_by": None, "reviewed_at": None, "approved_by": None, "approved_at": None,
        }
        tables = [(t, k, len(df), frame_blob(df)) for k, (t, df) in enumerate(plan.tables.items())]
        now = utc_now()
        try:
            with self.engine.begin() as conn:
                row = conn.execute(select(plans_t.c.id, plans_t.c.status, plans_t.c.version, plans_t.c.approved_by,
                                          plans_t.c.approved_at).where(plans_t.c.name == name).with_for_update()).first()
                if row is not None:
                    _refuse_save(name, row, overwrite)
                    plan_id = row.id
                    conn.execute(update(plans_t).where(plans_t.c.id == plan_id).values(
                        **values, saved_at=now, version=row.version + 1))
                    conn.execute(delete(plan_tables_t).where(plan_tables_t.c.plan_id == plan_id))
                    event_, before = "overwritten", row.status
                else:
                    plan_id = conn.execute(insert(plans_t).values(**values, name=name, saved_at=now, version=1)
                                           ).inserted_primary_key[0]
                    event_, before = "saved", None
                if tables:
                    conn.execute(insert(plan_tables_t), [
                        {"plan_id": plan_id, "name": t, "position": k, "rows": n, "data": blob} for t, k, n, blob in tables])
                conn.execute(insert(status_changes_t).values(plan_id=plan_id, event=event_, from_status=before,
                                                             to_status="draft", by=values["saved_by"], at=now))
        except IntegrityError:  # another process saved the same new name between our check and insert
            raise PlanExists(name, status=_status_words("draft")) from None
        return self.record(name)

    def check_can_save(self, name: str, overwrite: bool = False) -> None:
        """Raise what save() would (PlanNameInvalid, PlanLocked, PlanExists) without saving: to refuse before solving."""
        name = check_name(name)
        with self.engine.connect() as conn:
            row = conn.execute(select(plans_t.c.status, plans_t.c.approved_by, plans_t.c.approved_at)
                               .where(plans_t.c.name == name)).first()
        if row is not None:
            _refuse_save(name, row, overwrite)

    def exists(self, name: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(plans_t.c.id).where(plans_t.c.name == str(name).strip())).first() is not None

    def record(self, name: str) -> dict:
        """The plan's register entry (no tables): name, status, version, provenance summary, who and when."""
        with self.engine.connect() as conn:
            row = self._row(conn, name, light=True)
            n_tables = len(conn.execute(select(plan_tables_t.c.name).where(plan_tables_t.c.plan_id == row.id)).all())
            has_workbook = conn.execute(select(plans_t.c.workbook.is_not(None)).where(plans_t.c.id == row.id)).scalar()
        return _record(row, n_tables, bool(has_workbook))

    def list(self) -> pd.DataFrame:
        """One row per saved plan, newest save first: name, province, status, scenario, who and when, input hash,
        headline KPIs."""
        columns = ["name", "province", "status", "scenario_name", "version", "saved_at", "saved_by", "reviewed_by",
                   "reviewed_at", "approved_by", "approved_at", "input_hash"]
        with self.engine.connect() as conn:
            rows = conn.execute(select(*[plans_t.c[c] for c in columns], plans_t.c.headline)
                                .order_by(plans_t.c.saved_at.desc(), plans_t.c.name)).all()
        frame = _none_for_missing(pd.DataFrame([tuple(r)[:-1] for r in rows], columns=columns))
        kpis = pd.DataFrame([json.loads(r.headline) for r in rows], columns=list(HEADLINE_KPIS), dtype=float)
        return pd.concat([frame, kpis], axis=1)

    def load(self, name: str) -> Plan:
        """The saved plan (tables in their order, KPIs, solver runs, notes); its provenance carries the register
        entry too (plan_name, plan_status, saved_*, reviewed_*, approved_*) and its status is the register's."""
        with self.engine.connect() as conn:
            row = self._row(conn, name)
            parts = conn.execute(select(plan_tables_t.c.name, plan_tables_t.c.data)
                                 .where(plan_tables_t.c.plan_id == row.id).order_by(plan_tables_t.c.position)).all()
        provenance = json.loads(row.provenance) | register_provenance(row)
        return Plan(tables={t: frame_from_blob(blob) for t, blob in parts}, kpis=frame_from_blob(row.kpis),
                    solves=frame_from_blob(row.solves), provenance=provenance, notes=list(json.loads(row.notes)),
                    status=row.status)

    def workbook(self, name: str) -> bytes | None:
        with self.engine.connect() as conn:
            self._row(conn, name, light=True)
            return conn.execute(select(plans_t.c.workbook).where(plans_t.c.name == str(name).strip())).scalar()

    # ----- status
    def review(self, name: str, by: str, note: str | None = None) -> dict:
        """draft → reviewed."""
        return self._move(name, "review", "draft", "reviewed", by, note)

    def approve(self, name: str, by: str, note: str | None = None) -> dict:
        """reviewed → approved: the plan is then read-only."""
        return self._move(name, "approve", "reviewed", "approved", by, note)

    def back_to_draft(self, name: str, by: str, reason: str) -> dict:
        """reviewed → draft, with the reason; an approved plan never goes back."""
        if not str(reason or "").strip():
            raise StatusChangeRefused(name, "reason_required")
        return self._move(name, "draft", "reviewed", "draft", by, reason)

    def history(self, name: str) -> pd.DataFrame:
        """Every save and status change, oldest first: event, from, to, by, at (UTC), note."""
        with self.engine.connect() as conn:
            row = self._row(conn, name, light=True)
            rows = conn.execute(select(status_changes_t.c.event, status_changes_t.c.from_status,
                                       status_changes_t.c.to_status, status_changes_t.c.by, status_changes_t.c.at,
                                       status_changes_t.c.note)
                                .where(status_changes_t.c.plan_id == row.id).order_by(status_changes_t.c.id)).all()
        return _none_for_missing(pd.DataFrame([tuple(r) for r in rows], columns=["event", "from", "to", "by", "at", "note"]))

    def delete(self, name: str) -> None:
        """Remove a draft or reviewed plan and its history; an approved plan is kept."""
        with self.engine.begin() as conn:
            row = self._row(conn, name, light=True, lock=True)
            if row.status == "approved":
                raise PlanLocked(row.name, approved_by=row.approved_by or "", approved_at=row.approved_at or "")
            for table, column in ((plan_tables_t, plan_tables_t.c.plan_id), (status_changes_t, status_changes_t.c.plan_id),
                                  (plans_t, plans_t.c.id)):
                conn.execute(delete(table).where(column == row.id))

    # ----- inside
    def _move(self, name: str, event_: str, before: str, after: str, by: str, note: str | None) -> dict:
        who = _who(by)
        if not who:
            raise StatusChangeRefused(name, "who_required")
        now = utc_now()
        who_when = {"review": {"reviewed_by": who, "reviewed_at": now},
                    "approve": {"approved_by": who, "approved_at": now},
                    "draft": {"reviewed_by": None, "reviewed_at": None}}[event_]
        with self.engine.begin() as conn:
            row = self._row(conn, name, light=True, lock=True)
            if row.status != before:
                raise StatusChangeRefused(row.name, _refusal(event_, row.status), status=_status_words(row.status),
                                          approved_by=row.approved_by or "", approved_at=row.approved_at or "")
            done = conn.execute(update(plans_t).where(plans_t.c.id == row.id, plans_t.c.status == before)
                                .values(status=after, **who_when))
            if done.rowcount != 1:  # changed meanwhile by another process
                raise StatusChangeRefused(row.name, "changed_meanwhile")
            conn.execute(insert(status_changes_t).values(plan_id=row.id, event=event_, from_status=before,
                                                         to_status=after, by=who, at=now,
                                                         note=str(note).strip() if note else None))
        return self.record(row.name)

    @staticmethod
    def _row(conn, name: str, light: bool = False, lock: bool = False):
        columns = [c for c in plans_t.c if not (light and c.name in ("kpis", "solves", "workbook", "provenance",
                                                                     "notes"))]
        query = select(*columns).where(plans_t.c.name == str(name).strip())
        row = conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise PlanNotFound(str(name))
        return row


def _none_for_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns with None (not NaN) where the database has NULL."""
    for col in frame.columns:
        if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame


def _refuse_save(name: str, row, overwrite: bool) -> None:
    if row.status == "approved":
        raise PlanLocked(name, approved_by=row.approved_by or "", approved_at=row.approved_at or "")
    if not overwrite:
        raise PlanExists(name, status=_status_words(row.status))


def _status_words(status: str) -> tuple[str, str]:
    """(vi, en) words of a status, for the messages of planner.errors."""
    return L.value_pairs("plan_status").get(status, (status, status))


def _refusal(event_: str, status: str) -> str:
    """Message key of a status change asked from the wrong status."""
    if status == "approved":
        return "approved_final"
    return {("review", "reviewed"): "already_reviewed", ("approve", "draft"): "approve_needs_review",
            ("draft", "draft"): "already_draft"}.get((event_, status), "wrong_status")


def _record(row, n_tables: int, has_workbook: bool) -> dict:
    keys = ["name", "status", "version", "province", "scenario_name", "input_hash", "scenario_digest", "saved_at",
            "saved_by", "reviewed_by", "reviewed_at", "approved_by", "approved_at"]
    out = {k: getattr(row, k) for k in keys}
    out["headline"] = json.loads(row.headline)
    out["tables"] = n_tables
    out["has_workbook"] = has_workbook
    return out


def register_provenance(row) -> dict:
    """The register entry as provenance keys (REGISTER_KEYS)."""
    return {"plan_name": row.name, "plan_version": row.version, "plan_status": row.status, "saved_at": row.saved_at,
            "saved_by": row.saved_by, "reviewed_by": row.reviewed_by, "reviewed_at": row.reviewed_at,
            "approved_by": row.approved_by, "approved_at": row.approved_at}


def _serialise_sqlite_writes(engine) -> None:
    """Every transaction on an SQLite file starts with BEGIN IMMEDIATE: two processes saving at once wait for each
    other (up to the connect timeout) instead of interleaving a check and a write (SQLAlchemy's pysqlite recipe)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # the driver must not BEGIN on its own

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def check_name(name) -> str:
    """A plan name: 1-200 characters once trimmed, no control characters."""
    text = str(name or "").strip()
    if not text or len(text) > MAX_NAME or re.search(r"[\x00-\x1f\x7f]", text):
        raise PlanNameInvalid(text[:60], max=MAX_NAME)
    return text


def _who(by) -> str:
    return re.sub(r"[\x00-\x1f\x7f]", " ", str(by or "")).strip()[:200]


def _short(value, n: int = 200):
    return None if value is None else str(value)[:n]


def headline(plan: Plan) -> dict:
    out = {}
    for key in HEADLINE_KPIS:
        value = pd.to_numeric(pd.Series([plan.kpi(key)]), errors="coerce").iloc[0]
        out[key] = None if pd.isna(value) else float(value)
    return out


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


def embed_plan(wb, plan: Plan) -> None:
    """Add the plan to an openpyxl workbook as the very hidden sheet `planner_data` (A1 the format, then the
    payload of plan_payload in pieces of CELL_CHARS down column A). Not printed, not shown in the sheet list.
    Give an anonymized plan (names replaced) when the workbook is anonymized: the payload holds every table."""
    if PAYLOAD_SHEET in wb.sheetnames:
        del wb[PAYLOAD_SHEET]
    ws = wb.create_sheet(PAYLOAD_SHEET)
    ws.sheet_state = "veryHidden"
    ws.cell(1, 1, PAYLOAD_FORMAT)
    text = plan_payload(plan)
    for k in range(0, len(text), CELL_CHARS):
        ws.cell(2 + k // CELL_CHARS, 1, text[k:k + CELL_CHARS])


def embed_plan_file(path: Path, plan: Plan) -> bool:
    """embed_plan into a workbook file already written, without loading it again: the sheet part is added to the
    package (its XML, the relationship, the content type, the sheet entry) and the file replaced atomically, in about
    a second where a reload and save by openpyxl takes as long as writing the workbook. False when it has the sheet."""
    from .files import save_atomic

    path = Path(path)
    with zipfile.ZipFile(path) as zin:
        members = [(info, zin.read(info)) for info in zin.infolist()]
    parts = {info.filename: i for i, (info, _) in enumerate(members)}
    book, rels, types = "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml"
    if not {book, rels, types} <= set(parts):
        raise OutputError(f"{path}: not a workbook package written by Excel or openpyxl")
    workbook_xml = members[parts[book]][1].decode("utf-8")
    if re.search(rf'name="{PAYLOAD_SHEET}"', workbook_xml):
        return False
    part = next(f"xl/worksheets/{PAYLOAD_SHEET}{k or ''}.xml" for k in range(len(parts) + 1)
                if f"xl/worksheets/{PAYLOAD_SHEET}{k or ''}.xml" not in parts)
    rels_xml = members[parts[rels]][1].decode("utf-8")
    rel_id = next(f"rIdPlannerData{k}" for k in range(len(parts) + 1) if f'"rIdPlannerData{k}"' not in rels_xml)
    sheet_id = max([int(n) for n in re.findall(r'\bsheetId="(\d+)"', workbook_xml)] or [0]) + 1
    entry = (f'<sheet xmlns="{_MAIN_NS}" xmlns:pr="{_REL_NS}" name="{PAYLOAD_SHEET}" sheetId="{sheet_id}" '
             f'state="veryHidden" pr:id="{rel_id}"/>')
    relationship = (f'<Relationship xmlns="{_PKG_REL_NS}" Id="{rel_id}" Type="{_REL_NS}/worksheet" Target="/{part}"/>')
    override = (f'<Override xmlns="{_TYPES_NS}" PartName="/{part}" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
    changed = {book: _insert_before_end(workbook_xml, "sheets", entry),
               rels: _insert_before_end(rels_xml, "Relationships", relationship),
               types: _insert_before_end(members[parts[types]][1].decode("utf-8"), "Types", override)}
    text = plan_payload(plan)
    cells = [PAYLOAD_FORMAT] + [text[k:k + CELL_CHARS] for k in range(0, len(text), CELL_CHARS)]
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{value}</t></is></c></row>'
                   for r, value in enumerate(cells, start=1))
    sheet = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN_NS}">'
             f'<sheetData>{rows}</sheetData></worksheet>')

    def write(tmp: str) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
            for info, data in members:
                zout.writestr(info, changed[info.filename].encode("utf-8") if info.filename in changed else data)
            zout.writestr(part, sheet.encode("ascii"))

    save_atomic(path, write)
    return True


_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"


def _insert_before_end(xml: str, element: str, fragment: str) -> str:
    """`fragment` inserted as the last child of the (single) `element`, whatever its namespace prefix."""
    ends = list(re.finditer(rf"</(?:\w+:)?{element}\s*>", xml))
    if len(ends) != 1:
        raise OutputError(f"workbook package: expected one <{element}> element")
    at = ends[0].start()
    return xml[:at] + fragment + xml[at:]


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
