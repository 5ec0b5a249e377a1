"""Generated reference documents: the data dictionary (from planner/schema) and the scenario keys (from Scenario).

`planner dictionary` writes docs/data_dictionary.md and docs/scenario.md, and the KPI table of
docs/outputs.md (from planner/schema/kpis.csv); tests regenerate them and compare, so the committed
copies never drift from the code.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from . import vocab
from .scenario import Scenario
from .schema import ColumnSpec, TableSpec, load_schema

EXAMPLE_SCENARIO = """\
# Only the keys you change; everything else keeps its default.
name: tight budget
description: Half the equipment budget, two IT officers per commune
solver:
  time_limit_s: 60
staffing:
  distance_threshold_km: 25
  shortage_penalty:
    it_digital: 1500
    default: 300
assets:
  equipment_budget_vnd: 150000000
norm_overrides:
  - field: it_digital
    position: specialist
    min_count: 2
"""


def allowed_text(col: ColumnSpec) -> str:
    """Allowed values as written in the template and the dictionary."""
    if col.dtype == "bool":
        return "true / false"
    return " / ".join(col.allowed)


def bounds_text(col: ColumnSpec, between: str = "{} to {}", at_least: str = ">= {}", at_most: str = "<= {}") -> str:
    """The column's min/max in words ("" without bounds); `between`, `at_least`, `at_most` are the wordings, {} per number."""
    def fmt(x: float) -> str:
        return str(int(x)) if float(x).is_integer() else str(x)

    if col.min is not None and col.max is not None:
        return between.format(fmt(col.min), fmt(col.max))
    if col.min is not None:
        return at_least.format(fmt(col.min))
    if col.max is not None:
        return at_most.format(fmt(col.max))
    return ""


def requirement_text(col: ColumnSpec) -> str:
    if col.required and col.default is None:
        return "required"
    if col.required:
        return f"required (empty = {col.default})"
    return "optional"


