"""Outputs stay out of git: tracked notebooks are stripped, and the stripper keeps cell tags."""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat

from analysis import config

ROOT = config.project_root()


def tracked_notebooks() -> list[str]:
    res = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return [p for p in res.stdout.splitlines() if p]


def test_tracked_notebooks_hold_no_outputs():
    dirty = []
    for path in tracked_notebooks():
        nb = json.loads((ROOT / path).read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count")):
                dirty.append(path)
                break
    assert not dirty, f"notebooks with outputs (run nbstripout): {dirty}"


def test_gitattributes_routes_notebooks_through_nbstripout():
    text = (ROOT / ".gitattributes").read_text()
    assert "*.ipynb filter=nbstripout" in text


def test_nbstripout_keeps_the_parameters_tag(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1  # a parameter", metadata={"tags": ["parameters"]})
    cell.outputs = [nbformat.v4.new_output("stream", text="noise")]
    cell.execution_count = 3
    nb.cells.append(cell)
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    subprocess.run([sys.executable, "-m", "nbstripout", str(path)], check=True)
    out = nbformat.read(path, as_version=4)
    assert out.cells[0].outputs == [] and out.cells[0].execution_count is None
    assert out.cells[0].metadata["tags"] == ["parameters"]


def test_test_modules_import_helpers_not_conftest():
    """Shared helpers live in tests/_support.py; conftest.py is pytest's (hooks and fixtures),
    never imported as a module by a test."""
    import ast

    bad = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            mods = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(m.split(".")[-1] == "conftest" for m in mods):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bad, f"import the helpers from tests/_support.py instead: {bad}"
