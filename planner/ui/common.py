"""Shared pieces of the explorers: where the data lives, plain-words errors, tables and figures as widgets,
and a background task that keeps the UI responsive during long solves.

Widgets are only ever updated by assigning their state (value, children), never by printing into an
Output from another thread: that is what works the same in Jupyter, nbclient and Voila.
"""

from __future__ import annotations

import base64
import html
import io
import os
import threading
import time
from pathlib import Path
from typing import Callable

import ipywidgets as widgets
import pandas as pd

from .boxes import message_html
from .table import html_table, shown_frame
from .text import ui_lang, ui_text

DATA_ENV = "PLANNER_DATA"  # path of the province workbook the notebooks and the app open
SCENARIO_ENV = "PLANNER_SCENARIO"  # optional scenario YAML the explorers start from
DEFAULT_PROVINCE_FILE = "lang_son.xlsx"
TABLE_ROWS = 200  # rows of a static table inside a message (the tabs page through every row)


# ---------------------------------------------------------------- data location

def default_data_path() -> Path:
    """The province workbook to open: $PLANNER_DATA, else the bundled data/lang_son.xlsx."""
    chosen = os.environ.get(DATA_ENV)
    if chosen:
        return Path(chosen).expanduser()
    repo_data = Path(__file__).resolve().parents[2] / "data"
    for folder in (repo_data, Path.cwd() / "data", Path.cwd().parent / "data"):
        if (folder / DEFAULT_PROVINCE_FILE).exists():
            return folder / DEFAULT_PROVINCE_FILE
    return repo_data / DEFAULT_PROVINCE_FILE


def bundled_provinces() -> dict[str, Path]:
    """Workbooks shipped in data/ (name shown to the user -> path)."""
    folder = default_data_path().parent
    return {p.stem: p for p in sorted(folder.glob("*.xlsx"))} if folder.exists() else {}


def open_province(path: str | Path | None = None, lang: str | None = None):
    """Load and validate a province workbook (InputError lists every problem)."""
    from ..validate import load_dataset

    path = Path(path) if path is not None else default_data_path()
    if not path.exists():
        raise FileNotFoundError(ui_text("file_missing", lang, path=path, env=DATA_ENV, file=DEFAULT_PROVINCE_FILE))
    return load_dataset(path)


def default_scenario():
    """The settings the explorers start from: $PLANNER_SCENARIO (a YAML file) if set, else the defaults."""
    from ..scenario import Scenario

    chosen = os.environ.get(SCENARIO_ENV)
    return Scenario.from_yaml(Path(chosen).expanduser()) if chosen else Scenario()


# ---------------------------------------------------------------- errors in plain words

def describe_error(exc: BaseException, lang: str | None = None) -> tuple[str, list[str]]:
    """A title and the lines a user should read, for any error a solve or a load can raise.

    Infeasibility explanations come in the reader's language (planner.messages); the other lines are the
    error's own words (the validator and the re-checks write them in English).
    """
    from ..messages import time_limit_message, translated
    from ..errors import InputError, PlanInconsistent, RegisterError, PlanInfeasible, ScenarioError, SolveTimeLimit
    from ..labels import text, value_label

    lang = ui_lang(lang)
    if isinstance(exc, PlanInfeasible):
        return (f"{text('infeasible_title', lang)} ({value_label('stage', exc.stage, lang)})",
                [translated(line, lang) for line in exc.lines])
    if isinstance(exc, PlanInconsistent):
        return (ui_text("err_inconsistent", lang, stage=value_label("stage", exc.stage, lang)),
                list(exc.violations[:20]))
    if isinstance(exc, SolveTimeLimit):
        return ui_text("err_time_limit", lang), [translated(time_limit_message(exc), lang)]
    if isinstance(exc, ScenarioError):
        return ui_text("err_settings", lang), list(exc.problems)
    if isinstance(exc, InputError):
        return ui_text("err_input", lang), input_report(exc, lang).splitlines()
    if isinstance(exc, RegisterError):
        return ui_text("err_register", lang), [exc.text(lang)]
    if isinstance(exc, (FileNotFoundError, PermissionError)):
        return ui_text("err_file", lang), [str(exc)]
    if isinstance(exc, ImportError):
        return ui_text("err_not_installed", lang), [str(exc)]
    return ui_text("err_unexpected", lang), [f"{type(exc).__name__}: {exc}"]


def input_report(exc, lang: str) -> str:
    """The validation report of an InputError in the language (its Vietnamese form when it has one)."""
    try:
        return str(exc.report(lang=lang))
    except TypeError:  # a report without languages
        return str(exc.report())


# ---------------------------------------------------------------- tables and figures as widgets

