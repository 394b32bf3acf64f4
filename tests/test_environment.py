"""environment.yml mirrors pyproject.toml, the tested dependency list; requirements.lock pins
it exactly (what `make all` installs)."""

from __future__ import annotations

import re
import tomllib

import pytest
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


# --------------------------------------------------------------------------- requirements.lock
# `make all` installs the exact versions of requirements.lock (then the package with --no-deps);
# `make lock` makes the lock from pyproject.toml with uv. These tests keep the two in step.

LOCK = ROOT / "requirements.lock"
LOCK_EXTRAS = ("dev", "dask")
"""The extras the Makefile installs, and `make lock` resolves."""


def lock_pins(lock_text: str) -> tuple[dict[str, str], list[str]]:
    """``({canonical name: version}, problems)`` of a lock file: every line is a comment (the
    header, uv's ``# via`` annotations), blank, or one exact pin ``name==version`` with an
    optional environment marker."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    pins: dict[str, str] = {}
    problems: list[str] = []
    for n, line in enumerate(lock_text.splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        try:
            req = Requirement(s)
        except InvalidRequirement as exc:
            problems.append(f"requirements.lock line {n}: {s!r} is not a requirement ({exc})")
            continue
        specs = list(req.specifier)
        if len(specs) != 1 or specs[0].operator != "==" or "*" in specs[0].version:
            problems.append(f"requirements.lock line {n}: {s!r} is not an exact pin "
                            "(name==version); run make lock")
            continue
        pins[canonicalize_name(req.name)] = specs[0].version
    return pins, problems


def lock_problems(pyproject_text: str, lock_text: str) -> list[str]:
    """What keeps ``lock_text`` from being the lock of ``pyproject_text``: a line that is not
    an exact pin, and every requirement of ``[project].dependencies`` and of the extras
    :data:`LOCK_EXTRAS` that the lock does not pin, or pins at a version outside its
    specifier."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    meta = tomllib.loads(pyproject_text)["project"]
    reqs = [("dependencies", r) for r in meta["dependencies"]]
    for extra in LOCK_EXTRAS:
        reqs += [(f"extra {extra}", r) for r in meta.get("optional-dependencies", {})[extra]]
    pins, problems = lock_pins(lock_text)
    for where, text in reqs:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        if name not in pins:
            problems.append(f"{req.name} ({where} in pyproject.toml) is not pinned in "
                            "requirements.lock: run make lock")
        elif not req.specifier.contains(pins[name], prereleases=True):
            problems.append(f"requirements.lock pins {req.name}=={pins[name]}, outside "
                            f"pyproject.toml's {req.name}{req.specifier} ({where}): run make lock")
    return problems


def test_the_lock_pins_every_requirement_of_pyproject_exactly():
    assert LOCK.is_file(), "requirements.lock is missing: run make lock"
    pyproject, lock = (ROOT / "pyproject.toml").read_text(), LOCK.read_text()
    assert lock_problems(pyproject, lock) == []
    pins, _ = lock_pins(lock)
    # the whole resolution, not only the direct requirements (transitive pins too)
    assert {"pandas", "pyfixest", "distributed", "tornado", "pytest"} <= set(pins)
    assert "analysis" not in pins, "the package itself is installed from the checkout"


def _doctor(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


@pytest.mark.parametrize("which,old,new,expected", [
    # a requirement added to pyproject.toml without `make lock`
    ("pyproject", '"markupsafe~=3.0",', '"markupsafe~=3.0",\n    "tabulate2~=1.0",',
     "tabulate2 (dependencies in pyproject.toml) is not pinned in requirements.lock: "
     "run make lock"),
    # a dev requirement added to pyproject.toml
    ("pyproject", '"pytest~=9.2",', '"pytest~=9.2",\n    "hypothesis~=6.0",',
     "hypothesis (extra dev in pyproject.toml) is not pinned"),
    # pyproject's specifier moved on, the lock did not
    ("pyproject", '"pandas~=3.1",', '"pandas~=4.0",', "outside pyproject.toml's pandas~=4.0"),
    # a lock line that is not an exact pin
    ("lock", "\npandas==", "\npandas>=", "is not an exact pin"),
    # a requirement left out of the lock
    ("lock", "\npyfixest==", "\n# pyfixest==", "pyfixest (dependencies in pyproject.toml)"),
])
def test_a_lock_out_of_step_with_pyproject_says_run_make_lock(which, old, new, expected):
    pyproject, lock = (ROOT / "pyproject.toml").read_text(), LOCK.read_text()
    if which == "pyproject":
        pyproject = _doctor(pyproject, old, new)
    else:
        lock = _doctor(lock, old, new)
    problems = lock_problems(pyproject, lock)
    assert any(expected in p for p in problems), problems
    assert all("make lock" in p for p in problems), problems


def _recipe(makefile: str, target: str) -> str:
    """The rule line and recipe of ``target`` in the Makefile."""
    m = re.search(rf"^{re.escape(target)}:.*\n(?:\t.*\n)*", makefile, re.M)
    assert m, target
    return m.group(0)


def test_make_installs_from_the_lock_and_make_lock_resolves_the_same_extras():
    mk = (ROOT / "Makefile").read_text()
    install = _recipe(mk, "$(STAMP)")
    assert install.split("\n")[0].split(":", 1)[1].split() == ["pyproject.toml", "$(LOCK)"]
    assert "pip install --quiet -r $(LOCK)" in install
    assert "pip install --quiet --no-deps -e ." in install
    assert not re.search(r"-e \"?\.\[", install), "no second resolution of the extras"
    assert re.search(r"^LOCK := requirements\.lock$", mk, re.M)
    lock = _recipe(mk, "lock")
    assert "## " in lock.split("\n")[0], "make help lists it"
    assert "pip compile pyproject.toml" in lock and "-o $(LOCK)" in lock
    assert re.findall(r"--extra (\w+)", lock) == list(LOCK_EXTRAS)
    assert "--universal" in lock
    assert LOCK.read_text().splitlines()[1].strip() == "#    make lock"   # uv's header
