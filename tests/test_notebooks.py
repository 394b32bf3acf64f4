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
import numpy as np
import pandas as pd
import papermill as pm
import pytest
from _support import copy_data

from analysis import config
from analysis.methods.typology import DEFAULT_FEATURES
from analysis.publish import kernel

NB_DIR = config.notebooks_dir()
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))
NAMES = [p.name for p in NOTEBOOKS]
EXPECTED = {
    "0.0-data-overview.ipynb", "1.0-budget-cuts.ipynb", "2.0-innovation-and-budget.ipynb",
    "2.1-service-and-budget.ipynb", "3.0-typology-resilience.ipynb",
    "4.0-public-record.ipynb", "5.0-planning-scenarios.ipynb", "6.0-peers.ipynb",
    "7.0-national-2020-cut.ipynb",
}
# notebooks that show public data only: no simulated banner may appear
PUBLIC_ONLY = ("4.0", "6.0", "7.0")
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
    "7.0-national-2020-cut.ipynb": {"region": "33.26", "years": [2017, 2023], "lang": "en",
                                    "outcome": "ln_komitmen_meningkatkan_layanan",
                                    "shock_trim": 25.0},
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
                                                 and "peers.validate_params(" in nxt) or (
        path.name.startswith("7.0") and "view.validate_params(" in nxt)
    assert all(n in nxt for n in names if n != "cuts" or "cuts=cuts" in nxt)


RESEARCH = [p for p in NOTEBOOKS if not p.name.startswith("6.0")]
# notebooks whose main models are fitted live from a formula in a visible cell
FORMULA = ("2.0", "2.1", "3.0", "5.0", "7.0")
# model notebooks: the formula ones, and 6.0 (its association model's formula is a parameter)
MODEL_NOTEBOOKS = [p for p in NOTEBOOKS if p.name.startswith((*FORMULA, "6.0"))]
MAX_CODE_LINES = 25
# the package's notebook helpers: at most this share of every notebook's code statements
HELPERS = ("explore", "peers", "view")
MAX_HELPER_SHARE = 0.40
# the columns of the estimate table a model notebook displays (the tidy result)
ESTIMATE_COLUMNS = ("term", "estimate", "std_error", "ci_low", "ci_high", "p_value", "n",
                    "n_clusters")


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
def test_research_cells_are_readable_and_end_with_try_this(path):
    """QuantEcon style: every code cell short enough to read and change (at most
    ``MAX_CODE_LINES`` non-blank lines), each introduced by a markdown sentence in both
    languages; the last cell proposes variations."""
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


def _analysis_cells(nb) -> list:
    """The code cells that count: every code cell but the parameters cell."""
    return [c for c in _code(nb) if "parameters" not in c.metadata.get("tags", [])]


def helper_share(nb) -> tuple[int, int]:
    """(helper calls, code statements) of a notebook, counted with ``ast``.

    Statements: every ``ast.stmt`` node of every code cell except the parameters cell,
    nested ones included (a ``for`` and each statement of its body), imports excluded.
    Helper calls: every call ``explore.<name>(...)``, ``peers.<name>(...)`` or
    ``view.<name>(...)``, nested ones
    included (``explore.show(explore.caveats(...))`` is two)."""
    helpers = statements = 0
    for cell in _analysis_cells(nb):
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.stmt) and not isinstance(node, ast.Import | ast.ImportFrom):
                statements += 1
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id in HELPERS):
                helpers += 1
    return helpers, statements


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_helper_calls_are_at_most_40_percent_of_the_code(path):
    """The research is in view: package helpers (``explore.*``, ``peers.*``, ``view.*``:
    display, bilingual words, loading) make at most 40 % of every notebook's code statements;
    the selections, the columns built, the formula, the fit and the tables shown are the
    notebook's own code."""
    helpers, statements = helper_share(nbformat.read(path, as_version=4))
    assert helpers <= MAX_HELPER_SHARE * statements, \
        f"{helpers} helper calls in {statements} statements ({helpers / statements:.0%})"


EQUATION = re.compile(r"\$\$?([^$]+?)\$\$?")


