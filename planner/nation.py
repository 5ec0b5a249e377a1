"""Many provinces, or many scenarios of one province, planned in parallel on Dask (`planner nation`, `planner sweep`).

Each province's input travels to a worker: the bytes of its workbook (so a worker on another machine needs no shared
folder) or the name of a sample province to generate there. The worker validates it, runs every stage
(planner.pipeline.run_plan), writes the province's leadership workbook and sends back only compact results: the KPIs,
the few figures the national sheet needs that are not KPIs (communes, officials, government staff quota), the
workbook's bytes, and the plan's tables when CSV files are asked for. A province that fails (invalid input,
infeasible scenario, solver failure, a lost worker) comes back with its reason; the others complete.

The engine is a distributed.LocalCluster on this machine (one single-threaded worker process per core: the models are
single-threaded Python and solver calls) or an existing Dask scheduler (`--scheduler tcp://HOST:8786`); the code is
the same. A sweep sends the validated dataset to the workers once and runs the cross product of scenario values
(dotted keys merged onto the scenario; an unknown key is refused, naming it, before anything is solved).
"""

from __future__ import annotations

import html
import itertools
import logging
import math
import os
import re
import resource
import socket
import sys
import tempfile
import time
import traceback
import uuid
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import __version__
from . import labels as L
from .dataset import Dataset
from .errors import InputError, OutputError, PlanInconsistent, PlanInfeasible, PlannerError, ScenarioError, SolveTimeLimit
from .kpis import is_breakdown, kpi_label
from .messages import time_limit_message, translated
from .pipeline import STAGES, run_plan
from .plan import Plan
from .report import write_plan_workbook
from .sample import REFERENCE_DIR, build_sample, province_names, resolve_province
from .scenario import Scenario, deep_merge
from .schema import sheet_keys
from .validate import LIMITS, load_dataset
from .vocab import role_code
from .yesno import fold

STATUSES = ("ok", "invalid", "infeasible", "failed", "skipped")  # labels: labels.EXTRA_VALUES["run_status"]
WORKBOOK_XML_MAX_BYTES = 10_000_000  # xl/workbook.xml lists sheets and names: a few kB in any real workbook
SCHEDULER_TIMEOUT_S = 30  # to reach an existing scheduler and see a worker there


# ---------------------------------------------------------------------------------------------
# What goes to a worker and what comes back
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Job:
    """One plan to make on a worker: a sample province (`sample` = (province, seed, officials per commune)), an input
    workbook's bytes (`file_name`, `file_bytes`), or the dataset passed beside the job (a sweep)."""

    key: str
    scenario: Scenario
    lang: str = "vi"
    stages: tuple[str, ...] | None = None
    sample: tuple[str, int, float | None] | None = None
    file_name: str | None = None
    file_bytes: bytes | None = None
    workbook: bool = True  # write the province's leadership workbook and send its bytes back
    tables: bool = False  # send the plan's tables back (for CSV files)


@dataclass
class Outcome:
    """What a worker sends back for one job (or what the client records when the job never finished)."""

    key: str
    status: str = "ok"
    reason: str = ""
    province: str = ""
    province_code: int | None = None
    seconds: float = 0.0  # wall time on the worker: load or generate, plan, write the workbook
    cpu_seconds: float = 0.0  # CPU time of the worker process meanwhile (what the job costs on an idle machine)
    load_seconds: float = 0.0
    plan_seconds: float = 0.0
    write_seconds: float = 0.0
    worker: str = ""
    worker_peak_mb: float = math.nan  # the worker process's peak resident memory so far (ru_maxrss)
    figures: dict = field(default_factory=dict)  # communes, officials, quota
    kpis: pd.DataFrame | None = None
    solves: pd.DataFrame | None = None
    provenance: dict = field(default_factory=dict)
    tables: dict | None = None
    workbook: bytes | None = None

    def kpi(self, key: str, code: str | None = None):
        """A KPI's value (a breakdown KPI's row for `code`), None when the plan does not report it."""
        if self.kpis is None:
            return None
        rows = self.kpis[self.kpis["kpi"] == key]
        if code is not None:
            rows = rows[rows["code"] == code]
        value = pd.to_numeric(rows["value"], errors="coerce")
        return float(value.iloc[0]) if len(value) and pd.notna(value.iloc[0]) else None


