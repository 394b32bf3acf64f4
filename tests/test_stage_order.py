"""The declared stage order (``analysis.stages``) holds in every module of the package.

Every module of ``src/analysis`` is read with ``ast`` (never imported) and every reference to
another module of the package is collected: ``import`` and ``from ... import`` statements
anywhere in the file (module level, inside functions, under ``TYPE_CHECKING``), relative ones
resolved against the module's package, and module names written in strings
(``"analysis.methods.build_fits:fit_all"``, ``importlib.import_module("analysis.x")``,
``sys.modules.get("analysis.x")``). A reference that goes against the order fails the test,
naming file and line; so does a cycle of imports between modules.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from analysis import stages

PKG_DIR = Path(stages.__file__).resolve().parent
SRC = PKG_DIR.parent
MODULE_STRING = re.compile(r"^analysis(?:\.[A-Za-z_]\w*)+(?::[A-Za-z_][\w.]*)?$")


IMPORTS = ("import", "entry")
"""Kinds of reference that import the target (the edges of the cycle check): an import
statement, or a string that is imported (``"module:function"``, the argument of
``importlib.import_module``/``__import__``). A module name in any other string (``"name"``)
counts for the order (a stage never names a later one) but is no import."""


@dataclass(frozen=True)
class Ref:
    """A reference from ``module`` (file ``path``, line ``line``) to the package module
    ``target``; ``kind`` is ``import`` (a statement), ``entry`` (a string that is imported)
    or ``name`` (a module name in another string)."""
    module: str
    path: str
    line: int
    target: str
    kind: str

    def __str__(self) -> str:
        verb = {"import": "imports", "entry": "imports (by a string)", "name": "names"}
        return (f"{self.path}:{self.line}: {self.module} ({stages.stage_name(self.module)}) "
                f"{verb[self.kind]} {self.target} ({stages.stage_name(self.target)})")


def module_name(path: Path, root: Path = SRC) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_modules(pkg_dir: Path = PKG_DIR) -> dict[str, Path]:
    """``{dotted name: file}`` of every module of the package."""
    return {module_name(p, pkg_dir.parent): p for p in sorted(pkg_dir.rglob("*.py"))}


def _known(name: str, known) -> str | None:
    """The longest prefix of ``name`` that is a module of the package (``a.b.attr`` -> ``a.b``)."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        cand = ".".join(parts[:i])
        if cand in known:
            return cand
    return None


def references(source: str, module: str, known, path: str = "<string>",
               is_package: bool = False) -> list[Ref]:
    """Every reference of ``module`` (its ``source``) to a module in ``known``."""
    tree = ast.parse(source, filename=path)
    package = module if is_package else module.rpartition(".")[0]
    out: list[Ref] = []
    imported_strings = set()   # constant arguments of import_module(...) / __import__(...)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
            if name in ("import_module", "__import__"):
                imported_strings.add(id(node.args[0]))

    def add(line: int, name: str | None, kind: str) -> None:
        target = _known(name, known) if name else None
        if target and target != module:
            out.append(Ref(module, path, line, target, kind))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                add(node.lineno, a.name, "import")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            for a in node.names:
                full = f"{prefix}.{a.name}" if prefix else a.name
                add(node.lineno, full if full in known else prefix, "import")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.strip()
            if MODULE_STRING.match(text):
                entry = ":" in text or id(node) in imported_strings
                add(node.lineno, text.split(":")[0], "entry" if entry else "name")
    return sorted(set(out), key=lambda r: (r.line, r.target))


def all_references(pkg_dir: Path = PKG_DIR) -> list[Ref]:
    mods = package_modules(pkg_dir)
    out = []
    for name, p in mods.items():
        refs = references(p.read_text(encoding="utf-8"), name, mods,
                          str(p.relative_to(pkg_dir.parent.parent)
                              if pkg_dir.parent.parent in p.parents else p),
                          is_package=p.name == "__init__.py")
        if name == "analysis.stages":   # the declaration names modules of every stage
            refs = [r for r in refs if r.kind == "import"]
        out += refs
    return out


def violations(refs) -> list[Ref]:
    return [r for r in refs if not stages.may_import(r.module, r.target)]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of modules that import each other (Tarjan), each as a
    cycle through it: ``[a, b, a]``."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    groups: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in edges.get(v, ()):
                groups.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return [_cycle_through(g, edges) for g in groups]


def _cycle_through(group: list[str], edges: dict[str, set[str]]) -> list[str]:
    """One cycle inside a strongly connected ``group``, starting at its first module (DFS)."""
    start, members = group[0], set(group)
    path, seen = [start], {start}

    def dfs(v: str) -> bool:
        for w in sorted(edges.get(v, ())):
            if w == start:
                path.append(w)
                return True
            if w in members and w not in seen:
                seen.add(w)
                path.append(w)
                if dfs(w):
                    return True
                path.pop()
        return False

    dfs(start)
    return path


def import_graph(refs) -> dict[str, set[str]]:
    """``{module: modules it imports}`` (statements and imported strings)."""
    out: dict[str, set[str]] = {}
    for r in refs:
        if r.kind in IMPORTS:
            out.setdefault(r.module, set()).add(r.target)
    return out


def where(refs, a: str, b: str) -> str:
    return ", ".join(f"{r.path}:{r.line}" for r in refs
                     if r.module == a and r.target == b and r.kind in IMPORTS)


KNOWN_CYCLES: set[tuple[str, ...]] = set()
"""Cycles known and owned elsewhere, each as its sorted modules."""


# --------------------------------------------------------------------------- the package


@pytest.fixture(scope="module")
def refs() -> list[Ref]:
    return all_references()


