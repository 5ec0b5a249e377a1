"""The data tab: open the bundled province or an uploaded workbook; show every problem the validation
finds, or an overview (key figures, map, charts, the communes and old units) when the workbook is valid."""

from __future__ import annotations

import html
import tempfile
from pathlib import Path
from typing import Callable

import ipywidgets as widgets
import pandas as pd

from ..dataset import Dataset
from ..errors import InputError
from ..labels import sheet_label, text
from . import charts, maps
from ..sample import province_names, resolve_province, sample_geography
from .common import BackgroundTask, bundled_provinces, describe_error, download_html, figure_widget, message_html, open_province
from .panel import Panel, tabs
from .table import fold
from .text import ui_lang

UPLOAD_PREFIX_DIR = "planner-upload-"
UPLOAD_PREFIX = str(Path(tempfile.gettempdir()) / UPLOAD_PREFIX_DIR)


def province_label(stem: str) -> str:
    """'lang_son' (a bundled file) -> 'Lạng Sơn'; a name the reference does not know stays as it is."""
    try:
        name = resolve_province(stem.replace("_", " "))[1]
    except KeyError:
        return stem
    return name


def fold_name(name: str) -> str:
    """'Lạng Sơn' -> 'lang_son', for file names."""
    return "_".join(fold(name).split())


def table_label(name: str, lang: str) -> str:
    """An input table's name as its sheet is called (planner.schema), else as a result sheet (planner.labels)."""
    from ..schema import load_schema

    schema = load_schema()
    return schema[name].label(lang) if name in schema else sheet_label(name, lang)


def input_table(ds: Dataset, name: str, lang: str) -> pd.DataFrame:
    """An input table with its columns named for the screen: those with a label of their own (planner.labels,
    with coded values spelled out) by that name, the others by the header of the input workbook (planner.schema)."""
    from ..labels import COLUMNS
    from ..schema import load_schema

    frame = ds[name].rename(columns=INPUT_COLUMNS.get(name, {}))
    spec = load_schema().get(name)
    headers = {c.name: (c.label_vi if lang == "vi" else c.label_en) for c in spec.columns} if spec else {}
    return frame.rename(columns={c: headers[c] for c in frame.columns if c not in COLUMNS and headers.get(c)})


def problems_frame(exc: InputError, lang: str) -> pd.DataFrame:
    """The validation problems as the user reads them (column letter and header as written), in the language."""
    try:
        return exc.to_frame(lang=lang)
    except TypeError:  # a validator without languages
        return exc.to_frame()