def run_job(job: Job, dataset: Dataset | None = None) -> Outcome:
    """Make one plan (runs on a worker): load or generate the dataset, run the stages, write the workbook to bytes.
    Every failure becomes the outcome's status and reason, in the job's language."""
    start, cpu = time.perf_counter(), time.process_time()
    out = Outcome(key=job.key, worker=_worker_name())
    ds = dataset
    try:
        ds = _dataset(job, dataset)
        out.province, out.province_code = official_province(ds)
        out.figures = {"communes": len(ds["communes"]), "officials": len(ds["officials"])}
        out.load_seconds = time.perf_counter() - start
        plan = run_plan(ds, job.scenario, stages=job.stages)
        out.plan_seconds = time.perf_counter() - start - out.load_seconds
        out.figures["quota"] = plan_quota(plan)
        out.kpis, out.solves, out.provenance = plan.kpis, plan.solves, plan.provenance
        if job.tables:
            out.tables = plan.all_tables()
        if job.workbook:
            out.workbook = _workbook_bytes(plan, ds, job.lang)
            out.write_seconds = time.perf_counter() - start - out.load_seconds - out.plan_seconds
    except InputError as err:
        err.source = job.file_name or err.source  # the user's file, not the worker's temporary copy
        out.status, out.reason = "invalid", err.report(max_lines=50)
    except ScenarioError as err:
        out.status, out.reason = "invalid", f"{err.source}: " + "; ".join(err.problems)
    except PlanInfeasible as err:
        out.status = "infeasible"
        out.reason = f"{L.value_label('stage', err.stage, job.lang)}: " + " ".join(translated(line, job.lang)
                                                                                    for line in err.lines)
    except SolveTimeLimit as err:
        out.status, out.reason = "failed", translated(time_limit_message(err), job.lang)
    except PlanInconsistent as err:
        out.status, out.reason = "failed", str(err)
    except Exception as err:  # a bug or a solver crash in one province must not stop the others
        frame = traceback.extract_tb(err.__traceback__)[-1]
        out.status = "failed"
        out.reason = f"{type(err).__name__}: {err} ({Path(frame.filename).name}:{frame.lineno} in {frame.name})"
    if ds is not None and not out.province:
        out.province, out.province_code = official_province(ds)
    if out.status != "ok" and not out.province and job.sample:
        out.province = job.sample[0]
    out.seconds, out.cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    out.worker_peak_mb = peak_rss_bytes() / 1e6
    return out


def _dataset(job: Job, dataset: Dataset | None) -> Dataset:
    if dataset is not None:
        return dataset
    if job.sample is not None:
        province, seed, per_commune = job.sample
        return build_sample(province, seed=seed, officials_per_commune=per_commune)
    with tempfile.TemporaryDirectory(prefix="planner-nation-") as tmp:
        path = Path(tmp) / Path(job.file_name).name  # problems then name the user's file
        path.write_bytes(job.file_bytes)
        ds = load_dataset(path)
    ds.source = job.file_name
    return ds


def _workbook_bytes(plan: Plan, ds: Dataset, lang: str) -> bytes:
    """The province's leadership workbook as `planner solve` writes it (the plan embedded for planner compare)."""
    with tempfile.TemporaryDirectory(prefix="planner-nation-") as tmp:
        return write_plan_workbook(plan, ds, Path(tmp) / "plan.xlsx", lang=lang, embedded=plan).read_bytes()


def _worker_name() -> str:
    try:
        from distributed import get_worker
        return get_worker().address
    except ValueError:  # not on a worker (run in the calling process)
        return f"pid {os.getpid()}"


def peak_rss_bytes() -> int:
    """Peak resident memory of this process since it started (Linux reports ru_maxrss in KiB, macOS in bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def process_peak() -> tuple[str, int, int]:
    """(host, process id, peak resident bytes) of the process this runs in: processes are counted once each."""
    return socket.gethostname(), os.getpid(), peak_rss_bytes()


def planner_version() -> str:
    return __version__


def official_province(ds: Dataset) -> tuple[str, int | None]:
    """(name as in the 2025 list, code) of the dataset's province: by the info table's province_code, else by its
    name (any spelling planner.sample.resolve_province accepts); a name matching neither is kept as given."""
    info = ds["info"]
    given = info.loc[info["key"] == "province_code", "value"] if len(info) else pd.Series(dtype=object)
    for candidate in [*given.astype(str).str.strip().tolist(), ds.province]:
        try:
            code, name = resolve_province(candidate)
        except KeyError:
            continue
        return name, code
    return ds.province, None


def plan_quota(plan: Plan) -> float | None:
    """The government staff quota the plan used, added over the communes (staffing_by_commune.quota, one value per
    commune); None when staffing did not run or no commune has a quota. Not a KPI, hence read from the table."""
    staffing = plan.tables.get("staffing_by_commune")
    if staffing is None or not {"commune_code", "quota"} <= set(staffing.columns):
        return None
    quota = pd.to_numeric(staffing.drop_duplicates("commune_code")["quota"], errors="coerce")
    return float(quota.sum()) if quota.notna().any() else None


# ---------------------------------------------------------------------------------------------
# The engine: a local cluster or an existing scheduler
# ---------------------------------------------------------------------------------------------

def default_workers() -> int:
    """One worker process per core this process may use."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:
        return max(os.cpu_count() or 1, 1)