@pytest.mark.parametrize("path", MODEL_NOTEBOOKS, ids=lambda p: p.name)
def test_model_notebook_states_its_estimand(path):
    """A markdown cell states the estimand as an equation (``$...$`` holding ``=``) and names
    its symbols in words (a bullet list after it)."""
    nb = nbformat.read(path, as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "markdown"
             and any("=" in m for m in EQUATION.findall(c.source))]
    assert cells, "no markdown cell with an equation"
    assert any(re.search(r"^- .*\$\\?\w", c, re.M) for c in cells), \
        "the equation's symbols are not named in a list"


def _root(node) -> str | None:
    """The name an expression starts from: ``res`` for ``res[cols].round(3)``."""
    while isinstance(node, ast.Subscript | ast.Attribute | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _tidy_names(tree) -> set[str]:
    """Names bound to a tidy result: assigned from ``tidy(...)``/``cumulative(...)``, or from
    ``pd.concat`` of such names (``rows += [...]`` included)."""
    names: set[str] = set()
    assigns = [n for n in ast.walk(tree) if isinstance(n, ast.Assign | ast.AugAssign)]
    changed = True
    while changed:
        changed = False
        for node in assigns:
            calls = {_root(c.func) if isinstance(c.func, ast.Name) else c.func.attr
                     for c in ast.walk(node.value) if isinstance(c, ast.Call)
                     and isinstance(c.func, ast.Name | ast.Attribute)}
            used = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
            if calls & {"tidy", "cumulative"} or ("concat" in calls and used & names):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    if isinstance(t, ast.Name) and t.id not in names:
                        names.add(t.id)
                        changed = True
    return names


def estimate_cells(nb) -> list[int]:
    """Indexes of the cells that display the estimate table itself. The rule: the cell ends
    with a bare expression (what Jupyter displays as the cell's result) that starts from a
    name bound to a tidy result (:func:`_tidy_names`), and the cell names the columns
    ``ESTIMATE_COLUMNS`` (the selection shown)."""
    cells = _analysis_cells(nb)
    names = _tidy_names(ast.parse("\n".join(c.source for c in cells)))
    out = []
    for i, cell in enumerate(nb.cells):
        if cell not in cells:
            continue
        body = ast.parse(cell.source).body
        if not body or not isinstance(body[-1], ast.Expr) or _root(body[-1].value) not in names:
            continue
        strings = {n.value for n in ast.walk(ast.parse(cell.source))
                   if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        if set(ESTIMATE_COLUMNS) <= strings:
            out.append(i)
    return out


@pytest.mark.parametrize("path", MODEL_NOTEBOOKS, ids=lambda p: p.name)
def test_model_notebook_displays_its_estimate_table(path):
    """The fitted model is shown as a DataFrame (the tidy result, see
    :func:`estimate_cells`) before any generated wording about it: no ``explore.*`` call
    comes between the fit and that table."""
    nb = nbformat.read(path, as_version=4)
    shown = estimate_cells(nb)
    assert shown, "no cell displays the tidy result with the estimate columns"
    first = shown[0]
    fits = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "fit(" in c.source
            and i <= first]
    assert fits, "the estimate table is shown before any fit"
    between = "\n".join(c.source for c in nb.cells[fits[-1]:first + 1] if c.cell_type == "code")
    assert "explore." not in between, "generated wording before the estimate table"


# the columns each model notebook builds in view (cell tagged "model-columns")
BUILT_COLUMNS = {
    "2.0-innovation-and-budget.ipynb": {"post", "cut_depth_2020", "cut_2020_x_post",
                                        "acting_any"},
    "2.1-service-and-budget.ipynb": {"dlog_budget_lag0", "dlog_budget_lag1",
                                     "log_service_days"},
    "3.0-typology-resilience.ipynb": {"acting_any", "log_service_days"},
    "5.0-planning-scenarios.ipynb": {"post", "cut_depth_2020", "cut_2020_x_post",
                                     "dlog_budget_lag1"},
}


def run_in_process(path: Path, params: dict, until) -> dict:
    """Execute the notebook's code cells in this process (parameters cell first, then
    ``params`` over it), up to and including the first cell for which ``until(cell)`` is
    true; return the namespace. Displays go to stdout; figures are closed by the helpers."""
    from IPython.display import display

    nb = nbformat.read(path, as_version=4)
    ns: dict = {"display": display}
    for cell in _code(nb):
        exec(compile(cell.source, f"{path.name}", "exec"), ns)
        if "parameters" in cell.metadata.get("tags", []):
            ns.update(params)
        if until(cell):
            return ns
    raise AssertionError(f"{path.name}: no cell matched")


def _columns_cell(cell) -> bool:
    return "model-columns" in cell.metadata.get("tags", [])


@pytest.mark.parametrize("path", [p for p in MODEL_NOTEBOOKS if p.name in BUILT_COLUMNS],
                         ids=lambda p: p.name)
@pytest.mark.parametrize("which", ["default", "other"])
def test_model_columns_built_in_view_equal_the_package(path, which, data_dir):
    """The model columns a notebook builds with pandas (its cell tagged ``model-columns``) are
    exactly those of ``explore.model_panel`` (``fe.add_model_columns``, ``lags.add_lags`` and
    ``acting_any`` on the whole panel, then the rows inside ``years``), on the default build,
    with the default parameters and with the non-default years (lags reaching back before
    the window)."""
    from analysis.publish import explore

    params = {"data_dir": str(data_dir)}
    if which == "other":
        params.update({k: v for k, v in OTHER[path.name].items() if k in ("years", "max_lag",
                                                                            "unit_id")})
    ns = run_in_process(path, params, _columns_cell)
    mine = ns["panel"]
    built = BUILT_COLUMNS[path.name]
    assert built <= set(mine.columns)
    ctx = explore.validate_params(str(data_dir), years=ns["years"])
    ref = explore.model_panel(ctx, ns.get("max_lag", 2))
    assert (mine["year"].min(), mine["year"].max()) == tuple(ns["years"])
    keys = ["unit_id", "year"]
    mine, ref = (d.set_index(keys).sort_index() for d in (mine, ref))
    assert mine.index.equals(ref.index)
    for col in mine.columns:
        assert col in ref.columns, f"{col}: the package does not compute it"
        pd.testing.assert_series_equal(mine[col], ref[col], check_dtype=False, obj=col)


@pytest.mark.parametrize("which", ["default", pytest.param("other", marks=pytest.mark.slow)])
def test_typology_features_in_view_match_the_build(which, data_dir):
    """Notebook 3.0 standardizes the typology features with pandas: the mean z of each
    cluster's members equals the centre the build's k-means stored (default and other
    years; the latter refits the typology on the window, cached)."""
    path = NB_DIR / "3.0-typology-resilience.ipynb"
    params = {"data_dir": str(data_dir)}
    if which == "other":
        params["years"] = OTHER[path.name]["years"]
    ns = run_in_process(path, params, lambda c: "centres = " in c.source)
    assert len(ns["features"]) == ns["typology"]["unit_id"].nunique() > 0
    np.testing.assert_allclose(ns["centres"].to_numpy(), ns["build"].to_numpy(), atol=1e-3)


def test_scenario_in_view_equals_the_package(data_dir):
    """Notebook 5.0 computes the scenario from the coefficients with numpy: the same numbers
    as ``scenario.scenario`` (estimate and interval, every cut size)."""
    from analysis.methods import scenario

    path = NB_DIR / "5.0-planning-scenarios.ipynb"
    ns = run_in_process(path, {"data_dir": str(data_dir), "cut_pct": 25.0,
                               "cuts": [10, 40, -5]}, lambda c: "grid = " in c.source)
    sc = scenario.scenario(ns["res"], ns["unit_id"], 25.0, ns["panel"]).set_index("outcome")
    change = ns["change"]
    for row, outcome in (("innovations_pct", "innovations"), ("ikm_points_next_year", "ikm")):
        np.testing.assert_allclose(change.loc[row, ["estimate", "ci_low", "ci_high"]].to_numpy(
            float), sc.loc[outcome, ["estimate", "ci_low", "ci_high"]].to_numpy(float))
    base = sc.loc["innovations", "baseline"]
    np.testing.assert_allclose(change.loc["innovations_per_year"].to_numpy(float),
                               change.loc["innovations_pct"].to_numpy(float) * base / 100)
    grid = ns["grid"].set_index("cut_pct")
    for c in (10, 40, -5):
        s = scenario.scenario(ns["res"], ns["unit_id"], c, ns["panel"]).set_index("outcome")
        assert grid.loc[c, "innovations_pct"] == pytest.approx(s.loc["innovations", "estimate"])
        assert grid.loc[c, "ikm_points_next_year"] == pytest.approx(s.loc["ikm", "estimate"])


@pytest.mark.parametrize("which", ["default", "other"])
def test_peers_ranks_and_model_in_view_equal_the_package(which, data_dir):
    """Notebook 6.0 ranks with pandas and fits its formula in view: its standing (finance
    measures, peer group and national), its rank per year in the peer group and its estimate
    table equal the package's ``standing_table``, ``rank_history_table`` and a fit on the
    complete pemda-years (default parameters, and another region, years and peer list)."""
    from analysis.methods import peers as calc
    from analysis.methods.fit import fit, tidy

    path = NB_DIR / "6.0-peers.ipynb"
    params = {"data_dir": str(data_dir)}
    if which == "other":
        params.update(OTHER[path.name])
    ns = run_in_process(path, params, lambda c: "res = tidy(" in c.source)
    py, region, peers_ = ns["py"], ns["region"], ns["ctx"].options["peers"]
    ref = calc.standing_table(py, region, peers_, ns["year"]).set_index(["measure", "group"])
    mine = ns["standing"]
    for m in ns["finance"]:
        for g, col in (("peers", "peer"), ("national", "national")):
            assert mine.loc[m, f"{col}_rank"] == ref.loc[(m, g), "rank"], (m, g)
            assert mine.loc[m, f"{col}_n"] == ref.loc[(m, g), "n"], (m, g)
            assert mine.loc[m, f"{col}_median"] == pytest.approx(ref.loc[(m, g), "median"])
    hist = calc.rank_history_table(py, region, peers_).pivot(index="measure", columns="year",
                                                             values="rank")
    shown = ns["ranks"].xs(region, level="region_code").T
    shown = shown.loc[hist.index, hist.columns]
    pd.testing.assert_frame_equal(shown.astype(float), hist.astype(float), check_names=False)
    complete = py[py["partial"].eq(False).fillna(False)]
    assert set(ns["panel"]["year"]) == set(complete["year"])
    assert len(ns["panel"]) == len(complete)
    scaled = [c for c in calc.MODEL_COLUMNS if c.startswith("share_")
              or c in ("dlog_real_spending", "realisation_rate")]
    frame = complete.assign(pemda=complete["region_code"], **{c: 100 * complete[c]
                                                              for c in scaled})
    ref = tidy(fit(ns["formula"], frame, vcov={"CRV1": "pemda"}, family="ols"))
    res = ns["res"]
    assert (res["provenance"] == "public").all() and list(res["term"]) == list(ref["term"])
    for col in ("estimate", "std_error", "ci_low", "ci_high", "n", "n_clusters"):
        np.testing.assert_allclose(res[col].to_numpy(float), ref[col].to_numpy(float))


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.name.startswith(FORMULA)],
                         ids=lambda p: p.name)
