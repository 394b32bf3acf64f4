"""The one module that owns every path.

Paths are anchored to the project root, never to the working directory: papermill, nbmake and
JupyterLab each start notebooks in a different folder. The root comes from the environment
variable ``BATANG_PROJECT_ROOT`` when set, otherwise from this file's location in the
src-layout checkout (``src/analysis/config.py`` -> ``parents[2]``). The data and report folders
can be moved independently with ``BATANG_DATA_DIR`` and ``BATANG_REPORTS_DIR``, the build's
model-fit cache with ``BATANG_FIT_CACHE_DIR``.

All values are read at call time, so a test or a notebook parameter can point them elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

REGION_BATANG = "33.25"
"""Kemendagri code of Kabupaten Batang, the default region."""

DEFAULT_SEED = 20200
"""Seed of the bundled simulated panel (documented in the README)."""

DEFAULT_YEARS = (2016, 2024)
"""First and last year of the simulated panel."""


class ConfigError(RuntimeError):
    """A path or setting cannot be resolved."""


def project_root() -> Path:
    env = os.environ.get("BATANG_PROJECT_ROOT")
    if env:
        root = Path(env).expanduser().resolve()
    else:
        root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file():
        raise ConfigError(
            f"project root {root} has no pyproject.toml: install the package editable "
            "(pip install -e .) or set BATANG_PROJECT_ROOT to the checkout"
        )
    return root


def data_dir() -> Path:
    env = os.environ.get("BATANG_DATA_DIR")
    return Path(env).expanduser().resolve() if env else project_root() / "data"


def external_dir(region_slug: str = "batang") -> Path:
    """Public reference files, copied verbatim from their sources (read-only inputs)."""
    return data_dir() / "external" / region_slug


def raw_dir() -> Path:
    """Immutable raw inputs (never edited by code)."""
    return data_dir() / "raw"


def user_dir() -> Path:
    """The regency's own files after import (provenance = user)."""
    return data_dir() / "user"


def interim_dir() -> Path:
    return data_dir() / "interim"


def fit_cache_dir() -> Path:
    """Folder of the build's result cache (``analysis.data.cache``): the model fits of
    ``analysis.methods.build_fits.fit_all`` and the national tables.

    ``BATANG_FIT_CACHE_DIR`` when set, otherwise ``interim_dir() / "models"``. A cache entry is
    keyed by the content it was computed from (the panel's values or the national files, the
    estimator modules' source and the libraries' versions), never by the data folder, so one folder can serve
    many data folders without a changed panel ever reading another panel's fit. The test suite
    points every build of a session at one such folder (tests/conftest.py).
    """
    env = os.environ.get("BATANG_FIT_CACHE_DIR")
    return Path(env).expanduser().resolve() if env else interim_dir() / "models"


def processed_dir(base: Path | str | None = None) -> Path:
    """Validated Parquet tables built by ``python -m analysis build``.

    ``base`` is a data directory (as notebooks take it as a parameter); default: data_dir().
    """
    return (Path(base).expanduser().resolve() if base else data_dir()) / "processed"


def reports_dir() -> Path:
    env = os.environ.get("BATANG_REPORTS_DIR")
    return Path(env).expanduser().resolve() if env else project_root() / "reports"


def figures_dir() -> Path:
    return reports_dir() / "figures"


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def style_path() -> Path:
    """The one matplotlib style shipped inside the package."""
    return Path(__file__).resolve().parent / "styles" / "batang.mplstyle"
