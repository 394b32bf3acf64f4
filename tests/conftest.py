"""Shared fixtures and pytest hooks; the helpers they use are in ``tests/_support.py``. No test
touches the project's data folder.

Data folders
    ``data_dir``         an empty private data folder: a copy of the external (public) files.
    ``built_data_dir``   the default build (public + simulated seed 20200 + models), built ONCE
                         per session and shared: read it, never write to it (checked at the end
                         of the session). ``built_result`` is that build's BuildResult.
    ``public_data_dir``  the same for the public-only build (``simulated=False``).
    ``public_result``    that build's BuildResult.
    ``built_data_copy`` / ``public_data_copy``
                         a private copy of one of them (a file copy, no rebuild) for a test that
                         imports, rebuilds or damages data; ``BATANG_DATA_DIR`` points at it.
    ``copy_data(src, dst)`` (in ``tests/_support.py``, with the other helpers: test modules
                         import them from there, never from this file) the copy itself, for
                         module-scoped copies.

Model fits
    The build's model fits (``analysis.methods.build_fits.fit_all``) take 15-40 s per panel. The
    whole session, including subprocesses and notebook kernels (they inherit the environment),
    shares one fit cache through ``BATANG_FIT_CACHE_DIR`` (``analysis.config.fit_cache_dir``).
    The cache is keyed by the panel's content, so a changed panel is still refitted. A fresh
    folder per session, unless ``--keep-fits`` (``make test-fast``: kept across runs in
    .pytest_cache) or a ``BATANG_FIT_CACHE_DIR`` already set in the environment.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest
from _support import check_untouched, copy_data, fresh_data_dir, shared_build

matplotlib.use("Agg")

FIT_CACHE_ENV = "BATANG_FIT_CACHE_DIR"


def pytest_addoption(parser):
    parser.addoption("--keep-fits", action="store_true",
                     help="keep the model-fit cache across runs (in .pytest_cache; entries are "
                          "keyed by panel content, so a changed panel or methods/ source still "
                          "refits). `make test-fast` uses it.")


@pytest.fixture(scope="session", autouse=True)
def fit_cache_dir(request, tmp_path_factory) -> Path:
    """One model-fit cache for the whole session (see the module docstring)."""
    if os.environ.get(FIT_CACHE_ENV):
        yield Path(os.environ[FIT_CACHE_ENV])
        return
    cache = getattr(request.config, "cache", None)   # None with -p no:cacheprovider
    if request.config.getoption("keep_fits") and cache is not None:
        d = cache.mkdir("fit-cache")
    elif os.environ.get("PYTEST_XDIST_WORKER"):
        # pytest-xdist: one folder for all workers of this run (cache files are written
        # atomically, so two workers fitting the same panel at once is only wasted work)
        d = tmp_path_factory.getbasetemp().parent / "fit-cache"
        d.mkdir(exist_ok=True)
    else:
        d = tmp_path_factory.mktemp("fit-cache")
    mp = pytest.MonkeyPatch()
    mp.setenv(FIT_CACHE_ENV, str(d))
    yield d
    mp.undo()


@pytest.fixture(scope="session")
def _default_build(tmp_path_factory):
    d, res, before = shared_build(tmp_path_factory, "built")
    yield d, res
    check_untouched(d, before)


@pytest.fixture(scope="session")
def built_data_dir(_default_build) -> Path:
    """The default build (public + simulated + models), once per session. Read only."""
    return _default_build[0]


@pytest.fixture(scope="session")
def built_result(_default_build):
    """The ``BuildResult`` of :func:`built_data_dir`'s build."""
    return _default_build[1]


@pytest.fixture(scope="session")
def _public_build(tmp_path_factory):
    d, res, before = shared_build(tmp_path_factory, "built-public", simulated=False)
    yield d, res
    check_untouched(d, before)


@pytest.fixture(scope="session")
def public_data_dir(_public_build) -> Path:
    """The public-only build (no simulated panel), once per session. Read only."""
    return _public_build[0]


@pytest.fixture(scope="session")
def public_result(_public_build):
    """The ``BuildResult`` of :func:`public_data_dir`'s build."""
    return _public_build[1]


@pytest.fixture
def built_data_copy(built_data_dir, tmp_path, monkeypatch) -> Path:
    """A private copy of the default build; ``BATANG_DATA_DIR`` points at it."""
    d = copy_data(built_data_dir, tmp_path / "data")
    monkeypatch.setenv("BATANG_DATA_DIR", str(d))
    return d


@pytest.fixture
def public_data_copy(public_data_dir, tmp_path, monkeypatch) -> Path:
    """A private copy of the public-only build; ``BATANG_DATA_DIR`` points at it."""
    d = copy_data(public_data_dir, tmp_path / "data")
    monkeypatch.setenv("BATANG_DATA_DIR", str(d))
    return d


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch) -> Path:
    """A data folder holding a copy of the external (public) files and nothing else."""
    d = fresh_data_dir(tmp_path)
    monkeypatch.setenv("BATANG_DATA_DIR", str(d))
    return d


@pytest.fixture(scope="session")
def built_tables(tmp_path_factory):
    """The bundled default build (public + simulated), assembled in memory once per session
    from a private copy of the external files (never the project's data/user)."""
    from analysis.data.build import assemble

    tables, truth, _ = assemble(fresh_data_dir(tmp_path_factory.mktemp("assembled")))
    return tables, truth