def test_the_model_is_a_visible_formula(path):
    src = "\n".join(c.source for c in _code(nbformat.read(path, as_version=4)))
    assert re.search(r'^fml = f?".+~.+\| *(unit_id|region_code) \+ year"', src,
                     re.M), \
        "no formula cell"
    assert "fit(" in src and "tidy(" in src
    assert "plots.coef_plot(" in src or "view.event_figure(" in src, "no coefficient plot"


def test_public_record_uses_public_helpers_only():
    """Notebook 4.0 selects with pandas, but only from public rows: it keeps the rows with
    ``provenance == "public"`` of every table it loads, every package call is a loader, the
    public-row guard, ``show`` or a public_* section helper, and the guard runs on every
    table of rows it uses (the run in view checks the rows themselves)."""
    src = "\n".join(c.source for c in _code(nbformat.read(NB_DIR / "4.0-public-record.ipynb",
                                                          as_version=4)))
    calls = {n.attr for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Attribute)
             and isinstance(n.value, ast.Name) and n.value.id == "explore"}
    allowed = {"validate_params", "load", "require_public", "show"}
    assert calls - allowed and all(c.startswith("public_") for c in calls - allowed), calls
    assert "require_public" in calls
    assert 'pub = {name: df[df["provenance"] == "public"] for name, df in data.items()}' in src
    assert "import analysis.methods" not in src and "fit(" not in src