def worker_memory_limit(workers: int) -> int:
    """Bytes each local worker may use before Dask pauses it (and restarts it near the limit): 90% of the machine's
    memory shared equally, so one runaway province cannot take the machine down."""
    import psutil  # a dependency of distributed

    return int(psutil.virtual_memory().total * 0.9 / max(workers, 1))


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None):
    """A distributed.Client: on a new LocalCluster (processes, one thread each, `workers` of them, default one per
    core, logs and dashboard silenced) or connected to the scheduler at `scheduler` (tcp://HOST:PORT)."""
    from distributed import Client, LocalCluster

    for name in ("distributed", "bokeh", "tornado"):  # only errors reach the console
        logging.getLogger(name).setLevel(logging.ERROR)
    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S}s")
        except (OSError, TimeoutError) as exc:
            raise PlannerError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
        try:
            try:
                client.wait_for_workers(1, timeout=SCHEDULER_TIMEOUT_S)
            except TimeoutError:
                raise PlannerError(f"the Dask scheduler at {scheduler} has no worker") from None
            _check_workers(client)
            yield client
        finally:
            client.close()
        return
    n = workers or default_workers()
    with tempfile.TemporaryDirectory(prefix="planner-dask-") as scratch:
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                               scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # no dashboard, no port clash
                               silence_logs=logging.ERROR, memory_limit=worker_memory_limit(n),
                               local_directory=scratch)
        try:
            with Client(cluster) as client:
                yield client
        finally:
            try:
                cluster.close(timeout=30)
            except Exception:  # e.g. a worker still stopping after Ctrl-C: the processes end with this one
                pass


def _check_workers(client) -> None:
    """Every worker of an existing cluster must run this planner version (else its plans would differ)."""
    try:
        versions = client.run(planner_version)
    except Exception as exc:  # e.g. ModuleNotFoundError on a worker without the planner
        raise PlannerError(f"the Dask workers cannot run the planner ({type(exc).__name__}: {exc}); "
                          f"install planner {__version__} where they run") from None
    other = {worker: v for worker, v in versions.items() if v != __version__}
    if other:
        raise PlannerError(f"Dask workers run another planner version than {__version__}: "
                          + ", ".join(f"{w} {v}" for w, v in other.items()))


def run_jobs(client, jobs: list[Job], sizes: list[float] | None = None, dataset: Dataset | None = None,
             on_done=None) -> list[Outcome]:
    """Submit every job (the largest first, so that the last ones to finish are small), return the outcomes in the
    jobs' order; `on_done(outcome)` is called as each arrives. A job lost with its worker comes back as failed."""
    from distributed import as_completed

    shared = client.scatter(dataset, broadcast=True) if dataset is not None else None
    sizes = sizes or [0.0] * len(jobs)
    run = uuid.uuid4().hex[:8]
    futures = {}
    for i in sorted(range(len(jobs)), key=lambda k: -sizes[k]):  # each submit is scheduled as it arrives: biggest first
        args = (jobs[i], shared) if shared is not None else (jobs[i],)
        future = client.submit(run_job, *args, key=f"plan-{run}-{i}", priority=float(sizes[i]), pure=False)
        futures[future] = i
    outcomes: list[Outcome | None] = [None] * len(jobs)
    try:
        for future in as_completed(futures):
            i = futures[future]
            try:
                outcome = future.result()
            except Exception as exc:  # the worker died (memory, crash) or the task could not run there
                outcome = Outcome(key=jobs[i].key, status="failed", reason=f"{type(exc).__name__}: {exc}",
                                  province=jobs[i].sample[0] if jobs[i].sample else "")
            future.release()
            outcomes[i] = outcome
            if on_done is not None:
                on_done(outcome)
    except BaseException:
        client.cancel(list(futures))
        raise
    return outcomes


def cluster_peak_memory(client) -> dict[str, float]:
    """Peak resident memory (bytes) of every process of the run, each since it started: the workers, their nannies,
    the scheduler and this process, each process once (a local cluster's nannies and scheduler live in this process).
    They need not peak at the same moment, so the total is an upper bound of the simultaneous peak."""
    seen: dict[tuple[str, int], tuple[str, int]] = {}
    mine = process_peak()
    seen[mine[:2]] = ("client", mine[2])
    found = [("workers", client.run(process_peak).values()), ("scheduler", [client.run_on_scheduler(process_peak)])]
    try:
        found.append(("nannies", client.run(process_peak, nanny=True).values()))
    except Exception:  # workers started without a nanny
        pass
    for part, peaks in found:
        for host, pid, peak in peaks:
            seen.setdefault((host, pid), (part, peak))
    parts = {name: 0.0 for name in ("workers", "nannies", "scheduler", "client")}
    for part, peak in seen.values():
        parts[part] += float(peak)
    parts["total"] = sum(parts.values())
    return parts


# ---------------------------------------------------------------------------------------------
# Inputs of a national run
# ---------------------------------------------------------------------------------------------

@dataclass
class Skipped:
    path: Path
    reason: str


def find_inputs(folder: Path, exclude: list[Path] = ()) -> tuple[list[Path], list[Skipped]]:
    """The province input workbooks (*.xlsx) directly in `folder`, in name order, and the .xlsx files skipped with
    why: Excel lock files, this run's outputs, result workbooks of the planner, workbooks without a sheet named
    after an input table. A file that cannot be opened as a workbook counts as an input (its validation says why)."""
    excluded = {p.resolve() for p in exclude}
    inputs, skipped = [], []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if not path.is_file() or path.suffix.lower() != ".xlsx":
            continue
        if path.name.startswith("~$"):
            skipped.append(Skipped(path, "lock_file"))
        elif path.resolve() in excluded:
            skipped.append(Skipped(path, "own_output"))
        else:
            kind = workbook_kind(path)
            if kind == "input":
                inputs.append(path)
            else:
                skipped.append(Skipped(path, kind))
    return inputs, skipped