def column_note(col: ColumnSpec) -> str:
    """The header-cell comment of the input template: what to type in this column, in Vietnamese and English."""
    lines = [col.description_vi, col.description_en, ""]
    lines.append(f"Kiểu / type: {col.dtype}" + (f"; đơn vị / unit: {col.unit}" if col.unit else ""))
    lines.append(f"Bắt buộc / {requirement_text(col)}" if col.required else "Không bắt buộc / optional")
    if col.allowed or col.dtype == "bool":
        lines.append(f"Giá trị / allowed: {allowed_text(col)}")
    bounds = bounds_text(col)
    if bounds:
        lines.append(f"Giới hạn / bounds: {bounds}")
    if col.references:
        lines.append(f"Tham chiếu / must exist in: {col.references}")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table_markdown(spec: TableSpec) -> str:
    key = " + ".join(spec.key) if spec.key else "-"
    lines = [
        f"## `{spec.name}`",
        "",
        f"{spec.description_en}  ",
        f"*{spec.description_vi}*",
        "",
        f"- {'Required' if spec.required else 'Optional'} table ({'bắt buộc' if spec.required else 'không bắt buộc'}); "
        f"unique key: `{key}`",
        "",
        "| column | dtype | unit | required | default | allowed values | bounds | reference | synthetic in bundled samples "
        "| description | mô tả |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for col in spec.columns:
        lines.append("| " + " | ".join(_cell(x) for x in (
            f"`{col.name}`", col.dtype, col.unit, "yes" if col.required else "no", col.default or "",
            allowed_text(col) if (col.allowed or col.dtype == "bool") else "", bounds_text(col),
            f"`{col.references}`" if col.references else "", "synthetic" if col.synthetic else "",
            col.description_en, col.description_vi,
        )) + " |")
    return "\n".join(lines)


def tables_overview_markdown(link_prefix: str = "") -> list[str]:
    """One line per input table (name, required, key, what a row is, its columns): the dictionary's overview."""
    lines = ["| table | required | key | rows are | columns |", "|---|---|---|---|---|"]
    for spec in load_schema().values():
        lines.append(f"| [`{spec.name}`]({link_prefix}#{spec.name}) | {'yes' if spec.required else 'no'} | "
                     f"`{' + '.join(spec.key) or '-'}` | {_cell(spec.description_en)} | "
                     f"{', '.join(spec.column_names)} |")
    return lines


README_START, README_END = "<!-- data-model:start -->", "<!-- data-model:end -->"


def readme_data_model(readme_text: str) -> str:
    """README text with the data-model overview between its markers regenerated from the schema."""
    head, rest = readme_text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    block = "\n".join([README_START, *tables_overview_markdown("docs/data_dictionary.md"), README_END])
    return head + block + tail


def update_readme(path: Path) -> Path:
    """Regenerate the README's data-model overview in place."""
    path = Path(path)
    path.write_text(readme_data_model(path.read_text(encoding="utf-8")), encoding="utf-8")
    return path


KPIS_START, KPIS_END = "<!-- kpis:start -->", "<!-- kpis:end -->"


def kpi_table_markdown() -> list[str]:
    """One line per KPI declared in planner/schema/kpis.csv (key, stage, unit, breakdown, budget, labels)."""
    from .kpis import kpi_specs

    lines = ["| key | stage | unit | one row per (`code`) | budget it uses | label | nhãn | description |",
             "|---|---|---|---|---|---|---|---|"]
    for spec in kpi_specs().values():
        lines.append("| " + " | ".join(_cell(x) for x in (
            f"`{spec.key}`", spec.stage, spec.unit, f"`{spec.breakdown}` code" if spec.breakdown else "",
            f"`{spec.budget_of}`" if spec.budget_of else "", spec.label_en, spec.label_vi, spec.description_en,
        )) + " |")
    return lines


def outputs_kpi_table(outputs_text: str) -> str:
    """docs/outputs.md text with the KPI table between its markers regenerated from planner/schema/kpis.csv."""
    head, rest = outputs_text.split(KPIS_START, 1)
    _, tail = rest.split(KPIS_END, 1)
    return head + "\n".join([KPIS_START, *kpi_table_markdown(), KPIS_END]) + tail


def update_outputs(path: Path) -> Path:
    """Regenerate the KPI table of docs/outputs.md in place."""
    path = Path(path)
    path.write_text(outputs_kpi_table(path.read_text(encoding="utf-8")), encoding="utf-8")
    return path


def data_dictionary_markdown() -> str:
    schema = load_schema()
    overview = tables_overview_markdown()
    parts = [
        "# Data dictionary / Từ điển dữ liệu",
        "",
        "Generated from `planner/schema/*.csv` by `planner dictionary`; do not edit by hand.",
        "",
        "One dataset is one province. Input is one Excel workbook with one sheet per table (sheet name = table "
        "name, row 1 = column names, data from row 2; the sheet `README` and sheets whose name starts with `_` "
        "are ignored) or a folder of `<table>.csv` files (UTF-8). `planner template OUT.xlsx` writes a blank "
        "workbook with these descriptions as header comments and drop-downs for the allowed values; "
        "`planner validate FILE` lists every problem with its sheet, row and column.",
        "",
        "Rules that span columns or tables (checked by `planner validate`): every `reference` names a row that "
        "exists; keys are unique; an official has home_lon and home_lat, or home_old_unit_id; fixed_position needs "
        "fixed_commune, and a pinned chair or vice-chair must be eligible_for_leadership; officials pinned to a "
        "commune fit its headcount ceiling (staffing_norms field `total`) and its leadership slots; max_count is "
        "at least min_count; the population_share of the old units of each populated commune sums to 1 "
        "(± 0.01); every item type in equipment_norms has a new_unit_price in costs. Formulas are not accepted: "
        "type values.",
        "",
        "Columns marked *synthetic* are generated (seeded, deterministic) in the bundled sample provinces: staff, "
        "equipment and buildings are not public data.",
        "",
        *overview,
        "",
    ]
    parts += [table_markdown(spec) + "\n" for spec in schema.values()]
    parts += code_lists_markdown()
    return "\n".join(parts)


def code_lists_markdown() -> list[str]:
    """The code lists (planner/schema/vocab/*.csv): codes, labels, roles and their extra columns."""
    lines = ["## Code lists / Danh mục mã", "",
             "Declared once in `planner/schema/vocab/<list>.csv`; a column whose allowed values read `@list` takes its "
             "codes from that list (`@list*` also allows the pseudo codes `total` / `any` of rules). Adding a code is one "
             "row there (with Vietnamese and English labels); models find special codes by their `role`. A province "
             "can point `PLANNER_VOCAB_DIR` at a folder holding its own versions of these files.", ""]
    for name, en, vi in vocab.list_descriptions().itertuples(index=False):
        frame = vocab.table(name)
        extra = [c for c in frame.columns if c not in vocab.REQUIRED_COLUMNS and c not in ("label_vi", "label_en")]
        lines += [f"### {name}", "", f"{en} / {vi}", "",
                  "| " + " | ".join(["code", "label_vi", "label_en", "role", "pseudo", *extra]) + " |",
                  "|" + "---|" * (5 + len(extra))]
        for row in frame.itertuples(index=False):
            values = [row.code, row.label_vi, row.label_en, row.role, "yes" if row.pseudo else "",
                      *(getattr(row, c) for c in extra)]
            lines.append("| " + " | ".join(_cell(str(v)) for v in values) + " |")
        lines.append("")
    return lines


def write_data_dictionary(path: Path) -> Path:
    """Write the data dictionary (Markdown) generated from the schema."""
    return _write_text(path, data_dictionary_markdown())


def _write_text(path: Path, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# scenario reference


def _type_text(annotation) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return "one of " + ", ".join(str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_text(a) for a in args)
    if origin is list:
        return f"list of {_type_text(args[0])}"
    if origin is dict:
        return f"mapping {_type_text(args[0])} -> {_type_text(args[1])}"
    if annotation is type(None):
        return "null"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "section"
    return getattr(annotation, "__name__", str(annotation))


def _bounds(info: FieldInfo) -> str:
    words = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
    out = []
    for meta in info.metadata:
        for attr, sign in words.items():
            value = getattr(meta, attr, None)
            if value is not None:
                out.append(f"{sign} {value}")
    return ", ".join(out)


def _default_text(info: FieldInfo) -> str:
    if info.is_required():
        return "(required)"
    value = info.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return ""
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000).strip()
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def scenario_rows(model: type[BaseModel] = Scenario, prefix: str = "") -> list[tuple[str, str, str, str, str]]:
    """(key path, type, default, bounds, description) for every key, nested sections and list items included."""
    rows = []
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        annotation = info.annotation
        section = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        description = info.description or ((annotation.__dict__.get("__doc__") or "keys below") if section else "")
        rows.append((key, _type_text(annotation), _default_text(info), _bounds(info), description))
        if section:
            rows += scenario_rows(annotation, f"{key}.")
        elif typing.get_origin(annotation) is list:
            item = typing.get_args(annotation)[0]
            if isinstance(item, type) and issubclass(item, BaseModel):
                rows += scenario_rows(item, f"{key}[].")
    return rows


def scenario_markdown() -> str:
    lines = [
        "# Scenario reference / Tham số kịch bản",
        "",
        "Generated from `planner/scenario.py` by `planner dictionary`; do not edit by hand.",
        "",
        "A scenario is a small YAML file holding only the keys you change; every other key keeps the default "
        "below (`planner solve FILE --scenario S.yaml`). Unknown keys and wrong types are errors that name the "
        "key. Keys under `norm_overrides[]` belong to each item of the list.",
        "",
        "| key | type | default | bounds | description |",
        "|---|---|---|---|---|",
    ]
    for row in scenario_rows():
        key, kind, default, bounds, description = (_cell(x) for x in row)
        lines.append(f"| `{key}` | {kind} | {f'`{default}`' if default else ''} | {bounds} | {description} |")
    lines += ["", "## Example", "", "```yaml", EXAMPLE_SCENARIO.rstrip(), "```", "",
              "## All defaults", "", "```yaml", Scenario().to_yaml().rstrip(), "```", ""]
    return "\n".join(lines)


def write_scenario_reference(path: Path) -> Path:
    """Write docs/scenario.md: every Scenario key (nested), its type, default and description, and an example."""
    return _write_text(path, scenario_markdown())