def _last_cell(name: str):
    """``until`` for :func:`run_in_process`: the notebook's last code cell."""
    last = _code(nbformat.read(NB_DIR / name, as_version=4))[-1]
    return lambda c: c.source == last.source


@pytest.mark.parametrize("which", ["default", "other"])
def test_overview_tables_in_view_equal_an_independent_count(which, data_dir):
    """Notebook 0.0 builds its tables with pandas in view: the rows per table and provenance
    equal the build manifest's; the registry by kind, the coverage per measure and year (and
    its gaps), the public datasets and the planted effects equal a count made here another
    way from the stored tables (default parameters, and other years)."""
    from analysis.data import store
    from analysis.publish import explore

    name = "0.0-data-overview.ipynb"
    params = {"data_dir": str(data_dir)}
    if which == "other":
        params.update(OTHER[name])
    ns = run_in_process(NB_DIR / name, params, _last_cell(name))
    d, (y0, y1), region = str(data_dir), ns["years"], ns["region"]

    def table(t, year="year"):
        df = store.load_table(t, d)
        df = df[df["region_code"] == region] if "region_code" in df else df
        return df[df[year].between(y0, y1)] if year in df else df

    manifest = store.load_manifest(d)["provenance"]
    built = ns["built"]
    assert list(built.index) == list(manifest)
    for t, counts in manifest.items():
        for kind in ("public", "simulated", "user", "derived"):
            assert built.loc[t, kind] == counts.get(kind, 0), (t, kind)
        assert built.loc[t, "total"] == sum(counts.values()), t
    panel, units = table("panel"), table("units")
    assert ns["sim"] == explore.is_simulated(panel) and (ns["loaded"].sum() > 0).all()
    ids = set(panel["unit_id"])
    by_kind = ns["by_kind"]
    for kind, u in units.groupby("kind"):
        with_panel = sum(uid in ids for uid in u["unit_id"])
        assert tuple(by_kind.loc[kind, ["n", "front_line", "in_panel", "without_panel"]]) == (
            len(u), u["front_line"].sum(), with_panel, len(u) - with_panel), kind
    cov, n = ns["cov"], panel["unit_id"].nunique()
    assert list(cov.columns) == list(range(y0, y1 + 1))
    for m in cov.index:
        share = (panel.dropna(subset=[m]).groupby("year")["unit_id"].nunique() / n).reindex(
            cov.columns, fill_value=0.0)
        np.testing.assert_allclose(cov.loc[m].to_numpy(float), share.to_numpy(float))
    gaps = ns["gaps"]
    assert set(gaps.index) == {m for m in cov.index if cov.loc[m].min() < 1}
    for m, r in gaps.iterrows():
        assert r.years_without == [y for y in cov.columns if panel.loc[panel["year"] == y,
                                                                      m].isna().all()]
    ref = table("reference")
    ref = ref[ref["provenance"] == "public"]
    datasets = ns["datasets"]
    for ds, rows in ref.groupby("dataset"):
        assert datasets.loc[ds, "rows"] == len(rows) and datasets.loc[ds, "sources"] == \
            rows["source"].nunique(), ds
    for t, year in (("innovations", "reporting_year"), ("service", "year")):
        rows = table(t, year)
        rows = rows[rows["provenance"] == "public"]
        assert datasets.loc[t, "rows"] == len(rows), t
    assert len(datasets) == ref["dataset"].nunique() + 2
    assert ns["effects"].to_dict("records") == store.load_json("simulation_truth.json",
                                                               d)["effects"]


