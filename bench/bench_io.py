"""Time writing and validating a province-sized input workbook and CSV folder (prints seconds).

The tiny test province is scaled up (officials and equipment repeated with new ids) to about the
size of Lào Cai (4,200 officials); run: .venv/bin/python bench/bench_io.py [copies]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from planner.dataset import Dataset  # noqa: E402
from planner.template import write_input_workbook  # noqa: E402
from planner.validate import read_and_validate  # noqa: E402
from tiny import tiny_frames  # noqa: E402


def scaled_frames(copies: int) -> dict[str, pd.DataFrame]:
    frames = tiny_frames()
    for table in ("officials", "equipment"):
        base = frames[table]
        parts = [base.assign(id=base["id"] + f"-{k}") for k in range(copies)]
        frames[table] = pd.concat(parts, ignore_index=True)
    frames["officials"]["fixed_commune"] = pd.NA  # pins of the copies would exceed the ceilings
    frames["officials"]["fixed_position"] = pd.NA
    return frames


def main(copies: int = 124) -> None:
    ds = Dataset.from_frames(scaled_frames(copies))
    print(f"officials {len(ds['officials'])}, equipment {len(ds['equipment'])}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, action in [
            ("write xlsx", lambda: write_input_workbook(Path(tmp) / "p.xlsx", ds)),
            ("validate xlsx", lambda: read_and_validate(Path(tmp) / "p.xlsx")),
            ("write csv", lambda: ds.save_csv(Path(tmp) / "csv")),
            ("validate csv", lambda: read_and_validate(Path(tmp) / "csv")),
        ]:
            start = time.perf_counter()
            action()
            print(f"{label:14s} {time.perf_counter() - start:6.2f} s")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
