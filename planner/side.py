"""A second process beside one province's solve, for the work that need not wait for the rest.

A solve runs its models one after the other on one core; this machine and a planner's laptop have at least two.
A big input workbook's largest sheets are read and checked there while the first process reads the others
(planner.validate, _Elsewhere). Once the headquarters and the staffing plan are final, the equipment plan needs
nothing more, nor does the summary's shortage map, so both can run in a second process while the first plans the
service points and the building uses (planner.pipeline.run_plan, `planner solve`); the plan embedded in the result
workbook is encoded there, when it is idle, while the first writes the sheets (planner.report.write_plan_workbook).

The process is *spawned* (a fresh interpreter), never forked: a fork would copy HiGHS's solver threads and locks
half-way, which can hang or crash. It is started when the solve starts, so it imports the planner on the spare
core while the first process imports it too. A job's result is the same as in one process: the same code on
the same inputs, pickled there and back. When the process cannot start, dies, or the job fails for any reason,
`outcome` does the work in the calling process instead, so an error is raised there with its own message and
traceback, as without a side process.

No side process where it would not help or is not allowed: one core, or inside a daemon process (a Dask
worker: the national run already keeps every core busy with provinces), or PLANNER_SIDE_PROCESS=0.
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing
import os
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Callable

#: what the side process imports as it starts, while the main one imports: reading the input there needs the
#: validation and its schema ('module:function' is also called: the schema, read from CSV files once per process)
READ_MODULES = ("planner.validate:load_schema",)
#: modules it imports once the input is read (`warm`), while the main one plans the staffing: what its later jobs need
WARM_MODULES = ("planner.models.equipment", "planner.report.map_image", "planner.payload")


def _warm(modules: tuple[str, ...]) -> None:
    for name in modules:
        module, _, function = name.partition(":")
        imported = importlib.import_module(module)
        if function:
            getattr(imported, function)()
    gc.freeze()  # the modules live as long as this process: the garbage collector's full passes skip them


def _run(fn: Callable, args: tuple):
    """A job in the side process: its result, or None when it failed (the caller then runs it itself)."""
    try:
        return True, fn(*args)
    except Exception:  # noqa: BLE001 - the main process repeats the job and raises the error with its own traceback
        return False, None


class SideProcess:
    """One spawned worker process; `submit` hands it a job, `outcome` takes the job's result (see the module)."""

    def __init__(self, first: tuple[str, ...] = READ_MODULES):
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_warm, initargs=(first,))
        self._jobs: list[Future] = []  # handed over and not yet seen finished (idle)
        # start it now, so it imports the planner while the caller does; with Ctrl-C ignored meanwhile, so
        # that the process starts ignoring it (Python then installs no KeyboardInterrupt handler): Ctrl-C reaches the
        # whole process group, and only the main process answers it, in one line, and closes this one
        main = threading.current_thread() is threading.main_thread()
        before = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            self._pool.submit(int)
        finally:
            if main:
                signal.signal(signal.SIGINT, before)

    def warm(self, modules: tuple[str, ...] = WARM_MODULES) -> None:
        """Import these modules there now (after the jobs already handed over), so that later jobs start at once."""
        self.submit(_warm, modules)

    def submit(self, fn: Callable, *args) -> Future | None:
        """Run fn(*args) in the side process (fn a module-level function, args picklable); None if it cannot."""
        try:
            job = self._pool.submit(_run, fn, args)
        except Exception:  # noqa: BLE001 - a broken or closed pool: the caller does the work itself
            return None
        self._jobs = [j for j in self._jobs if not j.done()] + [job]
        return job

    def idle(self) -> bool:
        """True when every job handed over has finished: a new one would start at once."""
        self._jobs = [j for j in self._jobs if not j.done()]
        return not self._jobs

    def close(self, wait: bool = False) -> None:
        """Stop the process: by default at once, ending a job nobody will read (after an error or Ctrl-C); wait=True
        lets the jobs handed to it finish first."""
        if not wait:  # ProcessPoolExecutor.terminate_workers() comes with Python 3.14; until then its processes
            for process in list((getattr(self._pool, "_processes", None) or {}).values()):
                process.terminate()
        # joined here in both cases: a pool left to the interpreter's exit can write to a pipe it has closed meanwhile
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "SideProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def start_side_process() -> SideProcess | None:
    """A side process when it can help (see the module docstring), else None."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if cores < 2 or multiprocessing.current_process().daemon or os.environ.get("PLANNER_SIDE_PROCESS", "1") == "0":
        return None
    try:
        return SideProcess()
    except Exception:  # noqa: BLE001 - no process could be started: one process does everything
        return None


def outcome(future: Future | None, fn: Callable, *args):
    """The result of a job handed to the side process with these arguments; fn(*args) here when there is no
    future, or the process died, or the job failed there."""
    if future is not None:
        try:
            done, value = future.result()
            if done:
                return value
        except Exception:  # noqa: BLE001 - a dead process or an unpicklable result: do the work here
            pass
    return fn(*args)