def workbook_kind(path: Path) -> str:
    """'input', 'result_workbook' (defined names planner_* of the planner's outputs) or 'no_input_sheet', from the
    sheet and defined names in xl/workbook.xml alone (no sheet is parsed); 'input' when that cannot be read."""
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("xl/workbook.xml")
            if info.file_size > WORKBOOK_XML_MAX_BYTES:
                return "input"
            text = archive.read(info).decode("utf-8", errors="replace")
    except (OSError, KeyError, zipfile.BadZipFile, RuntimeError, ValueError):
        return "input"
    defined = [html.unescape(n) for n in re.findall(r"<(?:\w+:)?definedName\b[^>]*\bname=\"([^\"]*)\"", text)]
    if any(name.startswith("planner_") for name in defined):
        return "result_workbook"
    sheets = [html.unescape(n) for n in re.findall(r"<(?:\w+:)?sheet\b[^>]*\bname=\"([^\"]*)\"", text)]
    tables = sheet_keys()
    return "input" if any(fold(name) in tables for name in sheets) else "no_input_sheet"


def sample_jobs(scenario: Scenario, provinces: list[str] | None, seed: int, per_commune: float | None, lang: str,
                stages, tables: bool) -> tuple[list[Job], list[float]]:
    """A job per sample province (default all 34), with its number of communes as its size."""
    names = [resolve_province(p)[1] for p in provinces] if provinces else province_names()
    names = list(dict.fromkeys(names))
    communes = pd.read_csv(REFERENCE_DIR / "communes.csv.gz", usecols=["province_name"])["province_name"].value_counts()
    sizes = [float(communes.get(name, 0)) for name in names]
    jobs = [Job(key=name, scenario=scenario, lang=lang, stages=stages, sample=(name, seed, per_commune), tables=tables)
            for name in names]
    return jobs, sizes


def file_jobs(paths: list[Path], scenario: Scenario, lang: str, stages, tables: bool) -> tuple[list[Job], list[float],
                                                                                             list[Outcome]]:
    """A job per input workbook (its bytes travel to the worker), its size in bytes as its size; a file over the
    size limit (planner/schema/limits.csv max_unpacked_bytes) is refused here without being read."""
    jobs, sizes, refused = [], [], []
    for path in paths:
        size = path.stat().st_size
        if size > LIMITS["max_unpacked_bytes"]:
            refused.append(Outcome(key=path.name, status="invalid", reason=f"{path}: {size:,} bytes; expected at most "
                                   f"{LIMITS['max_unpacked_bytes']:,} (planner/schema/limits.csv max_unpacked_bytes)"))
            continue
        jobs.append(Job(key=path.name, scenario=scenario, lang=lang, stages=stages, file_name=str(path),
                        file_bytes=path.read_bytes(), tables=tables))
        sizes.append(float(size))
    return jobs, sizes, refused


# ---------------------------------------------------------------------------------------------
# The national table
# ---------------------------------------------------------------------------------------------

def column_key(kpi: str, code: str | None = None) -> str:
    """Machine name of a national or sweep column holding a KPI (a breakdown KPI's code after a colon)."""
    return f"{kpi}:{code}" if code else kpi


def national_table(outcomes: list[Outcome]) -> pd.DataFrame:
    """One row per province (2025 code order; names as in the 2025 list), failed provinces with their status and
    empty figures: communes, officials, government staff quota, assigned, surplus, shortage (total and by field),
    HQs needing extension, surplus buildings by use, equipment purchases against the equipment budget. Breakdown
    columns are kept where some province has a non-zero value."""
    kept_uses = {role_code("building_uses", role) for role in ("headquarters", "service_point")}
    rows, fields, uses = [], {}, {}
    for out in outcomes:
        row = {"province_code": out.province_code, "province": out.province or out.key, "status": out.status,
               **{k: out.figures.get(k) for k in ("communes", "officials", "quota")}}
        for key in ("assigned", "surplus_count", "total_shortage", "hq_needing_extension", "equipment_budget_used",
                    "equipment_budget"):
            row[key] = out.kpi(key)
        if out.kpis is not None:
            for r in out.kpis[out.kpis["kpi"].isin(["shortage_by_field", "buildings_by_use"])].itertuples():
                code = str(r.code)
                if r.kpi == "buildings_by_use" and code in kept_uses:
                    continue
                target = fields if r.kpi == "shortage_by_field" else uses
                target.setdefault(code, 0.0)
                value = pd.to_numeric(pd.Series([r.value]), errors="coerce").iloc[0]
                target[code] += 0.0 if pd.isna(value) else abs(float(value))
                row[column_key(r.kpi, code)] = None if pd.isna(value) else float(value)
        rows.append(row)
    frame = pd.DataFrame(rows)
    breakdown = [column_key("shortage_by_field", c) for c, total in fields.items() if total > 0] + \
                [column_key("buildings_by_use", c) for c, total in uses.items() if total > 0]
    head = ["province_code", "province", "status", "communes", "officials", "quota", "assigned", "surplus_count",
            "total_shortage"]
    shortage = [c for c in breakdown if c.startswith("shortage_by_field:")]
    buildings = [c for c in breakdown if c.startswith("buildings_by_use:")]
    columns = head + shortage + ["hq_needing_extension"] + buildings + ["equipment_budget_used", "equipment_budget"]
    frame = frame.reindex(columns=columns)
    used, budget = frame["equipment_budget_used"].astype(float), frame["equipment_budget"].astype(float)
    frame["equipment_budget_share"] = np.where(budget > 0, used / budget.where(budget > 0, 1.0), np.nan)
    frame["province_code"] = frame["province_code"].astype("Int64")
    order = frame["province_code"].astype("Float64").fillna(np.inf).astype(float)
    return frame.assign(_order=order).sort_values(["_order", "province"]).drop(columns="_order").reset_index(drop=True)


