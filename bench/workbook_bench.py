"""Time writing the leadership workbook (planner.report.write_plan_workbook) for Lạng Sơn and Lào Cai.

    .venv/bin/python bench/workbook_bench.py [--runs N] [--fresh] [--keep DIR] [--provinces KEY ...]
                                             [--input KEY=WORKBOOK ...]

Each province is solved once (all stages, baseline scenario) and its Plan pickled in /tmp
(planner_bench_plan_<province>.pkl; --fresh solves again), so the write can be timed repeatedly. --input adds any
input workbook, e.g. a sample (`planner sample --province "Hà Nội" --seed 3 --out /tmp/hn.xlsx`, then
`--input ha_noi=/tmp/hn.xlsx`).
Columns (seconds, best of N runs, wall / CPU; the machine is shared, CPU seconds vary less under load):
  map     the summary's shortage map alone (planner.report.plan_workbook.shortage_map)
  write   the whole workbook (map included), as `planner solve` writes it: the long tables' rows as XML
          (planner.report.bulk)
  cells   the same workbook with every data row built as an openpyxl cell and serialised by openpyxl (how it was
          written before planner.report.bulk; the same bytes, tests/test_report_fast_write.py)
  floor   openpyxl write-only mode (Workbook(write_only=True)) saving the same tables' values (the planner's
          tables plus the meeting views), one sheet each, without styles, formats, names or print setup:
          what openpyxl must at least do for these cells
  ratio   write / floor; speed-up: cells / write
  cells   cells in the written workbook's sheets; MB: its size
"""

from __future__ import annotations

import argparse
import pickle
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROVINCES = {"lang_son": ("Lạng Sơn", ROOT / "data" / "lang_son.xlsx"),
             "lao_cai": ("Lào Cai", ROOT / "data" / "lao_cai.xlsx")}


def cells_write(plan, ds, path: Path) -> None:
    """The workbook with every data row as an openpyxl cell (write_rows without defer)."""
    from planner.report import sheets, style, write_plan_workbook

    bulk_rows = sheets.write_rows
    sheets.write_rows = lambda *args, defer=False, **kwargs: style.write_rows(*args, **kwargs)
    try:
        write_plan_workbook(plan, ds, path)
    finally:
        sheets.write_rows = bulk_rows


def plan_for(key: str, source: Path, fresh: bool):
    """(dataset, plan): the plan from the pickle in /tmp, or solved now and pickled."""
    from planner.pipeline import run_plan
    from planner.scenario import Scenario
    from planner.validate import load_dataset

    ds = load_dataset(source)
    cache = Path(tempfile.gettempdir()) / f"planner_bench_plan_{key}.pkl"
    if cache.exists() and not fresh:
        return ds, pickle.loads(cache.read_bytes())
    plan = run_plan(ds, Scenario(), stages=ds.stages)
    cache.write_bytes(pickle.dumps(plan))
    return ds, plan


def floor_write(plan, path: Path) -> None:
    """The same tables' values through openpyxl's write-only mode, no styles."""
    import openpyxl

    from planner.report.plan_workbook import meeting_tables
    from planner.report.bulk import python_scalar

    wb = openpyxl.Workbook(write_only=True)
    for name, df in meeting_tables(plan.tables).items():
        ws = wb.create_sheet(name[:31])
        ws.append([str(c) for c in df.columns])
        clean = df.astype(object).where(df.notna(), None)
        for row in clean.itertuples(index=False, name=None):
            ws.append([python_scalar(v) for v in row])
    wb.save(path)


def best(action, runs: int) -> tuple[float, float]:
    """(best wall seconds, best CPU seconds) over `runs` runs."""
    wall = cpu = float("inf")
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        wall, cpu = min(wall, time.perf_counter() - start), min(cpu, time.process_time() - start_cpu)
    return wall, cpu


def cells(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(archive.read(n).count(b"<c ") for n in archive.namelist()
                   if n.startswith("xl/worksheets/") and n.endswith(".xml"))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--keep", type=Path, help="leave the written workbooks in this folder")
    parser.add_argument("--provinces", nargs="+", default=list(PROVINCES), choices=list(PROVINCES))
    parser.add_argument("--input", nargs="+", default=[], metavar="KEY=WORKBOOK", help="more input workbooks")
    args = parser.parse_args(argv)
    inputs = {key: PROVINCES[key] for key in args.provinces}
    for item in args.input:
        key, _, source = item.partition("=")
        inputs[key] = (key, Path(source))
    from planner.report import write_plan_workbook
    from planner.report.plan_workbook import shortage_map

    out = args.keep or Path(tempfile.mkdtemp(prefix="planner_wb_"))
    out.mkdir(parents=True, exist_ok=True)
    print(f"{'province':10s} {'map':>11s} {'write':>11s} {'cells':>11s} {'floor':>11s} {'ratio':>11s} "
          f"{'speed-up':>11s} {'cells':>8s} {'MB':>5s}   (seconds, best of {args.runs}: wall / CPU)")
    for key, (name, source) in inputs.items():
        ds, plan = plan_for(key, source, args.fresh)
        target, cells_path, floor_path = out / f"{key}.xlsx", out / f"{key}_cells.xlsx", out / f"{key}_floor.xlsx"
        write_plan_workbook(plan, ds, target)  # warm up imports (matplotlib, openpyxl) once
        t_map = best(lambda: shortage_map(plan, ds, "vi"), args.runs)
        t_write = best(lambda: write_plan_workbook(plan, ds, target), args.runs)
        t_cells = best(lambda: cells_write(plan, ds, cells_path), args.runs)
        t_floor = best(lambda: floor_write(plan, floor_path), args.runs)
        pair = lambda t: f"{t[0]:5.2f} /{t[1]:5.2f}"  # noqa: E731
        print(f"{name:10s} {pair(t_map)} {pair(t_write)} {pair(t_cells)} {pair(t_floor)} "
              f"{pair((t_write[0] / t_floor[0], t_write[1] / t_floor[1]))} "
              f"{pair((t_cells[0] / t_write[0], t_cells[1] / t_write[1]))} {cells(target):8,d} "
              f"{target.stat().st_size / 1e6:5.2f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