@pytest.mark.parametrize("which", ["default", "other"])
def test_public_record_tables_in_view_equal_an_independent_count(which, data_dir):
    """Notebook 4.0 builds its tables with pandas in view, from public rows only: every table
    of rows it holds is public; its spending totals (one document per year and stage) equal
    the package's ``calibration_targets``; the innovations per OPD and stage, per form and
    per year of implementation, the Ombudsman table and the source counts equal a count made
    here another way (default parameters, and other years)."""
    from analysis.data import public, store

    name = "4.0-public-record.ipynb"
    params = {"data_dir": str(data_dir)}
    if which == "other":
        params.update(OTHER[name])
    ns = run_in_process(NB_DIR / name, params, _last_cell(name))
    frames = [v for v in (*ns["pub"].values(), *ns.values()) if isinstance(v, pd.DataFrame)
              and "provenance" in v.columns]
    assert len(frames) >= 8 and all((f["provenance"] == "public").all() for f in frames)
    y0, y1 = ns["years"]
    rf = store.load_table("region_finance", str(data_dir))
    rf = rf[(rf["region_code"] == ns["region"]) & rf["year"].between(y0, y1)]
    ref = public.calibration_targets(rf).set_index(["year", "stage"])
    spend = ns["totals"][ns["totals"]["indicator_key"] == "belanja_total"]
    mine = spend.set_index(["year", "stage"]).sort_index()[ref.columns]
    pd.testing.assert_frame_equal(mine, ref.sort_index(), check_dtype=False)
    assert not ns["totals"].duplicated(["year", "stage", "indicator_key"]).any()
    profiles, names = ns["profiles"], ns["names"]
    assert not profiles["is_duplicate"].any()
    by_opd = ns["by_opd"]
    assert by_opd["total"].is_monotonic_decreasing and by_opd["total"].sum() == len(profiles)
    for uid, rows in profiles.groupby("unit_id", dropna=False):
        key = names.get(uid, uid) if isinstance(uid, str) else np.nan
        row = by_opd.loc[[key]].iloc[0] if isinstance(key, str) else \
            by_opd[by_opd.index.isna()].iloc[0]
        assert row["total"] == len(rows) and row["digital"] == rows["digital"].sum(), uid
        for stage in ("implementasi", "uji_coba", "inisiatif"):
            assert row[stage] == (rows["stage"] == stage).sum(), (uid, stage)
    by_form = ns["by_form"]
    for form, rows in profiles.groupby("form"):
        assert by_form.loc[form, "n"] == len(rows)
        assert by_form.loc[form, "digital_share"] == pytest.approx(rows["digital"].mean())
    dated = profiles.dropna(subset=["implementation_date"])
    years = dated["implementation_date"].dt.year.value_counts().sort_index()
    assert ns["by_year"].sum(axis=1).to_dict() == years.to_dict()
    scores, findings, omb = ns["scores"], ns["findings"], ns["ombudsman"]
    assert len(omb) == len(scores) + len(findings)
    assert list(omb["year"]) == sorted(omb["year"], reverse=True)
    used = pd.concat([ns[k]["source"] for k in ("totals", "profiles", "scores", "findings")])
    assert ns["sources"].to_dict() == used.value_counts().to_dict()


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