def run_table(outcomes: list[Outcome], skipped: list[Skipped] = ()) -> pd.DataFrame:
    """The run figures: per province its status, reason, wall seconds (and their parts), worker and its peak memory;
    then the skipped files."""
    rows = [{"province": out.province or out.key, "source": out.key, "status": out.status, "seconds": out.seconds,
             "cpu_seconds": out.cpu_seconds, "load_seconds": out.load_seconds, "plan_seconds": out.plan_seconds,
             "write_seconds": out.write_seconds, "worker": out.worker, "worker_peak_mb": out.worker_peak_mb,
             "reason": out.reason} for out in outcomes]
    rows += [{"province": "", "source": s.path.name, "status": "skipped", "reason": s.reason} for s in skipped]
    columns = ["province", "source", "status", "seconds", "cpu_seconds", "load_seconds", "plan_seconds",
               "write_seconds", "worker", "worker_peak_mb", "reason"]
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------------------------------------
# Sweeps
# ---------------------------------------------------------------------------------------------

def parse_vary(options: list[str]) -> dict[str, list]:
    """['staffing.shortage_penalty.it_digital=300,1000', ...] -> {dotted key: [values]}; each value read as YAML
    (numbers, true/false, null, text)."""
    varied, problems = {}, []
    for option in options:
        key, sep, values = option.partition("=")
        key = key.strip()
        if not sep or not key or not values.strip():
            problems.append(f"--vary {option!r}: expected KEY=V1,V2,... (e.g. staffing.shortage_penalty.it_digital=300,1000)")
            continue
        if key in varied:
            problems.append(f"--vary {key}: given twice")
            continue
        parsed = []
        for text in values.split(","):
            try:
                parsed.append(yaml.safe_load(text.strip()) if text.strip() else None)
            except yaml.YAMLError:
                parsed.append(text.strip())
        varied[key] = list(dict.fromkeys(parsed))
    if problems:
        raise ScenarioError("--vary", problems)
    return varied


def nested(key: str, value) -> dict:
    """'a.b.c', 1 -> {'a': {'b': {'c': 1}}}."""
    out = value
    for part in reversed(key.split(".")):
        out = {part: out}
    return out


def sweep_scenarios(base: Scenario, varied: dict[str, list]) -> list[tuple[dict, Scenario]]:
    """Every combination of the varied values as (values by key, scenario), the values merged onto `base`.
    Raises ScenarioError naming every unknown key or invalid value before anything is solved."""
    base_data = base.model_dump(mode="json")
    problems = []
    for key in varied:  # one check per key first: an unknown key is named once, not once per combination
        try:
            Scenario.from_dict(deep_merge(base_data, nested(key, varied[key][0])), source=f"--vary {key}")
        except ScenarioError as err:
            problems += err.problems  # each names its key
    if problems:
        raise ScenarioError("--vary", problems)
    out = []
    for values in itertools.product(*varied.values()):
        combo = dict(zip(varied, values))
        data = base_data
        for key, value in combo.items():
            data = deep_merge(data, nested(key, value))
        if "name" not in varied:
            data = deep_merge(data, {"name": f"{base.name} [{combination_label(combo)}]"})
        try:
            out.append((combo, Scenario.from_dict(data, source=combination_label(combo))))
        except ScenarioError as err:
            problems += [f"{err.source}: {p}" for p in err.problems]
    if problems:
        raise ScenarioError("--vary", problems)
    return out


def combination_label(combo: dict) -> str:
    return ", ".join(f"{key.rsplit('.', 1)[-1]}={value}" for key, value in combo.items())


def sweep_table(combos: list[dict], outcomes: list[Outcome], headline: tuple[str, ...]) -> pd.DataFrame:
    """One row per combination: its number, the varied values, status, the headline KPIs (scalar KPIs by key) and every
    breakdown KPI row whose value differs between combinations (e.g. the shortage of the field whose penalty varies)."""
    long = kpi_long(outcomes)
    rows = []
    for i, (combo, out) in enumerate(zip(combos, outcomes), start=1):
        rows.append({"combination": i, **{f"vary:{k}": v for k, v in combo.items()}, "status": out.status})
    frame = pd.DataFrame(rows)
    wide = long.pivot_table(index="combination", columns="column", values="value", aggfunc="first", dropna=False) \
        if len(long) else pd.DataFrame()
    changing = kpi_changes(long)
    keep = [column_key(k) for k in headline if column_key(k) in wide.columns]
    keep += [c for c in changing.loc[changing["changes"], "column"] if ":" in c and c in wide.columns]
    return frame.join(wide.reindex(columns=keep), on="combination")


