"""The research notebooks (notebooks/*.ipynb, top level): conventions, and a real run of each
with papermill on the project kernel, from a foreign working directory, with the default
parameters and with a non-default set (English, another unit and year range).

Run times are printed (``pytest -s`` shows them); no wall-clock limit is asserted.
"""

from __future__ import annotations

import ast
import json
import time
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from conftest import copy_data

from analysis import config
from analysis.publish import kernel

NB_DIR = config.notebooks_dir()
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))
NAMES = [p.name for p in NOTEBOOKS]
EXPECTED = {
    "0.0-data-overview.ipynb", "1.0-budget-cuts.ipynb", "2.0-innovation-and-budget.ipynb",
    "2.1-service-and-budget.ipynb", "3.0-typology-resilience.ipynb",
    "4.0-public-record.ipynb", "5.0-planning-scenarios.ipynb", "6.0-peers.ipynb",
}
# notebooks that show public data only: no simulated banner may appear
PUBLIC_ONLY = ("4.0", "6.0")
COMMON_PARAMS = ("data_dir", "region", "years", "lang")
# a non-default parameter set per notebook (English, another unit / year range)
OTHER = {
    "0.0-data-overview.ipynb": {"years": [2018, 2023]},
    "1.0-budget-cuts.ipynb": {"years": [2018, 2023], "unit_id": "disdukcapil", "top_n": 3},
    "2.0-innovation-and-budget.ipynb": {"years": [2017, 2024], "unit_id": "dpupr"},
    "2.1-service-and-budget.ipynb": {"years": [2017, 2023], "max_lag": 1},
    "3.0-typology-resilience.ipynb": {"unit_id": "dishub", "top_n": 3, "years": [2017, 2024]},
    "4.0-public-record.ipynb": {"years": [2020, 2024]},
    "5.0-planning-scenarios.ipynb": {"unit_id": "disdukcapil", "cut_pct": 25.0,
                                     "cuts": [10, 40], "years": [2017, 2024]},
    "6.0-peers.ipynb": {"region": "33.26", "years": [2021, 2024],
                        "peer_group": ["33.24", "33.25", "33.27", "33.28"]},
}
TIMES: dict[str, float] = {}


