"""Every notebook runs headless, top to bottom, on the bundled province (nbclient, the venv's kernel).

The notebooks are committed without outputs; the run happens in a temporary copy and exports go to tmp.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ["01_data_check", "02_staffing", "03_assets", "04_scenarios", "app"]
CELL_TIMEOUT = 600  # seconds per cell; a solve is the longest cell


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_are_committed_clean(name):
    """No outputs or execution counts in the repository (they are produced when run)."""
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code, "a notebook without code"
    assert all(not cell.outputs and cell.execution_count is None for cell in code)


def _python_kernel() -> str:
    """The kernel that runs this interpreter (installed into the venv if missing)."""
    from jupyter_client.kernelspec import KernelSpecManager

    if "python3" not in KernelSpecManager().find_kernel_specs():
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"], check=True)
    return "python3"


def _text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.extend(str(v) for k, v in output.get("data", {}).items() if k.startswith("text/"))
    return "\n".join(parts)


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_on_bundled_province(name, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("PLANNER_DATA", str(ROOT / "data" / "lang_son.xlsx"))
    monkeypatch.setenv("PLANNER_OUT", str(tmp_path / "out"))
    monkeypatch.delenv("PLANNER_SCENARIO", raising=False)  # the default settings
    monkeypatch.delenv("PLANNER_LANG", raising=False)  # the default language (Vietnamese)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name=_python_kernel(),
                            resources={"metadata": {"path": str(ROOT / "notebooks")}})
    client.execute()  # raises CellExecutionError naming the cell if any cell fails
    nbformat.write(nb, tmp_path / f"{name}.ipynb")  # the executed copy, to look at after a failure

    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.outputs for cell in code[:-1] if cell.source.strip()), "a cell produced nothing"
    text = "\n".join(_text(cell) for cell in code)
    assert "Traceback" not in text and "planner-error" not in text
    widgets_shown = [o for cell in code for o in cell.outputs
                     if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert widgets_shown, "the explorer widget was not displayed"
    if name in ("02_staffing", "03_assets"):
        assert "solved" in text
        images = [o for cell in code for o in cell.outputs if "image/png" in o.get("data", {})]
        assert len(images) >= 2, "maps and charts should be drawn as images"
    if name == "04_scenarios":
        assert "kept: ['baseline', 'it_first']" in text and "exported" in text