def table_html(df: pd.DataFrame, title: str = "", max_rows: int = TABLE_ROWS, lang: str | None = None, ds=None) -> str:
    """A static HTML table (escaped text, names for IDs, Có/Không, readable headers) of at most max_rows rows,
    for short tables inside messages (explanations); the tabs use planner.ui.table.DataTable."""
    lang = ui_lang(lang)
    if df is None or df.empty:
        return message_html(title or ui_text("table", lang), [ui_text("no_rows", lang)], kind="info")
    shown, headers = shown_frame(df.head(max_rows), lang, ds)
    note = (f"<div style='color:#666;font-size:90%'>"
            f"{html.escape(ui_text('showing_rows', lang, shown=f'{len(shown):,}', total=f'{len(df):,}'))}</div>"
            if len(df) > len(shown) else "")
    caption = f"<div style='font-weight:bold;margin:6px 0 2px 0'>{html.escape(title)}</div>" if title else ""
    return f"{caption}{html_table(shown, headers, lang)}{note}"


def figure_png(fig) -> bytes:
    """PNG bytes of a matplotlib Figure (no pyplot state: safe in background threads)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def figure_widget(fig, css_class: str = "planner-figure") -> widgets.Image:
    image = widgets.Image(value=figure_png(fig), format="png",
                          layout=widgets.Layout(max_width="100%", align_self="flex-start"))  # natural size, not stretched
    image.add_class(css_class)
    return image


def download_html(data: bytes, name: str, label: str) -> str:
    """A link that downloads the bytes from the page itself (works in Voila, which serves no arbitrary files);
    the user sees the file name only, never a path on the server."""
    encoded = base64.b64encode(data).decode()
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return (f"<a class='planner-download-link' download='{html.escape(Path(name).name)}' "
            f"href='data:{mime};base64,{encoded}' style='font-weight:bold;font-size:110%'>⬇ {html.escape(label)}</a>")


# ---------------------------------------------------------------- background work

class BackgroundTask:
    """Runs one job at a time off the UI thread; shows elapsed time, then the outcome or a readable error.

    sync=True runs the job in the caller's thread (tests, and notebooks executed top to bottom).
    """

    def __init__(self, status: widgets.HTML, progress: widgets.FloatProgress, busy: list[widgets.Widget],
                 on_finish: Callable[[], None] | None = None, lang: str | None = None):
        self.lang = ui_lang(lang)
        self.status = status
        self.progress = progress
        self.busy = busy
        self.on_finish = on_finish  # e.g. enable the export button only when there is a plan
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self._active = False  # a job is on: set by start, cleared before its outcome is shown

    @property
    def running(self) -> bool:
        return self._active

    def start(self, label: str, job: Callable[[], object], on_done: Callable[[object], None], sync: bool = False) -> None:
        with self._lock:
            if self._active:
                self.status.value = message_html(ui_text("busy", self.lang), kind="info")
                return
            self._active = True
        self.error = None
        if sync:
            self._run(label, job, on_done, time.perf_counter(), threading.Event())
            return
        finished = threading.Event()
        started = time.perf_counter()
        self.thread = threading.Thread(target=self._run, args=(label, job, on_done, started, finished), daemon=True)
        self.thread.start()
        threading.Thread(target=self._tick, args=(label, started, finished), daemon=True).start()

    def wait(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)

    def _tick(self, label: str, started: float, finished: threading.Event) -> None:
        while not finished.wait(0.5):
            with self._lock:
                if finished.is_set():
                    return
                elapsed = time.perf_counter() - started
                self.progress.value = (elapsed % 10) / 10
                self.status.value = message_html(ui_text("task_elapsed", self.lang, label=label, seconds=f"{elapsed:.0f}"),
                                                 kind="info")

    def _run(self, label, job, on_done, started, finished) -> None:
        for w in self.busy:
            w.disabled = True
        self.progress.layout.visibility = "visible"
        self.progress.bar_style = "info"
        self.status.value = message_html(f"{label}…", kind="info")
        try:
            on_done(job())
            seconds = f"{time.perf_counter() - started:.1f}"
            outcome, style = message_html(ui_text("task_done", self.lang, label=label, seconds=seconds), kind="ok"), "success"
        except Exception as exc:  # shown to the user in plain words, never as a traceback
            self.error = exc
            outcome, style = message_html(*describe_error(exc, self.lang)), "danger"
        with self._lock:  # the buttons and the next job are free before the outcome shows: a click on seeing it works
            finished.set()
            try:
                for w in self.busy:
                    w.disabled = False
                if self.on_finish is not None:
                    self.on_finish()
            finally:
                self._active = False
                self.status.value = outcome
                self.progress.bar_style = style
                self.progress.value = 1.0


def show(fig) -> None:
    """Display a matplotlib Figure as a PNG in a notebook (no pyplot backend needed)."""
    from IPython.display import Image, display

    display(Image(figure_png(fig)))