def kpi_long(outcomes: list[Outcome]) -> pd.DataFrame:
    """combination (1-based), column (KPI key, ':code' for a breakdown row), kpi, code, param, unit, value."""
    parts = []
    for i, out in enumerate(outcomes, start=1):
        if out.kpis is None or not len(out.kpis):
            continue
        k = out.kpis.copy()
        code = k["code"].where(k["code"].notna() & k["kpi"].map(is_breakdown), None)
        k["column"] = [column_key(kpi, c if isinstance(c, str) else None) for kpi, c in zip(k["kpi"], code)]
        k["value"] = pd.to_numeric(k["value"], errors="coerce")
        k["combination"] = i
        parts.append(k[["combination", "column", "stage", "kpi", "code", "param", "unit", "value"]])
    columns = ["combination", "column", "stage", "kpi", "code", "param", "unit", "value"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def kpi_changes(long: pd.DataFrame) -> pd.DataFrame:
    """Per KPI (column): stage, kpi, code, param, unit, smallest and largest value over the combinations that
    produced it, and whether it changes (values differ by more than 1e-9 relative, or it is missing in some)."""
    columns = ["column", "stage", "kpi", "code", "param", "unit", "min", "max", "changes"]
    if not len(long):
        return pd.DataFrame(columns=columns)
    n = long["combination"].nunique()
    grouped = long.groupby("column", sort=False)
    first = grouped[["stage", "kpi", "code", "param", "unit"]].first()
    lo, hi, count = grouped["value"].min(), grouped["value"].max(), grouped["value"].count()
    scale = np.maximum(np.abs(lo), np.abs(hi)).fillna(0.0)
    changes = ((hi - lo).abs() > 1e-9 * np.maximum(scale, 1.0)) | (count < n)
    out = first.assign(min=lo, max=hi, changes=changes.astype(bool)).reset_index()
    return out[columns]


# ---------------------------------------------------------------------------------------------
# Console progress
# ---------------------------------------------------------------------------------------------

class Progress:
    """Provinces done / total, the one just finished and its time: a bar redrawn in place on a terminal, one line per
    province otherwise (logs, CI)."""

    WIDTH = 24

    def __init__(self, total: int, lang: str, stream=None, by_key: bool = False):
        self.total, self.done, self.lang, self.by_key = total, 0, lang, by_key
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.start = time.perf_counter()

    def __call__(self, outcome: Outcome) -> None:
        self.done += 1
        status = "" if outcome.status == "ok" else f" — {L.value_label('run_status', outcome.status, self.lang)}"
        name = outcome.key if self.by_key else outcome.province or outcome.key
        elapsed = time.perf_counter() - self.start
        if self.tty:
            filled = int(self.WIDTH * self.done / max(self.total, 1))
            bar = "█" * filled + "·" * (self.WIDTH - filled)
            line = f"\r[{bar}] {self.done}/{self.total} {name} {outcome.seconds:.1f} s{status} ({elapsed:.0f} s)"
            self.stream.write(line[:150].ljust(100))
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{self.done}/{self.total}] {name} {outcome.seconds:.1f} s{status}\n")
        self.stream.flush()


def slug(name: str, taken: set[str]) -> str:
    """A file name for a province's workbook: its name without characters a file system refuses, unique in `taken`."""
    text = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", str(name)).strip(" .") or "province"
    text = text[:80]
    candidate, k = text, 2
    while candidate.lower() in taken:
        candidate, k = f"{text} ({k})", k + 1
    taken.add(candidate.lower())
    return candidate


def stages_option(text: str | None) -> tuple[str, ...] | None:
    """--stages 'sites,staffing' -> the stage names (ValueError naming unknown ones); None = all."""
    if not text:
        return None
    names = tuple(s.strip() for s in text.split(",") if s.strip())
    unknown = [s for s in names if s not in STAGES]
    if unknown:
        raise ValueError(f"unknown stage(s) {', '.join(unknown)}; stages are {', '.join(STAGES)}")
    return names


# ---------------------------------------------------------------------------------------------
# The commands
# ---------------------------------------------------------------------------------------------

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_SOME_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 4, 130


def _setup_problem(err: Exception, lang: str) -> str:
    """Why a run is refused before it starts: an output that cannot be written, an invalid scenario, a bad option."""
    if isinstance(err, ScenarioError):
        return f"invalid scenario {err.source}:\n  " + "\n  ".join(err.problems)
    return L.error_text(err, lang)


def _abandon(err: BaseException, command: str, made, lang: str, stderr) -> int:
    """Remove the outputs a run had started (planner.files.NewOutputs), say why in one line, return the exit code:
    2 for an output that cannot be written, 130 on Ctrl-C, 1 when the Dask engine cannot start or be reached."""
    made.remove()
    if isinstance(err, OutputError):
        text, code = L.error_text(err, lang), EXIT_INVALID
    elif isinstance(err, KeyboardInterrupt):
        text, code = L.text("interrupted", lang), EXIT_INTERRUPTED
    else:
        text, code = L.text("engine_failed", lang).format(error=err), EXIT_FAILED
    print(f"{command}: {text}", file=stderr)
    return code


