"""The data tab: open the bundled province or an uploaded workbook; show every problem the validation
finds, or an overview (key figures, map, charts, the communes and old units) when the workbook is valid."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Callable

import ipywidgets as widgets
import pandas as pd

from ..dataset import Dataset
from ..errors import InputError
from ..labels import text
from . import charts, maps
from .common import BackgroundTask, bundled_provinces, describe_error, figure_widget, message_html, open_province, output_folder
from .panel import Panel, tabs
from .text import ui_lang

# input columns shown under the names of planner.labels (e.g. a commune's 'name' is not a person's)
INPUT_COLUMNS = {"communes": {"code": "commune_code", "name": "commune_name", "type": "commune_type"},
                 "old_units": {"id": "old_unit_id", "name": "old_unit_name", "kind": "old_unit_kind"}}


class DataCheckExplorer(Panel):
    """Open the bundled province or an uploaded workbook; show the validation report or an overview."""

    def __init__(self, ds: Dataset | None = None, *, sync: bool = False, on_dataset: list[Callable] | None = None,
                 lang: str | None = None):
        self.ui_lang = ui_lang(lang)
        self.ds = ds
        self.sync = sync
        self.error: BaseException | None = None
        self.on_dataset = on_dataset if on_dataset is not None else []
        provinces = bundled_provinces()
        self.choice = widgets.Dropdown(options=[(k, str(v)) for k, v in provinces.items()] or [(self.t("none_bundled"), None)],
                                       description=text("province", self.ui_lang), layout=widgets.Layout(width="300px"))
        if ds is not None and str(Path(ds.source)) in {str(v) for v in provinces.values()}:
            self.choice.value = str(Path(ds.source))
        self.open_button = widgets.Button(description=self.t("open"), icon="folder-open", button_style="primary")
        self.open_button.on_click(lambda _: self.load(self.choice.value))
        self.upload = widgets.FileUpload(accept=".xlsx", multiple=False, description=self.t("upload"),
                                         layout=widgets.Layout(width="auto"))
        self.upload.observe(lambda change: self.load_upload(change["new"]), names="value")
        self.status = widgets.HTML()
        self.progress = widgets.FloatProgress(value=0, min=0, max=1, layout=widgets.Layout(width="420px", visibility="hidden"))
        self.results = widgets.VBox()
        self.results.add_class("planner-results")
        self.task = BackgroundTask(self.status, self.progress, busy=[self.open_button], lang=self.ui_lang)
        self.widget = widgets.VBox([widgets.HTML(f"<h3 style='margin:4px 0'>{html.escape(self.t('data_title'))}</h3>"),
                                    widgets.HBox([self.choice, self.open_button, self.upload]),
                                    self.progress, self.status, self.results])
        if ds is not None:
            self.results.children = self.render(ds)

    def load(self, path, wait: bool = False) -> None:
        """Validate a workbook; show every problem, or the overview when it is valid."""
        if not path:
            self.status.value = message_html(self.t("no_file"), kind="info")
            return

        def job():
            try:
                return open_province(path, self.ui_lang)
            except Exception as exc:
                self._show_problems(exc)
                raise

        self.task.start(self.t("checking", name=Path(path).name), job, self._loaded, sync=self.sync or wait)

    def load_upload(self, files, wait: bool = False) -> None:
        """Save an uploaded workbook to the output folder, then check it like any other."""
        if not files:
            return
        upload = files[0] if isinstance(files, (list, tuple)) else next(iter(files.values()))
        target = output_folder() / "uploads" / Path(upload["name"]).name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(bytes(upload["content"]))
        self.load(str(target), wait=wait)

    def _loaded(self, ds: Dataset) -> None:
        self.ds = ds
        self.error = None
        self.results.children = self.render(ds)
        for callback in self.on_dataset:
            callback(ds)

    def _show_problems(self, exc: BaseException) -> None:
        """Every problem of an invalid workbook as a table (any other error: its plain-words lines)."""
        self.error = exc
        frame = (exc.to_frame() if isinstance(exc, InputError)
                 else pd.DataFrame({"problem": describe_error(exc, self.ui_lang)[1]}))
        self.results.children = [self.table(frame, self.t("problems_title"), max_rows=500)]

    def render(self, ds: Dataset) -> list[widgets.Widget]:
        lang = self.ui_lang
        counts = pd.DataFrame({"table": list(ds.tables), "rows": [len(df) for df in ds.tables.values()]})
        officials = ds["officials"]
        key = pd.DataFrame({"figure": [self.t(f"figure_{name}") for name in (
                                "communes", "old_units", "officials", "eligible", "equipment", "buildings", "population")],
                            "value": [len(ds["communes"]), len(ds["old_units"]), len(officials),
                                      int(officials["eligible_for_leadership"].fillna(False).sum()),
                                      int(ds["equipment"]["count"].fillna(0).sum()), len(ds["buildings"]),
                                      int(ds["communes"]["population"].fillna(0).sum())]})
        return [
            widgets.HTML(message_html(self.t("workbook_valid", province=ds.province),
                                      [self.t("source", source=ds.source)], kind="ok")),
            tabs([
                (self.t("tab_overview"), widgets.VBox([widgets.HBox([self.table(key, text("key_figures", lang)),
                                                                    self.table(counts, self.t("rows_per_table"))]),
                                                      figure_widget(maps.overview_map(ds, lang), "planner-map")])),
                (self.t("tab_staff"), figure_widget(charts.staff_by_field_chart(ds, lang))),
                (self.t("tab_equipment"), figure_widget(charts.equipment_chart(ds, lang))),
                (self.t("tab_buildings"), figure_widget(charts.buildings_chart(ds, lang))),
                (self.t("tab_communes"), self.table(ds["communes"].rename(columns=INPUT_COLUMNS["communes"]),
                                                    self.t("new_communes"))),
                (self.t("tab_old_units"), self.table(ds["old_units"].rename(columns=INPUT_COLUMNS["old_units"]),
                                                     self.t("old_units"))),
            ]),
        ]
