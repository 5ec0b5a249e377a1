"""The explanation of an infeasible scenario: a small workbook (words + conflicts table) and the same text in a .txt."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import labels as L
from ..dataset import Dataset
from ..errors import PlanInfeasible
from ..files import save_atomic
from ..messages import in_language, translated
from .sheets import SheetWriter
from .style import TITLE_FONT, WRAP_TOP, put


def write_infeasibility(err: PlanInfeasible, out: Path, scenario, dataset: Dataset, lang: str = "vi") -> Path:
    """Explain an infeasible scenario: a small workbook at `out` (words + conflicts table) and a .txt beside it."""
    out = Path(out)
    writer = SheetWriter(lang, dataset, dataset.province, scenario.name, None, None)
    ws = writer.new_sheet("explanation")
    title = f"{L.text('infeasible_title', lang)} — {dataset.province}"
    stage = L.value_label("stage", err.stage, lang)
    lines = [title,
             f"{L.text('scenario', lang)}: {scenario.name} ({scenario.digest()})",
             f"{L.text('infeasible_stage', lang)}: {stage}", ""]
    lines += [f"• {translated(line, lang)}" for line in err.lines] + ["", L.text("infeasible_hint", lang)]
    for row, line in enumerate(lines, start=1):
        put(ws.cell(row, 1), line)
    ws.cell(1, 1).font = TITLE_FONT
    ws.column_dimensions["A"].width = 120
    for row in range(5, len(lines) + 1):
        ws.cell(row, 1).alignment = WRAP_TOP
    writer.page_setup(ws)
    writer.table("conflicts", err.conflicts if err.conflicts is not None else pd.DataFrame())
    path = writer.save(out, protected=[dataset.source])
    text = "\n".join(lines) + "\n" + _conflicts_text(err.conflicts, lang)
    save_atomic(out.with_suffix(".txt"), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"),
                refuse_overwrite_of=dataset.source)
    return path


def _conflicts_text(conflicts: pd.DataFrame | None, lang: str) -> str:
    if conflicts is None or not len(conflicts):
        return ""
    return "\n" + in_language(conflicts, lang).to_string(index=False) + "\n"