def test_every_module_has_a_declared_stage():
    undeclared = []
    for name in package_modules():
        try:
            stages.rank(name)
        except ValueError as exc:
            undeclared.append(str(exc))
    assert not undeclared, "\n".join(undeclared)


def test_every_import_follows_the_stage_order(refs):
    bad = violations(refs)
    assert not bad, (f"{len(bad)} import(s) against the stage order (analysis.stages: "
                     "foundation < data < methods < narrative < publish < top):\n"
                     + "\n".join(map(str, bad)))


def test_no_import_cycle(refs, known=KNOWN_CYCLES):
    found = cycles(import_graph(refs))
    seen = {tuple(sorted(set(c))) for c in found}
    stale = sorted(known - seen)
    assert not stale, f"listed in KNOWN_CYCLES but no longer a cycle (remove it): {stale}"
    found = [c for c in found if tuple(sorted(set(c))) not in known]
    lines = []
    for c in found:
        lines.append(" -> ".join(c) + "   (" + "; ".join(
            where(refs, a, b) for a, b in zip(c, c[1:], strict=False)) + ")")
    assert not found, "import cycle(s) between modules:\n" + "\n".join(lines)


def test_the_walk_sees_the_package():
    # the checks above are only as good as the walk: it finds the modules and their imports
    mods = package_modules()
    assert {"analysis.data.build", "analysis.methods.build_fits", "analysis.narrative.sentences",
            "analysis.publish.summaries", "analysis.pipeline", "analysis.cli"} <= set(mods)
    refs = all_references()
    targets = {(r.module, r.target) for r in refs}
    assert ("analysis.publish.summaries", "analysis.narrative.sentences") in targets
    assert ("analysis.pipeline", "analysis.methods.build_fits") in targets   # a "module:function"


# --------------------------------------------------------------------------- the checker


KNOWN = {"analysis", "analysis.config", "analysis.data", "analysis.data.build",
         "analysis.data.store", "analysis.methods", "analysis.methods.build_fits",
         "analysis.narrative", "analysis.narrative.fmt", "analysis.narrative.sentences",
         "analysis.publish", "analysis.publish.summaries", "analysis.publish.explore",
         "analysis.publish.explore.context", "analysis.cli"}

FAKE = '''\
"""A data module that reaches up in every way the checker must see."""
import importlib

from analysis import config
from analysis.data import store
from . import store as s2
from ..methods import build_fits


def later():
    from analysis.publish.summaries import summary_tables
    import analysis.narrative.sentences as sentences
    return summary_tables, sentences


STEPS = ["analysis.methods.build_fits:fit_all"]
mod = importlib.import_module("analysis.publish.explore.context")
doc = "see analysis.publish.summaries for more"   # prose, not a module name
fmt_ok = "analysis.narrative.fmt"
'''


def test_checker_reports_each_violating_import_with_its_line():
    refs = references(FAKE, "analysis.data.fake", KNOWN, "data/fake.py")
    bad = {(r.line, r.target, r.kind) for r in violations(refs)}
    assert bad == {(7, "analysis.methods.build_fits", "import"),         # from ..methods
                   (11, "analysis.publish.summaries", "import"),          # inside a function
                   (12, "analysis.narrative.sentences", "import"),
                   (16, "analysis.methods.build_fits", "entry"),          # "module:function"
                   (17, "analysis.publish.explore.context", "entry")}    # import_module(...)
    ok = {(r.line, r.target) for r in refs if r not in violations(refs)}
    assert ok == {(4, "analysis.config"), (5, "analysis.data.store"),
                  (6, "analysis.data.store"), (19, "analysis.narrative.fmt")}
    assert str(violations(refs)[0]).startswith(
        "data/fake.py:7: analysis.data.fake (data) imports analysis.methods.build_fits (methods)")


def test_checker_fails_the_package_test_on_a_fake_violation():
    refs = references(FAKE, "analysis.data.fake", KNOWN, "data/fake.py")
    with pytest.raises(AssertionError, match=r"data/fake.py:7: .* imports analysis.methods"):
        test_every_import_follows_the_stage_order(refs)


def test_foundation_imports_only_the_foundation():
    assert stages.may_import("analysis.narrative.fmt", "analysis.narrative.catalog")
    assert not stages.may_import("analysis.narrative.fmt", "analysis.narrative.sentences")
    assert not stages.may_import("analysis.config", "analysis.data.store")
    assert stages.may_import("analysis.methods.ikm", "analysis.narrative.labels")
    assert stages.may_import("analysis.pipeline", "analysis.publish.summaries")
    assert not stages.may_import("analysis.publish.summaries", "analysis.pipeline")
    with pytest.raises(ValueError, match="no declared stage"):
        stages.rank("analysis.somewhere")


def test_checker_finds_a_cycle():
    refs = [Ref("analysis.publish.a", "a.py", 3, "analysis.publish.b", "import"),
            Ref("analysis.publish.b", "b.py", 9, "analysis.publish.c", "import"),
            Ref("analysis.publish.c", "c.py", 1, "analysis.publish.a", "import"),
            Ref("analysis.publish.c", "c.py", 2, "analysis.data.x", "import")]
    assert cycles(import_graph(refs)) == [["analysis.publish.a", "analysis.publish.b",
                                           "analysis.publish.c", "analysis.publish.a"]]
    with pytest.raises(AssertionError, match=r"a\.py:3; b\.py:9; c\.py:1"):
        test_no_import_cycle(refs, known=set())
    assert cycles(import_graph(refs[1:])) == []
    # a module name in a plain string is no import: no cycle
    named = [Ref("analysis.publish.c", "c.py", 1, "analysis.publish.a", "name"), *refs[:2]]
    assert cycles(import_graph(named)) == []
