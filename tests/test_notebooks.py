"""Every notebook script calls the library as it is now, and runs at its quick settings.

Running all notebooks takes longer than the rest of a method's tests (they repeat the quick
reproductions the tests already run), so the run is ``slow``; the fast test resolves every
``jaxpapers`` name a notebook uses and binds every call's arguments to the signature, which is
how a notebook breaks when the library changes under it.
"""

import ast
import importlib
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SCRIPTS = sorted(p for p in NOTEBOOKS.glob("*.py") if p.name != "build.py")


def _library_names(tree: ast.Module) -> dict[str, object]:
    """The names a script binds to ``jaxpapers`` modules and objects by its imports."""
    names: dict[str, object] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("jaxpapers") and alias.asname:
                    names[alias.asname] = importlib.import_module(alias.name)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("jaxpapers"):
            module = importlib.import_module(node.module or "")
            for alias in node.names:
                if not hasattr(module, alias.name):  # a submodule not imported by its package
                    importlib.import_module(f"{node.module}.{alias.name}")
                names[alias.asname or alias.name] = getattr(module, alias.name)
    return names


def _resolve(node: ast.expr, names: dict[str, object]) -> object | None:
    """The library object an expression like ``pc.simulate`` or ``fpo.Config`` names, if any."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, names)
        if owner is None or not inspect.ismodule(owner):
            return None
        assert hasattr(owner, node.attr), f"{owner.__name__} has no {node.attr}"
        return getattr(owner, node.attr)
    return None


def _check_call(call: ast.Call, target: object) -> None:
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        return
    try:
        signature = inspect.signature(target)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return
    placeholders = [None] * len(call.args)
    signature.bind_partial(*placeholders, **{k.arg: None for k in call.keywords if k.arg})


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_calls_the_library_as_it_is(script):
    tree = ast.parse(script.read_text())
    names = _library_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            _resolve(node, names)
        if isinstance(node, ast.Call) and (target := _resolve(node.func, names)) is not None:
            if callable(target):
                _check_call(node, target)


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_notebook_runs(script, tmp_path):
    root = str(NOTEBOOKS.parent)  # run this checkout's jaxpapers, whatever is installed
    env = dict(os.environ, MPLBACKEND="Agg", TQDM_DISABLE="1", PYTHONPATH=root)
    env.pop("JAXPAPERS_FULL", None)
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-4000:]


def test_notebooks_are_percent_scripts():
    assert SCRIPTS, "no notebook script found"
    for script in SCRIPTS:
        assert "# %%" in script.read_text(), f"{script.name} is not a jupytext percent script"
