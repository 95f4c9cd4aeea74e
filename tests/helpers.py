"""Helpers shared by the tests of every module."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

import jax


def tree_allclose(a: Any, b: Any, *, rtol: float = 1e-5, atol: float = 1e-6) -> bool:
    """True when two pytrees have the same structure and all leaves are close."""
    if jax.tree.structure(a) != jax.tree.structure(b):
        return False
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        x, y = _plain(x), _plain(y)
        if x.shape != y.shape or not np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True):
            return False
    return True


def tree_equal(a: Any, b: Any) -> bool:
    """True when two pytrees are identical, bit for bit (NaNs in the same places)."""
    if jax.tree.structure(a) != jax.tree.structure(b):
        return False
    return all(
        x.shape == y.shape and x.dtype == y.dtype and np.array_equal(x, y, equal_nan=_is_float(x))
        for x, y in zip(
            map(_plain, jax.tree.leaves(a)), map(_plain, jax.tree.leaves(b)), strict=True
        )
    )


def lapack_calls(compiled: Any) -> list[str]:
    """The LAPACK custom-call targets in a compiled program (``jit(f).lower(...).compile()``).

    Programs that batch small solves must have none: two LAPACK calls ready at once can
    deadlock XLA:CPU's thread pool on 2 cores (see ``jaxpapers.linalg``).
    """
    text = compiled.as_text()
    return sorted(set(re.findall(r'custom_call_target="(lapack[^"]*)"', text)))


def _plain(leaf: Any) -> np.ndarray:
    """Numpy view of a leaf; typed PRNG keys become their key data."""
    dtype = getattr(leaf, "dtype", None)
    if dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
        leaf = jax.random.key_data(leaf)
    return np.asarray(leaf)


def _is_float(x: np.ndarray) -> bool:
    return np.issubdtype(x.dtype, np.inexact)


ROOT = Path(__file__).resolve().parents[1]


def reproduce(name: str, out: Path, *args: str, timeout: int = 900) -> tuple[int, dict]:
    """Run ``jaxpapers reproduce NAME --quick --out OUT ARGS`` on this checkout in a subprocess.

    Returns the exit code and the parsed ``report.json``.
    """
    env = dict(os.environ, TQDM_DISABLE="1", PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "jaxpapers", "reproduce", name, "--quick", "--out", str(out)]
    result = subprocess.run(
        [*command, *args], env=env, cwd=out, capture_output=True, text=True, timeout=timeout
    )
    path = Path(out) / name / "report.json"
    assert path.exists(), result.stderr[-4000:]
    return result.returncode, json.loads(path.read_text())


def check_reproduction(
    code: int, report: dict, must_pass: Iterable[str], optional: Iterable[str] = ()
) -> None:
    """The named claims passed (``optional`` ones may instead be skipped for a missing wheel),
    every claim has one of the four provenances, and the exit code agrees with the verdicts."""
    verdicts = {c["id"]: c["verdict"] for c in report["claims"]}
    optional = set(optional)
    for claim_id in must_pass:
        allowed = ("pass", "skipped") if claim_id in optional else ("pass",)
        assert verdicts.get(claim_id) in allowed, (claim_id, verdicts.get(claim_id), verdicts)
    skipped = {cid for cid, v in verdicts.items() if v == "skipped"}
    assert skipped <= optional, f"claims skipped without being optional: {skipped - optional}"
    assert all(
        c["provenance"] in ("paper", "planted", "derived", "reference") for c in report["claims"]
    )
    assert code == (1 if "fail" in verdicts.values() else 0), (code, verdicts)
