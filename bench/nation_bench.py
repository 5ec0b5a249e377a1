"""The national run, measured: `planner nation --sample` on the default local cluster, timed from the outside.

    .venv/bin/python bench/nation_bench.py [--out /tmp/nat/national.xlsx] [--workers N] [--provinces A,B]
                                           [--officials-per-commune X] [--stages S] [--scheduler tcp://HOST:8786]

Runs the command as its own process and prints:
  - wall seconds of the whole command (cluster start, 34 samples generated, planned and written, national workbook);
  - per province: seconds on its worker (generate, plan, write its workbook) and the worker's peak memory, from the
    national workbook's run sheet; their distribution (median, 90th percentile, largest);
  - peak memory two ways: (a) the largest sum of resident memory (VmRSS) over the command's whole process tree
    (the command, its scheduler, the nannies and the worker processes), sampled from /proc every 0.2 s: what the
    machine actually had to hold at one moment; (b) the sum of each process's own peak (ru_maxrss), as the command
    reports it: an upper bound, since the peaks need not coincide. /usr/bin/time -v would only see the command's
    own process, not its workers.
  - CPU seconds per province (its worker process) and of the whole process tree: what the run costs on idle cores,
    since wall seconds measured while other programs share the machine say little.
Targets (issue 13, this 2-core machine): <= 150 s wall, <= 4 GB peak.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[1]
PLANNER = Path(sys.executable).parent / "planner"
TARGET_WALL_S, TARGET_PEAK_GB = 150, 4.0
SAMPLE_EVERY_S = 0.2


def descendants(root: int) -> list[int]:
    """root and every process below it (from /proc/*/stat parent ids)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # the name in parentheses may hold spaces
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far (/proc/<pid>/stat fields 14 and 15)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().decode(errors="replace").rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class TreeMemory(threading.Thread):
    """Samples a process tree until stopped: the largest sum of resident memory (and how many processes then), and
    each process's CPU seconds at its last sample (a process's last 0.2 s may be missed)."""

    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root, self.peak, self.processes, self.done = root, 0, 0, threading.Event()
        self.cpu: dict[int, float] = {}

    def run(self) -> None:
        while not self.done.is_set():
            pids = descendants(self.root)
            total = sum(rss_bytes(p) for p in pids)
            if total > self.peak:
                self.peak, self.processes = total, len(pids)
            for p in pids:
                self.cpu[p] = max(self.cpu.get(p, 0.0), cpu_seconds(p))
            self.done.wait(SAMPLE_EVERY_S)


def run_rows(path: Path) -> tuple[list[str], list[tuple], list[str]]:
    """The run sheet (the national workbook's third sheet, English labels): header, rows, the lines above it."""
    ws = openpyxl.load_workbook(path, read_only=True).worksheets[2]
    rows = [r for r in ws.iter_rows(values_only=True)]
    top = next(k for k, r in enumerate(rows) if r and r[0] == "Province" and "Wall time (s)" in r)
    lines = [str(r[0]) for r in rows[1:top] if r and r[0]]
    return list(rows[top]), [r for r in rows[top + 1:] if any(v is not None for v in r)], lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="/tmp/nat/national.xlsx")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--provinces")
    parser.add_argument("--officials-per-commune", type=float)
    parser.add_argument("--stages")
    parser.add_argument("--scheduler")
    args = parser.parse_args()
    cmd = [str(PLANNER), "nation", "--sample", "--out", args.out, "--lang", "en"]
    for flag, value in (("--workers", args.workers), ("--provinces", args.provinces), ("--stages", args.stages),
                        ("--officials-per-commune", args.officials_per_commune), ("--scheduler", args.scheduler)):
        if value is not None:
            cmd += [flag, str(value)]
    print("$ " + " ".join(cmd), flush=True)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT)
    memory = TreeMemory(proc.pid)
    memory.start()
    code = proc.wait()
    wall = time.perf_counter() - start
    memory.done.set()
    memory.join()
    print(f"\nexit code {code}; wall {wall:.1f} s (target <= {TARGET_WALL_S} s)")
    print(f"peak memory, process tree sampled every {SAMPLE_EVERY_S} s: {memory.peak / 1e9:.2f} GB "
          f"({memory.processes} processes; target <= {TARGET_PEAK_GB} GB)")
    cpu = sum(memory.cpu.values())
    cores = len(os.sched_getaffinity(0))
    print(f"CPU time of the process tree: {cpu:.0f} s, i.e. at least {cpu / cores:.0f} s of wall on {cores} idle cores; "
          f"load average at the end {os.getloadavg()[0]:.1f} (other programs share the cores when it is above {cores})")
    if code not in (0, 4):
        return code
    header, rows, lines = run_rows(Path(args.out))
    for line in lines:
        print(f"run sheet: {line}")
    col = {name: header.index(name) for name in header if name}
    done = [r for r in rows if r[col["Result"]] == "Done"]
    print(f"\n{len(done)}/{len([r for r in rows if r[col['Result']] != 'Skipped'])} provinces planned")
    print(f"{'province':<26} {'total s':>8} {'cpu s':>7} {'generate':>9} {'plan':>8} {'write':>8} {'worker MB':>10}  result")
    for r in sorted(rows, key=lambda r: -(r[col["Wall time (s)"]] or 0)):
        print(f"{str(r[col['Province']]):<26} {r[col['Wall time (s)']] or 0:8.1f} {r[col['CPU time (s)']] or 0:7.1f} "
              f"{r[col['Read and check (s)']] or 0:9.1f} "
              f"{r[col['Plan (s)']] or 0:8.1f} {r[col['Write workbook (s)']] or 0:8.1f} "
              f"{r[col['Worker peak memory (MB)']] or 0:10.0f}  {r[col['Result']]}"
              + (f": {str(r[col['Reason']])[:80]}" if r[col["Reason"]] else ""))
    for name in ("Wall time (s)", "CPU time (s)"):
        seconds = sorted(float(r[col[name]]) for r in done)
        if seconds:
            p90 = seconds[min(len(seconds) - 1, int(round(0.9 * (len(seconds) - 1))))]
            print(f"per province, {name}: min {seconds[0]:.1f}, median {statistics.median(seconds):.1f}, "
                  f"p90 {p90:.1f}, max {seconds[-1]:.1f}; sum {sum(seconds):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
