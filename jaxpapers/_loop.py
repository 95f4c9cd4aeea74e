"""The chunked ``lax.scan`` driver used by every long loop in jaxpapers.

``run_chunked`` runs a pure ``step(state, t) -> (state, info)`` for ``num_steps`` steps as a
Python loop over jitted chunks of ``chunk_size`` steps (a ``lax.scan`` inside each). Per chunk it

* advances a tqdm bar, with a metric of the last step in its postfix;
* checks every ``info`` of the chunk and the state at its end for NaN/inf and raises
  ``FloatingPointError`` naming the first bad step;
* optionally saves a checkpoint (state, infos so far, next step) through :mod:`jaxpapers._ckpt`.

The next chunk is dispatched before the previous chunk's infos are pulled to the host, so the
device never waits for the bar. Because ``step`` receives the global step index ``t`` (derive
per-step keys with ``jax.random.fold_in(key, t)``), a run resumed from the checkpoint of chunk k
ends bit-identical to an uninterrupted run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from tqdm.auto import tqdm

import jax
import jax.numpy as jnp

from jaxpapers import _ckpt

__all__ = ["LoopResult", "progress", "run_chunked"]

Step = Callable[[Any, jax.Array], tuple[Any, Any]]


class LoopResult(NamedTuple):
    """What :func:`run_chunked` returns.

    Attributes:
        state: the state after the last step run.
        infos: the per-step infos, stacked along a leading axis of length ``steps_done``
            (host numpy arrays).
        steps_done: how many steps have run in total (less than ``num_steps`` only when
            ``max_chunks`` stopped the call early).
    """

    state: Any
    infos: Any
    steps_done: int


def progress(iterable=None, *, desc: str, total: int | None = None, **kwargs) -> tqdm:
    """A tqdm bar for one stage of a reproduction (writes to stderr)."""
    return tqdm(iterable, desc=desc, total=total, dynamic_ncols=True, **kwargs)


def _make_chunk(step: Step, length: int) -> Callable[[Any, jax.Array], tuple[Any, Any]]:
    def chunk(state, t0):
        return jax.lax.scan(step, state, t0 + jnp.arange(length, dtype=jnp.int32))

    return jax.jit(chunk)


def _first_nonfinite(tree: Any, num_steps: int) -> int | None:
    """Index along the leading axis of the first entry with a non-finite value, if any."""
    bad = np.zeros(num_steps, dtype=bool)
    for leaf in jax.tree.leaves(tree):
        leaf = np.asarray(leaf)
        if not np.issubdtype(leaf.dtype, np.inexact):
            continue
        bad |= ~np.isfinite(leaf.reshape(num_steps, -1)).all(axis=1)
    hits = np.flatnonzero(bad)
    return int(hits[0]) if hits.size else None


def _state_is_finite(state: Any) -> bool:
    leaves = [np.asarray(x) for x in jax.tree.leaves(state) if _is_float(x)]
    return all(np.isfinite(leaf).all() for leaf in leaves)


def _is_float(leaf: Any) -> bool:
    dtype = getattr(leaf, "dtype", None)
    return dtype is not None and jnp.issubdtype(dtype, jnp.inexact)


def _metric_value(metric, infos) -> float | None:
    if metric is None:
        return None
    value = metric(infos) if callable(metric) else getattr(infos, metric, None)
    if value is None and isinstance(infos, dict):
        value = infos.get(metric)
    return None if value is None else float(np.asarray(value).reshape(-1)[-1])


def _concat(chunks: list[Any]) -> Any:
    if not chunks:
        return None
    return jax.tree.map(lambda *xs: np.concatenate(xs, axis=0), *chunks)


class _Checkpointer:
    """Saves ``{state, infos}`` and the next step at chunk boundaries; restores the newest."""

    def __init__(self, directory: Path, step: Step, init_state: Any):
        self.mngr = _ckpt.manager(directory, max_to_keep=2)
        self.state_target = jax.eval_shape(lambda s: s, init_state)
        info = jax.eval_shape(step, init_state, jnp.int32(0))[1]
        self.info_struct = info

    def restore(self) -> tuple[Any, list[Any], int] | None:
        done = _ckpt.latest_step(self.mngr)
        if done is None:
            return None
        infos = jax.tree.map(
            lambda s: jax.ShapeDtypeStruct((done, *s.shape), s.dtype), self.info_struct
        )
        target = {"state": self.state_target, "infos": infos}
        restored, meta = _ckpt.restore(self.mngr, target, done)
        if meta.get("steps_done") != done:
            raise ValueError(f"checkpoint {done} in {self.mngr.directory} is inconsistent")
        return restored["state"], [jax.tree.map(np.asarray, restored["infos"])], done

    def save(self, state: Any, infos: Any, done: int) -> None:
        _ckpt.save(self.mngr, done, {"state": state, "infos": infos}, {"steps_done": done})

    def close(self) -> None:
        self.mngr.close()


def run_chunked(
    step: Step,
    init_state: Any,
    num_steps: int,
    *,
    chunk_size: int = 100,
    metric: str | Callable[[Any], Any] | None = None,
    desc: str = "steps",
    checkpoint_dir: str | Path | None = None,
    max_chunks: int | None = None,
    show_progress: bool = True,
) -> LoopResult:
    """Run ``step`` for ``num_steps`` steps in jitted ``lax.scan`` chunks.

    Args:
        step: pure ``step(state, t) -> (state, info)``; ``t`` is the global int32 step index.
        init_state: the state before step 0 (ignored when a checkpoint is restored).
        num_steps: total number of steps.
        chunk_size: steps per jitted chunk; one extra compilation for a shorter last chunk.
        metric: a field name of ``info`` (or a function of the stacked host infos of a chunk)
            shown in the bar's postfix.
        desc: the bar's label.
        checkpoint_dir: where to checkpoint at every chunk boundary; a run started on a
            directory that already holds a checkpoint resumes from it.
        max_chunks: stop after this many chunks in this call (time-sliced jobs, tests);
            resume later from ``checkpoint_dir``.
        show_progress: False disables the bar.

    Raises:
        FloatingPointError: when an info or the state becomes NaN or infinite; the message
            names the first bad step.
    """
    if num_steps < 0 or chunk_size < 1:
        raise ValueError(
            f"num_steps must be >= 0 and chunk_size >= 1, got {num_steps} and {chunk_size}"
        )
    ckpt = None if checkpoint_dir is None else _Checkpointer(Path(checkpoint_dir), step, init_state)
    state, infos, done = init_state, [], 0
    if ckpt is not None and (restored := ckpt.restore()) is not None:
        state, infos, done = restored
    chunks: dict[int, Callable] = {}
    bar = tqdm(total=num_steps, initial=done, desc=desc, disable=not show_progress)

    def finish(t0: int, length: int, new_state: Any, info: Any) -> None:
        info = jax.tree.map(np.asarray, info)
        bad = _first_nonfinite(info, length)
        if bad is None and not _state_is_finite(new_state):
            bad = length - 1
        if bad is not None:
            raise FloatingPointError(f"{desc}: non-finite value at step {t0 + bad}")
        infos.append(info)
        if ckpt is not None:
            ckpt.save(new_state, _concat(infos), t0 + length)
        value = _metric_value(metric, info)
        if value is not None:
            bar.set_postfix({metric if isinstance(metric, str) else "metric": f"{value:.4g}"})
        bar.update(length)

    try:
        pending, count = None, 0
        while done < num_steps and (max_chunks is None or count < max_chunks):
            length = min(chunk_size, num_steps - done)
            fn = chunks.setdefault(length, _make_chunk(step, length))
            state, info = fn(state, jnp.int32(done))
            if pending is not None:  # host work for the previous chunk overlaps this one
                finish(*pending)
            pending = (done, length, state, info)
            done, count = done + length, count + 1
        if pending is not None:
            finish(*pending)
    finally:
        bar.close()
        if ckpt is not None:
            ckpt.close()
    return LoopResult(state, _concat(infos), done)
