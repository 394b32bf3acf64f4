"""Every ``papermill`` command printed in docs/*.md and README.md runs and exits 0.

Commands are taken from fenced code blocks (backslash continuations joined, ``# comments``
dropped) and from inline code spans. Each is run as written, with these changes only: the
interpreter under test runs papermill (``python -m papermill``), the input notebook and ``-f``
files are resolved against the checkout (the docs give paths from the project root), the output
notebook goes to a temporary folder, ``-k batang-analysis`` is added when the command names no
kernel, and the working directory is a foreign temporary folder. The data folder is a private
fresh build (``BATANG_DATA_DIR``), never the project's ``data/``.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _support import copy_data

import analysis
from analysis import config
from analysis.publish import kernel

ROOT = config.project_root()
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
FENCE = re.compile(r"^(```|~~~)")
INLINE = re.compile(r"`([^`\n]+(?:\n[^`\n]+)?)`")
# documented commands that expose a notebook bug owned elsewhere (strict xfail; any other
# failure of the same command is a real failure): {substring of command: (expected error, why)}
KNOWN_BUGS: dict[str, tuple[str, str]] = {}


def _papermill_options() -> dict[str, int]:
    """Option name -> number of values it takes (0 for flags), from papermill's own CLI."""
    from papermill.cli import papermill as cli

    out = {}
    for p in cli.params:
        if p.param_type_name != "option":
            continue
        n = 0 if p.is_flag else p.nargs
        for name in [*p.opts, *p.secondary_opts]:
            out[name] = n
    return out


def _is_papermill(tokens: list[str]) -> bool:
    while tokens and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", tokens[0]):
        tokens = tokens[1:]  # leading VAR=value assignments
    return len(tokens) > 1 and Path(tokens[0]).name == "papermill"


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line, comments=True)
    except ValueError:  # unbalanced quotes: prose, not a command
        return []


def documented_commands() -> list[tuple[str, str]]:
    """(``file:line``, command) for every papermill command line in the docs."""
    found = []
    for path in DOCS:
        lines = path.read_text(encoding="utf-8").splitlines()
        prose: list[tuple[int, str]] = []
        i, in_fence = 0, False
        while i < len(lines):
            line = lines[i]
            if FENCE.match(line.strip()):
                in_fence = not in_fence
                i += 1
                continue
            if not in_fence:
                prose.append((i + 1, line))
                i += 1
                continue
            start, cmd = i + 1, line
            while cmd.rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                cmd = cmd.rstrip()[:-1] + " " + lines[i].strip()
            if _is_papermill(_split(cmd)):
                found.append((f"{path.name}:{start}", shlex.join(_split(cmd))))
            i += 1
        text = "\n".join(line for _, line in prose)
        for m in INLINE.finditer(text):
            code = m.group(1).replace("\n", " ")
            if _is_papermill(_split(code)):
                lineno = prose[text.count("\n", 0, m.start())][0]
                found.append((f"{path.name}:{lineno}", shlex.join(_split(code))))
    return found


COMMANDS = documented_commands()


def runnable(command: str, out_dir: Path, kernel_name: str) -> tuple[list[str], dict]:
    """The documented command as (argv, extra environment): papermill of this interpreter,
    paths made absolute, leading ``VAR=value`` assignments moved to the environment."""
    options = _papermill_options()
    tokens, env = _split(command), {}
    while "=" in tokens[0] and Path(tokens[0]).name != "papermill":
        key, value = tokens.pop(0).split("=", 1)
        env[key] = value
    args, positional, i = [], [], 1
    has_kernel = False
    while i < len(tokens):
        tok = tokens[i]
        name = tok.split("=", 1)[0]
        if name in options:
            n = 0 if "=" in tok else options[name]
            values = tokens[i + 1:i + 1 + n]
            if name in ("-k", "--kernel"):
                has_kernel = True
            if name in ("-f", "--parameters_file"):
                values = [str(ROOT / v) for v in values]
            args += [tok, *values]
            i += 1 + n
        else:
            positional.append(tok)
            i += 1
    assert positional, f"no notebook in {command!r}"
    notebook = Path(positional[0])
    positional[0] = str(notebook if notebook.is_absolute() else ROOT / notebook)
    if len(positional) > 1:
        positional[1] = str(out_dir / Path(positional[1]).name)
    if not has_kernel:
        args += ["-k", kernel_name]
    return [sys.executable, "-m", "papermill", *positional, *args], env


# ------------------------------------------------------------------------ extraction


def test_the_documented_commands_are_found():
    where = {w.split(":")[0] for w, _ in COMMANDS}
    assert "notebooks.md" in where
    assert any("-y" in _split(c) for _, c in COMMANDS)  # the run example passes a list


def test_no_documented_command_passes_a_list_with_p():
    """``-p name "[...]"`` hands papermill a string; lists and dicts need ``-y``."""
    for where, command in COMMANDS:
        tokens = _split(command)
        for i, tok in enumerate(tokens[:-2]):
            if tok in ("-p", "--parameters"):
                assert not re.match(r"\s*[\[{]", tokens[i + 2]), f"{where}: {command}"


def test_runnable_rewrites_paths_and_kernel(tmp_path):
    argv, env = runnable("A=1 papermill nb/a.ipynb out.ipynb -p lang en -y 'years: [1, 2]'",
                         tmp_path, "k1")
    assert env == {"A": "1"}
    assert argv[:3] == [sys.executable, "-m", "papermill"]
    assert argv[3:5] == [str(ROOT / "nb/a.ipynb"), str(tmp_path / "out.ipynb")]
    assert argv[5:] == ["-p", "lang", "en", "-y", "years: [1, 2]", "-k", "k1"]
    argv, env = runnable(".venv/bin/papermill -k other --help-notebook nb/a.ipynb", tmp_path,
                         "k1")
    assert env == {}
    assert argv[3:] == [str(ROOT / "nb/a.ipynb"), "-k", "other", "--help-notebook"]


# ------------------------------------------------------------------------ real runs


@pytest.fixture(scope="module")
def data_dir(built_data_dir, tmp_path_factory) -> Path:
    """Processed data in a private folder (never the project's data/): a copy of the session's
    default build."""
    return copy_data(built_data_dir, tmp_path_factory.mktemp("docs-data") / "data")


@pytest.fixture(scope="module")
def kernel_name() -> str:
    return kernel.ensure_kernel()


def _params():
    for where, command in COMMANDS:
        bug = next((b for s, b in KNOWN_BUGS.items() if s in command), None)
        marks = [pytest.mark.xfail(reason=bug[1], raises=AssertionError, strict=True)] \
            if bug else []
        yield pytest.param(command, bug[0] if bug else None, id=where, marks=marks)


@pytest.mark.slow
@pytest.mark.parametrize(("command", "known_error"), list(_params()))
def test_documented_command_runs(command, known_error, data_dir, kernel_name, tmp_path):
    cwd = tmp_path / "elsewhere"  # a foreign working directory
    cwd.mkdir()
    src = str(Path(analysis.__file__).resolve().parents[1])  # the package under test
    argv, extra = runnable(command, tmp_path, kernel_name)
    env = {**os.environ, "BATANG_DATA_DIR": str(data_dir), **extra,
           "PYTHONPATH": os.pathsep.join(
               [src, *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]])}
    t0 = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    print(f"{command}: {time.perf_counter() - t0:.1f} s")
    report = f"{shlex.join(argv)}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    if known_error and proc.returncode != 0 and known_error not in report:
        raise RuntimeError(f"failed, but not with the known {known_error}:\n{report}")
    assert proc.returncode == 0, report