def _frames(nb, *columns: str) -> list[pd.DataFrame]:
    """The DataFrames the notebook displayed (pandas' HTML, ``class="dataframe"``) that have
    every one of ``columns``, in order."""
    from io import StringIO

    out = []
    for o in _outputs(nb):
        html = o.get("data", {}).get("text/html", "")
        if 'class="dataframe"' not in html:
            continue
        df = pd.read_html(StringIO(html))[0]
        names = {str(x) for c in df.columns for x in (c if isinstance(c, tuple) else (c,))}
        if set(columns) <= names:
            out.append(df)
    return out


def _estimate_frame(nb) -> pd.DataFrame:
    """The estimate table the model cell displayed (the tidy result, ``ESTIMATE_COLUMNS``)."""
    frames = _frames(nb, *ESTIMATE_COLUMNS)
    assert frames, "no estimate table displayed"
    return frames[0]


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
    if path in MODEL_NOTEBOOKS:
        table = _estimate_frame(nb)
        # each row says where it comes from
        expected = "public" if path.name.startswith(PUBLIC_ONLY) else "simulated"
        assert (table["provenance"] == expected).all()
        if expected == "simulated":
            assert table["planted"].notna().any()  # planted values beside the estimates
        assert table["n"].max() >= 100 and (table["n_clusters"] >= 13).all()
    if path.name.startswith("3.0"):
        # the k-means features, the silhouette per k and the resilience fit, as DataFrames
        assert _frames(nb, *DEFAULT_FEATURES, "cluster")
        assert _frames(nb, "k", "silhouette", "chosen")
        resilience = _frames(nb, "effect", "ci_low", "ci_high", "verdict", "rank_low", "rank_high")
        assert resilience and len(resilience[0]) > 20