def _code(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.fixture(scope="session")
def data_dir(built_data_dir, tmp_path_factory) -> Path:
    """Processed data in a private folder (never the project's data/): a copy of the
    session's default build (tests/conftest.py)."""
    return copy_data(built_data_dir, tmp_path_factory.mktemp("nb-data") / "data")


@pytest.fixture(scope="session")
def kernel_name() -> str:
    return kernel.ensure_kernel()


@pytest.fixture(scope="session", autouse=True)
def _report_times():
    yield
    if TIMES:
        print("\nnotebook run times:")
        for k, v in sorted(TIMES.items()):
            print(f"  {k:<55} {v:6.1f} s")


def run(path: Path, out_dir: Path, kernel_name: str, params: dict, tag: str):
    cwd = out_dir / "elsewhere"  # a foreign working directory: proves cwd-independence
    cwd.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    nb = pm.execute_notebook(str(path), str(out_dir / f"{path.stem}-{tag}.ipynb"),
                             parameters=params, kernel_name=kernel_name, cwd=str(cwd),
                             progress_bar=False, start_timeout=120, execution_timeout=300)
    seconds = time.perf_counter() - t0
    TIMES[f"{path.name} [{tag}]"] = seconds
    print(f"{path.name} [{tag}]: {seconds:.1f} s")
    return nb


# ------------------------------------------------------------------------ conventions


def test_the_notebook_set():
    assert set(NAMES) == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_title_question_and_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert "Pertanyaan" in first.source and "Question" in first.source
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    params = tagged[0]
    assert _code(nb)[0] is params, "the parameters cell is the first code cell"
    tree = ast.parse(params.source)
    names = []
    for node in tree.body:
        assert isinstance(node, ast.Assign), "parameters cell: assignments only"
        ast.literal_eval(node.value)  # literals only
        names.append(node.targets[0].id)
    assert names[:4] == list(COMMON_PARAMS)
    for line in params.source.splitlines():
        assert "  # " in line, f"help comment missing: {line!r}"
    info = pm.inspect_notebook(str(path))
    assert all(info[n]["help"] for n in names)
    nxt = _code(nb)[1].source
    assert "explore.validate_params(" in nxt or (path.name.startswith("6.0")
                                                 and "peers.validate_params(" in nxt)
    assert all(n in nxt for n in names if n != "cuts" or "cuts=cuts" in nxt)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_thin_narrative_first_and_stripped(path):
    nb = nbformat.read(path, as_version=4)
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert nb.metadata["kernelspec"]["name"] == kernel.DEFAULT_KERNEL_NAME
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert nb.cells[i - 1].cell_type == "markdown", f"code cell {i} has no introduction"
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                assert node.end_lineno - node.lineno < 4, "no long functions in notebooks"
        code = "\n".join(line.split("#")[0] for line in cell.source.splitlines())
        for bad in ("../", "open(", "os.chdir", "read_csv(", "read_parquet(", "data/"):
            assert bad not in code, f"cell {i}: {bad!r} (paths come from config/io)"
    for cell in raw["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def test_public_record_uses_public_helpers_only():
    src = "\n".join(c.source for c in _code(nbformat.read(NB_DIR / "4.0-public-record.ipynb",
                                                          as_version=4)))
    calls = {n.attr for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Attribute)
             and isinstance(n.value, ast.Name) and n.value.id == "explore"}
    allowed = {"validate_params", "load", "public_rows", "require_public", "show"}
    assert calls - allowed and all(c.startswith("public_") for c in calls - allowed)
    assert "require_public" in calls


# ------------------------------------------------------------------------ real runs


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_runs_with_default_parameters(path, data_dir, kernel_name, tmp_path):
    nb = run(path, tmp_path, kernel_name, {"data_dir": str(data_dir)}, "default")
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = json.dumps([o.get("data", {}) for o in outputs])
    if path.name.startswith(PUBLIC_ONLY):
        assert "SIMULASI" not in text and "simulated_banner" not in text
    else:
        assert "DATA SIMULASI" in text  # banner, captions: the simulated data says so
    assert "image/png" in text


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_runs_in_english_with_other_parameters(path, data_dir, kernel_name, tmp_path):
    params = {"data_dir": str(data_dir), "lang": "en", **OTHER[path.name]}
    nb = run(path, tmp_path, kernel_name, params, "en-other")
    text = json.dumps([o.get("data", {}) for c in nb.cells if c.cell_type == "code"
                       for o in c.outputs])
    assert "Conclusions" in text or "Caveats" in text
    if not path.name.startswith(PUBLIC_ONLY):
        assert "SIMULATED DATA" in text
    else:
        assert "SIMULATED DATA" not in text
    if path.name[:3] in ("2.0", "2.1", "3.0", "5.0"):
        # every estimate honours `years`: refitted on the window, which the text names
        y0, y1 = params["years"]
        dash = "\\u2013"  # json.dumps writes the en dash escaped
        assert f"Models refitted on the notebook's `years` only, {y0}{dash}{y1}" in text
        assert f"fitted by the build on the whole panel (2016{dash}2024)" not in text


@pytest.mark.slow
@pytest.mark.parametrize("name, params, message", [
    ("1.0-budget-cuts.ipynb", {"unit_id": "dinkez"},
     "unknown unit 'dinkez' (did you mean dinkes"),
    ("4.0-public-record.ipynb", {"lang": "fr"}, "unknown language 'fr'; allowed: id, en"),
    ("2.1-service-and-budget.ipynb", {"years": [2010, 2024]}, "allowed: any [first, last] "
                                                               "within 2016–2024"),
    ("6.0-peers.ipynb", {"peer_group": "planet"}, "unknown peer_group 'planet'; allowed: "
                                                  "province, national"),
    ("6.0-peers.ipynb", {"formula": "d_ipm ~ share_modall | pemda + year"},
     "unknown column(s) in formula: share_modall"),
])
def test_bad_parameters_stop_with_a_clear_message(name, params, message, data_dir,
                                                  kernel_name, tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as err:
        run(NB_DIR / name, tmp_path, kernel_name, {"data_dir": str(data_dir), **params},
            "bad")
    assert err.value.ename == "ParameterError"
    assert message in err.value.evalue
    assert err.value.cell_index <= 6  # stopped at the validation cell, before any analysis
