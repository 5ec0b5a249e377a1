"""Time `planner validate` on the bundled provinces: reading the workbook, checking the tables, and the floor.

The floor is what no reader can avoid: unzipping every worksheet and scanning its XML once (zipfile + bytes.count
of the cell tags). Times are the best of several runs (the machine is shared) in wall and CPU seconds; the ratio
is total / floor. Run: .venv/bin/python bench/validate_bench.py [workbook.xlsx ...] [--runs N]
"""

from __future__ import annotations

import sys
import time
import zipfile
from pathlib import Path

from planner import validate
from planner.schema import load_schema

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = [ROOT / "data" / "lang_son.xlsx", ROOT / "data" / "lao_cai.xlsx"]


def best(action, runs: int) -> tuple[float, float, object]:
    """(best wall seconds, best CPU seconds, last result) over `runs` runs."""
    wall = cpu = float("inf")
    result = None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = action()
        wall, cpu = min(wall, time.perf_counter() - start), min(cpu, time.process_time() - start_cpu)
    return wall, cpu, result


def floor(path: Path) -> int:
    """Unzip every worksheet and count its cells: the least any reader of the workbook must do."""
    cells = 0
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                cells += archive.read(name).count(b"<c ")
    return cells


def check(raw: dict) -> dict:
    problems: list = []
    checked: dict = {}
    for name, spec in load_schema().items():
        if name in raw:
            checked[name] = validate._check_table(raw[name], spec, problems, checked)
    return checked


def main(argv: list[str]) -> None:
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 5
    paths = [Path(a) for a in argv if a.endswith(".xlsx")] or DEFAULT
    print(f"{'workbook':16s} {'cells':>8s} {'floor':>7s} {'read':>7s} {'check':>7s} {'total':>7s} {'ratio':>6s}"
          f"   (seconds: best of {runs}, wall / CPU)")
    for path in paths:
        validate.load_dataset(path)  # warm up imports and caches
        floor_wall, floor_cpu, cells = best(lambda: floor(path), runs)
        read_wall, read_cpu, raw = best(lambda: validate._read_workbook(path, []), runs)
        check_wall, check_cpu, _ = best(lambda: check(raw), runs)
        total_wall, total_cpu, _ = best(lambda: validate.load_dataset(path), runs)
        for label, f, r, c, t in (("wall", floor_wall, read_wall, check_wall, total_wall),
                                  ("cpu", floor_cpu, read_cpu, check_cpu, total_cpu)):
            print(f"{path.name + ' ' + label:16s} {cells:8,d} {f:7.3f} {r:7.3f} {c:7.3f} {t:7.3f} {t / f:6.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
