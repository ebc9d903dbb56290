"""docs/examples/quickstart.ipynb: kept with its outputs stripped, and it runs from top to bottom.

nbclient executes it in a fresh kernel of this interpreter (ipykernel), started in the
notebook's own folder with FLOWIMPACT_SHARED_DATA pointing at the reference CSVs; the
executed copy stays in memory, the file in the repository is never rewritten.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "docs" / "examples" / "quickstart.ipynb"


def _code_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_the_notebook_is_stored_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    for cell in _code_cells(notebook):
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def test_the_notebook_runs_and_shows_the_report_tables_and_figures(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOWIMPACT_SHARED_DATA", str(shared_data))
    # the kernel imports this checkout's packages, whatever the caller's PYTHONPATH
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()  # a cell that raises fails here with the cell and its traceback
    shown = {
        cell.source.splitlines()[-1]: cell.outputs
        for cell in _code_cells(notebook)
        if cell.outputs
    }
    errors = [o for outputs in shown.values() for o in outputs if o.output_type == "error"]
    assert errors == []

    def html(line: str) -> str:
        return "".join(o.get("data", {}).get("text/html", "") for o in shown[line])

    def has_figure(line: str) -> bool:
        return any("application/vnd.plotly.v1+json" in o.get("data", {}) for o in shown[line])

    assert "1% allocation" in html("result  # the answer table, as the report's")
    assert "5% allocation" in html("result.answer()")
    assert has_figure('result.plot.fan(asset="BTC")')
    assert "What the ETF flows did" in html("hindcast")
    assert has_figure('hindcast.plot.paths("BTC")')
    assert "What drives the answer" in html("sensitivity")
    assert has_figure('sensitivity.plot.tornado("BTC", "multiplier")')
