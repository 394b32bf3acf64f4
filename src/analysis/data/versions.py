"""Which versions made the processed tables: the package, Python and the libraries that shape
the tables (``BUILD_LIBRARIES``, the one list).

The build records them in ``processed/manifest.json`` (``package_version``, ``python``,
``libraries``; the libraries are also part of the build key, :mod:`analysis.data.build`), and
:func:`analysis.data.store.write_processed` writes :func:`made_with` into every processed
Parquet file's schema metadata (read back by :func:`analysis.data.store.table_versions`). The
reports name them through :mod:`analysis.publish.versions`.
"""

from __future__ import annotations

import platform

from analysis import __version__

BUILD_LIBRARIES = ("pandas", "numpy", "pyarrow", "pandera", "scipy", "statsmodels",
                   "scikit-learn", "pyfixest")
"""The libraries whose versions shape the processed tables (their versions are part of the
build key: a changed version rebuilds)."""


def library_versions() -> dict[str, str]:
    """``{library: installed version}`` of :data:`BUILD_LIBRARIES` ("absent" when one is not
    installed)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for lib in BUILD_LIBRARIES:
        try:
            out[lib] = version(lib)
        except PackageNotFoundError:
            out[lib] = "absent"
    return out


def python_version() -> str:
    """The running Python's version, e.g. ``"3.11.7"``."""
    return platform.python_version()


def made_with(libraries: dict[str, str] | None = None,
              package_version: str | None = None) -> dict:
    """What a processed table records about the software that made it: ``{"package":
    "analysis", "package_version", "python", "libraries"}`` (``libraries`` defaults to
    :func:`library_versions`, ``package_version`` to the installed package's)."""
    return {"package": "analysis", "package_version": package_version or __version__,
            "python": python_version(),
            "libraries": dict(library_versions() if libraries is None else libraries)}
