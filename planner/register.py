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
embedded in a result workbook as the very hidden sheet `planner_data` (planner.payload), so that
`planner compare a.xlsx b.xlsx` reads the plan exactly as it was solved.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import pandas as pd
from sqlalchemy import (Column, ForeignKey, Integer, LargeBinary, MetaData, String, Table, Text, create_engine, delete,
                        event, insert, select, update)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from . import labels as L
from .errors import PlanExists, PlanLocked, PlanNameInvalid, PlanNotFound, StatusChangeRefused
from .payload import STATUSES, _json_default, frame_blob, frame_from_blob
from .plan import Plan

# Provenance keys the register adds on load (not stored with the plan: they change as the plan moves)
REGISTER_KEYS = ("plan_name", "plan_version", "plan_status", "saved_at", "saved_by", "reviewed_by", "reviewed_at",
                 "approved_by", "approved_at")
# KPIs shown beside each plan in list() (keys of planner/schema/kpis.csv); absent ones are left empty
HEADLINE_KPIS = ("objective", "total_shortage", "surplus_count", "hq_needing_extension", "equipment_purchases_cost")
MAX_NAME = 200

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


