"""The README's two commands: their Makefile steps exist and the demo step works end to end."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from planner.validate import load_dataset

ROOT = Path(__file__).resolve().parents[1]


def _make_dry_run(target: str) -> str:
    return subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_readme_shows_the_two_commands_and_ci_calls_make_test():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_make_targets_create_the_venv_install_and_run():
    demo = _make_dry_run("demo")
    assert "-m venv .venv" in demo or "planner solve" in demo  # venv step shown only when .venv is missing
    assert re.search(r"planner solve data/\w+\.xlsx --out out/\w+_plan\.xlsx", demo)
    test = _make_dry_run("test")
    assert "pytest" in test and "system-deps.sh" in test


@pytest.mark.slow
def test_demo_step_solves_the_bundled_province(tmp_path):
    """What `make demo` runs, into a temporary folder: workbook, CSVs, printed summary with the path."""
    out = tmp_path / "lang_son_plan.xlsx"
    csv_dir = tmp_path / "csv"
    run = subprocess.run(
        [sys.executable, "-m", "planner.cli", "solve", str(ROOT / "data" / "lang_son.xlsx"),
         "--out", str(out), "--csv-dir", str(csv_dir)],
        capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr
    assert out.exists() and str(out) in run.stdout
    assignments = pd.read_csv(csv_dir / "assignments.csv")
    surplus = pd.read_csv(csv_dir / "surplus_officials.csv")
    inputs = load_dataset(ROOT / "data" / "lang_son.xlsx")  # sheets and headers are in Vietnamese: read as the planner does
    placed = pd.concat([assignments["official_id"], surplus["official_id"]])
    assert placed.is_unique and set(placed) == set(inputs["officials"]["id"])
    uses = pd.read_csv(csv_dir / "building_uses.csv")
    assert uses["building_id"].is_unique and set(uses["building_id"]) == set(inputs["buildings"]["id"])
