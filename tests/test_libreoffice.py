"""The exported workbook opens in a real spreadsheet program: LibreOffice converts it to PDF."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from planner.dataset import Dataset
from planner.compare import compare_plans
from planner.report import write_plan_workbook
from test_report import INJECTIONS, hand_made_plan, tiny_with_names
from tiny import tiny_frames

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; `make system-deps` installs it"),
]


def _to_pdf(workbook, tmp_path):
    profile = tmp_path / "lo-profile"
    result = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(workbook)],
        capture_output=True, text=True, timeout=180,
    )
    pdf = tmp_path / "pdf" / (workbook.stem + ".pdf")
    assert result.returncode == 0, result.stderr
    assert "Error" not in result.stdout + result.stderr.replace("javaldx", ""), result.stdout + result.stderr
    assert pdf.exists() and pdf.stat().st_size > 10_000
    return pdf.read_bytes()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_libreoffice_converts_the_workbook_to_pdf(tmp_path, lang):
    ds = tiny_with_names(INJECTIONS)
    plan = hand_made_plan(ds)
    other = hand_made_plan(Dataset.from_frames(tiny_frames(), source="tiny"), moved=3, scenario="alt")
    path = write_plan_workbook(plan, ds, tmp_path / f"plan_{lang}.xlsx", lang=lang,
                               comparison=compare_plans({"baseline": plan, "alt": other}))
    pdf = _to_pdf(path, tmp_path)
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages >= 24  # at least one page per sheet: Summary, 17 plan tables, 5 comparison sheets