def _load_scenario(path: str | None) -> Scenario:
    return Scenario.from_yaml(path) if path else Scenario()


def _engine_text(client, scheduler: str | None, lang: str) -> str:
    workers = len(client.scheduler_info().get("workers", {}))
    if scheduler:
        return L.text("run_scheduler", lang).format(address=scheduler, workers=workers)
    return L.text("run_local_cluster", lang).format(workers=workers)


def nation_command(data_dir: str | None, out: str, *, sample: bool = False, provinces: list[str] | None = None,
                   seed: int = 7, per_commune: float | None = None, scenario_path: str | None = None,
                   csv_dir: str | None = None, scheduler: str | None = None, workers: int | None = None,
                   lang: str = "vi", stages: str | None = None, stdout=None, stderr=None) -> int:
    """`planner nation`: plan every province of DATA_DIR (or every sample province) on Dask; write each province's
    workbook into <out stem>_tinh/, the national workbook `out` and, with csv_dir, national.csv, runs.csv and a
    folder of CSV tables per province. Exit 0 when every province is planned, 4 when some are not (the national
    workbook is written, their reasons are in it and on the console), 2 for invalid options or outputs (nothing
    written), 1 when Dask cannot run, 130 on Ctrl-C (nothing left behind)."""
    from contextlib import nullcontext

    from .files import NewOutputs, StagedFolder, check_output_path
    from .plan import write_table_csv
    from .report.national import write_national_workbook

    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    start = time.perf_counter()

    def refuse(text) -> int:
        print(f"nation: {text}", file=stderr)
        return EXIT_INVALID

    if bool(data_dir) == bool(sample):
        return refuse(L.text("nation_source", lang))
    if not sample and (provinces or per_commune is not None):
        return refuse(L.text("nation_sample_only", lang))
    out_path = Path(out)
    if out_path.suffix.lower() != ".xlsx":
        return refuse(L.text("out_not_xlsx", lang).format(name=out_path.name))
    plans_dir = out_path.with_name(f"{out_path.stem}_tinh")
    inputs = [data_dir] if data_dir else []
    try:
        chosen_stages = stages_option(stages)
        check_output_path(out_path, inputs=inputs)
        check_output_path(plans_dir, folder=True, inputs=inputs + [out_path])
        if csv_dir:
            check_output_path(csv_dir, folder=True, inputs=inputs + [out_path, plans_dir])
        scenario = _load_scenario(scenario_path)
    except (OutputError, ScenarioError, ValueError) as err:
        return refuse(_setup_problem(err, lang))
    skipped: list[Skipped] = []
    refused: list[Outcome] = []
    try:
        if sample:
            jobs, sizes = sample_jobs(scenario, provinces, seed, per_commune, lang, chosen_stages, bool(csv_dir))
        else:
            folder = Path(data_dir)
            if not folder.is_dir():
                return refuse(L.text("nation_not_folder", lang).format(folder=folder))
            paths, skipped = find_inputs(folder, exclude=[out_path])
            for s in skipped:
                print(L.text("nation_skipped", lang).format(name=s.path.name, reason=L.value_label("run_status", s.reason, lang)),
                      file=stderr)
            if not paths:
                return refuse(L.text("nation_no_inputs", lang).format(folder=folder))
            jobs, sizes, refused = file_jobs(paths, scenario, lang, chosen_stages, bool(csv_dir))
    except KeyError as err:  # an unknown province name
        return refuse(err.args[0])
    made = NewOutputs()
    made.add(out_path)
    made.add(plans_dir, tree=True)
    if csv_dir:
        made.add(csv_dir, tree=True)
    try:
        with StagedFolder(plans_dir, refuse_overwrite_of=inputs) as plans, \
                (StagedFolder(csv_dir, refuse_overwrite_of=inputs) if csv_dir else nullcontext()) as csvs:
            progress = Progress(len(jobs) + len(refused), lang, stderr)
            taken: set[str] = set()

            def keep(outcome: Outcome) -> None:
                """Write what a province sent back as soon as it arrives, then drop it from memory."""
                progress(outcome)
                name = slug(outcome.province or Path(outcome.key).stem, taken)
                if outcome.workbook is not None:
                    (plans.tmp / f"{name}.xlsx").write_bytes(outcome.workbook)
                    outcome.workbook = None
                if outcome.tables is not None and csvs is not None:
                    (csvs.tmp / name).mkdir()
                    for table, df in outcome.tables.items():
                        write_table_csv(df, csvs.tmp / name / f"{table}.csv")
                    outcome.tables = None

            for outcome in refused:
                keep(outcome)
            with dask_client(scheduler, workers) as client:
                engine = _engine_text(client, scheduler, lang)
                outcomes = run_jobs(client, jobs, sizes, on_done=keep)
                peak = cluster_peak_memory(client)
            outcomes = refused + outcomes
            table, runs = national_table(outcomes), run_table(outcomes, skipped)
            info = {"scenario": scenario.name, "created": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
                    "engine": engine, "peak_memory_mb": peak["total"] / 1e6, "plans_folder": plans_dir.name,
                    "wall_seconds": time.perf_counter() - start}
            if csvs is not None:
                write_table_csv(table, csvs.tmp / "national.csv")
                write_table_csv(runs, csvs.tmp / "runs.csv")
            write_national_workbook(table, runs, info, out_path, lang=lang, protected=inputs)
            plans.commit()
            if csvs is not None:
                csvs.commit()
    except (PlannerError, KeyboardInterrupt) as err:
        return _abandon(err, "nation", made, lang, stderr)
    failed = [o for o in outcomes if o.status != "ok"]
    if failed:
        print(L.text("nation_failures", lang), file=stderr)
        for o in failed:
            reason = "\n      ".join(o.reason.splitlines())
            print(f"  {o.province or o.key} ({L.value_label('run_status', o.status, lang)}): {reason}", file=stderr)
    wall = time.perf_counter() - start
    print(L.text("nation_done", lang).format(ok=len(outcomes) - len(failed), total=len(outcomes), seconds=wall)
          + f"; {L.text('run_peak_memory', lang)} {peak['total'] / 1e6:,.0f}", file=stdout)
    for path in (out_path, plans_dir, *([csv_dir] if csv_dir else [])):
        print(L.text("nation_written", lang).format(path=path), file=stdout)
    return EXIT_SOME_FAILED if failed else EXIT_OK