# English, another unit / years, and a researcher's edit of a cell: what must change
EDITS = {
    "2.0-innovation-and-budget.ipynb": {
        "+ acting_share +": "+ acting_any +", "| unit_id + year\"": "| unit_id + sector^year\""},
    "2.1-service-and-budget.ipynb": {"threshold = 0.05": "threshold = 0.10"},
}
EXPECT_AFTER_EDIT = {
    "2.0-innovation-and-budget.ipynb": ("acting_any",),
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
    if path in MODEL_NOTEBOOKS:
        # the live models are fitted on the notebook's years: the estimate table says which
        # years its rows come from, and the words beside it name the window (2.0's words are
        # the ledger's; its table is the statement; 6.0's caption names the years used)
        table = _estimate_frame(nb)
        assert table["year_first"].min() >= y0 and table["year_last"].max() == y1
        if path.name.startswith("6.0"):
            first, last = table["year_first"].min(), table["year_last"].max()
            assert f"years {first}{dash}{last}" in text
        elif not path.name.startswith("2.0"):
            assert f"Fitted live on the notebook's `years`, {y0}{dash}{y1}" in text
        else:
            before = _estimate_frame(run(path, tmp_path, kernel_name, params, "en-unedited"))
            assert not table.equals(before) and "acting_any" not in set(before["term"])
            assert "acting_any" in set(table["term"])
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


@pytest.mark.parametrize("which", ["default", "other"])
def test_national_2020_columns_built_in_view_equal_the_package(which, data_dir):
    """Notebook 7.0's treatment and phase columns, built with pandas in view, equal the
    build's (``national_2020.shock_table`` + ``panel``) with the default trim; with another
    trim its ``cut_depth`` follows the parameter."""
    from analysis.data import store
    from analysis.methods import national_2020 as nat

    path = NB_DIR / "7.0-national-2020-cut.ipynb"
    params = {"data_dir": str(data_dir)}
    if which == "other":
        params.update({k: OTHER[path.name][k] for k in ("years", "shock_trim")})
    ns = run_in_process(path, params, _columns_cell)
    mine = ns["data"].set_index(["region_code", "year"]).sort_index()
    t = {k: store.load_table(k, str(data_dir)) for k in ("pemda_sikd", "pemda_year",
                                                         "pemda_lkpd", "pemda_ipm",
                                                         "deflator", "pemda")}
    shock = nat.shock_table(t["pemda_sikd"], t["pemda_year"], t["pemda"], t["deflator"])
    trim = ns["shock_trim"]
    shock["cut_depth"] = (-shock["treatment_change"] / nat.TREATMENT_SCALE).where(
        shock["treatment_change"].abs() <= trim)
    ref = nat.panel(shock, t["pemda_sikd"], t["pemda_year"], t["pemda_lkpd"], t["pemda_ipm"],
                    t["deflator"])
    ref = ref[ref["year"].between(*ns["years"])].set_index(["region_code", "year"]).sort_index()
    assert mine.index.equals(ref.index)
    for col in ("cut_depth", "cut_depth_fall", "cut_depth_after", *nat.OUTCOMES):
        pd.testing.assert_series_equal(mine[col].astype(float), ref[col].astype(float),
                                       obj=col)
    if which == "other":
        treated = mine.groupby(level="region_code")["cut_depth"].first().notna().sum()
        assert treated < store.load_table("pemda_shock_2020",
                                          str(data_dir))["cut_depth"].notna().sum()
