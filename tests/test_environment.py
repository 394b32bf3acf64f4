"""environment.yml mirrors pyproject.toml, the tested dependency list."""

from __future__ import annotations

import re
import tomllib

import yaml

from analysis import config

ROOT = config.project_root()
# PyPI name -> conda-forge name(s), where they differ or an extra expands to several packages.
CONDA_NAMES = {"dask[distributed]": ["dask", "distributed"]}


def _split(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-\[\]]+)\s*(.*)$", req)
    assert m, req
    return m.group(1).lower(), m.group(2).replace(" ", "")


def pyproject_requirements() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"])
    for extra in meta.get("optional-dependencies", {}).values():
        reqs += extra
    out = {}
    for req in reqs:
        name, spec = _split(req)
        for conda_name in CONDA_NAMES.get(name, [name]):
            out[conda_name] = spec
    return out


def conda_requirements() -> tuple[dict[str, str], list]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out, pip = {}, []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip += dep.get("pip", [])
            continue
        name, spec = _split(dep)
        if name in ("python", "pip"):
            continue
        out[name] = spec
    return out, pip


def test_environment_yml_mirrors_pyproject():
    conda, pip = conda_requirements()
    assert conda == pyproject_requirements()
    assert "-e ." in pip, "the package itself is installed through pip -e ."


def test_environment_python_matches_requires_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    py = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python")]
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert py == ["python=3.11"] and requires == ">=3.11"


# import names of the dev extra's packages where they differ from the PyPI name
IMPORT_NAMES = {"pytest-xdist": "xdist"}


def _imported_roots(path) -> set[str]:
    import ast

    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module.split(".")[0])
    return out


def test_the_package_imports_no_dev_only_dependency():
    """The ``dev`` extra (test tools, and linearmodels: only the tests' cross-check of
    pyfixest) is not installed for users of the package: no module of it may import one."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    main = {_split(r)[0] for r in meta["dependencies"]}
    dev = {_split(r)[0] for r in meta["optional-dependencies"]["dev"]} - main
    assert "linearmodels" in dev
    names = {IMPORT_NAMES.get(n, n.replace("-", "_")) for n in dev}
    bad = {str(p.relative_to(ROOT)): sorted(_imported_roots(p) & names)
           for p in sorted((ROOT / "src" / "analysis").rglob("*.py"))}
    assert not {k: v for k, v in bad.items() if v}