def sweep_command(file: str, vary: list[str], out: str, *, scenario_path: str | None = None,
                  scheduler: str | None = None, workers: int | None = None, lang: str = "vi",
                  stages: str | None = None, stdout=None, stderr=None) -> int:
    """`planner sweep`: the cross product of the --vary values on one province, on Dask; write the sweep workbook.
    Unknown keys, bad values and an invalid input are refused (exit 2) before anything is solved; exit 4 when some
    combinations have no plan (their reasons are in the workbook), 1 when Dask cannot run."""
    from .files import NewOutputs, check_output_path
    from .report.national import HEADLINE_KPIS, write_sweep_workbook

    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    start = time.perf_counter()

    def refuse(text) -> int:
        print(f"sweep: {text}", file=stderr)
        return EXIT_INVALID

    out_path = Path(out)
    if out_path.suffix.lower() != ".xlsx":
        return refuse(L.text("out_not_xlsx", lang).format(name=out_path.name))
    try:
        chosen_stages = stages_option(stages)
        check_output_path(out_path, inputs=[file])
        base = _load_scenario(scenario_path)
        varied = parse_vary(vary)
        combos = sweep_scenarios(base, varied)
    except (OutputError, ScenarioError, ValueError) as err:
        return refuse(_setup_problem(err, lang))
    try:
        ds = load_dataset(file)
    except InputError as err:
        print(err.report(), file=stderr)
        return EXIT_INVALID
    jobs = [Job(key=combination_label(combo), scenario=scenario, lang=lang, stages=chosen_stages, workbook=False)
            for combo, scenario in combos]
    made = NewOutputs()
    made.add(out_path)
    try:
        with dask_client(scheduler, workers) as client:
            engine = _engine_text(client, scheduler, lang)
            outcomes = run_jobs(client, jobs, dataset=ds, on_done=Progress(len(jobs), lang, stderr, by_key=True))
            peak = cluster_peak_memory(client)
        combo_values = [combo for combo, _ in combos]
        table = sweep_table(combo_values, outcomes, HEADLINE_KPIS)
        long = kpi_long(outcomes)
        changes = kpi_changes(long)
        values = long.pivot_table(index="column", columns="combination", values="value", aggfunc="first",
                                  dropna=False).reindex(index=changes["column"], columns=range(1, len(jobs) + 1))
        province, _ = official_province(ds)
        runs = run_table(outcomes).rename(columns={"province": "combination", "source": "values"})
        runs["combination"] = range(1, len(runs) + 1)
        info = {"province": province, "scenario": base.name, "engine": engine, "peak_memory_mb": peak["total"] / 1e6,
                "wall_seconds": time.perf_counter() - start}
        write_sweep_workbook(table, changes, values, runs, info, out_path, lang=lang, protected=[file])
    except (PlannerError, KeyboardInterrupt) as err:
        return _abandon(err, "sweep", made, lang, stderr)
    failed = [o for o in outcomes if o.status != "ok"]
    for o in failed:
        print(f"  {o.key} ({L.value_label('run_status', o.status, lang)}): {o.reason}", file=stderr)
    moving = changes[changes["changes"]]
    print(L.text("sweep_changes_subtitle", lang).format(changing=len(moving), total=len(changes)) + ":", file=stdout)
    for row in moving.head(12).itertuples():
        label = kpi_label({"kpi": row.kpi, "code": row.code, "param": row.param}, lang)
        print(f"  {label}: {row.min:,.4g} … {row.max:,.4g}", file=stdout)
    print(L.text("nation_written", lang).format(path=out_path), file=stdout)
    return EXIT_SOME_FAILED if failed else EXIT_OK