def template_bytes(province: str, lang: str) -> bytes:
    """The input template of a province (planner.template), its communes and old units filled in, as bytes."""
    import inspect

    from .. import template
    from ..dataset import Dataset

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "template.xlsx"
        accepts = inspect.signature(template.write_input_workbook).parameters
        if "province" in accepts:  # the template fills the province's geography itself
            extra = {"lang": lang} if "lang" in accepts else {}
            template.write_input_workbook(path, None, province=province, **extra)
        else:
            communes, old_units = sample_geography(province)
            template.write_input_workbook(path, Dataset.from_frames({"communes": communes, "old_units": old_units}))
        return path.read_bytes()

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
        self.choice = widgets.Dropdown(options=[(province_label(k), str(v)) for k, v in provinces.items()]
                                       or [(self.t("none_bundled"), None)],
                                       description=text("province", self.ui_lang), layout=widgets.Layout(width="480px"))
        self.choice.add_class("planner-province")
        if ds is not None:
            self._choose(ds)
        self.open_button = widgets.Button(description=self.t("open"), icon="folder-open", button_style="primary")
        self.open_button.on_click(lambda _: self.load(self.choice.value))
        self.upload = widgets.FileUpload(accept=".xlsx", multiple=False, description=self.t("upload"),
                                         layout=widgets.Layout(width="auto"))
        self.upload.add_class("planner-upload")
        self.upload.observe(lambda change: self.load_upload(change["new"]), names="value")
        names = province_names()
        self.template_province = widgets.Dropdown(options=names, description=self.t("template_province"),
                                                  value=self._official_name(ds, names),
                                                  style={"description_width": "initial"},
                                                  layout=widgets.Layout(width="420px"))
        self.template_province.add_class("planner-template-province")
        self.template_button = widgets.Button(description=self.t("template_button"), icon="file-excel-o",
                                              layout=widgets.Layout(width="auto"))
        self.template_button.add_class("planner-template")
        self.template_button.on_click(lambda _: self.template())
        self.template_link = widgets.HTML()
        self.template_link.add_class("planner-download")
        self.status = widgets.HTML()
        self.progress = widgets.FloatProgress(value=0, min=0, max=1, layout=widgets.Layout(width="420px", visibility="hidden"))
        self.results = widgets.VBox()
        self.results.add_class("planner-results")
        self.task = BackgroundTask(self.status, self.progress, busy=[self.open_button, self.template_button],
                                   lang=self.ui_lang)
        self.widget = widgets.VBox([widgets.HTML(f"<h3 style='margin:4px 0'>{html.escape(self.t('data_title'))}</h3>"),
                                    widgets.HBox([self.choice, self.open_button, self.upload],
                                                 layout=widgets.Layout(flex_flow="row wrap")),
                                    widgets.HBox([self.template_province, self.template_button, self.template_link],
                                                 layout=widgets.Layout(flex_flow="row wrap", align_items="center")),
                                    self.progress, self.status, self.results])
        self.widget.add_class("planner-data")
        self.status.add_class("planner-status")
        if ds is not None:
            self.results.children = self.render(ds)

    @staticmethod
    def _official_name(ds: Dataset | None, names: list[str]) -> str | None:
        """The province of `ds` as spelled in the reference list (None when it is not one of them)."""
        if ds is None or not names:
            return names[0] if names else None
        try:
            return resolve_province(ds.province)[1]
        except KeyError:
            return names[0]

    def _choose(self, ds: Dataset) -> None:
        """The province menu shows the province now open (an uploaded workbook is added to the menu)."""
        source = str(Path(ds.source))
        options = [(label, value) for label, value in self.choice.options if value]
        if source not in {value for _, value in options}:
            options = [o for o in options if not o[1].startswith(UPLOAD_PREFIX)]
            options.append((self.t("uploaded_province", province=ds.province, name=Path(source).name), source))
            self.choice.options = options
        self.choice.value = source

    def template(self, province: str | None = None, wait: bool = False) -> None:
        """Offer the input template of a province (its communes and old units filled in) as a download."""
        province = province or self.template_province.value
        lang = self.ui_lang

        def job():
            return province, template_bytes(province, lang)

        def offer(result) -> None:
            name, data = result
            file = f"{fold_name(name)}_{'mau_nhap_lieu' if lang == 'vi' else 'input_template'}.xlsx"
            self.template_link.value = download_html(data, file, self.t("template_ready", province=name))

        self.task.start(self.t("template_writing", province=province), job, offer, sync=self.sync or wait)

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
        target = Path(tempfile.mkdtemp(prefix=UPLOAD_PREFIX_DIR)) / Path(upload["name"]).name
        target.write_bytes(bytes(upload["content"]))
        self.load(str(target), wait=wait)

    def _loaded(self, ds: Dataset) -> None:
        self.ds = ds
        self.error = None
        self.results.children = self.render(ds)
        self._choose(ds)
        official = self._official_name(ds, list(self.template_province.options))
        if official in self.template_province.options:
            self.template_province.value = official
        for callback in self.on_dataset:
            callback(ds)

    def _show_problems(self, exc: BaseException) -> None:
        """Every problem of an invalid workbook as a table (any other error: its plain-words lines)."""
        self.error = exc
        frame = (problems_frame(exc, self.ui_lang) if isinstance(exc, InputError)
                 else pd.DataFrame({self.t("problem_column"): describe_error(exc, self.ui_lang)[1]}))
        self.results.children = [self.table(frame, self.t("problems_title"))]

    def render(self, ds: Dataset) -> list[widgets.Widget]:
        lang = self.ui_lang
        counts = pd.DataFrame({"table": [table_label(name, lang) for name in ds.tables],
                               "rows": [len(df) for df in ds.tables.values()]})
        officials = ds["officials"]
        key = pd.DataFrame({"figure": [self.t(f"figure_{name}") for name in (
                                "communes", "old_units", "officials", "eligible", "equipment", "buildings", "population")],
                            "value": [len(ds["communes"]), len(ds["old_units"]), len(officials),
                                      int(officials["eligible_for_leadership"].fillna(False).sum()),
                                      int(ds["equipment"]["count"].fillna(0).sum()), len(ds["buildings"]),
                                      int(ds["communes"]["population"].fillna(0).sum())]})
        return [
            widgets.HTML(message_html(self.t("workbook_valid", province=ds.province),
                                      [self.t("source", source=Path(str(ds.source)).name)], kind="ok")),
            tabs([
                (self.t("tab_overview"), widgets.VBox([widgets.HBox([self.table(key, text("key_figures", lang)),
                                                                    self.table(counts, self.t("rows_per_table"))]),
                                                      figure_widget(maps.overview_map(ds, lang), "planner-map")])),
                (self.t("tab_staff"), figure_widget(charts.staff_by_field_chart(ds, lang))),
                (self.t("tab_equipment"), figure_widget(charts.equipment_chart(ds, lang))),
                (self.t("tab_buildings"), figure_widget(charts.buildings_chart(ds, lang))),
                (self.t("tab_communes"), self.table(input_table(ds, "communes", lang), self.t("new_communes"))),
                (self.t("tab_old_units"), self.table(input_table(ds, "old_units", lang), self.t("old_units"))),
            ]),
        ]
