"""The research notebooks (notebooks/*.ipynb, top level): conventions, and a real run of each
with papermill on the project kernel, from a foreign working directory, with the default
parameters and with a non-default set (English, another unit and year range).

Run times are printed (``pytest -s`` shows them); no wall-clock limit is asserted.
"""

from __future__ import annotations

import ast
import json
import re
import time
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from _support import copy_data

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


def run(path: Path, out_dir: Path, kernel_name: str, params: dict, tag: str,
        edits: dict[str, str] | None = None):
    """Execute ``path`` with papermill; ``edits`` replace text in the cells first, as a
    researcher editing a cell would (each must match somewhere)."""
    cwd = out_dir / "elsewhere"  # a foreign working directory: proves cwd-independence
    cwd.mkdir(parents=True, exist_ok=True)
    if edits:
        nb = nbformat.read(path, as_version=4)
        for old, new in edits.items():
            hits = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
            assert hits, f"edit {old!r} matches no cell of {path.name}"
            for c in hits:
                c.source = c.source.replace(old, new)
        path = out_dir / path.name
        nbformat.write(nb, path)
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


RESEARCH = [p for p in NOTEBOOKS if not p.name.startswith("6.0")]
# notebooks whose main models are fitted live from a formula in a visible cell
FORMULA = ("2.0", "2.1", "3.0", "5.0")
MAX_CODE_LINES = 8


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_introduced_cells_no_paths_and_stripped(path):
    nb = nbformat.read(path, as_version=4)
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert nb.metadata["kernelspec"]["name"] == kernel.DEFAULT_KERNEL_NAME
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert nb.cells[i - 1].cell_type == "markdown", f"code cell {i} has no introduction"
        code = "\n".join(line.split("#")[0] for line in cell.source.splitlines())
        for bad in ("../", "open(", "os.chdir", "data/"):
            assert bad not in code, f"cell {i}: {bad!r} (paths come from config/io)"
    for cell in raw["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("path", RESEARCH, ids=[p.name for p in RESEARCH])
def test_research_cells_are_short_and_end_with_try_this(path):
    """QuantEcon style: every code cell a few lines a researcher can read and change, each
    introduced by a markdown sentence in both languages; the last cell proposes variations."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            lines = [ln for ln in cell.source.splitlines() if ln.strip()]
            assert len(lines) <= MAX_CODE_LINES, f"cell {i}: {len(lines)} lines"
            intro = nb.cells[i - 1].source
            assert "*" in intro or "parameters" in cell.metadata.get("tags", []), \
                f"cell {i}: the introduction has no English line"
    last = nb.cells[-1]
    assert last.cell_type == "markdown" and "Coba ini / Try this" in last.source
    items = [ln for ln in last.source.splitlines() if ln.startswith("- ")]
    assert 3 <= len(items) <= 4, items


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.name.startswith(FORMULA)],
                         ids=lambda p: p.name)
def test_the_model_is_a_visible_formula(path):
    src = "\n".join(c.source for c in _code(nbformat.read(path, as_version=4)))
    assert re.search(r'^fml = ".+~.+\| *unit_id \+ year"', src, re.M), "no formula cell"
    assert "fit(" in src and "tidy(" in src and "plots.coef_plot(" in src


def test_public_record_uses_public_helpers_only():
    """Notebook 4.0 selects with pandas, but only from public rows: every package call is a
    loader, a public-row guard or a public_* section helper, and the guard runs on every
    table it shows."""
    src = "\n".join(c.source for c in _code(nbformat.read(NB_DIR / "4.0-public-record.ipynb",
                                                          as_version=4)))
    calls = {n.attr for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Attribute)
             and isinstance(n.value, ast.Name) and n.value.id == "explore"}
    allowed = {"validate_params", "load", "public_rows", "require_public", "show",
               "best_documents"}
    assert calls - allowed and all(c.startswith("public_") for c in calls - allowed), calls
    assert "require_public" in calls and "public_rows" in calls
    assert "import analysis.methods" not in src and "fit(" not in src


# ------------------------------------------------------------------------ real runs


def _outputs(nb) -> list:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def _text(nb) -> str:
    return json.dumps([o.get("data", {}) for o in _outputs(nb)], ensure_ascii=False)


def _figures(nb) -> list[dict]:
    """The figures shown, each with the package's ``batang`` metadata (simulated mark)."""
    return [o.get("metadata", {}) for o in _outputs(nb) if "image/png" in o.get("data", {})]


def _captions(nb) -> list[str]:
    """Section headings and table captions printed by the notebook (not its own markdown)."""
    out = []
    for o in _outputs(nb):
        d = o.get("data", {})
        out += re.findall(r"^### (.+)$", d.get("text/markdown", ""), re.M)
        out += [re.sub("<[^>]+>", " ", c) for c in
                re.findall(r"<caption[^>]*>(.*?)</caption>", d.get("text/html", ""), re.S)]
    return out


INDONESIAN = {"dan", "yang", "menurut", "dari", "untuk", "dengan", "tahun", "sesudah",
              "setelah", "kesimpulan", "catatan", "keterbatasan", "anggaran", "simulasi",
              "ditaksir", "jumlah", "inovasi", "layanan", "dipotong"}


def _model_table(nb) -> str:
    """The HTML of the table the model cell printed (its caption names the formula)."""
    tables = [o["data"]["text/html"] for o in _outputs(nb)
              if "fitted in this cell" in o.get("data", {}).get("text/html", "")
              or "ditaksir di sel ini" in o.get("data", {}).get("text/html", "")]
    assert tables, "the model cell printed no table"
    return tables[0]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_runs_with_default_parameters(path, data_dir, kernel_name, tmp_path):
    nb = run(path, tmp_path, kernel_name, {"data_dir": str(data_dir)}, "default")
    assert not [o for o in _outputs(nb) if o.output_type == "error"]
    text = _text(nb)
    figs = _figures(nb)
    assert figs, "no figure"
    if path.name.startswith(PUBLIC_ONLY):
        assert "SIMULASI" not in text and "simulated_banner" not in text
        assert not any(f.get("batang", {}).get("simulated") for f in figs)
    else:
        assert "DATA SIMULASI" in text  # banner, captions: the simulated data says so
        shown = [f for f in figs if "batang" in f]
        assert shown and all(f["batang"]["simulated"] for f in shown), \
            "a figure of simulated data without the simulated mark"
    if path.name.startswith(FORMULA):
        table = _model_table(nb)
        assert "DATA SIMULASI" in table and "<th>n</th>" in table
        assert "Nilai tanam (simulasi)" in table  # planted values beside the estimates
        assert re.search(r"<td>\d{3}</td>", table), "no n in the model table"


# English, another unit / years, and a researcher's edit of a cell: what must change
EDITS = {
    "2.0-innovation-and-budget.ipynb": {
        "+ acting_share +": "+ acting_any +", "| unit_id + year\"": "| unit_id + sector^year\""},
    "2.1-service-and-budget.ipynb": {"threshold = 0.05": "threshold = 0.10"},
}
EXPECT_AFTER_EDIT = {
    "2.0-innovation-and-budget.ipynb": ("acting_any", "sector^year"),
    "2.1-service-and-budget.ipynb": ("Cut &gt;10% the year before",),
}


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_runs_in_english_with_other_parameters(path, data_dir, kernel_name, tmp_path):
    params = {"data_dir": str(data_dir), "lang": "en", **OTHER[path.name]}
    nb = run(path, tmp_path, kernel_name, params, "en-other", EDITS.get(path.name))
    text = _text(nb)
    assert "Conclusions" in text or "Caveats" in text
    if not path.name.startswith(PUBLIC_ONLY):
        assert "SIMULATED DATA" in text
    else:
        assert "SIMULATED DATA" not in text
    for cap in _captions(nb):
        words = set(re.findall(r"[a-z]+", cap.lower()))
        assert not words & INDONESIAN, f"Indonesian words in an English caption: {cap!r}"
    for expected in EXPECT_AFTER_EDIT.get(path.name, ()):
        assert expected in text, f"the edited cell did not change the result: {expected!r}"
    y0, y1 = params["years"]
    dash = "\u2013"  # json.dumps(ensure_ascii=False) keeps the en dash
    if path.name.startswith(FORMULA):
        # the live models are fitted on the notebook's years, which the text names
        assert f"Fitted live on the notebook's `years`, {y0}{dash}{y1}" in text
        if path.name.startswith("2.0"):
            before = _model_table(run(path, tmp_path, kernel_name, params, "en-unedited"))
            assert _model_table(nb) != before and "acting_any" not in before
    if path.name.startswith("3.0"):
        # the heavy results (typology, resilience) honour `years` too: refitted on the window
        assert f"Recomputed on the years {y0}{dash}{y1} only" in text
        assert "Computed by the build on the whole panel" not in text


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
